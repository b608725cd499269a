//! Webhook attempts: every request made to an app's webhook, and what came back.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};

use super::events::insert_event;
use super::jobs::{claim_job, insert_job};
use super::{Job, NewJob, StoreError, WriteOp};
use crate::core::events::{Event, EventData, NewEvent};
use crate::core::outbox::WebhookProvider;
use crate::core::time::Millis;

/// One recorded webhook attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackAttempt {
    pub id: i64,
    pub account_sid: String,
    pub resource_sid: String,
    pub status: String,
    pub url: String,
    pub method: String,
    pub request_body: String,
    /// What the request's headers were, one `Name: value` a line; empty for attempts stored
    /// before they were kept.
    #[serde(default)]
    pub request_headers: String,
    pub attempt: i64,
    pub response_status: Option<i64>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub created_at: Millis,
    /// `I-Twilio-Idempotency-Token`: the same on every attempt of one delivery.
    #[serde(default)]
    pub idempotency_token: String,
    #[serde(default)]
    pub provider: WebhookProvider,
}

impl CallbackAttempt {
    /// A 2xx answer.
    pub fn succeeded(&self) -> bool {
        self.response_status
            .is_some_and(|s| (200..300).contains(&s))
    }

    /// The request's headers as sent, each name with its value, in the order they went.
    pub fn request_header_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.request_headers
            .lines()
            .filter_map(|line| line.split_once(": "))
    }
}

pub(super) fn insert_attempt(
    conn: &Connection,
    attempt: &CallbackAttempt,
) -> Result<CallbackAttempt, StoreError> {
    conn.prepare_cached(
        "INSERT INTO callback_attempts (account_sid, resource_sid, status, url, method, request_body,
           attempt, response_status, response_body, error, latency_ms, created_at, idempotency_token,
           provider, request_headers)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
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
        attempt.idempotency_token,
        attempt.provider.as_str(),
        attempt.request_headers,
    ])?;
    Ok(CallbackAttempt {
        id: conn.last_insert_rowid(),
        ..attempt.clone()
    })
}

const ATTEMPT_COLUMNS: &str = "id, account_sid, resource_sid, status, url, method, request_body,
    attempt, response_status, response_body, error, latency_ms, created_at, idempotency_token, provider,
    request_headers";

/// Recorded webhook attempts of one tenant (about one resource, when given), newest first.
pub fn callback_attempts(
    conn: &Connection,
    account_sid: &str,
    resource_sid: Option<&str>,
    failed_only: bool,
    before_id: i64,
    limit: u32,
) -> Result<Vec<CallbackAttempt>, StoreError> {
    // One statement per shape, so that each reads its own index: a message's or call's
    // attempts by resource, the failed ones by migration 0011's partial index (its condition
    // written as the index writes it), the tenant's by account.
    let failed = if failed_only {
        " AND (response_status IS NULL OR response_status NOT BETWEEN 200 AND 299)"
    } else {
        ""
    };
    let sql = match resource_sid {
        Some(_) => format!(
            "SELECT {ATTEMPT_COLUMNS} FROM callback_attempts
             WHERE resource_sid = ?2 AND account_sid = ?1 AND id < ?3{failed} ORDER BY id DESC LIMIT ?4"
        ),
        None => format!(
            "SELECT {ATTEMPT_COLUMNS} FROM callback_attempts
             WHERE account_sid = ?1 AND ?2 IS NULL AND id < ?3{failed} ORDER BY id DESC LIMIT ?4"
        ),
    };
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(
        params![account_sid, resource_sid, before_id, limit],
        attempt_from_row,
    )?;
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
        provider: WebhookProvider::parse(&row.get::<_, String>(14)?),
        request_headers: row.get(15)?,
    })
}

// ---------------------------------------------------------------------------------------------
// Writes.

/// Record a webhook attempt: of scheduled delivery job `job_id`, or one made at a test's
/// request (no job).
#[derive(Debug, Clone)]
pub struct RecordAttempt {
    pub job_id: Option<i64>,
    pub attempt: CallbackAttempt,
    pub retry: Option<NewJob>,
    /// The message's recipient and sender, for event filters.
    pub to: Option<String>,
    pub from: Option<String>,
}

/// A webhook attempt as stored (with its id), and the retry scheduled, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub attempt: CallbackAttempt,
    pub jobs: Vec<Job>,
}

impl WriteOp for RecordAttempt {
    type Output = Recorded;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<Recorded, StoreError> {
        let RecordAttempt {
            job_id,
            attempt,
            retry,
            to,
            from,
        } = self;
        let claimed = match job_id {
            Some(id) => claim_job(tx, *id)?,
            None => false,
        };
        let recorded = insert_attempt(tx, attempt)?;
        let event = NewEvent {
            account_sid: attempt.account_sid.clone(),
            at: attempt.created_at,
            data: EventData::CallbackAttempted {
                attempt: recorded.clone(),
                to: to.clone(),
                from: from.clone(),
            },
        };
        published.push(insert_event(tx, &event)?);
        // A delivery whose message was deleted meanwhile is not retried.
        let jobs = match retry {
            Some(retry) if claimed => vec![insert_job(tx, retry)?],
            _ => Vec::new(),
        };
        Ok(Recorded {
            attempt: recorded,
            jobs,
        })
    }
}
