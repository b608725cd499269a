//! What every page shares: the frame (the section, the tenant and its switcher), the tenant a
//! request names, rendering, and the keyset pages and filters of the lists. The pages
//! themselves are in their own files; each reads through the core, turns what it read into
//! [`super::view`] rows and renders one template.

use std::sync::Arc;

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::DashboardState;
use super::error::PageError;
use super::view::encode;
use crate::core::messaging::{Channel, Direction, MessageFilter, MessageStatus};
use crate::core::paging::{PageRequest, PageStart};
use crate::core::tenants::Tenant;
use crate::core::{Core, CoreError};

/// Rows on a list page (the seed's 50).
pub(super) const PAGE_SIZE: u32 = 50;
/// Events of one message or call shown on its page.
pub(super) const TIMELINE_EVENTS: usize = 500;

/// What the frame around every page shows: the section, the tenant and the other tenants.
pub struct Nav {
    pub section: &'static str,
    /// The zone of every time on the page, named in the header.
    pub zone: &'static str,
    pub tenant: String,
    pub tenants: Vec<TenantOption>,
}

pub struct TenantOption {
    pub sid: String,
    pub name: String,
    pub selected: bool,
}

impl Nav {
    pub(super) fn new(state: &DashboardState, section: &'static str, tenant: &Tenant) -> Self {
        let current = tenant.sid();
        let tenants = state
            .core
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
            zone: state.zone.name(),
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
    pub(super) fn page(&self) -> PageRequest {
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

    pub(super) fn to(&self) -> Option<String> {
        given(&self.to)
    }

    pub(super) fn from(&self) -> Option<String> {
        given(&self.from)
    }

    /// The message filter the query names; a value the list does not know is refused.
    pub(super) fn message_filter(&self) -> Result<MessageFilter, PageError> {
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
        link_query(
            tenant,
            [
                ("to", self.to()),
                ("from", self.from()),
                ("status", given(&self.status)),
                ("direction", given(&self.direction)),
                ("channel", given(&self.channel)),
                ("q", given(&self.q)),
                (anchor.0, Some(anchor.1.to_owned())),
            ],
        )
    }
}

/// The query of a link within the dashboard: the tenant, then each parameter that has a value,
/// percent-encoded.
pub(super) fn link_query<'a>(
    tenant: &str,
    params: impl IntoIterator<Item = (&'a str, Option<String>)>,
) -> String {
    let mut query = format!("tenant={}", encode(tenant));
    for (name, value) in params {
        if let Some(value) = value {
            query.push_str(&format!("&{name}={}", encode(&value)));
        }
    }
    query
}

/// A query value, unless it is empty or blank.
pub(super) fn given(value: &Option<String>) -> Option<String> {
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

pub(super) fn pager<T>(
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
pub(super) fn stale_anchor(error: CoreError) -> PageError {
    match error {
        CoreError::Invalid(_) => PageError::BadRequest(
            "That page starts next to a record this tenant does not have.".into(),
        ),
        other => other.into(),
    }
}

#[derive(Debug, Deserialize)]
pub struct TenantForm {
    pub tenant: String,
}
