//! Tenants: what each is configured to do — its credentials for the app under test, its
//! numbers and where their traffic goes, its WhatsApp identity, its rules in order, its clock.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::DashboardState;
use super::error::PageError;
use super::pages::{Nav, TenantQuery, render, tenant_of};
use super::view::encode;
use crate::core::time::ClockMode;

pub struct TenantRow {
    pub sid: String,
    pub name: String,
    pub status: &'static str,
    pub owner: String,
    pub created: String,
    pub link: String,
    pub current: bool,
}

pub struct NumberRow {
    pub sid: String,
    pub number: String,
    pub sms: String,
    pub voice: String,
    pub status_callback: String,
}

/// A hook as `METHOD url`, or nothing.
fn hook(hook: &crate::core::tenants::Hook) -> String {
    hook.url
        .as_ref()
        .map(|url| format!("{} {url}", hook.method.as_str()))
        .unwrap_or_default()
}

pub struct RuleRow {
    pub id: String,
    /// The rule as the control plane's JSON writes it.
    pub json: String,
}

#[derive(Template)]
#[template(path = "tenants.html")]
struct TenantsPage {
    nav: Nav,
    tenants: Vec<TenantRow>,
    auth_token: String,
    clock: String,
    numbers: Vec<NumberRow>,
    phone_number_id: String,
    business_account_id: String,
    display_phone_number: String,
    access_token: String,
    app_secret: String,
    verify_token: String,
    webhook_url: String,
    window: String,
    rules: Vec<RuleRow>,
}

/// `/ui/tenants`: every tenant, and the chosen one's settings.
pub async fn page(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<TenantQuery>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, query.tenant.as_deref())?;
    let account = tenant.account();
    let tenants = core
        .accounts()
        .into_iter()
        .map(|a| TenantRow {
            link: format!("/ui/tenants?tenant={}", encode(&a.sid)),
            current: a.sid == account.sid,
            status: a.status.as_str(),
            owner: a.owner_account_sid.clone().unwrap_or_default(),
            created: state.zone.moment(a.created_at),
            name: a.friendly_name,
            sid: a.sid,
        })
        .collect();
    let clock = match tenant.clock() {
        ClockMode::Running { offset: 0 } => "real time".to_owned(),
        ClockMode::Running { offset } => format!("running, {offset} ms ahead of real time"),
        ClockMode::Frozen { now } => format!("frozen at {}", state.zone.moment(now)),
    };
    let whatsapp = &account.whatsapp;
    render(TenantsPage {
        tenants,
        auth_token: account.auth_token.clone(),
        clock,
        numbers: tenant
            .numbers()
            .iter()
            .map(|n| NumberRow {
                sid: n.sid.clone(),
                number: n.phone_number.clone(),
                sms: hook(&n.sms),
                voice: hook(&n.voice),
                status_callback: hook(&n.status_callback),
            })
            .collect(),
        phone_number_id: whatsapp.phone_number_id.clone(),
        business_account_id: whatsapp.business_account_id.clone(),
        display_phone_number: whatsapp.display_phone_number.clone(),
        access_token: whatsapp.access_token.clone(),
        app_secret: whatsapp.app_secret.clone(),
        verify_token: whatsapp.verify_token.clone(),
        webhook_url: whatsapp.webhook_url.clone().unwrap_or_default(),
        window: format!("{:?}", whatsapp.window).to_lowercase(),
        rules: core
            .rules(&tenant)
            .into_iter()
            .map(|rule| RuleRow {
                json: serde_json::to_string_pretty(&rule).unwrap_or_default(),
                id: rule.id,
            })
            .collect(),
        nav: Nav::new(&state, "tenants", &tenant),
    })
}
