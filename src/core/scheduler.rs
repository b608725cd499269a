//! Pending jobs in memory, by tenant and due time. The rows in the `jobs` table are the durable
//! truth; this index only decides what runs next. A job whose row is gone (its message deleted)
//! is found stale when it runs and does nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use tokio::sync::Notify;

use super::store::{Job, JobKind};
use super::tenants::Registry;
use super::time::{Millis, wall_now};

/// One tenant's pending jobs, ordered by due time (then id, which is creation order).
type Queue = BTreeMap<(Millis, i64), Job>;

#[derive(Default)]
pub struct Timers {
    by_tenant: Mutex<HashMap<String, Queue>>,
    /// Wakes the real-time loop when an earlier job arrives.
    pub(crate) changed: Notify,
}

/// What the real-time loop found.
pub(crate) struct DueJobs {
    pub jobs: Vec<Job>,
    /// Wall time of the earliest job still waiting on a running clock.
    pub next_wake: Option<Millis>,
}

impl Timers {
    pub fn add(&self, jobs: impl IntoIterator<Item = Job>) {
        let mut added = false;
        {
            let mut by_tenant = self.lock();
            for job in jobs {
                by_tenant
                    .entry(job.account_sid.clone())
                    .or_default()
                    .insert((job.due_at, job.id), job);
                added = true;
            }
        }
        if added {
            self.changed.notify_one();
        }
    }

    /// Forget the jobs of one resource (a deleted or canceled message). Rare: a scan is fine.
    pub fn drop_resource(&self, account_sid: &str, resource_sid: &str) {
        if let Some(queue) = self.lock().get_mut(account_sid) {
            queue.retain(|_, job| job.resource_sid != resource_sid);
        }
    }

    /// Forget the pending status changes of one resource, keeping its webhook deliveries.
    pub fn drop_lifecycle(&self, account_sid: &str, resource_sid: &str) {
        if let Some(queue) = self.lock().get_mut(account_sid) {
            queue.retain(|_, job| {
                job.resource_sid != resource_sid || !matches!(job.kind, JobKind::Lifecycle { .. })
            });
        }
    }

    /// Forget every job of a tenant (its data was cleared or it was deleted).
    pub fn drop_tenant(&self, account_sid: &str) {
        self.lock().remove(account_sid);
    }

    pub fn drop_all(&self) {
        self.lock().clear();
    }

    /// Take every job due by the wall clock on tenants whose clock runs, at most `limit`.
    pub(crate) fn take_due(&self, tenants: &Registry, limit: usize) -> DueJobs {
        let now = wall_now();
        let mut jobs = Vec::new();
        let mut next_wake: Option<Millis> = None;
        let mut by_tenant = self.lock();
        by_tenant.retain(|account_sid, queue| {
            let Some(tenant) = tenants.get(account_sid) else {
                return false;
            };
            let clock = tenant.clock();
            while jobs.len() < limit {
                let Some((&(due, _), _)) = queue.first_key_value() else {
                    break;
                };
                match clock.wall_time_of(due) {
                    Some(wall) if wall <= now => {
                        if let Some((_, job)) = queue.pop_first() {
                            jobs.push(job);
                        }
                    }
                    Some(wall) => {
                        next_wake = Some(next_wake.map_or(wall, |w| w.min(wall)));
                        break;
                    }
                    None => break,
                }
            }
            !queue.is_empty()
        });
        DueJobs { jobs, next_wake }
    }

    /// The earliest job of one tenant due at or before tenant time `until`.
    pub(crate) fn take_first_due(&self, account_sid: &str, until: Millis) -> Option<Job> {
        let mut by_tenant = self.lock();
        let queue = by_tenant.get_mut(account_sid)?;
        let (&(due, _), _) = queue.first_key_value()?;
        if due > until {
            return None;
        }
        queue.pop_first().map(|(_, job)| job)
    }

    pub fn pending(&self, account_sid: &str) -> usize {
        self.lock().get(account_sid).map_or(0, Queue::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Queue>> {
        self.by_tenant.lock().unwrap_or_else(|e| e.into_inner())
    }
}
