//! `{"status":"read","message_id":…}` (Meta's mark-messages-as-read page): the same endpoint
//! marks an inbound message read, optionally showing a typing indicator.

use serde_json::{Map, Value};

use super::SendRequest;
use super::fields::{as_object, check_keys, present, required_enum, required_str};
use crate::whatsapp::error::GraphError;

pub(super) fn parse(root: &Map<String, Value>) -> Result<SendRequest, GraphError> {
    required_enum(root, "status", "status", &["read"])?;
    let message_id = required_str(root, "message_id", "message_id")?.to_owned();
    let typing_indicator = match present(root, "typing_indicator") {
        None => false,
        Some(value) => {
            let indicator = as_object(value, "typing_indicator")?;
            check_keys(indicator, &["type"], "typing_indicator")?;
            required_enum(indicator, "type", "typing_indicator['type']", &["text"])?;
            true
        }
    };
    Ok(SendRequest::MarkRead {
        message_id,
        typing_indicator,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::whatsapp::payload::SendRequest;
    use crate::whatsapp::payload::testing::{error_of, parse};

    /// The message id and whether a typing indicator was asked for.
    fn mark_read_of(body: Value) -> (String, bool) {
        match parse(body) {
            Ok(SendRequest::MarkRead {
                message_id,
                typing_indicator,
            }) => (message_id, typing_indicator),
            other => panic!("expected a mark-as-read, got {other:?}"),
        }
    }

    #[test]
    fn mark_as_read_with_and_without_typing() {
        let read = mark_read_of(
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in"}),
        );
        assert_eq!(read, ("wamid.in".to_owned(), false));
        let typing = mark_read_of(json!({
            "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in",
            "typing_indicator": {"type": "text"}
        }));
        assert_eq!(typing, ("wamid.in".to_owned(), true));

        let error = error_of(
            json!({"messaging_product": "whatsapp", "status": "delivered", "message_id": "wamid.in"}),
        );
        assert_eq!(error.code, 100);
        let error = error_of(json!({"messaging_product": "whatsapp", "status": "read"}));
        assert_eq!(
            (error.code, error.details.as_str()),
            (131008, "The parameter message_id is required.")
        );
        let error = error_of(
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": "m", "typing_indicator": {"type": "audio"}}),
        );
        assert_eq!(error.code, 100);
    }
}
