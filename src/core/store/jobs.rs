//! Jobs: the durable outbox. A job is a lifecycle step or a webhook delivery, stored in the
//! transaction that schedules it and deleted in the one that runs it.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::{StoreError, json, removed};
use crate::core::outbox::{Delivery, StatusNotify};
use crate::core::rules::{CallbackDisorder, Step};
use crate::core::time::Millis;
use crate::core::voice::CallStep;

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
    /// A call's scheduled step; stale unless the call's session is still at `epoch` (a step
    /// without one is checked against the call's status only).
    CallStep {
        sid: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<u64>,
        step: CallStep,
    },
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
