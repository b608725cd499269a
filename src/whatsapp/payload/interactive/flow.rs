//! Flow messages (Meta's flow-messages page): a button that opens a WhatsApp Flow, named by
//! id or by name.

use serde_json::{Map, Value};

use crate::whatsapp::error::GraphError;
use crate::whatsapp::payload::Found;
use crate::whatsapp::payload::fields::{
    as_object, key, missing, optional_enum, optional_str, present, required, required_enum,
    required_str, required_text, wrong_type,
};

const FLOW_CTA_MAX: usize = 30;

/// `action: {name: "flow", parameters: {flow_message_version: "3", flow_id | flow_name,
/// flow_cta (≤30), flow_token?, mode?, flow_action?, flow_action_payload?}}` (reference §2.2;
/// Meta's flow-message page: a `navigate` action needs a payload naming the first screen).
pub(super) fn action(action: &Map<String, Value>, found: &mut Found) -> Result<(), GraphError> {
    required_enum(action, "name", "interactive['action']['name']", &["flow"])?;
    let path = "interactive['action']['parameters']";
    let parameters = as_object(required(action, "parameters", path)?, path)?;

    let version_path = key(path, "flow_message_version");
    let version = match required(parameters, "flow_message_version", &version_path)? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(wrong_type(&version_path, "a string")),
    };
    if version != "3" {
        return Err(GraphError::invalid_value(format!(
            "Param {version_path} must be \"3\" - got \"{version}\"."
        )));
    }

    let flow_id = match present(parameters, "flow_id") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(wrong_type(&key(path, "flow_id"), "a non-empty string")),
    };
    let flow_name = optional_str(parameters, "flow_name", &key(path, "flow_name"))?;
    match (flow_id, flow_name) {
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid_parameter(format!(
                "Param {path} must have either flow_id or flow_name, not both."
            )));
        }
        (None, None) => {
            return Err(GraphError::missing_parameter(format!(
                "The parameter {} or {} is required.",
                key(path, "flow_id"),
                key(path, "flow_name")
            )));
        }
        _ => {}
    }

    let cta = required_text(parameters, "flow_cta", &key(path, "flow_cta"))?;
    if cta.is_empty() || cta.chars().count() > FLOW_CTA_MAX {
        return Err(GraphError::invalid_value(format!(
            "Param {} must be 1 to {FLOW_CTA_MAX} characters long.",
            key(path, "flow_cta")
        )));
    }
    optional_str(parameters, "flow_token", &key(path, "flow_token"))?;
    optional_enum(
        parameters,
        "mode",
        &key(path, "mode"),
        &["draft", "published"],
    )?;
    let flow_action = optional_enum(
        parameters,
        "flow_action",
        &key(path, "flow_action"),
        &["navigate", "data_exchange"],
    )?;
    let payload_path = key(path, "flow_action_payload");
    match present(parameters, "flow_action_payload") {
        Some(payload) => {
            let payload = as_object(payload, &payload_path)?;
            if flow_action.as_deref() == Some("navigate") {
                required_str(payload, "screen", &key(&payload_path, "screen"))?;
            }
        }
        None if flow_action.as_deref() == Some("navigate") => {
            return Err(missing(&key(&payload_path, "screen")));
        }
        None => {}
    }
    found.line(cta);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::whatsapp::payload::testing::{content_of, error_of, message_of, send};

    #[test]
    fn flow_is_accepted_and_checked() {
        let flow = |parameters: Value| {
            send(
                "interactive",
                json!({"type": "flow", "body": {"text": "Sign up"},
                       "action": {"name": "flow", "parameters": parameters}}),
            )
        };
        let message = message_of(flow(json!({
            "flow_message_version": "3", "flow_id": "1234", "flow_cta": "Start",
            "flow_action": "navigate", "flow_action_payload": {"screen": "WELCOME"}
        })));
        assert_eq!(content_of(&message)["type"], "flow");
        assert_eq!(message.summary, "Sign up\nStart");
        let error = error_of(flow(
            json!({"flow_message_version": "3", "flow_cta": "Start"}),
        ));
        assert_eq!(error.code, 131008);
        assert_eq!(
            error_of(flow(
                json!({"flow_message_version": "2", "flow_name": "x", "flow_cta": "Go"})
            ))
            .code,
            131009
        );
        assert_eq!(
            error_of(flow(
                json!({"flow_message_version": "3", "flow_name": "x", "flow_cta": "c".repeat(31)})
            ))
            .code,
            131009
        );
        assert_eq!(error_of(flow(json!({"flow_message_version": "3", "flow_name": "x", "flow_cta": "Go", "flow_action": "navigate"}))).code, 131008);
        assert_eq!(error_of(flow(json!({"flow_message_version": "3", "flow_name": "x", "flow_cta": "Go", "mode": "live"}))).code, 100);
    }
}
