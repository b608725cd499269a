//! Calls and recordings: their rows, keyset pages, and a call's state saved whole.
//!
//! A call is kept as JSON beside the columns its lists filter on, with its session (where its
//! TwiML stands). Every change to a call is made by the call engine holding the call's lock, so
//! a write replaces the row whole: the engine read it, decided, and writes what it decided.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::events::insert_event;
use super::jobs::{cancel_jobs, insert_jobs};
use super::{Job, NewJob, PageFrom, StoreError, WriteOp, json, removed};
use crate::core::events::{Event, NewEvent};
use crate::core::voice::{Call, CallFilter, Recording, Session};

fn parse<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub fn fetch_call(
    conn: &Connection,
    account_sid: &str,
    sid: &str,
) -> Result<Option<(Call, Session)>, StoreError> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT call, session FROM calls WHERE sid = ?1 AND account_sid = ?2")?
        .query_row(params![sid, account_sid], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    row.map(|(call, session)| Ok((parse("call", &call)?, parse("call session", &session)?)))
        .transpose()
}

/// The list position of a call, for page tokens.
pub fn call_seq(
    conn: &Connection,
    account_sid: &str,
    sid: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT seq FROM calls WHERE sid = ?1 AND account_sid = ?2")?
        .query_row(params![sid, account_sid], |row| row.get(0))
        .optional()?)
}

/// One page of calls, newest first, by keyset on `seq`.
pub fn list_calls(
    conn: &Connection,
    account_sid: &str,
    filter: &CallFilter,
    from: PageFrom,
    limit: u32,
) -> Result<Vec<Call>, StoreError> {
    let (anchor, comparison, order) = match from {
        PageFrom::OlderThan(seq) => (seq, "<", "DESC"),
        PageFrom::NewerThan(seq) => (seq, ">", "ASC"),
    };
    let sql = format!(
        "SELECT call FROM calls
         WHERE account_sid = ?1 AND seq {comparison} ?2
           AND (?3 IS NULL OR to_addr = ?3) AND (?4 IS NULL OR from_addr = ?4)
           AND (?5 IS NULL OR status = ?5) AND (?6 IS NULL OR parent_call_sid = ?6)
           AND (?7 IS NULL OR start_time >= ?7) AND (?8 IS NULL OR start_time < ?8)
           AND (?9 IS NULL OR end_time >= ?9) AND (?10 IS NULL OR end_time < ?10)
         ORDER BY seq {order} LIMIT ?11"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(
        params![
            account_sid,
            anchor,
            filter.to,
            filter.from,
            filter.status.map(|s| s.as_str()),
            filter.parent_call_sid,
            filter.started_from,
            filter.started_before,
            filter.ended_from,
            filter.ended_before,
            limit
        ],
        |row| row.get::<_, String>(0),
    )?;
    let mut calls = Vec::new();
    for row in rows {
        calls.push(parse("call", &row?)?);
    }
    if matches!(from, PageFrom::NewerThan(_)) {
        calls.reverse();
    }
    Ok(calls)
}

pub fn fetch_recording(
    conn: &Connection,
    account_sid: &str,
    sid: &str,
) -> Result<Option<Recording>, StoreError> {
    let row: Option<String> = conn
        .prepare_cached("SELECT recording FROM recordings WHERE sid = ?1 AND account_sid = ?2")?
        .query_row(params![sid, account_sid], |row| row.get(0))
        .optional()?;
    row.map(|text| parse("recording", &text)).transpose()
}

pub fn recording_seq(
    conn: &Connection,
    account_sid: &str,
    sid: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT seq FROM recordings WHERE sid = ?1 AND account_sid = ?2")?
        .query_row(params![sid, account_sid], |row| row.get(0))
        .optional()?)
}

