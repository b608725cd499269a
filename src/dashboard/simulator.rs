//! The phone simulator: a person acts as a user — texts or WhatsApps the app, taps a button
//! of the app's message, shares a location, calls the app and presses keys — through the same
//! core operations the control plane's `SendInbound`, `WhatsApp.SendInbound` and `Calls`
//! methods call. Each action lands on the page where its answer will appear.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::DashboardState;
use super::conversations::{ThreadKind, thread_link};
use super::error::PageError;
use super::pages::{Nav, TenantQuery, render, tenant_of};
use super::view::encode;
use crate::core::messaging::users::InboundText;
use crate::core::voice::{InboundCall, Unanswered};
use crate::providers::meta::user_messages;

#[derive(Template)]
#[template(path = "simulator.html")]
struct SimulatorPage {
    nav: Nav,
    /// The tenant's numbers, and those of them with a voice URL (which can be called).
    numbers: Vec<String>,
    voice_numbers: Vec<String>,
    whatsapp_number: String,
    targets: Vec<String>,
}

/// `/ui/simulator`: the forms to write or call as a user.
pub async fn page(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<TenantQuery>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, query.tenant.as_deref())?;
    let numbers = tenant.numbers();
    render(SimulatorPage {
        voice_numbers: numbers
            .iter()
            .filter(|n| n.voice.url.is_some())
            .map(|n| n.phone_number.clone())
            .collect(),
        numbers: numbers.into_iter().map(|n| n.phone_number).collect(),
        whatsapp_number: tenant.account().whatsapp.display_phone_number.clone(),
        targets: core.whatsapp_target_names(),
        nav: Nav::new(&state, "simulator", &tenant),
    })
}

fn filled(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

#[derive(Debug, Deserialize)]
pub struct SmsForm {
    pub tenant: String,
    pub from: String,
    pub to: String,
    pub body: String,
}

/// `POST /ui/simulator/sms`: a user texts one of the tenant's numbers (`whatsapp:+…` for
/// Twilio's WhatsApp channel); the app's SMS webhook is called and its TwiML replies sent.
pub async fn sms(
    State(state): State<Arc<DashboardState>>,
    Form(form): Form<SmsForm>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, Some(&form.tenant))?;
    let from = form.from.trim().to_owned();
    state
        .core
        .receive_inbound(
            &tenant,
            InboundText {
                from: from.clone(),
                to: form.to.trim().to_owned(),
                body: form.body,
                ..InboundText::default()
            },
        )
        .await?;
    Ok(Redirect::to(&thread_link(&tenant.sid(), ThreadKind::Twilio, &from)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct WhatsAppForm {
    pub tenant: String,
    /// The user's phone number.
    pub from: String,
    #[serde(default)]
    pub profile_name: String,
    /// `text`, `button_reply` (a reply button), `list_reply` (a list row), `button` (a
    /// template's quick reply) or `location` (`latitude,longitude` in `message`).
    #[serde(default = "text_kind")]
    pub kind: String,
    #[serde(default)]
    pub message: String,
    /// A tapped choice's id and title.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub title: String,
    /// The app's message the user answers.
    #[serde(default)]
    pub context: String,
    /// A configured target's name (the seed's local/staging toggle); the tenant's webhook URL
    /// when empty.
    #[serde(default)]
    pub target: String,
}

fn text_kind() -> String {
    "text".into()
}

/// `POST /ui/simulator/whatsapp`: a user writes to the tenant's business number on the Cloud
/// API: the app's webhook gets Meta's signed envelope.
pub async fn whatsapp(
    State(state): State<Arc<DashboardState>>,
    Form(form): Form<WhatsAppForm>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, Some(&form.tenant))?;
    let chosen = |fallback: &str| filled(&form.title).unwrap_or_else(|| fallback.to_owned());
    let message = match form.kind.as_str() {
        "button_reply" => user_messages::button_reply(&form.id, &chosen(&form.id)),
        "list_reply" => user_messages::list_reply(&form.id, &chosen(&form.id), None),
        kind => user_messages::from_cli(kind, &form.message).map_err(PageError::BadRequest)?,
    };
    let target = match filled(&form.target) {
        Some(name) => Some(core.whatsapp_target(&name)?),
        None => None,
    };
    let from = form.from.trim().to_owned();
    let inbound = message.into_inbound(&from, filled(&form.profile_name), filled(&form.context));
    core.receive_whatsapp(&tenant, inbound, target).await?;
    Ok(Redirect::to(&thread_link(&tenant.sid(), ThreadKind::CloudApi, &from)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct CallForm {
    pub tenant: String,
    pub from: String,
    pub to: String,
}

/// `POST /ui/simulator/call`: a user calls one of the tenant's numbers; the app's TwiML runs
/// until it waits for the caller, whose keypad is on the call's page.
pub async fn call(
    State(state): State<Arc<DashboardState>>,
    Form(form): Form<CallForm>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, Some(&form.tenant))?;
    let placed = state
        .core
        .dial_in(
            &tenant,
            InboundCall {
                from: form.from.trim().to_owned(),
                to: form.to.trim().to_owned(),
                caller_name: None,
                forwarded_from: None,
            },
        )
        .await?;
    Ok(to_call(&tenant.sid(), &placed.call.sid))
}

fn to_call(tenant: &str, sid: &str) -> Response {
    Redirect::to(&format!(
        "/ui/calls/{}?tenant={}",
        encode(sid),
        encode(tenant)
    ))
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct HandForm {
    pub tenant: String,
    /// `press` (keys in `input`), `say` (words in `input`), `hangup`, `answer`, `answer_machine`,
    /// `busy`, `no_answer`.
    pub action: String,
    #[serde(default)]
    pub input: String,
}

/// `POST /ui/calls/{sid}/hand`: the person on the line acts — presses keys, speaks, hangs up,
/// or answers or rejects a call the app placed.
pub async fn hand(
    State(state): State<Arc<DashboardState>>,
    Path(sid): Path<String>,
    Form(form): Form<HandForm>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, Some(&form.tenant))?;
    match form.action.as_str() {
        "press" => core.press_digits(&tenant, &sid, form.input.trim()).await?,
        "say" => core.say_speech(&tenant, &sid, form.input.trim()).await?,
        "hangup" => core.hang_up_call(&tenant, &sid).await?,
        "answer" => core.answer_call(&tenant, &sid, false).await?,
        "answer_machine" => core.answer_call(&tenant, &sid, true).await?,
        "busy" => core.reject_call(&tenant, &sid, Unanswered::Busy).await?,
        "no_answer" => {
            core.reject_call(&tenant, &sid, Unanswered::NoAnswer)
                .await?
        }
        other => {
            return Err(PageError::BadRequest(format!(
                "{other:?} is nothing a caller does: press, say, hangup, answer, answer_machine, busy or no_answer"
            )));
        }
    };
    Ok(to_call(&tenant.sid(), &sid))
}
