//! `type: contacts` (Meta's contacts-messages page): an array of contact cards, each with a
//! formatted name. The cards' other fields are passed on as sent.

use serde_json::{Map, Value};

use super::Found;
use super::fields::{as_array, as_object, index, key, required, required_str};
use crate::whatsapp::error::GraphError;

pub(super) fn parse<'a>(
    root: &'a Map<String, Value>,
    found: &mut Found,
) -> Result<&'a Value, GraphError> {
    let value = required(root, "contacts", "contacts")?;
    let contacts = as_array(value, "contacts")?;
    if contacts.is_empty() {
        return Err(GraphError::invalid_value(
            "Param contacts must contain at least 1 contact.",
        ));
    }
    for (i, contact) in contacts.iter().enumerate() {
        let path = index("contacts", i);
        let contact = as_object(contact, &path)?;
        let name_path = key(&path, "name");
        let name = as_object(required(contact, "name", &name_path)?, &name_path)?;
        let formatted = required_str(name, "formatted_name", &key(&name_path, "formatted_name"))?;
        found.line(formatted);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::whatsapp::payload::testing::{content_of, error_of, message_of, send};

    #[test]
    fn contacts_are_accepted_with_formatted_names() {
        let message = message_of(send(
            "contacts",
            json!([{"name": {"formatted_name": "Ada Lovelace", "first_name": "Ada"}, "phones": [{"phone": "+1 555"}]},
                   {"name": {"formatted_name": "Alan Turing"}}]),
        ));
        assert_eq!(message.summary, "Ada Lovelace\nAlan Turing");
        assert!(content_of(&message).is_array());
        assert_eq!(error_of(send("contacts", json!([]))).code, 131009);
        assert_eq!(error_of(send("contacts", json!({"name": {}}))).code, 100);
        let error = error_of(send("contacts", json!([{"name": {}}])));
        assert_eq!(
            error.details,
            "The parameter contacts[0]['name']['formatted_name'] is required."
        );
    }
}
