//! A tenant's WhatsApp settings and the messages simulated users send (the WhatsApp service).

use tonic::Status;

use crate::core::ids;
use crate::core::tenants::{WhatsAppIdentity, WhatsAppTemplate, WindowPolicy};
use crate::proto;
use crate::providers::meta::user_messages::{self, UserMessage};

pub fn window_policy(value: WindowPolicy) -> proto::WindowPolicy {
    match value {
        WindowPolicy::Reject => proto::WindowPolicy::Reject,
        WindowPolicy::FailLater => proto::WindowPolicy::FailLater,
        WindowPolicy::Off => proto::WindowPolicy::Off,
    }
}

/// A policy an update names; none when it leaves the policy as it is.
pub fn core_window_policy(value: i32) -> Result<Option<WindowPolicy>, Status> {
    use proto::WindowPolicy as P;
    match P::try_from(value) {
        Ok(P::Unspecified) => Ok(None),
        Ok(P::Reject) => Ok(Some(WindowPolicy::Reject)),
        Ok(P::FailLater) => Ok(Some(WindowPolicy::FailLater)),
        Ok(P::Off) => Ok(Some(WindowPolicy::Off)),
        Err(_) => Err(Status::invalid_argument(format!(
            "window: unknown policy {value}"
        ))),
    }
}

pub fn whatsapp_template(t: &WhatsAppTemplate) -> proto::WhatsAppTemplate {
    proto::WhatsAppTemplate {
        name: t.name.clone(),
        language: t.language.clone(),
        category: t.category.clone(),
        body_parameters: t.body_parameters,
    }
}

/// A template as a test wrote it; the core normalizes and checks the registry as a whole.
pub fn core_whatsapp_template(t: proto::WhatsAppTemplate) -> WhatsAppTemplate {
    WhatsAppTemplate::new(&t.name, &t.language, &t.category, t.body_parameters)
}

pub(super) fn whatsapp_identity(wa: &WhatsAppIdentity) -> proto::WhatsAppIdentity {
    proto::WhatsAppIdentity {
        phone_number_id: wa.phone_number_id.clone(),
        business_account_id: wa.business_account_id.clone(),
        access_token: wa.access_token.clone(),
        app_secret: wa.app_secret.clone(),
        verify_token: wa.verify_token.clone(),
        display_phone_number: wa.display_phone_number.clone(),
    }
}

pub fn whatsapp_settings(account_sid: &str, wa: &WhatsAppIdentity) -> proto::WhatsAppSettings {
    proto::WhatsAppSettings {
        account_sid: account_sid.to_owned(),
        identity: Some(whatsapp_identity(wa)),
        webhook_url: wa.webhook_url.clone().unwrap_or_default(),
        window: window_policy(wa.window) as i32,
        allow_list: Some(proto::AllowList {
            enabled: wa.allowed_recipients.is_some(),
            numbers: wa.allowed_recipients.clone().unwrap_or_default(),
        }),
        templates: wa.templates.iter().map(whatsapp_template).collect(),
    }
}

/// A simulated user's message as Meta's webhook writes it, checked.
pub fn user_message(
    message: Option<proto::send_whats_app_inbound_request::Message>,
) -> Result<UserMessage, Status> {
    use proto::send_whats_app_inbound_request::Message as M;
    let or = |value: String, fallback: &str| {
        if value.is_empty() {
            fallback.to_owned()
        } else {
            value
        }
    };
    let message = message.ok_or_else(|| {
        Status::invalid_argument(
            "message is required: text, button, button_reply, list_reply, flow_reply, location, media, reaction or raw",
        )
    })?;
    Ok(match message {
        M::Text(text) => {
            required(&text.body, "text.body")?;
            user_messages::text(&text.body)
        }
        M::Button(quick) => {
            required(&quick.payload, "button.payload")?;
            let text = or(quick.text, &quick.payload);
            user_messages::button(&quick.payload, &text)
        }
        M::ButtonReply(reply) => {
            required(&reply.id, "button_reply.id")?;
            let title = or(reply.title, &reply.id);
            user_messages::button_reply(&reply.id, &title)
        }
        M::ListReply(reply) => {
            required(&reply.id, "list_reply.id")?;
            let title = or(reply.title, &reply.id);
            user_messages::list_reply(&reply.id, &title, Some(&reply.description))
        }
        M::FlowReply(flow) => {
            let answers = or(flow.response_json, r#"{"flow_token":"mockingbird"}"#);
            json_object(&answers, "flow_reply.response_json")?;
            user_messages::nfm_reply(&answers, &or(flow.body, "Sent"))
        }
        M::Location(place) => {
            if !crate::core::messaging::users::is_place(place.latitude, place.longitude) {
                return Err(Status::invalid_argument(format!(
                    "location: ({}, {}) is not a place: latitude is -90..90, longitude -180..180",
                    place.latitude, place.longitude
                )));
            }
            user_messages::location(
                place.latitude,
                place.longitude,
                Some(&place.name),
                Some(&place.address),
            )
        }
        M::Media(media) => {
            let usual_type = match media.kind.as_str() {
                "image" => "image/jpeg",
                "video" => "video/mp4",
                "document" => "application/pdf",
                // What a voice note is; `voice` follows from it.
                "audio" => "audio/ogg; codecs=opus",
                "sticker" => "image/webp",
                other => {
                    return Err(Status::invalid_argument(format!(
                        "media.kind {other:?} is not image, video, document, audio or sticker"
                    )));
                }
            };
            // Meta's media ids are long decimal numbers.
            let id = or(media.media_id, &ids::digits(16));
            user_messages::media(
                &media.kind,
                &id,
                &or(media.mime_type, usual_type),
                Some(&media.caption),
                Some(&media.filename),
            )
        }
        M::Reaction(reaction) => {
            required(&reaction.message_id, "reaction.message_id")?;
            user_messages::reaction(&reaction.message_id, &reaction.emoji)
        }
        M::Raw(raw) => {
            required(&raw.r#type, "raw.type")?;
            user_messages::shaped(&raw.r#type, raw_content(&raw.r#type, &raw.json)?)
        }
    })
}

/// A raw message's content: the object under its type, or the array Meta sends for `contacts`
/// (a shared contact card is `"contacts": [{"name": …, "phones": […]}]`).
fn raw_content(message_type: &str, text: &str) -> Result<serde_json::Value, Status> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(cards @ serde_json::Value::Array(_)) if message_type == "contacts" => Ok(cards),
        _ => json_object(text, "raw.json"),
    }
}

fn required(value: &str, field: &str) -> Result<(), Status> {
    if value.is_empty() {
        return Err(Status::invalid_argument(format!("{field} is required")));
    }
    Ok(())
}

/// JSON text that must hold an object, as every Meta message object is.
fn json_object(text: &str, field: &str) -> Result<serde_json::Value, Status> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) if value.is_object() => Ok(value),
        Ok(_) => Err(Status::invalid_argument(format!(
            "{field} must be a JSON object"
        ))),
        Err(error) => Err(Status::invalid_argument(format!(
            "{field} is not JSON: {error}"
        ))),
    }
}
