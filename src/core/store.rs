//! The store: SQLite through sqlx, one pool, embedded migrations.
//!
//! Reads go straight to the pool. Writes go through one writer task that takes every write
//! waiting in its queue, applies them in a single transaction and commits once (group commit):
//! SQLite has one writer anyway, and one commit for many requests is what makes thousands of
//! messages a second cheap. Events are inserted in the same transaction as the change they
//! describe and published after the commit, so a reader never sees an event for a change that
//! did not happen, nor a change without its event.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Acquire, FromRow, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::events::{Event, EventData, EventLog, NewEvent};
use super::messages::{
    Callback, Direction, HttpMethod, Message, MessageFilter, MessageStatus, MessageUpdate,
};
use super::rules::Step;
use super::tenants::{Account, AccountStatus, ApiKey, PhoneNumber};
use super::time::Millis;

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(std::path::PathBuf),
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
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
}

/// Open the database, creating and migrating it as needed.
pub async fn open(location: &Location) -> Result<SqlitePool, StoreError> {
    let pool = match location {
        Location::File(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Corrupt(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL in WAL mode survives a process crash (kill -9); only an OS crash can
                // lose the last commits. FULL would fsync on every group commit.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            SqlitePoolOptions::new()
                .max_connections(8)
                .min_connections(2)
                .connect_with(options)
                .await?
        }
        Location::Memory => {
            // Every connection to `:memory:` is a database of its own, so the pool holds exactly
            // one connection and never lets it go.
            let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?
        }
    };
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromRow)]
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

struct WriteRequest {
    write: Write,
    reply: oneshot::Sender<Result<WriteResult, StoreError>>,
}

/// The handle every component writes through.
#[derive(Clone)]
pub struct Store {
    pub pool: SqlitePool,
    writer: mpsc::Sender<WriteRequest>,
}

/// How many queued writes one transaction takes at most.
const MAX_BATCH: usize = 512;

impl Store {
    /// Start the writer task. It ends when every `Store` handle is dropped, after draining.
    pub fn start(pool: SqlitePool, events: Arc<EventLog>) -> Store {
        let (writer, queue) = mpsc::channel(4096);
        tokio::spawn(run_writer(pool.clone(), queue, events));
        Store { pool, writer }
    }

