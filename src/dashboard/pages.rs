//! The pages: each handler reads through the core, turns what it read into [`view`] rows and
//! renders one template.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::DashboardState;
use super::chart::{self, Chart};
use super::error::PageError;
use super::view::{
    self, AttemptRow, CallRow, EventLine, MessageRow, RecordingRow, TranscriptLine, encode,
};
use crate::core::messaging::{Channel, Direction, MessageFilter, MessageStatus, MessageUpdate};
use crate::core::paging::{PageRequest, PageStart};
use crate::core::store::ClearWhat;
use crate::core::tenants::Tenant;
use crate::core::voice::{CallDirection, CallFilter, CallStatus};
use crate::core::{Core, CoreError};

/// Rows on a list page (the seed's 50).
const PAGE_SIZE: u32 = 50;
/// Lines of the overview's activity feed.
const RECENT_EVENTS: usize = 30;
/// Events of one message or call shown on its page.
const TIMELINE_EVENTS: usize = 500;

/// What the frame around every page shows: the section, the tenant and the other tenants.
pub struct Nav {
    pub section: &'static str,
    pub tenant: String,
    pub tenants: Vec<TenantOption>,
}

pub struct TenantOption {
    pub sid: String,
    pub name: String,
    pub selected: bool,
}

impl Nav {
    pub(super) fn new(core: &Core, section: &'static str, tenant: &Tenant) -> Self {
        let current = tenant.sid();
        let tenants = core
            .accounts()
            .into_iter()
            .map(|account| TenantOption {
                selected: account.sid == current,
                name: account.friendly_name,
                sid: account.sid,
            })
            .collect();
        Nav {
            section,
            tenant: current,
            tenants,
        }
    }

