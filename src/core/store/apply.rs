//! How each [`Write`] changes the database, and the events it appends.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::reads::{fetch_message, parse_status};
use super::{CallbackAttempt, ClearWhat, Cleared, Job, NewJob, StoreError, Write, WriteResult};
use crate::core::events::{Event, EventData, NewEvent};
use crate::core::messages::{Message, MessageStatus, MessageUpdate};
use crate::core::tenants::ApiKey;

fn json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

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
                "INSERT INTO tenants (sid, auth_token, friendly_name, owner_account_sid, status, rules, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (sid) DO UPDATE SET auth_token = excluded.auth_token,
                   friendly_name = excluded.friendly_name, owner_account_sid = excluded.owner_account_sid,
                   status = excluded.status, rules = excluded.rules, updated_at = excluded.updated_at",
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
            ])?;
            for key in api_keys {
                insert_api_key(conn, key)?;
            }
            for number in numbers {
                conn.prepare_cached(
                    "INSERT INTO phone_numbers (sid, account_sid, phone_number, friendly_name, sms_url, sms_method, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (account_sid, phone_number) DO NOTHING",
                )?
                .execute(params![
                    number.sid,
                    number.account_sid,
                    number.phone_number,
                    number.friendly_name,
                    number.sms_url,
                    number.sms_method,
                    number.created_at,
                ])?;
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
            conn.prepare_cached("UPDATE tenants SET friendly_name = ?1, status = ?2, updated_at = ?3 WHERE sid = ?4")?
                .execute(params![account.friendly_name, account.status.as_str(), account.updated_at, account.sid])?;
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
            let previous: Option<String> = conn
                .prepare_cached("SELECT status FROM messages WHERE sid = ?1 AND account_sid = ?2")?
                .query_row(params![sid, account_sid], |row| row.get(0))
                .optional()?;
            let Some(previous) = previous else {
                return Ok(WriteResult::Stale);
            };
            let previous = parse_status(&previous)?;
            let sent_at = matches!(step.status, MessageStatus::Sent | MessageStatus::Delivered)
                .then_some(*at);
            conn.prepare_cached(
                "UPDATE messages SET status = ?1, error_code = COALESCE(?2, error_code),
                   error_message = COALESCE(?3, error_message), updated_at = ?4,
                   sent_at = COALESCE(sent_at, ?5)
                 WHERE sid = ?6",
            )?
            .execute(params![
                step.status.as_str(),
                step.error_code,
                step.error_message,
                at,
                sent_at,
                sid
            ])?;
            let event = NewEvent {
                account_sid: account_sid.clone(),
                at: *at,
                data: EventData::MessageStatusChanged {
                    sid: sid.clone(),
                    previous,
                    status: step.status,
                    error_code: step.error_code,
                },
            };
            published.push(insert_event(conn, &event)?);
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
        } => {
            let claimed = claim_job(conn, *job_id)?;
            conn.prepare_cached(
                "INSERT INTO callback_attempts (account_sid, resource_sid, status, url, method, request_body,
                   attempt, response_status, response_body, error, latency_ms, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                attempt.account_sid,
                attempt.resource_sid,
                attempt.status,
                attempt.url,
                attempt.method,
                attempt.request_body,
                attempt.attempt,
                attempt.response_status,
                attempt.response_body,
                attempt.error,
                attempt.latency_ms,
                attempt.created_at,
            ])?;
            let recorded = CallbackAttempt {
                id: conn.last_insert_rowid(),
                ..attempt.clone()
            };
            let event = NewEvent {
                account_sid: attempt.account_sid.clone(),
                at: attempt.created_at,
                data: EventData::CallbackAttempted { attempt: recorded },
            };
            published.push(insert_event(conn, &event)?);
            // A delivery whose message was deleted meanwhile is not retried.
            let jobs = match retry {
                Some(retry) if claimed => vec![insert_job(conn, retry)?],
                _ => Vec::new(),
            };
            Ok(WriteResult::Jobs(jobs))
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
            let event = NewEvent {
                account_sid: account_sid.clone(),
                at: *at,
                data,
            };
            published.push(insert_event(conn, &event)?);
            Ok(WriteResult::Message(
                fetch_message(conn, account_sid, sid)?.map(Box::new),
            ))
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
        Write::Event(event) => {
            published.push(insert_event(conn, event)?);
            Ok(WriteResult::Done)
        }
    }
}

fn insert_api_key(conn: &Connection, key: &ApiKey) -> Result<(), StoreError> {
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

/// Delete a job row; false if it was already gone (cancelled).
fn claim_job(conn: &Connection, job_id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM jobs WHERE id = ?1")?
        .execute(params![job_id])?
        > 0)
}

fn cancel_jobs(conn: &Connection, resource_sid: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM jobs WHERE resource_sid = ?1")?
        .execute(params![resource_sid])?;
    Ok(())
}

fn insert_event(conn: &Connection, event: &NewEvent) -> Result<Arc<Event>, StoreError> {
    conn.prepare_cached(
        "INSERT INTO events (account_sid, kind, sid, at, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        event.account_sid,
        event.data.kind(),
        event.data.sid(),
        event.at,
        json(&event.data)?
    ])?;
    Ok(Arc::new(Event {
        seq: conn.last_insert_rowid(),
        account_sid: event.account_sid.clone(),
        at: event.at,
        data: event.data.clone(),
    }))
}

fn insert_job(conn: &Connection, job: &NewJob) -> Result<Job, StoreError> {
    conn.prepare_cached(
        "INSERT INTO jobs (account_sid, resource_sid, due_at, payload) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        job.account_sid,
        job.resource_sid,
        job.due_at,
        json(&job.kind)?
    ])?;
    Ok(Job {
        id: conn.last_insert_rowid(),
        account_sid: job.account_sid.clone(),
        resource_sid: job.resource_sid.clone(),
        due_at: job.due_at,
        kind: job.kind.clone(),
    })
}

fn insert_message(conn: &Connection, m: &Message) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO messages (sid, account_sid, direction, from_addr, to_addr, body, media_urls, status,
           num_segments, messaging_service_sid, error_code, error_message, price, created_at, updated_at,
           sent_at, status_callback, status_callback_method)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        m.sid,
        m.account_sid,
        m.direction.as_str(),
        m.from,
        m.to,
        m.body,
        json(&m.media_urls)?,
        m.status.as_str(),
        m.num_segments,
        m.messaging_service_sid,
        m.error_code,
        m.error_message,
        m.price,
        m.created_at,
        m.updated_at,
        m.sent_at,
        m.status_callback.as_ref().map(|c| c.url.as_str()),
        m.status_callback.as_ref().map(|c| c.method.as_str()),
    ])?;
    Ok(())
}
