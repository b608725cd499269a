//! Messages: their rows, keyset pages, and status changes.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::events::insert_event;
use super::jobs::{cancel_jobs, claim_job, drop_lifecycle_jobs, insert_jobs};
use super::{Job, NewJob, StoreError, WriteOp, json, removed};
use crate::core::events::{Event, EventData, NewEvent};
use crate::core::messaging::{
    Callback, Direction, HttpMethod, Message, MessageFilter, MessageStatus, MessageUpdate,
};
use crate::core::rules::Step;
use crate::core::time::Millis;

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

/// The newest `limit` messages between a tenant and one user, oldest first: the Cloud API's
/// (`cloud_api`), or those of Twilio's Messages API (SMS, MMS, `whatsapp:` addresses).
pub fn conversation(
    conn: &Connection,
    account_sid: &str,
    user: &str,
    cloud_api: bool,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages
         WHERE account_sid = ?1 AND (whatsapp IS NOT NULL) = ?4 AND (to_addr = ?2 OR from_addr = ?2)
         ORDER BY seq DESC LIMIT ?3"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(
        params![account_sid, user, limit, cloud_api],
        message_from_row,
    )?;
    let mut messages = Vec::new();
    for row in rows {
        messages.push(row??);
    }
    messages.reverse();
    Ok(messages)
}

