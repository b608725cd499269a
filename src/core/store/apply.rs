//! How each [`Write`] changes the database, and the events it appends.

use std::sync::Arc;

use rusqlite::{Connection, params};

use super::accounts::{insert_api_key, set_rules};
use super::attempts::insert_attempt;
use super::events::insert_event;
use super::jobs::{cancel_jobs, claim_job, insert_job};
use super::messages::{change_status, fetch_message, insert_message};
use super::numbers::put_number;
use super::{ClearWhat, Cleared, StoreError, Write, WriteResult, json};
use crate::core::events::{Event, EventData, NewEvent};
use crate::core::messages::{MessageStatus, MessageUpdate};

pub(super) fn apply(
    conn: &Connection,
    write: &Write,
    published: &mut Vec<Arc<Event>>,
) -> Result<WriteResult, StoreError> {
    match write {
        Write::PutAccount {
            account,
            api_keys,
            numbers,
            rules,
            announce,
        } => {
            conn.prepare_cached(
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
                insert_api_key(conn, key)?;
            }
            for number in numbers {
                put_number(conn, number)?;
            }
            if *announce {
                let event = NewEvent {
                    account_sid: account.sid.clone(),
                    at: account.created_at,
                    data: EventData::AccountCreated {
                        friendly_name: account.friendly_name.clone(),
                    },
                };
                published.push(insert_event(conn, &event)?);
            }
            Ok(WriteResult::Done)
        }
        Write::UpdateAccount { account } => {
            conn.prepare_cached("UPDATE tenants SET friendly_name = ?1, status = ?2, updated_at = ?3, whatsapp = ?4 WHERE sid = ?5")?
                .execute(params![account.friendly_name, account.status.as_str(), account.updated_at, json(&account.whatsapp)?, account.sid])?;
            Ok(WriteResult::Done)
        }
        Write::SetRules { account_sid, rules } => {
            set_rules(conn, account_sid, rules)?;
            Ok(WriteResult::Done)
        }
        Write::PutApiKey { key } => {
            insert_api_key(conn, key)?;
            Ok(WriteResult::Done)
        }
        Write::DeleteApiKey { account_sid, sid } => Ok(WriteResult::Deleted(
            conn.prepare_cached("DELETE FROM api_keys WHERE sid = ?1 AND account_sid = ?2")?
                .execute(params![sid, account_sid])?
                > 0,
        )),
        Write::CreateMessage {
            message,
            job,
            events,
        } => {
            insert_message(conn, message)?;
            for event in events {
                published.push(insert_event(conn, event)?);
            }
            let jobs = job
                .iter()
                .map(|job| insert_job(conn, job))
                .collect::<Result<_, _>>()?;
            Ok(WriteResult::Jobs(jobs))
        }
        Write::ApplyStep {
            job_id,
            account_sid,
            sid,
            step,
            at,
            next,
        } => {
            if !claim_job(conn, *job_id)? {
                return Ok(WriteResult::Stale);
            }
            let Some(event) = change_status(conn, account_sid, sid, step, *at)? else {
                return Ok(WriteResult::Stale);
            };
            published.push(event);
            let jobs = next
                .iter()
                .map(|job| insert_job(conn, job))
                .collect::<Result<_, _>>()?;
            Ok(WriteResult::Jobs(jobs))
        }
        Write::RecordAttempt {
            job_id,
            attempt,
            retry,
            to,
            from,
        } => {
            let claimed = match job_id {
                Some(id) => claim_job(conn, *id)?,
                None => false,
            };
            let recorded = insert_attempt(conn, attempt)?;
            let event = NewEvent {
                account_sid: attempt.account_sid.clone(),
                at: attempt.created_at,
                data: EventData::CallbackAttempted {
                    attempt: recorded.clone(),
                    to: to.clone(),
                    from: from.clone(),
                },
            };
            published.push(insert_event(conn, &event)?);
            // A delivery whose message was deleted meanwhile is not retried.
            let jobs = match retry {
                Some(retry) if claimed => vec![insert_job(conn, retry)?],
                _ => Vec::new(),
            };
            Ok(WriteResult::Recorded {
                attempt: Box::new(recorded),
                jobs,
            })
        }
        Write::SetStatus {
            account_sid,
            sid,
            step,
            at,
            deliver,
        } => {
            let Some(event) = change_status(conn, account_sid, sid, step, *at)? else {
                return Ok(WriteResult::Message(None));
            };
            published.push(event);
            // The script's remaining steps go; webhooks already due still go out.
            conn.prepare_cached(
                "DELETE FROM jobs WHERE resource_sid = ?1 AND json_extract(payload, '$.type') = 'lifecycle'",
            )?
            .execute(params![sid])?;
            let jobs = deliver
                .iter()
                .map(|job| insert_job(conn, job))
                .collect::<Result<_, _>>()?;
            match fetch_message(conn, account_sid, sid)? {
                Some(message) => Ok(WriteResult::Changed {
                    message: Box::new(message),
                    jobs,
                }),
                None => Ok(WriteResult::Message(None)),
            }
        }
        Write::PutNumber { number } => {
            put_number(conn, number)?;
            Ok(WriteResult::Done)
        }
        Write::DeleteNumber { account_sid, sid } => Ok(WriteResult::Deleted(
            conn.prepare_cached("DELETE FROM phone_numbers WHERE sid = ?1 AND account_sid = ?2")?
                .execute(params![sid, account_sid])?
                > 0,
        )),
        Write::SetOptOut {
            account_sid,
            opt_out,
            opted_out,
            at,
        } => {
            if *opted_out {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO opt_outs (account_sid, sender, recipient, created_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![account_sid, opt_out.sender, opt_out.recipient, at])?;
            } else {
                conn.prepare_cached(
                    "DELETE FROM opt_outs WHERE account_sid = ?1 AND sender = ?2 AND recipient = ?3",
                )?
                .execute(params![account_sid, opt_out.sender, opt_out.recipient])?;
            }
            Ok(WriteResult::Done)
        }
        Write::ResetTenant {
            account_sid,
            rules,
            at,
        } => {
            for sql in [
                "DELETE FROM messages WHERE account_sid = ?1",
                "DELETE FROM jobs WHERE account_sid = ?1",
                "DELETE FROM callback_attempts WHERE account_sid = ?1",
                "DELETE FROM events WHERE account_sid = ?1",
                "DELETE FROM opt_outs WHERE account_sid = ?1",
                "DELETE FROM whatsapp_media WHERE account_sid = ?1",
            ] {
                conn.prepare_cached(sql)?.execute(params![account_sid])?;
            }
            set_rules(conn, account_sid, rules)?;
            let event = insert_event(
                conn,
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
            Ok(WriteResult::Sequence(seq))
        }
        Write::DeleteTenant { account_sid } => {
            for sql in [
                "DELETE FROM messages WHERE account_sid = ?1",
                "DELETE FROM jobs WHERE account_sid = ?1",
                "DELETE FROM callback_attempts WHERE account_sid = ?1",
                "DELETE FROM events WHERE account_sid = ?1",
                // Keys, numbers, opt-outs and WhatsApp media go with the row (ON DELETE CASCADE).
                "DELETE FROM tenants WHERE sid = ?1",
            ] {
                conn.prepare_cached(sql)?.execute(params![account_sid])?;
            }
            Ok(WriteResult::Done)
        }
        Write::Event(event) => {
            let event = insert_event(conn, event)?;
            let seq = event.seq;
            published.push(event);
            Ok(WriteResult::Sequence(seq))
        }
        Write::UpdateMessage {
            account_sid,
            sid,
            update,
            at,
        } => {
            let (sql, data) = match update {
                MessageUpdate::Redact => (
                    "UPDATE messages SET body = '', updated_at = ?1 WHERE sid = ?2 AND account_sid = ?3",
                    EventData::MessageRedacted { sid: sid.clone() },
                ),
                MessageUpdate::Cancel => (
                    "UPDATE messages SET status = 'canceled', updated_at = ?1 WHERE sid = ?2 AND account_sid = ?3",
                    EventData::MessageStatusChanged {
                        sid: sid.clone(),
                        to: String::new(),
                        from: None,
                        previous: MessageStatus::Scheduled,
                        status: MessageStatus::Canceled,
                        error_code: None,
                    },
                ),
            };
            if conn
                .prepare_cached(sql)?
                .execute(params![at, sid, account_sid])?
                == 0
            {
                return Ok(WriteResult::Message(None));
            }
            if *update == MessageUpdate::Cancel {
                cancel_jobs(conn, sid)?;
            }
            let message = fetch_message(conn, account_sid, sid)?;
            let data = match (data, &message) {
                (
                    EventData::MessageStatusChanged {
                        sid,
                        previous,
                        status,
                        error_code,
                        ..
                    },
                    Some(m),
                ) => EventData::MessageStatusChanged {
                    sid,
                    to: m.to.clone(),
                    from: m.from.clone(),
                    previous,
                    status,
                    error_code,
                },
                (data, _) => data,
            };
            let event = NewEvent {
                account_sid: account_sid.clone(),
                at: *at,
                data,
            };
            published.push(insert_event(conn, &event)?);
            Ok(WriteResult::Message(message.map(Box::new)))
        }
        Write::DeleteMessage {
            account_sid,
            sid,
            at,
        } => {
            let deleted = conn
                .prepare_cached("DELETE FROM messages WHERE sid = ?1 AND account_sid = ?2")?
                .execute(params![sid, account_sid])?
                > 0;
            if deleted {
                cancel_jobs(conn, sid)?;
                let event = NewEvent {
                    account_sid: account_sid.clone(),
                    at: *at,
                    data: EventData::MessageDeleted { sid: sid.clone() },
                };
                published.push(insert_event(conn, &event)?);
            }
            Ok(WriteResult::Deleted(deleted))
        }
        Write::Clear {
            account_sid,
            what,
            at,
        } => {
            let mut cleared = Cleared::default();
            // `?1 IS NULL` selects every tenant: the seed's /clear routes wipe the server.
            let delete = |sql: &str| -> Result<u64, StoreError> {
                Ok(conn.prepare_cached(sql)?.execute(params![account_sid])? as u64)
            };
            if matches!(what, ClearWhat::Messages | ClearWhat::All) {
                cleared.messages =
                    delete("DELETE FROM messages WHERE ?1 IS NULL OR account_sid = ?1")?;
                delete("DELETE FROM jobs WHERE ?1 IS NULL OR account_sid = ?1")?;
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
                published.push(insert_event(conn, &event)?);
            }
            Ok(WriteResult::Cleared(cleared))
        }
        Write::PutMedia { media, content } => {
            conn.prepare_cached(
                "INSERT INTO whatsapp_media (id, account_sid, mime_type, sha256, file_size, filename,
                   content, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                media.id,
                media.account_sid,
                media.mime_type,
                media.sha256,
                // Sizes are at most 100 MB; SQLite integers are i64.
                i64::try_from(media.file_size).unwrap_or(i64::MAX),
                media.filename,
                content,
                media.created_at,
                media.expires_at,
            ])?;
            Ok(WriteResult::Done)
        }
        Write::DeleteMedia { account_sid, id } => Ok(WriteResult::Deleted(
            conn.prepare_cached("DELETE FROM whatsapp_media WHERE id = ?1 AND account_sid = ?2")?
                .execute(params![id, account_sid])?
                > 0,
        )),
    }
}
