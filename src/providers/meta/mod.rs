//! Meta's shared vocabulary for the WhatsApp Cloud API: the Graph error codes with their titles
//! and HTTP statuses (the send call's envelope and the status webhook's `errors[]` both carry
//! them), and the shapes of users' messages.

pub mod user_messages;

/// The version Graph answers a path without one with: the latest. Meta's 2026 reference pages
/// write their samples against v25.0.
pub const LATEST_VERSION: &str = "v25.0";

/// Whether a path segment is a Graph API version, such as `v23.0`.
pub fn is_version(segment: &str) -> bool {
    segment.strip_prefix('v').is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
    })
}

/// The title Meta gives `code`, for the `title`/`message` of async `errors[]` in status
/// webhooks. Unknown codes get "Error".
pub fn title_of(code: u32) -> &'static str {
    error_entry(code).map_or(UNKNOWN_TITLE, |(title, _)| title)
}

pub const UNKNOWN_TITLE: &str = "Error";

/// Meta's error-codes table (reference §2.5): title and HTTP status. Statuses marked "✓" in
/// the reference were seen on the wire; the others are the most plausible reading, noted
/// inline. Graph answers most WhatsApp errors with 400, so 400 is the default guess unless the
/// error's nature says otherwise (permission → 403, outage → 5xx).
pub fn error_entry(code: u32) -> Option<(&'static str, u16)> {
    let found = match code {
        // Not confirmed: an authentication failure reads as 401.
        0 => ("AuthException", 401),
        // Not confirmed: Meta's page describes the response as a 500.
        3 => ("API Method", 500),
        // Not confirmed: Graph's app-level throttling is commonly logged as 400.
        4 => ("API Too Many Calls", 400),
        // Not confirmed: a permission refusal reads as 403.
        10 => ("Permission Denied", 403),
        100 => ("Invalid parameter", 400),
        190 => ("Access token has expired", 401),
        // 200–299 share one title on Meta's page; not confirmed: 403.
        200..=299 => ("API Permission", 403),
        // Not confirmed: a policy block reads as 403.
        368 => ("Temporarily blocked for policies violations", 403),
        // Not confirmed: Graph's business-use-case throttling is logged as 400.
        80007 => ("Rate limit issues", 400),
        130429 => ("Rate limit hit", 429),
        // Only seen async in status webhooks; 400 if ever returned synchronously.
        130472 => ("User's number is part of an experiment", 400),
        131000 => ("Something went wrong", 500),
        // Not confirmed: 403.
        131005 => ("Access denied", 403),
        131008 => ("Required parameter is missing", 400),
        131009 => ("Parameter value is not valid", 400),
        // Not confirmed: an outage reads as 503.
        131016 => ("Service unavailable", 503),
        131021 => ("Recipient cannot be sender", 400),
        131026 => ("Message undeliverable", 400),
        131030 => ("Recipient phone number not in allowed list", 400),
        // Not confirmed: 403.
        131031 => ("Account has been locked", 403),
        131047 => ("Re-engagement message", 400),
        131048 => ("Spam rate limit hit", 400),
        // 131049 and 131050 are only seen async; 400 if ever returned synchronously.
        131049 => (
            "This message was not delivered to maintain healthy ecosystem engagement.",
            400,
        ),
        131050 => (
            "Unable to deliver the message. This recipient has chosen to stop receiving \
             marketing messages on WhatsApp from your business.",
            400,
        ),
        131051 => ("Unsupported message type", 400),
        131052 => ("Media download error", 400),
        131053 => ("Media upload error", 400),
        // YCloud re-wraps this as 429; Meta's own answer is reported as 400.
        131056 => (
            "(Business Account, Consumer Account) pair rate limit hit",
            400,
        ),
        // No status recorded anywhere: 400, like the rest of the account-state errors.
        131057 => ("Account in maintenance mode", 400),
        // Sources summarising Meta's BSUID changes (dualhook) give no status; 400 like the
        // other recipient errors.
        131062 => (
            "Business-scoped User ID recipients are not supported for this message.",
            400,
        ),
        // No status recorded anywhere: 400.
        131064 => ("Messaging limit reached", 400),
        132000 => (
            "Number of parameters does not match the expected number of params",
            400,
        ),
        // Not confirmed: the template is a missing resource, so 404.
        132001 => ("Template name does not exist in the translation", 404),
        132005 => ("Translated text too long", 400),
        132007 => ("Template Format Character Policy Violated", 400),
        132008 => ("Template Parameter Value Invalid", 400),
        132012 => ("Template Parameter Format Mismatch", 400),
        132015 => ("Template is Paused", 400),
        132016 => ("Template is Disabled", 400),
        132068 => ("Flow is blocked", 400),
        132069 => ("Flow is throttled", 400),
        133005 => ("Two step verification PIN Mismatch", 400),
        133010 => ("Account not registered", 400),
        133016 => ("Account register deregister rate limit exceeded", 400),
        139100 => ("Failed to block/unblock users", 400),
        139101 => ("Blocklist limit reached", 400),
        135000 => ("Generic user error", 400),
        _ => return None,
    };
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_a_title() {
        let documented = [
            0, 3, 4, 10, 100, 190, 200, 368, 80007, 130429, 130472, 131000, 131005, 131008, 131009,
            131016, 131021, 131026, 131030, 131031, 131047, 131048, 131049, 131050, 131051, 131052,
            131053, 131056, 131057, 131062, 131064, 132000, 132001, 132005, 132007, 132008, 132012,
            132015, 132016, 132068, 132069, 133005, 133010, 133016, 135000, 139100, 139101,
        ];
        for code in documented {
            assert_ne!(title_of(code), UNKNOWN_TITLE, "code {code}");
        }
        assert_eq!(title_of(299), "API Permission");
        assert_eq!(title_of(999_999), "Error");
    }
}
