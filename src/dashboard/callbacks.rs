//! Callbacks: every webhook attempt with the request sent and the app's answer, and sending
//! one again.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::DashboardState;
use super::error::PageError;
use super::pages::{Nav, PAGE_SIZE, TenantForm, render, tenant_of};
use super::view::{AttemptRow, encode};
#[derive(Debug, Default, Deserialize)]
pub struct CallbacksQuery {
    pub tenant: Option<String>,
    /// Only the attempts about this message or call.
    pub resource: Option<String>,
    /// `failed`: only the attempts the app did not accept.
    pub outcome: Option<String>,
}

#[derive(Template)]
#[template(path = "callbacks.html")]
struct CallbacksPage {
    nav: Nav,
    resource: String,
    failed_only: bool,
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
    let failed_only = match query.outcome.as_deref().unwrap_or_default() {
        "" | "any" => false,
        "failed" => true,
        other => {
            return Err(PageError::BadRequest(format!(
                "{other:?} is no outcome: use failed, or any."
            )));
        }
    };
    let attempts = core
        .callback_attempts_before(
            &tenant,
            resource.as_deref(),
            failed_only,
            i64::MAX,
            PAGE_SIZE * 2,
        )
        .await?;
    let account = tenant.sid();
    render(CallbacksPage {
        rows: attempts
            .iter()
            .map(|a| AttemptRow::new(a, &account, state.zone))
            .collect(),
        resource: resource.unwrap_or_default(),
        failed_only,
        nav: Nav::new(&state, "callbacks", &tenant),
    })
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
