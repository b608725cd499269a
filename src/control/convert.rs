//! Conversions between the core's types and the control plane's protobuf messages.

use std::time::Duration;

use tonic::Status;

use super::proto;
use crate::core::events::{Event, EventData};
use crate::core::messages::{Direction, HttpMethod, Message, MessageStatus};
use crate::core::rules::{
    self, AddressPattern, BodyPattern, CallbackDisorder, Outcome, Rule, Step,
};
use crate::core::store::CallbackAttempt;
use crate::core::tenants::{
    Account, ApiKey, PhoneNumber, WhatsAppIdentity, WhatsAppTemplate, WindowPolicy,
};
use crate::core::time::Millis;
use crate::core::{ids, messages::WhatsAppContent};
use crate::providers::meta::user_messages::{self, UserMessage};

pub fn timestamp(at: Millis) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: at.div_euclid(1000),
        nanos: (at.rem_euclid(1000) * 1_000_000) as i32,
    })
}

/// A protobuf duration as a std one; negative ones are refused.
pub fn duration(value: Option<&prost_types::Duration>, field: &str) -> Result<Duration, Status> {
    let Some(value) = value else {
        return Ok(Duration::ZERO);
    };
    if value.seconds < 0 || value.nanos < 0 {
        return Err(Status::invalid_argument(format!(
            "{field} must not be negative"
        )));
    }
    Ok(Duration::new(value.seconds as u64, value.nanos as u32))
}

/// A duration of whole milliseconds on the wire; none for zero (unset).
pub fn proto_duration(ms: u64) -> Option<prost_types::Duration> {
    (ms > 0).then(|| prost_types::Duration {
        seconds: (ms / 1000) as i64,
        nanos: ((ms % 1000) * 1_000_000) as i32,
    })
}

fn millis(value: Option<&prost_types::Duration>, field: &str) -> Result<u64, Status> {
    Ok(duration(value, field)?.as_millis() as u64)
}

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

fn statuses(values: &[i32], field: &str) -> Result<Vec<MessageStatus>, Status> {
    values.iter().map(|v| core_status(*v, field)).collect()
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
    }
}

pub fn tenant(account: &Account, key: Option<&ApiKey>) -> proto::Tenant {
    proto::Tenant {
        account_sid: account.sid.clone(),
        auth_token: account.auth_token.clone(),
        api_key_sid: key.map(|k| k.sid.clone()).unwrap_or_default(),
        api_key_secret: key.map(|k| k.secret.clone()).unwrap_or_default(),
        label: account.friendly_name.clone(),
        whatsapp: Some(whatsapp_identity(&account.whatsapp)),
        created_at: timestamp(account.created_at),
    }
}

fn whatsapp_identity(wa: &WhatsAppIdentity) -> proto::WhatsAppIdentity {
    proto::WhatsAppIdentity {
        phone_number_id: wa.phone_number_id.clone(),
        business_account_id: wa.business_account_id.clone(),
        access_token: wa.access_token.clone(),
        app_secret: wa.app_secret.clone(),
        verify_token: wa.verify_token.clone(),
        display_phone_number: wa.display_phone_number.clone(),
    }
}

pub fn number(n: &PhoneNumber) -> proto::PhoneNumber {
    proto::PhoneNumber {
        sid: n.sid.clone(),
        account_sid: n.account_sid.clone(),
        phone_number: n.phone_number.clone(),
        friendly_name: n.friendly_name.clone(),
        sms_url: n.sms.url.clone().unwrap_or_default(),
        sms_method: method(n.sms.method),
        sms_fallback_url: n.sms_fallback.url.clone().unwrap_or_default(),
        sms_fallback_method: method(n.sms_fallback.method),
        voice_url: n.voice.url.clone().unwrap_or_default(),
        voice_method: method(n.voice.method),
        created_at: timestamp(n.created_at),
        updated_at: timestamp(n.updated_at),
    }
}

// ---------------------------------------------------------------------------------------------
// Rules.

fn address(pattern: &AddressPattern) -> proto::AddressPattern {
    use proto::address_pattern::Pattern;
    proto::AddressPattern {
        pattern: Some(match pattern {
            AddressPattern::Exact(v) => Pattern::Exact(v.clone()),
            AddressPattern::Prefix(v) => Pattern::Prefix(v.clone()),
            AddressPattern::Glob(v) => Pattern::Glob(v.clone()),
        }),
    }
}

fn core_address(pattern: Option<&proto::AddressPattern>) -> Option<AddressPattern> {
    use proto::address_pattern::Pattern;
    Some(match pattern?.pattern.as_ref()? {
        Pattern::Exact(v) => AddressPattern::Exact(v.clone()),
        Pattern::Prefix(v) => AddressPattern::Prefix(v.clone()),
        Pattern::Glob(v) => AddressPattern::Glob(v.clone()),
    })
}

