//! The control plane's WhatsApp service through the generated client: simulated users of every
//! message type reach the app as Meta's complete, signed webhook; settings and the verification
//! handshake; conversations; waiting for a WhatsApp message by its type.

use mockingbird::proto::{
    self, EventKind, InboundDelivery, WindowPolicy, event::Payload,
    send_whats_app_inbound_request::Message as UserMessage,
};
use serde_json::{Value, json};
use tonic::Code;

use crate::support::whatsapp::USER;
use crate::support::*;

fn identity(tenant: &proto::Tenant) -> proto::WhatsAppIdentity {
    tenant
        .whatsapp
        .clone()
        .expect("a tenant has a WhatsApp identity")
}

/// A new tenant whose webhook URL is `url`.
async fn tenant_with_webhook(control: &mut Control, label: &str, url: &str) -> proto::Tenant {
    let tenant = control.tenant(label).await;
    control
        .whatsapp
        .update_settings(proto::UpdateWhatsAppSettingsRequest {
            account_sid: tenant.account_sid.clone(),
            webhook_url: Some(url.into()),
            ..Default::default()
        })
        .await
        .expect("UpdateSettings");
    tenant
}

fn inbound(
    tenant: &proto::Tenant,
    context_id: &str,
    message: UserMessage,
) -> proto::SendWhatsAppInboundRequest {
    proto::SendWhatsAppInboundRequest {
        account_sid: tenant.account_sid.clone(),
        from: format!("+{USER}"),
        profile_name: "Tendai".into(),
        context_id: context_id.into(),
        message: Some(message),
        ..Default::default()
    }
}

/// Check the envelope Meta wraps every user message in (reference/whatsapp.md §4.3) and the
/// signature; the message object.
fn checked_envelope(
    request: &Recorded,
    tenant: &proto::Tenant,
    sent: &proto::SendWhatsAppInboundResponse,
) -> Value {
    let wa = identity(tenant);
    assert_eq!(request.method, "POST");
    assert!(
        meta_signed(
            request.body.as_bytes(),
            request.header("x-hub-signature-256"),
            &wa.app_secret
        ),
        "signature of {}: {:?}",
        request.body,
        request.header("x-hub-signature-256")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("x-mock-testing"),
        None,
        "only targets are marked as tests"
    );
    let body: Value = serde_json::from_str(&request.body).expect("JSON webhook");
    assert_eq!(body["object"], "whatsapp_business_account", "{body}");
    let entry = &body["entry"][0];
    assert_eq!(entry["id"], wa.business_account_id.as_str(), "{body}");
    let change = &entry["changes"][0];
    assert_eq!(change["field"], "messages", "{body}");
    let value = &change["value"];
    assert_eq!(value["messaging_product"], "whatsapp", "{body}");
    assert_eq!(
        value["metadata"],
        json!({
            "display_phone_number": wa.display_phone_number.trim_start_matches('+'),
            "phone_number_id": wa.phone_number_id,
        }),
        "{body}"
    );
    let stored = sent.message.as_ref().expect("the stored message");
    let user = stored
        .whatsapp
        .as_ref()
        .and_then(|w| w.user.clone())
        .expect("the stored message names its user");
    // The BSUID: the country of +263, a period, twenty digits.
    assert!(
        user.user_id.starts_with("ZW.") && user.user_id.len() == 23,
        "{user:?}"
    );
    assert_eq!(
        value["contacts"],
        json!([{ "profile": { "name": "Tendai" }, "wa_id": USER, "user_id": user.user_id }]),
        "{body}"
    );
    let message = value["messages"][0].clone();
    assert_eq!(message["from"], USER, "{body}");
    assert_eq!(message["from_user_id"], user.user_id.as_str(), "{body}");
    assert_eq!(message["id"], stored.sid.as_str(), "{body}");
    assert!(stored.sid.starts_with("wamid."), "{}", stored.sid);
    let timestamp = message["timestamp"].as_str().expect("a string timestamp");
    assert!(
        !timestamp.is_empty() && timestamp.chars().all(|c| c.is_ascii_digit()),
        "{timestamp}"
    );
    message
}

