//! The live view: the tenant's events pushed to the page as Server-Sent Events, straight from
//! the event log. A page never re-reads a table on a timer; it hears what changed.
//!
//! Each event's `id` is its sequence number, so a browser that reconnects sends it back as
//! `Last-Event-ID` and resumes exactly after it: nothing missed, nothing twice.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::json;

use super::DashboardState;
use super::error::PageError;
use super::pages::{TenantQuery, tenant_of};
use super::view::{EventLine, Zone};
use crate::core::events::{Event, EventCursor};

/// Events read from the log at once.
const BATCH: usize = 256;

#[derive(Template)]
#[template(path = "event_line.html")]
struct EventLineFragment<'a> {
    line: &'a EventLine,
}

/// `GET /ui/live?tenant=AC…`: the tenant's events from now on (or after `Last-Event-ID`).
pub async fn stream(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<TenantQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, PageError> {
    let tenant = tenant_of(&state.core, query.tenant.as_deref())?;
    let events = state.core.events();
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| events.latest_seq());
    let cursor = events.follow(after, Some(tenant.sid()));
    let shutdown = state.shutdown.clone();
    let zone = state.zone;
    let stream = futures_util::stream::unfold(
        (cursor, Vec::<Arc<Event>>::new().into_iter()),
        move |(mut cursor, mut pending)| {
            let shutdown = shutdown.clone();
            async move {
                loop {
                    if let Some(event) = pending.next() {
                        return Some((Ok(sse_event(&event, zone)), (cursor, pending)));
                    }
                    pending = tokio::select! {
                        _ = shutdown.cancelled() => return None,
                        batch = next(&mut cursor) => batch?.into_iter(),
                    };
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The next events, or none when the log cannot be read (the stream ends; the browser
/// reconnects with its `Last-Event-ID`).
async fn next(cursor: &mut EventCursor) -> Option<Vec<Arc<Event>>> {
    match cursor.next_batch(BATCH).await {
        Ok(events) if !events.is_empty() => Some(events),
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(%error, "the dashboard's live stream cannot read the event log");
            None
        }
    }
}

/// An event as the page's script reads it: what it is about, and its line ready to insert
/// (rendered and escaped here, so the script never builds HTML from foreign text).
fn sse_event(event: &Event, zone: Zone) -> SseEvent {
    let line = EventLine::new(event, zone);
    let html = EventLineFragment { line: &line }
        .render()
        .unwrap_or_default();
    let data = json!({
        "seq": event.seq,
        "kind": line.kind,
        "sid": event.data.sid(),
        "html": html,
    });
    SseEvent::default()
        .id(event.seq.to_string())
        .event("change")
        .data(data.to_string())
}
