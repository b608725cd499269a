//! Tenants: isolated accounts. Every request is routed to one by the credentials it carries, and
//! nothing — messages, rules, numbers, events, clears — crosses from one tenant to another.
//!
//! The registry is an in-memory map in front of the `tenants`, `api_keys` and `phone_numbers`
//! tables: authentication happens on every request and must not cost a query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use super::rules::RuleBook;
use super::time::{ClockMode, Millis};

/// Twilio's account status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Suspended,
    Closed,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Closed => "closed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "active" => AccountStatus::Active,
            "suspended" => AccountStatus::Suspended,
            "closed" => AccountStatus::Closed,
            _ => return None,
        })
    }
}

/// A tenant's identity and credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub sid: String,
    pub auth_token: String,
    pub friendly_name: String,
    /// The parent of a subaccount.
    pub owner_account_sid: Option<String>,
    pub status: AccountStatus,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A Twilio API key (`SK…` + secret) that authenticates as its account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub sid: String,
    pub account_sid: String,
    pub secret: String,
    pub friendly_name: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A phone number that belongs to a tenant, with where its traffic goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneNumber {
    pub sid: String,
    pub account_sid: String,
    pub phone_number: String,
    pub friendly_name: String,
    pub sms_url: Option<String>,
    pub sms_method: String,
    pub created_at: Millis,
}

/// One tenant, shared by every request routed to it. The locks are std locks: they are held for
/// a few instructions and never across an await.
#[derive(Debug)]
pub struct Tenant {
    account: RwLock<Account>,
    rules: Mutex<RuleBook>,
    numbers: RwLock<Vec<PhoneNumber>>,
    clock: Mutex<ClockMode>,
}

impl Tenant {
    pub fn new(account: Account, rules: RuleBook, numbers: Vec<PhoneNumber>) -> Self {
        Tenant {
            account: RwLock::new(account),
            rules: Mutex::new(rules),
            numbers: RwLock::new(numbers),
            clock: Mutex::new(ClockMode::default()),
        }
    }

    pub fn account(&self) -> Account {
        read(&self.account).clone()
    }

    pub fn sid(&self) -> String {
        read(&self.account).sid.clone()
    }

    pub fn set_account(&self, account: Account) {
        *self.account.write().unwrap_or_else(|e| e.into_inner()) = account;
    }

    pub fn with_rules<T>(&self, f: impl FnOnce(&mut RuleBook) -> T) -> T {
        f(&mut self.rules.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn numbers(&self) -> Vec<PhoneNumber> {
        read(&self.numbers).clone()
    }

    pub fn owns_number(&self, number: &str) -> bool {
        read(&self.numbers).iter().any(|n| n.phone_number == number)
    }

    pub fn set_numbers(&self, numbers: Vec<PhoneNumber>) {
        *self.numbers.write().unwrap_or_else(|e| e.into_inner()) = numbers;
    }

    pub fn clock(&self) -> ClockMode {
        *self.clock.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_clock(&self, mode: ClockMode) {
        *self.clock.lock().unwrap_or_else(|e| e.into_inner()) = mode;
    }

    /// The tenant's current time.
    pub fn now(&self) -> Millis {
        self.clock().now()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

/// Every tenant by account SID, and every API key.
#[derive(Debug, Default)]
pub struct Registry {
    tenants: RwLock<HashMap<String, Arc<Tenant>>>,
    api_keys: RwLock<HashMap<String, ApiKey>>,
}

impl Registry {
    pub fn get(&self, account_sid: &str) -> Option<Arc<Tenant>> {
        read(&self.tenants).get(account_sid).cloned()
    }

    pub fn insert(&self, tenant: Arc<Tenant>) {
        let sid = tenant.sid();
        self.tenants
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(sid, tenant);
    }

    pub fn all(&self) -> Vec<Arc<Tenant>> {
        read(&self.tenants).values().cloned().collect()
    }

    pub fn insert_api_key(&self, key: ApiKey) {
        self.api_keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.sid.clone(), key);
    }

    pub fn remove_api_key(&self, sid: &str) {
        self.api_keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(sid);
    }

    pub fn api_key(&self, sid: &str) -> Option<ApiKey> {
        read(&self.api_keys).get(sid).cloned()
    }

    pub fn api_keys_of(&self, account_sid: &str) -> Vec<ApiKey> {
        read(&self.api_keys)
            .values()
            .filter(|k| k.account_sid == account_sid)
            .cloned()
            .collect()
    }

    /// The account a pair of Basic credentials authenticates as: an account SID with its auth
    /// token, or an API key SID with its secret. Comparison is constant-time in the secret.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<Arc<Tenant>> {
        if let Some(key) = self.api_key(username) {
            return constant_time_eq(&key.secret, password)
                .then(|| self.get(&key.account_sid))
                .flatten();
        }
        let tenant = self.get(username)?;
        constant_time_eq(&tenant.account().auth_token, password).then_some(tenant)
    }
}

fn constant_time_eq(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}
