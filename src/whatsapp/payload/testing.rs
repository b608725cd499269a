//! Helpers the payload's tests share: a body of a given kind, and what parsing it gives.

use serde_json::{Value, json};

use super::{MessageSend, SendRequest, parse_send};
use crate::core::whatsapp::WhatsAppSend;
use crate::whatsapp::error::GraphError;

pub fn parse(body: Value) -> Result<SendRequest, GraphError> {
    parse_send(body.to_string().as_bytes())
}

pub fn parsed_message(body: Value) -> MessageSend {
    match parse(body) {
        Ok(SendRequest::Message(message)) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// The send the core is given.
pub fn message_of(body: Value) -> WhatsAppSend {
    parsed_message(body).send
}

/// The send's content, read back as JSON.
pub fn content_of(message: &WhatsAppSend) -> Value {
    serde_json::from_str(&message.content).expect("the content is JSON")
}

pub fn error_of(body: Value) -> GraphError {
    match parse(body) {
        Err(error) => error,
        Ok(other) => panic!("expected an error, got {other:?}"),
    }
}

/// A valid message of `type` with `object` as its content.
pub fn send(message_type: &str, object: Value) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "to": "+16505551234",
        "type": message_type,
        message_type: object,
    })
}
