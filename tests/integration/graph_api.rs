//! The Graph API beyond sending, as bots and their libraries call it: paths with and without a
//! version, parameters form-encoded, multipart or as JSON text, and the WhatsApp Business
//! Account's message templates with their status webhook.

use mockingbird::core::tenants::WindowPolicy;
use mockingbird::proto;
use serde_json::{Value, json};

use crate::support::whatsapp::{ACCESS_TOKEN, PHONE_NUMBER_ID, USER};
use crate::support::*;
use crate::whatsapp_media::{field, multipart};

/// A tenant of its own whose webhooks go to `receiver`, and its Cloud API identity.
pub async fn graph_tenant(
    app: &TestApp,
    label: &str,
    receiver: Option<&Receiver>,
) -> proto::WhatsAppIdentity {
    graph_tenant_with_sid(app, label, receiver).await.1
}

/// [`graph_tenant`], with the tenant's account SID.
pub async fn graph_tenant_with_sid(
    app: &TestApp,
    label: &str,
    receiver: Option<&Receiver>,
) -> (String, proto::WhatsAppIdentity) {
    let mut control = app.control().await;
    let tenant = control.tenant(label).await;
    if let Some(receiver) = receiver {
        control
            .whatsapp
            .update_settings(proto::UpdateWhatsAppSettingsRequest {
                account_sid: tenant.account_sid.clone(),
                webhook_url: Some(receiver.url("/webhook")),
                ..Default::default()
            })
            .await
            .expect("UpdateSettings");
    }
    let identity = tenant.whatsapp.expect("a WhatsApp identity");
    (tenant.account_sid, identity)
}

/// A Graph request with the tenant's token; its status and JSON answer.
pub async fn graph(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    read(request.send().await.expect("answered")).await
}

/// The default tenant with the 24-hour window off: these tests send free-form text to a user
/// who never wrote.
async fn spawn_windowless() -> TestApp {
    let mut config = test_config();
    config.whatsapp.window = WindowPolicy::Off;
    spawn_with(config).await
}

/// A bot's Graph API client: one tenant's token, JSON bodies.
pub struct Graph<'a> {
    app: &'a TestApp,
    token: &'a str,
}

