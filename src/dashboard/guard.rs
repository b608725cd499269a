//! What every dashboard response goes through: the optional token, the cross-site check on
//! state changes, and the security headers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use super::DashboardState;
use super::error::PageError;
use crate::core::crypto::constant_time_eq;

/// Scripts, styles, images and audio from this server only: no inline script or style (so an
/// injected `<script>` or `onerror=` cannot run), no framing, forms post back here only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; \
frame-ancestors 'none'; base-uri 'none'";

pub async fn guard(
    State(state): State<Arc<DashboardState>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(token) = &state.token
        && !authorized(request.headers(), token)
    {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"mockingbird\", charset=\"UTF-8\""),
            )],
            "The dashboard needs its token (dashboard.token): any user name, the token as the password.",
        )
            .into_response();
    }
    if request.method() != Method::GET
        && request.method() != Method::HEAD
        && let Some(refusal) = cross_site(request.headers())
    {
        return PageError::Forbidden(refusal).into_response();
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// `Authorization: Basic` with the token as the password (what a browser's prompt sends), or
/// `Authorization: Bearer <token>` (what a script sends).
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    if let Some(bearer) = value.strip_prefix("Bearer ") {
        return constant_time_eq(bearer.trim().as_bytes(), token.as_bytes());
    }
    let Some(basic) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(basic.trim()) else {
        return false;
    };
    let password = decoded
        .iter()
        .position(|&b| b == b':')
        .map_or(&[][..], |colon| &decoded[colon + 1..]);
    constant_time_eq(password, token.as_bytes())
}

/// Why a state-changing request is refused as cross-site, if it is. A browser says where a form
/// was posted from: `Sec-Fetch-Site` (every current browser), else `Origin`. A request from
/// another site is refused; `Sec-Fetch-Site: same-origin` is trusted as it is (a page cannot
/// forge it), so a proxy that rewrites `Host` does not lock the dashboard. A client that is not
/// a browser sends neither and is let through: it could as well call the control plane.
fn cross_site(headers: &HeaderMap) -> Option<String> {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = value("sec-fetch-site") {
        return (site != "same-origin" && site != "none").then(|| {
            format!("A form from another site ({site}) may not change the dashboard's data.")
        });
    }
    let origin = value("origin")?;
    let host = value("host").unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    (origin == "null" || !origin_host.eq_ignore_ascii_case(host))
        .then(|| format!("A form from {origin} may not change the dashboard's data on {host}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_token_is_taken_as_a_basic_password_or_a_bearer() {
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("anyone:s3cret")
        );
        assert!(authorized(&headers(&[("authorization", &basic)]), "s3cret"));
        assert!(authorized(
            &headers(&[("authorization", "Bearer s3cret")]),
            "s3cret"
        ));
        assert!(!authorized(
            &headers(&[("authorization", "Bearer wrong")]),
            "s3cret"
        ));
        let no_colon = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("s3cret")
        );
        assert!(!authorized(
            &headers(&[("authorization", &no_colon)]),
            "s3cret"
        ));
        assert!(!authorized(&headers(&[]), "s3cret"));
    }

    #[test]
    fn only_this_site_may_post() {
        let same = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert_eq!(cross_site(&same), None);
        assert_eq!(cross_site(&headers(&[("host", "127.0.0.1:8080")])), None);
        let other = headers(&[("host", "127.0.0.1:8080"), ("origin", "http://evil.test")]);
        assert!(cross_site(&other).is_some());
        let fetched = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")]);
        assert!(cross_site(&fetched).is_some());
        let sandboxed = headers(&[("host", "127.0.0.1:8080"), ("origin", "null")]);
        assert!(cross_site(&sandboxed).is_some());
        let behind_a_proxy = headers(&[
            ("host", "mockingbird:8080"),
            ("origin", "https://mock.example.com"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert_eq!(cross_site(&behind_a_proxy), None);
    }
}