/// One page of recordings (of one call, when given), newest first.
pub fn list_recordings(
    conn: &Connection,
    account_sid: &str,
    call_sid: Option<&str>,
    from: PageFrom,
    limit: u32,
) -> Result<Vec<Recording>, StoreError> {
    let (anchor, comparison, order) = match from {
        PageFrom::OlderThan(seq) => (seq, "<", "DESC"),
        PageFrom::NewerThan(seq) => (seq, ">", "ASC"),
    };
    let sql = format!(
        "SELECT recording FROM recordings
         WHERE account_sid = ?1 AND seq {comparison} ?2 AND (?3 IS NULL OR call_sid = ?3)
         ORDER BY seq {order} LIMIT ?4"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params![account_sid, anchor, call_sid, limit], |row| {
        row.get::<_, String>(0)
    })?;
    let mut recordings = Vec::new();
    for row in rows {
        recordings.push(parse("recording", &row?)?);
    }
    if matches!(from, PageFrom::NewerThan(_)) {
        recordings.reverse();
    }
    Ok(recordings)
}

/// A call as the engine leaves it: the row (created or replaced), the recordings it made, the
/// jobs it scheduled and the events it raised; `claimed_job` is the scheduled step that ran, its
/// row deleted in the same transaction. (Steps the call moved past stay until they fall due,
/// and find themselves stale then.)
pub struct SaveCall {
    pub claimed_job: Option<i64>,
    pub call: Call,
    pub session: Session,
    pub recordings: Vec<Recording>,
    pub jobs: Vec<NewJob>,
    pub events: Vec<NewEvent>,
}

impl WriteOp for SaveCall {
    type Output = Vec<Job>;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<Vec<Job>, StoreError> {
        if let Some(job_id) = self.claimed_job {
            super::jobs::claim_job(tx, job_id)?;
        }
        let call = &self.call;
        let updated = tx
            .prepare_cached(
                "UPDATE calls SET status = ?3, start_time = ?4, end_time = ?5, call = ?6, session = ?7
                 WHERE sid = ?1 AND account_sid = ?2",
            )?
            .execute(params![
                call.sid,
                call.account_sid,
                call.status.as_str(),
                call.start_time,
                call.end_time,
                json(call)?,
                json(&self.session)?
            ])?;
        if updated == 0 {
            tx.prepare_cached(
                "INSERT INTO calls (sid, account_sid, parent_call_sid, status, from_addr, to_addr,
                   start_time, end_time, call, session)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                call.sid,
                call.account_sid,
                call.parent_call_sid,
                call.status.as_str(),
                call.from,
                call.to,
                call.start_time,
                call.end_time,
                json(call)?,
                json(&self.session)?
            ])?;
        }
        for recording in &self.recordings {
            tx.prepare_cached(
                "INSERT INTO recordings (sid, account_sid, call_sid, recording) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (sid) DO UPDATE SET recording = excluded.recording",
            )?
            .execute(params![
                recording.sid,
                recording.account_sid,
                recording.call_sid,
                json(recording)?
            ])?;
        }
        for event in &self.events {
            published.push(insert_event(tx, event)?);
        }
        insert_jobs(tx, &self.jobs)
    }
}

/// Claim a scheduled call step: delete its job row; false when it was already gone (the call
/// was deleted or its tenant cleared), and the step must not run.
pub struct ClaimCallStep {
    pub job_id: i64,
}

impl WriteOp for ClaimCallStep {
    type Output = bool;

    fn apply(&self, tx: &Transaction<'_>, _: &mut Vec<Arc<Event>>) -> Result<bool, StoreError> {
        super::jobs::claim_job(tx, self.job_id)
    }
}

/// Delete a call (ended) with its pending jobs; its recordings stay, as on Twilio.
pub struct DeleteCall {
    pub account_sid: String,
    pub sid: String,
    pub event: NewEvent,
}

impl WriteOp for DeleteCall {
    type Output = bool;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<bool, StoreError> {
        let deleted = removed(
            tx,
            "DELETE FROM calls WHERE sid = ?1 AND account_sid = ?2",
            params![self.sid, self.account_sid],
        )?;
        if deleted {
            cancel_jobs(tx, &self.sid)?;
            published.push(insert_event(tx, &self.event)?);
        }
        Ok(deleted)
    }
}

pub struct DeleteRecording {
    pub account_sid: String,
    pub sid: String,
}

impl WriteOp for DeleteRecording {
    type Output = bool;

    fn apply(&self, tx: &Transaction<'_>, _: &mut Vec<Arc<Event>>) -> Result<bool, StoreError> {
        removed(
            tx,
            "DELETE FROM recordings WHERE sid = ?1 AND account_sid = ?2",
            params![self.sid, self.account_sid],
        )
    }
}
