//! The field readers every message kind shares, and the errors they raise in Meta's words.
//! Paths are written as Meta writes them: `interactive['action']['buttons'][0]`.

use serde_json::{Map, Value};

use crate::core::text;
use crate::whatsapp::error::GraphError;

pub(super) fn key(path: &str, name: &str) -> String {
    format!("{path}['{name}']")
}

pub(super) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

pub(super) fn missing(path: &str) -> GraphError {
    GraphError::missing_parameter(format!("The parameter {path} is required."))
}

pub(super) fn wrong_type(path: &str, expected: &str) -> GraphError {
    GraphError::invalid_parameter(format!("Param {path} must be {expected}."))
}

/// The value at `name`, treating JSON `null` as absent.
pub(super) fn present<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|v| !v.is_null())
}

pub(super) fn required<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a Value, GraphError> {
    present(object, name).ok_or_else(|| missing(path))
}

pub(super) fn as_object<'a>(
    value: &'a Value,
    path: &str,
) -> Result<&'a Map<String, Value>, GraphError> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(path, "a JSON object"))
}

pub(super) fn as_array<'a>(value: &'a Value, path: &str) -> Result<&'a Vec<Value>, GraphError> {
    value.as_array().ok_or_else(|| wrong_type(path, "an array"))
}

/// A required string that may be empty (an emoji that removes a reaction, a title whose
/// emptiness is a length error rather than an absence).
pub(super) fn required_text<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a str, GraphError> {
    required(object, name, path)?
        .as_str()
        .ok_or_else(|| wrong_type(path, "a string"))
}

/// A required, non-empty string: Meta reports an empty one as missing.
pub(super) fn required_str<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a str, GraphError> {
    match required_text(object, name, path)? {
        "" => Err(missing(path)),
        text => Ok(text),
    }
}

pub(super) fn optional_str<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<&'a str>, GraphError> {
    present(object, name)
        .map(|v| v.as_str().ok_or_else(|| wrong_type(path, "a string")))
        .transpose()
}

/// Accepts JSON booleans and the strings "true"/"false", which Graph coerces.
pub(super) fn optional_bool(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<(), GraphError> {
    match present(object, name) {
        None | Some(Value::Bool(_)) => Ok(()),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(()),
        Some(_) => Err(wrong_type(path, "a boolean")),
    }
}

/// An enum value. Graph matches enums case-insensitively (its error lists them upper-case), so
/// the value is returned lower-case.
pub(super) fn optional_enum(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
    allowed: &[&str],
) -> Result<Option<String>, GraphError> {
    let Some(value) = present(object, name) else {
        return Ok(None);
    };
    let got = value.as_str().ok_or_else(|| wrong_type(path, "a string"))?;
    let lower = got.to_ascii_lowercase();
    if allowed.contains(&lower.as_str()) {
        return Ok(Some(lower));
    }
    let listed: Vec<String> = allowed.iter().map(|a| a.to_ascii_uppercase()).collect();
    Err(GraphError::invalid_parameter(format!(
        "Param {path} must be one of {{{}}} - got \"{got}\".",
        listed.join(", ")
    )))
}

pub(super) fn required_enum(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
    allowed: &[&str],
) -> Result<String, GraphError> {
    match optional_enum(object, name, path, allowed)? {
        Some(value) => Ok(value),
        None => Err(missing(path)),
    }
}

pub(super) fn check_keys(
    object: &Map<String, Value>,
    allowed: &[&str],
    path: &str,
) -> Result<(), GraphError> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unexpected) => Err(GraphError::invalid_parameter(format!(
            "Unexpected key \"{unexpected}\" on param \"{path}\"."
        ))),
        None => Ok(()),
    }
}

pub(super) fn at_most(text: &str, max: usize, path: &str) -> Result<(), GraphError> {
    if text.chars().count() > max {
        return Err(GraphError::invalid_value(format!(
            "Param {path} must be at most {max} characters long."
        )));
    }
    Ok(())
}

/// Meta's wording for reply-button ids and titles and the list button label:
/// `Button title length invalid. Min length: 1, Max length: 20`.
pub(super) fn length_between(text: &str, max: usize, what: &str) -> Result<(), GraphError> {
    let length = text.chars().count();
    if length == 0 || length > max {
        return Err(GraphError::invalid_value(format!(
            "{what} length invalid. Min length: 1, Max length: {max}"
        )));
    }
    Ok(())
}

/// WhatsApp fetches links itself, so only http and https with a host are usable.
pub(super) fn http_url(url: &str, path: &str) -> Result<(), GraphError> {
    if text::is_http_url(url.trim()) {
        Ok(())
    } else {
        Err(GraphError::invalid_value(format!(
            "Param {path} must be an http or https URL."
        )))
    }
}
