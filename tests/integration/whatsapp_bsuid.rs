//! Business-scoped user ids (BSUIDs) and usernames end to end: a username user who hides their
//! phone writes through the control plane, the app answers their BSUID through the Graph API,
//! status webhooks name them by BSUID, and the conversation is read back by either id; BSUIDs
//! are stable per tenant and user; sends to a BSUID the tenant never met, and authentication
//! templates to a BSUID (131062).

use mockingbird::proto::{
    self, WindowPolicy, send_whats_app_inbound_request::Message as UserMessage,
};
use serde_json::{Value, json};

use crate::support::whatsapp::USER;
use crate::support::*;

/// A frozen tenant whose WhatsApp webhooks go to `receiver`, with the window policy and
/// templates given.
async fn tenant(
    control: &mut Control,
    receiver: &Receiver,
    label: &str,
    window: WindowPolicy,
    templates: Vec<proto::WhatsAppTemplate>,
) -> proto::Tenant {
    let tenant = control.tenant(label).await;
    control
        .whatsapp
        .update_settings(proto::UpdateWhatsAppSettingsRequest {
            account_sid: tenant.account_sid.clone(),
            webhook_url: Some(receiver.url("/hook")),
            window: window as i32,
            templates: Some(proto::TemplateList { templates }),
            ..Default::default()
        })
        .await
        .expect("UpdateSettings");
    control.freeze(&tenant).await;
    tenant
}

/// The server, a receiver for its webhooks, the control plane and a tenant as [`tenant`] makes
/// it.
async fn setup(
    label: &str,
    window: WindowPolicy,
    templates: Vec<proto::WhatsAppTemplate>,
) -> (TestApp, Receiver, Control, proto::Tenant) {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let mut control = app.control().await;
    let tenant = tenant(&mut control, &receiver, label, window, templates).await;
    (app, receiver, control, tenant)
}

/// The user writes "hi"; the stored message's user as the control plane reports it.
async fn user_writes(
    control: &mut Control,
    tenant: &proto::Tenant,
    username: &str,
    hide_phone: bool,
) -> proto::WhatsAppUser {
    control
        .whatsapp
        .send_inbound(proto::SendWhatsAppInboundRequest {
            account_sid: tenant.account_sid.clone(),
            from: format!("+{USER}"),
            profile_name: "Ada".into(),
            username: username.into(),
            hide_phone,
            message: Some(UserMessage::Text(proto::Text { body: "hi".into() })),
            ..Default::default()
        })
        .await
        .expect("SendInbound")
        .into_inner()
        .message
        .and_then(|m| m.whatsapp)
        .and_then(|w| w.user)
        .expect("the stored message names its user")
}

/// The app's `POST /messages` with `body` (messaging_product added).
async fn app_sends(app: &TestApp, tenant: &proto::Tenant, mut body: Value) -> (u16, Value) {
    let wa = tenant.whatsapp.clone().expect("a WhatsApp identity");
    body["messaging_product"] = json!("whatsapp");
    app.graph_post(
        &wa.access_token,
        &format!("/v23.0/{}/messages", wa.phone_number_id),
        &body,
    )
    .await
}

/// The `value` of every webhook the receiver got, in arrival order, once `count` have come.
async fn webhook_values(receiver: &Receiver, count: usize) -> Vec<Value> {
    receiver
        .wait_for(count)
        .await
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_str(&r.body).expect("JSON webhook");
            body["entry"][0]["changes"][0]["value"].clone()
        })
        .collect()
}

/// The statuses among webhook values, as (status, the status object, the value's contacts).
fn statuses(values: &[Value]) -> Vec<(String, Value, Value)> {
    values
        .iter()
        .filter_map(|v| {
            let status = v.get("statuses")?[0].clone();
            let name = status["status"].as_str()?.to_owned();
            Some((
                name,
                status,
                v.get("contacts").cloned().unwrap_or(Value::Null),
            ))
        })
        .collect()
}

