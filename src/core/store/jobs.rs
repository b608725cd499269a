//! Jobs: the durable outbox. A job is a lifecycle step or a webhook delivery, stored in the
//! transaction that schedules it and deleted in the one that runs it.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::{StoreError, json, removed};
use crate::core::messages::{Callback, HttpMethod};
use crate::core::rules::{CallbackDisorder, Step};
use crate::core::time::Millis;

/// A notification target for status changes, captured when the message was created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusNotify {
    pub callback: Callback,
    pub from: Option<String>,
    pub to: String,
    pub messaging_service_sid: Option<String>,
    /// Set for a Cloud API message: its status webhooks are Meta's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<WhatsAppNotify>,
}

/// What a Cloud API status webhook carries besides the status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatsAppNotify {
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub business_account_id: String,
    /// `biz_opaque_callback_data` of the message.
    pub callback_data: Option<String>,
    /// `service` for a free-form message; a template's category otherwise.
    pub category: String,
    /// The conversation the message opened or joined (hex, as Meta's ids are).
    pub conversation_id: String,
}

/// Whose webhook a delivery is, which says how it is encoded and signed: Twilio's form signed
/// with the auth token (`X-Twilio-Signature`), or Meta's JSON signed with the app secret
/// (`X-Hub-Signature-256`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookProvider {
    #[default]
    Twilio,
    Meta,
}

impl WebhookProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookProvider::Twilio => "twilio",
            WebhookProvider::Meta => "meta",
        }
    }

    pub fn parse(value: &str) -> Self {
        if value == "meta" {
            WebhookProvider::Meta
        } else {
            WebhookProvider::Twilio
        }
    }
}

/// One webhook delivery, with everything needed to send it again after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    #[serde(default)]
    pub provider: WebhookProvider,
    /// Sent as `I-Twilio-Idempotency-Token`; the same on every attempt.
    pub idempotency_token: String,
    pub resource_sid: String,
    /// What the webhook reports, for logs and the dashboard (`delivered`, …).
    pub status: String,
    pub url: String,
    pub method: HttpMethod,
    /// Twilio's form parameters. A Meta delivery sends none: its params only record the
    /// message's `To` and `From` for the attempt's event.
    pub params: Vec<(String, String)>,
    /// Meta's JSON body, exactly as it is sent and signed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub json: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub max_attempts: u32,
    pub retry_delay_ms: u64,
}

impl Delivery {
    /// The value of one of the webhook's parameters.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobKind {
    /// Apply `steps[0]` to message `sid`, then schedule the rest.
    Lifecycle {
        sid: String,
        steps: Vec<Step>,
        notify: Option<StatusNotify>,
        /// How the rule that took the message wants its callbacks to misbehave.
        #[serde(default, skip_serializing_if = "CallbackDisorder::is_orderly")]
        disorder: CallbackDisorder,
    },
    Deliver(Delivery),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub account_sid: String,
    pub resource_sid: String,
    /// Tenant time.
    pub due_at: Millis,
    pub kind: JobKind,
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub account_sid: String,
    pub resource_sid: String,
    pub due_at: Millis,
    pub kind: JobKind,
}

pub(super) fn insert_job(conn: &Connection, job: &NewJob) -> Result<Job, StoreError> {
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

pub(super) fn insert_jobs<'a>(
    conn: &Connection,
    jobs: impl IntoIterator<Item = &'a NewJob>,
) -> Result<Vec<Job>, StoreError> {
    jobs.into_iter().map(|job| insert_job(conn, job)).collect()
}

/// Delete a job row; false if it was already gone (cancelled).
pub(super) fn claim_job(conn: &Connection, job_id: i64) -> Result<bool, StoreError> {
    removed(conn, "DELETE FROM jobs WHERE id = ?1", params![job_id])
}

pub(super) fn cancel_jobs(conn: &Connection, resource_sid: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM jobs WHERE resource_sid = ?1")?
        .execute(params![resource_sid])?;
    Ok(())
}

/// Drop a message's remaining lifecycle steps, keeping its webhook deliveries.
pub(super) fn drop_lifecycle_jobs(conn: &Connection, resource_sid: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "DELETE FROM jobs WHERE resource_sid = ?1 AND json_extract(payload, '$.type') = 'lifecycle'",
    )?
    .execute(params![resource_sid])?;
    Ok(())
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
