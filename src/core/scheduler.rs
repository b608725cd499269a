//! The scheduler: status changes and webhook deliveries run when they fall due, on the wall
//! clock or when a test advances a frozen one. Pending jobs wait in memory, by tenant and due
//! time. The rows in the `jobs` table are the durable
//! truth; this index only decides what runs next. A job whose row is gone (its message deleted)
//! is found stale when it runs and does nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::core::outbox::StatusNotify;
use crate::core::rules::{CallbackDisorder, Step};
use crate::core::store::{self, Job, JobKind, NewJob};
use crate::core::tenants::Registry;
use crate::core::time::{self, Millis, wall_now};
use crate::core::{Core, CoreError};

/// How many scheduled jobs (status changes, webhook deliveries) may be under way at once.
const MAX_RUNNING_JOBS: usize = 256;

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

impl Core {
    pub(in crate::core) async fn run_scheduler(self: Arc<Self>, shutdown: CancellationToken) {
        const BATCH: usize = 1024;
        // At most this many jobs run at once. Past it, due jobs wait in the timers rather than
        // in the store's write queue, where they would delay every API request behind them.
        let running = Arc::new(tokio::sync::Semaphore::new(MAX_RUNNING_JOBS));
        loop {
            let due = self.timers.take_due(&self.tenants, BATCH);
            let full = due.jobs.len() == BATCH;
            for job in due.jobs {
                let permit = tokio::select! {
                    permit = Arc::clone(&running).acquire_owned() => permit,
                    // Jobs taken but not started are still rows: they run after a restart.
                    _ = shutdown.cancelled() => return,
                };
                let core = Arc::clone(&self);
                tokio::spawn(async move {
                    core.run_job(job).await;
                    drop(permit);
                });
            }
            if full {
                tokio::task::yield_now().await;
                continue;
            }
            let wait = due.next_wake.map_or(Duration::from_secs(3600), |wall| {
                Duration::from_millis((wall - time::wall_now()).max(0) as u64)
            });
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.timers.changed.notified() => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }

    pub(in crate::core) async fn run_job(&self, job: Job) {
        let outcome = match &job.kind {
            JobKind::Lifecycle {
                sid,
                steps,
                notify,
                disorder,
            } => {
                self.apply_step(&job, sid, steps, notify.as_ref(), disorder)
                    .await
            }
            JobKind::Deliver(delivery) => self.deliver(&job, delivery).await,
        };
        if let Err(error) = outcome {
            // The row is still in the jobs table: it runs again after a restart.
            tracing::error!(job = job.id, resource = %job.resource_sid, %error, "scheduled job failed");
        }
    }

    async fn apply_step(
        &self,
        job: &Job,
        sid: &str,
        steps: &[Step],
        notify: Option<&StatusNotify>,
        disorder: &CallbackDisorder,
    ) -> Result<(), CoreError> {
        let (Some(step), Some(tenant)) = (steps.first(), self.tenants.get(&job.account_sid)) else {
            return Ok(());
        };
        let at = tenant.now().max(job.due_at);
        let mut next = Vec::new();
        if let Some(following) = steps.get(1) {
            next.push(NewJob {
                account_sid: job.account_sid.clone(),
                resource_sid: sid.to_owned(),
                due_at: at + following.delay_ms as Millis,
                kind: JobKind::Lifecycle {
                    sid: sid.to_owned(),
                    steps: steps[1..].to_vec(),
                    notify: notify.cloned(),
                    disorder: disorder.clone(),
                },
            });
        }
        if let Some(delivery) = notify
            .filter(|_| self.settings.callbacks_enabled)
            .and_then(|notify| self.status_delivery(&job.account_sid, sid, notify, step, at))
        {
            for delay in disorder.delivery_delays(step.status) {
                next.push(NewJob {
                    account_sid: job.account_sid.clone(),
                    resource_sid: sid.to_owned(),
                    due_at: at + delay as Millis,
                    kind: JobKind::Deliver(delivery.clone()),
                });
            }
        }
        let written = self
            .store
            .write(store::ApplyStep {
                job_id: job.id,
                account_sid: job.account_sid.clone(),
                sid: sid.to_owned(),
                step: step.clone(),
                at,
                next,
            })
            .await?;
        self.timers.add(written);
        Ok(())
    }
}
