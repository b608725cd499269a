//! Queries: messages (keyset pages), events, jobs and tenants at start, counts.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{CallbackAttempt, Job, StoreError};
use crate::core::events::Event;
use crate::core::media::Media;
use crate::core::messages::{
    Callback, Direction, HttpMethod, Message, MessageFilter, MessageStatus,
};
use crate::core::rules::Rule;
use crate::core::tenants::{
    Account, AccountStatus, ApiKey, Hook, OptOut, PhoneNumber, WhatsAppIdentity,
};

const MESSAGE_COLUMNS: &str = "sid, account_sid, direction, from_addr, to_addr, body, media_urls, status,
    num_segments, messaging_service_sid, error_code, error_message, price, created_at, updated_at, sent_at,
    status_callback, status_callback_method, whatsapp";

pub(super) fn parse_status(value: &str) -> Result<MessageStatus, StoreError> {
    MessageStatus::parse(value)
        .ok_or_else(|| StoreError::Corrupt(format!("message status {value:?}")))
}

/// A `messages` row selected with [`MESSAGE_COLUMNS`].
fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Message, StoreError>> {
    let direction: String = row.get(2)?;
    let media: String = row.get(6)?;
    let status: String = row.get(7)?;
    let callback_url: Option<String> = row.get(16)?;
    let callback_method: Option<String> = row.get(17)?;
    let whatsapp: Option<String> = row.get(18)?;
    let parsed = (|| {
        Ok(Message {
            direction: Direction::parse(&direction)
                .ok_or_else(|| StoreError::Corrupt(format!("direction {direction:?}")))?,
            status: parse_status(&status)?,
            media_urls: serde_json::from_str(&media)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            status_callback: callback_url.map(|url| Callback {
                url,
                method: callback_method
                    .as_deref()
                    .and_then(HttpMethod::parse)
                    .unwrap_or_default(),
            }),
            sid: row.get(0)?,
            account_sid: row.get(1)?,
            from: row.get(3)?,
            to: row.get(4)?,
            body: row.get(5)?,
            num_segments: row.get(8)?,
            messaging_service_sid: row.get(9)?,
            error_code: row.get(10)?,
            error_message: row.get(11)?,
            price: row.get(12)?,
            created_at: row.get(13)?,
            updated_at: row.get(14)?,
            sent_at: row.get(15)?,
            whatsapp: whatsapp
                .map(|json| serde_json::from_str(&json))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("WhatsApp content: {e}")))?,
        })
    })();
    Ok(parsed)
}

pub fn fetch_message(
    conn: &Connection,
    account_sid: &str,
    sid: &str,
) -> Result<Option<Message>, StoreError> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE sid = ?1 AND account_sid = ?2");
    conn.prepare_cached(&sql)?
        .query_row(params![sid, account_sid], message_from_row)
        .optional()?
        .transpose()
}

/// The list position of a message, for page tokens.
pub fn message_seq(
    conn: &Connection,
    account_sid: &str,
    sid: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT seq FROM messages WHERE sid = ?1 AND account_sid = ?2")?
        .query_row(params![sid, account_sid], |row| row.get(0))
        .optional()?)
}

/// When `user` last wrote to `business` (tenant time), if ever: the start of the 24-hour
/// customer-service window. Addresses as stored (`whatsapp:+1…` for Twilio, digits for Meta).
pub fn last_inbound_at(
    conn: &Connection,
    account_sid: &str,
    user: &str,
    business: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT MAX(created_at) FROM messages
             WHERE account_sid = ?1 AND from_addr = ?2 AND to_addr = ?3 AND direction = 'inbound'",
        )?
        .query_row(params![account_sid, user, business], |row| row.get(0))?)
}

/// Every Cloud API message between the tenant's business number and one user, oldest first.
pub fn whatsapp_conversation(
    conn: &Connection,
    account_sid: &str,
    user: &str,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages
         WHERE account_sid = ?1 AND whatsapp IS NOT NULL AND (to_addr = ?2 OR from_addr = ?2)
         ORDER BY seq DESC LIMIT ?3"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params![account_sid, user, limit], message_from_row)?;
    let mut messages = Vec::new();
    for row in rows {
        messages.push(row??);
    }
    messages.reverse();
    Ok(messages)
}

