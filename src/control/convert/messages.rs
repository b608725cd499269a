//! Messages, their statuses and their callback attempts (the Messages service; events and rules
//! carry them too).

use std::collections::HashMap;

use tonic::Status;

use super::timestamp;
use crate::core::messaging::{Direction, HttpMethod, Message, MessageStatus, WhatsAppContent};
use crate::core::store::CallbackAttempt;
use crate::core::whatsapp::WhatsAppUser;
use crate::proto;

pub fn status(value: MessageStatus) -> proto::MessageStatus {
    use proto::MessageStatus as P;
    match value {
        MessageStatus::Queued => P::Queued,
        MessageStatus::Sending => P::Sending,
        MessageStatus::Sent => P::Sent,
        MessageStatus::Failed => P::Failed,
        MessageStatus::Delivered => P::Delivered,
        MessageStatus::Undelivered => P::Undelivered,
        MessageStatus::Receiving => P::Receiving,
        MessageStatus::Received => P::Received,
        MessageStatus::Accepted => P::Accepted,
        MessageStatus::Scheduled => P::Scheduled,
        MessageStatus::Read => P::Read,
        MessageStatus::PartiallyDelivered => P::PartiallyDelivered,
        MessageStatus::Canceled => P::Canceled,
    }
}

/// A status a request names; `field` says which, for the error.
pub fn core_status(value: i32, field: &str) -> Result<MessageStatus, Status> {
    let named = proto::MessageStatus::try_from(value)
        .map_err(|_| Status::invalid_argument(format!("{field}: unknown status {value}")))?;
    MessageStatus::ALL
        .into_iter()
        .find(|s| status(*s) == named)
        .ok_or_else(|| Status::invalid_argument(format!("{field}: a status is required")))
}

pub fn method(value: HttpMethod) -> i32 {
    match value {
        HttpMethod::Post => proto::HttpMethod::Post as i32,
        HttpMethod::Get => proto::HttpMethod::Get as i32,
    }
}

/// POST unless GET is asked for.
pub fn core_method(value: i32) -> HttpMethod {
    if value == proto::HttpMethod::Get as i32 {
        HttpMethod::Get
    } else {
        HttpMethod::Post
    }
}

fn direction(value: Direction) -> i32 {
    (match value {
        Direction::Inbound => proto::Direction::Inbound,
        Direction::OutboundApi => proto::Direction::OutboundApi,
        Direction::OutboundCall => proto::Direction::OutboundCall,
        Direction::OutboundReply => proto::Direction::OutboundReply,
    }) as i32
}

pub fn message(m: &Message) -> proto::Message {
    proto::Message {
        sid: m.sid.clone(),
        account_sid: m.account_sid.clone(),
        direction: direction(m.direction),
        from: m.from.clone().unwrap_or_default(),
        to: m.to.clone(),
        body: m.body.clone(),
        media_urls: m.media_urls.clone(),
        status: status(m.status) as i32,
        num_segments: m.num_segments,
        messaging_service_sid: m.messaging_service_sid.clone().unwrap_or_default(),
        error_code: m.error_code.unwrap_or_default(),
        error_message: m.error_message.clone().unwrap_or_default(),
        status_callback: m
            .status_callback
            .as_ref()
            .map(|c| c.url.clone())
            .unwrap_or_default(),
        status_callback_method: m
            .status_callback
            .as_ref()
            .map_or(proto::HttpMethod::Unspecified as i32, |c| method(c.method)),
        created_at: timestamp(m.created_at),
        updated_at: timestamp(m.updated_at),
        sent_at: m.sent_at.and_then(timestamp),
        whatsapp: m.whatsapp.as_ref().map(whatsapp_content),
    }
}

fn whatsapp_content(w: &WhatsAppContent) -> proto::WhatsAppContent {
    proto::WhatsAppContent {
        message_type: w.message_type.clone(),
        content: w.content.clone(),
        context_id: w.context_id.clone().unwrap_or_default(),
        callback_data: w.callback_data.clone().unwrap_or_default(),
        profile_name: w.profile_name.clone().unwrap_or_default(),
        template_category: w.template_category.clone().unwrap_or_default(),
        user: w.user.as_deref().map(whatsapp_user),
        addressed_by_user_id: w.addressed_by_user_id,
    }
}

pub fn whatsapp_user(u: &WhatsAppUser) -> proto::WhatsAppUser {
    proto::WhatsAppUser {
        user_id: u.user_id.clone(),
        wa_id: u.wa_id.clone(),
        username: u.username.clone().unwrap_or_default(),
        phone_hidden: u.phone_hidden,
    }
}

pub fn attempt(a: &CallbackAttempt) -> proto::CallbackAttempt {
    proto::CallbackAttempt {
        id: a.id,
        account_sid: a.account_sid.clone(),
        resource_sid: a.resource_sid.clone(),
        status: a.status.clone(),
        url: a.url.clone(),
        method: method(HttpMethod::parse(&a.method).unwrap_or_default()),
        request_body: a.request_body.clone(),
        attempt: a.attempt as u32,
        response_status: a.response_status.unwrap_or_default() as u32,
        response_body: a.response_body.clone().unwrap_or_default(),
        error: a.error.clone().unwrap_or_default(),
        latency_ms: a.latency_ms as u32,
        at: timestamp(a.created_at),
        request_headers: headers(a.request_header_pairs()),
    }
}

/// Headers by name; a name sent twice has its values joined with `, `, as HTTP reads a
/// repeated header.
fn headers<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> HashMap<String, String> {
    let mut headers: HashMap<String, String> = HashMap::new();
    for (name, value) in pairs {
        headers
            .entry(name.to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_read_as_a_map_with_repeated_names_joined() {
        let read = headers(
            [
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-twilio-signature", "abc="),
                ("via", "one"),
                ("via", "two"),
            ]
            .into_iter(),
        );
        assert_eq!(read.len(), 3);
        assert_eq!(read["x-twilio-signature"], "abc=");
        assert_eq!(read["via"], "one, two");
        assert!(headers(std::iter::empty()).is_empty());
    }
}
