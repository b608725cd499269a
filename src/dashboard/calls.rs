//! Calls: the list, a call's page with its transcript, recordings, events and attempts (and the
//! caller's controls while it is live), and the row the live view swaps in.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::DashboardState;
use super::error::PageError;
use super::pages::{
    ListQuery, Nav, PAGE_SIZE, Pager, TIMELINE_EVENTS, TenantQuery, pager, render, stale_anchor,
    tenant_of,
};
use super::view::{AttemptRow, CallRow, EventLine, RecordingRow, TranscriptLine};
use crate::core::paging::PageRequest;
use crate::core::voice::{CallDirection, CallFilter, CallStatus};
#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage {
    nav: Nav,
    to: String,
    from: String,
    rows: Vec<CallRow>,
    pager: Pager,
}

/// `/ui/calls`: a tenant's calls, newest first, 50 a page.
pub async fn calls(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, query.tenant.as_deref())?;
    let filter = CallFilter {
        to: query.to(),
        from: query.from(),
        ..CallFilter::default()
    };
    let page = core
        .list_calls(&tenant, &filter, &query.page())
        .await
        .map_err(stale_anchor)?;
    render(CallsPage {
        pager: pager(&query, &tenant.sid(), &page, |c| &c.sid),
        rows: page
            .items
            .iter()
            .map(|c| CallRow::new(c, state.zone))
            .collect(),
        to: query.to().unwrap_or_default(),
        from: query.from().unwrap_or_default(),
        nav: Nav::new(&state, "calls", &tenant),
    })
}

#[derive(Template)]
#[template(path = "call_row.html")]
struct CallRowFragment {
    row: CallRow,
    tenant: String,
}

/// One row of the calls table, for the live view.
pub async fn call_row(
    State(state): State<Arc<DashboardState>>,
    Path(sid): Path<String>,
    Query(query): Query<TenantQuery>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, query.tenant.as_deref())?;
    let call = state.core.call(&tenant, &sid).await?;
    render(CallRowFragment {
        row: CallRow::new(&call, state.zone),
        tenant: tenant.sid(),
    })
}

#[derive(Template)]
#[template(path = "call.html")]
struct CallPage {
    nav: Nav,
    row: CallRow,
    parent: String,
    answered_by: String,
    error_code: String,
    waiting_for: String,
    /// A call the app placed that still rings: the page can answer or refuse it.
    can_answer: bool,
    /// A call in progress: the page has the caller's keypad, voice and hang-up.
    on_the_line: bool,
    transcript: Vec<TranscriptLine>,
    recordings: Vec<RecordingRow>,
    timeline: Vec<EventLine>,
    attempts: Vec<AttemptRow>,
}

/// `/ui/calls/{sid}`: a call, its transcript (every verb run, what the caller did), its
/// recordings to play, its events and webhook attempts.
pub async fn call(
    State(state): State<Arc<DashboardState>>,
    Path(sid): Path<String>,
    Query(query): Query<TenantQuery>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, query.tenant.as_deref())?;
    let view = core.call_view(&tenant, &sid).await?;
    let account = tenant.sid();
    let recordings = core
        .list_recordings(&tenant, Some(&sid), &PageRequest::first(PAGE_SIZE))
        .await?;
    let timeline = core.events().about(&account, &sid, TIMELINE_EVENTS).await?;
    let attempts = core
        .callback_attempts(&tenant, Some(&sid), TIMELINE_EVENTS as u32)
        .await?;
    render(CallPage {
        row: CallRow::new(&view.call, state.zone),
        parent: view.call.parent_call_sid.clone().unwrap_or_default(),
        answered_by: view.call.answered_by.clone().unwrap_or_default(),
        error_code: view
            .call
            .error_code
            .map(|c| c.to_string())
            .unwrap_or_default(),
        waiting_for: view.waiting_for.unwrap_or_default().to_owned(),
        can_answer: matches!(view.call.status, CallStatus::Queued | CallStatus::Ringing)
            && view.call.direction != CallDirection::Inbound,
        on_the_line: view.call.status == CallStatus::InProgress,
        transcript: view
            .transcript
            .iter()
            .map(|line| TranscriptLine::new(line, state.zone))
            .collect(),
        recordings: recordings.items.iter().map(RecordingRow::from).collect(),
        timeline: timeline
            .iter()
            .map(|e| EventLine::new(e, state.zone))
            .collect(),
        attempts: attempts
            .iter()
            .map(|a| AttemptRow::new(a, &account, state.zone))
            .collect(),
        nav: Nav::new(&state, "calls", &tenant),
    })
}
