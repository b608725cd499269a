//! Which tenant a Twilio request acts as. Requests authenticate with HTTP Basic: an account SID
//! and its auth token, or an API key SID (`SK…`) and its secret. The account in the URL must be
//! the authenticated account or one of its subaccounts.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OriginalUri, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::TwilioState;
use super::error::TwilioError;
use crate::core::access::AccessDenied;
use crate::core::tenants::Tenant;
use crate::core::{Core, CoreError};

/// A request on `/2010-04-01/Accounts/{AccountSid}/…`, authenticated: the tenant it acts on,
/// the URI it was made on (paging links and 404 messages repeat it), and the path's parameters
/// after the account, in order (such as `SM….json`).
pub struct Scope {
    pub tenant: Arc<Tenant>,
    pub uri: Uri,
    pub params: Vec<String>,
}

impl Scope {
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The `n`th path parameter after the account.
    pub fn param(&self, n: usize) -> &str {
        self.params.get(n).map_or("", String::as_str)
    }
}

impl FromRequestParts<Arc<TwilioState>> for Scope {
    type Rejection = TwilioError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<TwilioState>,
    ) -> Result<Self, TwilioError> {
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| TwilioError::not_found(uri.path()))?;
        let mut values = raw.iter().map(|(_, value)| value.to_owned());
        let account_sid = values.next().unwrap_or_default();
        let tenant = tenant(&state.core, &parts.headers, &account_sid, uri.path()).await?;
        Ok(Scope {
            tenant,
            uri,
            params: values.collect(),
        })
    }
}

/// The `user:password` of a Basic `Authorization` header, if it is one.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The account the credentials authenticate as (see [`Core::tenant_for_basic`]).
pub fn caller(core: &Core, headers: &HeaderMap) -> Result<Arc<Tenant>, TwilioError> {
    let credentials = basic_credentials(headers);
    core.tenant_for_basic(borrowed(&credentials))
        .map_err(TwilioError::denied)
}

/// The tenant a request on `/Accounts/{account_sid}/…` acts on (see
/// [`Core::tenant_for_account`]).
pub async fn tenant(
    core: &Core,
    headers: &HeaderMap,
    account_sid: &str,
    path: &str,
) -> Result<Arc<Tenant>, TwilioError> {
    let credentials = basic_credentials(headers);
    match core
        .tenant_for_account(borrowed(&credentials), account_sid)
        .await
    {
        Err(CoreError::Denied(AccessDenied::Unknown)) => Err(TwilioError::not_found(path)),
        other => Ok(other?),
    }
}

fn borrowed(credentials: &Option<(String, String)>) -> Option<(&str, &str)> {
    credentials
        .as_ref()
        .map(|(user, password)| (user.as_str(), password.as_str()))
}
