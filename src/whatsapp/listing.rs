//! Graph's list envelope and its query parameters, for every edge that lists (templates, phone
//! numbers, blocked users, QR codes): `{"data": […], "paging": {"cursors": {"before",
//! "after"}, "next"?, "previous"?}}`, paged with `limit`, `after` and `before`, and `fields`
//! choosing which fields each object carries (Graph's "Using the Graph API" and "Paginated
//! results" pages: cursors are opaque strings; `next`/`previous` appear only when there is such
//! a page).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::error::GraphError;
use super::query_param;

/// Graph's page size when the request names none.
const DEFAULT_LIMIT: usize = 25;

/// The page of `items` the query asks for, in Graph's envelope. `path` is the request's path,
/// for the `next`/`previous` links.
pub fn page(items: Vec<Value>, query: Option<&str>, path: &str) -> Result<Value, GraphError> {
    let limit = match query_param(query, "limit") {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                GraphError::parameter_sentence(format!(
                    "(#100) Param limit must be a positive integer - got \"{text}\"."
                ))
            })?,
    };
    let (start, end) = match (
        query_param(query, "after").map(|c| decode_cursor(&c)),
        query_param(query, "before").map(|c| decode_cursor(&c)),
    ) {
        (Some(after), _) => {
            let start = after? + 1;
            (start, start + limit)
        }
        (None, Some(before)) => {
            let end = before?;
            (end.saturating_sub(limit), end)
        }
        (None, None) => (0, limit),
    };
    let end = end.min(items.len());
    let start = start.min(end);
    let total = items.len();
    let fields = query_param(query, "fields");
    let data: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(end - start)
        .map(|item| select_fields(item, fields.as_deref()))
        .collect();
    let mut paging = Map::new();
    if !data.is_empty() {
        paging.insert(
            "cursors".into(),
            json!({ "before": cursor(start), "after": cursor(end - 1) }),
        );
    }
    if end < total {
        paging.insert(
            "next".into(),
            json!(format!("{path}?limit={limit}&after={}", cursor(end - 1))),
        );
    }
    if start > 0 {
        paging.insert(
            "previous".into(),
            json!(format!("{path}?limit={limit}&before={}", cursor(start))),
        );
    }
    let mut envelope = Map::new();
    envelope.insert("data".into(), Value::Array(data));
    if !paging.is_empty() {
        envelope.insert("paging".into(), Value::Object(paging));
    }
    Ok(Value::Object(envelope))
}

/// The object with only the `fields` asked for (comma-separated, as Graph takes them) and its
/// `id`, which Graph always returns; all of it when none are asked for.
pub fn select_fields(item: Value, fields: Option<&str>) -> Value {
    let (Some(fields), Value::Object(object)) = (fields, &item) else {
        return item;
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    Value::Object(
        object
            .iter()
            .filter(|(key, _)| key.as_str() == "id" || wanted.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    )
}

fn cursor(index: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("mockingbird:{index}"))
}

fn decode_cursor(cursor: &str) -> Result<usize, GraphError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("mockingbird:")?.parse().ok())
        .ok_or_else(|| GraphError::invalid_parameter(format!("Invalid cursor: {cursor}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(count: usize) -> Vec<Value> {
        (0..count)
            .map(|i| json!({ "id": i.to_string(), "name": format!("n{i}"), "extra": i }))
            .collect()
    }

    #[test]
    fn pages_follow_their_cursors_both_ways() {
        let first = page(numbered(5), Some("limit=2"), "/v25.0/1/x").expect("page");
        assert_eq!(first["data"].as_array().unwrap().len(), 2);
        assert!(first["paging"].get("previous").is_none());
        let after = first["paging"]["cursors"]["after"].as_str().unwrap();
        let second = page(numbered(5), Some(&format!("limit=2&after={after}")), "/x").unwrap();
        assert_eq!(second["data"][0]["id"], "2");
        let before = second["paging"]["cursors"]["before"].as_str().unwrap();
        let back = page(numbered(5), Some(&format!("limit=2&before={before}")), "/x").unwrap();
        assert_eq!(back["data"], first["data"]);
        let last = page(numbered(5), Some("limit=10"), "/x").unwrap();
        assert!(last["paging"].get("next").is_none());
    }

    #[test]
    fn fields_keep_the_id_and_bad_paging_is_100() {
        let page = page(numbered(1), Some("fields=name"), "/x").unwrap();
        assert_eq!(page["data"][0], json!({ "id": "0", "name": "n0" }));
        for query in ["limit=0", "limit=x", "after=bogus"] {
            assert_eq!(
                super::page(numbered(1), Some(query), "/x")
                    .expect_err(query)
                    .code,
                100
            );
        }
        assert_eq!(
            super::page(Vec::new(), None, "/x").unwrap(),
            json!({ "data": [] })
        );
    }
}
