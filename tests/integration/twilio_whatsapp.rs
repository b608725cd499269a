//! Twilio's WhatsApp channel (`whatsapp:` addresses on Messages.json), against the real server:
//! the 24-hour window (63016), `read` receipts, Content API templates and their errors, and the
//! incoming-message webhook of a WhatsApp user. Tenant clocks are frozen and moved by hand, so
//! nothing here sleeps.

use mockingbird::core::tenants::WindowPolicy;
use mockingbird::core::whatsapp::WhatsAppUpdate;
use mockingbird::proto;
use serde_json::Value;
use tonic::Code;

use crate::support::*;

/// The user, on WhatsApp.
const USER: &str = "whatsapp:+15557654321";
/// The tenant's number, as a WhatsApp sender.
const NUMBER: &str = "+15550101010";
const BUSINESS: &str = "whatsapp:+15550101010";
/// Each step of a message's life, in ms: `callbacks.delay_seconds` of [`test_config`].
const STEP: u64 = 2_000;
const DAY: u64 = 24 * 60 * 60 * 1000;
const CONTENT_SID: &str = "HXb5b62575e6e4ff6129ad7c8efe1f983e";

/// A tenant with a frozen clock whose number sends incoming messages to `/sms` of `receiver`.
async fn whatsapp_tenant(app: &TestApp, receiver: &Receiver, label: &str) -> proto::Tenant {
    let mut control = app.control().await;
    let tenant = control.tenant(label).await;
    control.number(&tenant, NUMBER, &receiver.url("/sms")).await;
    control.freeze(&tenant).await;
    tenant
}

/// Send from the tenant's WhatsApp sender to the user with status callbacks to `/status`;
/// extra form fields (a body, or a ContentSid) come from `content`. The 201 body.
async fn send(
    app: &TestApp,
    tenant: &proto::Tenant,
    receiver: &Receiver,
    content: &[(&str, &str)],
) -> Value {
    let callback = receiver.url("/status");
    let mut form = vec![
        ("To", USER),
        ("From", BUSINESS),
        ("StatusCallback", callback.as_str()),
    ];
    form.extend_from_slice(content);
    let (status, body) = app.send_as(tenant, &form).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "queued", "{body}");
    body
}

fn sid(message: &Value) -> String {
    message["sid"].as_str().expect("a SID").to_owned()
}

/// The status callbacks received so far about one message, in order of arrival.
fn callbacks_of(receiver: &Receiver, sid: &str) -> Vec<Recorded> {
    receiver
        .requests()
        .into_iter()
        .filter(|r| r.url.ends_with("/status") && r.param("MessageSid") == Some(sid))
        .collect()
}

fn statuses(callbacks: &[Recorded]) -> Vec<&str> {
    callbacks
        .iter()
        .map(|c| c.param("MessageStatus").unwrap_or_default())
        .collect()
}

/// A WhatsApp user writes to the tenant's number; the answer of SendInbound.
async fn user_writes(
    app: &TestApp,
    tenant: &proto::Tenant,
    request: proto::SendInboundRequest,
) -> proto::SendInboundResponse {
    app.control()
        .await
        .messages
        .send_inbound(proto::SendInboundRequest {
            account_sid: tenant.account_sid.clone(),
            from: USER.into(),
            // Bare, as a test would write it: the number's WhatsApp address is implied.
            to: NUMBER.into(),
            ..request
        })
        .await
        .unwrap_or_else(|status| panic!("SendInbound: {}", status.message()))
        .into_inner()
}

/// The incoming-message webhooks received so far.
fn incoming(receiver: &Receiver) -> Vec<Recorded> {
    receiver
        .requests()
        .into_iter()
        .filter(|r| r.url.ends_with("/sms"))
        .collect()
}

