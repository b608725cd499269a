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
use super::pages::{Nav, PAGE_SIZE, TenantForm, given, link_query, render, tenant_of};
use super::view::{AttemptRow, encode};

/// Attempts on a page: each is a tall row (the request and the answer), so fewer than the
/// lists' 50 would do; twice that keeps a burst of retries on one page.
const ATTEMPTS_PER_PAGE: u32 = PAGE_SIZE * 2;

#[derive(Debug, Default, Deserialize)]
pub struct CallbacksQuery {
    pub tenant: Option<String>,
    /// Only the attempts about this message or call.
    pub resource: Option<String>,
    /// `failed`: only the attempts the app did not accept.
    pub outcome: Option<String>,
    /// The page of attempts older than this one (by id, which grows with each attempt).
    pub before: Option<i64>,
}

impl CallbacksQuery {
    /// The query of this page's list from another start, keeping the filters.
    fn link(&self, tenant: &str, before: Option<i64>) -> String {
        link_query(
            tenant,
            [
                ("resource", given(&self.resource)),
                ("outcome", given(&self.outcome)),
                ("before", before.map(|id| id.to_string())),
            ],
        )
    }
}

#[derive(Template)]
#[template(path = "callbacks.html")]
struct CallbacksPage {
    nav: Nav,
    resource: String,
    failed_only: bool,
    rows: Vec<AttemptRow>,
    /// The query of the newest page, when this is an older one.
    newest: Option<String>,
    /// The query of the next older page, when there are older attempts.
    older: Option<String>,
}

/// `/ui/callbacks`: every webhook attempt of the tenant, newest first, a page at a time, with
/// the request sent and the app's answer.
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
    // One more than a page: whether an older page exists.
    let mut attempts = core
        .callback_attempts_before(
            &tenant,
            resource.as_deref(),
            failed_only,
            query.before.unwrap_or(i64::MAX),
            ATTEMPTS_PER_PAGE + 1,
        )
        .await?;
    let has_older = attempts.len() > ATTEMPTS_PER_PAGE as usize;
    attempts.truncate(ATTEMPTS_PER_PAGE as usize);
    let account = tenant.sid();
    render(CallbacksPage {
        newest: query.before.map(|_| query.link(&account, None)),
        older: attempts
            .last()
            .filter(|_| has_older)
            .map(|last| query.link(&account, Some(last.id))),
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
