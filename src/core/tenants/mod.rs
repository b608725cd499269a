//! Tenants: isolated accounts. Every request is routed to one by the credentials it carries, and
//! nothing — messages, rules, numbers, events, clears — crosses from one tenant to another.
//!
//! The registry is an in-memory map in front of the `tenants`, `api_keys` and `phone_numbers`
//! tables: authentication happens on every request and must not cost a query.

mod accounts; // creating, updating, resetting and deleting tenants; API keys
pub mod numbers; // a tenant's phone numbers and their webhooks

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

use crate::core::ids;
use crate::core::messaging::HttpMethod;
use crate::core::rules::RuleBook;
use crate::core::time::{ClockMode, Millis};

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
    /// How the WhatsApp Cloud API facade knows this tenant.
    pub whatsapp: WhatsAppIdentity,
}

/// A WhatsApp Business identity — what an app configures to call the Cloud API as this tenant
/// and to check the webhooks it receives — and how the Cloud API treats its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsAppIdentity {
    /// The business phone number's id, in `/{version}/{phone-number-id}/messages`.
    pub phone_number_id: String,
    pub business_account_id: String,
    /// The bearer token the app sends.
    pub access_token: String,
    /// Signs webhooks (`X-Hub-Signature-256`).
    pub app_secret: String,
    /// Expected in the webhook verification challenge.
    pub verify_token: String,
    pub display_phone_number: String,
    /// Where Meta sends this number's webhooks (inbound messages, statuses): the app's callback
    /// URL. None until the app registers one; until then webhooks are recorded as not sent.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// What happens to a free-form message sent outside the 24-hour customer-service window.
    #[serde(default)]
    pub window: WindowPolicy,
    /// A test number's recipient list: when set, sending to anyone else fails with 131030.
    #[serde(default)]
    pub allowed_recipients: Option<Vec<String>>,
    /// Approved message templates.
    #[serde(default = "default_templates")]
    pub templates: Vec<WhatsAppTemplate>,
    /// The profile users see (`/{phone-number-id}/whatsapp_business_profile`).
    #[serde(default)]
    pub business_profile: BusinessProfile,
    /// Users the business blocked (`wa_id`s): they cannot be messaged and cannot write.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_users: Vec<String>,
    /// The number's Cloud API registration (`/register`, `/deregister`).
    #[serde(default)]
    pub registration: Registration,
    /// The number's `/settings` (calling, local storage) as the app last set them: JSON text
    /// the facade wrote, kept without being read; Meta's defaults until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_settings: Option<String>,
    /// QR codes and short links that open a chat with a prefilled message (`message_qrdls`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub qr_codes: Vec<QrCode>,
}

/// A WhatsApp QR code / short link: `wa.me/message/{code}` opens a chat with the business,
/// `prefilled_message` typed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrCode {
    pub code: String,
    pub prefilled_message: String,
}

/// A WhatsApp business profile: the texts and links users see on the business's page. Unset
/// fields are absent from Graph's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessProfile {
    pub about: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub profile_picture_url: Option<String>,
    /// At most two.
    #[serde(default)]
    pub websites: Vec<String>,
    /// Meta's industry code (`RETAIL`, `PROF_SERVICES`, …); `UNDEFINED` until set.
    pub vertical: Option<String>,
}

/// Whether the business number may send through the Cloud API. Numbers start registered, as a
/// test number does; a deregistered one sends nothing until it registers again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub deregistered: bool,
    /// The two-step verification PIN the last `/register` set.
    pub pin: Option<String>,
}

/// How the 24-hour customer-service window is enforced. Meta documents both forms: the send
/// call fails with 131047, or it is accepted and a `failed` status webhook carries 131047.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowPolicy {
    /// The send call answers 400 with 131047.
    #[default]
    Reject,
    /// The message is accepted, then fails: a `failed` status with 131047.
    FailLater,
    /// No window: free-form messages go out whenever.
    Off,
}

/// An approved WhatsApp message template, as the tenant's registry knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsAppTemplate {
    pub name: String,
    /// `en_US`, `pt_BR`, …
    pub language: String,
    /// `marketing`, `utility` or `authentication`: lower case, as status webhooks write it
    /// (`UTILITY`, Meta's API spelling, is read as `utility`).
    #[serde(default = "utility", deserialize_with = "lower_case")]
    pub category: String,
    /// How many parameters the body's text takes (`{{1}}`, `{{2}}`, …).
    #[serde(default)]
    pub body_parameters: u32,
    /// Meta's template id (the `hsm_id`). Templates created through the Graph API get one;
    /// those from the config or the control plane have none and are known by
    /// [`WhatsAppTemplate::template_id`], derived so it is the same on every start.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Meta's `components` array as the app created it (JSON text, which the core keeps
    /// without reading); none for templates from the config or the control plane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<String>,
}

