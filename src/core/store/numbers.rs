//! A tenant's phone numbers, and the opt-outs of its senders.

use std::sync::Arc;

use rusqlite::{Connection, Transaction, params};

use super::{StoreError, WriteOp, removed};
use crate::core::events::Event;
use crate::core::messaging::HttpMethod;
use crate::core::tenants::{Hook, OptOut, PhoneNumber};
use crate::core::time::Millis;

pub(super) fn put_number(conn: &Connection, n: &PhoneNumber) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO phone_numbers (sid, account_sid, phone_number, friendly_name, sms_url, sms_method,
           sms_fallback_url, sms_fallback_method, voice_url, voice_method, voice_fallback_url,
           voice_fallback_method, status_callback, status_callback_method, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT (sid) DO UPDATE SET friendly_name = excluded.friendly_name,
           sms_url = excluded.sms_url, sms_method = excluded.sms_method,
           sms_fallback_url = excluded.sms_fallback_url, sms_fallback_method = excluded.sms_fallback_method,
           voice_url = excluded.voice_url, voice_method = excluded.voice_method,
           voice_fallback_url = excluded.voice_fallback_url, voice_fallback_method = excluded.voice_fallback_method,
           status_callback = excluded.status_callback, status_callback_method = excluded.status_callback_method,
           updated_at = excluded.updated_at
         ON CONFLICT (account_sid, phone_number) DO NOTHING",
    )?
    .execute(params![
        n.sid,
        n.account_sid,
        n.phone_number,
        n.friendly_name,
        n.sms.url,
        n.sms.method.as_str(),
        n.sms_fallback.url,
        n.sms_fallback.method.as_str(),
        n.voice.url,
        n.voice.method.as_str(),
        n.voice_fallback.url,
        n.voice_fallback.method.as_str(),
        n.status_callback.url,
        n.status_callback.method.as_str(),
        n.created_at,
        n.updated_at,
    ])?;
    Ok(())
}

fn hook(url: Option<String>, method: String) -> Hook {
    Hook {
        url,
        method: HttpMethod::parse(&method).unwrap_or_default(),
    }
}

/// Every stored number, oldest first.
pub(super) fn all_numbers(conn: &Connection) -> Result<Vec<PhoneNumber>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT sid, account_sid, phone_number, friendly_name, sms_url, sms_method, sms_fallback_url,
           sms_fallback_method, voice_url, voice_method, voice_fallback_url, voice_fallback_method,
           status_callback, status_callback_method, created_at, updated_at
         FROM phone_numbers ORDER BY created_at, sid",
    )?;
    let numbers = statement
        .query_map([], |row| {
            Ok(PhoneNumber {
                sid: row.get(0)?,
                account_sid: row.get(1)?,
                phone_number: row.get(2)?,
                friendly_name: row.get(3)?,
                sms: hook(row.get(4)?, row.get(5)?),
                sms_fallback: hook(row.get(6)?, row.get(7)?),
                voice: hook(row.get(8)?, row.get(9)?),
                voice_fallback: hook(row.get(10)?, row.get(11)?),
                status_callback: hook(row.get(12)?, row.get(13)?),
                created_at: row.get(14)?,
                updated_at: row.get(15)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(numbers)
}

/// Every opt-out, with the account it belongs to.
pub(super) fn all_opt_outs(conn: &Connection) -> Result<Vec<(String, OptOut)>, StoreError> {
    let mut statement = conn.prepare("SELECT account_sid, sender, recipient FROM opt_outs")?;
    let opt_outs = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                OptOut {
                    sender: row.get(1)?,
                    recipient: row.get(2)?,
                },
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(opt_outs)
}

// ---------------------------------------------------------------------------------------------
// Writes.

/// Insert or replace a phone number (by SID).
#[derive(Debug, Clone)]
pub struct PutNumber {
    pub number: PhoneNumber,
}

impl WriteOp for PutNumber {
    type Output = ();

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError> {
        let PutNumber { number } = self;
        put_number(tx, number)
    }
}

/// Release a phone number; answers whether it existed.
#[derive(Debug, Clone)]
pub struct DeleteNumber {
    pub account_sid: String,
    pub sid: String,
}

impl WriteOp for DeleteNumber {
    type Output = bool;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<bool, StoreError> {
        let DeleteNumber { account_sid, sid } = self;
        removed(
            tx,
            "DELETE FROM phone_numbers WHERE sid = ?1 AND account_sid = ?2",
            params![sid, account_sid],
        )
    }
}

/// Record that a recipient opted out of a sender (`opted_out`), or back in.
#[derive(Debug, Clone)]
pub struct SetOptOut {
    pub account_sid: String,
    pub opt_out: OptOut,
    pub opted_out: bool,
    pub at: Millis,
}

impl WriteOp for SetOptOut {
    type Output = ();

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError> {
        let SetOptOut {
            account_sid,
            opt_out,
            opted_out,
            at,
        } = self;
        if *opted_out {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO opt_outs (account_sid, sender, recipient, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![account_sid, opt_out.sender, opt_out.recipient, at])?;
        } else {
            tx.prepare_cached(
                "DELETE FROM opt_outs WHERE account_sid = ?1 AND sender = ?2 AND recipient = ?3",
            )?
            .execute(params![account_sid, opt_out.sender, opt_out.recipient])?;
        }
        Ok(())
    }
}
