//! `type: location` (Meta's location-messages page): a point, and optionally its name and
//! address.

use serde_json::{Map, Value};

use super::Found;
use super::fields::{as_object, check_keys, key, optional_str, required, wrong_type};
use crate::whatsapp::error::GraphError;

pub(super) fn parse<'a>(
    root: &'a Map<String, Value>,
    found: &mut Found,
) -> Result<&'a Value, GraphError> {
    let value = required(root, "location", "location")?;
    let location = as_object(value, "location")?;
    check_keys(
        location,
        &["latitude", "longitude", "name", "address"],
        "location",
    )?;
    coordinate(location, "latitude", 90.0)?;
    coordinate(location, "longitude", 180.0)?;
    for field in ["name", "address"] {
        if let Some(text) = optional_str(location, field, &key("location", field))? {
            found.line(text);
        }
    }
    Ok(value)
}

/// A latitude or longitude: a number (or a numeric string, which Graph coerces) within ±`limit`.
fn coordinate(location: &Map<String, Value>, field: &str, limit: f64) -> Result<(), GraphError> {
    let path = key("location", field);
    let number = match required(location, field, &path)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite())
    .ok_or_else(|| wrong_type(&path, "a number"))?;
    if !(-limit..=limit).contains(&number) {
        return Err(GraphError::invalid_value(format!(
            "Param {path} must be between -{limit} and {limit}."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::whatsapp::payload::testing::{error_of, message_of, send};

    #[test]
    fn location_is_accepted_within_range() {
        let message = message_of(send(
            "location",
            json!({"latitude": 37.48, "longitude": "-122.14", "name": "HQ", "address": "1 Hacker Way"}),
        ));
        assert_eq!(message.summary, "HQ\n1 Hacker Way");
        let off_earth = error_of(send("location", json!({"latitude": 91, "longitude": 0})));
        assert_eq!(
            (off_earth.code, off_earth.details.as_str()),
            (
                131009,
                "Param location['latitude'] must be between -90 and 90."
            )
        );
        assert_eq!(
            error_of(send("location", json!({"latitude": 0}))).code,
            131008
        );
        assert_eq!(
            error_of(send("location", json!({"latitude": true, "longitude": 0}))).code,
            100
        );
    }
}
