//! Downloads: everything the pages show, as JSON, so that a failed CI run can attach what the
//! mock saw. Each is a JSON array streamed page by page from the store, newest first (events
//! oldest first, as the log reads), however many rows there are.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Serialize;

use super::DashboardState;
use super::error::PageError;
use super::pages::{TenantQuery, tenant_of};
use crate::core::CoreError;
use crate::core::messaging::MessageFilter;
use crate::core::paging::{PageRequest, PageStart};
use crate::core::tenants::Tenant;
use crate::core::voice::CallFilter;

/// Rows read from the store at a time.
const BATCH: u32 = 500;

/// Where the next batch starts.
enum Cursor {
    Start,
    /// Past this SID, in a list of messages or calls.
    After(String),
    /// Past this id or sequence number, in the list's order (attempts newest first, events
    /// oldest first).
    Past(i64),
    Done,
}

/// A batch of rows as JSON texts, and where the next starts.
type Batch = Result<(Vec<String>, Cursor), CoreError>;

fn json<T: Serialize>(items: &[T]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| serde_json::to_string(item).ok())
        .collect()
}

/// `GET /ui/export/{what}.json?tenant=AC…`: `messages`, `calls`, `callbacks` or `events`.
pub async fn download(
    State(state): State<Arc<DashboardState>>,
    Path(file): Path<String>,
    Query(query): Query<TenantQuery>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, query.tenant.as_deref())?;
    let what = file
        .strip_suffix(".json")
        .filter(|w| ["messages", "calls", "callbacks", "events"].contains(w))
        .ok_or_else(|| {
            PageError::NotFound(
                "Downloads are messages.json, calls.json, callbacks.json and events.json.".into(),
            )
        })?
        .to_owned();
    let filename = format!("attachment; filename=\"{}-{what}.json\"", tenant.sid());
    let rows = futures_util::stream::unfold(
        (Cursor::Start, state, tenant, what),
        |(cursor, state, tenant, what)| async move {
            if matches!(cursor, Cursor::Done) {
                return None;
            }
            match batch(&state, &tenant, &what, cursor).await {
                Ok((rows, next)) => Some((Ok(rows), (next, state, tenant, what))),
                Err(error) => {
                    // The response has begun; cutting it short leaves invalid JSON, which a
                    // reader notices, rather than a list that looks whole.
                    tracing::warn!(%error, "a dashboard download failed midway");
                    Some((
                        Err(std::io::Error::other(error.to_string())),
                        (Cursor::Done, state, tenant, what),
                    ))
                }
            }
        },
    );
    let mut first = true;
    let body = futures_util::stream::once(async { Ok::<_, std::io::Error>("[".to_owned()) })
        .chain(rows.map(move |rows| {
            rows.map(|rows| {
                let mut chunk = String::new();
                for row in rows {
                    if !std::mem::take(&mut first) {
                        chunk.push(',');
                    }
                    chunk.push('\n');
                    chunk.push_str(&row);
                }
                chunk
            })
        }))
        .chain(futures_util::stream::once(async { Ok("\n]\n".to_owned()) }));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&filename)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

async fn batch(state: &DashboardState, tenant: &Tenant, what: &str, cursor: Cursor) -> Batch {
    let core = &state.core;
    let page = |cursor: Cursor| PageRequest {
        start: match cursor {
            Cursor::After(sid) => PageStart::After(sid),
            _ => PageStart::First,
        },
        size: BATCH,
    };
    match what {
        "messages" => {
            let read = core
                .list_messages(tenant, &MessageFilter::default(), &page(cursor))
                .await?;
            let next = match (read.has_next, read.items.last()) {
                (true, Some(last)) => Cursor::After(last.sid.clone()),
                _ => Cursor::Done,
            };
            Ok((json(&read.items), next))
        }
        "calls" => {
            let read = core
                .list_calls(tenant, &CallFilter::default(), &page(cursor))
                .await?;
            let next = match (read.has_next, read.items.last()) {
                (true, Some(last)) => Cursor::After(last.sid.clone()),
                _ => Cursor::Done,
            };
            Ok((json(&read.items), next))
        }
        "callbacks" => {
            let before = match cursor {
                Cursor::Past(id) => id,
                _ => i64::MAX,
            };
            let read = core
                .callback_attempts_before(tenant, None, false, before, BATCH)
                .await?;
            let next = match read.last() {
                Some(last) if read.len() == BATCH as usize => Cursor::Past(last.id),
                _ => Cursor::Done,
            };
            Ok((json(&read), next))
        }
        _ => {
            let after = match cursor {
                Cursor::Past(seq) => seq,
                _ => 0,
            };
            let read = core
                .events()
                .read_after(after, Some(&tenant.sid()), BATCH as usize)
                .await?;
            let next = if read.events.is_empty() {
                Cursor::Done
            } else {
                Cursor::Past(read.scanned_to)
            };
            let events: Vec<_> = read.events.iter().map(|e| e.as_ref()).collect();
            Ok((json(&events), next))
        }
    }
}
