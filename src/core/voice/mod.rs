//! Calls: the operations behind Twilio's `Calls.json` and `Recordings.json`, calls placed by
//! simulated callers, and what a test does as the person on the line (answer, press, speak,
//! hang up). The call engine that runs a call's TwiML is in `engine`; its state is the call's
//! [`Session`], stored with it.

mod engine; // the call engine: lifecycles from rules, the TwiML interpreter, the caller's hand
mod model; // calls, recordings, their statuses and the API's requests
mod session; // where a call's TwiML stands, what it waits for, its transcript
pub mod twiml; // parsed voice TwiML: the verbs the engine runs

pub use model::*;
pub use session::*;
pub use twiml::{Document, Verb};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::core::events::{EventData, NewEvent};
use crate::core::paging::{Page, PageRequest, PageStart};
use crate::core::rules::Rejection;
use crate::core::store::{self, PageFrom};
use crate::core::tenants::Tenant;
use crate::core::{Core, CoreError};

/// A scheduled step of a call, run by the scheduler when it falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum CallStep {
    /// The call leaves the queue: `initiated`, then ringing (or `failed`).
    Dial,
    /// The callee picks up.
    Answer,
    /// The callee never picks up: busy, no answer, or the call failed.
    Unanswered { status: CallStatus },
    /// A wait (pause, gather, record) has reached its deadline.
    Resume,
    /// The callee's talk time is over: they hang up.
    CalleeHangup,
}

/// One lock per live call: every change to a call is made by one engine at a time, reading
/// the call, deciding and writing it whole.
#[derive(Default)]
pub(in crate::core) struct CallLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl CallLocks {
    async fn lock(&self, sid: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(locks.entry(sid.to_owned()).or_default())
        };
        lock.lock_owned().await
    }

    /// Forget an ended call's lock (nothing changes it any more but a delete).
    fn forget(&self, sid: &str) {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        if locks
            .get(sid)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            locks.remove(sid);
        }
    }
}

/// A call as a test reads it: the resource, its transcript, and what it waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct CallView {
    pub call: Call,
    pub transcript: Vec<TranscriptEntry>,
    /// `gather`, `record`, `pause`, `dial`; none when the call waits for nothing.
    pub waiting_for: Option<&'static str>,
}

impl Core {
    pub async fn call(&self, tenant: &Tenant, sid: &str) -> Result<Call, CoreError> {
        Ok(self.call_view(tenant, sid).await?.call)
    }

    /// A call with its transcript.
    pub async fn call_view(&self, tenant: &Tenant, sid: &str) -> Result<CallView, CoreError> {
        let (call, session) = self.stored_call(&tenant.sid(), sid).await?;
        Ok(CallView {
            call,
            waiting_for: session.waiting.as_ref().map(Waiting::name),
            transcript: session.transcript,
        })
    }