    pub async fn write(&self, write: Write) -> Result<WriteResult, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(WriteRequest { write, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run_writer(
    pool: SqlitePool,
    mut queue: mpsc::Receiver<WriteRequest>,
    events: Arc<EventLog>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let requests = std::mem::take(&mut batch);
        match apply_batch(&pool, &requests).await {
            Ok((results, published)) => {
                events.publish(published);
                for (request, result) in requests.into_iter().zip(results) {
                    let _ = request.reply.send(Ok(result));
                }
            }
            // One bad write must not fail its neighbours: apply each alone.
            Err(batch_error) => {
                tracing::debug!(error = %batch_error, size = requests.len(), "batch failed; applying writes one by one");
                for request in requests {
                    let single = std::slice::from_ref(&request);
                    let outcome = match apply_batch(&pool, single).await {
                        Ok((mut results, published)) => {
                            events.publish(published);
                            Ok(results.pop().unwrap_or(WriteResult::Done))
                        }
                        Err(e) => Err(e),
                    };
                    let _ = request.reply.send(outcome);
                }
            }
        }
    }
}

async fn apply_batch(
    pool: &SqlitePool,
    requests: &[WriteRequest],
) -> Result<(Vec<WriteResult>, Vec<Arc<Event>>), StoreError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let mut results = Vec::with_capacity(requests.len());
    let mut published = Vec::new();
    for request in requests {
        results.push(apply(&mut tx, &request.write, &mut published).await?);
    }
    tx.commit().await?;
    Ok((results, published))
}

async fn apply(
    conn: &mut SqliteConnection,
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
            sqlx::query(
                "INSERT INTO tenants (sid, auth_token, friendly_name, owner_account_sid, status, rules, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (sid) DO UPDATE SET auth_token = excluded.auth_token,
                   friendly_name = excluded.friendly_name, owner_account_sid = excluded.owner_account_sid,
                   status = excluded.status, rules = excluded.rules, updated_at = excluded.updated_at",
            )
            .bind(&account.sid)
            .bind(&account.auth_token)
            .bind(&account.friendly_name)
            .bind(&account.owner_account_sid)
            .bind(account.status.as_str())
            .bind(rules_json)
            .bind(account.created_at)
            .bind(account.updated_at)
            .execute(&mut *conn)
            .await?;
            for key in api_keys {
                sqlx::query(
                    "INSERT OR REPLACE INTO api_keys (sid, account_sid, secret, friendly_name, created_at) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&key.sid)
                .bind(&key.account_sid)
                .bind(&key.secret)
                .bind(&key.friendly_name)
                .bind(key.created_at)
                .execute(&mut *conn)
                .await?;
            }
            for number in numbers {
                sqlx::query(
                    "INSERT INTO phone_numbers (sid, account_sid, phone_number, friendly_name, sms_url, sms_method, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT (account_sid, phone_number) DO NOTHING",
                )
                .bind(&number.sid)
                .bind(&number.account_sid)
                .bind(&number.phone_number)
                .bind(&number.friendly_name)
                .bind(&number.sms_url)
                .bind(&number.sms_method)
                .bind(number.created_at)
                .execute(&mut *conn)
                .await?;
            }
            if *announce {
                let event = NewEvent {
                    account_sid: account.sid.clone(),
                    at: account.created_at,
                    data: EventData::AccountCreated {
                        friendly_name: account.friendly_name.clone(),
                    },
                };
                published.push(insert_event(conn, &event).await?);
            }
            Ok(WriteResult::Done)
        }
        Write::UpdateAccount { account } => {
            sqlx::query(
                "UPDATE tenants SET friendly_name = ?, status = ?, updated_at = ? WHERE sid = ?",
            )
            .bind(&account.friendly_name)
            .bind(account.status.as_str())
            .bind(account.updated_at)
            .bind(&account.sid)
            .execute(&mut *conn)
            .await?;
            Ok(WriteResult::Done)
        }
        Write::CreateMessage {
            message,
            job,
            events,
        } => {
            insert_message(conn, message).await?;
            for event in events {
                published.push(insert_event(conn, event).await?);
            }
            let mut jobs = Vec::new();
            if let Some(job) = job {
                jobs.push(insert_job(conn, job).await?);
            }
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
            if !claim_job(conn, *job_id).await? {
                return Ok(WriteResult::Stale);
            }
            let previous: Option<(String,)> =
                sqlx::query_as("SELECT status FROM messages WHERE sid = ? AND account_sid = ?")
                    .bind(sid)
                    .bind(account_sid)
                    .fetch_optional(&mut *conn)
                    .await?;
            let Some((previous,)) = previous else {
                return Ok(WriteResult::Stale);
            };
            let previous = parse_status(&previous)?;
            let sent_at = matches!(step.status, MessageStatus::Sent | MessageStatus::Delivered)
                .then_some(*at);
            sqlx::query(
                "UPDATE messages SET status = ?, error_code = COALESCE(?, error_code),
                   error_message = COALESCE(?, error_message), updated_at = ?,
                   sent_at = COALESCE(sent_at, ?)
                 WHERE sid = ?",
            )
            .bind(step.status.as_str())
            .bind(step.error_code.map(i64::from))
            .bind(&step.error_message)
            .bind(at)
            .bind(sent_at)
            .bind(sid)
            .execute(&mut *conn)
            .await?;
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
            published.push(insert_event(conn, &event).await?);
            let mut jobs = Vec::with_capacity(next.len());
            for job in next {
                jobs.push(insert_job(conn, job).await?);
            }
            Ok(WriteResult::Jobs(jobs))
        }
        Write::RecordAttempt {
            job_id,
            attempt,
            retry,
        } => {
            let claimed = claim_job(conn, *job_id).await?;
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO callback_attempts (account_sid, resource_sid, status, url, method, request_body,
                   attempt, response_status, response_body, error, latency_ms, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(&attempt.account_sid)
            .bind(&attempt.resource_sid)
            .bind(&attempt.status)
            .bind(&attempt.url)
            .bind(&attempt.method)
            .bind(&attempt.request_body)
            .bind(attempt.attempt)
            .bind(attempt.response_status)
            .bind(&attempt.response_body)
            .bind(&attempt.error)
            .bind(attempt.latency_ms)
            .bind(attempt.created_at)
            .fetch_one(&mut *conn)
            .await?;
            let recorded = CallbackAttempt {
                id,
                ..attempt.clone()
            };
            let event = NewEvent {
                account_sid: attempt.account_sid.clone(),
                at: attempt.created_at,
                data: EventData::CallbackAttempted { attempt: recorded },
            };
            published.push(insert_event(conn, &event).await?);
            let mut jobs = Vec::new();
            if let (true, Some(retry)) = (claimed, retry) {
                jobs.push(insert_job(conn, retry).await?);
            }
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
                    "UPDATE messages SET body = '', updated_at = ? WHERE sid = ? AND account_sid = ?",
                    EventData::MessageRedacted { sid: sid.clone() },
                ),
                MessageUpdate::Cancel => (
                    "UPDATE messages SET status = 'canceled', updated_at = ? WHERE sid = ? AND account_sid = ?",
                    EventData::MessageStatusChanged {
                        sid: sid.clone(),
                        previous: MessageStatus::Scheduled,
                        status: MessageStatus::Canceled,
                        error_code: None,
                    },
                ),
            };
            let changed = sqlx::query(sql)
                .bind(at)
                .bind(sid)
                .bind(account_sid)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if changed == 0 {
                return Ok(WriteResult::Message(None));
            }
            if *update == MessageUpdate::Cancel {
                cancel_jobs(conn, sid).await?;
            }
            let event = NewEvent {
                account_sid: account_sid.clone(),
                at: *at,
                data,
            };
            published.push(insert_event(conn, &event).await?);
            Ok(WriteResult::Message(
                fetch_message(&mut *conn, account_sid, sid)
                    .await?
                    .map(Box::new),
            ))
        }
        Write::DeleteMessage {
            account_sid,
            sid,
            at,
        } => {
            let deleted = sqlx::query("DELETE FROM messages WHERE sid = ? AND account_sid = ?")
                .bind(sid)
                .bind(account_sid)
                .execute(&mut *conn)
                .await?
                .rows_affected()
                > 0;
            if deleted {
                cancel_jobs(conn, sid).await?;
                let event = NewEvent {
                    account_sid: account_sid.clone(),
                    at: *at,
                    data: EventData::MessageDeleted { sid: sid.clone() },
                };
                published.push(insert_event(conn, &event).await?);
            }
            Ok(WriteResult::Deleted(deleted))
        }
        Write::Clear {
            account_sid,
            what,
            at,
        } => {
            let mut cleared = Cleared::default();
            let messages = matches!(what, ClearWhat::Messages | ClearWhat::All);
            let callbacks = matches!(what, ClearWhat::Callbacks | ClearWhat::All);
            // `?1 IS NULL` selects every tenant: the seed's /clear routes wipe the server.
            if messages {
                cleared.messages =
                    sqlx::query("DELETE FROM messages WHERE ?1 IS NULL OR account_sid = ?1")
                        .bind(account_sid)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                sqlx::query("DELETE FROM jobs WHERE ?1 IS NULL OR account_sid = ?1")
                    .bind(account_sid)
                    .execute(&mut *conn)
                    .await?;
            }
            if callbacks {
                cleared.callbacks = sqlx::query(
                    "DELETE FROM callback_attempts WHERE ?1 IS NULL OR account_sid = ?1",
                )
                .bind(account_sid)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            }
            if *what == ClearWhat::All {
                sqlx::query("DELETE FROM events WHERE ?1 IS NULL OR account_sid = ?1")
                    .bind(account_sid)
                    .execute(&mut *conn)
                    .await?;
            }
            let scope = match what {
                ClearWhat::Messages => "messages",
                ClearWhat::Calls => "calls",
                ClearWhat::Callbacks => "callbacks",
                ClearWhat::All => "all",
            };
            if let Some(account_sid) = account_sid {
                let event = NewEvent {
                    account_sid: account_sid.clone(),
                    at: *at,
                    data: EventData::DataCleared {
                        scope: scope.into(),
                    },
                };
                published.push(insert_event(conn, &event).await?);
            }
            Ok(WriteResult::Cleared(cleared))
        }
        Write::Event(event) => {
            published.push(insert_event(conn, event).await?);
            Ok(WriteResult::Done)
        }
    }
}

