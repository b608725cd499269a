//! Accounts as tenants: created (by the API, the control plane or an unauthenticated request
//! that names a new SID), updated, given API keys, reset between tests and deleted.

use std::sync::Arc;

use crate::core::rules::{Rule, RuleBook};
use crate::core::store::{self, StoreError};
use crate::core::tenants::{Account, AccountStatus, ApiKey, PhoneNumber, Tenant, WhatsAppIdentity};
use crate::core::{Core, CoreError, ids, time};

impl Core {
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

    /// An account's API keys, oldest first: the first is the one it was created with.
    pub fn api_keys(&self, account_sid: &str) -> Vec<ApiKey> {
        self.tenants.api_keys_of(account_sid)
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
