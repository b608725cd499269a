//! Media messages (`image`, `audio`, `video`, `document`, `sticker`; Meta's media-messages
//! page), and the media objects interactive headers and template parameters carry.

use serde_json::{Map, Value};

use super::Found;
use super::fields::{as_object, at_most, check_keys, http_url, key, optional_str, required};
use crate::core::whatsapp::MediaUse;
use crate::whatsapp::error::GraphError;

const CAPTION_MAX: usize = 1024;

/// Media is sent either as an uploaded media id or as a public http(s) link.
pub(super) enum MediaRef {
    /// The id, and where it sits in Graph's notation (`image['id']`,
    /// `template['components'][0]['parameters'][0]['image']['id']`) for the core's refusal.
    Id(MediaUse),
    /// WhatsApp fetches a link itself, so nothing about it is the core's to check.
    Link,
}

impl MediaRef {
    /// The uploaded media the core must find, if the message sends one.
    pub(super) fn into_upload(self) -> Option<MediaUse> {
        match self {
            MediaRef::Id(media) => Some(media),
            MediaRef::Link => None,
        }
    }
}

/// A media message: its `{kind}` object is the message.
pub(super) fn parse<'a>(
    root: &'a Map<String, Value>,
    kind: &str,
    found: &mut Found,
) -> Result<&'a Value, GraphError> {
    let value = required(root, kind, kind)?;
    let media = object(value, kind, kind, found)?;
    found.media(media);
    Ok(value)
}

/// A media object (`image`, a header's `document`, a template parameter's `video`, …): exactly
/// one of `id` and `link`; `caption` only for image, video and document messages; `filename`
/// only for documents. `kind` says which media it is, `path` where it sits.
pub(super) fn object(
    value: &Value,
    kind: &str,
    path: &str,
    found: &mut Found,
) -> Result<MediaRef, GraphError> {
    let object = as_object(value, path)?;
    // A caption belongs to the message, so headers (whose path differs from the kind) have none.
    let top_level = path == kind;
    let mut allowed = vec!["id", "link", "provider"];
    if top_level && matches!(kind, "image" | "video" | "document") {
        allowed.push("caption");
    }
    if kind == "document" {
        allowed.push("filename");
    }
    if kind == "audio" {
        allowed.push("voice");
    }
    check_keys(object, &allowed, path)?;

    let media = source(object, path)?;
    if let Some(caption) = optional_str(object, "caption", &key(path, "caption"))? {
        at_most(caption, CAPTION_MAX, &key(path, "caption"))?;
        found.line(caption);
    }
    if let Some(filename) = optional_str(object, "filename", &key(path, "filename"))? {
        found.line(filename);
    }
    Ok(media)
}

/// Media is sent by an uploaded `id` or a public http(s) `link`: exactly one of them.
pub(super) fn source(object: &Map<String, Value>, path: &str) -> Result<MediaRef, GraphError> {
    let id = optional_str(object, "id", &key(path, "id"))?;
    let link = optional_str(object, "link", &key(path, "link"))?;
    match (id, link) {
        (Some(_), Some(_)) => Err(GraphError::invalid_parameter(format!(
            "Param {path} must have either id or link, not both."
        ))),
        (Some(id), None) => Ok(MediaRef::Id(MediaUse {
            id: id.to_owned(),
            path: key(path, "id"),
        })),
        (None, Some(link)) => {
            http_url(link, &key(path, "link"))?;
            Ok(MediaRef::Link)
        }
        (None, None) => Err(GraphError::missing_parameter(format!(
            "The parameter {} or {} is required.",
            key(path, "id"),
            key(path, "link")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::whatsapp::payload::testing::{content_of, error_of, message_of, send};

    fn uploaded(id: &str, path: &str) -> Option<MediaUse> {
        Some(MediaUse {
            id: id.into(),
            path: path.into(),
        })
    }

    #[test]
    fn media_types_are_accepted() {
        let image = message_of(send("image", json!({"id": "1234", "caption": "A cat"})));
        assert_eq!(image.media, uploaded("1234", "image['id']"));
        assert_eq!(image.summary, "A cat");

        let document = message_of(send(
            "document",
            json!({"link": "https://example.com/a.pdf", "caption": "Invoice", "filename": "a.pdf"}),
        ));
        // A link is WhatsApp's to fetch: there is no upload for the core to find.
        assert_eq!(document.media, None);
        assert_eq!(content_of(&document)["link"], "https://example.com/a.pdf");
        assert_eq!(document.summary, "Invoice\na.pdf");

        for kind in ["audio", "video", "sticker"] {
            let message = message_of(send(kind, json!({"link": "http://example.com/x"})));
            assert_eq!(message.message_type, kind);
            assert_eq!(message.media, None);
            let by_id = message_of(send(kind, json!({"id": "7"})));
            assert_eq!(by_id.media, uploaded("7", &format!("{kind}['id']")));
        }
    }

    /// The core refuses an unknown media id by where it sits, in Graph's notation.
    #[test]
    fn id_paths_name_where_the_id_sits() {
        let image = message_of(send("image", json!({"id": "42", "caption": "hi"})));
        assert_eq!(image.media, uploaded("42", "image['id']"));

        let template = message_of(send(
            "template",
            json!({
                "name": "promo",
                "language": {"code": "en_US"},
                "components": [
                    {"type": "header", "parameters": [{"type": "image", "image": {"id": "42"}}]}
                ]
            }),
        ));
        assert_eq!(
            template.media,
            uploaded(
                "42",
                "template['components'][0]['parameters'][0]['image']['id']"
            )
        );

        // A reply's `id` is not media, even when it reads the same.
        let interactive = message_of(send(
            "interactive",
            json!({
                "type": "button",
                "header": {"type": "document", "document": {"id": "42"}},
                "body": {"text": "?"},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "42", "title": "ok"}}]}
            }),
        ));
        assert_eq!(
            interactive.media,
            uploaded("42", "interactive['header']['document']['id']")
        );
    }

    #[test]
    fn media_needs_exactly_one_source_and_its_own_fields() {
        let error = error_of(send("image", json!({"caption": "x"})));
        assert_eq!(error.code, 131008);
        assert_eq!(
            error.details,
            "The parameter image['id'] or image['link'] is required."
        );
        assert_eq!(
            error_of(send("image", json!({"id": "1", "link": "https://a.b/c"}))).code,
            100
        );
        assert_eq!(
            error_of(send("image", json!({"link": "ftp://a.b/c"}))).code,
            131009
        );
        assert_eq!(
            error_of(send("image", json!({"link": "https://"}))).code,
            131009
        );

        let error = error_of(send("audio", json!({"id": "1", "caption": "no"})));
        assert_eq!(
            (error.code, error.details.as_str()),
            (100, "Unexpected key \"caption\" on param \"audio\".")
        );
        assert_eq!(
            error_of(send("image", json!({"id": "1", "filename": "a.png"}))).code,
            100
        );
        let long_caption = error_of(send(
            "video",
            json!({"id": "1", "caption": "c".repeat(1025)}),
        ));
        assert_eq!(
            (long_caption.code, long_caption.details.as_str()),
            (
                131009,
                "Param video['caption'] must be at most 1024 characters long."
            )
        );
    }
}