/// Which way a page reads from its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFrom {
    /// Newest first, starting after (older than) this position; `i64::MAX` for the first page.
    OlderThan(i64),
    /// The page before: the `limit` messages just newer than this position.
    NewerThan(i64),
}

/// One page of messages, newest first, by keyset on `seq`.
pub fn list_messages(
    conn: &Connection,
    account_sid: &str,
    filter: &MessageFilter,
    from: PageFrom,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    // One statement per shape, so that the planner picks the index for each: by recipient
    // when `To` is given, else by account.
    let (anchor, comparison, order) = match from {
        PageFrom::OlderThan(seq) => (seq, "<", "DESC"),
        PageFrom::NewerThan(seq) => (seq, ">", "ASC"),
    };
    let to_clause = if filter.to.is_some() {
        "to_addr = ?6"
    } else {
        "?6 IS NULL"
    };
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages
         WHERE account_sid = ?1 AND {to_clause} AND seq {comparison} ?2
           AND (?3 IS NULL OR from_addr = ?3) AND (?4 IS NULL OR sent_at >= ?4) AND (?5 IS NULL OR sent_at < ?5)
           AND (?8 IS NULL OR (whatsapp IS NULL) = ?8)
         ORDER BY seq {order} LIMIT ?7"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(
        params![
            account_sid,
            anchor,
            filter.from,
            filter.sent_from,
            filter.sent_before,
            filter.to,
            limit,
            filter.twilio_api
        ],
        message_from_row,
    )?;
    let mut messages = Vec::new();
    for row in rows {
        messages.push(row??);
    }
    if matches!(from, PageFrom::NewerThan(_)) {
        messages.reverse();
    }
    Ok(messages)
}

/// Row counts for `/health`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub messages: i64,
    pub calls: i64,
    pub callbacks: i64,
}

pub fn counts(conn: &Connection) -> Result<Counts, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM callback_attempts)",
        )?
        .query_row([], |row| {
            Ok(Counts {
                messages: row.get(0)?,
                calls: 0,
                callbacks: row.get(1)?,
            })
        })?)
}

pub fn pending_jobs(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM jobs")?
        .query_row([], |row| row.get(0))?)
}

pub fn load_jobs(conn: &Connection) -> Result<Vec<Job>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT id, account_sid, resource_sid, due_at, payload FROM jobs ORDER BY due_at, id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get::<_, String>(4)?,
        ))
    })?;
    let mut jobs = Vec::new();
    for row in rows {
        let (id, account_sid, resource_sid, due_at, payload) = row?;
        jobs.push(Job {
            id,
            account_sid,
            resource_sid,
            due_at,
            kind: serde_json::from_str(&payload)
                .map_err(|e| StoreError::Corrupt(format!("job {id}: {e}")))?,
        });
    }
    Ok(jobs)
}

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

fn hook(url: Option<String>, method: String) -> Hook {
    Hook {
        url,
        method: HttpMethod::parse(&method).unwrap_or_default(),
    }
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
    let mut numbers = conn.prepare(
        "SELECT sid, account_sid, phone_number, friendly_name, sms_url, sms_method, sms_fallback_url,
           sms_fallback_method, voice_url, voice_method, voice_fallback_url, voice_fallback_method,
           status_callback, status_callback_method, created_at, updated_at
         FROM phone_numbers ORDER BY created_at, sid",
    )?;
    let numbers = numbers
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
    let mut opt_outs = conn.prepare("SELECT account_sid, sender, recipient FROM opt_outs")?;
    let opt_outs = opt_outs
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

pub fn latest_event_seq(conn: &Connection) -> Result<i64, StoreError> {
    // sqlite_sequence remembers the highest seq ever used, even after a clear.
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
        )?
        .query_row([], |row| row.get(0))?)
}

