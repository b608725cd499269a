//! The core: tenants, rules, the store, the event log, clocks and the scheduler. It knows
//! nothing of HTTP, JSON shapes or protobuf; facades translate their wire formats into calls on
//! [`Core`].

pub mod events;
pub mod ids;
pub mod magic;
pub mod messages;
pub mod rules;
pub mod scheduler;
pub mod store;
pub mod tenants;
pub mod text;
pub mod time;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::webhooks::{self, WebhookClient};
use events::{EventData, EventLog, NewEvent};
use messages::{Message, MessageFilter, MessageStatus, MessageUpdate, NewMessage};
use rules::{Decision, InvalidRule, Outcome, Rejection, Rule, RuleBook, Step, Subject};
use scheduler::Timers;
use store::{
    CallbackAttempt, ClearWhat, Cleared, Job, JobKind, Location, NewJob, PageFrom, StatusNotify,
    Store, StoreError, Write, WriteResult,
};
use tenants::{Account, AccountStatus, ApiKey, PhoneNumber, Registry, Tenant};
use time::{ClockMode, Millis};

/// Behaviour switches that apply to every tenant (the seed's `validation` and `callbacks`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub require_auth: bool,
    pub validate_phone_format: bool,
    pub check_from_numbers: bool,
    pub require_parameters: bool,
    /// What happens to a message no rule matches: delivered, or failed.
    pub default_succeeds: bool,
    pub callbacks_enabled: bool,
    /// Delay before the first status change and between changes.
    pub step_delay: Duration,
    /// Total attempts per webhook, the first included.
    pub retry_attempts: u32,
    pub retry_delay: Duration,
    pub webhook_timeout: Duration,
    /// How durable the store is against OS crashes.
    pub synchronous: store::Synchronous,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            require_auth: true,
            validate_phone_format: true,
            check_from_numbers: true,
            require_parameters: true,
            default_succeeds: true,
            callbacks_enabled: true,
            step_delay: Duration::from_secs(2),
            retry_attempts: 3,
            retry_delay: Duration::from_secs(5),
            webhook_timeout: Duration::from_secs(10),
            synchronous: store::Synchronous::Off,
        }
    }
}

