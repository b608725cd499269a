//! `type: template` (Meta's template-messages page): a registered template by name and
//! language, and the components' parameters that fill it. Whether the template exists and how
//! many body parameters it takes is the core's to judge (132001, 132000).

use serde_json::{Map, Value};

use super::Found;
use super::fields::{
    as_array, as_object, check_keys, index, key, present, required, required_enum, required_str,
};
use super::media::{self, MediaRef};
use crate::core::whatsapp::TemplateUse;
use crate::whatsapp::error::GraphError;

const TEMPLATE_COMPONENT_TYPES: &[&str] = &[
    "body",
    "button",
    "carousel",
    "footer",
    "header",
    "limited_time_offer",
];

/// `template: {name, language: {code}, components?: [{type, sub_type?, index?, parameters?}]}`.
pub(super) fn parse<'a>(
    root: &'a Map<String, Value>,
    found: &mut Found,
) -> Result<&'a Value, GraphError> {
    let value = required(root, "template", "template")?;
    let template = as_object(value, "template")?;
    // Meta answers a stray key here with `Unexpected key "parameters" on param "template"`.
    check_keys(
        template,
        &["name", "language", "components", "namespace"],
        "template",
    )?;
    let name = required_str(template, "name", "template['name']")?;
    let language_path = "template['language']";
    let language = as_object(
        required(template, "language", language_path)?,
        language_path,
    )?;
    check_keys(language, &["code", "policy"], language_path)?;
    let code = required_str(language, "code", "template['language']['code']")?;
    found.line(name);

    let mut body_parameters: u32 = 0;
    if let Some(components) = present(template, "components") {
        let components = as_array(components, "template['components']")?;
        for (i, component) in components.iter().enumerate() {
            let path = index("template['components']", i);
            let component = as_object(component, &path)?;
            let component_type = required_enum(
                component,
                "type",
                &key(&path, "type"),
                TEMPLATE_COMPONENT_TYPES,
            )?;
            if component_type == "button" {
                // The spec requires both for a button component: which button, and what kind.
                required(component, "sub_type", &key(&path, "sub_type"))?;
                required(component, "index", &key(&path, "index"))?;
            }
            let Some(parameters) = present(component, "parameters") else {
                continue;
            };
            let parameters_path = key(&path, "parameters");
            let parameters = as_array(parameters, &parameters_path)?;
            if component_type == "body" {
                let count = u32::try_from(parameters.len()).unwrap_or(u32::MAX);
                body_parameters = body_parameters.saturating_add(count);
            }
            for (j, parameter) in parameters.iter().enumerate() {
                template_parameter(
                    parameter,
                    &index(&parameters_path, j),
                    component_type == "header",
                    found,
                )?;
            }
        }
    }
    found.template = Some(TemplateUse {
        name: name.to_owned(),
        language: code.to_owned(),
        body_parameters,
    });
    Ok(value)
}

fn template_parameter(
    value: &Value,
    path: &str,
    in_header: bool,
    found: &mut Found,
) -> Result<(), GraphError> {
    let parameter = as_object(value, path)?;
    let parameter_type = required_str(parameter, "type", &key(path, "type"))?.to_ascii_lowercase();
    match parameter_type.as_str() {
        "text" => match present(parameter, "text") {
            Some(Value::String(text)) => found.line(text),
            // Meta's own answer, code 100 rather than 131008 (frappe_whatsapp #43).
            _ => {
                return Err(GraphError::invalid_parameter(
                    "Parameter 'text' is mandatory for component parameter type 'text'",
                ));
            }
        },
        "image" | "video" | "document" => {
            let media_path = key(path, &parameter_type);
            let media_value = required(parameter, &parameter_type, &media_path)?;
            let media = template_media(media_value, &media_path)?;
            if in_header {
                found.media(media);
            }
        }
        _ => {}
    }
    Ok(())
}

/// A template parameter's media: one of `id`/`link`. Extra keys (`filename`, `caption`) are
/// tolerated here because SDKs send them and templates render their own text.
fn template_media(value: &Value, path: &str) -> Result<MediaRef, GraphError> {
    media::source(as_object(value, path)?, path)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::whatsapp::payload::testing::{error_of, message_of, send};

    #[test]
    fn templates_count_body_parameters() {
        let message = message_of(send(
            "template",
            json!({
                "name": "payment_due",
                "language": {"code": "en_US"},
                "components": [
                    {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x.y/h.png"}}]},
                    {"type": "body", "parameters": [
                        {"type": "text", "text": "Ada"},
                        {"type": "currency", "currency": {"fallback_value": "$10", "code": "USD", "amount_1000": 10000}},
                        {"type": "text", "text": "Friday"}]},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "inv-9"}]}
                ]
            }),
        ));
        let template = message.template.expect("template");
        assert_eq!(template.name, "payment_due");
        assert_eq!(template.language, "en_US");
        assert_eq!(template.body_parameters, 3);
        // The header's image is a link: nothing for the core to find.
        assert_eq!(message.media, None);
        assert_eq!(message.summary, "payment_due\nAda\nFriday\ninv-9");

        let bare = message_of(send(
            "template",
            json!({"name": "hello_world", "language": {"code": "en_US"}}),
        ));
        assert_eq!(bare.template.map(|t| t.body_parameters), Some(0));
    }

    #[test]
    fn template_errors() {
        assert_eq!(
            error_of(send("template", json!({"language": {"code": "en"}}))).code,
            131008
        );
        let error = error_of(send("template", json!({"name": "x", "language": {}})));
        assert_eq!(
            error.details,
            "The parameter template['language']['code'] is required."
        );
        let error = error_of(send(
            "template",
            json!({"name": "x", "language": {"code": "en"}, "components": [{"type": "body", "parameters": [{"type": "text", "text": null}]}]}),
        ));
        assert_eq!(error.code, 100);
        assert_eq!(
            error.details,
            "Parameter 'text' is mandatory for component parameter type 'text'"
        );
        let error = error_of(send(
            "template",
            json!({"name": "x", "language": {"code": "en"}, "components": [{"type": "button", "parameters": []}]}),
        ));
        assert_eq!(error.code, 131008);
        assert_eq!(error_of(send("template", json!({"name": "x", "language": {"code": "en"}, "components": [{"type": "sidebar"}]}))).code, 100);
    }
}
