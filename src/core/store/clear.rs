//! Tenant-wide removals: a reset, a tenant's deletion, and the clears of the control plane.

use std::sync::Arc;

use rusqlite::{Transaction, params};
use serde::Serialize;

use super::accounts::set_rules;
use super::events::insert_event;
use super::{StoreError, WriteOp};
use crate::core::events::{Event, EventData, NewEvent};
use crate::core::rules::Rule;
use crate::core::time::Millis;

/// Which stored data a clear removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearWhat {
    Messages,
    Calls,
    Callbacks,
    All,
}

/// How many rows a clear removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Cleared {
    pub messages: u64,
    pub calls: u64,
    pub callbacks: u64,
}

/// Remove stored data of one tenant, or of every tenant when `account_sid` is none.
#[derive(Debug, Clone)]
pub struct Clear {
    pub account_sid: Option<String>,
    pub what: ClearWhat,
    pub at: Millis,
}

impl WriteOp for Clear {
    type Output = Cleared;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<Cleared, StoreError> {
        let Clear {
            account_sid,
            what,
            at,
        } = self;
        let mut cleared = Cleared::default();
        // `?1 IS NULL` selects every tenant: the seed's /clear routes wipe the server.
        let delete = |sql: &str| -> Result<u64, StoreError> {
            Ok(tx.prepare_cached(sql)?.execute(params![account_sid])? as u64)
        };
        if matches!(what, ClearWhat::Messages | ClearWhat::All) {
            cleared.messages = delete("DELETE FROM messages WHERE ?1 IS NULL OR account_sid = ?1")?;
            // A call's jobs (its steps and callbacks) are keyed by its CA… SID.
            delete(
                "DELETE FROM jobs WHERE (?1 IS NULL OR account_sid = ?1) AND resource_sid NOT LIKE 'CA%'",
            )?;
        }
        if matches!(what, ClearWhat::Calls | ClearWhat::All) {
            cleared.calls = delete("DELETE FROM calls WHERE ?1 IS NULL OR account_sid = ?1")?;
            delete("DELETE FROM recordings WHERE ?1 IS NULL OR account_sid = ?1")?;
            delete(
                "DELETE FROM jobs WHERE (?1 IS NULL OR account_sid = ?1) AND resource_sid LIKE 'CA%'",
            )?;
        }
        if matches!(what, ClearWhat::Callbacks | ClearWhat::All) {
            cleared.callbacks =
                delete("DELETE FROM callback_attempts WHERE ?1 IS NULL OR account_sid = ?1")?;
        }
        if *what == ClearWhat::All {
            delete("DELETE FROM events WHERE ?1 IS NULL OR account_sid = ?1")?;
        }
        if let Some(account_sid) = account_sid {
            let scope = match what {
                ClearWhat::Messages => "messages",
                ClearWhat::Calls => "calls",
                ClearWhat::Callbacks => "callbacks",
                ClearWhat::All => "all",
            };
            let event = NewEvent {
                account_sid: account_sid.clone(),
                at: *at,
                data: EventData::DataCleared {
                    scope: scope.into(),
                },
            };
            published.push(insert_event(tx, &event)?);
        }
        Ok(cleared)
    }
}

/// Drop a tenant's data and opt-outs and give it `rules`; keep its credentials and numbers.
/// Answers the sequence number of the reset's event.
#[derive(Debug, Clone)]
pub struct ResetTenant {
    pub account_sid: String,
    pub rules: Vec<Rule>,
    pub at: Millis,
}

impl WriteOp for ResetTenant {
    type Output = i64;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<i64, StoreError> {
        let ResetTenant {
            account_sid,
            rules,
            at,
        } = self;
        for sql in [
            "DELETE FROM messages WHERE account_sid = ?1",
            "DELETE FROM calls WHERE account_sid = ?1",
            "DELETE FROM recordings WHERE account_sid = ?1",
            "DELETE FROM jobs WHERE account_sid = ?1",
            "DELETE FROM callback_attempts WHERE account_sid = ?1",
            "DELETE FROM events WHERE account_sid = ?1",
            "DELETE FROM opt_outs WHERE account_sid = ?1",
            "DELETE FROM whatsapp_media WHERE account_sid = ?1",
            "DELETE FROM whatsapp_users WHERE account_sid = ?1",
        ] {
            tx.prepare_cached(sql)?.execute(params![account_sid])?;
        }
        set_rules(tx, account_sid, rules)?;
        let event = insert_event(
            tx,
            &NewEvent {
                account_sid: account_sid.clone(),
                at: *at,
                data: EventData::DataCleared {
                    scope: "reset".into(),
                },
            },
        )?;
        let seq = event.seq;
        published.push(event);
        Ok(seq)
    }
}

/// Remove a tenant and everything it owns.
#[derive(Debug, Clone)]
pub struct DeleteTenant {
    pub account_sid: String,
}

impl WriteOp for DeleteTenant {
    type Output = ();

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError> {
        let DeleteTenant { account_sid } = self;
        for sql in [
            "DELETE FROM messages WHERE account_sid = ?1",
            "DELETE FROM calls WHERE account_sid = ?1",
            "DELETE FROM recordings WHERE account_sid = ?1",
            "DELETE FROM jobs WHERE account_sid = ?1",
            "DELETE FROM callback_attempts WHERE account_sid = ?1",
            "DELETE FROM events WHERE account_sid = ?1",
            // Keys, numbers, opt-outs, WhatsApp media and users go with the row (ON DELETE CASCADE).
            "DELETE FROM tenants WHERE sid = ?1",
        ] {
            tx.prepare_cached(sql)?.execute(params![account_sid])?;
        }
        Ok(())
    }
}