impl<'a> Graph<'a> {
    pub fn new(app: &'a TestApp, token: &'a str) -> Self {
        Graph { app, token }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        graph(self.app, reqwest::Method::GET, path, self.token, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        graph(
            self.app,
            reqwest::Method::POST,
            path,
            self.token,
            Some(body),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        graph(self.app, reqwest::Method::DELETE, path, self.token, None).await
    }

    pub async fn delete_with(&self, path: &str, body: Value) -> (u16, Value) {
        graph(
            self.app,
            reqwest::Method::DELETE,
            path,
            self.token,
            Some(body),
        )
        .await
    }
}

fn text_message(body: &str) -> Value {
    json!({ "messaging_product": "whatsapp", "to": USER, "type": "text", "text": { "body": body } })
}

// ---------------------------------------------------------------------------------------------
// Paths and parameters.

#[tokio::test]
async fn paths_without_a_version_are_graph_paths_answered_by_the_latest_version() {
    let app = spawn_windowless().await;
    let response = post_graph(
        &app.http,
        &app.url(&format!("/{PHONE_NUMBER_ID}/messages")),
        ACCESS_TOKEN,
        &text_message("no version"),
    )
    .await
    .unwrap();
    assert_eq!(
        response
            .headers()
            .get("facebook-api-version")
            .and_then(|v| v.to_str().ok()),
        Some("v25.0")
    );
    let (status, answer) = read(response).await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer["messages"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with("wamid.")
    );

    // The business number without a version, and an unknown edge in Graph's words.
    let (status, number) = graph(
        &app,
        reqwest::Method::GET,
        &format!("/{PHONE_NUMBER_ID}"),
        ACCESS_TOKEN,
        None,
    )
    .await;
    assert_eq!(
        (status, number["id"].as_str()),
        (200, Some(PHONE_NUMBER_ID))
    );
    let (status, unknown) = graph(
        &app,
        reqwest::Method::POST,
        &format!("/{PHONE_NUMBER_ID}/messagez"),
        ACCESS_TOKEN,
        Some(json!({})),
    )
    .await;
    assert_graph_error(status, &unknown, 400, 2500);

    // The seed's and Twilio's routes are untouched; a path that is neither is Twilio's 404.
    let health = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let (status, accounts) = read(
        app.http
            .get(app.url("/2010-04-01/Accounts.json"))
            .basic_auth(SID, Some(TOKEN))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{accounts}");
    for path in [
        "/favicon.ico",
        "/2010-04-01/Nothing",
        "/notaversion/123/messages",
    ] {
        let (status, answer) = read(app.http.get(app.url(path)).send().await.unwrap()).await;
        assert_twilio_error(status, &answer, 404, 20404);
    }
    app.stop().await;
}

#[tokio::test]
async fn messages_take_form_multipart_and_json_text_parameters() {
    let app = spawn_windowless().await;
    let url = app.url(&format!("/v23.0/{PHONE_NUMBER_ID}/messages"));

    // A form body: objects as their JSON text, booleans as words.
    let form = [
        ("messaging_product", "whatsapp"),
        ("to", USER),
        ("type", "text"),
        ("text", r#"{"body":"from a form","preview_url":false}"#),
    ];
    let (status, answer) = read(
        app.http
            .post(&url)
            .bearer_auth(ACCESS_TOKEN)
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");

    // Multipart, as `curl -F` sends it.
    let (content_type, multipart) = multipart(&[
        field("messaging_product", "whatsapp"),
        field("to", USER),
        field("type", "text"),
        field("text", r#"{"body":"from curl -F"}"#),
    ]);
    let (status, answer) = read(
        app.http
            .post(&url)
            .bearer_auth(ACCESS_TOKEN)
            .header("content-type", content_type)
            .body(multipart)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");

    // JSON whose objects and arrays are JSON text, as a Node library sends `contacts`.
    let contacts = json!([{ "name": { "formatted_name": "Ann Lee", "first_name": "Ann" },
                            "phones": [{ "phone": "+16505551234", "type": "WORK" }] }]);
    for body in [
        json!({ "messaging_product": "whatsapp", "to": USER, "type": "contacts",
                "contacts": contacts.to_string() }),
        json!({ "messaging_product": "whatsapp", "to": USER, "type": "template",
                "template": json!({ "name": "hello_world", "language": { "code": "en_US" } }).to_string() }),
    ] {
        let (status, answer) = read(
            post_graph(&app.http, &url, ACCESS_TOKEN, &body)
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{body} → {answer}");
    }
    let sent = app
        .control()
        .await
        .messages
        .list_messages(proto::ListMessagesRequest {
            account_sid: SID.into(),
            ..Default::default()
        })
        .await
        .expect("ListMessages")
        .into_inner()
        .messages;
    let bodies: Vec<&str> = sent.iter().map(|m| m.body.as_str()).collect();
    assert!(bodies.contains(&"from a form"), "{bodies:?}");
    assert!(bodies.contains(&"from curl -F"), "{bodies:?}");

    // A form still validates as JSON does: a missing body is Meta's 131008.
    let (status, answer) = read(
        app.http
            .post(&url)
            .bearer_auth(ACCESS_TOKEN)
            .form(&[
                ("messaging_product", "whatsapp"),
                ("to", USER),
                ("type", "text"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_graph_error(status, &answer, 400, 131008);

    // The token is checked before the body is read: a wrong one is 190 whatever follows.
    let (status, answer) = read(
        app.http
            .post(&url)
            .bearer_auth("EAAwrong")
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_graph_error(status, &answer, 401, 190);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Message templates.

fn order_update() -> Value {
    json!({
        "name": "order_update",
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            { "type": "HEADER", "format": "TEXT", "text": "Your order" },
            { "type": "BODY", "text": "Hi {{1}}, your order ships today.",
              "example": { "body_text": [["Ann"]] } },
            { "type": "FOOTER", "text": "Reply STOP to opt out" },
        ],
    })
}

fn order_update_send() -> Value {
    json!({
        "messaging_product": "whatsapp", "to": USER, "type": "template",
        "template": { "name": "order_update", "language": { "code": "en_US" },
                      "components": [{ "type": "body", "parameters": [{ "type": "text", "text": "Ann" }] }] },
    })
}

#[tokio::test]
async fn a_template_created_through_the_api_is_announced_signed_and_can_be_sent() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let wa = graph_tenant(&app, "templates", Some(&receiver)).await;
    let templates = format!("/v25.0/{}/message_templates", wa.business_account_id);
    let token = wa.access_token.as_str();
    let api = Graph::new(&app, token);

    let (status, listed) = api.get(&templates).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["data"][0]["name"], "hello_world");
    assert_eq!(listed["data"][0]["status"], "APPROVED");
    assert_eq!(listed["data"][0]["category"], "UTILITY");

    // Not in the registry yet: the send is Meta's 132001.
    let send = format!("/v25.0/{}/messages", wa.phone_number_id);
    let (status, refused) = api.post(&send, order_update_send()).await;
    assert_graph_error(status, &refused, 404, 132001);

    let (status, created) = api.post(&templates, order_update()).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["status"], "APPROVED");
    assert_eq!(created["category"], "UTILITY");
    let id = created["id"].as_str().expect("an id").to_owned();

    // The status webhook, signed with the tenant's app secret.
    let webhook = receiver.wait_for(1).await.remove(0);
    assert!(meta_signed(
        webhook.body.as_bytes(),
        webhook.header("x-hub-signature-256"),
        &wa.app_secret
    ));
    let body: Value = serde_json::from_str(&webhook.body).unwrap();
    assert_eq!(body["object"], "whatsapp_business_account");
    assert_eq!(body["entry"][0]["id"], wa.business_account_id);
    assert!(body["entry"][0]["time"].is_u64());
    let change = &body["entry"][0]["changes"][0];
    assert_eq!(change["field"], "message_template_status_update");
    assert_eq!(
        change["value"],
        json!({
            "event": "APPROVED",
            "message_template_id": id.parse::<u64>().unwrap(),
            "message_template_name": "order_update",
            "message_template_language": "en_US",
            "reason": "NONE",
            "message_template_category": "UTILITY",
        })
    );

    // Sendable at once, with its one body parameter.
    let (status, sent) = api.post(&send, order_update_send()).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["messages"][0]["message_status"], "accepted");

    // Listed with its components; filters and fields narrow the list.
    let (_, listed) = api
        .get(&format!("{templates}?name=order&fields=name,components"))
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["data"][0]["id"], id.as_str());
    assert_eq!(
        listed["data"][0]["components"][1]["text"],
        "Hi {{1}}, your order ships today."
    );
    assert!(listed["data"][0].get("status").is_none());
    let (_, none) = api.get(&format!("{templates}?status=REJECTED")).await;
    assert_eq!(none["data"], json!([]));

    // Deleted by name: gone from the list and from the send path.
    let (status, deleted) = api
        .delete(&format!("{templates}?name=order_update&hsm_id={id}"))
        .await;
    assert_eq!((status, deleted), (200, json!({ "success": true })));
    let (status, refused) = api.post(&send, order_update_send()).await;
    assert_graph_error(status, &refused, 404, 132001);
    let (status, missing) = api.delete(&format!("{templates}?name=order_update")).await;
    assert_graph_error(status, &missing, 400, 100);
    app.stop().await;
}

#[tokio::test]
async fn template_creation_is_validated_authenticated_and_kept_to_its_tenant() {
    let app = spawn_app().await;
    let wa = graph_tenant(&app, "templates-a", None).await;
    let other = graph_tenant(&app, "templates-b", None).await;
    let templates = format!("/v25.0/{}/message_templates", wa.business_account_id);
    let token = wa.access_token.as_str();
    let api = Graph::new(&app, token);

    let (status, _) = api.post(&templates, order_update()).await;
    assert_eq!(status, 200);
    let (status, duplicate) = api.post(&templates, order_update()).await;
    assert_graph_error(status, &duplicate, 400, 100);
    assert_eq!(duplicate["error"]["error_subcode"], 2388024);

    let mut bad_category = order_update();
    bad_category["name"] = json!("other_name");
    bad_category["category"] = json!("NEWSLETTER");
    let mut no_name = order_update();
    no_name.as_object_mut().unwrap().remove("name");
    for body in [bad_category, no_name] {
        let (status, refused) = api.post(&templates, body).await;
        assert_graph_error(status, &refused, 400, 100);
    }

    // A form body creates as JSON does, components as JSON text.
    let form = [
        ("name", "form_made"),
        ("language", "pt_BR"),
        ("category", "marketing"),
        (
            "components",
            r#"[{"type":"BODY","text":"Olá {{1}} e {{2}}"}]"#,
        ),
    ];
    let (status, created) = read(
        app.http
            .post(app.url(&templates))
            .bearer_auth(token)
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, created["category"].as_str()),
        (200, Some("MARKETING")),
        "{created}"
    );

    // A wrong token is 190; another tenant's WABA looks like one that does not exist.
    let (status, wrong) = graph(
        &app,
        reqwest::Method::GET,
        &templates,
        "EAAnot-a-token",
        None,
    )
    .await;
    assert_graph_error(status, &wrong, 401, 190);
    let (status, hidden) = graph(
        &app,
        reqwest::Method::GET,
        &templates,
        &other.access_token,
        None,
    )
    .await;
    assert_graph_error(status, &hidden, 400, 100);
    assert_eq!(hidden["error"]["error_subcode"], 33);
    let (_, theirs) = graph(
        &app,
        reqwest::Method::GET,
        &format!("/{}/message_templates", other.business_account_id),
        &other.access_token,
        None,
    )
    .await;
    let names: Vec<&str> = theirs["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["hello_world"],
        "another tenant's registry is its own"
    );
    app.stop().await;
}