/// Delete a job row; false if it was already gone (cancelled).
async fn claim_job(conn: &mut SqliteConnection, job_id: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query("DELETE FROM jobs WHERE id = ?")
        .bind(job_id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        > 0)
}

async fn cancel_jobs(conn: &mut SqliteConnection, resource_sid: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM jobs WHERE resource_sid = ?")
        .bind(resource_sid)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn insert_event(
    conn: &mut SqliteConnection,
    event: &NewEvent,
) -> Result<Arc<Event>, StoreError> {
    let data =
        serde_json::to_string(&event.data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let seq = sqlx::query_scalar::<_, i64>(
        "INSERT INTO events (account_sid, kind, sid, at, data) VALUES (?, ?, ?, ?, ?) RETURNING seq",
    )
    .bind(&event.account_sid)
    .bind(event.data.kind())
    .bind(event.data.sid())
    .bind(event.at)
    .bind(data)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Arc::new(Event {
        seq,
        account_sid: event.account_sid.clone(),
        at: event.at,
        data: event.data.clone(),
    }))
}

async fn insert_job(conn: &mut SqliteConnection, job: &NewJob) -> Result<Job, StoreError> {
    let payload =
        serde_json::to_string(&job.kind).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO jobs (account_sid, resource_sid, due_at, payload) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(&job.account_sid)
    .bind(&job.resource_sid)
    .bind(job.due_at)
    .bind(payload)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Job {
        id,
        account_sid: job.account_sid.clone(),
        resource_sid: job.resource_sid.clone(),
        due_at: job.due_at,
        kind: job.kind.clone(),
    })
}