#[tokio::test]
async fn a_username_user_who_hides_their_phone_is_reached_and_read_back_by_bsuid() {
    let (app, receiver, mut control, tenant) =
        setup("username", WindowPolicy::Reject, vec![]).await;

    let user = user_writes(&mut control, &tenant, "ada.l", true).await;
    assert!(
        user.user_id.starts_with("ZW.") && user.user_id.len() == 23,
        "{user:?}"
    );
    assert_eq!((user.username.as_str(), user.phone_hidden), ("ada.l", true));

    // The webhook names the user by BSUID and username only.
    let inbound = &webhook_values(&receiver, 1).await[0];
    assert_eq!(
        inbound["contacts"],
        json!([{ "profile": { "name": "Ada", "username": "ada.l" }, "user_id": user.user_id }])
    );
    let message = inbound["messages"][0].as_object().expect("a message");
    assert!(!message.contains_key("from"), "{inbound}");
    assert_eq!(message["from_user_id"], user.user_id.as_str());
    assert!(
        !inbound.to_string().contains(USER),
        "the phone shows nowhere: {inbound}"
    );

    // The app answers the BSUID it was given.
    let (status, sent) = app_sends(
        &app,
        &tenant,
        json!({ "recipient": user.user_id, "type": "text", "text": { "body": "Hello Ada" } }),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(
        sent["contacts"],
        json!([{ "input": user.user_id, "user_id": user.user_id }])
    );
    let wamid = sent["messages"][0]["id"]
        .as_str()
        .expect("a wamid")
        .to_owned();

    // A harness waits for the reply by the user's BSUID.
    let created = control
        .wait_for(
            proto::EventFilter {
                to: user.user_id.clone(),
                ..events_of(&tenant, &[proto::EventKind::MessageCreated])
            },
            0,
        )
        .await;
    let Some(proto::event::Payload::MessageCreated(created)) = created.payload else {
        panic!("not a message_created event: {created:?}");
    };
    assert_eq!(created.message.expect("a message").sid, wamid);

    // Its statuses name the user by BSUID, with the contacts block; the username from delivered on.
    control.advance(&tenant, 60_000).await;
    let values = webhook_values(&receiver, 4).await;
    let reported = statuses(&values);
    let names: Vec<&str> = reported.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["sent", "delivered", "read"]);
    for (name, status, contacts) in &reported {
        assert_eq!(status["id"], wamid.as_str());
        assert_eq!(status["recipient_user_id"], user.user_id.as_str(), "{name}");
        assert!(status.get("recipient_id").is_none(), "{name}: {status}");
        let contact = if name == "sent" {
            json!({ "user_id": user.user_id })
        } else {
            json!({ "profile": { "username": "ada.l" }, "user_id": user.user_id })
        };
        assert_eq!(contacts, &json!([contact]), "{name}");
    }

    // The conversation, by BSUID or by phone: the same user, both messages.
    for named in [user.user_id.clone(), format!("+{USER}")] {
        let conversation = control
            .whatsapp
            .get_conversation(proto::GetConversationRequest {
                account_sid: tenant.account_sid.clone(),
                user: named.clone(),
                limit: 0,
            })
            .await
            .expect("GetConversation")
            .into_inner();
        assert_eq!(conversation.user.as_ref(), Some(&user), "{named}");
        assert_eq!(conversation.messages.len(), 2, "{named}");
        assert_eq!(conversation.messages[1].sid, wamid, "{named}");
        assert_eq!(conversation.messages[1].to, USER, "{named}");
    }

    // A harness that only kept the BSUID writes as the same user: still hidden, same username.
    let again = control
        .whatsapp
        .send_inbound(proto::SendWhatsAppInboundRequest {
            account_sid: tenant.account_sid.clone(),
            from: user.user_id.clone(),
            message: Some(UserMessage::Text(proto::Text {
                body: "thanks".into(),
            })),
            ..Default::default()
        })
        .await
        .expect("SendInbound by BSUID")
        .into_inner();
    let stored = again.message.expect("the stored message");
    assert_eq!(stored.from, USER);
    assert_eq!(stored.whatsapp.and_then(|w| w.user).as_ref(), Some(&user));
    let latest = webhook_values(&receiver, 5).await.pop().expect("a webhook");
    assert_eq!(
        latest["contacts"][0]["profile"]["username"], "ada.l",
        "{latest}"
    );
    assert!(latest["messages"][0].get("from").is_none(), "{latest}");
}

