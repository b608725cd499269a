//! The store: SQLite, with embedded migrations.
//!
//! Writes go through one writer thread that takes every write waiting in its queue, applies them
//! in a single transaction and commits once (group commit): SQLite has one writer anyway, and one
//! commit for many requests is what makes thousands of messages a second cheap. If a batch
//! fails, its writes are applied again one transaction each, so one bad write fails alone and
//! nothing is stored half. Events are inserted in the same transaction as the change they describe and published
//! after the commit: a reader never sees an event for a change that did not happen, nor a change
//! without its event. Reads run on a small pool of connections on tokio's blocking threads.
//!
//! Why rusqlite and not sqlx (the design card's choice): measured on this project's two-core
//! machine, sqlx's SQLite driver spent 57 µs per INSERT inside a transaction (each statement is
//! a round trip to the connection's worker thread) against 0.4 µs for rusqlite with cached
//! statements. A message costs about a dozen statements over its lifecycle, so sqlx capped the
//! server near 3,000 messages a second; the target is 10,000.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::events::{Event, EventData, EventLog, NewEvent};
use super::messages::{
    Callback, Direction, HttpMethod, Message, MessageFilter, MessageStatus, MessageUpdate,
};
use super::rules::Step;
use super::tenants::{Account, AccountStatus, ApiKey, PhoneNumber};
use super::time::Millis;

/// When SQLite waits for the disk (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// Never: a killed process loses nothing (its writes are already with the OS); an OS crash
    /// or power cut may lose or damage the database. Right for a test double, and measured to
    /// keep p99 latency under load at a third of NORMAL's.
    #[default]
    Off,
    /// At each checkpoint: survives OS crashes too, at the cost of fsync pauses under load.
    Normal,
    /// At every commit.
    Full,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Off => "OFF",
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    /// A private in-memory database, gone when the server stops. For tests.
    Memory,
}

impl Location {
    /// `:memory:` selects the in-memory database; anything else is a file path.
    pub fn parse(value: &str) -> Self {
        if value == ":memory:" {
            Location::Memory
        } else {
            Location::File(value.into())
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("the store is shutting down")]
    Closed,
}

/// The schema, in order. `PRAGMA user_version` records how many have been applied.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/0001_init.sql")];

/// Reader connections for a database file. SQLite in WAL mode lets them read while the writer
/// writes.
const READERS: usize = 4;

fn configure(conn: &Connection, synchronous: Synchronous) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", synchronous.pragma())?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The handle.

struct WriteRequest {
    write: Write,
    reply: oneshot::Sender<Result<WriteResult, StoreError>>,
}

/// The handle every component reads and writes through. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    readers: Arc<Vec<Arc<Mutex<Connection>>>>,
    next_reader: Arc<AtomicUsize>,
    writer: mpsc::Sender<WriteRequest>,
}

/// How many queued writes one transaction takes at most.
const MAX_BATCH: usize = 1024;

