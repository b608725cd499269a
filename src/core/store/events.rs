//! The event log as stored: appended in the transaction of the change it describes.

use std::sync::Arc;

use rusqlite::{Connection, Transaction, params};

use super::{StoreError, WriteOp, json};
use crate::core::events::{Event, NewEvent};

pub(super) fn insert_event(conn: &Connection, event: &NewEvent) -> Result<Arc<Event>, StoreError> {
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
    read_events(&mut statement, params![after, limit as i64, account_sid])
}

/// The newest `limit` events of a tenant, or of every tenant, newest first.
pub fn latest_events(
    conn: &Connection,
    account_sid: Option<&str>,
    limit: usize,
) -> Result<Vec<Arc<Event>>, StoreError> {
    let mut statement = conn.prepare_cached(match account_sid {
        None => "SELECT seq, account_sid, at, data FROM events WHERE ?2 IS NULL ORDER BY seq DESC LIMIT ?1",
        Some(_) => "SELECT seq, account_sid, at, data FROM events WHERE account_sid = ?2 ORDER BY seq DESC LIMIT ?1",
    })?;
    read_events(&mut statement, params![limit as i64, account_sid])
}

/// A tenant's events about one resource (a message or a call, with its recordings), oldest
/// first, at most `limit`.
pub fn events_about(
    conn: &Connection,
    account_sid: &str,
    sid: &str,
    limit: usize,
) -> Result<Vec<Arc<Event>>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, account_sid, at, data FROM events WHERE account_sid = ?1 AND sid = ?2 ORDER BY seq LIMIT ?3",
    )?;
    read_events(&mut statement, params![account_sid, sid, limit as i64])
}

fn read_events(
    statement: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<Arc<Event>>, StoreError> {
    let rows = statement.query_map(params, |row| {
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

// ---------------------------------------------------------------------------------------------
// Writes.

/// Append an event that no other change carries; answers its sequence number.
#[derive(Debug, Clone)]
pub struct AppendEvent(pub NewEvent);

impl WriteOp for AppendEvent {
    type Output = i64;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<i64, StoreError> {
        let AppendEvent(event) = self;
        let event = insert_event(tx, event)?;
        let seq = event.seq;
        published.push(event);
        Ok(seq)
    }
}
