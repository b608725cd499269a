//! Form and query parameters as Twilio reads them: names are case-sensitive, a name may repeat
//! (`MediaUrl=a&MediaUrl=b`), spaces arrive as `+` (Python) or `%20` (Node), and names such as
//! `DateSent<` are literal. Bodies that are not UTF-8 once decoded are refused, not mangled.

use axum::body::{Body, to_bytes};
use axum::extract::FromRequest;
use axum::http::{Method, Request, StatusCode, header};

use super::error::TwilioError;

/// The largest request body accepted. Twilio's own limit is not documented; a message is at
/// most 1,600 characters and 10 media URLs, so this leaves a wide margin.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parse `application/x-www-form-urlencoded` bytes (also a query string).
    pub fn parse(raw: &[u8]) -> Result<Self, TwilioError> {
        let mut pairs = Vec::new();
        for piece in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &[][..]),
            };
            pairs.push((decode(name)?, decode(value)?));
        }
        Ok(Params(pairs))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, unless it is absent or empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn decode(raw: &[u8]) -> Result<String, TwilioError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        bytes.push(byte);
                        i += 2;
                    }
                    // A lone `%` is kept as it is, as most form parsers do.
                    None => bytes.push(b'%'),
                }
            }
            other => bytes.push(other),
        }
        i += 1;
    }
    String::from_utf8(bytes).map_err(|_| {
        TwilioError::bad_request(
            20001,
            "Request parameters must be UTF-8 text once percent-decoded",
        )
    })
}

/// The form body of a request. A body in another media type is refused with 415; an absent
/// or empty body is an empty form (Python's SDK sends a form content type even on GETs).
pub struct Form(pub Params);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = TwilioError;

    async fn from_request(request: Request<Body>, _state: &S) -> Result<Self, TwilioError> {
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let bytes = to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| TwilioError::for_status(StatusCode::PAYLOAD_TOO_LARGE, &path))?;
        if bytes.is_empty() || method == Method::GET {
            return Ok(Form(Params::default()));
        }
        if is_form != Some(true) {
            return Err(TwilioError::for_status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &path,
            ));
        }
        Ok(Form(Params::parse(&bytes)?))
    }
}

/// The query string of a request, parsed the same way.
pub fn query(uri: &axum::http::Uri) -> Result<Params, TwilioError> {
    Params::parse(uri.query().unwrap_or_default().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_sdks_send() {
        let params = Params::parse(b"To=%2B1555&Body=Hello+%C3%A9%20%E2%9C%93&MediaUrl=a&MediaUrl=b&DateSent%3E=2024-01-02&Empty=").unwrap();
        assert_eq!(params.get("To"), Some("+1555"));
        assert_eq!(params.get("Body"), Some("Hello é ✓"));
        assert_eq!(params.all("MediaUrl"), vec!["a", "b"]);
        assert_eq!(params.get("DateSent>"), Some("2024-01-02"));
        assert_eq!(params.get("Empty"), Some(""));
        assert_eq!(params.non_empty("Empty"), None);
        assert_eq!(params.get("to"), None);
    }

    #[test]
    fn refuses_bytes_that_are_not_utf8() {
        assert!(Params::parse(b"Body=%FF%FE").is_err());
        assert_eq!(Params::parse(b"a=100%").unwrap().get("a"), Some("100%"));
    }
}
