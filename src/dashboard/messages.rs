//! Messages: the list with its filters, a message's page with its timeline and webhook
//! attempts, the row the live view swaps in, and redacting and deleting.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::DashboardState;
use super::error::PageError;
use super::pages::{
    ListQuery, Nav, Pager, TIMELINE_EVENTS, TenantForm, TenantQuery, given, pager, render,
    stale_anchor, tenant_of,
};
use super::view::{self, AttemptRow, EventLine, MessageRow, encode};
use crate::core::messaging::{MessageStatus, MessageUpdate};
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
        rows: page
            .items
            .iter()
            .map(|m| MessageRow::new(m, state.zone))
            .collect(),
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
        nav: Nav::new(&state, "messages", &tenant),
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
        row: MessageRow::new(&message, state.zone),
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
        row: MessageRow::new(&message, state.zone),
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
        sent: message
            .sent_at
            .map(|at| state.zone.moment(at))
            .unwrap_or_default(),
        updated: state.zone.moment(message.updated_at),
        timeline: timeline
            .iter()
            .map(|e| EventLine::new(e, state.zone))
            .collect(),
        attempts: attempts
            .iter()
            .map(|a| AttemptRow::new(a, &account, state.zone))
            .collect(),
        nav: Nav::new(&state, "messages", &tenant),
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
