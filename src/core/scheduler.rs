//! The scheduler: status changes and webhook deliveries run when they fall due, on the wall
//! clock or when a test advances a frozen one. Pending jobs wait in memory, by tenant and due
//! time. The rows in the `jobs` table are the durable
//! truth; this index only decides what runs next. A job whose row is gone (its message deleted)
//! is found stale when it runs and does nothing.
//!
//! A resource's webhooks are attempted in the order they were scheduled: a delivery's first
//! attempt does not start while an earlier first attempt of the same resource is in flight
//! (the resource's gate is held), so an app that answers slowly still hears `sent` before
//! `delivered`. A delivery that falls due behind a held gate is parked beside it, not in the
//! store's way or holding a running slot, and goes back to its queue when the attempt ahead has
//! been answered or has failed into its retry schedule. Retries are neither held back nor hold
//! anything back, and status changes never wait: only the first attempts are sequenced. Rules
//! still get disorder by scheduling (a delayed callback simply falls due later; a dropped one
//! never exists). Parked jobs are still rows: after a restart they load in due order again.

use std::collections::{BTreeMap, HashMap};
use std::pin::pin;
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

/// A resource, as its gate is keyed: (tenant, resource SID).
type ResourceKey = (String, String);

/// A resource whose delivery's first attempt is in flight.
struct Gate {
    /// The job making that attempt; only its end opens the gate.
    holder: i64,
    /// The resource's first attempts that fell due meanwhile, in their queue's order.
    parked: Queue,
}

#[derive(Default)]
struct State {
    by_tenant: HashMap<String, Queue>,
    gates: HashMap<ResourceKey, Gate>,
}

impl State {
    /// Park `job` behind its resource's held gate.
    fn park(&mut self, job: Job) {
        let key = (job.account_sid.clone(), job.resource_sid.clone());
        if let Some(gate) = self.gates.get_mut(&key) {
            gate.parked.insert((job.due_at, job.id), job);
        }
    }
}

/// Claim `job`'s gate if it needs one: false when another attempt holds it.
fn claim(gates: &mut HashMap<ResourceKey, Gate>, job: &Job) -> bool {
    if !is_sequenced(job) {
        return true;
    }
    let key = (job.account_sid.clone(), job.resource_sid.clone());
    match gates.get(&key) {
        Some(gate) => gate.holder == job.id,
        None => {
            gates.insert(
                key,
                Gate {
                    holder: job.id,
                    parked: Queue::new(),
                },
            );
            true
        }
    }
}

/// Whether a job waits its turn behind its resource's earlier attempts: a delivery's first
/// attempt does. Retries (attempt 2 and on) and status changes do not.
fn is_sequenced(job: &Job) -> bool {
    matches!(&job.kind, JobKind::Deliver(delivery) if delivery.attempt <= 1)
}

#[derive(Default)]
pub struct Timers {
    state: Mutex<State>,
    /// Wakes the real-time loop when an earlier job arrives, or parked ones are free to run.
    pub(crate) changed: Notify,
    /// Wakes whoever waits for a resource's gate (a frozen clock's advance, a status set by
    /// hand).
    pub(crate) opened: Notify,
}

/// What the real-time loop found.
pub(crate) struct DueJobs {
    pub jobs: Vec<Job>,
    /// Wall time of the earliest job still waiting on a running clock.
    pub next_wake: Option<Millis>,
}

/// The next job of a frozen clock's advance.
pub(crate) enum FirstDue {
    /// Run it (its gate, if it needs one, is claimed).
    Run(Box<Job>),
    /// The earliest due job waits for an attempt in flight elsewhere (started before the clock
    /// froze, or by a status set by hand); it stays queued.
    Gated,
    Nothing,
}

