//! Tenants' clocks as tests drive them: freeze one, advance it (running everything that falls
//! due, in order, before returning), let it run again. Each tenant's time is its own.

use std::pin::pin;
use std::time::Duration;

use crate::core::scheduler::FirstDue;
use crate::core::tenants::Tenant;
use crate::core::time::{self, ClockMode, Millis};
use crate::core::{Core, CoreError};

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
        loop {
            // Registered before looking, so a gate opening meanwhile is not missed.
            let mut opened = pin!(self.timers.opened.notified());
            opened.as_mut().enable();
            match self.timers.take_first_due(&sid, target) {
                FirstDue::Run(job) => {
                    if job.due_at > tenant.now() {
                        tenant.set_clock(ClockMode::Frozen { now: job.due_at });
                    }
                    self.run_job(*job).await;
                }
                // An attempt started before the clock froze (or a status set by hand) is still
                // in flight: the resource's next callback waits for it, as on a running clock.
                FirstDue::Gated => opened.await,
                FirstDue::Nothing => break,
            }
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
}