/// The account the config file defines, with the seed's number lists.
#[derive(Debug, Clone, Default)]
pub struct DefaultAccount {
    pub sid: String,
    pub auth_token: String,
    pub registered_numbers: Vec<String>,
    pub failure_numbers: Vec<String>,
    pub allowed_from_numbers: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The provider would refuse this request; the facade renders it in the provider's format.
    #[error("{}: {}", .0.code, .0.message)]
    Rejected(Rejection),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    InvalidRule(#[from] InvalidRule),
    #[error("the tenant's clock is not frozen")]
    ClockNotFrozen,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many scheduled jobs (status changes, webhook deliveries) may be under way at once.
const MAX_RUNNING_JOBS: usize = 256;

pub struct Core {
    pub settings: Settings,
    pub store: Store,
    pub events: Arc<EventLog>,
    pub tenants: Registry,
    timers: Timers,
    webhooks: WebhookClient,
    default_account_sid: String,
    started_at: Millis,
}

impl Core {
    /// Open the store, rebuild tenants and pending jobs, and start the scheduler. The scheduler
    /// stops when `shutdown` is cancelled.
    pub async fn start(
        settings: Settings,
        location: &Location,
        default_account: DefaultAccount,
        shutdown: CancellationToken,
    ) -> Result<Arc<Core>, StoreError> {
        let (store, writer) = Store::open(location, settings.synchronous)?;
        let latest_seq = store.read(store::latest_event_seq).await?;
        let events = Arc::new(EventLog::new(store.clone(), latest_seq));
        writer.start(Arc::clone(&events));
        let core = Arc::new(Core {
            store,
            events,
            tenants: Registry::default(),
            timers: Timers::default(),
            webhooks: WebhookClient::new(settings.webhook_timeout),
            default_account_sid: default_account.sid.clone(),
            started_at: time::wall_now(),
            settings,
        });
        for stored in core.store.read(store::load_tenants).await? {
            let rules: Vec<Rule> = serde_json::from_str(&stored.rules_json).map_err(|e| {
                StoreError::Corrupt(format!("rules of {}: {e}", stored.account.sid))
            })?;
            let book = RuleBook::new(rules).map_err(|e| {
                StoreError::Corrupt(format!("rules of {}: {e}", stored.account.sid))
            })?;
            for key in stored.api_keys {
                core.tenants.insert_api_key(key);
            }
            core.tenants
                .insert(Arc::new(Tenant::new(stored.account, book, stored.numbers)));
        }
        core.install_default_account(default_account).await?;
        core.timers.add(core.store.read(store::load_jobs).await?);
        tokio::spawn(Arc::clone(&core).run_scheduler(shutdown));
        Ok(core)
    }

    /// The config file is the truth about the default account: its credentials, the seed's
    /// number lists as rules, and its allowed senders as its phone numbers.
    async fn install_default_account(&self, config: DefaultAccount) -> Result<(), StoreError> {
        let now = time::wall_now();
        let delay = self.step_delay_ms();
        let exact = |n: &String| rules::Match {
            to: Some(rules::AddressPattern::Exact(n.clone())),
            ..rules::Match::default()
        };
        // Failure numbers come first: the seed checked them before the registered ones.
        let config_rules: Vec<Rule> = config
            .failure_numbers
            .iter()
            .map(|n| Rule {
                id: format!("config:failure_numbers:{n}"),
                when: exact(n),
                then: Outcome::Accept {
                    script: rules::failed_script(delay),
                },
                first_n: None,
                latency_ms: 0,
            })
            .chain(config.registered_numbers.iter().map(|n| Rule {
                id: format!("config:registered_numbers:{n}"),
                when: exact(n),
                then: Outcome::Accept {
                    script: rules::delivered_script(delay),
                },
                first_n: None,
                latency_ms: 0,
            }))
            .collect();
        let existing = self.tenants.get(&config.sid);
        let created_at = existing.as_ref().map_or(now, |t| t.account().created_at);
        let account = Account {
            sid: config.sid.clone(),
            auth_token: config.auth_token,
            friendly_name: "mockingbird default account".into(),
            owner_account_sid: None,
            status: AccountStatus::Active,
            created_at,
            updated_at: now,
        };
        let mut numbers = existing.as_ref().map(|t| t.numbers()).unwrap_or_default();
        for n in &config.allowed_from_numbers {
            if !numbers.iter().any(|known| &known.phone_number == n) {
                numbers.push(new_phone_number(&config.sid, n, now));
            }
        }
        let book =
            RuleBook::new(config_rules.clone()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store
            .write(Write::PutAccount {
                account: account.clone(),
                api_keys: Vec::new(),
                numbers: numbers.clone(),
                rules_json: serde_json::to_string(&config_rules).unwrap_or_else(|_| "[]".into()),
                announce: existing.is_none(),
            })
            .await?;
        match existing {
            Some(tenant) => {
                tenant.set_account(account);
                tenant.set_numbers(numbers);
                tenant.with_rules(|current| *current = book);
            }
            None => self
                .tenants
                .insert(Arc::new(Tenant::new(account, book, numbers))),
        }
        Ok(())
    }

    pub fn default_tenant(&self) -> Option<Arc<Tenant>> {
        self.tenants.get(&self.default_account_sid)
    }

    pub fn started_at(&self) -> Millis {
        self.started_at
    }

    fn step_delay_ms(&self) -> u64 {
        self.settings.step_delay.as_millis() as u64
    }

    // -----------------------------------------------------------------------------------------
    // Tenants.

    /// A new tenant with fresh credentials: a subaccount of `owner`, or a top-level account.
    pub async fn create_account(
        &self,
        friendly_name: Option<String>,
        owner: Option<&str>,
        sid: Option<String>,
    ) -> Result<Arc<Tenant>, CoreError> {
        let now = time::wall_now();
        let sid = sid.unwrap_or_else(|| ids::sid("AC"));
        let account = Account {
            friendly_name: friendly_name
                .unwrap_or_else(|| format!("SubAccount Created at {}", time::rfc2822(now))),
            sid: sid.clone(),
            auth_token: ids::token(),
            owner_account_sid: owner.map(str::to_owned),
            status: AccountStatus::Active,
            created_at: now,
            updated_at: now,
        };
        let key = ApiKey {
            sid: ids::sid("SK"),
            account_sid: sid,
            secret: ids::token(),
            friendly_name: "mockingbird".into(),
            created_at: now,
        };
        self.store
            .write(Write::PutAccount {
                account: account.clone(),
                api_keys: vec![key.clone()],
                numbers: Vec::new(),
                rules_json: "[]".into(),
                announce: true,
            })
            .await?;
        let tenant = Arc::new(Tenant::new(account, RuleBook::default(), Vec::new()));
        self.tenants.insert_api_key(key);
        self.tenants.insert(Arc::clone(&tenant));
        Ok(tenant)
    }

    /// The tenant for an account SID that arrived without credentials to check
    /// (`require_auth: false`): an unknown but well-formed SID gets a tenant of its own, so
    /// tests that each invent an account SID are still isolated.
    pub async fn tenant_for_unauthenticated(
        &self,
        account_sid: &str,
    ) -> Result<Option<Arc<Tenant>>, CoreError> {
        if let Some(tenant) = self.tenants.get(account_sid) {
            return Ok(Some(tenant));
        }
        if !ids::is_sid(account_sid, "AC") {
            return Ok(None);
        }
        Ok(Some(
            self.create_account(None, None, Some(account_sid.to_owned()))
                .await?,
        ))
    }

    pub async fn update_account(
        &self,
        tenant: &Tenant,
        friendly_name: Option<String>,
        status: Option<AccountStatus>,
    ) -> Result<Account, CoreError> {
        let mut account = tenant.account();
        if let Some(name) = friendly_name {
            account.friendly_name = name;
        }
        if let Some(status) = status {
            account.status = status;
        }
        account.updated_at = time::wall_now();
        self.store
            .write(Write::UpdateAccount {
                account: account.clone(),
            })
            .await?;
        tenant.set_account(account.clone());
        Ok(account)
    }

    /// Subaccounts of `owner` (and the owner itself), oldest first.
    pub fn accounts_visible_to(&self, owner: &str) -> Vec<Account> {
        let mut accounts: Vec<Account> = self
            .tenants
            .all()
            .iter()
            .map(|t| t.account())
            .filter(|a| a.sid == owner || a.owner_account_sid.as_deref() == Some(owner))
            .collect();
        accounts.sort_by(|a, b| (a.created_at, &a.sid).cmp(&(b.created_at, &b.sid)));
        accounts
    }

    /// Replace a tenant's rules.
    pub async fn set_rules(&self, tenant: &Tenant, rules: Vec<Rule>) -> Result<(), CoreError> {
        let book = RuleBook::new(rules.clone())?;
        let account = tenant.account();
        self.store
            .write(Write::PutAccount {
                account,
                api_keys: Vec::new(),
                numbers: Vec::new(),
                rules_json: serde_json::to_string(&rules).unwrap_or_else(|_| "[]".into()),
                announce: false,
            })
            .await?;
        tenant.with_rules(|current| *current = book);
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Messages.

    /// Send a message as an app does through the API: check the sender, let the rules decide,
    /// store it with its first pending status change, and return it as the API answers it.
    pub async fn send_message(
        &self,
        tenant: &Tenant,
        new: NewMessage,
    ) -> Result<Message, CoreError> {
        let account_sid = tenant.sid();
        if let Some(rejection) = magic::message_rejection(new.from.as_deref(), &new.to) {
            return Err(CoreError::Rejected(rejection));
        }
        if let Some(from) = new
            .from
            .as_deref()
            .filter(|_| self.settings.check_from_numbers)
        {
            let (_, number) = text::split_channel(from);
            if number != magic::VALID_TEST_SENDER
                && !tenant.owns_number(number)
                && !tenant.owns_number(from)
            {
                return Err(CoreError::Rejected(Rejection::new(
                    400,
                    21606,
                    format!(
                        "The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account."
                    ),
                )));
            }
        }
        let channel = match text::split_channel(&new.to).0 {
            Some(channel) => channel.to_ascii_lowercase(),
            None if new.media_urls.is_empty() => "sms".into(),
            None => "mms".into(),
        };
        let decision = tenant.with_rules(|book| {
            book.decide(Subject {
                channel: &channel,
                to: &new.to,
                from: new.from.as_deref(),
                body: &new.body,
            })
        });
        let now = tenant.now();
        let (mut script, latency_ms) = match &decision {
            Some(Decision {
                rule,
                outcome: Outcome::Reject(rejection),
            }) => {
                self.store
                    .write(Write::Event(NewEvent {
                        account_sid,
                        at: now,
                        data: EventData::RuleMatched {
                            rule_id: rule.id.clone(),
                            sid: None,
                            to: new.to.clone(),
                            outcome: Outcome::Reject(rejection.clone()),
                        },
                    }))
                    .await?;
                respond_after(rule.latency_ms).await;
                return Err(CoreError::Rejected(rejection.clone()));
            }
            Some(Decision {
                rule,
                outcome: Outcome::Accept { script },
            }) => (script.clone(), rule.latency_ms),
            None if self.settings.default_succeeds => {
                (rules::delivered_script(self.step_delay_ms()), 0)
            }
            None => (rules::failed_script(self.step_delay_ms()), 0),
        };

        let initial = if let Some(send_at) = new.send_at {
            script.insert(
                0,
                Step::new(MessageStatus::Queued, (send_at - now).max(0) as u64),
            );
            MessageStatus::Scheduled
        } else if new.messaging_service_sid.is_some() {
            // A Messaging Service accepts first and queues a moment later (with a callback).
            script.insert(0, Step::new(MessageStatus::Queued, 0));
            MessageStatus::Accepted
        } else {
            MessageStatus::Queued
        };
        let sid = ids::sid(if new.media_urls.is_empty() {
            "SM"
        } else {
            "MM"
        });
        let message = Message {
            num_segments: text::segments(&new.body),
            sid: sid.clone(),
            account_sid: account_sid.clone(),
            direction: messages::Direction::OutboundApi,
            from: new.from,
            to: new.to,
            body: new.body,
            media_urls: new.media_urls,
            status: initial,
            messaging_service_sid: new.messaging_service_sid,
            error_code: None,
            error_message: None,
            price: None,
            created_at: now,
            updated_at: now,
            sent_at: None,
            status_callback: new.status_callback,
        };
        let notify = message
            .status_callback
            .clone()
            .map(|callback| StatusNotify {
                callback,
                from: message.from.clone(),
                to: message.to.clone(),
                messaging_service_sid: message.messaging_service_sid.clone(),
            });
        let job = script.first().map(|first| NewJob {
            account_sid: account_sid.clone(),
            resource_sid: sid.clone(),
            due_at: now + first.delay_ms as Millis,
            kind: JobKind::Lifecycle {
                sid: sid.clone(),
                steps: script.clone(),
                notify,
            },
        });
        let mut events = vec![NewEvent {
            account_sid: account_sid.clone(),
            at: now,
            data: EventData::MessageCreated {
                message: message.clone(),
            },
        }];
        if let Some(decision) = decision {
            events.push(NewEvent {
                account_sid,
                at: now,
                data: EventData::RuleMatched {
                    rule_id: decision.rule.id,
                    sid: Some(sid),
                    to: message.to.clone(),
                    outcome: decision.outcome,
                },
            });
        }
        let written = self
            .store
            .write(Write::CreateMessage {
                message: message.clone(),
                job,
                events,
            })
            .await?;
        if let WriteResult::Jobs(jobs) = written {
            self.timers.add(jobs);
        }
        respond_after(latency_ms).await;
        Ok(message)
    }

    pub async fn message(&self, tenant: &Tenant, sid: &str) -> Result<Message, CoreError> {
        let (account_sid, sid) = (tenant.sid(), sid.to_owned());
        self.store
            .read(move |conn| store::fetch_message(conn, &account_sid, &sid))
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// The position of a message in its tenant's list, for page tokens.
    pub async fn message_position(
        &self,
        tenant: &Tenant,
        sid: &str,
    ) -> Result<Option<i64>, CoreError> {
        let (account_sid, sid) = (tenant.sid(), sid.to_owned());
        Ok(self
            .store
            .read(move |conn| store::message_seq(conn, &account_sid, &sid))
            .await?)
    }

    pub async fn list_messages(
        &self,
        tenant: &Tenant,
        filter: &MessageFilter,
        from: PageFrom,
        limit: u32,
    ) -> Result<Vec<Message>, CoreError> {
        let (account_sid, filter) = (tenant.sid(), filter.clone());
        Ok(self
            .store
            .read(move |conn| store::list_messages(conn, &account_sid, &filter, from, limit))
            .await?)
    }

    pub async fn update_message(
        &self,
        tenant: &Tenant,
        sid: &str,
        update: MessageUpdate,
    ) -> Result<Message, CoreError> {
        let current = self.message(tenant, sid).await?;
        if update == MessageUpdate::Cancel && current.status != MessageStatus::Scheduled {
            // Twilio: only a scheduled message can be canceled. Its docs name no code for the
            // refusal; 30409 is the one chosen here.
            return Err(CoreError::Rejected(Rejection::new(
                400,
                30409,
                format!(
                    "Message {sid} is in status {} and cannot be canceled; only scheduled messages can be canceled.",
                    current.status.as_str()
                ),
            )));
        }
        match self
            .store
            .write(Write::UpdateMessage {
                account_sid: tenant.sid(),
                sid: sid.to_owned(),
                update,
                at: tenant.now(),
            })
            .await?
        {
            WriteResult::Message(Some(message)) => Ok(*message),
            _ => Err(CoreError::NotFound),
        }
    }

    pub async fn delete_message(&self, tenant: &Tenant, sid: &str) -> Result<(), CoreError> {
        let current = self.message(tenant, sid).await?;
        if !current.status.is_final() && current.status != MessageStatus::Scheduled {
            // Twilio keeps a message until its delivery receipt is in ("Cannot delete message in
            // state SENT"). 20009 is the code chosen here; Twilio's docs name none.
            return Err(CoreError::Rejected(Rejection::new(
                400,
                20009,
                format!(
                    "Cannot delete message in state {}",
                    current.status.as_str().to_ascii_uppercase()
                ),
            )));
        }
        match self
            .store
            .write(Write::DeleteMessage {
                account_sid: tenant.sid(),
                sid: sid.to_owned(),
                at: tenant.now(),
            })
            .await?
        {
            WriteResult::Deleted(true) => Ok(()),
            _ => Err(CoreError::NotFound),
        }
    }

    pub async fn callback_attempts(
        &self,
        tenant: &Tenant,
        limit: u32,
    ) -> Result<Vec<CallbackAttempt>, CoreError> {
        let account_sid = tenant.sid();
        Ok(self
            .store
            .read(move |conn| store::callback_attempts(conn, &account_sid, limit))
            .await?)
    }

    /// Remove stored data, of one tenant or of all. Pending status changes of removed messages
    /// are dropped with them.
    pub async fn clear(
        &self,
        tenant: Option<&Tenant>,
        what: ClearWhat,
    ) -> Result<Cleared, CoreError> {
        let account_sid = tenant.map(|t| t.sid());
        let at = tenant.map_or_else(time::wall_now, |t| t.now());
        let result = self
            .store
            .write(Write::Clear {
                account_sid: account_sid.clone(),
                what,
                at,
            })
            .await?;
        if matches!(what, ClearWhat::Messages | ClearWhat::All) {
            match &account_sid {
                Some(sid) => self.timers.drop_tenant(sid),
                None => self.timers.drop_all(),
            }
        }
        match result {
            WriteResult::Cleared(cleared) => Ok(cleared),
            _ => Ok(Cleared::default()),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Clocks.

    /// Stop a tenant's time where it is.
    pub fn freeze_clock(&self, tenant: &Tenant) -> Millis {
        let now = tenant.now();
        tenant.set_clock(ClockMode::Frozen { now });
        now
    }

    /// Move a frozen clock forward by `by`, running everything that falls due, in order, before
    /// returning: each job sees the clock at its own due time.
    pub async fn advance_clock(
        self: &Arc<Self>,
        tenant: &Tenant,
        by: Duration,
    ) -> Result<Millis, CoreError> {
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

    async fn run_scheduler(self: Arc<Self>, shutdown: CancellationToken) {
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

    async fn run_job(&self, job: Job) {
        let outcome = match &job.kind {
            JobKind::Lifecycle { sid, steps, notify } => {
                self.apply_step(&job, sid, steps, notify.as_ref()).await
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
                },
            });
        }
        if let Some(notify) = notify.filter(|_| self.settings.callbacks_enabled) {
            next.push(NewJob {
                account_sid: job.account_sid.clone(),
                resource_sid: sid.to_owned(),
                due_at: at,
                kind: JobKind::Deliver(webhooks::twilio::message_status(
                    &job.account_sid,
                    sid,
                    notify,
                    step,
                    at,
                    self.settings.retry_attempts.max(1),
                    self.settings.retry_delay.as_millis() as u64,
                )),
            });
        }
        let written = self
            .store
            .write(Write::ApplyStep {
                job_id: job.id,
                account_sid: job.account_sid.clone(),
                sid: sid.to_owned(),
                step: step.clone(),
                at,
                next,
            })
            .await?;
        if let WriteResult::Jobs(jobs) = written {
            self.timers.add(jobs);
        }
        Ok(())
    }

    async fn deliver(&self, job: &Job, delivery: &store::Delivery) -> Result<(), CoreError> {
        let job_id = job.id;
        if !self
            .store
            .read(move |conn| store::job_exists(conn, job_id))
            .await?
        {
            return Ok(());
        }
        let Some(tenant) = self.tenants.get(&job.account_sid) else {
            return Ok(());
        };
        let auth_token = tenant.account().auth_token;
        let sent = self.webhooks.send_twilio(delivery, &auth_token).await;
        let at = tenant.now();
        let attempt = CallbackAttempt {
            id: 0,
            account_sid: job.account_sid.clone(),
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
        };
        let retry =
            (!attempt.succeeded() && delivery.attempt < delivery.max_attempts).then(|| NewJob {
                account_sid: job.account_sid.clone(),
                resource_sid: delivery.resource_sid.clone(),
                due_at: at + delivery.retry_delay_ms as Millis,
                kind: JobKind::Deliver(store::Delivery {
                    attempt: delivery.attempt + 1,
                    ..delivery.clone()
                }),
            });
        let written = self
            .store
            .write(Write::RecordAttempt {
                job_id: job.id,
                attempt,
                retry,
            })
            .await?;
        if let WriteResult::Jobs(jobs) = written {
            self.timers.add(jobs);
        }
        Ok(())
    }
}

pub fn new_phone_number(account_sid: &str, number: &str, now: Millis) -> PhoneNumber {
    PhoneNumber {
        sid: ids::sid("PN"),
        account_sid: account_sid.to_owned(),
        phone_number: number.to_owned(),
        friendly_name: number.to_owned(),
        sms_url: None,
        sms_method: "POST".into(),
        created_at: now,
    }
}

/// A rule's response latency. Real time, not the tenant clock: it delays an HTTP answer.
async fn respond_after(latency_ms: u64) {
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
}
