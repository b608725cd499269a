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
//! Each kind of write is a type of its own ([`WriteOp`]) answering exactly its output, and
//! lives beside the reads and row mapping of the table it changes:
//! - `accounts`: accounts (the `tenants` table), API keys, rules; the registry read at start.
//! - `numbers`: phone numbers and opt-outs.
//! - `messages`: messages, their pages and status changes (lifecycle steps, set by hand).
//! - `calls`: calls with their sessions, and recordings.
//! - `jobs`: the durable outbox of lifecycle steps and webhook deliveries.
//! - `attempts`: webhook attempts as recorded.
//! - `events`: the event log.
//! - `media`: uploaded WhatsApp media.
//! - `clear`: tenant-wide removals (reset, delete, clear).
//!
//! Why rusqlite and not sqlx (the design card's choice): measured on this project's two-core
//! machine, sqlx's SQLite driver spent 57 µs per INSERT inside a transaction (each statement is
//! a round trip to the connection's worker thread) against 0.4 µs for rusqlite with cached
//! statements. A message costs about a dozen statements over its lifecycle, so sqlx capped the
//! server near 3,000 messages a second; the target is 10,000.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::hooks::Action;
use rusqlite::{Connection, OpenFlags, Params, Transaction};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::events::{Event, EventLog};

mod accounts;
mod attempts;
mod calls;
mod clear;
mod events;
mod jobs;
mod media;
mod messages;
mod numbers;
mod whatsapp_users;

pub use accounts::{
    DeleteApiKey, PutAccount, PutApiKey, SetRules, StoredTenant, UpdateAccount,
    UpdateAccountAndNotify, load_tenants,
};
pub use attempts::{CallbackAttempt, RecordAttempt, Recorded, callback_attempt, callback_attempts};
pub use calls::{
    ClaimCallStep, DeleteCall, DeleteRecording, SaveCall, call_seq, fetch_call, fetch_recording,
    list_calls, list_recordings, recording_seq,
};
pub use clear::{Clear, ClearWhat, Cleared, DeleteTenant, ResetTenant};
pub use events::{AppendEvent, events_about, events_after, latest_event_seq, latest_events};
pub use jobs::{Job, JobKind, NewJob, load_jobs};
pub use media::{DeleteMedia, PutMedia, fetch_media, fetch_media_content, media_count};
pub use messages::{
    ApplyStep, CreateMessage, DeleteMessage, DeleteMessageMedia, IndexNewText, PageFrom, SetStatus,
    StatusSet, UpdateMessage, call_tallies, conversation, deleted_message_media, fetch_message,
    last_inbound_at, list_messages, message_seq, message_tallies, recent_outcomes, recent_threads,
};
pub use numbers::{DeleteNumber, PutNumber, SetOptOut};
pub use whatsapp_users::{RememberWhatsAppUser, WhatsAppUserKey, whatsapp_user};

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
    include_str!("../../../migrations/0006_delivery_notices.sql"),
    include_str!("../../../migrations/0007_whatsapp_users.sql"),
    include_str!("../../../migrations/0008_deleted_media.sql"),
    include_str!("../../../migrations/0009_calls.sql"),
    include_str!("../../../migrations/0010_events_by_resource.sql"),
    include_str!("../../../migrations/0011_dashboard.sql"),
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