async fn insert_message(conn: &mut SqliteConnection, m: &Message) -> Result<(), StoreError> {
    let media =
        serde_json::to_string(&m.media_urls).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO messages (sid, account_sid, direction, from_addr, to_addr, body, media_urls, status,
           num_segments, messaging_service_sid, error_code, error_message, price, created_at, updated_at,
           sent_at, status_callback, status_callback_method)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&m.sid)
    .bind(&m.account_sid)
    .bind(m.direction.as_str())
    .bind(&m.from)
    .bind(&m.to)
    .bind(&m.body)
    .bind(media)
    .bind(m.status.as_str())
    .bind(i64::from(m.num_segments))
    .bind(&m.messaging_service_sid)
    .bind(m.error_code.map(i64::from))
    .bind(&m.error_message)
    .bind(&m.price)
    .bind(m.created_at)
    .bind(m.updated_at)
    .bind(m.sent_at)
    .bind(m.status_callback.as_ref().map(|c| c.url.as_str()))
    .bind(m.status_callback.as_ref().map(|c| c.method.as_str()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reads.

#[derive(FromRow)]
struct MessageRow {
    sid: String,
    account_sid: String,
    direction: String,
    from_addr: Option<String>,
    to_addr: String,
    body: String,
    media_urls: String,
    status: String,
    num_segments: i64,
    messaging_service_sid: Option<String>,
    error_code: Option<i64>,
    error_message: Option<String>,
    price: Option<String>,
    created_at: i64,
    updated_at: i64,
    sent_at: Option<i64>,
    status_callback: Option<String>,
    status_callback_method: Option<String>,
}

fn parse_status(value: &str) -> Result<MessageStatus, StoreError> {
    MessageStatus::parse(value)
        .ok_or_else(|| StoreError::Corrupt(format!("message status {value:?}")))
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(row: MessageRow) -> Result<Self, StoreError> {
        Ok(Message {
            direction: Direction::parse(&row.direction)
                .ok_or_else(|| StoreError::Corrupt(format!("direction {:?}", row.direction)))?,
            status: parse_status(&row.status)?,
            media_urls: serde_json::from_str(&row.media_urls)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            status_callback: row.status_callback.map(|url| Callback {
                url,
                method: row
                    .status_callback_method
                    .as_deref()
                    .and_then(HttpMethod::parse)
                    .unwrap_or_default(),
            }),
            sid: row.sid,
            account_sid: row.account_sid,
            from: row.from_addr,
            to: row.to_addr,
            body: row.body,
            num_segments: row.num_segments as u32,
            messaging_service_sid: row.messaging_service_sid,
            error_code: row.error_code.map(|c| c as u32),
            error_message: row.error_message,
            price: row.price,
            created_at: row.created_at,
            updated_at: row.updated_at,
            sent_at: row.sent_at,
        })
    }
}

pub async fn fetch_message<'e, E>(
    executor: E,
    account_sid: &str,
    sid: &str,
) -> Result<Option<Message>, StoreError>
where
    E: sqlx::SqliteExecutor<'e>,
{
    sqlx::query_as::<_, MessageRow>("SELECT * FROM messages WHERE sid = ? AND account_sid = ?")
        .bind(sid)
        .bind(account_sid)
        .fetch_optional(executor)
        .await?
        .map(Message::try_from)
        .transpose()
}

/// The list position of a message, for page tokens.
pub async fn message_seq(
    pool: &SqlitePool,
    account_sid: &str,
    sid: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT seq FROM messages WHERE sid = ? AND account_sid = ?")
            .bind(sid)
            .bind(account_sid)
            .fetch_optional(pool)
            .await?,
    )
}