impl WhatsAppTemplate {
    /// A registry entry with no id or components of its own, as the config writes one.
    pub fn new(name: &str, language: &str, category: &str, body_parameters: u32) -> Self {
        WhatsAppTemplate {
            name: name.into(),
            language: language.into(),
            category: category.into(),
            body_parameters,
            id: String::new(),
            components: None,
        }
    }

    /// The template's id: its own, or 15 digits derived from the business account, name and
    /// language (FNV-1a), stable across restarts and distinct per template.
    pub fn template_id(&self, business_account_id: &str) -> String {
        if !self.id.is_empty() {
            return self.id.clone();
        }
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in [business_account_id, "/", &self.name, "/", &self.language]
            .concat()
            .bytes()
        {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        // 15 digits starting with 1..9, as Meta's template ids are.
        (100_000_000_000_000 + hash % 900_000_000_000_000).to_string()
    }
}

fn utility() -> String {
    "utility".into()
}

fn lower_case<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer).map(|s| s.to_ascii_lowercase())
}

/// Every WhatsApp Business Account starts with Meta's sample template.
pub fn default_templates() -> Vec<WhatsAppTemplate> {
    vec![WhatsAppTemplate::new("hello_world", "en_US", "utility", 0)]
}

impl WhatsAppIdentity {
    /// A fresh identity with Meta's shapes: numeric ids, an `EAA…` token, a hex app secret.
    pub fn generate() -> Self {
        WhatsAppIdentity {
            phone_number_id: ids::digits(15),
            business_account_id: ids::digits(15),
            access_token: format!("EAAM{}", ids::hex(48)),
            app_secret: ids::hex(16),
            verify_token: ids::hex(12),
            display_phone_number: format!("1555{}", ids::digits(7)),
            webhook_url: None,
            window: WindowPolicy::default(),
            allowed_recipients: None,
            templates: default_templates(),
            business_profile: BusinessProfile::default(),
            blocked_users: Vec::new(),
            registration: Registration::default(),
            number_settings: None,
            qr_codes: Vec::new(),
        }
    }

    /// The display number as Meta writes it in webhooks and as Cloud API messages store it:
    /// digits only.
    pub fn business_number(&self) -> String {
        self.display_phone_number
            .chars()
            .filter(char::is_ascii_digit)
            .collect()
    }

    pub fn template(&self, name: &str, language: &str) -> Option<&WhatsAppTemplate> {
        self.templates
            .iter()
            .find(|t| t.name == name && t.language == language)
    }
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

/// Where one kind of a number's traffic goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    pub url: Option<String>,
    pub method: HttpMethod,
}

