//! The event log: every state change, appended with a monotonic sequence number.
//!
//! Events are written by the store's writer in the same transaction as the change they describe
//! and published here after commit, in sequence order. Readers never hold a buffer of their own:
//! they keep a cursor, read what is past it (from a bounded in-memory window of recent events, or
//! from the database when they have fallen further behind) and wait on a `watch` for news. So a
//! reader that stops reading costs nothing, never slows the writer, and misses nothing when it
//! comes back.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::core::messaging::{Message, MessageStatus};
use crate::core::rules::Outcome;
use crate::core::store::{self, Store, StoreError};
use crate::core::time::Millis;
use crate::core::voice::{Call, CallStatus, Recording, TranscriptEntry};

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventData {
    AccountCreated {
        friendly_name: String,
    },
    MessageCreated {
        message: Message,
    },
    MessageStatusChanged {
        sid: String,
        /// The message's recipient and sender, so that filters need no lookup.
        #[serde(default)]
        to: String,
        #[serde(default)]
        from: Option<String>,
        previous: MessageStatus,
        status: MessageStatus,
        error_code: Option<u32>,
    },
    MessageRedacted {
        sid: String,
    },
    MessageDeleted {
        sid: String,
    },
    CallbackAttempted {
        attempt: store::CallbackAttempt,
        #[serde(default)]
        to: Option<String>,
        #[serde(default)]
        from: Option<String>,
    },
    /// A simulated user's text reached the app (or the number had nowhere to send it).
    InboundDelivered {
        message: Box<Message>,
        webhook: Option<Box<store::CallbackAttempt>>,
        reply_sids: Vec<String>,
        /// `STOP`, `START` or `HELP` when the body was an opt-out keyword.
        opt_out_type: Option<String>,
    },
    RuleMatched {
        rule_id: String,
        /// The message the rule accepted, or none when it rejected the request.
        sid: Option<String>,
        to: String,
        outcome: Outcome,
    },
    DataCleared {
        scope: String,
    },
    /// A call was placed by the app, dialed by `<Dial>`, or came in from a simulated caller.
    CallCreated {
        call: Box<Call>,
    },
    CallStatusChanged {
        sid: String,
        /// The call's parties, so that filters need no lookup.
        to: String,
        from: String,
        previous: CallStatus,
        status: CallStatus,
        answered_by: Option<String>,
    },
    /// A line of the call's transcript: a verb the app's TwiML ran (what the caller heard), or
    /// what the caller did.
    CallVerb {
        sid: String,
        to: String,
        from: String,
        entry: TranscriptEntry,
    },
    /// The call waits for the caller: a `<Gather>` or `<Record>` is listening.
    CallGathering {
        sid: String,
        to: String,
        from: String,
        /// `gather` or `record`.
        verb: String,
        /// `dtmf`, `speech` or `dtmf speech` (a recording takes anything).
        input: String,
        /// Tenant time when it stops waiting, unless input comes first.
        deadline: Millis,
    },
    /// Twilio's debugger would show this: the call's TwiML could not be fetched or read
    /// (11200, 12100, 12300, …), or a warning about what it read (12200).
    CallNotification {
        sid: String,
        code: u32,
        message: String,
        url: Option<String>,
    },
    CallDeleted {
        sid: String,
    },
    RecordingCreated {
        recording: Recording,
    },
}

impl EventData {
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::AccountCreated { .. } => "account_created",
            EventData::MessageCreated { .. } => "message_created",
            EventData::MessageStatusChanged { .. } => "message_status_changed",
            EventData::MessageRedacted { .. } => "message_redacted",
            EventData::MessageDeleted { .. } => "message_deleted",
            EventData::CallbackAttempted { .. } => "callback_attempted",
            EventData::InboundDelivered { .. } => "inbound_delivered",
            EventData::RuleMatched { .. } => "rule_matched",
            EventData::DataCleared { .. } => "data_cleared",
            EventData::CallCreated { .. } => "call_created",
            EventData::CallStatusChanged { .. } => "call_status_changed",
            EventData::CallVerb { .. } => "call_verb",
            EventData::CallGathering { .. } => "call_gathering",
            EventData::CallNotification { .. } => "call_notification",
            EventData::CallDeleted { .. } => "call_deleted",
            EventData::RecordingCreated { .. } => "recording_created",
        }
    }

    /// The resource the event is about, for filtering.
    pub fn sid(&self) -> Option<&str> {
        match self {
            EventData::MessageCreated { message } => Some(&message.sid),
            EventData::InboundDelivered { message, .. } => Some(&message.sid),
            EventData::MessageStatusChanged { sid, .. }
            | EventData::MessageRedacted { sid }
            | EventData::MessageDeleted { sid } => Some(sid),
            EventData::CallbackAttempted { attempt, .. } => Some(&attempt.resource_sid),
            EventData::RuleMatched { sid, .. } => sid.as_deref(),
            EventData::CallCreated { call } => Some(&call.sid),
            EventData::CallStatusChanged { sid, .. }
            | EventData::CallVerb { sid, .. }
            | EventData::CallGathering { sid, .. }
            | EventData::CallNotification { sid, .. }
            | EventData::CallDeleted { sid } => Some(sid),
            // A recording's events follow its call.
            EventData::RecordingCreated { recording } => Some(&recording.call_sid),
            EventData::AccountCreated { .. } | EventData::DataCleared { .. } => None,
        }
    }
}

/// An event as stored and published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub account_sid: String,
    /// Tenant time when it happened.
    pub at: Millis,
    pub data: EventData,
}

