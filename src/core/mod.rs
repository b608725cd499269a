//! The core: tenants, rules, the store, the event log, clocks and the scheduler. It knows
//! nothing of HTTP, JSON shapes or protobuf; facades translate their wire formats into calls on
//! [`Core`].

pub mod access; // which tenant a request acts as, for every facade
pub mod clock; // tenants' clocks as tests drive them: freeze, advance, resume
pub mod crypto; // HMACs and constant-time comparison, once
pub mod events; // the event log: every change, in sequence, resumable
pub mod ids; // SIDs in the providers' formats
pub mod magic; // Twilio's test-credential magic numbers
pub mod messaging; // messages: the model, sending and managing them, users texting in
pub mod numbering; // countries' numbering plans: possible lengths from libphonenumber's metadata
pub mod observe; // event filters, and waiting for an event
pub mod outbox; // the webhooks the core sends, as data, and the Courier trait they leave by
pub mod paging; // pages of a list: where one starts, what lies beyond
pub mod rules; // what happens to a message: match → reject, or a lifecycle script
pub mod scheduler; // jobs that fall due: status changes and webhook deliveries
pub mod store; // SQLite: the writer thread, typed operations, migrations
pub mod tenants; // accounts, API keys, phone numbers, opt-outs, per-tenant clocks
pub mod text; // SMS segments and phone-number shapes
pub mod time; // clock modes and Twilio's date formats
pub mod voice; // calls: the Calls API's operations, lifecycles, the TwiML engine, recordings
pub mod whatsapp; // the Cloud API: sends, window, templates, simulated users, settings, media

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use events::EventLog;
use outbox::Courier;
use rules::{InvalidRule, Outcome, Rejection, Rule, RuleBook};
use scheduler::Timers;
use store::{Location, Store, StoreError};
use tenants::{Account, AccountStatus, PhoneNumber, Registry, Tenant, WhatsAppIdentity};
use time::Millis;

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
    /// The seed's proxy targets a simulated WhatsApp user's message may be sent to.
    pub proxy_targets: whatsapp::ProxyTargets,
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
            proxy_targets: whatsapp::ProxyTargets::default(),
        }
    }
}

/// The account the config file defines, with the seed's number lists.
#[derive(Debug, Clone)]
pub struct DefaultAccount {
    pub sid: String,
    pub auth_token: String,
    pub registered_numbers: Vec<String>,
    pub failure_numbers: Vec<String>,
    pub allowed_from_numbers: Vec<String>,
    /// Its WhatsApp Business identity and settings (the config's `whatsapp:` section).
    pub whatsapp: WhatsAppIdentity,
}

/// The server's state in numbers (see [`Core::health`]).
#[derive(Debug, Clone, Copy)]
pub struct Health {
    pub counts: store::Counts,
    pub pending_jobs: i64,
    pub tenants: usize,
    pub event_sequence: i64,
}

