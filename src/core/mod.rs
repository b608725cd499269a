//! The core: tenants, rules, the store, the event log, clocks and the scheduler. It knows
//! nothing of HTTP, JSON shapes or protobuf; facades translate their wire formats into calls on
//! [`Core`].

pub mod access; // which tenant a request acts as, for every facade
pub mod crypto; // HMACs and constant-time comparison, once
pub mod events; // the event log: every change, in sequence, resumable
pub mod ids; // SIDs in the providers' formats
pub mod inbound; // simulated users texting a tenant's numbers; opt-out keywords; TwiML replies
mod lifecycle; // clocks and the scheduler: status changes and webhooks when they fall due
pub mod magic; // Twilio's test-credential magic numbers
pub mod media; // WhatsApp media uploads: type and size limits, 30-day expiry, signed download URLs
pub mod messages; // the message model
mod messaging; // sending and managing messages: checks, rules, storage
pub mod numbers; // a tenant's phone numbers and their webhooks
pub mod observe; // event filters, and waiting for an event
pub mod outbox; // the webhooks the core sends, as data, and the Courier trait they leave by
pub mod paging; // pages of a list: where one starts, what lies beyond
pub mod rules; // what happens to a message: match → reject, or a lifecycle script
pub mod scheduler; // pending jobs in memory, by tenant and due time
pub mod store; // SQLite: the writer thread, reads, migrations
pub mod tenants; // accounts, API keys, phone numbers, per-tenant clocks
pub mod text; // SMS segments and phone-number shapes
pub mod time; // clocks and Twilio's date formats
pub mod whatsapp; // the Cloud API: window, templates, allow list, simulated users, verification

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use events::EventLog;
use outbox::Courier;
use rules::{InvalidRule, Outcome, Rejection, Rule, RuleBook};
use scheduler::Timers;
use store::{Location, Store, StoreError};
use tenants::{Account, AccountStatus, ApiKey, PhoneNumber, Registry, Tenant, WhatsAppIdentity};
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

pub struct Core {
    pub settings: Settings,
    pub store: Store,
    pub events: Arc<EventLog>,
    pub tenants: Registry,
    timers: Timers,
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

    /// The account Basic credentials authenticate as, whatever its status (the seed's clear
    /// routes take any tenant's own credentials).
    pub fn authenticate(&self, user: &str, password: &str) -> Option<Arc<Tenant>> {
        self.tenants.authenticate(user, password)
    }

    pub fn default_tenant(&self) -> Option<Arc<Tenant>> {
        self.tenants.get(&self.config_account.sid)
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
        self.new_account(friendly_name, owner, sid, Vec::new(), &[])
            .await
    }

    async fn new_account(
        &self,
        friendly_name: Option<String>,
        owner: Option<&str>,
        sid: Option<String>,
        rules: Vec<Rule>,
        numbers: &[String],
    ) -> Result<Arc<Tenant>, CoreError> {
        let now = time::wall_now();
        let sid = sid.unwrap_or_else(|| ids::sid("AC"));
        let account = Account {
            whatsapp: WhatsAppIdentity::generate(),
            friendly_name: friendly_name
                .unwrap_or_else(|| format!("SubAccount Created at {}", time::rfc2822(now))),
            sid: sid.clone(),
            auth_token: ids::token(),
            owner_account_sid: owner.map(str::to_owned),
            status: AccountStatus::Active,
            created_at: now,
            updated_at: now,
        };
        let numbers: Vec<PhoneNumber> = numbers
            .iter()
            .map(|n| PhoneNumber::new(&sid, n, now))
            .collect();
        let key = ApiKey {
            sid: ids::sid("SK"),
            account_sid: sid,
            secret: ids::token(),
            friendly_name: "mockingbird".into(),
            created_at: now,
            updated_at: now,
        };
        let book = RuleBook::new(rules.clone())?;
        self.store
            .write(store::PutAccount {
                account: account.clone(),
                api_keys: vec![key.clone()],
                numbers: numbers.clone(),
                rules: rules.clone(),
                announce: true,
            })
            .await?;
        let tenant = Arc::new(Tenant::new(account, book, numbers));
        self.tenants.insert_api_key(key);
        self.tenants.insert(Arc::clone(&tenant));
        Ok(tenant)
    }

