//! `type: reaction` (Meta's reaction-messages page): an emoji on an earlier message, or an
//! empty one that takes the reaction back.

use serde_json::{Map, Value};

use super::Found;
use super::fields::{as_object, check_keys, required, required_str, required_text};
use crate::whatsapp::error::GraphError;

pub(super) fn parse<'a>(
    root: &'a Map<String, Value>,
    found: &mut Found,
) -> Result<&'a Value, GraphError> {
    let value = required(root, "reaction", "reaction")?;
    let reaction = as_object(value, "reaction")?;
    check_keys(reaction, &["message_id", "emoji"], "reaction")?;
    required_str(reaction, "message_id", "reaction['message_id']")?;
    // An empty emoji removes the reaction, so only its absence is an error.
    let emoji = required_text(reaction, "emoji", "reaction['emoji']")?;
    found.line(emoji);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::whatsapp::payload::testing::{error_of, message_of, send};

    #[test]
    fn reactions_may_remove_with_an_empty_emoji() {
        let message = message_of(send(
            "reaction",
            json!({"message_id": "wamid.x", "emoji": "👍"}),
        ));
        assert_eq!(message.summary, "👍");
        let removal = message_of(send(
            "reaction",
            json!({"message_id": "wamid.x", "emoji": ""}),
        ));
        assert_eq!(removal.summary, "");
        assert_eq!(
            error_of(send("reaction", json!({"emoji": "👍"}))).code,
            131008
        );
    }
}
