//! Each provider's shared vocabulary: what Twilio and Meta call things on the wire — versions,
//! encodings, error codes and their titles, the shapes of users' messages. A provider's facade
//! and the webhook code that speaks for the same provider both import it, so neither imports
//! the other. It stands on the core and nothing else.

pub mod meta;
pub mod twilio;
