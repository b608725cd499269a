//! Twilio's test-credential magic numbers (`+1500555xxxx`). On Twilio they answer this way only
//! for test credentials; mockingbird honours them for every tenant, so that tests written for
//! Twilio's test account behave the same here, and `+15005550006` is always a valid sender.

use crate::core::rules::Rejection;

/// The one sender Twilio's test credentials accept.
pub const VALID_TEST_SENDER: &str = "+15005550006";

/// The synchronous error a message with these addresses gets, if any.
pub fn message_rejection(from: Option<&str>, to: &str) -> Option<Rejection> {
    let from_error = match from {
        Some("+15005550001") => Some(Rejection::new(
            400,
            21212,
            "The 'From' number +15005550001 is not a valid phone number, shortcode, or alphanumeric sender ID.",
        )),
        Some("+15005550007") => Some(Rejection::new(
            400,
            21606,
            "The From phone number +15005550007 is not a valid, SMS-capable inbound phone number or short code for your account.",
        )),
        Some("+15005550008") => Some(Rejection::new(
            400,
            21611,
            "This 'From' number has exceeded the maximum number of queued messages",
        )),
        _ => None,
    };
    from_error.or_else(|| {
        Some(match to {
            "+15005550001" => Rejection::new(
                400,
                21211,
                "The 'To' number +15005550001 is not a valid phone number.",
            ),
            "+15005550002" => Rejection::new(
                400,
                21612,
                "The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number via SMS.",
            ),
            "+15005550003" => Rejection::new(
                400,
                21408,
                "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +15005550003.",
            ),
            "+15005550004" => Rejection::new(400, 21610, "Attempt to send to unsubscribed recipient"),
            "+15005550009" => Rejection::new(
                400,
                21614,
                "'To' number +15005550009 is not a valid mobile number",
            ),
            _ => return None,
        })
    })
}

/// The synchronous error a call with these addresses gets, if any (Twilio's table for
/// `POST …/Calls`). Any other sender is checked against the tenant's numbers as usual.
pub fn call_rejection(from: &str, to: &str) -> Option<Rejection> {
    if from == "+15005550001" {
        return Some(Rejection::new(
            400,
            21212,
            "The 'From' number +15005550001 is not a valid phone number, shortcode, or alphanumeric sender ID.",
        ));
    }
    Some(match to {
        "+15005550001" => Rejection::new(
            400,
            21217,
            "Phone number +15005550001 does not appear to be valid",
        ),
        "+15005550002" => Rejection::new(
            400,
            21214,
            "'To' phone number +15005550002 cannot be reached",
        ),
        "+15005550003" => Rejection::new(
            400,
            21215,
            "Account not authorized to call +15005550003. Perhaps you need to enable some international permissions: https://www.twilio.com/console/voice/calls/geo-permissions/low-risk",
        ),
        "+15005550004" => Rejection::new(400, 21216, "Account not allowed to call +15005550004"),
        _ => return None,
    })
}

/// One of Twilio's magic test numbers (`+1 500 555 xxxx`), which a test may use whatever
/// else it checks.
pub fn is_magic_number(number: &str) -> bool {
    number
        .strip_prefix("+1500555")
        .is_some_and(|line| line.len() == 4 && line.bytes().all(|b| b.is_ascii_digit()))
}