impl Timers {
    pub fn add(&self, jobs: impl IntoIterator<Item = Job>) {
        let mut added = false;
        {
            let mut state = self.lock();
            for job in jobs {
                state
                    .by_tenant
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
    /// An attempt in flight keeps its gate until it ends.
    pub fn drop_resource(&self, account_sid: &str, resource_sid: &str) {
        let mut state = self.lock();
        if let Some(queue) = state.by_tenant.get_mut(account_sid) {
            queue.retain(|_, job| job.resource_sid != resource_sid);
        }
        if let Some(gate) = state
            .gates
            .get_mut(&(account_sid.to_owned(), resource_sid.to_owned()))
        {
            gate.parked.clear();
        }
    }

    /// Forget the pending status changes of one resource, keeping its webhook deliveries.
    pub fn drop_lifecycle(&self, account_sid: &str, resource_sid: &str) {
        if let Some(queue) = self.lock().by_tenant.get_mut(account_sid) {
            queue.retain(|_, job| {
                job.resource_sid != resource_sid || !matches!(job.kind, JobKind::Lifecycle { .. })
            });
        }
    }

    /// Forget every job of a tenant (its data was cleared or it was deleted).
    pub fn drop_tenant(&self, account_sid: &str) {
        let mut state = self.lock();
        state.by_tenant.remove(account_sid);
        for ((tenant, _), gate) in state.gates.iter_mut() {
            if tenant == account_sid {
                gate.parked.clear();
            }
        }
    }

    pub fn drop_all(&self) {
        let mut state = self.lock();
        state.by_tenant.clear();
        for gate in state.gates.values_mut() {
            gate.parked.clear();
        }
    }

    /// Take every job due by the wall clock on tenants whose clock runs, at most `limit`,
    /// claiming their gates; a first attempt behind a held gate is parked instead.
    pub(crate) fn take_due(&self, tenants: &Registry, limit: usize) -> DueJobs {
        let now = wall_now();
        let mut jobs = Vec::new();
        let mut next_wake: Option<Millis> = None;
        let mut guard = self.lock();
        let state = &mut *guard;
        let mut parked = Vec::new();
        state.by_tenant.retain(|account_sid, queue| {
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
                        let Some((_, job)) = queue.pop_first() else {
                            break;
                        };
                        // Claimed in queue order, so a resource's attempts start in order.
                        if claim(&mut state.gates, &job) {
                            jobs.push(job);
                        } else {
                            parked.push(job);
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
        for job in parked {
            state.park(job);
        }
        DueJobs { jobs, next_wake }
    }

    /// The earliest job of one tenant due at or before tenant time `until`, its gate claimed.
    pub(crate) fn take_first_due(&self, account_sid: &str, until: Millis) -> FirstDue {
        let mut state = self.lock();
        let state = &mut *state;
        let Some(queue) = state.by_tenant.get_mut(account_sid) else {
            return FirstDue::Nothing;
        };
        let Some((&(due, _), job)) = queue.first_key_value() else {
            return FirstDue::Nothing;
        };
        if due > until {
            return FirstDue::Nothing;
        }
        if !claim(&mut state.gates, job) {
            return FirstDue::Gated;
        }
        match queue.pop_first() {
            Some((_, job)) => FirstDue::Run(Box::new(job)),
            None => FirstDue::Nothing,
        }
    }

    /// Claim the gate of a job run outside the queues (a status set by hand), waiting for an
    /// attempt in flight to end first.
    pub(crate) async fn claim_waiting(&self, job: &Job) {
        loop {
            let mut opened = pin!(self.opened.notified());
            // Registered before looking, so an opening between the look and the wait wakes it.
            opened.as_mut().enable();
            if claim(&mut self.lock().gates, job) {
                return;
            }
            opened.await;
        }
    }

    /// `job` has run: if it held its resource's gate, open it and send the deliveries parked
    /// behind it back to their queue, where the earliest claims the gate again.
    pub(crate) fn finished(&self, job: &Job) {
        if !is_sequenced(job) {
            return;
        }
        let key = (job.account_sid.clone(), job.resource_sid.clone());
        let mut state = self.lock();
        if state
            .gates
            .get(&key)
            .is_none_or(|gate| gate.holder != job.id)
        {
            return;
        }
        let Some(gate) = state.gates.remove(&key) else {
            return;
        };
        let requeued = !gate.parked.is_empty();
        if requeued {
            state
                .by_tenant
                .entry(job.account_sid.clone())
                .or_default()
                .extend(gate.parked);
        }
        drop(state);
        self.opened.notify_waiters();
        if requeued {
            self.changed.notify_one();
        }
    }

    /// Jobs waiting to run, parked ones included.
    pub fn pending(&self, account_sid: &str) -> usize {
        let state = self.lock();
        let parked: usize = state
            .gates
            .iter()
            .filter(|((tenant, _), _)| tenant == account_sid)
            .map(|(_, gate)| gate.parked.len())
            .sum();
        state.by_tenant.get(account_sid).map_or(0, Queue::len) + parked
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
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
            JobKind::CallStep { sid, epoch, step } => {
                self.run_call_step(&job, sid, *epoch, *step).await
            }
        };
        if let Err(error) = outcome {
            // The row is still in the jobs table: it runs again after a restart.
            tracing::error!(job = job.id, resource = %job.resource_sid, %error, "scheduled job failed");
        }
        // Answered, or failed into its retry schedule (the retry is queued by now): the
        // resource's next first attempt may start.
        self.timers.finished(&job);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::messaging::HttpMethod;
    use crate::core::outbox::{Delivery, Notice};
    use crate::core::rules::RuleBook;
    use crate::core::tenants::{Account, AccountStatus, Tenant, WhatsAppIdentity};
    use crate::core::time::ClockMode;

    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";

    fn tenant() -> Arc<Tenant> {
        let account = Account {
            sid: ACCOUNT.into(),
            auth_token: "token".into(),
            friendly_name: "test".into(),
            owner_account_sid: None,
            status: AccountStatus::Active,
            created_at: 0,
            updated_at: 0,
            whatsapp: WhatsAppIdentity::generate(),
        };
        Arc::new(Tenant::new(account, RuleBook::default(), Vec::new()))
    }

    fn registry(tenant: Arc<Tenant>) -> Registry {
        let registry = Registry::default();
        registry.insert(tenant);
        registry
    }

    /// Attempt `attempt` of a webhook about `resource`, due at tenant time `due` (long past on
    /// a running clock).
    fn delivery(id: i64, resource: &str, due: Millis, attempt: u32) -> Job {
        Job {
            id,
            account_sid: ACCOUNT.into(),
            resource_sid: resource.into(),
            due_at: due,
            kind: JobKind::Deliver(Delivery {
                idempotency_token: format!("token-{id}"),
                resource_sid: resource.into(),
                status: "sent".into(),
                url: "http://127.0.0.1:9/cb".into(),
                method: HttpMethod::Post,
                notice: Notice::Verification {
                    verify_token: "v".into(),
                    challenge: "c".into(),
                },
                to: None,
                from: None,
                target: None,
                attempt,
                max_attempts: 3,
                retry_delay_ms: 1000,
            }),
        }
    }

    fn status_change(id: i64, resource: &str, due: Millis) -> Job {
        Job {
            id,
            account_sid: ACCOUNT.into(),
            resource_sid: resource.into(),
            due_at: due,
            kind: JobKind::Lifecycle {
                sid: resource.into(),
                steps: Vec::new(),
                notify: None,
                disorder: CallbackDisorder::default(),
            },
        }
    }

    fn ids(jobs: &[Job]) -> Vec<i64> {
        jobs.iter().map(|job| job.id).collect()
    }

    #[test]
    fn a_resources_first_attempts_start_one_at_a_time_in_order() {
        let tenants = registry(tenant());
        let timers = Timers::default();
        let jobs = [
            delivery(1, "SM1", 1, 1),
            delivery(2, "SM1", 2, 1),
            delivery(3, "SM2", 3, 1),
            delivery(4, "SM1", 4, 2),
            status_change(5, "SM1", 5),
            delivery(6, "SM1", 6, 1),
        ];
        timers.add(jobs.clone());

        // Another resource, a retry and a status change are not held back by SM1's attempt.
        assert_eq!(ids(&timers.take_due(&tenants, 100).jobs), vec![1, 3, 4, 5]);
        assert_eq!(timers.pending(ACCOUNT), 2, "2 and 6 are parked");
        assert!(timers.take_due(&tenants, 100).jobs.is_empty());

        // Neither a retry's end nor another resource's opens SM1's gate.
        timers.finished(&jobs[3]);
        timers.finished(&jobs[2]);
        assert!(timers.take_due(&tenants, 100).jobs.is_empty());

        timers.finished(&jobs[0]);
        assert_eq!(ids(&timers.take_due(&tenants, 100).jobs), vec![2]);
        assert_eq!(timers.pending(ACCOUNT), 1);
        timers.finished(&jobs[1]);
        assert_eq!(ids(&timers.take_due(&tenants, 100).jobs), vec![6]);
        timers.finished(&jobs[5]);
        assert_eq!(timers.pending(ACCOUNT), 0);
        assert!(timers.lock().gates.is_empty());
    }

    #[test]
    fn a_frozen_clock_waits_at_a_held_gate_and_parked_jobs_go_back_to_the_queue() {
        let tenant = tenant();
        let tenants = registry(Arc::clone(&tenant));
        let timers = Timers::default();
        let jobs = [
            delivery(1, "SM1", 1, 1),
            delivery(2, "SM1", 2, 1),
            delivery(3, "SM1", 3, 1),
        ];
        timers.add([jobs[0].clone(), jobs[1].clone()]);
        assert_eq!(ids(&timers.take_due(&tenants, 100).jobs), vec![1]);

        // The clock freezes while the first attempt is in flight, with 2 parked.
        tenant.set_clock(ClockMode::Frozen { now: 10 });
        timers.add([jobs[2].clone()]);
        let next = |timers: &Timers| match timers.take_first_due(ACCOUNT, 10) {
            FirstDue::Run(job) => Some(job.id),
            FirstDue::Gated => None,
            FirstDue::Nothing => Some(0),
        };
        assert_eq!(next(&timers), None, "3 waits for 1");
        timers.finished(&jobs[0]);
        assert_eq!(next(&timers), Some(2), "the parked job is back, first");
        assert_eq!(next(&timers), None, "3 waits for 2");
        timers.finished(&jobs[1]);
        assert_eq!(next(&timers), Some(3));
        timers.finished(&jobs[2]);
        assert_eq!(next(&timers), Some(0));
        assert!(timers.lock().gates.is_empty());
    }

    #[test]
    fn dropping_a_resource_forgets_its_parked_jobs() {
        let tenants = registry(tenant());
        let timers = Timers::default();
        let first = delivery(1, "SM1", 1, 1);
        timers.add([first.clone(), delivery(2, "SM1", 2, 1)]);
        assert_eq!(ids(&timers.take_due(&tenants, 100).jobs), vec![1]);
        timers.drop_resource(ACCOUNT, "SM1");
        assert_eq!(timers.pending(ACCOUNT), 0);
        timers.finished(&first);
        assert!(timers.take_due(&tenants, 100).jobs.is_empty());
        assert!(timers.lock().gates.is_empty());
    }

    #[tokio::test]
    async fn a_callback_sent_by_hand_waits_for_the_attempt_in_flight() {
        let tenants = registry(tenant());
        let timers = Arc::new(Timers::default());
        let first = delivery(1, "SM1", 1, 1);
        timers.add([first.clone()]);
        assert_eq!(ids(&timers.take_due(&tenants, 100).jobs), vec![1]);

        let by_hand = delivery(2, "SM1", 2, 1);
        let waiting = tokio::spawn({
            let timers = Arc::clone(&timers);
            async move { timers.claim_waiting(&by_hand).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the gate is held by attempt 1");
        timers.finished(&first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the gate opens")
            .expect("no panic");
        assert_eq!(
            timers
                .lock()
                .gates
                .get(&(ACCOUNT.into(), "SM1".into()))
                .map(|g| g.holder),
            Some(2)
        );
    }
}