    /// The Server-Sent Events stream of this tenant's events.
    pub fn live(&self) -> String {
        format!("/ui/live?tenant={}", encode(&self.tenant))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TenantQuery {
    pub tenant: Option<String>,
}

/// The tenant a page is about: the one named, else the config's default tenant.
pub fn tenant_of(core: &Core, named: Option<&str>) -> Result<Arc<Tenant>, PageError> {
    match named.filter(|sid| !sid.is_empty()) {
        Some(sid) => core
            .tenant(sid)
            .ok_or_else(|| PageError::NotFound(format!("There is no tenant {sid}."))),
        None => core
            .default_tenant()
            .or_else(|| {
                core.accounts()
                    .first()
                    .and_then(|account| core.tenant(&account.sid))
            })
            .ok_or_else(|| PageError::NotFound("The server has no tenant yet.".into())),
    }
}

pub(super) fn render(page: impl Template) -> Result<Response, PageError> {
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// Overview.

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
        nav: Nav::new(core, "overview", &tenant),
        messages_stored: health.counts.messages,
        calls_stored: health.counts.calls,
        callbacks_stored: health.counts.callbacks,
        pending_jobs: health.pending_jobs,
        tenant_count: health.tenants,
        event_sequence: health.event_sequence,
        chart: chart::of_messages(&outcomes),
        message_tallies,
        call_tallies,
        messages: messages.items.iter().map(MessageRow::from).collect(),
        calls: calls.items.iter().map(CallRow::from).collect(),
        events: events.iter().map(|e| EventLine::new(e)).collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Lists with keyset pages.

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub tenant: Option<String>,
    pub to: Option<String>,
    pub from: Option<String>,
    /// Messages only: a status, a direction, a channel, words of the body.
    pub status: Option<String>,
    pub direction: Option<String>,
    pub channel: Option<String>,
    pub q: Option<String>,
    /// The page after (older than) this SID.
    pub after: Option<String>,
    /// The page before (newer than) this SID.
    pub before: Option<String>,
}

impl ListQuery {
    fn page(&self) -> PageRequest {
        let anchor =
            |sid: &Option<String>| sid.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
        let start = match (anchor(&self.after), anchor(&self.before)) {
            (Some(after), _) => PageStart::After(after),
            (None, Some(before)) => PageStart::Before(before),
            (None, None) => PageStart::First,
        };
        PageRequest {
            start,
            size: PAGE_SIZE,
        }
    }

    fn to(&self) -> Option<String> {
        given(&self.to)
    }

    fn from(&self) -> Option<String> {
        given(&self.from)
    }

    /// The message filter the query names; a value the list does not know is refused.
    fn message_filter(&self) -> Result<MessageFilter, PageError> {
        fn parsed<T>(
            value: &Option<String>,
            name: &str,
            parse: impl Fn(&str) -> Option<T>,
        ) -> Result<Option<T>, PageError> {
            given(value)
                .map(|v| {
                    parse(&v).ok_or_else(|| {
                        PageError::BadRequest(format!("{v:?} is no message {name}."))
                    })
                })
                .transpose()
        }
        Ok(MessageFilter {
            to: self.to(),
            from: self.from(),
            status: parsed(&self.status, "status", MessageStatus::parse)?,
            direction: parsed(&self.direction, "direction", Direction::parse)?,
            channel: parsed(&self.channel, "channel", Channel::parse)?,
            text: given(&self.q),
            ..MessageFilter::default()
        })
    }

    /// The query of a link to the next or previous page, keeping the filters.
    fn link(&self, tenant: &str, anchor: (&str, &str)) -> String {
        let mut query = format!("tenant={}", encode(tenant));
        for (name, value) in [
            ("to", self.to()),
            ("from", self.from()),
            ("status", given(&self.status)),
            ("direction", given(&self.direction)),
            ("channel", given(&self.channel)),
            ("q", given(&self.q)),
        ] {
            if let Some(value) = value {
                query.push_str(&format!("&{name}={}", encode(&value)));
            }
        }
        query.push_str(&format!("&{}={}", anchor.0, encode(anchor.1)));
        query
    }
}

/// A query value, unless it is empty or blank.
fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Links to the pages on either side of a list page.
pub struct Pager {
    pub newer: Option<String>,
    pub older: Option<String>,
}

fn pager<T>(
    query: &ListQuery,
    tenant: &str,
    page: &crate::core::paging::Page<T>,
    sid: impl Fn(&T) -> &str,
) -> Pager {
    Pager {
        newer: page
            .has_previous
            .then(|| page.items.first())
            .flatten()
            .map(|first| query.link(tenant, ("before", sid(first)))),
        older: page
            .has_next
            .then(|| page.items.last())
            .flatten()
            .map(|last| query.link(tenant, ("after", sid(last)))),
    }
}

/// A list page next to a SID the tenant does not have.
fn stale_anchor(error: CoreError) -> PageError {
    match error {
        CoreError::Invalid(_) => PageError::BadRequest(
            "That page starts next to a record this tenant does not have.".into(),
        ),
        other => other.into(),
    }
}

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    nav: Nav,
    to: String,
    from: String,
    status: String,
    direction: String,
    channel: String,
    q: String,
    filtered: bool,
    statuses: Vec<&'static str>,
    rows: Vec<MessageRow>,
    pager: Pager,
}

/// `/ui/messages`: a tenant's messages, newest first, 50 a page, filtered by To and From.
pub async fn messages(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, query.tenant.as_deref())?;
    let filter = query.message_filter()?;
    let page = core
        .list_messages(&tenant, &filter, &query.page())
        .await
        .map_err(stale_anchor)?;
    render(MessagesPage {
        pager: pager(&query, &tenant.sid(), &page, |m| &m.sid),
        rows: page.items.iter().map(MessageRow::from).collect(),
        to: query.to().unwrap_or_default(),
        from: query.from().unwrap_or_default(),
        status: given(&query.status).unwrap_or_default(),
        direction: given(&query.direction).unwrap_or_default(),
        channel: given(&query.channel).unwrap_or_default(),
        q: given(&query.q).unwrap_or_default(),
        filtered: filter.to.is_some()
            || filter.from.is_some()
            || filter.status.is_some()
            || filter.direction.is_some()
            || filter.channel.is_some()
            || filter.text.is_some(),
        statuses: MessageStatus::ALL.iter().map(|s| s.as_str()).collect(),
        nav: Nav::new(core, "messages", &tenant),
    })
}

#[derive(Template)]
#[template(path = "message_row.html")]
struct MessageRowFragment {
    row: MessageRow,
    tenant: String,
}

/// One row of the messages table, for the live view to insert or replace.
pub async fn message_row(
    State(state): State<Arc<DashboardState>>,
    Path(sid): Path<String>,
    Query(query): Query<TenantQuery>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, query.tenant.as_deref())?;
    let message = state.core.message(&tenant, &sid).await?;
    render(MessageRowFragment {
        row: MessageRow::from(&message),
        tenant: tenant.sid(),
    })
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    nav: Nav,
    row: MessageRow,
    body: String,
    media: Vec<String>,
    error_message: String,
    status_callback: String,
    whatsapp_type: String,
    whatsapp_content: String,
    sent: String,
    updated: String,
    timeline: Vec<EventLine>,
    attempts: Vec<AttemptRow>,
}