#[tokio::test]
async fn free_form_without_a_conversation_is_accepted_then_fails_63016() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = whatsapp_tenant(&app, &receiver, "outside-window").await;

    let message = send(&app, &tenant, &receiver, &[("Body", "Hello!")]).await;
    assert_eq!(
        (message["to"].as_str(), message["from"].as_str()),
        (Some(USER), Some(BUSINESS))
    );
    assert!(message["error_code"].is_null(), "{message}");

    app.control().await.advance(&tenant, STEP).await;
    let callbacks = callbacks_of(&receiver, &sid(&message));
    assert_eq!(statuses(&callbacks), ["failed"]);
    let failed = &callbacks[0];
    assert_eq!(failed.param("ErrorCode"), Some("63016"));
    assert_eq!(failed.param("To"), Some(USER));
    assert_eq!(failed.param("From"), Some(BUSINESS));
    assert!(twilio_signed(failed, &tenant.auth_token), "{failed:#?}");

    let path = format!(
        "/2010-04-01/Accounts/{}/Messages/{}.json",
        tenant.account_sid,
        sid(&message)
    );
    let (status, fetched) = app
        .get_as(&tenant.account_sid, &tenant.auth_token, &path)
        .await;
    assert_eq!(status, 200, "{fetched}");
    assert_eq!(fetched["status"], "failed");
    assert_eq!(fetched["error_code"], 63016);
}

#[tokio::test]
async fn the_users_message_opens_a_24_hour_window_and_templates_need_none() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = whatsapp_tenant(&app, &receiver, "window").await;
    let mut control = app.control().await;

    let inbound = user_writes(
        &app,
        &tenant,
        proto::SendInboundRequest {
            body: "Where is my order?".into(),
            ..Default::default()
        },
    )
    .await;
    let stored = inbound.message.expect("the stored message");
    assert_eq!((stored.from.as_str(), stored.to.as_str()), (USER, BUSINESS));
    assert_eq!(incoming(&receiver).len(), 1);

    // Within the window a free-form reply goes all the way to `read`.
    let reply = send(&app, &tenant, &receiver, &[("Body", "On its way")]).await;
    control.advance(&tenant, 3 * STEP).await;
    let callbacks = callbacks_of(&receiver, &sid(&reply));
    assert_eq!(statuses(&callbacks), ["sent", "delivered", "read"]);
    for callback in &callbacks {
        assert_eq!(callback.param("To"), Some(USER));
        assert_eq!(callback.param("From"), Some(BUSINESS));
        assert_eq!(callback.param("ErrorCode"), None);
    }

    // A second before the window closes the user can still be answered…
    control.advance(&tenant, DAY - 1_000 - 3 * STEP).await;
    let late = send(&app, &tenant, &receiver, &[("Body", "Anything else?")]).await;
    // …and a second after, a free-form message fails.
    control.advance(&tenant, 2_000).await;
    let closed = send(&app, &tenant, &receiver, &[("Body", "Hello again")]).await;
    control.advance(&tenant, 3 * STEP).await;
    assert_eq!(
        statuses(&callbacks_of(&receiver, &sid(&late))),
        ["sent", "delivered", "read"]
    );
    let failed = callbacks_of(&receiver, &sid(&closed));
    assert_eq!(statuses(&failed), ["failed"]);
    assert_eq!(failed[0].param("ErrorCode"), Some("63016"));

    // A template needs no window.
    let template = send(
        &app,
        &tenant,
        &receiver,
        &[
            ("ContentSid", CONTENT_SID),
            ("ContentVariables", r#"{"1":"12/1","2":"3pm"}"#),
        ],
    )
    .await;
    control.advance(&tenant, 3 * STEP).await;
    assert_eq!(
        statuses(&callbacks_of(&receiver, &sid(&template))),
        ["sent", "delivered", "read"]
    );
}