/// Up to `limit` stored events after `after`, oldest first: of every tenant, or of one.
pub fn events_after(
    conn: &Connection,
    after: i64,
    account_sid: Option<&str>,
    limit: usize,
) -> Result<Vec<Arc<Event>>, StoreError> {
    let mut statement = conn.prepare_cached(match account_sid {
        None => "SELECT seq, account_sid, at, data FROM events WHERE seq > ?1 AND ?3 IS NULL ORDER BY seq LIMIT ?2",
        Some(_) => "SELECT seq, account_sid, at, data FROM events WHERE seq > ?1 AND account_sid = ?3 ORDER BY seq LIMIT ?2",
    })?;
    let rows = statement.query_map(params![after, limit as i64, account_sid], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, String>(3)?,
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (seq, account_sid, at, data) = row?;
        events.push(Arc::new(Event {
            seq,
            account_sid,
            at,
            data: serde_json::from_str(&data)
                .map_err(|e| StoreError::Corrupt(format!("event {seq}: {e}")))?,
        }));
    }
    Ok(events)
}

const ATTEMPT_COLUMNS: &str = "id, account_sid, resource_sid, status, url, method, request_body,
    attempt, response_status, response_body, error, latency_ms, created_at, idempotency_token, provider";

/// Recorded webhook attempts of one tenant (about one resource, when given), newest first.
pub fn callback_attempts(
    conn: &Connection,
    account_sid: &str,
    resource_sid: Option<&str>,
    limit: u32,
) -> Result<Vec<CallbackAttempt>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM callback_attempts
         WHERE account_sid = ?1 AND (?2 IS NULL OR resource_sid = ?2) ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = statement.query_map(params![account_sid, resource_sid, limit], attempt_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One recorded webhook attempt of a tenant.
pub fn callback_attempt(
    conn: &Connection,
    account_sid: &str,
    id: i64,
) -> Result<Option<CallbackAttempt>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM callback_attempts WHERE account_sid = ?1 AND id = ?2"
        ))?
        .query_row(params![account_sid, id], attempt_from_row)
        .optional()?)
}

fn attempt_from_row(row: &Row<'_>) -> rusqlite::Result<CallbackAttempt> {
    Ok(CallbackAttempt {
        id: row.get(0)?,
        account_sid: row.get(1)?,
        resource_sid: row.get(2)?,
        status: row.get(3)?,
        url: row.get(4)?,
        method: row.get(5)?,
        request_body: row.get(6)?,
        attempt: row.get(7)?,
        response_status: row.get(8)?,
        response_body: row.get(9)?,
        error: row.get(10)?,
        latency_ms: row.get(11)?,
        created_at: row.get(12)?,
        idempotency_token: row.get(13)?,
        provider: super::WebhookProvider::parse(&row.get::<_, String>(14)?),
    })
}

const MEDIA_COLUMNS: &str =
    "id, account_sid, mime_type, sha256, file_size, filename, created_at, expires_at";

/// A `whatsapp_media` row selected with [`MEDIA_COLUMNS`].
fn media_from_row(row: &Row<'_>) -> rusqlite::Result<Media> {
    Ok(Media {
        id: row.get(0)?,
        account_sid: row.get(1)?,
        mime_type: row.get(2)?,
        sha256: row.get(3)?,
        file_size: u64::try_from(row.get::<_, i64>(4)?).unwrap_or_default(),
        filename: row.get(5)?,
        created_at: row.get(6)?,
        expires_at: row.get(7)?,
    })
}

/// An uploaded media file's metadata, expired or not (the caller compares with its clock).
pub fn fetch_media(
    conn: &Connection,
    account_sid: &str,
    id: &str,
) -> Result<Option<Media>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MEDIA_COLUMNS} FROM whatsapp_media WHERE id = ?1 AND account_sid = ?2"
        ))?
        .query_row(params![id, account_sid], media_from_row)
        .optional()?)
}

/// An uploaded media file's metadata and bytes, expired or not.
pub fn fetch_media_content(
    conn: &Connection,
    account_sid: &str,
    id: &str,
) -> Result<Option<(Media, Vec<u8>)>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MEDIA_COLUMNS}, content FROM whatsapp_media WHERE id = ?1 AND account_sid = ?2"
        ))?
        .query_row(params![id, account_sid], |row| {
            Ok((media_from_row(row)?, row.get(8)?))
        })
        .optional()?)
}
