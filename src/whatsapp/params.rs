//! A Graph POST's parameters, read the way the Graph API reads them, once for every handler.
//!
//! Graph is older than its JSON bodies: it takes `application/x-www-form-urlencoded` and
//! `multipart/form-data` as well as JSON, and a parameter whose value is an object or an array
//! may arrive as that JSON's text — form bodies can carry nothing else, and widely used clients
//! send JSON bodies so too (the Node library `whatsapp-api-js`'s issue threads show
//! `"contacts": "[{…}]"`; Meta's own curl samples post `-F 'template={"name":…}'`). The text is
//! decoded where it stands, so `{"template": "{\"name\":\"hello_world\"}"}` is the same request
//! as `{"template": {"name": "hello_world"}}`.
//!
//! Only top-level values are decoded: a string nested inside an object (a text body that looks
//! like JSON) is the app's text, not an encoding.

use axum::extract::multipart::Multipart;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::{Map, Value};

use super::error::GraphError;

/// The largest non-media Graph body read: far above any send (a 4096-character text and a
/// template's components are a few KB).
const MAX_BODY: usize = 2 * 1024 * 1024;

/// A Graph POST body as one JSON object, whatever its encoding.
#[derive(Debug, Clone, Default)]
pub struct GraphParams(pub Map<String, Value>);

impl GraphParams {
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    /// A text parameter the edge cannot do without: `(#100) The parameter name is required.`,
    /// Graph's sentence for a missing parameter outside `/messages`.
    pub fn required_text(&self, name: &str) -> Result<String, GraphError> {
        self.optional_text(name)?.ok_or_else(|| {
            GraphError::parameter_sentence(format!("The parameter {name} is required."))
        })
    }

    /// A text parameter, if given (an empty one is not given); another JSON type is 100.
    pub fn optional_text(&self, name: &str) -> Result<Option<String>, GraphError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(_) => Err(GraphError::parameter_sentence(format!(
                "Param {name} must be a string."
            ))),
        }
    }

    /// `messaging_product`, which every WhatsApp write requires and which must be `whatsapp`.
    pub fn require_whatsapp(&self) -> Result<(), GraphError> {
        match self.required_text("messaging_product")?.as_str() {
            "whatsapp" => Ok(()),
            other => Err(GraphError::parameter_sentence(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\"."
            ))),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for GraphParams {
    type Rejection = GraphError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let multipart = Multipart::from_request(request, state)
                .await
                .map_err(|rejection| {
                    GraphError::invalid_parameter(format!(
                        "The multipart/form-data body could not be read: {}",
                        rejection.body_text()
                    ))
                })?;
            return read_multipart(multipart).await.map(GraphParams);
        }
        let body = axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map_err(|_| GraphError::invalid_parameter("The request body is too large."))?;
        if content_type.starts_with("application/x-www-form-urlencoded") {
            Ok(GraphParams(from_form(&body)))
        } else if content_type.is_empty() && body.iter().all(u8::is_ascii_whitespace) {
            // A POST with no body at all (`…/deregister`) has no parameters.
            Ok(GraphParams::default())
        } else {
            from_json(&body).map(GraphParams)
        }
    }
}

/// A JSON body: an object, whose values' JSON text is decoded.
pub fn from_json(body: &[u8]) -> Result<Map<String, Value>, GraphError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        GraphError::invalid_parameter(format!("The request body is not valid JSON: {e}."))
    })?;
    let Value::Object(mut params) = value else {
        return Err(GraphError::invalid_parameter(
            "The request body must be a JSON object.",
        ));
    };
    for value in params.values_mut() {
        decode_json_text(value);
    }
    Ok(params)
}

/// A form body: every value is text, decoded as a form value would be.
pub fn from_form(body: &[u8]) -> Map<String, Value> {
    form_urlencoded::parse(body)
        .map(|(key, value)| (key.into_owned(), form_value(value.into_owned())))
        .collect()
}

async fn read_multipart(mut multipart: Multipart) -> Result<Map<String, Value>, GraphError> {
    let mut params = Map::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        GraphError::invalid_parameter(format!(
            "The multipart/form-data body could not be read: {}",
            e.body_text()
        ))
    })? {
        let name = field.name().unwrap_or("").to_owned();
        let text = field.text().await.map_err(|e| {
            GraphError::invalid_parameter(format!(
                "The multipart/form-data field {name:?} could not be read: {}",
                e.body_text()
            ))
        })?;
        params.insert(name, form_value(text));
    }
    Ok(params)
}

/// A form field's text as the JSON value Graph reads it as: an object or array when it is one's
/// JSON text, a boolean for `true`/`false` (the only way a form says `preview_url=true`), text
/// otherwise — numbers stay text, since a PIN or a phone number is text to Graph.
fn form_value(text: String) -> Value {
    let mut value = match text.as_str() {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => Value::String(text),
    };
    decode_json_text(&mut value);
    value
}

/// Replaces a string holding an object's or an array's JSON text with that object or array.
fn decode_json_text(value: &mut Value) {
    let Value::String(text) = value else {
        return;
    };
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return;
    }
    if let Ok(decoded @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str(text) {
        *value = decoded;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_text_of_an_object_or_array_is_decoded_at_the_top_level_only() {
        let params = from_json(
            json!({
                "template": "{\"name\":\"hello_world\",\"language\":{\"code\":\"en_US\"}}",
                "contacts": "[{\"name\":{\"formatted_name\":\"A\"}}]",
                "text": {"body": "{\"not\":\"decoded\"}"},
                "to": "16505551234",
                "biz_opaque_callback_data": "{broken",
            })
            .to_string()
            .as_bytes(),
        )
        .expect("an object");
        assert_eq!(params["template"]["language"]["code"], "en_US");
        assert_eq!(params["contacts"][0]["name"]["formatted_name"], "A");
        assert_eq!(params["text"]["body"], "{\"not\":\"decoded\"}");
        assert_eq!(params["to"], "16505551234");
        assert_eq!(params["biz_opaque_callback_data"], "{broken");
    }

    #[test]
    fn form_values_are_text_booleans_or_decoded_json() {
        let params = from_form(
            b"messaging_product=whatsapp&to=16505551234&preview_url=true&pin=012345\
              &text=%7B%22body%22%3A%22hi%22%7D",
        );
        assert_eq!(params["messaging_product"], "whatsapp");
        assert_eq!(params["to"], "16505551234");
        assert_eq!(params["pin"], "012345");
        assert_eq!(params["preview_url"], true);
        assert_eq!(params["text"]["body"], "hi");
    }

    #[test]
    fn a_json_body_that_is_not_an_object_is_100() {
        for body in [&b"{not json"[..], b"", b"[1,2]", b"\"text\""] {
            assert_eq!(from_json(body).expect_err("refused").code, 100);
        }
    }
}
