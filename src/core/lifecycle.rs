//! Time: tenants' clocks, and the scheduler that applies status changes and delivers webhooks
//! when they fall due — on the wall clock, or when a test advances a frozen one.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::messages::HttpMethod;
use super::outbox::{Delivery, Notice, Sent, StatusNotify, WhatsAppNotify};
use super::rules::{CallbackDisorder, Step};
use super::store::{self, CallbackAttempt, Job, JobKind, NewJob};
use super::tenants::Tenant;
use super::time::{self, ClockMode, Millis};
use super::{Core, CoreError, ids};

/// How many scheduled jobs (status changes, webhook deliveries) may be under way at once.
const MAX_RUNNING_JOBS: usize = 256;

impl Core {
    /// Stop a tenant's time where it is.
    pub fn freeze_clock(&self, tenant: &Tenant) -> Millis {
        let now = tenant.now();
        tenant.set_clock(ClockMode::Frozen { now });
        now
    }

    /// Move a frozen clock forward by `by`, running everything that falls due, in order, before
    /// returning: each job sees the clock at its own due time.
    pub async fn advance_clock(&self, tenant: &Tenant, by: Duration) -> Result<Millis, CoreError> {
        let ClockMode::Frozen { now } = tenant.clock() else {
            return Err(CoreError::ClockNotFrozen);
        };
        let target = now + by.as_millis() as Millis;
        let sid = tenant.sid();
        while let Some(job) = self.timers.take_first_due(&sid, target) {
            if job.due_at > tenant.now() {
                tenant.set_clock(ClockMode::Frozen { now: job.due_at });
            }
            self.run_job(job).await;
        }
        tenant.set_clock(ClockMode::Frozen { now: target });
        Ok(target)
    }

    /// Let a frozen clock run again from where it stands.
    pub fn resume_clock(&self, tenant: &Tenant) {
        if let ClockMode::Frozen { now } = tenant.clock() {
            tenant.set_clock(ClockMode::Running {
                offset: now - time::wall_now(),
            });
            self.timers.changed.notify_one();
        }
    }

    pub fn pending_jobs(&self, tenant: &Tenant) -> usize {
        self.timers.pending(&tenant.sid())
    }

    // -----------------------------------------------------------------------------------------
    // The scheduler.

    pub(super) async fn run_scheduler(self: Arc<Self>, shutdown: CancellationToken) {
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

    pub(super) async fn run_job(&self, job: Job) {
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

    /// The status webhook of message `sid` entering `step`'s status, with the server's retry
    /// policy: Twilio's status callback, or Meta's status webhook for a Cloud API message (none
    /// for a status Meta does not report).
    pub(super) fn status_delivery(
        &self,
        account_sid: &str,
        sid: &str,
        notify: &StatusNotify,
        step: &Step,
        at: Millis,
    ) -> Option<Delivery> {
        let (status, idempotency_token) = match &notify.whatsapp {
            Some(_) => (WhatsAppNotify::reported(step.status)?, ids::hex(32)),
            None => (step.status.as_str(), format!("{}-{}", ids::hex(16), sid)),
        };
        Some(Delivery {
            idempotency_token,
            resource_sid: sid.to_owned(),
            status: status.to_owned(),
            url: notify.callback.url.clone(),
            method: match &notify.whatsapp {
                Some(_) => HttpMethod::Post,
                None => notify.callback.method,
            },
            notice: Notice::MessageStatus {
                account_sid: account_sid.to_owned(),
                sid: sid.to_owned(),
                notify: Box::new(notify.clone()),
                step: step.clone(),
                at,
            },
            to: Some(notify.to.clone()),
            from: notify.from.clone(),
            target: None,
            attempt: 1,
            max_attempts: self.settings.retry_attempts.max(1),
            retry_delay_ms: self.settings.retry_delay.as_millis() as u64,
        })
    }

    /// Send one scheduled webhook attempt and record it, with its retry if it failed and
    /// attempts remain. A delivery whose message was deleted or canceled meanwhile has already
    /// left the timers; one that was under way still goes out once, and its record finds the
    /// job row gone and schedules no retry.
    async fn deliver(&self, job: &Job, delivery: &Delivery) -> Result<(), CoreError> {
        let Some(tenant) = self.tenants.get(&job.account_sid) else {
            return Ok(());
        };
        let sent = self.courier.send(delivery, &tenant.account()).await;
        let at = tenant.now();
        let attempt = attempt_record(&job.account_sid, delivery, sent, at);
        let retry =
            (!attempt.succeeded() && delivery.attempt < delivery.max_attempts).then(|| NewJob {
                account_sid: job.account_sid.clone(),
                resource_sid: delivery.resource_sid.clone(),
                due_at: at + delivery.retry_delay_ms as Millis,
                kind: JobKind::Deliver(Delivery {
                    attempt: delivery.attempt + 1,
                    ..delivery.clone()
                }),
            });
        let written = self
            .store
            .write(store::RecordAttempt {
                job_id: Some(job.id),
                attempt,
                retry,
                to: delivery.to.clone(),
                from: delivery.from.clone(),
            })
            .await?;
        self.timers.add(written.jobs);
        Ok(())
    }

    /// Send a webhook now, once, outside the scheduler (a user's message, a handshake), and
    /// record the attempt with its event. Returns the record and what the courier reported.
    pub(super) async fn send_now(
        &self,
        tenant: &Tenant,
        delivery: &Delivery,
    ) -> Result<(CallbackAttempt, Sent), CoreError> {
        let sent = self.courier.send(delivery, &tenant.account()).await;
        let attempt = attempt_record(&tenant.sid(), delivery, sent.clone(), tenant.now());
        let recorded = self
            .record_attempt(attempt, delivery.to.clone(), delivery.from.clone())
            .await?;
        Ok((recorded, sent))
    }
}

/// What a webhook attempt sent and what came back, as stored.
pub(super) fn attempt_record(
    account_sid: &str,
    delivery: &Delivery,
    sent: Sent,
    at: Millis,
) -> CallbackAttempt {
    CallbackAttempt {
        id: 0,
        account_sid: account_sid.to_owned(),
        resource_sid: delivery.resource_sid.clone(),
        status: delivery.status.clone(),
        url: sent.url,
        method: delivery.method.as_str().into(),
        request_body: sent.request_body,
        attempt: i64::from(delivery.attempt),
        response_status: sent.response_status.map(i64::from),
        response_body: sent.response_body,
        error: sent.error,
        latency_ms: sent.latency_ms as i64,
        created_at: at,
        idempotency_token: delivery.idempotency_token.clone(),
        provider: delivery.provider(),
    }
}