/// An event not yet written.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub account_sid: String,
    pub at: Millis,
    pub data: EventData,
}

/// How many recent events are kept in memory for live readers.
const RECENT_WINDOW: usize = 16_384;

pub struct EventLog {
    store: Store,
    recent: Mutex<VecDeque<Arc<Event>>>,
    latest: watch::Sender<i64>,
    /// The newest sequence number of each tenant someone follows. A reader of one tenant waits
    /// on its tenant's news only: with a hundred tests each following its own tenant, a commit
    /// wakes the readers it concerns, not all of them (measured: waking every reader on every
    /// commit cost a quarter of the HTTP throughput).
    tenant_news: Mutex<HashMap<String, watch::Sender<i64>>>,
}

impl EventLog {
    pub fn new(store: Store, latest_seq: i64) -> Self {
        EventLog {
            store,
            recent: Mutex::new(VecDeque::with_capacity(RECENT_WINDOW)),
            latest: watch::Sender::new(latest_seq),
            tenant_news: Mutex::new(HashMap::new()),
        }
    }

    /// The sequence number of the newest published event.
    pub fn latest_seq(&self) -> i64 {
        *self.latest.borrow()
    }

    /// Called by the writer after commit, in sequence order.
    pub(crate) fn publish(&self, events: Vec<Arc<Event>>) {
        let Some(last) = events.last().map(|e| e.seq) else {
            return;
        };
        {
            let news = self.tenant_news.lock().unwrap_or_else(|e| e.into_inner());
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            for event in events {
                if let Some(tenant) = news.get(&event.account_sid) {
                    tenant.send_replace(event.seq);
                }
                if recent.len() == RECENT_WINDOW {
                    recent.pop_front();
                }
                recent.push_back(event);
            }
        }
        self.latest.send_replace(last);
    }

    /// Up to `limit` events after `after`, oldest first: of every tenant, or of `account_sid`.
    pub async fn read_after(
        &self,
        after: i64,
        account_sid: Option<&str>,
        limit: usize,
    ) -> Result<Batch, StoreError> {
        // Read before the query: every event up to it is committed, so a short answer from the
        // database means nothing of this tenant's lies between its last event and this.
        let latest = self.latest_seq();
        {
            let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            if recent.front().is_some_and(|first| first.seq <= after + 1) {
                let start = recent.partition_point(|e| e.seq <= after);
                let mut events = Vec::new();
                let mut scanned_to = recent.back().map_or(after, |e| e.seq).max(after);
                for event in recent.range(start..) {
                    if account_sid.is_some_and(|sid| sid != event.account_sid) {
                        continue;
                    }
                    events.push(Arc::clone(event));
                    if events.len() == limit {
                        scanned_to = event.seq;
                        break;
                    }
                }
                return Ok(Batch { events, scanned_to });
            }
        }
        let account = account_sid.map(str::to_owned);
        let events = self
            .store
            .read(move |conn| store::events_after(conn, after, account.as_deref(), limit))
            .await?;
        let scanned_to = match events.last() {
            Some(last) if events.len() == limit => last.seq,
            Some(last) => last.seq.max(latest),
            None => latest.max(after),
        };
        Ok(Batch { events, scanned_to })
    }

    /// The newest `limit` events (of one tenant, or all), newest first.
    pub async fn latest(
        &self,
        account_sid: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Arc<Event>>, StoreError> {
        let account = account_sid.map(str::to_owned);
        self.store
            .read(move |conn| store::latest_events(conn, account.as_deref(), limit))
            .await
    }

    /// A tenant's events about one message or call, oldest first, at most `limit`.
    pub async fn about(
        &self,
        account_sid: &str,
        sid: &str,
        limit: usize,
    ) -> Result<Vec<Arc<Event>>, StoreError> {
        let (account, sid) = (account_sid.to_owned(), sid.to_owned());
        self.store
            .read(move |conn| store::events_about(conn, &account, &sid, limit))
            .await
    }

    /// A cursor that yields every event after `after` (of one tenant, or all), first the
    /// history, then live ones.
    pub fn follow(self: &Arc<Self>, after: i64, account_sid: Option<String>) -> EventCursor {
        let news = match &account_sid {
            None => self.latest.subscribe(),
            Some(sid) => self
                .tenant_news
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(sid.clone())
                .or_insert_with(|| watch::Sender::new(0))
                .subscribe(),
        };
        EventCursor {
            log: Arc::clone(self),
            after,
            account_sid,
            news,
        }
    }
}

/// Events read past a cursor, and how far the log was looked through to find them.
pub struct Batch {
    pub events: Vec<Arc<Event>>,
    pub scanned_to: i64,
}

/// A reader's position in the log. Holds no events: only a cursor and a change notification.
pub struct EventCursor {
    log: Arc<EventLog>,
    after: i64,
    account_sid: Option<String>,
    news: watch::Receiver<i64>,
}

impl EventCursor {
    /// The next events after the cursor, waiting until there are some.
    pub async fn next_batch(&mut self, limit: usize) -> Result<Vec<Arc<Event>>, StoreError> {
        loop {
            self.news.mark_unchanged();
            let batch = self
                .log
                .read_after(self.after, self.account_sid.as_deref(), limit)
                .await?;
            self.after = self.after.max(batch.scanned_to);
            if !batch.events.is_empty() {
                return Ok(batch.events);
            }
            if self.news.changed().await.is_err() {
                return Ok(Vec::new());
            }
        }
    }
}