pub fn rule(r: &Rule) -> proto::Rule {
    use proto::body_pattern::Pattern;
    proto::Rule {
        id: r.id.clone(),
        when: Some(proto::MessageMatch {
            channel: r.when.channel.clone().unwrap_or_default(),
            to: r.when.to.as_ref().map(address),
            from: r.when.from.as_ref().map(address),
            body: r.when.body.as_ref().map(|b| proto::BodyPattern {
                pattern: Some(match b {
                    BodyPattern::Contains(v) => Pattern::Contains(v.clone()),
                    BodyPattern::Regex(v) => Pattern::Regex(v.clone()),
                }),
            }),
        }),
        outcome: Some(match &r.then {
            Outcome::Reject(rejection) => proto::rule::Outcome::Reject(proto::Rejection {
                error_code: rejection.code,
                http_status: u32::from(rejection.http_status),
                message: rejection.message.clone(),
            }),
            Outcome::Accept { script } => proto::rule::Outcome::Accept(proto::Lifecycle {
                steps: script
                    .iter()
                    .map(|step| proto::LifecycleStep {
                        status: status(step.status) as i32,
                        delay: proto_duration(step.delay_ms),
                        error_code: step.error_code.unwrap_or_default(),
                        error_message: step.error_message.clone().unwrap_or_default(),
                    })
                    .collect(),
            }),
        }),
        first_n: r.first_n.unwrap_or_default(),
        latency: proto_duration(r.latency_ms),
        callbacks: (!r.callbacks.is_orderly()).then(|| proto::CallbackDisorder {
            drop: r.callbacks.drop.iter().map(|s| status(*s) as i32).collect(),
            duplicate: r
                .callbacks
                .duplicate
                .iter()
                .map(|s| status(*s) as i32)
                .collect(),
            delay: r
                .callbacks
                .delay_ms
                .iter()
                .map(|(s, ms)| proto::DelayedCallback {
                    status: status(*s) as i32,
                    by: proto_duration(*ms),
                })
                .collect(),
        }),
    }
}

/// A rule as a test wrote it, checked.
pub fn core_rule(r: proto::Rule) -> Result<Rule, Status> {
    use proto::body_pattern::Pattern;
    let when = r.when.unwrap_or_default();
    let then = match r.outcome {
        None => {
            return Err(Status::invalid_argument(format!(
                "rule {:?}: an outcome (reject or accept) is required",
                r.id
            )));
        }
        Some(proto::rule::Outcome::Reject(rejection)) => {
            if rejection.error_code == 0 {
                return Err(Status::invalid_argument(format!(
                    "rule {:?}: reject.error_code is required",
                    r.id
                )));
            }
            let http_status = match rejection.http_status {
                0 => 400,
                code @ 400..=599 => code as u16,
                other => {
                    return Err(Status::invalid_argument(format!(
                        "rule {:?}: reject.http_status {other} is not an error status",
                        r.id
                    )));
                }
            };
            let message = if rejection.message.is_empty() {
                default_rejection_message(rejection.error_code)
            } else {
                rejection.message
            };
            Outcome::Reject(rules::Rejection::new(
                http_status,
                rejection.error_code,
                message,
            ))
        }
        Some(proto::rule::Outcome::Accept(lifecycle)) => Outcome::Accept {
            script: lifecycle
                .steps
                .into_iter()
                .map(|step| {
                    let status = core_status(step.status, "accept.steps.status")?;
                    let code = (step.error_code != 0).then_some(step.error_code);
                    let mut core = match code {
                        Some(code) => {
                            Step::failing(status, millis(step.delay.as_ref(), "delay")?, code)
                        }
                        None => Step::new(status, millis(step.delay.as_ref(), "delay")?),
                    };
                    if !step.error_message.is_empty() {
                        core.error_message = Some(step.error_message);
                    }
                    Ok(core)
                })
                .collect::<Result<_, Status>>()?,
        },
    };
    let disorder = r.callbacks.unwrap_or_default();
    Ok(Rule {
        id: r.id,
        when: rules::Match {
            channel: (!when.channel.is_empty()).then_some(when.channel),
            to: core_address(when.to.as_ref()),
            from: core_address(when.from.as_ref()),
            body: when.body.and_then(|b| b.pattern).map(|p| match p {
                Pattern::Contains(v) => BodyPattern::Contains(v),
                Pattern::Regex(v) => BodyPattern::Regex(v),
            }),
        },
        then,
        first_n: (r.first_n > 0).then_some(r.first_n),
        latency_ms: millis(r.latency.as_ref(), "latency")?,
        callbacks: CallbackDisorder {
            drop: statuses(&disorder.drop, "callbacks.drop")?,
            duplicate: statuses(&disorder.duplicate, "callbacks.duplicate")?,
            delay_ms: disorder
                .delay
                .iter()
                .map(|d| {
                    Ok((
                        core_status(d.status, "callbacks.delay.status")?,
                        millis(d.by.as_ref(), "callbacks.delay.by")?,
                    ))
                })
                .collect::<Result<_, Status>>()?,
        },
    })
}

