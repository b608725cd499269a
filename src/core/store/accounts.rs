//! Accounts (the `tenants` table), their API keys and rules, and the whole registry read back at
//! start.

use std::sync::Arc;

use rusqlite::{Connection, Transaction, params};

use super::events::insert_event;
use super::jobs::{Job, NewJob, insert_job};
use super::numbers::{all_numbers, all_opt_outs, put_number};
use super::{StoreError, WriteOp, json, removed};
use crate::core::events::{Event, EventData, NewEvent};
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

// ---------------------------------------------------------------------------------------------
// Writes.

/// Insert or replace an account with its keys, numbers and rules.
#[derive(Debug, Clone)]
pub struct PutAccount {
    pub account: Account,
    pub api_keys: Vec<ApiKey>,
    pub numbers: Vec<PhoneNumber>,
    pub rules: Vec<Rule>,
    pub announce: bool,
}

impl WriteOp for PutAccount {
    type Output = ();

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError> {
        let PutAccount {
            account,
            api_keys,
            numbers,
            rules,
            announce,
        } = self;
        tx.prepare_cached(
            "INSERT INTO tenants (sid, auth_token, friendly_name, owner_account_sid, status, rules, created_at, updated_at, whatsapp)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (sid) DO UPDATE SET auth_token = excluded.auth_token,
               friendly_name = excluded.friendly_name, owner_account_sid = excluded.owner_account_sid,
               status = excluded.status, rules = excluded.rules, updated_at = excluded.updated_at,
               whatsapp = excluded.whatsapp",
        )?
        .execute(params![
            account.sid,
            account.auth_token,
            account.friendly_name,
            account.owner_account_sid,
            account.status.as_str(),
            json(rules)?,
            account.created_at,
            account.updated_at,
            json(&account.whatsapp)?,
        ])?;
        for key in api_keys {
            insert_api_key(tx, key)?;
        }
        for number in numbers {
            put_number(tx, number)?;
        }
        if *announce {
            let event = NewEvent {
                account_sid: account.sid.clone(),
                at: account.created_at,
                data: EventData::AccountCreated {
                    friendly_name: account.friendly_name.clone(),
                },
            };
            published.push(insert_event(tx, &event)?);
        }
        Ok(())
    }
}

/// Store an account's name, status and WhatsApp identity.
#[derive(Debug, Clone)]
pub struct UpdateAccount {
    pub account: Account,
}

impl WriteOp for UpdateAccount {
    type Output = ();

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError> {
        let UpdateAccount { account } = self;
        tx.prepare_cached("UPDATE tenants SET friendly_name = ?1, status = ?2, updated_at = ?3, whatsapp = ?4 WHERE sid = ?5")?
            .execute(params![account.friendly_name, account.status.as_str(), account.updated_at, json(&account.whatsapp)?, account.sid])?;
        Ok(())
    }
}

/// Store an account's WhatsApp identity with the webhook the change raises (a template's
/// status update), in one transaction: the change is never stored without its webhook.
#[derive(Debug, Clone)]
pub struct UpdateAccountAndNotify {
    pub account: Account,
    pub deliver: Option<NewJob>,
}

impl WriteOp for UpdateAccountAndNotify {
    type Output = Vec<Job>;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<Vec<Job>, StoreError> {
        UpdateAccount {
            account: self.account.clone(),
        }
        .apply(tx, published)?;
        self.deliver.iter().map(|job| insert_job(tx, job)).collect()
    }
}

/// Replace a tenant's rules.
#[derive(Debug, Clone)]
pub struct SetRules {
    pub account_sid: String,
    pub rules: Vec<Rule>,
}

impl WriteOp for SetRules {
    type Output = ();

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError> {
        let SetRules { account_sid, rules } = self;
        set_rules(tx, account_sid, rules)
    }
}

/// Insert or replace an API key.
#[derive(Debug, Clone)]
pub struct PutApiKey {
    pub key: ApiKey,
}

impl WriteOp for PutApiKey {
    type Output = ();

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError> {
        let PutApiKey { key } = self;
        insert_api_key(tx, key)
    }
}

/// Forget an API key; answers whether it existed.
#[derive(Debug, Clone)]
pub struct DeleteApiKey {
    pub account_sid: String,
    pub sid: String,
}

impl WriteOp for DeleteApiKey {
    type Output = bool;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<bool, StoreError> {
        let DeleteApiKey { account_sid, sid } = self;
        removed(
            tx,
            "DELETE FROM api_keys WHERE sid = ?1 AND account_sid = ?2",
            params![sid, account_sid],
        )
    }
}