/// Which way a page reads from its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFrom {
    /// Newest first, starting after (older than) this position; `i64::MAX` for the first page.
    OlderThan(i64),
    /// The page before: the `limit` messages just newer than this position.
    NewerThan(i64),
}

/// One page of messages, newest first.
pub async fn list_messages(
    pool: &SqlitePool,
    account_sid: &str,
    filter: &MessageFilter,
    from: PageFrom,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    // One static statement per shape, so that the planner picks the right index for each.
    let by_to = filter.to.is_some();
    let (sql, anchor) = match from {
        PageFrom::OlderThan(seq) => (older_page_sql(by_to), seq),
        PageFrom::NewerThan(seq) => (newer_page_sql(by_to), seq),
    };
    let rows = sqlx::query_as::<_, MessageRow>(sql)
        .bind(account_sid)
        .bind(anchor)
        .bind(&filter.from)
        .bind(filter.sent_from)
        .bind(filter.sent_before)
        .bind(&filter.to)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    let mut messages = rows
        .into_iter()
        .map(Message::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    if matches!(from, PageFrom::NewerThan(_)) {
        messages.reverse();
    }
    Ok(messages)
}

fn older_page_sql(by_to: bool) -> &'static str {
    if by_to {
        "SELECT * FROM messages WHERE account_sid = ?1 AND to_addr = ?6 AND seq < ?2
           AND (?3 IS NULL OR from_addr = ?3) AND (?4 IS NULL OR sent_at >= ?4) AND (?5 IS NULL OR sent_at < ?5)
         ORDER BY seq DESC LIMIT ?7"
    } else {
        "SELECT * FROM messages WHERE account_sid = ?1 AND seq < ?2 AND (?6 IS NULL OR to_addr = ?6)
           AND (?3 IS NULL OR from_addr = ?3) AND (?4 IS NULL OR sent_at >= ?4) AND (?5 IS NULL OR sent_at < ?5)
         ORDER BY seq DESC LIMIT ?7"
    }
}

fn newer_page_sql(by_to: bool) -> &'static str {
    if by_to {
        "SELECT * FROM messages WHERE account_sid = ?1 AND to_addr = ?6 AND seq > ?2
           AND (?3 IS NULL OR from_addr = ?3) AND (?4 IS NULL OR sent_at >= ?4) AND (?5 IS NULL OR sent_at < ?5)
         ORDER BY seq ASC LIMIT ?7"
    } else {
        "SELECT * FROM messages WHERE account_sid = ?1 AND seq > ?2 AND (?6 IS NULL OR to_addr = ?6)
           AND (?3 IS NULL OR from_addr = ?3) AND (?4 IS NULL OR sent_at >= ?4) AND (?5 IS NULL OR sent_at < ?5)
         ORDER BY seq ASC LIMIT ?7"
    }
}

/// Row counts for `/health`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub messages: i64,
    pub calls: i64,
    pub callbacks: i64,
}

pub async fn counts(pool: &SqlitePool) -> Result<Counts, StoreError> {
    let (messages, callbacks): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM callback_attempts)",
    )
    .fetch_one(pool)
    .await?;
    Ok(Counts {
        messages,
        calls: 0,
        callbacks,
    })
}

pub async fn pending_jobs(pool: &SqlitePool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM jobs")
        .fetch_one(pool)
        .await?)
}

pub async fn job_exists(pool: &SqlitePool, id: i64) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs WHERE id = ?")
            .bind(id)
            .fetch_one(pool)
            .await?
            > 0,
    )
}