#[tokio::test]
async fn content_parameters_are_checked_with_twilios_codes() {
    let app = spawn_app().await;
    let path = app.messages_path(SID);
    let from = format!("whatsapp:{FROM}");
    let cases: [(&[(&str, &str)], u64); 5] = [
        (
            &[("Body", "hi"), ("ContentVariables", r#"{"1":"x"}"#)],
            21654,
        ),
        (&[("ContentSid", "HX123")], 21655),
        (
            &[("ContentSid", "MG0123456789abcdef0123456789abcdef")],
            21655,
        ),
        (
            &[
                ("ContentSid", CONTENT_SID),
                ("ContentVariables", "not json"),
            ],
            21656,
        ),
        (
            &[
                ("ContentSid", CONTENT_SID),
                ("ContentVariables", r#"{"1":""}"#),
            ],
            21656,
        ),
    ];
    for (content, code) in cases {
        let mut form = vec![("To", USER), ("From", from.as_str())];
        form.extend_from_slice(content);
        let (status, body) = app.post(&path, &form).await;
        assert_twilio_error(status, &body, 400, code);
    }
}

#[tokio::test]
async fn a_whatsapp_users_message_reaches_the_app_with_twilios_whatsapp_parameters() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = whatsapp_tenant(&app, &receiver, "inbound").await;

    // The app's template with quick replies, which the user then taps.
    let template = send(&app, &tenant, &receiver, &[("ContentSid", CONTENT_SID)]).await;
    let tap = user_writes(
        &app,
        &tenant,
        proto::SendInboundRequest {
            profile_name: "Ada Lovelace".into(),
            button_text: "Yes, confirm".into(),
            button_payload: "confirm_42".into(),
            replied_to_sid: sid(&template),
            ..Default::default()
        },
    )
    .await;
    let stored = tap.message.expect("the stored message");
    assert_eq!(stored.body, "Yes, confirm", "the title is the text");
    assert!(tap.opt_out_type.is_empty());

    let webhook = &incoming(&receiver)[0];
    assert!(twilio_signed(webhook, &tenant.auth_token), "{webhook:#?}");
    for (name, value) in [
        ("MessageSid", stored.sid.as_str()),
        ("SmsMessageSid", stored.sid.as_str()),
        ("AccountSid", tenant.account_sid.as_str()),
        ("From", USER),
        ("To", BUSINESS),
        ("Body", "Yes, confirm"),
        ("NumMedia", "0"),
        ("SmsStatus", "received"),
        ("ApiVersion", "2010-04-01"),
        ("WaId", "15557654321"),
        ("ProfileName", "Ada Lovelace"),
        ("MessageType", "button"),
        ("ButtonText", "Yes, confirm"),
        ("ButtonPayload", "confirm_42"),
        ("OriginalRepliedMessageSid", sid(&template).as_str()),
        ("OriginalRepliedMessageSender", BUSINESS),
    ] {
        assert_eq!(webhook.param(name), Some(value), "{name}: {webhook:#?}");
    }
    // The user's business-scoped user id: the country of +1, a period, twenty digits.
    let external = webhook.param("ExternalUserId").expect("ExternalUserId");
    assert!(
        external.starts_with("US.") && external.len() == 23,
        "{webhook:#?}"
    );
    // Twilio sends the SMS geography for phone numbers only, and the forwarding flags only when
    // they are true.
    for absent in [
        "FromCity",
        "FromCountry",
        "ToCountry",
        "ToZip",
        "Forwarded",
        "FrequentlyForwarded",
        "Latitude",
        "OptOutType",
    ] {
        assert_eq!(webhook.param(absent), None, "{absent}: {webhook:#?}");
    }

    // A shared location, forwarded.
    user_writes(
        &app,
        &tenant,
        proto::SendInboundRequest {
            location: Some(proto::InboundLocation {
                latitude: 37.7955,
                longitude: -122.3937,
                address: "1 Ferry Building, San Francisco".into(),
                label: "Ferry Building".into(),
            }),
            forwarded: true,
            ..Default::default()
        },
    )
    .await;
    let webhook = &incoming(&receiver)[1];
    assert!(twilio_signed(webhook, &tenant.auth_token), "{webhook:#?}");
    for (name, value) in [
        ("MessageType", "location"),
        ("Latitude", "37.7955"),
        ("Longitude", "-122.3937"),
        ("Address", "1 Ferry Building, San Francisco"),
        ("Label", "Ferry Building"),
        ("Forwarded", "true"),
        ("ProfileName", "Test User"),
        ("Body", ""),
    ] {
        assert_eq!(webhook.param(name), Some(value), "{name}: {webhook:#?}");
    }
    assert_eq!(webhook.param("ButtonPayload"), None);
}

#[tokio::test]
async fn stop_on_whatsapp_is_text_not_an_opt_out() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = whatsapp_tenant(&app, &receiver, "stop").await;

    let stop = user_writes(
        &app,
        &tenant,
        proto::SendInboundRequest {
            body: "STOP".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(stop.opt_out_type.is_empty(), "{stop:?}");
    assert!(
        stop.replies.is_empty(),
        "no confirmation: {:?}",
        stop.replies
    );
    assert_eq!(incoming(&receiver)[0].param("OptOutType"), None);

    // Not unsubscribed (no 21610), and the STOP itself opened the window.
    let reply = send(&app, &tenant, &receiver, &[("Body", "Sorry to see you go")]).await;
    app.control().await.advance(&tenant, 3 * STEP).await;
    assert_eq!(
        statuses(&callbacks_of(&receiver, &sid(&reply))),
        ["sent", "delivered", "read"]
    );
}

#[tokio::test]
async fn whatsapp_fields_need_a_whatsapp_user_and_a_real_location() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = whatsapp_tenant(&app, &receiver, "invalid").await;
    let mut control = app.control().await;
    let invalid = [
        (
            proto::SendInboundRequest {
                from: "+15557654321".into(),
                to: NUMBER.into(),
                profile_name: "Ada".into(),
                ..Default::default()
            },
            "must be whatsapp:+",
        ),
        (
            proto::SendInboundRequest {
                from: USER.into(),
                to: NUMBER.into(),
                location: Some(proto::InboundLocation {
                    latitude: 91.0,
                    ..Default::default()
                }),
                ..Default::default()
            },
            "not a latitude within ±90",
        ),
        (
            proto::SendInboundRequest {
                from: "+15557654321".into(),
                to: BUSINESS.into(),
                body: "hi".into(),
                ..Default::default()
            },
            "is not in the channel of from",
        ),
    ];
    for (request, why) in invalid {
        let refused = control
            .messages
            .send_inbound(proto::SendInboundRequest {
                account_sid: tenant.account_sid.clone(),
                ..request
            })
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        assert!(refused.message().contains(why), "{why}: {refused:?}");
    }
    assert!(incoming(&receiver).is_empty());
}

#[tokio::test]
async fn with_the_window_off_free_form_messages_go_through() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = whatsapp_tenant(&app, &receiver, "window-off").await;
    app.state
        .core
        .update_whatsapp(
            &app.tenant(&tenant.account_sid),
            WhatsAppUpdate {
                window: Some(WindowPolicy::Off),
                ..Default::default()
            },
        )
        .await
        .expect("window policy set");

    let message = send(&app, &tenant, &receiver, &[("Body", "Hello, stranger")]).await;
    app.control().await.advance(&tenant, 3 * STEP).await;
    let callbacks = callbacks_of(&receiver, &sid(&message));
    assert_eq!(statuses(&callbacks), ["sent", "delivered", "read"]);
    assert!(callbacks.iter().all(|c| c.param("ErrorCode").is_none()));
}

#[tokio::test]
async fn an_sms_stop_does_not_unsubscribe_the_user_from_whatsapp() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let tenant = whatsapp_tenant(&app, &receiver, "sms-stop").await;
    let sms_user = USER.trim_start_matches("whatsapp:");
    let stop = app
        .control()
        .await
        .messages
        .send_inbound(proto::SendInboundRequest {
            account_sid: tenant.account_sid.clone(),
            from: sms_user.into(),
            to: NUMBER.into(),
            body: "STOP".into(),
            ..Default::default()
        })
        .await
        .expect("SendInbound")
        .into_inner();
    assert_eq!(stop.opt_out_type, "STOP", "{stop:?}");
    let (status, body) = app
        .send_as(
            &tenant,
            &[("To", sms_user), ("From", NUMBER), ("Body", "hi")],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (400, Some(21610)),
        "{body}"
    );

    // WhatsApp has no SMS opt-out: the user wrote there too, and a reply goes out.
    user_writes(&app, &tenant, proto::SendInboundRequest::default()).await;
    let reply = send(
        &app,
        &tenant,
        &receiver,
        &[("Body", "Still here on WhatsApp")],
    )
    .await;
    app.control().await.advance(&tenant, 3 * STEP).await;
    assert_eq!(
        statuses(&callbacks_of(&receiver, &sid(&reply))),
        ["sent", "delivered", "read"]
    );
}
