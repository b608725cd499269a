//! Twilio's shared vocabulary: the API version every resource and webhook names, and the form
//! encoding its requests and webhooks use.

/// The REST API version: in every resource URI and in each webhook's `ApiVersion`.
pub const API_VERSION: &str = "2010-04-01";

/// `application/x-www-form-urlencoded`, spaces as `+` (what Twilio and Python send).
pub fn encode_form(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish()
}

/// The pairs of an `application/x-www-form-urlencoded` body, in order.
pub fn decode_form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}