/// The handle every component reads and writes through. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    readers: Arc<Vec<Arc<Mutex<Connection>>>>,
    next_reader: Arc<AtomicUsize>,
    writer: mpsc::Sender<Box<dyn Queued>>,
    /// The rows `/health` reports, as of the latest commit.
    tally: Arc<Tally>,
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
        let tally = Arc::new(Tally::default());
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
                tally.watch(&mut writer)?;
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
                tally.watch(&mut conn)?;
                let shared = Arc::new(Mutex::new(conn));
                (Arc::clone(&shared), vec![shared])
            }
        };
        let (writer, queue) = mpsc::channel(8192);
        let store = Store {
            readers: Arc::new(readers),
            next_reader: Arc::new(AtomicUsize::new(0)),
            writer,
            tally: Arc::clone(&tally),
        };
        Ok((
            store,
            StoreWriter {
                conn: writer_conn,
                queue,
                tally,
            },
        ))
    }

    /// Apply one write; resolves with its output once it is committed (and its events
    /// published).
    pub async fn write<W: WriteOp>(&self, write: W) -> Result<W::Output, StoreError> {
        let (queued, answer) = Request::queue(write);
        self.writer
            .send(queued)
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// The stored rows `/health` reports, as of the latest commit: kept by the writer, read
    /// without touching the database.
    pub fn counts(&self) -> Counts {
        self.tally.counts()
    }

    /// How many jobs (lifecycle steps, webhook deliveries) are stored, as of the latest commit.
    pub fn pending_jobs(&self) -> i64 {
        self.tally.committed[Table::Jobs as usize].load(Ordering::Relaxed)
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
    queue: mpsc::Receiver<Box<dyn Queued>>,
    tally: Arc<Tally>,
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
            let (outcomes, committed) = {
                let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
                apply_all(&mut conn, &mut batch, &self.tally)
            };
            // Published before anyone is answered: a caller that reads the event log after
            // its write finds the write's events there.
            events.publish(committed);
            for (request, outcome) in batch.drain(..).zip(outcomes) {
                request.answer(outcome);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writes: typed operations, queued type-erased and committed in groups.

/// One change to the store, a type of its own answering exactly its output: `CreateMessage`
/// gives the jobs it scheduled, `DeleteMessage` whether there was a message, and so on. It is
/// applied whole, with its events, or not at all.
pub trait WriteOp: Send + 'static {
    type Output: Send + 'static;

    /// Make the change in `tx` and push the events it appends onto `published`. This may run
    /// twice (a failed batch is applied again write by write); only the run whose transaction
    /// commits is answered.
    fn apply(
        &self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<Self::Output, StoreError>;
}

/// A write in the writer's queue, its type erased so that one queue (and one transaction)
/// carries every kind of write.
trait Queued: Send {
    /// Apply the write in `tx`, keeping its output until the transaction's fate is known.
    fn apply(
        &mut self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError>;

    /// Answer the caller: with the kept output if the write's transaction committed, else with
    /// the error that undid it.
    fn answer(self: Box<Self>, committed: Result<(), StoreError>);
}

/// What a caller of [`Store::write`] waits on.
type Answer<T> = oneshot::Receiver<Result<T, StoreError>>;

/// A write with its result slot and its caller's reply: the one Box a write costs.
struct Request<W: WriteOp> {
    write: W,
    /// The output of the latest `apply`; stale once its batch failed, until the write is
    /// applied again alone.
    output: Option<W::Output>,
    reply: oneshot::Sender<Result<W::Output, StoreError>>,
}

impl<W: WriteOp> Request<W> {
    fn queue(write: W) -> (Box<dyn Queued>, Answer<W::Output>) {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            write,
            output: None,
            reply,
        };
        (Box::new(request), answer)
    }
}

impl<W: WriteOp> Queued for Request<W> {
    fn apply(
        &mut self,
        tx: &Transaction<'_>,
        published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError> {
        self.output = Some(self.write.apply(tx, published)?);
        Ok(())
    }

    fn answer(self: Box<Self>, committed: Result<(), StoreError>) {
        let Request { output, reply, .. } = *self;
        // A write is only answered as committed after an `apply` that succeeded.
        let answer = committed.and_then(|()| {
            output.ok_or_else(|| StoreError::Corrupt("a committed write kept no output".into()))
        });
        // The caller may have stopped waiting; the write stands.
        let _ = reply.send(answer);
    }
}

/// Apply writes in one transaction; if it fails, apply each alone, so that one bad write fails
/// by itself and nothing is stored half. (Savepoints would isolate writes without a second pass,
/// but cost a statement journal on every write; failures are rare.) Returns whether each write
/// committed, and the events of the transactions that committed, in order.
fn apply_all(
    conn: &mut Connection,
    writes: &mut [Box<dyn Queued>],
    tally: &Tally,
) -> (Vec<Result<(), StoreError>>, Vec<Arc<Event>>) {
    match apply_batch(conn, writes, tally) {
        Ok(events) => (writes.iter().map(|_| Ok(())).collect(), events),
        Err(error) => {
            tracing::debug!(%error, size = writes.len(), "batch failed; applying writes one by one");
            let mut committed = Vec::new();
            let outcomes = writes
                .iter_mut()
                .map(|write| {
                    let mut events = apply_batch(conn, std::slice::from_mut(write), tally)?;
                    committed.append(&mut events);
                    Ok(())
                })
                .collect();
            (outcomes, committed)
        }
    }
}

/// Apply every write in one transaction, all or nothing: the events appended, or the error and
/// nothing. The rows it inserted and deleted reach `tally` only if it commits.
fn apply_batch(
    conn: &mut Connection,
    writes: &mut [Box<dyn Queued>],
    tally: &Tally,
) -> Result<Vec<Arc<Event>>, StoreError> {
    let applied = (|| {
        let tx = conn.transaction()?;
        let mut events = Vec::new();
        for write in writes.iter_mut() {
            write.apply(&tx, &mut events)?;
        }
        tx.commit()?;
        Ok(events)
    })();
    tally.settle(applied.is_ok());
    applied
}

// ---------------------------------------------------------------------------------------------
// Across tables.

/// Row counts for `/health`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub messages: i64,
    pub calls: i64,
    pub callbacks: i64,
}

/// The tables whose rows the tally counts.
#[derive(Debug, Clone, Copy)]
enum Table {
    Messages,
    Calls,
    Callbacks,
    Jobs,
}

impl Table {
    const ALL: [Table; 4] = [Table::Messages, Table::Calls, Table::Callbacks, Table::Jobs];

    fn name(self) -> &'static str {
        match self {
            Table::Messages => "messages",
            Table::Calls => "calls",
            Table::Callbacks => "callback_attempts",
            Table::Jobs => "jobs",
        }
    }
}

/// Row counts kept as writes commit, so that `/health` scans no table. Counted once from the
/// tables when the store opens, then moved by SQLite's update hook on the writer connection:
/// every row inserted or deleted (by any statement, trigger or cascade) moves `pending`, which
/// joins `committed` when its transaction commits and is dropped when it rolls back.
/// (SQLite skips the hook only for a `DELETE` without a `WHERE` clause, the truncate
/// optimisation: every delete of these tables names the rows it removes.)
#[derive(Debug, Default)]
struct Tally {
    committed: [AtomicI64; 4],
    /// The open transaction's changes; only the writer thread (inside the hook) moves them.
    pending: Arc<[AtomicI64; 4]>,
}

impl Tally {
    /// Count the tables as they are, then follow the writer connection's changes.
    fn watch(&self, conn: &mut Connection) -> Result<(), StoreError> {
        for table in Table::ALL {
            let rows: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM {}", table.name()),
                [],
                |row| row.get(0),
            )?;
            self.committed[table as usize].store(rows, Ordering::Relaxed);
        }
        let pending = Arc::clone(&self.pending);
        conn.update_hook(Some(
            move |action: Action, _db: &str, name: &str, _row: i64| {
                let delta = match action {
                    Action::SQLITE_INSERT => 1,
                    Action::SQLITE_DELETE => -1,
                    _ => return,
                };
                if let Some(table) = Table::ALL.into_iter().find(|t| t.name() == name) {
                    pending[table as usize].fetch_add(delta, Ordering::Relaxed);
                }
            },
        ))?;
        Ok(())
    }

    /// The open transaction has ended: keep its changes if it committed.
    fn settle(&self, committed: bool) {
        for table in Table::ALL {
            let delta = self.pending[table as usize].swap(0, Ordering::Relaxed);
            if committed {
                self.committed[table as usize].fetch_add(delta, Ordering::Relaxed);
            }
        }
    }

    fn counts(&self) -> Counts {
        Counts {
            messages: self.committed[Table::Messages as usize].load(Ordering::Relaxed),
            calls: self.committed[Table::Calls as usize].load(Ordering::Relaxed),
            callbacks: self.committed[Table::Callbacks as usize].load(Ordering::Relaxed),
        }
    }
}

/// Run a DELETE; whether it removed anything.
fn removed(conn: &Connection, sql: &str, params: impl Params) -> Result<bool, StoreError> {
    Ok(conn.prepare_cached(sql)?.execute(params)? > 0)
}

fn json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::events::{EventData, NewEvent};
    use crate::core::messaging::MessageUpdate;

    fn event(account_sid: &str) -> Box<dyn Queued> {
        Request::queue(AppendEvent(NewEvent {
            account_sid: account_sid.into(),
            at: 0,
            data: EventData::DataCleared {
                scope: "test".into(),
            },
        }))
        .0
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
        let (failing, _) = Request::queue(UpdateMessage {
            account_sid: "AC1".into(),
            sid: "SM1".into(),
            update: MessageUpdate::Redact,
            at: 0,
        });
        let mut writes = [event("AC1"), failing, event("AC2")];
        let tally = Tally::default();
        tally.watch(&mut conn).unwrap();
        let (results, committed) = apply_all(&mut conn, &mut writes, &tally);
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
        // The failed batch's changes never reached the tally.
        assert_eq!(tally.counts().messages, 1);
    }

    #[test]
    fn the_tally_follows_inserts_and_deletes_that_commit() {
        let mut conn = Connection::open_in_memory().unwrap();
        configure(&conn, Synchronous::Off).unwrap();
        migrate(&mut conn).unwrap();
        let insert = "INSERT INTO messages (sid, account_sid, direction, to_addr, body, status, num_segments, created_at, updated_at)
             VALUES (?1, 'AC1', 'outbound-api', '+1', 'b', 'queued', 1, 0, 0)";
        conn.execute(insert, ["SM0"]).unwrap();
        let tally = Tally::default();
        tally.watch(&mut conn).unwrap();
        assert_eq!(tally.counts().messages, 1, "counted at open");
        let tx = conn.transaction().unwrap();
        for sid in ["SM1", "SM2", "SM3"] {
            tx.execute(insert, [sid]).unwrap();
        }
        tx.execute("DELETE FROM messages WHERE sid = 'SM0'", [])
            .unwrap();
        tx.commit().unwrap();
        tally.settle(true);
        assert_eq!(tally.counts().messages, 3);
        let tx = conn.transaction().unwrap();
        tx.execute("DELETE FROM messages WHERE account_sid = 'AC1'", [])
            .unwrap();
        drop(tx);
        tally.settle(false);
        assert_eq!(tally.counts().messages, 3, "a rollback moves nothing");
    }
}
