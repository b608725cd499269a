//! Accounts (the `tenants` table), their API keys and rules, and the whole registry read back at
//! start.

use rusqlite::{Connection, params};

use super::numbers::{all_numbers, all_opt_outs};
use super::{StoreError, json};
use crate::core::rules::Rule;
use crate::core::tenants::{Account, AccountStatus, ApiKey, OptOut, PhoneNumber, WhatsAppIdentity};

/// Everything needed to rebuild the tenant registry at start.
pub struct StoredTenant {
    pub account: Account,
    pub rules: Vec<Rule>,
    pub api_keys: Vec<ApiKey>,
    pub numbers: Vec<PhoneNumber>,
    pub opt_outs: Vec<OptOut>,
    /// The account had no WhatsApp identity yet (a database from before there were any): it
    /// was given one, which the caller stores.
    pub needs_whatsapp: bool,
}

pub fn load_tenants(conn: &Connection) -> Result<Vec<StoredTenant>, StoreError> {
    let mut keys = conn.prepare(
        "SELECT sid, account_sid, secret, friendly_name, created_at, updated_at FROM api_keys",
    )?;
    let keys = keys
        .query_map([], |row| {
            Ok(ApiKey {
                sid: row.get(0)?,
                account_sid: row.get(1)?,
                secret: row.get(2)?,
                friendly_name: row.get(3)?,
                created_at: row.get(4)?,
                updated_at: row.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let numbers = all_numbers(conn)?;
    let opt_outs = all_opt_outs(conn)?;
    let mut tenants = conn.prepare(
        "SELECT sid, auth_token, friendly_name, owner_account_sid, status, rules, created_at, updated_at, whatsapp FROM tenants",
    )?;
    let rows = tenants.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, Option<String>>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
            row.get::<_, i64>(6)?,
            row.get::<_, i64>(7)?,
            row.get::<_, Option<String>>(8)?,
        ))
    })?;
    let mut stored = Vec::new();
    for row in rows {
        let (
            sid,
            auth_token,
            friendly_name,
            owner_account_sid,
            status,
            rules_json,
            created_at,
            updated_at,
            whatsapp,
        ) = row?;
        let stored_sid = sid.clone();
        let whatsapp = whatsapp
            .map(|json| serde_json::from_str::<WhatsAppIdentity>(&json))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("WhatsApp identity of {sid}: {e}")))?;
        stored.push(StoredTenant {
            api_keys: keys
                .iter()
                .filter(|k| k.account_sid == sid)
                .cloned()
                .collect(),
            numbers: numbers
                .iter()
                .filter(|n| n.account_sid == sid)
                .cloned()
                .collect(),
            opt_outs: opt_outs
                .iter()
                .filter(|(account_sid, _)| *account_sid == sid)
                .map(|(_, opt_out)| opt_out.clone())
                .collect(),
            needs_whatsapp: whatsapp.is_none(),
            account: Account {
                whatsapp: whatsapp.unwrap_or_else(WhatsAppIdentity::generate),
                status: AccountStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("account status {status:?}")))?,
                sid,
                auth_token,
                friendly_name,
                owner_account_sid,
                created_at,
                updated_at,
            },
            rules: serde_json::from_str(&rules_json)
                .map_err(|e| StoreError::Corrupt(format!("rules of {}: {e}", stored_sid)))?,
        });
    }
    Ok(stored)
}

pub(super) fn set_rules(
    conn: &Connection,
    account_sid: &str,
    rules: &[Rule],
) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE tenants SET rules = ?1 WHERE sid = ?2")?
        .execute(params![json(&rules)?, account_sid])?;
    Ok(())
}

pub(super) fn insert_api_key(conn: &Connection, key: &ApiKey) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO api_keys (sid, account_sid, secret, friendly_name, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        key.sid,
        key.account_sid,
        key.secret,
        key.friendly_name,
        key.created_at,
        key.updated_at,
    ])?;
    Ok(())
}