/// Why the core could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The provider would refuse this request; the facade renders it in the provider's format.
    #[error("{}: {}", .0.code, .0.message)]
    Rejected(Rejection),
    #[error("not found")]
    NotFound,
    /// The request may not act as the tenant it names (see [`access`]).
    #[error("access denied: {0}")]
    Denied(access::AccessDenied),
    #[error(transparent)]
    InvalidRule(#[from] InvalidRule),
    #[error("the tenant's clock is not frozen")]
    ClockNotFrozen,
    /// The request is malformed (a field out of range, an address that is not one).
    #[error("{0}")]
    Invalid(String),
    /// The request conflicts with what exists (a number the tenant already has, …).
    #[error("{0}")]
    Conflict(String),
    /// The request cannot be carried out in the current state (deleting the config's account).
    #[error("{0}")]
    FailedPrecondition(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The core: every decision, every tenant's state. Facades reach it through its operations, one
/// area a file (`tenants`, `rules`, `clock`, `messaging`, `whatsapp`, `outbox`, …); its parts
/// are its own.
pub struct Core {
    settings: Settings,
    store: Store,
    /// Shared with the store's writer, which publishes what it commits.
    events: Arc<EventLog>,
    tenants: Registry,
    timers: Timers,
    /// One lock per live call, held while the call engine changes it.
    call_locks: voice::CallLocks,
    /// Sends the webhooks the core decides on; the server fills it (see [`outbox::Courier`]).
    courier: Arc<dyn Courier>,
    /// The config file's account: its credentials and the seed's number lists.
    config_account: DefaultAccount,
    started_at: Millis,
}

impl Core {
    /// Open the store, rebuild tenants and pending jobs, and start the scheduler, which sends
    /// webhooks through `courier`. The scheduler stops when `shutdown` is cancelled.
    pub async fn start(
        settings: Settings,
        location: &Location,
        default_account: DefaultAccount,
        courier: Arc<dyn Courier>,
        shutdown: CancellationToken,
    ) -> Result<Arc<Core>, StartError> {
        let (store, writer) = Store::open(location, settings.synchronous)?;
        let latest_seq = store.read(store::latest_event_seq).await?;
        let events = Arc::new(EventLog::new(store.clone(), latest_seq));
        writer.start(Arc::clone(&events));
        let core = Arc::new(Core {
            store,
            events,
            tenants: Registry::default(),
            timers: Timers::default(),
            call_locks: voice::CallLocks::default(),
            courier,
            config_account: default_account,
            started_at: time::wall_now(),
            settings,
        });
        for stored in core.store.read(store::load_tenants).await? {
            let book = RuleBook::new(stored.rules).map_err(|e| {
                StoreError::Corrupt(format!("rules of {}: {e}", stored.account.sid))
            })?;
            for key in stored.api_keys {
                core.tenants.insert_api_key(key);
            }
            if stored.needs_whatsapp {
                core.store
                    .write(store::UpdateAccount {
                        account: stored.account.clone(),
                    })
                    .await?;
            }
            let tenant = Tenant::new(stored.account, book, stored.numbers);
            tenant.set_opt_outs(stored.opt_outs);
            core.tenants.insert(Arc::new(tenant));
        }
        core.install_default_account().await?;
        core.timers.add(core.store.read(store::load_jobs).await?);
        tokio::spawn(Arc::clone(&core).run_scheduler(shutdown));
        Ok(core)
    }

    /// The config file is the truth about the default account: its credentials, the seed's
    /// number lists as rules, and its allowed senders as its phone numbers.
    async fn install_default_account(&self) -> Result<(), StoreError> {
        let config = self.config_account.clone();
        let now = time::wall_now();
        let config_rules = self.config_rules();
        let existing = self.tenants.get(&config.sid);
        let created_at = existing.as_ref().map_or(now, |t| t.account().created_at);
        let account = Account {
            whatsapp: config.whatsapp,
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
                numbers.push(PhoneNumber::new(&config.sid, n, now));
            }
        }
        let book =
            RuleBook::new(config_rules.clone()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store
            .write(store::PutAccount {
                account: account.clone(),
                api_keys: Vec::new(),
                numbers: numbers.clone(),
                rules: config_rules.clone(),
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

    /// The seed's `failure_numbers` and `registered_numbers` as rules. Failure numbers come
    /// first: the seed checked them before the registered ones.
    fn config_rules(&self) -> Vec<Rule> {
        let delay = self.step_delay_ms();
        let rule = |list: &str, number: &String, script: Vec<rules::Step>| Rule {
            id: format!("config:{list}:{number}"),
            when: rules::Match {
                to: Some(rules::AddressPattern::Exact(number.clone())),
                ..rules::Match::default()
            },
            then: Outcome::Accept { script },
            first_n: None,
            latency_ms: 0,
            callbacks: rules::CallbackDisorder::default(),
        };
        let config = &self.config_account;
        config
            .failure_numbers
            .iter()
            .map(|n| rule("failure_numbers", n, rules::failed_script(delay)))
            .chain(
                config
                    .registered_numbers
                    .iter()
                    .map(|n| rule("registered_numbers", n, rules::delivered_script(delay))),
            )
            .collect()
    }

    /// The tenant of an account SID.
    pub fn tenant(&self, account_sid: &str) -> Option<Arc<Tenant>> {
        self.tenants.get(account_sid)
    }

    pub fn default_tenant(&self) -> Option<Arc<Tenant>> {
        self.tenants.get(&self.config_account.sid)
    }

    pub fn started_at(&self) -> Millis {
        self.started_at
    }

    /// The behaviour switches every tenant shares.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The event log, to follow or to read its position.
    pub fn events(&self) -> &Arc<EventLog> {
        &self.events
    }

    /// What the seed's `/health` reports: stored rows, pending jobs, tenants, the event log's
    /// position. Every figure is kept as writes commit: the call reads no table.
    pub async fn health(&self) -> Result<Health, CoreError> {
        Ok(Health {
            counts: self.store.counts(),
            pending_jobs: self.store.pending_jobs(),
            tenants: self.tenants.all().len(),
            event_sequence: self.events.latest_seq(),
        })
    }

    fn step_delay_ms(&self) -> u64 {
        self.settings.step_delay.as_millis() as u64
    }
}
