//! Voice: calls and their lifecycles, the engine that runs a call's TwiML, recordings, and the
//! caller a test plays (answering, pressing digits, speaking, hanging up).

mod model; // calls and recordings: statuses, directions, the stored resources
pub mod twiml; // voice TwiML as the engine runs it: verbs and their attributes

pub use model::*;
pub use twiml::Document;
