//! A message's Media subresource: <https://www.twilio.com/docs/messaging/api/media-resource>.
//! Each `MediaUrl` of a message is one Media item. Its SID is derived from the message SID and
//! the item's position, so it is the same on every request without being stored. A deleted
//! item leaves the lists; the message's `num_media` still counts what was sent with it.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::TwilioState;
use super::auth::Scope;
use super::error::TwilioError;
use super::messages::not_found_at;
use super::params;
use super::resources::{self, account_uri};
use crate::core::messaging::Message;
use crate::core::time::rfc2822;
use crate::core::{ids, text};

#[derive(Serialize)]
struct MediaResource {
    account_sid: String,
    content_type: &'static str,
    date_created: String,
    date_updated: String,
    parent_sid: String,
    sid: String,
    uri: String,
}

/// The message whose media a request is about, and its media items not deleted.
async fn parent(
    state: &TwilioState,
    scope: &Scope,
) -> Result<(Message, Vec<MediaResource>), TwilioError> {
    let message_sid = scope.param(0);
    if !(ids::is_sid(message_sid, "SM") || ids::is_sid(message_sid, "MM")) {
        return Err(TwilioError::not_found(scope.path()));
    }
    let not_found = |e| not_found_at(e, scope.path());
    let message = state
        .core
        .message(&scope.tenant, message_sid)
        .await
        .map_err(not_found)?;
    let deleted = state
        .core
        .deleted_message_media(&scope.tenant, message_sid)
        .await
        .map_err(not_found)?;
    let items = items(&message, &deleted);
    Ok((message, items))
}

/// The media SID a request's path names (`{MediaSid}.json`).
fn wanted_sid(scope: &Scope) -> &str {
    scope.param(1).strip_suffix(".json").unwrap_or_default()
}

fn media_sid(message_sid: &str, index: usize) -> String {
    let digest = Sha256::digest(format!("{message_sid}/{index}"));
    let hex = ids::encode_hex(&digest[..16]);
    format!("ME{hex}")
}

/// The media items of a message but those at the `deleted` positions.
fn items(message: &Message, deleted: &[usize]) -> Vec<MediaResource> {
    message
        .media_urls
        .iter()
        .enumerate()
        .filter(|(index, _)| !deleted.contains(index))
        .map(|(index, url)| {
            let sid = media_sid(&message.sid, index);
            MediaResource {
                account_sid: message.account_sid.clone(),
                content_type: text::media_type_of_url(url),
                date_created: rfc2822(message.created_at),
                date_updated: rfc2822(message.created_at),
                parent_sid: message.sid.clone(),
                uri: format!(
                    "{}/Messages/{}/Media/{sid}.json",
                    account_uri(&message.account_sid),
                    message.sid
                ),
                sid,
            }
        })
        .collect()
}

/// List a message's media: `GET …/Messages/{Sid}/Media.json`.
pub async fn list(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (_, all) = parent(&state, &scope).await?;
    let uri = &scope.uri;
    let params = params::query(uri)?;
    let paging = resources::paging(&params)?;
    // A message has at most ten media items, held in memory: paged as every short list is.
    Ok(Json(resources::memory_page(
        uri.path(),
        resources::filters(&params),
        "media_list",
        &all,
        &paging,
        |item| &item.sid,
        |item| item,
    ))
    .into_response())
}

/// Fetch one media item: `GET …/Messages/{Sid}/Media/{MediaSid}.json`.
pub async fn fetch(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (_, items) = parent(&state, &scope).await?;
    items
        .into_iter()
        .find(|m| m.sid == wanted_sid(&scope))
        .map(|m| Json(m).into_response())
        .ok_or_else(|| TwilioError::not_found(scope.path()))
}

/// Delete one media item: `DELETE …/Messages/{Sid}/Media/{MediaSid}.json` → 204. Twilio
/// deletes the stored file; here the item leaves the message's media list.
pub async fn delete(
    State(state): State<Arc<TwilioState>>,
    scope: Scope,
) -> Result<Response, TwilioError> {
    let (message, _) = parent(&state, &scope).await?;
    let position = (0..message.media_urls.len())
        .find(|&index| media_sid(&message.sid, index) == wanted_sid(&scope))
        .ok_or_else(|| TwilioError::not_found(scope.path()))?;
    state
        .core
        .delete_message_media(&scope.tenant, &message.sid, position)
        .await
        .map_err(|e| not_found_at(e, scope.path()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_sids_are_stable_and_shaped_like_twilio_sids() {
        let sid = media_sid("MM0123", 0);
        assert_eq!(sid, media_sid("MM0123", 0));
        assert_ne!(sid, media_sid("MM0123", 1));
        assert!(crate::core::ids::is_sid(&sid, "ME"), "{sid}");
        assert_eq!(
            text::media_type_of_url("https://x.test/a.JPG?x=1"),
            "image/jpeg"
        );
        assert_eq!(
            text::media_type_of_url("https://x.test/file"),
            "application/octet-stream"
        );
    }
}
