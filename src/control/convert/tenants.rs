//! Tenants and their phone numbers (the Tenants and Numbers services).

use super::messages::method;
use super::timestamp;
use super::whatsapp::whatsapp_identity;
use crate::core::tenants::{Account, ApiKey, PhoneNumber};
use crate::proto;

pub fn tenant(account: &Account, key: Option<&ApiKey>) -> proto::Tenant {
    proto::Tenant {
        account_sid: account.sid.clone(),
        auth_token: account.auth_token.clone(),
        api_key_sid: key.map(|k| k.sid.clone()).unwrap_or_default(),
        api_key_secret: key.map(|k| k.secret.clone()).unwrap_or_default(),
        label: account.friendly_name.clone(),
        whatsapp: Some(whatsapp_identity(&account.whatsapp)),
        created_at: timestamp(account.created_at),
    }
}

pub fn number(n: &PhoneNumber) -> proto::PhoneNumber {
    proto::PhoneNumber {
        sid: n.sid.clone(),
        account_sid: n.account_sid.clone(),
        phone_number: n.phone_number.clone(),
        friendly_name: n.friendly_name.clone(),
        sms_url: n.sms.url.clone().unwrap_or_default(),
        sms_method: method(n.sms.method),
        sms_fallback_url: n.sms_fallback.url.clone().unwrap_or_default(),
        sms_fallback_method: method(n.sms_fallback.method),
        voice_url: n.voice.url.clone().unwrap_or_default(),
        voice_method: method(n.voice.method),
        created_at: timestamp(n.created_at),
        updated_at: timestamp(n.updated_at),
    }
}