/// `/ui/messages/{sid}`: a message, and its timeline: each status it passed with its time, the
/// rule that decided it, and every webhook attempt with the app's answer.
pub async fn message(
    State(state): State<Arc<DashboardState>>,
    Path(sid): Path<String>,
    Query(query): Query<TenantQuery>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, query.tenant.as_deref())?;
    let message = core.message(&tenant, &sid).await?;
    let account = tenant.sid();
    let timeline = core.events().about(&account, &sid, TIMELINE_EVENTS).await?;
    let attempts = core
        .callback_attempts(&tenant, Some(&sid), TIMELINE_EVENTS as u32)
        .await?;
    render(MessagePage {
        row: MessageRow::from(&message),
        body: view::message_text(&message),
        media: message.media_urls.clone(),
        error_message: message.error_message.clone().unwrap_or_default(),
        status_callback: message
            .status_callback
            .as_ref()
            .map(|c| format!("{} {}", c.method.as_str(), c.url))
            .unwrap_or_default(),
        whatsapp_type: message
            .whatsapp
            .as_ref()
            .map(|w| w.message_type.clone())
            .unwrap_or_default(),
        whatsapp_content: message
            .whatsapp
            .as_ref()
            .map(|w| w.content.clone())
            .unwrap_or_default(),
        sent: message.sent_at.map(view::moment).unwrap_or_default(),
        updated: view::moment(message.updated_at),
        timeline: timeline.iter().map(|e| EventLine::new(e)).collect(),
        attempts: attempts
            .iter()
            .map(|a| AttemptRow::new(a, &account))
            .collect(),
        nav: Nav::new(core, "messages", &tenant),
    })
}

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
        rows: page.items.iter().map(CallRow::from).collect(),
        to: query.to().unwrap_or_default(),
        from: query.from().unwrap_or_default(),
        nav: Nav::new(core, "calls", &tenant),
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
        row: CallRow::from(&call),
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
        row: CallRow::from(&view.call),
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
        transcript: view.transcript.iter().map(TranscriptLine::from).collect(),
        recordings: recordings.items.iter().map(RecordingRow::from).collect(),
        timeline: timeline.iter().map(|e| EventLine::new(e)).collect(),
        attempts: attempts
            .iter()
            .map(|a| AttemptRow::new(a, &account))
            .collect(),
        nav: Nav::new(core, "calls", &tenant),
    })
}

/// `POST /ui/messages/{sid}/redact`: empty the body, as `Body=""` on the API does.
pub async fn redact(
    State(state): State<Arc<DashboardState>>,
    Path(sid): Path<String>,
    Form(form): Form<TenantForm>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, Some(&form.tenant))?;
    state
        .core
        .update_message(&tenant, &sid, MessageUpdate::Redact)
        .await?;
    Ok(Redirect::to(&format!(
        "/ui/messages/{}?tenant={}",
        encode(&sid),
        encode(&tenant.sid())
    ))
    .into_response())
}

/// `POST /ui/messages/{sid}/delete`: delete the message, as the API's `DELETE` does (refused,
/// as there, while it is still on its way).
pub async fn delete(
    State(state): State<Arc<DashboardState>>,
    Path(sid): Path<String>,
    Form(form): Form<TenantForm>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, Some(&form.tenant))?;
    state.core.delete_message(&tenant, &sid).await?;
    Ok(Redirect::to(&format!("/ui/messages?tenant={}", encode(&tenant.sid()))).into_response())
}

// ---------------------------------------------------------------------------------------------
// Callbacks.

#[derive(Debug, Default, Deserialize)]
pub struct CallbacksQuery {
    pub tenant: Option<String>,
    /// Only the attempts about this message or call.
    pub resource: Option<String>,
}

#[derive(Template)]
#[template(path = "callbacks.html")]
struct CallbacksPage {
    nav: Nav,
    resource: String,
    rows: Vec<AttemptRow>,
}

/// `/ui/callbacks`: every webhook attempt of the tenant, newest first, with the request sent
/// and the app's answer.
pub async fn callbacks(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<CallbacksQuery>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, query.tenant.as_deref())?;
    let resource = query.resource.clone().filter(|r| !r.trim().is_empty());
    let attempts = core
        .callback_attempts(&tenant, resource.as_deref(), PAGE_SIZE * 2)
        .await?;
    let account = tenant.sid();
    render(CallbacksPage {
        rows: attempts
            .iter()
            .map(|a| AttemptRow::new(a, &account))
            .collect(),
        resource: resource.unwrap_or_default(),
        nav: Nav::new(core, "callbacks", &tenant),
    })
}

#[derive(Debug, Deserialize)]
pub struct TenantForm {
    pub tenant: String,
}

/// `POST /ui/callbacks/{id}/redeliver`: send a recorded attempt again, as the control plane's
/// `RedeliverCallback` does, and go back to the callbacks page.
pub async fn redeliver(
    State(state): State<Arc<DashboardState>>,
    Path(id): Path<i64>,
    Form(form): Form<TenantForm>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, Some(&form.tenant))?;
    state.core.redeliver_callback(&tenant, id).await?;
    Ok(Redirect::to(&format!("/ui/callbacks?tenant={}", encode(&tenant.sid()))).into_response())
}

// ---------------------------------------------------------------------------------------------
// Clearing, after a confirmation.

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
        nav: Nav::new(&state.core, "overview", &tenant),
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