#[tokio::test]
async fn a_bsuid_is_stable_per_tenant_and_user_and_differs_across_tenants() {
    let (app, receiver, mut control, first) = setup("one", WindowPolicy::Reject, vec![]).await;
    let second = tenant(&mut control, &receiver, "two", WindowPolicy::Reject, vec![]).await;

    let before = user_writes(&mut control, &first, "", false).await;
    let later = user_writes(&mut control, &first, "ada.l", false).await;
    let elsewhere = user_writes(&mut control, &second, "", false).await;
    assert_eq!(
        before.user_id, later.user_id,
        "a username leaves the BSUID as it was"
    );
    assert_ne!(
        before.user_id, elsewhere.user_id,
        "another business, another BSUID"
    );
    assert_eq!(before.wa_id, USER);

    // A user who shows their phone: both ids in the webhook, and a phone send's statuses
    // report the number and the BSUID.
    let values = webhook_values(&receiver, 3).await;
    assert_eq!(
        values[0]["contacts"],
        json!([{ "profile": { "name": "Ada" }, "wa_id": USER, "user_id": before.user_id }])
    );
    assert_eq!(values[0]["messages"][0]["from"], USER);
    assert_eq!(values[1]["contacts"][0]["profile"]["username"], "ada.l");

    let (status, sent) = app_sends(
        &app,
        &first,
        json!({ "to": format!("+{USER}"), "type": "text", "text": { "body": "hi" } }),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(
        sent["contacts"],
        json!([{ "input": format!("+{USER}"), "wa_id": USER }])
    );
    control.advance(&first, 60_000).await;
    let reported = statuses(&webhook_values(&receiver, 6).await);
    assert_eq!(reported.len(), 3, "{reported:?}");
    for (name, status, contacts) in &reported {
        assert_eq!(status["recipient_id"], USER, "{name}");
        assert_eq!(
            status["recipient_user_id"],
            before.user_id.as_str(),
            "{name}"
        );
        assert_eq!(contacts[0]["wa_id"], USER, "{name}");
        assert_eq!(contacts[0]["user_id"], before.user_id.as_str(), "{name}");
    }
}

#[tokio::test]
async fn a_bsuid_the_tenant_never_met_is_accepted_and_fails_and_a_malformed_one_is_refused() {
    let (app, receiver, mut control, tenant) = setup("unknown", WindowPolicy::Off, vec![]).await;

    let stranger = "US.10000000000000000001";
    let (status, sent) = app_sends(
        &app,
        &tenant,
        json!({ "recipient": stranger, "type": "text", "text": { "body": "hi" } }),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(
        sent["contacts"],
        json!([{ "input": stranger, "user_id": stranger }])
    );
    control.advance(&tenant, 60_000).await;
    let values = webhook_values(&receiver, 1).await;
    let reported = statuses(&values);
    assert_eq!(reported.len(), 1, "{values:?}");
    let (name, failed, contacts) = &reported[0];
    assert_eq!(name, "failed");
    assert_eq!(failed["errors"][0]["code"], 131026);
    assert_eq!(failed["recipient_user_id"], stranger);
    assert!(failed.get("recipient_id").is_none(), "{failed}");
    assert_eq!(
        contacts,
        &json!([{ "user_id": stranger }]),
        "an undeliverable message's status names only the address it was sent to"
    );

    for bad in ["16505551234", "us.123", "US."] {
        let (status, body) = app_sends(
            &app,
            &tenant,
            json!({ "recipient": bad, "type": "text", "text": { "body": "hi" } }),
        )
        .await;
        assert_graph_error(status, &body, 400, 100);
        assert!(
            body["error"]["error_data"]["details"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Param recipient must be a business-scoped user ID"),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn authentication_templates_cannot_go_to_a_bsuid() {
    let template = |name: &str, category: &str| proto::WhatsAppTemplate {
        name: name.into(),
        language: "en_US".into(),
        category: category.into(),
        body_parameters: 0,
    };
    let templates = vec![
        template("login_code", "authentication"),
        template("receipt", "utility"),
    ];
    let (app, _receiver, mut control, tenant) =
        setup("templates", WindowPolicy::Reject, templates).await;
    let user = user_writes(&mut control, &tenant, "ada.l", true).await;
    let send = |to: (&str, &str), name: &str| {
        let mut body = json!({
            "type": "template",
            "template": { "name": name, "language": { "code": "en_US" } },
        });
        body[to.0] = json!(to.1);
        body
    };

    let (status, body) = app_sends(
        &app,
        &tenant,
        send(("recipient", &user.user_id), "login_code"),
    )
    .await;
    assert_graph_error(status, &body, 400, 131062);
    assert_eq!(
        body["error"]["message"],
        "(#131062) Business-scoped User ID recipients are not supported for this message."
    );
    for (to, name) in [
        (("recipient", user.user_id.as_str()), "receipt"),
        (("to", USER), "login_code"),
    ] {
        let (status, body) = app_sends(&app, &tenant, send(to, name)).await;
        assert_eq!(status, 200, "{name} to {to:?}: {body}");
    }
}

/// A seed-shaped body through the proxy to `receiver`; the forwarded envelope's value.
async fn through_the_proxy(app: &TestApp, receiver: &Receiver, value: Value) -> (u16, Value) {
    let before = receiver.requests().len();
    let body = json!({ "entry": [{ "changes": [{ "value": value }] }] });
    let response = app
        .http
        .post(app.url(&format!("/webhook?target={}", receiver.url("/bot"))))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the proxy answers");
    let status = response.status().as_u16();
    if status != 200 {
        return read(response).await;
    }
    (
        status,
        webhook_values(receiver, before + 1).await[before].clone(),
    )
}

#[tokio::test]
async fn the_seed_proxy_forwards_bsuids_and_usernames_and_finds_a_user_by_bsuid() {
    use crate::support::whatsapp::PHONE_NUMBER_ID;
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let metadata = json!({ "phone_number_id": PHONE_NUMBER_ID });
    let text = json!({ "type": "text", "text": { "body": "hi" } });

    let (status, value) = through_the_proxy(
        &app,
        &receiver,
        json!({
            "metadata": metadata,
            "contacts": [{ "wa_id": USER, "profile": { "name": "Ada", "username": "ada.l" } }],
            "messages": [text],
        }),
    )
    .await;
    assert_eq!(status, 200, "{value}");
    let user_id = value["contacts"][0]["user_id"]
        .as_str()
        .expect("the forwarded envelope carries the BSUID")
        .to_owned();
    assert_eq!(value["contacts"][0]["profile"]["username"], "ada.l");
    assert_eq!(value["messages"][0]["from"], USER);
    assert_eq!(value["messages"][0]["from_user_id"], user_id.as_str());

    // The user hides their phone (over the control plane); a body naming them by BSUID only
    // reaches the bot as that user, still hidden, username kept.
    let mut control = app.control().await;
    let default = default_tenant(&mut control).await;
    let hidden = user_writes(&mut control, &default, "ada.l", true).await;
    assert_eq!(
        hidden.user_id, user_id,
        "the same user in the default tenant"
    );
    let (status, value) = through_the_proxy(
        &app,
        &receiver,
        json!({
            "metadata": metadata,
            "contacts": [{ "user_id": user_id, "profile": { "name": "Ada" } }],
            "messages": [text],
        }),
    )
    .await;
    assert_eq!(status, 200, "{value}");
    assert_eq!(
        value["contacts"],
        json!([{ "profile": { "name": "Ada", "username": "ada.l" }, "user_id": user_id }])
    );
    assert!(value["messages"][0].get("from").is_none(), "{value}");

    let (status, answer) = through_the_proxy(
        &app,
        &receiver,
        json!({
            "metadata": metadata,
            "contacts": [{ "user_id": "US.10000000000000000001", "profile": { "name": "X" } }],
            "messages": [text],
        }),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no user this business has met"),
        "{answer}"
    );
}

/// The default tenant, as the control plane names it.
async fn default_tenant(control: &mut Control) -> proto::Tenant {
    control
        .tenants
        .get_tenant(proto::GetTenantRequest::default())
        .await
        .expect("GetTenant")
        .into_inner()
}