impl Store {
    /// Open (creating and migrating as needed) and start the writer thread. The writer stops
    /// when every handle is dropped, after draining its queue. `events` receives what it commits.
    pub fn open(
        location: &Location,
        synchronous: Synchronous,
    ) -> Result<(Store, StoreWriter), StoreError> {
        let (writer_conn, readers) = match location {
            Location::File(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Open(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                let mut writer = Connection::open(path)
                    .map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
                writer.pragma_update(None, "journal_mode", "WAL")?;
                configure(&writer, synchronous)?;
                migrate(&mut writer)?;
                let readers = (0..READERS)
                    .map(|_| {
                        let conn = Connection::open_with_flags(
                            path,
                            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                        )?;
                        configure(&conn, synchronous)?;
                        Ok(Arc::new(Mutex::new(conn)))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                (Arc::new(Mutex::new(writer)), readers)
            }
            Location::Memory => {
                // Every connection to `:memory:` is a database of its own, so the writer and
                // the readers share the one connection.
                let mut conn = Connection::open_in_memory()?;
                configure(&conn, synchronous)?;
                migrate(&mut conn)?;
                let shared = Arc::new(Mutex::new(conn));
                (Arc::clone(&shared), vec![shared])
            }
        };
        let (writer, queue) = mpsc::channel(8192);
        let store = Store {
            readers: Arc::new(readers),
            next_reader: Arc::new(AtomicUsize::new(0)),
            writer,
        };
        Ok((
            store,
            StoreWriter {
                conn: writer_conn,
                queue,
            },
        ))
    }

    /// Apply one write; resolves once it is committed (and its events published).
    pub async fn write(&self, write: Write) -> Result<WriteResult, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(WriteRequest { write, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Run a read on one of the reader connections, off the async threads.
    pub async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let conn = Arc::clone(&self.readers[index]);
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            read(&conn)
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

/// The writer half, started once the event log exists.
pub struct StoreWriter {
    conn: Arc<Mutex<Connection>>,
    queue: mpsc::Receiver<WriteRequest>,
}

impl StoreWriter {
    /// Run the writer on a thread of its own: SQLite calls block.
    pub fn start(self, events: Arc<EventLog>) {
        std::thread::Builder::new()
            .name("mockingbird-writer".into())
            .spawn(move || self.run(&events))
            .unwrap_or_else(|e| panic!("cannot start the store's writer thread: {e}"));
    }

    fn run(mut self, events: &EventLog) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = self.queue.blocking_recv() {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match self.queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
            let mut published = Vec::new();
            match apply_batch(&mut conn, &batch, &mut published) {
                Ok(results) => {
                    drop(conn);
                    events.publish(published);
                    for (request, result) in batch.drain(..).zip(results) {
                        let _ = request.reply.send(Ok(result));
                    }
                }
                // One bad write must not fail its neighbours: apply each alone. (Savepoints
                // would isolate them without a second pass, but cost a statement journal on
                // every write; failures are rare.)
                Err(batch_error) => {
                    tracing::debug!(error = %batch_error, size = batch.len(), "batch failed; applying writes one by one");
                    for request in batch.drain(..) {
                        let mut published = Vec::new();
                        let result =
                            apply_batch(&mut conn, std::slice::from_ref(&request), &mut published)
                                .map(|mut results| results.pop().unwrap_or(WriteResult::Done));
                        events.publish(published);
                        let _ = request.reply.send(result);
                    }
                }
            }
        }
    }
}

/// Apply every write in one transaction; all or nothing.
fn apply_batch(
    conn: &mut Connection,
    batch: &[WriteRequest],
    published: &mut Vec<Arc<Event>>,
) -> Result<Vec<WriteResult>, StoreError> {
    let tx = conn.transaction()?;
    let results = batch
        .iter()
        .map(|request| apply(&tx, &request.write, published))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit()?;
    Ok(results)
}

// ---------------------------------------------------------------------------------------------
// Jobs: the durable outbox.

/// A notification target for status changes, captured when the message was created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusNotify {
    pub callback: Callback,
    pub from: Option<String>,
    pub to: String,
    pub messaging_service_sid: Option<String>,
}

/// One webhook delivery, with everything needed to send it again after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Sent as `I-Twilio-Idempotency-Token`; the same on every attempt.
    pub idempotency_token: String,
    pub resource_sid: String,
    /// What the webhook reports, for logs and the dashboard (`delivered`, …).
    pub status: String,
    pub url: String,
    pub method: HttpMethod,
    pub params: Vec<(String, String)>,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub max_attempts: u32,
    pub retry_delay_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobKind {
    /// Apply `steps[0]` to message `sid`, then schedule the rest.
    Lifecycle {
        sid: String,
        steps: Vec<Step>,
        notify: Option<StatusNotify>,
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
    pub attempt: i64,
    pub response_status: Option<i64>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub created_at: Millis,
}

impl CallbackAttempt {
    /// A 2xx answer.
    pub fn succeeded(&self) -> bool {
        self.response_status
            .is_some_and(|s| (200..300).contains(&s))
    }
}

// ---------------------------------------------------------------------------------------------
// Writes.

/// Which stored data a clear removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearWhat {
    Messages,
    Calls,
    Callbacks,
    All,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Cleared {
    pub messages: u64,
    pub calls: u64,
    pub callbacks: u64,
}

/// Every change the store makes. Each is applied whole, with its events, or not at all.
#[derive(Debug, Clone)]
pub enum Write {
    /// Insert or replace an account with its keys, numbers and rules.
    PutAccount {
        account: Account,
        api_keys: Vec<ApiKey>,
        numbers: Vec<PhoneNumber>,
        rules_json: String,
        announce: bool,
    },
    UpdateAccount {
        account: Account,
    },
    CreateMessage {
        message: Message,
        job: Option<NewJob>,
        events: Vec<NewEvent>,
    },
    /// Apply the first step of lifecycle job `job_id`.
    ApplyStep {
        job_id: i64,
        account_sid: String,
        sid: String,
        step: Step,
        at: Millis,
        next: Vec<NewJob>,
    },
    RecordAttempt {
        job_id: i64,
        attempt: CallbackAttempt,
        retry: Option<NewJob>,
    },
    UpdateMessage {
        account_sid: String,
        sid: String,
        update: MessageUpdate,
        at: Millis,
    },
    DeleteMessage {
        account_sid: String,
        sid: String,
        at: Millis,
    },
    Clear {
        account_sid: Option<String>,
        what: ClearWhat,
        at: Millis,
    },
    Event(NewEvent),
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteResult {
    Done,
    /// The jobs inserted, with their ids, for the scheduler.
    Jobs(Vec<Job>),
    /// The message after an update, or none if it does not exist.
    Message(Option<Box<Message>>),
    /// The job had been cancelled (its message deleted) before it ran.
    Stale,
    Deleted(bool),
    Cleared(Cleared),
}

fn json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn apply(
    conn: &Connection,
    write: &Write,
    published: &mut Vec<Arc<Event>>,
) -> Result<WriteResult, StoreError> {
    match write {
        Write::PutAccount {
            account,
            api_keys,
            numbers,
            rules_json,
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
                rules_json,
                account.created_at,
                account.updated_at,
            ])?;
            for key in api_keys {
                conn.prepare_cached(
                    "INSERT OR REPLACE INTO api_keys (sid, account_sid, secret, friendly_name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![key.sid, key.account_sid, key.secret, key.friendly_name, key.created_at])?;
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

// ---------------------------------------------------------------------------------------------
// Reads.

const MESSAGE_COLUMNS: &str = "sid, account_sid, direction, from_addr, to_addr, body, media_urls, status,
    num_segments, messaging_service_sid, error_code, error_message, price, created_at, updated_at, sent_at,
    status_callback, status_callback_method";

fn parse_status(value: &str) -> Result<MessageStatus, StoreError> {
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
            limit
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

pub fn job_exists(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM jobs WHERE id = ?1")?
        .query_row(params![id], |_| Ok(()))
        .optional()?
        .is_some())
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
    pub rules_json: String,
    pub api_keys: Vec<ApiKey>,
    pub numbers: Vec<PhoneNumber>,
}

pub fn load_tenants(conn: &Connection) -> Result<Vec<StoredTenant>, StoreError> {
    let mut keys =
        conn.prepare("SELECT sid, account_sid, secret, friendly_name, created_at FROM api_keys")?;
    let keys = keys
        .query_map([], |row| {
            Ok(ApiKey {
                sid: row.get(0)?,
                account_sid: row.get(1)?,
                secret: row.get(2)?,
                friendly_name: row.get(3)?,
                created_at: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut numbers = conn.prepare(
        "SELECT sid, account_sid, phone_number, friendly_name, sms_url, sms_method, created_at
         FROM phone_numbers ORDER BY created_at",
    )?;
    let numbers = numbers
        .query_map([], |row| {
            Ok(PhoneNumber {
                sid: row.get(0)?,
                account_sid: row.get(1)?,
                phone_number: row.get(2)?,
                friendly_name: row.get(3)?,
                sms_url: row.get(4)?,
                sms_method: row.get(5)?,
                created_at: row.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut tenants = conn.prepare(
        "SELECT sid, auth_token, friendly_name, owner_account_sid, status, rules, created_at, updated_at FROM tenants",
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
        ) = row?;
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
            account: Account {
                status: AccountStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("account status {status:?}")))?,
                sid,
                auth_token,
                friendly_name,
                owner_account_sid,
                created_at,
                updated_at,
            },
            rules_json,
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

pub fn events_after(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> Result<Vec<Arc<Event>>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, account_sid, at, data FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = statement.query_map(params![after, limit as i64], |row| {
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

/// Recorded webhook attempts of one tenant, newest first.
pub fn callback_attempts(
    conn: &Connection,
    account_sid: &str,
    limit: u32,
) -> Result<Vec<CallbackAttempt>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT id, account_sid, resource_sid, status, url, method, request_body, attempt, response_status,
           response_body, error, latency_ms, created_at
         FROM callback_attempts WHERE account_sid = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = statement.query_map(params![account_sid, limit], |row| {
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
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