    async fn stored_call(
        &self,
        account_sid: &str,
        sid: &str,
    ) -> Result<(Call, Session), CoreError> {
        let (account_sid, sid) = (account_sid.to_owned(), sid.to_owned());
        self.store
            .read(move |conn| store::fetch_call(conn, &account_sid, &sid))
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// A page of a tenant's calls, newest first.
    pub async fn list_calls(
        &self,
        tenant: &Tenant,
        filter: &CallFilter,
        request: &PageRequest,
    ) -> Result<Page<Call>, CoreError> {
        let (account_sid, filter) = (tenant.sid(), filter.clone());
        let (from, limit) = page_bounds(request);
        let read = self
            .store
            .read(move |conn| {
                let Some(from) = from.resolve(|sid| store::call_seq(conn, &account_sid, sid))?
                else {
                    return Ok(None);
                };
                store::list_calls(conn, &account_sid, &filter, from, limit).map(Some)
            })
            .await?;
        let items = read.ok_or_else(|| {
            CoreError::Invalid("the page starts next to a call the tenant does not have".into())
        })?;
        Ok(Page::of_read(items, request))
    }

    /// How many calls the tenant has, by status, as kept with every change.
    pub async fn call_tallies(&self, tenant: &Tenant) -> Result<Vec<(CallStatus, i64)>, CoreError> {
        let account_sid = tenant.sid();
        let rows = self
            .store
            .read(move |conn| store::call_tallies(conn, &account_sid))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(status, count)| Some((CallStatus::parse(&status)?, count)))
            .collect())
    }

    /// Delete an ended call; a live one is refused (Twilio's 20009).
    pub async fn delete_call(&self, tenant: &Tenant, sid: &str) -> Result<(), CoreError> {
        let _guard = self.call_locks.lock(sid).await;
        let (call, _) = self.stored_call(&tenant.sid(), sid).await?;
        if !call.status.is_final() {
            return Err(CoreError::Rejected(Rejection::new(
                400,
                20009,
                format!(
                    "Cannot delete this resource before it is complete: the call is {}",
                    call.status.as_str()
                ),
            )));
        }
        let deleted = self
            .store
            .write(store::DeleteCall {
                account_sid: tenant.sid(),
                sid: sid.to_owned(),
                event: NewEvent {
                    account_sid: tenant.sid(),
                    at: tenant.now(),
                    data: EventData::CallDeleted {
                        sid: sid.to_owned(),
                    },
                },
            })
            .await?;
        self.timers.drop_resource(&tenant.sid(), sid);
        if deleted {
            Ok(())
        } else {
            Err(CoreError::NotFound)
        }
    }

    pub async fn recording(&self, tenant: &Tenant, sid: &str) -> Result<Recording, CoreError> {
        let (account_sid, sid) = (tenant.sid(), sid.to_owned());
        self.store
            .read(move |conn| store::fetch_recording(conn, &account_sid, &sid))
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// A page of a tenant's recordings (of one call, when given), newest first.
    pub async fn list_recordings(
        &self,
        tenant: &Tenant,
        call_sid: Option<&str>,
        request: &PageRequest,
    ) -> Result<Page<Recording>, CoreError> {
        let (account_sid, call_sid) = (tenant.sid(), call_sid.map(str::to_owned));
        let (from, limit) = page_bounds(request);
        let read = self
            .store
            .read(move |conn| {
                let Some(from) =
                    from.resolve(|sid| store::recording_seq(conn, &account_sid, sid))?
                else {
                    return Ok(None);
                };
                store::list_recordings(conn, &account_sid, call_sid.as_deref(), from, limit)
                    .map(Some)
            })
            .await?;
        let items = read.ok_or_else(|| {
            CoreError::Invalid(
                "the page starts next to a recording the tenant does not have".into(),
            )
        })?;
        Ok(Page::of_read(items, request))
    }

    pub async fn delete_recording(&self, tenant: &Tenant, sid: &str) -> Result<(), CoreError> {
        let deleted = self
            .store
            .write(store::DeleteRecording {
                account_sid: tenant.sid(),
                sid: sid.to_owned(),
            })
            .await?;
        if deleted {
            Ok(())
        } else {
            Err(CoreError::NotFound)
        }
    }
}

/// Where a keyset page starts, before its anchor SID is looked up.
enum Anchor {
    First,
    Older(String),
    Newer(String),
}

impl Anchor {
    /// The page's position: none when the anchor is not the tenant's.
    fn resolve(
        self,
        seq_of: impl FnOnce(&str) -> Result<Option<i64>, store::StoreError>,
    ) -> Result<Option<PageFrom>, store::StoreError> {
        Ok(match self {
            Anchor::First => Some(PageFrom::OlderThan(i64::MAX)),
            Anchor::Older(sid) => seq_of(&sid)?.map(PageFrom::OlderThan),
            Anchor::Newer(sid) => seq_of(&sid)?.map(PageFrom::NewerThan),
        })
    }
}

/// A page request's anchor, and how many rows to read (one more than the page, to know
/// whether another follows).
fn page_bounds(request: &PageRequest) -> (Anchor, u32) {
    let anchor = match &request.start {
        PageStart::First => Anchor::First,
        PageStart::After(sid) => Anchor::Older(sid.clone()),
        PageStart::Before(sid) => Anchor::Newer(sid.clone()),
    };
    (anchor, request.size + 1)
}