    /// The tenant for an account SID that arrived without credentials to check
    /// (`require_auth: false`): an unknown but well-formed SID gets a tenant of its own, so
    /// tests that each invent an account SID are still isolated. It behaves as the config file
    /// says, as every SID did in the seed: the same number lists and senders, its own data.
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
        let tenant = self
            .new_account(
                None,
                None,
                Some(account_sid.to_owned()),
                self.config_rules(),
                &self.config_account.allowed_from_numbers,
            )
            .await?;
        Ok(Some(tenant))
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
            .write(store::UpdateAccount {
                account: account.clone(),
            })
            .await?;
        tenant.set_account(account.clone());
        Ok(account)
    }

    /// A new API key (`SK…` + secret) that authenticates as `tenant`.
    pub async fn create_api_key(
        &self,
        tenant: &Tenant,
        friendly_name: Option<String>,
    ) -> Result<ApiKey, CoreError> {
        let now = time::wall_now();
        let key = ApiKey {
            sid: ids::sid("SK"),
            account_sid: tenant.sid(),
            secret: ids::token(),
            friendly_name: friendly_name.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        self.store
            .write(store::PutApiKey { key: key.clone() })
            .await?;
        self.tenants.insert_api_key(key.clone());
        Ok(key)
    }

    /// One of a tenant's API keys.
    pub fn api_key(&self, tenant: &Tenant, sid: &str) -> Result<ApiKey, CoreError> {
        self.tenants
            .api_key(sid)
            .filter(|key| key.account_sid == tenant.sid())
            .ok_or(CoreError::NotFound)
    }

    pub async fn rename_api_key(
        &self,
        tenant: &Tenant,
        sid: &str,
        friendly_name: String,
    ) -> Result<ApiKey, CoreError> {
        let key = ApiKey {
            friendly_name,
            updated_at: time::wall_now(),
            ..self.api_key(tenant, sid)?
        };
        self.store
            .write(store::PutApiKey { key: key.clone() })
            .await?;
        self.tenants.insert_api_key(key.clone());
        Ok(key)
    }

    pub async fn delete_api_key(&self, tenant: &Tenant, sid: &str) -> Result<(), CoreError> {
        self.api_key(tenant, sid)?;
        self.store
            .write(store::DeleteApiKey {
                account_sid: tenant.sid(),
                sid: sid.to_owned(),
            })
            .await?;
        self.tenants.remove_api_key(sid);
        Ok(())
    }

    /// Every account, oldest first.
    pub fn accounts(&self) -> Vec<Account> {
        let mut accounts: Vec<Account> = self.tenants.all().iter().map(|t| t.account()).collect();
        accounts.sort_by(|a, b| (a.created_at, &a.sid).cmp(&(b.created_at, &b.sid)));
        accounts
    }

    /// Subaccounts of `owner` (and the owner itself), oldest first.
    pub fn accounts_visible_to(&self, owner: &str) -> Vec<Account> {
        self.accounts()
            .into_iter()
            .filter(|a| a.sid == owner || a.owner_account_sid.as_deref() == Some(owner))
            .collect()
    }

    /// Replace a tenant's rules. Rules without an id get one (`rule-N`).
    pub async fn set_rules(
        &self,
        tenant: &Tenant,
        mut rules: Vec<Rule>,
    ) -> Result<Vec<Rule>, CoreError> {
        name_rules(&mut rules, &[]);
        let book = RuleBook::new(rules.clone())?;
        self.store
            .write(store::SetRules {
                account_sid: tenant.sid(),
                rules: rules.clone(),
            })
            .await?;
        tenant.with_rules(|current| *current = book);
        Ok(rules)
    }

    /// Append a rule after the tenant's others. Counts of first-N rules already there carry on.
    pub async fn add_rule(&self, tenant: &Tenant, mut rule: Rule) -> Result<Rule, CoreError> {
        let existing = tenant.with_rules(|book| book.rules());
        name_rules(std::slice::from_mut(&mut rule), &existing);
        let mut all = existing;
        all.push(rule.clone());
        RuleBook::new(all.clone())?;
        self.store
            .write(store::SetRules {
                account_sid: tenant.sid(),
                rules: all,
            })
            .await?;
        tenant.with_rules(|book| book.push(rule.clone()))?;
        Ok(rule)
    }

    pub fn rules(&self, tenant: &Tenant) -> Vec<Rule> {
        tenant.with_rules(|book| book.rules())
    }

    /// A tenant for a test: a top-level account with fresh credentials, an API key and a
    /// WhatsApp identity. Returns the tenant and its key.
    pub async fn create_tenant(
        &self,
        label: Option<String>,
    ) -> Result<(Arc<Tenant>, ApiKey), CoreError> {
        let tenant = self.create_account(label, None, None).await?;
        let key = self
            .tenants
            .api_keys_of(&tenant.sid())
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt("a new tenant has no API key".into()))?;
        Ok((tenant, key))
    }

    /// Drop a tenant's data (messages, webhook attempts, pending jobs, events, opt-outs) and its
    /// rules (the config's account gets the config's back), and let its clock run; keep its
    /// credentials and numbers. Returns the sequence number of the reset's event.
    pub async fn reset_tenant(&self, tenant: &Tenant) -> Result<i64, CoreError> {
        let sid = tenant.sid();
        let rules = if sid == self.config_account.sid {
            self.config_rules()
        } else {
            Vec::new()
        };
        let book = RuleBook::new(rules.clone())?;
        self.resume_clock(tenant);
        let written = self
            .store
            .write(store::ResetTenant {
                account_sid: sid.clone(),
                rules,
                at: tenant.now(),
            })
            .await?;
        self.timers.drop_tenant(&sid);
        tenant.with_rules(|current| *current = book);
        tenant.set_opt_outs([]);
        Ok(written)
    }

    /// Remove a tenant and everything it owns. The config file's account stays.
    pub async fn delete_tenant(&self, tenant: &Tenant) -> Result<(), CoreError> {
        let sid = tenant.sid();
        if sid == self.config_account.sid {
            return Err(CoreError::FailedPrecondition(
                "the config file's account cannot be deleted; reset it instead".into(),
            ));
        }
        self.store
            .write(store::DeleteTenant {
                account_sid: sid.clone(),
            })
            .await?;
        self.tenants.remove(&sid);
        self.timers.drop_tenant(&sid);
        Ok(())
    }
}

/// Give every unnamed rule an id (`rule-N`) that neither its neighbours nor `existing` use.
fn name_rules(rules: &mut [Rule], existing: &[Rule]) {
    let mut taken: std::collections::HashSet<String> = existing
        .iter()
        .chain(rules.iter())
        .map(|r| r.id.clone())
        .collect();
    let mut next = existing.len() + 1;
    for rule in rules.iter_mut().filter(|r| r.id.is_empty()) {
        while taken.contains(&format!("rule-{next}")) {
            next += 1;
        }
        rule.id = format!("rule-{next}");
        taken.insert(rule.id.clone());
    }
}