/// The creation time and status of a tenant's newest `limit` messages, newest first: what a
/// chart of recent traffic needs, without reading whole messages.
pub fn recent_outcomes(
    conn: &Connection,
    account_sid: &str,
    limit: u32,
) -> Result<Vec<(Millis, MessageStatus)>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT created_at, status FROM messages WHERE account_sid = ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = statement.query_map(params![account_sid, limit], |row| {
        Ok((row.get::<_, Millis>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut outcomes = Vec::new();
    for row in rows {
        let (at, status) = row?;
        outcomes.push((at, parse_status(&status)?));
    }
    Ok(outcomes)
}

/// The users among a tenant's newest `scan` messages, newest thread first (at most `limit`):
/// each with whether it is a Cloud API thread, how many of those messages are in it, and its
/// newest message.
pub fn recent_threads(
    conn: &Connection,
    account_sid: &str,
    scan: u32,
    limit: u32,
) -> Result<Vec<(String, bool, u32, Message)>, StoreError> {
    let mut statement = conn.prepare_cached(
        "WITH recent AS (
             SELECT seq, CASE WHEN direction = 'inbound' THEN from_addr ELSE to_addr END AS user,
                    whatsapp IS NOT NULL AS cloud
             FROM messages WHERE account_sid = ?1 ORDER BY seq DESC LIMIT ?2)
         SELECT user, cloud, COUNT(*), MAX(seq) FROM recent
         GROUP BY user, cloud ORDER BY MAX(seq) DESC LIMIT ?3",
    )?;
    let threads = statement
        .query_map(params![account_sid, scan, limit], |row| {
            Ok((
                row.get::<_, Option<String>>(0)?.unwrap_or_default(),
                row.get::<_, bool>(1)?,
                row.get::<_, u32>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut last = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE seq = ?1"
    ))?;
    let mut found = Vec::with_capacity(threads.len());
    for (user, cloud, count, seq) in threads {
        let message = last.query_row([seq], message_from_row)??;
        found.push((user, cloud, count, message));
    }
    Ok(found)
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
    let (anchor, comparison, order) = match from {
        PageFrom::OlderThan(seq) => (seq, "<", "DESC"),
        PageFrom::NewerThan(seq) => (seq, ">", "ASC"),
    };
    // Only the filters given make the statement (one cached statement per shape), so that the
    // planner sees plain equalities and picks the index of the most telling one: by recipient,
    // status, direction or channel, else by account.
    let mut values: Vec<Box<dyn rusqlite::ToSql>> =
        vec![Box::new(account_sid.to_owned()), Box::new(anchor)];
    let mut clauses = String::new();
    let mut add = |clause: &str, value: Box<dyn rusqlite::ToSql>| {
        values.push(value);
        clauses.push_str(&format!(" AND {clause} ?{}", values.len()));
    };
    if let Some(to) = &filter.to {
        add("m.to_addr =", Box::new(to.clone()));
    }
    if let Some(from) = &filter.from {
        add("m.from_addr =", Box::new(from.clone()));
    }
    if let Some(at) = filter.sent_from {
        add("m.sent_at >=", Box::new(at));
    }
    if let Some(at) = filter.sent_before {
        add("m.sent_at <", Box::new(at));
    }
    if let Some(twilio_api) = filter.twilio_api {
        add("(m.whatsapp IS NULL) =", Box::new(twilio_api));
    }
    if let Some(status) = filter.status {
        add("m.status =", Box::new(status.as_str()));
    }
    if let Some(direction) = filter.direction {
        add("m.direction =", Box::new(direction.as_str()));
    }
    if let Some(channel) = filter.channel {
        add("m.channel =", Box::new(channel.as_str()));
    }
    let sql = match filter.text.as_deref().and_then(text_query) {
        // The word index drives the read, newest match first, so a common word stops at the
        // page's end and a rare one reads only its matches (CROSS JOIN keeps that order).
        Some(words) => {
            values.push(Box::new(words));
            format!(
                "SELECT {columns} FROM messages_text t CROSS JOIN messages m ON m.seq = t.rowid
                 WHERE messages_text MATCH ?{text} AND t.rowid {comparison} ?2 AND m.account_sid = ?1{clauses}
                 ORDER BY t.rowid {order} LIMIT {limit}",
                columns = prefixed_columns("m"),
                text = values.len(),
            )
        }
        None => format!(
            "SELECT {columns} FROM messages m
             WHERE m.account_sid = ?1 AND m.seq {comparison} ?2{clauses}
             ORDER BY m.seq {order} LIMIT {limit}",
            columns = prefixed_columns("m"),
        ),
    };
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(
        rusqlite::params_from_iter(values.iter().map(|v| v.as_ref())),
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

/// [`MESSAGE_COLUMNS`] of the table named `alias`.
fn prefixed_columns(alias: &str) -> String {
    MESSAGE_COLUMNS
        .split(',')
        .map(|column| format!("{alias}.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A search as the word index reads it: every word of the text, each as a prefix (`deliv`
/// finds "delivered"), all of them required. None when the text has no word.
fn text_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{word}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// A tenant's messages counted by channel and status (the counts the triggers of migration
/// 0011 keep): `(channel, status, count)`, without the empty ones.
pub fn message_tallies(
    conn: &Connection,
    account_sid: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT channel, status, count FROM message_tallies
         WHERE account_sid = ?1 AND count > 0 ORDER BY channel, status",
    )?;
    let rows = statement.query_map([account_sid], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A tenant's calls counted by status: `(status, count)`, without the empty ones.
pub fn call_tallies(
    conn: &Connection,
    account_sid: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT status, count FROM call_tallies WHERE account_sid = ?1 AND count > 0 ORDER BY status",
    )?;
    let rows = statement.query_map([account_sid], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Index the bodies of the messages stored since the last search (see migration 0011): what a
/// text search does first. Answers how many it indexed.
#[derive(Debug, Clone, Copy)]
pub struct IndexNewText;

impl WriteOp for IndexNewText {
    type Output = usize;

    fn apply(&self, tx: &Transaction<'_>, _: &mut Vec<Arc<Event>>) -> Result<usize, StoreError> {
        let indexed = tx
            .prepare_cached(
                "INSERT INTO messages_text (rowid, body)
                 SELECT m.seq, m.body FROM messages_text_pending p JOIN messages m ON m.seq = p.seq",
            )?
            .execute([])?;
        tx.prepare_cached("DELETE FROM messages_text_pending")?
            .execute([])?;
        Ok(indexed)
    }
}

pub(super) fn insert_message(conn: &Connection, m: &Message) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO messages (sid, account_sid, direction, from_addr, to_addr, body, media_urls, status,
           num_segments, messaging_service_sid, error_code, error_message, price, created_at, updated_at,
           sent_at, status_callback, status_callback_method, whatsapp)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
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
        m.whatsapp.as_ref().map(json).transpose()?,
    ])?;
    Ok(())
}

/// Move a message to `step`'s status and append the event; none if the message is gone.
pub(super) fn change_status(
    conn: &Connection,
    account_sid: &str,
    sid: &str,
    step: &Step,
    at: Millis,
) -> Result<Option<Arc<Event>>, StoreError> {
    let current: Option<(String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT status, to_addr, from_addr FROM messages WHERE sid = ?1 AND account_sid = ?2",
        )?
        .query_row(params![sid, account_sid], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let Some((previous, to, from)) = current else {
        return Ok(None);
    };
    let previous = parse_status(&previous)?;
    let sent_at =
        matches!(step.status, MessageStatus::Sent | MessageStatus::Delivered).then_some(at);
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
        account_sid: account_sid.to_owned(),
        at,
        data: EventData::MessageStatusChanged {
            sid: sid.to_owned(),
            to,
            from,
            previous,
            status: step.status,
            error_code: step.error_code,
        },
    };
    Ok(Some(insert_event(conn, &event)?))
}

// ---------------------------------------------------------------------------------------------
// Writes.

/// Store a new message with its events and first job; answers the job, if any, with its id.
#[derive(Debug, Clone)]
pub struct CreateMessage {
    pub message: Message,
    pub job: Option<NewJob>,
    pub events: Vec<NewEvent>,
}

impl WriteOp for CreateMessage {
    type Output = Vec<Job>;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<Vec<Job>, StoreError> {
        let CreateMessage {
            message,
            job,
            events,
        } = self;
        insert_message(tx, message)?;
        for event in events {
            published.push(insert_event(tx, event)?);
        }
        insert_jobs(tx, job)
    }
}

/// Redact or cancel a message; answers it as changed, or none if there is no such message.
#[derive(Debug, Clone)]
pub struct UpdateMessage {
    pub account_sid: String,
    pub sid: String,
    pub update: MessageUpdate,
    pub at: Millis,
}

impl WriteOp for UpdateMessage {
    type Output = Option<Message>;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<Option<Message>, StoreError> {
        let UpdateMessage {
            account_sid,
            sid,
            update,
            at,
        } = self;
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
        if tx
            .prepare_cached(sql)?
            .execute(params![at, sid, account_sid])?
            == 0
        {
            return Ok(None);
        }
        if *update == MessageUpdate::Cancel {
            cancel_jobs(tx, sid)?;
        }
        let message = fetch_message(tx, account_sid, sid)?;
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
        published.push(insert_event(tx, &event)?);
        Ok(message)
    }
}

/// The positions, in its `media_urls`, of a message's deleted media items; None when the
/// tenant has no such message.
pub fn deleted_message_media(
    conn: &Connection,
    account_sid: &str,
    sid: &str,
) -> Result<Option<Vec<usize>>, StoreError> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT deleted_media FROM messages WHERE sid = ?1 AND account_sid = ?2")?
        .query_row(params![sid, account_sid], |row| row.get(0))
        .optional()?;
    stored
        .map(|json| {
            serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("deleted media: {e}")))
        })
        .transpose()
}

/// Delete one of a message's media items, by its position; answers whether it was there to
/// delete. Removing media removes content from the message, as redacting its body does, so it
/// is the same event (`message_redacted`).
#[derive(Debug, Clone)]
pub struct DeleteMessageMedia {
    pub account_sid: String,
    pub sid: String,
    pub position: usize,
    pub at: Millis,
}

impl WriteOp for DeleteMessageMedia {
    type Output = bool;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<bool, StoreError> {
        let (account_sid, sid, position) = (&self.account_sid, &self.sid, self.position);
        let Some(message) = fetch_message(tx, account_sid, sid)? else {
            return Ok(false);
        };
        let mut deleted = deleted_message_media(tx, account_sid, sid)?.unwrap_or_default();
        if position >= message.media_urls.len() || deleted.contains(&position) {
            return Ok(false);
        }
        deleted.push(position);
        deleted.sort_unstable();
        tx.prepare_cached(
            "UPDATE messages SET deleted_media = ?1 WHERE sid = ?2 AND account_sid = ?3",
        )?
        .execute(params![json(&deleted)?, sid, account_sid])?;
        let event = NewEvent {
            account_sid: account_sid.clone(),
            at: self.at,
            data: EventData::MessageRedacted { sid: sid.clone() },
        };
        published.push(insert_event(tx, &event)?);
        Ok(true)
    }
}

/// Delete a message and its pending jobs; answers whether it existed.
#[derive(Debug, Clone)]
pub struct DeleteMessage {
    pub account_sid: String,
    pub sid: String,
    pub at: Millis,
}

impl WriteOp for DeleteMessage {
    type Output = bool;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<bool, StoreError> {
        let DeleteMessage {
            account_sid,
            sid,
            at,
        } = self;
        let deleted = removed(
            tx,
            "DELETE FROM messages WHERE sid = ?1 AND account_sid = ?2",
            params![sid, account_sid],
        )?;
        if deleted {
            cancel_jobs(tx, sid)?;
            let event = NewEvent {
                account_sid: account_sid.clone(),
                at: *at,
                data: EventData::MessageDeleted { sid: sid.clone() },
            };
            published.push(insert_event(tx, &event)?);
        }
        Ok(deleted)
    }
}

/// Set a message's status by hand: drops its pending lifecycle steps, schedules `deliver`.
/// Answers none if there is no such message.
#[derive(Debug, Clone)]
pub struct SetStatus {
    pub account_sid: String,
    pub sid: String,
    pub step: Step,
    pub at: Millis,
    pub deliver: Option<NewJob>,
}

/// A message after [`SetStatus`], and the jobs the change scheduled.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusSet {
    pub message: Message,
    pub jobs: Vec<Job>,
}

impl WriteOp for SetStatus {
    type Output = Option<StatusSet>;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<Option<StatusSet>, StoreError> {
        let SetStatus {
            account_sid,
            sid,
            step,
            at,
            deliver,
        } = self;
        let Some(event) = change_status(tx, account_sid, sid, step, *at)? else {
            return Ok(None);
        };
        published.push(event);
        // The script's remaining steps go; webhooks already due still go out.
        drop_lifecycle_jobs(tx, sid)?;
        let jobs = insert_jobs(tx, deliver)?;
        Ok(fetch_message(tx, account_sid, sid)?.map(|message| StatusSet { message, jobs }))
    }
}

/// Apply the first step of lifecycle job `job_id`. Answers the jobs it scheduled: none if the job
/// had been cancelled (its message deleted) before it ran.
#[derive(Debug, Clone)]
pub struct ApplyStep {
    pub job_id: i64,
    pub account_sid: String,
    pub sid: String,
    pub step: Step,
    pub at: Millis,
    pub next: Vec<NewJob>,
}

impl WriteOp for ApplyStep {
    type Output = Vec<Job>;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<Vec<Job>, StoreError> {
        let ApplyStep {
            job_id,
            account_sid,
            sid,
            step,
            at,
            next,
        } = self;
        if !claim_job(tx, *job_id)? {
            return Ok(Vec::new());
        }
        let Some(event) = change_status(tx, account_sid, sid, step, *at)? else {
            return Ok(Vec::new());
        };
        published.push(event);
        insert_jobs(tx, next)
    }
}
