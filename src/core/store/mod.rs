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

use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::events::{Event, EventLog, NewEvent};
use super::media::Media;
use super::messages::{Message, MessageUpdate};
use super::rules::{Rule, Step};
use super::tenants::{Account, ApiKey, OptOut, PhoneNumber};
use super::time::Millis;

mod accounts;
mod apply;
mod attempts;
mod events;
mod jobs;
mod media;
mod messages;
mod numbers;

use apply::apply;

pub use accounts::{StoredTenant, load_tenants};
pub use attempts::{CallbackAttempt, callback_attempt, callback_attempts};
pub use events::{events_after, latest_event_seq};
pub use jobs::{
    Delivery, Job, JobKind, NewJob, StatusNotify, WebhookProvider, WhatsAppNotify, load_jobs,
    pending_jobs,
};
pub use media::{fetch_media, fetch_media_content};
pub use messages::{
    PageFrom, fetch_message, last_inbound_at, list_messages, message_seq, whatsapp_conversation,
};

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
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_init.sql"),
    include_str!("../../../migrations/0002_api_key_updates.sql"),
    include_str!("../../../migrations/0003_control_plane.sql"),
    include_str!("../../../migrations/0004_whatsapp.sql"),
    include_str!("../../../migrations/0005_whatsapp_media.sql"),
];

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
            let writes: Vec<&Write> = batch.iter().map(|request| &request.write).collect();
            let (results, committed) = {
                let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
                apply_all(&mut conn, &writes)
            };
            events.publish(committed);
            for (request, result) in batch.drain(..).zip(results) {
                let _ = request.reply.send(result);
            }
        }
    }
}

/// Apply writes in one transaction; if it fails, apply each alone, so that one bad write fails
/// by itself and nothing is stored half. (Savepoints would isolate writes without a second pass,
/// but cost a statement journal on every write; failures are rare.) Returns each write's
/// result, and the events of the transactions that committed, in order.
fn apply_all(
    conn: &mut Connection,
    writes: &[&Write],
) -> (Vec<Result<WriteResult, StoreError>>, Vec<Arc<Event>>) {
    match apply_batch(conn, writes) {
        Ok((results, events)) => (results.into_iter().map(Ok).collect(), events),
        Err(error) => {
            tracing::debug!(%error, size = writes.len(), "batch failed; applying writes one by one");
            let mut committed = Vec::new();
            let results = writes
                .iter()
                .map(|write| {
                    let (mut results, mut events) = apply_batch(conn, std::slice::from_ref(write))?;
                    committed.append(&mut events);
                    Ok(results.pop().unwrap_or(WriteResult::Done))
                })
                .collect();
            (results, committed)
        }
    }
}

/// Apply every write in one transaction, all or nothing: the results and the events appended,
/// or the error and nothing.
fn apply_batch(
    conn: &mut Connection,
    writes: &[&Write],
) -> Result<(Vec<WriteResult>, Vec<Arc<Event>>), StoreError> {
    let tx = conn.transaction()?;
    let mut events = Vec::new();
    let results = writes
        .iter()
        .map(|write| apply(&tx, write, &mut events))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit()?;
    Ok((results, events))
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

fn json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
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
        rules: Vec<Rule>,
        announce: bool,
    },
    UpdateAccount {
        account: Account,
    },
    /// Replace a tenant's rules.
    SetRules {
        account_sid: String,
        rules: Vec<Rule>,
    },
    /// Insert or replace an API key.
    PutApiKey {
        key: ApiKey,
    },
    DeleteApiKey {
        account_sid: String,
        sid: String,
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
    /// Record a webhook attempt: of scheduled delivery job `job_id`, or one made at a test's
    /// request (no job).
    RecordAttempt {
        job_id: Option<i64>,
        attempt: CallbackAttempt,
        retry: Option<NewJob>,
        /// The message's recipient and sender, for event filters.
        to: Option<String>,
        from: Option<String>,
    },
    /// Set a message's status by hand: drops its pending lifecycle steps, schedules `deliver`.
    SetStatus {
        account_sid: String,
        sid: String,
        step: Step,
        at: Millis,
        deliver: Option<NewJob>,
    },
    /// Insert or replace a phone number (by SID).
    PutNumber {
        number: PhoneNumber,
    },
    DeleteNumber {
        account_sid: String,
        sid: String,
    },
    SetOptOut {
        account_sid: String,
        opt_out: OptOut,
        opted_out: bool,
        at: Millis,
    },
    /// Drop a tenant's data and opt-outs and give it `rules`; keep its credentials and numbers.
    ResetTenant {
        account_sid: String,
        rules: Vec<Rule>,
        at: Millis,
    },
    /// Remove a tenant and everything it owns.
    DeleteTenant {
        account_sid: String,
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
    /// Store an uploaded WhatsApp media file with its metadata.
    PutMedia {
        media: Media,
        content: Vec<u8>,
    },
    /// Forget an uploaded media file; [`WriteResult::Deleted`] says whether it existed.
    DeleteMedia {
        account_sid: String,
        id: String,
    },
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
    /// The sequence number of the event the write appended.
    Sequence(i64),
    /// A webhook attempt as stored (with its id), and the retry scheduled, if any.
    Recorded {
        attempt: Box<CallbackAttempt>,
        jobs: Vec<Job>,
    },
    /// A message after a change, and the jobs the change scheduled.
    Changed {
        message: Box<Message>,
        jobs: Vec<Job>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::events::{EventData, NewEvent};

    fn event(account_sid: &str) -> Write {
        Write::Event(NewEvent {
            account_sid: account_sid.into(),
            at: 0,
            data: EventData::DataCleared {
                scope: "test".into(),
            },
        })
    }

    #[test]
    fn a_failing_write_fails_alone_and_publishes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        configure(&conn, Synchronous::Off).unwrap();
        migrate(&mut conn).unwrap();
        // Redacting a message whose row cannot be read back appends its event, then fails.
        conn.execute(
            "INSERT INTO messages (sid, account_sid, direction, to_addr, body, status, num_segments, created_at, updated_at)
             VALUES ('SM1', 'AC1', 'sideways', '+1', 'b', 'queued', 1, 0, 0)",
            [],
        )
        .unwrap();
        let failing = Write::UpdateMessage {
            account_sid: "AC1".into(),
            sid: "SM1".into(),
            update: MessageUpdate::Redact,
            at: 0,
        };
        let (first, second) = (event("AC1"), event("AC2"));
        let (results, committed) = apply_all(&mut conn, &[&first, &failing, &second]);
        assert!(
            results[0].is_ok() && results[1].is_err() && results[2].is_ok(),
            "{results:?}"
        );
        let published: Vec<&str> = committed.iter().map(|e| e.account_sid.as_str()).collect();
        assert_eq!(published, vec!["AC1", "AC2"]);
        let stored = events_after(&conn, 0, None, 10).unwrap();
        assert_eq!(
            stored.iter().map(|e| e.seq).collect::<Vec<_>>(),
            committed.iter().map(|e| e.seq).collect::<Vec<_>>()
        );
        let keys: i64 = conn
            .query_row("SELECT COUNT(*) FROM api_keys", [], |row| row.get(0))
            .unwrap();
        assert_eq!(keys, 0);
    }
}