/// A phone number that belongs to a tenant, with where its traffic goes (Twilio's
/// `IncomingPhoneNumber`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneNumber {
    pub sid: String,
    pub account_sid: String,
    pub phone_number: String,
    pub friendly_name: String,
    /// Incoming messages.
    pub sms: Hook,
    /// Tried when the SMS URL fails.
    pub sms_fallback: Hook,
    pub voice: Hook,
    pub voice_fallback: Hook,
    /// Status of calls to the number.
    pub status_callback: Hook,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl PhoneNumber {
    pub fn new(account_sid: &str, number: &str, now: Millis) -> Self {
        PhoneNumber {
            sid: ids::sid("PN"),
            account_sid: account_sid.to_owned(),
            phone_number: number.to_owned(),
            friendly_name: number.to_owned(),
            sms: Hook::default(),
            sms_fallback: Hook::default(),
            voice: Hook::default(),
            voice_fallback: Hook::default(),
            status_callback: Hook::default(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// A user who texted STOP to one of the tenant's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OptOut {
    /// The tenant's number.
    pub sender: String,
    /// The user.
    pub recipient: String,
}

/// One tenant, shared by every request routed to it. The locks are std locks: they are held for
/// a few instructions and never across an await.
#[derive(Debug)]
pub struct Tenant {
    account: RwLock<Account>,
    rules: Mutex<RuleBook>,
    numbers: RwLock<Vec<PhoneNumber>>,
    opt_outs: RwLock<HashSet<OptOut>>,
    clock: Mutex<ClockMode>,
}

impl Tenant {
    pub fn new(account: Account, rules: RuleBook, numbers: Vec<PhoneNumber>) -> Self {
        Tenant {
            account: RwLock::new(account),
            rules: Mutex::new(rules),
            numbers: RwLock::new(numbers),
            opt_outs: RwLock::new(HashSet::new()),
            clock: Mutex::new(ClockMode::default()),
        }
    }

    pub fn account(&self) -> Account {
        read(&self.account).clone()
    }

    pub fn sid(&self) -> String {
        read(&self.account).sid.clone()
    }

    /// Change the account under its lock, so that two changes made at once both land; nothing
    /// changes when `change` refuses. Returns what `change` returned and the changed account.
    pub fn try_change_account<T, E>(
        &self,
        change: impl FnOnce(&mut Account) -> Result<T, E>,
    ) -> Result<(T, Account), E> {
        let mut account = self.account.write().unwrap_or_else(|e| e.into_inner());
        let mut draft = account.clone();
        let answer = change(&mut draft)?;
        *account = draft.clone();
        Ok((answer, draft))
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

    /// One of the tenant's numbers, by `PN…` SID or by the number itself.
    pub fn number(&self, sid_or_number: &str) -> Option<PhoneNumber> {
        read(&self.numbers)
            .iter()
            .find(|n| n.sid == sid_or_number || n.phone_number == sid_or_number)
            .cloned()
    }

    pub fn set_numbers(&self, numbers: Vec<PhoneNumber>) {
        *self.numbers.write().unwrap_or_else(|e| e.into_inner()) = numbers;
    }

    /// Add a number, or replace the one with the same SID.
    pub fn put_number(&self, number: PhoneNumber) {
        let mut numbers = self.numbers.write().unwrap_or_else(|e| e.into_inner());
        match numbers.iter_mut().find(|n| n.sid == number.sid) {
            Some(existing) => *existing = number,
            None => numbers.push(number),
        }
    }

    pub fn remove_number(&self, sid: &str) {
        self.numbers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|n| n.sid != sid);
    }

    /// Whether `recipient` has opted out of messages from `sender`; with no sender (a Messaging
    /// Service picks one), whether it opted out of any of the tenant's numbers.
    pub fn opted_out(&self, sender: Option<&str>, recipient: &str) -> bool {
        let opt_outs = read(&self.opt_outs);
        if opt_outs.is_empty() {
            return false;
        }
        match sender {
            Some(sender) => opt_outs.contains(&OptOut {
                sender: sender.to_owned(),
                recipient: recipient.to_owned(),
            }),
            None => opt_outs.iter().any(|o| o.recipient == recipient),
        }
    }

    pub fn set_opt_out(&self, opt_out: OptOut, opted_out: bool) {
        let mut opt_outs = self.opt_outs.write().unwrap_or_else(|e| e.into_inner());
        if opted_out {
            opt_outs.insert(opt_out);
        } else {
            opt_outs.remove(&opt_out);
        }
    }

    pub fn set_opt_outs(&self, all: impl IntoIterator<Item = OptOut>) {
        *self.opt_outs.write().unwrap_or_else(|e| e.into_inner()) = all.into_iter().collect();
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

    pub fn remove(&self, account_sid: &str) {
        self.tenants
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(account_sid);
        self.api_keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, key| key.account_sid != account_sid);
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

    /// An account's API keys, oldest first: the first is the one the account was created with.
    pub fn api_keys_of(&self, account_sid: &str) -> Vec<ApiKey> {
        let mut keys: Vec<ApiKey> = read(&self.api_keys)
            .values()
            .filter(|k| k.account_sid == account_sid)
            .cloned()
            .collect();
        keys.sort_by(|a, b| (a.created_at, &a.sid).cmp(&(b.created_at, &b.sid)));
        keys
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

impl Registry {
    /// The tenant whose WhatsApp business number has this id.
    pub fn by_phone_number_id(&self, phone_number_id: &str) -> Option<Arc<Tenant>> {
        read(&self.tenants)
            .values()
            .find(|t| read(&t.account).whatsapp.phone_number_id == phone_number_id)
            .cloned()
    }

    /// The tenant whose WhatsApp Business Account has this id.
    pub fn by_business_account_id(&self, business_account_id: &str) -> Option<Arc<Tenant>> {
        read(&self.tenants)
            .values()
            .find(|t| read(&t.account).whatsapp.business_account_id == business_account_id)
            .cloned()
    }

    /// The tenant a Cloud API access token belongs to. Constant-time in the token.
    pub fn by_access_token(&self, token: &str) -> Option<Arc<Tenant>> {
        read(&self.tenants)
            .values()
            .find(|t| constant_time_eq(&read(&t.account).whatsapp.access_token, token))
            .cloned()
    }
}

fn constant_time_eq(expected: &str, given: &str) -> bool {
    crate::core::crypto::constant_time_eq(expected.as_bytes(), given.as_bytes())
}
