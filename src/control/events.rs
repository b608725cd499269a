//! The event stream and `WaitFor`.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use regex::Regex;
use tonic::{Request, Response, Status};

use super::{ControlPlane, convert};
use crate::core::events::{Event, EventCursor};
use crate::core::observe::{EventFilter, WaitError};
use crate::core::whatsapp::is_business_scoped_user_id;
use crate::proto::{self, events_server};

/// How long `WaitFor` waits when the request does not say, and at most.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);
const LONGEST_WAIT: Duration = Duration::from_secs(600);
/// Events read from the log at a time by one subscriber; all it ever holds.
const READ_BATCH: usize = 256;

type EventStream = Pin<Box<dyn Stream<Item = Result<proto::Event, Status>> + Send>>;

fn filter(request: Option<proto::EventFilter>) -> Result<EventFilter, Status> {
    let f = request.unwrap_or_default();
    let text = |value: String| (!value.is_empty()).then_some(value);
    let body_regex = match text(f.body_regex) {
        Some(pattern) => Some(
            Regex::new(&pattern)
                .map_err(|e| Status::invalid_argument(format!("filter.body_regex: {e}")))?,
        ),
        None => None,
    };
    Ok(EventFilter {
        account_sid: text(f.account_sid),
        kinds: f
            .kinds
            .iter()
            .map(|k| convert::core_event_kind(*k))
            .collect::<Result<_, _>>()?,
        sid: text(f.sid),
        to: text(f.to),
        from: text(f.from),
        statuses: f
            .statuses
            .iter()
            .map(|s| convert::core_status(*s, "filter.statuses"))
            .collect::<Result<_, _>>()?,
        body_contains: text(f.body_contains),
        body_regex,
        whatsapp_types: f.whatsapp_types,
        call_statuses: f
            .call_statuses
            .iter()
            .filter_map(|s| convert::core_call_status(*s, "filter.call_statuses").transpose())
            .collect::<Result<_, _>>()?,
    })
}

impl ControlPlane {
    /// A filter whose `to` or `from` names a WhatsApp user by BSUID, matching as the messages
    /// store them: by the user's number, when the tenant has met the user (messages to a BSUID
    /// it never met are stored under the BSUID, which then matches as given).
    async fn with_users_by_number(&self, mut filter: EventFilter) -> Result<EventFilter, Status> {
        let account_sid = filter.account_sid.clone().unwrap_or_default();
        for address in [&mut filter.to, &mut filter.from] {
            let Some(user_id) = address.clone().filter(|a| is_business_scoped_user_id(a)) else {
                continue;
            };
            let user = self
                .core
                .whatsapp_user(&*self.tenant(&account_sid)?, &user_id)
                .await?;
            if !user.wa_id.is_empty() {
                *address = Some(user.wa_id);
            }
        }
        Ok(filter)
    }
}

/// The `grpc-timeout` a client sent (`<digits><unit>`), if any.
fn grpc_timeout<T>(request: &Request<T>) -> Option<Duration> {
    let value = request.metadata().get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// A subscriber's state: its place in the log and the matching events read but not yet sent.
struct Subscription {
    cursor: EventCursor,
    filter: EventFilter,
    ready: VecDeque<Arc<Event>>,
    plane: ControlPlane,
}

impl Subscription {
    /// The next matching event, waiting for it; none when the server stops. Reads only when
    /// the client has taken the previous events, so a client that stops reading holds the
    /// server to one batch.
    async fn next(&mut self) -> Option<Result<proto::Event, Status>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(Ok(convert::event(&event)));
            }
            let batch = tokio::select! {
                batch = self.cursor.next_batch(READ_BATCH) => batch,
                _ = self.plane.shutdown.cancelled() => return None,
            };
            match batch {
                Ok(batch) if batch.is_empty() => return None,
                Ok(batch) => self
                    .ready
                    .extend(batch.into_iter().filter(|e| self.filter.matches(e))),
                Err(error) => {
                    tracing::error!(%error, "reading events for a subscriber");
                    return Some(Err(Status::internal(
                        "internal error; see the server's log",
                    )));
                }
            }
        }
    }
}

#[tonic::async_trait]
impl events_server::Events for ControlPlane {
    type SubscribeStream = EventStream;

    async fn subscribe(
        &self,
        request: Request<proto::SubscribeRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let r = request.into_inner();
        let filter = self.with_users_by_number(filter(r.filter)?).await?;
        if let Some(sid) = &filter.account_sid {
            self.tenant(sid)?;
        }
        let after = if r.live_only {
            self.core.events().latest_seq()
        } else {
            r.after_sequence.max(0)
        };
        let subscription = Subscription {
            cursor: self.core.events().follow(after, filter.account_sid.clone()),
            filter,
            ready: VecDeque::new(),
            plane: self.clone(),
        };
        let stream = futures_util::stream::unfold(subscription, |mut subscription| async move {
            let item = subscription.next().await?;
            Some((item, subscription))
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn wait_for(
        &self,
        request: Request<proto::WaitForRequest>,
    ) -> Result<Response<proto::Event>, Status> {
        let deadline = grpc_timeout(&request);
        let r = request.into_inner();
        let filter = self.with_users_by_number(filter(r.filter)?).await?;
        if let Some(sid) = &filter.account_sid {
            self.tenant(sid)?;
        }
        let mut timeout = match &r.timeout {
            Some(_) => convert::duration(r.timeout.as_ref(), "timeout")?,
            None => DEFAULT_WAIT,
        }
        .min(LONGEST_WAIT);
        if let Some(deadline) = deadline {
            timeout = timeout.min(deadline);
        }
        let waited = tokio::select! {
            waited = self.core.wait_for(&filter, r.after_sequence.max(0), timeout) => waited,
            _ = self.shutdown.cancelled() => return Err(Status::unavailable("the server is stopping")),
        };
        match waited {
            Ok(event) => Ok(Response::new(convert::event(&event))),
            Err(WaitError::TimedOut(message)) => Err(Status::deadline_exceeded(message)),
            Err(WaitError::Store(error)) => {
                tracing::error!(%error, "reading events for WaitFor");
                Err(Status::internal("internal error; see the server's log"))
            }
        }
    }
}