pub async fn load_jobs(pool: &SqlitePool) -> Result<Vec<Job>, StoreError> {
    let rows: Vec<(i64, String, String, i64, String)> = sqlx::query_as(
        "SELECT id, account_sid, resource_sid, due_at, payload FROM jobs ORDER BY due_at, id",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, account_sid, resource_sid, due_at, payload)| {
            Ok(Job {
                id,
                account_sid,
                resource_sid,
                due_at,
                kind: serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Corrupt(format!("job {id}: {e}")))?,
            })
        })
        .collect()
}

/// Everything needed to rebuild the tenant registry at start.
pub struct StoredTenant {
    pub account: Account,
    pub rules_json: String,
    pub api_keys: Vec<ApiKey>,
    pub numbers: Vec<PhoneNumber>,
}

pub async fn load_tenants(pool: &SqlitePool) -> Result<Vec<StoredTenant>, StoreError> {
    type TenantRow = (
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        i64,
        i64,
    );
    let rows: Vec<TenantRow> = sqlx::query_as(
        "SELECT sid, auth_token, friendly_name, owner_account_sid, status, rules, created_at, updated_at FROM tenants",
    )
    .fetch_all(pool)
    .await?;
    let keys: Vec<(String, String, String, String, i64)> =
        sqlx::query_as("SELECT sid, account_sid, secret, friendly_name, created_at FROM api_keys")
            .fetch_all(pool)
            .await?;
    type NumberRow = (String, String, String, String, Option<String>, String, i64);
    let numbers: Vec<NumberRow> = sqlx::query_as(
        "SELECT sid, account_sid, phone_number, friendly_name, sms_url, sms_method, created_at FROM phone_numbers ORDER BY created_at",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(
            |(
                sid,
                auth_token,
                friendly_name,
                owner_account_sid,
                status,
                rules_json,
                created_at,
                updated_at,
            )| {
                Ok(StoredTenant {
                    api_keys: keys
                        .iter()
                        .filter(|k| k.1 == sid)
                        .map(
                            |(sid, account_sid, secret, friendly_name, created_at)| ApiKey {
                                sid: sid.clone(),
                                account_sid: account_sid.clone(),
                                secret: secret.clone(),
                                friendly_name: friendly_name.clone(),
                                created_at: *created_at,
                            },
                        )
                        .collect(),
                    numbers: numbers
                        .iter()
                        .filter(|n| n.1 == sid)
                        .map(
                            |(
                                nsid,
                                account_sid,
                                phone_number,
                                friendly_name,
                                sms_url,
                                sms_method,
                                created_at,
                            )| PhoneNumber {
                                sid: nsid.clone(),
                                account_sid: account_sid.clone(),
                                phone_number: phone_number.clone(),
                                friendly_name: friendly_name.clone(),
                                sms_url: sms_url.clone(),
                                sms_method: sms_method.clone(),
                                created_at: *created_at,
                            },
                        )
                        .collect(),
                    account: Account {
                        status: AccountStatus::parse(&status).ok_or_else(|| {
                            StoreError::Corrupt(format!("account status {status:?}"))
                        })?,
                        sid,
                        auth_token,
                        friendly_name,
                        owner_account_sid,
                        created_at,
                        updated_at,
                    },
                    rules_json,
                })
            },
        )
        .collect()
}

pub async fn latest_event_seq(pool: &SqlitePool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events")
            .fetch_one(pool)
            .await?,
    )
}

pub(crate) async fn events_after(
    pool: &SqlitePool,
    after: i64,
    limit: usize,
) -> Result<Vec<Arc<Event>>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT seq, account_sid, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(after)
    .bind(limit as i64)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(seq, account_sid, at, data)| {
            let data = serde_json::from_str(&data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            Ok(Arc::new(Event {
                seq,
                account_sid,
                at,
                data,
            }))
        })
        .collect()
}

/// Recorded webhook attempts of one tenant, newest first.
pub async fn callback_attempts(
    pool: &SqlitePool,
    account_sid: &str,
    limit: u32,
) -> Result<Vec<CallbackAttempt>, StoreError> {
    Ok(sqlx::query_as::<_, CallbackAttempt>(
        "SELECT * FROM callback_attempts WHERE account_sid = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(account_sid)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?)
}