/// Twilio's texts for the codes a test is most likely to reject with.
fn default_rejection_message(code: u32) -> String {
    match code {
        21211 => "The 'To' number is not a valid phone number.",
        21408 => "Permission to send an SMS has not been enabled for the region indicated by the 'To' number.",
        21606 => "The From phone number is not a valid, SMS-capable inbound phone number or short code for your account.",
        21610 => "Attempt to send to unsubscribed recipient",
        21611 => "This 'From' number has exceeded the maximum number of queued messages",
        21612 => "The 'To' phone number is not currently reachable via SMS",
        21614 => "'To' number is not a valid mobile number",
        20429 => "Too Many Requests",
        _ => "Rejected by a mockingbird rule",
    }
    .into()
}

// ---------------------------------------------------------------------------------------------
// Events.

pub fn event_kind(kind: &str) -> proto::EventKind {
    use proto::EventKind as K;
    match kind {
        "account_created" => K::TenantCreated,
        "message_created" => K::MessageCreated,
        "message_status_changed" => K::MessageStatusChanged,
        "message_redacted" => K::MessageRedacted,
        "message_deleted" => K::MessageDeleted,
        "callback_attempted" => K::CallbackAttempted,
        "inbound_delivered" => K::InboundDelivered,
        "rule_matched" => K::RuleMatched,
        "data_cleared" => K::DataCleared,
        _ => K::Unspecified,
    }
}

/// The core's name of an event kind a filter asks for.
pub fn core_event_kind(value: i32) -> Result<&'static str, Status> {
    use proto::EventKind as K;
    Ok(match K::try_from(value) {
        Ok(K::TenantCreated) => "account_created",
        Ok(K::MessageCreated) => "message_created",
        Ok(K::MessageStatusChanged) => "message_status_changed",
        Ok(K::MessageRedacted) => "message_redacted",
        Ok(K::MessageDeleted) => "message_deleted",
        Ok(K::CallbackAttempted) => "callback_attempted",
        Ok(K::InboundDelivered) => "inbound_delivered",
        Ok(K::RuleMatched) => "rule_matched",
        Ok(K::DataCleared) => "data_cleared",
        _ => {
            return Err(Status::invalid_argument(format!(
                "filter.kinds: unknown kind {value}"
            )));
        }
    })
}

pub fn event(e: &Event) -> proto::Event {
    use proto::event::Payload;
    let payload = match &e.data {
        EventData::AccountCreated { friendly_name } => {
            Payload::TenantCreated(proto::TenantCreated {
                label: friendly_name.clone(),
            })
        }
        EventData::MessageCreated { message: m } => {
            Payload::MessageCreated(proto::MessageCreated {
                message: Some(message(m)),
            })
        }
        EventData::MessageStatusChanged {
            sid,
            to,
            from,
            previous,
            status: now,
            error_code,
        } => Payload::MessageStatusChanged(proto::MessageStatusChanged {
            sid: sid.clone(),
            to: to.clone(),
            from: from.clone().unwrap_or_default(),
            previous: status(*previous) as i32,
            status: status(*now) as i32,
            error_code: error_code.unwrap_or_default(),
        }),
        EventData::MessageRedacted { sid } => {
            Payload::MessageRedacted(proto::MessageRedacted { sid: sid.clone() })
        }
        EventData::MessageDeleted { sid } => {
            Payload::MessageDeleted(proto::MessageDeleted { sid: sid.clone() })
        }
        EventData::CallbackAttempted {
            attempt: a,
            to,
            from,
        } => Payload::CallbackAttempted(proto::CallbackAttempted {
            attempt: Some(attempt(a)),
            to: to.clone().unwrap_or_default(),
            from: from.clone().unwrap_or_default(),
        }),
        EventData::InboundDelivered {
            message: m,
            webhook,
            reply_sids,
            opt_out_type,
        } => Payload::InboundDelivered(proto::InboundDelivered {
            message: Some(message(m)),
            webhook: webhook.as_deref().map(attempt),
            reply_sids: reply_sids.clone(),
            opt_out_type: opt_out_type.clone().unwrap_or_default(),
        }),
        EventData::RuleMatched {
            rule_id,
            sid,
            to,
            outcome,
        } => Payload::RuleMatched(proto::RuleMatched {
            rule_id: rule_id.clone(),
            sid: sid.clone().unwrap_or_default(),
            to: to.clone(),
            rejected_with: match outcome {
                Outcome::Reject(rejection) => rejection.code,
                Outcome::Accept { .. } => 0,
            },
        }),
        EventData::DataCleared { scope } => Payload::DataCleared(proto::DataCleared {
            scope: scope.clone(),
        }),
    };
    proto::Event {
        sequence: e.seq,
        account_sid: e.account_sid.clone(),
        at: timestamp(e.at),
        kind: event_kind(e.data.kind()) as i32,
        payload: Some(payload),
    }
}

// ---------------------------------------------------------------------------------------------
// WhatsApp.

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
    WhatsAppTemplate {
        name: t.name,
        language: t.language,
        category: t.category,
        body_parameters: t.body_parameters,
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
            if !crate::core::inbound::is_place(place.latitude, place.longitude) {
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
            user_messages::shaped(&raw.r#type, json_object(&raw.json, "raw.json")?)
        }
    })
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