#[tokio::test]
async fn every_message_type_reaches_the_app_in_metas_signed_envelope() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    receiver.reply_with(r#"{"status": "received"}"#);
    let mut control = app.control().await;
    let tenant = tenant_with_webhook(&mut control, "types", &receiver.url("/bot/webhook")).await;
    let business = identity(&tenant)
        .display_phone_number
        .trim_start_matches('+')
        .to_owned();

    let cases: Vec<(&str, UserMessage, &str, Value)> = vec![
        (
            "text",
            UserMessage::Text(proto::Text {
                body: "hi there".into(),
            }),
            "wamid.QUOTED",
            json!({ "body": "hi there" }),
        ),
        (
            "button",
            UserMessage::Button(proto::QuickReply {
                payload: "STOP_PROMOS".into(),
                text: String::new(),
            }),
            "wamid.TEMPLATE",
            json!({ "payload": "STOP_PROMOS", "text": "STOP_PROMOS" }),
        ),
        (
            "interactive",
            UserMessage::ButtonReply(proto::ButtonReply {
                id: "accept_1".into(),
                title: "Accept".into(),
            }),
            "wamid.BUTTONS",
            json!({ "type": "button_reply", "button_reply": { "id": "accept_1", "title": "Accept" } }),
        ),
        (
            "interactive",
            UserMessage::ListReply(proto::ListReply {
                id: "balance".into(),
                title: "Balance".into(),
                description: "See your balance".into(),
            }),
            "",
            json!({ "type": "list_reply", "list_reply": {
                "id": "balance", "title": "Balance", "description": "See your balance" } }),
        ),
        (
            "interactive",
            UserMessage::FlowReply(proto::FlowReply {
                response_json: r#"{"flow_token":"t1","amount":"5"}"#.into(),
                body: String::new(),
            }),
            "",
            json!({ "type": "nfm_reply", "nfm_reply": {
                "response_json": r#"{"flow_token":"t1","amount":"5"}"#, "body": "Sent", "name": "flow" } }),
        ),
        (
            "location",
            UserMessage::Location(proto::Location {
                latitude: -17.8292,
                longitude: 31.0522,
                name: "Harare".into(),
                address: String::new(),
            }),
            "",
            json!({ "latitude": -17.8292, "longitude": 31.0522, "name": "Harare" }),
        ),
        (
            "reaction",
            UserMessage::Reaction(proto::Reaction {
                message_id: "wamid.LIKED".into(),
                emoji: "👍".into(),
            }),
            "",
            json!({ "message_id": "wamid.LIKED", "emoji": "👍" }),
        ),
        (
            "order",
            UserMessage::Raw(proto::RawMessage {
                r#type: "order".into(),
                json: r#"{"catalog_id":"c1","product_items":[{"product_retailer_id":"p1","quantity":2}]}"#.into(),
            }),
            "",
            json!({ "catalog_id": "c1", "product_items": [{ "product_retailer_id": "p1", "quantity": 2 }] }),
        ),
    ];
    for (index, (message_type, message, context_id, expected)) in cases.into_iter().enumerate() {
        let sent = control
            .whatsapp
            .send_inbound(inbound(&tenant, context_id, message))
            .await
            .unwrap_or_else(|status| panic!("{message_type}: {}", status.message()))
            .into_inner();
        assert_eq!(sent.delivery, InboundDelivery::Answered as i32, "{sent:?}");
        assert_eq!(sent.http_status, 200);
        assert_eq!(sent.http_body, r#"{"status": "received"}"#);
        assert_eq!(sent.url, receiver.url("/bot/webhook"));
        let stored = sent.message.clone().expect("message");
        assert_eq!(stored.direction, proto::Direction::Inbound as i32);
        let content = stored.whatsapp.clone().expect("WhatsApp content");
        assert_eq!(content.message_type, message_type);
        assert_eq!(content.profile_name, "Tendai");

        let requests = receiver.wait_for(index + 1).await;
        let message = checked_envelope(&requests[index], &tenant, &sent);
        assert_eq!(message["type"], message_type, "{message}");
        assert_eq!(message[message_type], expected, "{message}");
        if context_id.is_empty() {
            assert!(message.get("context").is_none(), "{message}");
        } else {
            assert_eq!(
                message["context"],
                json!({ "from": business, "id": context_id }),
                "{message}"
            );
        }
        if message_type == "reaction" {
            // Meta escapes non-ASCII characters in what it signs (§4.2).
            assert!(
                requests[index].body.contains(r"\ud83d\udc4d"),
                "{}",
                requests[index].body
            );
        }
    }

    // Media: a fresh numeric id and the kind's usual MIME type when none is given.
    let sent = control
        .whatsapp
        .send_inbound(inbound(
            &tenant,
            "",
            UserMessage::Media(proto::Media {
                kind: "image".into(),
                caption: "my receipt".into(),
                ..Default::default()
            }),
        ))
        .await
        .expect("SendInbound with media")
        .into_inner();
    let requests = receiver.wait_for(9).await;
    let message = checked_envelope(&requests[8], &tenant, &sent);
    let image = &message["image"];
    assert_eq!(message["type"], "image");
    assert!(
        image["id"]
            .as_str()
            .is_some_and(|id| id.len() == 16 && id.chars().all(|c| c.is_ascii_digit())),
        "{image}"
    );
    assert_eq!(image["mime_type"], "image/jpeg");
    assert_eq!(image["caption"], "my receipt");
    assert_eq!(image["sha256"].as_str().map(str::len), Some(64), "{image}");
    assert_eq!(sent.message.expect("message").body, "my receipt");

    // What cannot be a user's message is refused before anything is stored or sent.
    for (message, wanted) in [
        (None, "message is required"),
        (
            Some(UserMessage::Text(proto::Text::default())),
            "text.body is required",
        ),
        (
            Some(UserMessage::Media(proto::Media {
                kind: "hologram".into(),
                ..Default::default()
            })),
            "hologram",
        ),
        (
            Some(UserMessage::Raw(proto::RawMessage {
                r#type: "order".into(),
                json: "[1]".into(),
            })),
            "raw.json must be a JSON object",
        ),
        (
            Some(UserMessage::Location(proto::Location {
                latitude: 91.0,
                ..Default::default()
            })),
            "latitude",
        ),
    ] {
        let mut request = inbound(&tenant, "", UserMessage::Text(proto::Text::default()));
        request.message = message;
        let refused = control
            .whatsapp
            .send_inbound(request)
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        assert!(refused.message().contains(wanted), "{}", refused.message());
    }
    assert_eq!(receiver.requests().len(), 9, "nothing more was sent");
}

#[tokio::test]
async fn targets_are_marked_as_tests_and_unknown_ones_are_named() {
    let receiver = Receiver::start().await;
    let mut config = test_config();
    config
        .whatsapp
        .targets
        .insert("local".into(), receiver.url("/bot/webhook"));
    config.whatsapp.targets.insert(
        "staging".into(),
        "https://staging.invalid/bot/webhook".into(),
    );
    let app = spawn_with(config).await;
    let mut control = app.control().await;
    let text = || UserMessage::Text(proto::Text { body: "hi".into() });

    // An empty account SID is the config file's account, which has no webhook URL yet: the
    // message is stored, and nothing is sent.
    let stored = control
        .whatsapp
        .send_inbound(proto::SendWhatsAppInboundRequest {
            from: USER.into(),
            message: Some(text()),
            ..Default::default()
        })
        .await
        .expect("SendInbound to the default tenant")
        .into_inner();
    assert_eq!(stored.delivery, InboundDelivery::NoWebhook as i32);
    assert!(stored.webhook.is_none());
    assert_eq!(stored.message.expect("message").account_sid, SID);

    let sent = control
        .whatsapp
        .send_inbound(proto::SendWhatsAppInboundRequest {
            from: USER.into(),
            target: "local".into(),
            message: Some(text()),
            ..Default::default()
        })
        .await
        .expect("SendInbound to a target")
        .into_inner();
    assert_eq!(sent.delivery, InboundDelivery::Answered as i32);
    let request = &receiver.wait_for(1).await[0];
    assert_eq!(request.header("x-mock-testing"), Some("true"));
    let webhook_secret = app.tenant(SID).account().whatsapp.app_secret;
    assert!(
        meta_signed(
            request.body.as_bytes(),
            request.header("x-hub-signature-256"),
            &webhook_secret
        ),
        "{request:#?}"
    );

    let unknown = control
        .whatsapp
        .send_inbound(proto::SendWhatsAppInboundRequest {
            from: USER.into(),
            target: "production".into(),
            message: Some(text()),
            ..Default::default()
        })
        .await
        .expect_err("an unknown target is refused");
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert!(
        unknown.message().contains("\"production\"")
            && unknown.message().contains("local, staging"),
        "{}",
        unknown.message()
    );
}

#[tokio::test]
async fn settings_update_and_the_verification_handshake() {
    let app = spawn_app().await;
    let mut control = app.control().await;
    let tenant = control.tenant("settings").await;
    let wa = identity(&tenant);
    let bot =
        serve(axum::Router::new().route("/bot/webhook", verification(&wa.verify_token))).await;
    let silent = Receiver::start().await;

    let settings = control
        .whatsapp
        .get_settings(proto::GetWhatsAppSettingsRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .expect("GetSettings")
        .into_inner();
    assert_eq!(settings.webhook_url, "");
    assert_eq!(settings.window, WindowPolicy::Reject as i32);
    assert!(!settings.allow_list.clone().expect("allow list").enabled);
    assert_eq!(settings.templates.len(), 1, "Meta's hello_world");
    assert_eq!(settings.identity, Some(wa.clone()));

    // With nowhere to verify, nothing changes.
    let refused = control
        .whatsapp
        .update_settings(proto::UpdateWhatsAppSettingsRequest {
            account_sid: tenant.account_sid.clone(),
            window: WindowPolicy::Off as i32,
            verify_webhook: true,
            ..Default::default()
        })
        .await
        .expect_err("no webhook URL to verify");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let unchanged = control
        .whatsapp
        .get_settings(proto::GetWhatsAppSettingsRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .expect("GetSettings")
        .into_inner();
    assert_eq!(
        unchanged.window,
        WindowPolicy::Reject as i32,
        "{unchanged:?}"
    );
    assert_eq!(unchanged.webhook_url, "", "{unchanged:?}");
    assert_eq!(unchanged, settings);

    let updated = control
        .whatsapp
        .update_settings(proto::UpdateWhatsAppSettingsRequest {
            account_sid: tenant.account_sid.clone(),
            webhook_url: Some(format!("{bot}/bot/webhook")),
            window: WindowPolicy::FailLater as i32,
            allow_list: Some(proto::AllowList {
                enabled: true,
                numbers: vec![format!("+{USER}")],
            }),
            templates: Some(proto::TemplateList {
                templates: vec![proto::WhatsAppTemplate {
                    name: "payment_due".into(),
                    language: "en_US".into(),
                    category: "UTILITY".into(),
                    body_parameters: 2,
                }],
            }),
            verify_webhook: true,
        })
        .await
        .expect("UpdateSettings")
        .into_inner();
    let verification = updated.verification.expect("the handshake ran");
    assert!(verification.echoed, "{verification:?}");
    let attempt = verification.attempt.expect("the GET");
    assert_eq!(attempt.method, proto::HttpMethod::Get as i32);
    assert!(
        attempt.url.contains("hub.mode=subscribe")
            && attempt
                .url
                .contains(&format!("hub.verify_token={}", wa.verify_token))
            && attempt
                .url
                .contains(&format!("hub.challenge={}", verification.challenge)),
        "{}",
        attempt.url
    );
    assert_eq!(attempt.response_status, 200);
    let settings = updated.settings.expect("settings");
    assert_eq!(settings.webhook_url, format!("{bot}/bot/webhook"));
    assert_eq!(settings.window, WindowPolicy::FailLater as i32);
    assert_eq!(
        settings.allow_list,
        Some(proto::AllowList {
            enabled: true,
            numbers: vec![format!("+{USER}")],
        })
    );
    assert_eq!(settings.templates.len(), 1);
    assert_eq!(settings.templates[0].category, "utility");

    // Unset fields keep their value; an empty URL removes it; a disabled list lets anyone in.
    let kept = control
        .whatsapp
        .update_settings(proto::UpdateWhatsAppSettingsRequest {
            account_sid: tenant.account_sid.clone(),
            allow_list: Some(proto::AllowList::default()),
            ..Default::default()
        })
        .await
        .expect("UpdateSettings")
        .into_inner();
    assert!(kept.verification.is_none());
    let kept = kept.settings.expect("settings");
    assert_eq!(kept.webhook_url, format!("{bot}/bot/webhook"));
    assert_eq!(kept.window, WindowPolicy::FailLater as i32);
    assert_eq!(kept.templates[0].name, "payment_due");
    assert!(!kept.allow_list.expect("allow list").enabled);

    // An app that does not echo the challenge fails the handshake.
    let failed = control
        .whatsapp
        .verify_webhook(proto::VerifyWebhookRequest {
            account_sid: tenant.account_sid.clone(),
            url: Some(silent.url("/hook")),
        })
        .await
        .expect("VerifyWebhook")
        .into_inner();
    assert!(!failed.echoed);
    assert_eq!(failed.attempt.expect("attempt").response_body, "ok");
    assert_eq!(silent.wait_for(1).await[0].method, "GET");

    let cleared = control
        .whatsapp
        .update_settings(proto::UpdateWhatsAppSettingsRequest {
            account_sid: tenant.account_sid.clone(),
            webhook_url: Some(String::new()),
            ..Default::default()
        })
        .await
        .expect("UpdateSettings")
        .into_inner();
    assert_eq!(cleared.settings.expect("settings").webhook_url, "");
    let nowhere = control
        .whatsapp
        .verify_webhook(proto::VerifyWebhookRequest {
            account_sid: tenant.account_sid.clone(),
            url: None,
        })
        .await
        .expect_err("no URL to verify");
    assert_eq!(nowhere.code(), Code::FailedPrecondition);
}

/// The app's Cloud API call: a text to the user, as the tenant's business number.
async fn reply(app: &TestApp, tenant: &proto::Tenant, text: &str) -> String {
    let wa = identity(tenant);
    let (status, body) = app
        .graph_post(
            &wa.access_token,
            &format!("/v23.0/{}/messages", wa.phone_number_id),
            &json!({
                "messaging_product": "whatsapp",
                "to": USER,
                "type": "text",
                "text": { "body": text },
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["messages"][0]["id"]
        .as_str()
        .expect("a wamid")
        .to_owned()
}

#[tokio::test]
async fn conversations_read_oldest_first_and_wait_for_finds_a_type() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let mut control = app.control().await;
    let tenant = tenant_with_webhook(&mut control, "conversation", &receiver.url("/hook")).await;

    let first = control
        .whatsapp
        .send_inbound(inbound(
            &tenant,
            "",
            UserMessage::Text(proto::Text { body: "hi".into() }),
        ))
        .await
        .expect("SendInbound")
        .into_inner();
    let answer = reply(&app, &tenant, "Pay or check your balance?").await;
    let tapped = control
        .whatsapp
        .send_inbound(inbound(
            &tenant,
            &answer,
            UserMessage::ButtonReply(proto::ButtonReply {
                id: "pay".into(),
                title: "Pay now".into(),
            }),
        ))
        .await
        .expect("SendInbound")
        .into_inner();

    let conversation = |limit| proto::GetConversationRequest {
        account_sid: tenant.account_sid.clone(),
        user: format!("+{USER}"),
        limit,
    };
    let messages = control
        .whatsapp
        .get_conversation(conversation(0))
        .await
        .expect("GetConversation")
        .into_inner()
        .messages;
    let sids: Vec<&str> = messages.iter().map(|m| m.sid.as_str()).collect();
    let first_sid = first.message.as_ref().expect("message").sid.clone();
    let tapped_sid = tapped.message.as_ref().expect("message").sid.clone();
    assert_eq!(
        sids,
        [first_sid.as_str(), answer.as_str(), tapped_sid.as_str()]
    );
    assert_eq!(messages[1].direction, proto::Direction::OutboundApi as i32);
    assert_eq!(
        messages[2].whatsapp.as_ref().map(|w| w.context_id.as_str()),
        Some(answer.as_str())
    );
    let latest = control
        .whatsapp
        .get_conversation(conversation(2))
        .await
        .expect("GetConversation")
        .into_inner()
        .messages;
    let sids: Vec<&str> = latest.iter().map(|m| m.sid.as_str()).collect();
    assert_eq!(
        sids,
        [answer.as_str(), tapped_sid.as_str()],
        "the latest two, oldest first"
    );

    // WaitFor by WhatsApp type and text: the tap, not the text before it.
    let filter = |types: &[&str], body: &str| proto::EventFilter {
        whatsapp_types: types.iter().map(|t| t.to_string()).collect(),
        body_contains: body.into(),
        ..events_of(&tenant, &[EventKind::MessageCreated])
    };
    let event = control
        .wait_for(filter(&["interactive"], "Pay"), first.after_sequence)
        .await;
    let Some(Payload::MessageCreated(created)) = event.payload else {
        panic!("not a message_created event: {event:?}");
    };
    assert_eq!(created.message.expect("message").sid, tapped_sid);

    let missed = control
        .events
        .wait_for(proto::WaitForRequest {
            filter: Some(filter(&["template"], "")),
            after_sequence: first.after_sequence,
            timeout: Some(prost_types::Duration {
                seconds: 0,
                nanos: 200_000_000,
            }),
        })
        .await
        .expect_err("no template was sent");
    assert_eq!(missed.code(), Code::DeadlineExceeded);
    assert!(
        missed
            .message()
            .contains("WhatsApp type is interactive, wanted template"),
        "{}",
        missed.message()
    );
}
