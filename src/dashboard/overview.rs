//! The overview (`/`): what the server holds, the tenant's counts and chart, recent activity;
//! and clearing, after a confirmation.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::DashboardState;
use super::chart::{self, Chart};
use super::error::PageError;
use super::pages::{Nav, TenantQuery, render, tenant_of};
use super::view::{self, CallRow, EventLine, MessageRow, encode};
use crate::core::messaging::MessageFilter;
use crate::core::paging::PageRequest;
use crate::core::store::ClearWhat;
use crate::core::voice::CallFilter;

/// Lines of the activity feed.
const RECENT_EVENTS: usize = 30;
/// Messages the overview's chart draws: the tenant's newest.
const CHART_MESSAGES: u32 = 1_000;

/// A row of the overview's counts.
pub struct TallyRow {
    pub channel: &'static str,
    pub status: &'static str,
    pub tone: &'static str,
    pub count: i64,
    pub link: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    nav: Nav,
    message_tallies: Vec<TallyRow>,
    call_tallies: Vec<TallyRow>,
    chart: Option<Chart>,
    messages_stored: i64,
    calls_stored: i64,
    callbacks_stored: i64,
    pending_jobs: i64,
    tenant_count: usize,
    event_sequence: i64,
    messages: Vec<MessageRow>,
    calls: Vec<CallRow>,
    events: Vec<EventLine>,
}

/// `/`: what the server holds, and this tenant's latest messages, calls and events.
pub async fn overview(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<TenantQuery>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, query.tenant.as_deref())?;
    let health = core.health().await?;
    let first = PageRequest::first(10);
    let messages = core
        .list_messages(&tenant, &MessageFilter::default(), &first)
        .await?;
    let outcomes = core.recent_outcomes(&tenant, CHART_MESSAGES).await?;
    let account = tenant.sid();
    let message_tallies = core
        .message_tallies(&tenant)
        .await?
        .into_iter()
        .map(|(channel, status, count)| TallyRow {
            channel: channel.as_str(),
            status: status.as_str(),
            tone: view::tone(status.as_str()),
            count,
            link: format!(
                "/ui/messages?tenant={}&channel={}&status={}",
                encode(&account),
                channel.as_str(),
                status.as_str()
            ),
        })
        .collect();
    let call_tallies = core
        .call_tallies(&tenant)
        .await?
        .into_iter()
        .map(|(status, count)| TallyRow {
            channel: "voice",
            status: status.as_str(),
            tone: view::tone(status.as_str()),
            count,
            link: format!("/ui/calls?tenant={}", encode(&account)),
        })
        .collect();
    let calls = core
        .list_calls(&tenant, &CallFilter::default(), &first)
        .await?;
    let events = core
        .events()
        .latest(Some(&tenant.sid()), RECENT_EVENTS)
        .await?;
    render(OverviewPage {
        nav: Nav::new(&state, "overview", &tenant),
        messages_stored: health.counts.messages,
        calls_stored: health.counts.calls,
        callbacks_stored: health.counts.callbacks,
        pending_jobs: health.pending_jobs,
        tenant_count: health.tenants,
        event_sequence: health.event_sequence,
        chart: chart::of_messages(&outcomes, state.zone),
        message_tallies,
        call_tallies,
        messages: messages
            .items
            .iter()
            .map(|m| MessageRow::new(m, state.zone))
            .collect(),
        calls: calls
            .items
            .iter()
            .map(|c| CallRow::new(c, state.zone))
            .collect(),
        events: events
            .iter()
            .map(|e| EventLine::new(e, state.zone))
            .collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ClearQuery {
    pub tenant: Option<String>,
    /// `tenant` (this tenant's data) or `all` (every tenant's).
    pub scope: Option<String>,
}

#[derive(Template)]
#[template(path = "clear.html")]
struct ClearPage {
    nav: Nav,
    all: bool,
}

/// `GET /ui/clear`: the question before anything is removed.
pub async fn confirm_clear(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<ClearQuery>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, query.tenant.as_deref())?;
    render(ClearPage {
        all: query.scope.as_deref() == Some("all"),
        nav: Nav::new(&state, "overview", &tenant),
    })
}

#[derive(Debug, Deserialize)]
pub struct ClearForm {
    pub tenant: String,
    pub scope: String,
}

/// `POST /ui/clear`: remove the messages, calls and webhook attempts of one tenant or of all,
/// as the seed's `/clear/all` did.
pub async fn clear(
    State(state): State<Arc<DashboardState>>,
    Form(form): Form<ClearForm>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, Some(&form.tenant))?;
    let scope = match form.scope.as_str() {
        "tenant" => Some(&*tenant),
        "all" => None,
        other => {
            return Err(PageError::BadRequest(format!(
                "Clear what? {other:?} is neither \"tenant\" nor \"all\"."
            )));
        }
    };
    state.core.clear(scope, ClearWhat::All).await?;
    Ok(Redirect::to(&format!("/?tenant={}", encode(&tenant.sid()))).into_response())
}
