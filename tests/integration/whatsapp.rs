//! The WhatsApp Cloud API: a chatbot written here is driven end to end, and every message type,
//! limit and error code answers as Meta's does. Signatures are checked with the HMAC written out
//! by hand in `support`, independent of the server's `hmac` crate.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use mockingbird::config::Config;
use mockingbird::proto;
use serde_json::{Value, json};

use crate::support::whatsapp::{
    ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, USER, VERIFY_TOKEN, messages_path,
};
use crate::support::{
    self, GraphReplies, HANG, Receiver, SID, TestApp, assert_graph_error, closed_url, meta_signed,
    spawn_with, test_config,
};

fn config_with_webhook(url: &str) -> Config {
    let mut config = test_config();
    config.whatsapp.webhook_url = Some(url.into());
    config
}

// ---------------------------------------------------------------------------------------------
// A chatbot, as a team would write one against the Graph API.

/// One webhook the bot received.
#[derive(Debug, Clone)]
struct Delivered {
    body: Value,
    raw: Vec<u8>,
    signature_ok: bool,
    mock_testing: bool,
}

#[derive(Default)]
struct BotState {
    /// The Graph API's messages URL, once the server is up.
    graph: Mutex<String>,
    received: Mutex<Vec<Delivered>>,
    /// Bodies to answer the next webhooks with, in order; an empty 200 when none is left.
    answers: Mutex<VecDeque<Value>>,
    /// What the Graph API answered to each of the bot's replies.
    replies: GraphReplies,
}

/// Answers "hi" with reply buttons, a tap on "Pay" with a list, anything else with an echo; it
/// verifies every webhook's signature and the verification handshake's token.
struct Bot {
    url: String,
    state: Arc<BotState>,
}

impl Bot {
    async fn start() -> Bot {
        let state = Arc::new(BotState::default());
        let router = Router::new()
            .route(
                "/bot/webhook",
                support::verification(VERIFY_TOKEN).post(Bot::receive),
            )
            .with_state(Arc::clone(&state));
        let url = format!("{}/bot/webhook", support::serve(router).await);
        Bot { url, state }
    }

    /// Send replies through this server's Graph API.
    fn talk_to(&self, app: &TestApp) {
        *self.state.graph.lock().unwrap() = app.url(&messages_path());
    }

    /// A server whose default tenant sends its webhooks to this bot.
    async fn server(&self) -> TestApp {
        let app = spawn_with(config_with_webhook(&self.url)).await;
        self.talk_to(&app);
        app
    }

    /// Answer the next webhook with `body` (JSON) instead of an empty 200.
    fn answer_next(&self, body: Value) {
        self.state.answers.lock().unwrap().push_back(body);
    }

    async fn receive(
        State(state): State<Arc<BotState>>,
        headers: HeaderMap,
        raw: Bytes,
    ) -> Response {
        let signature = headers
            .get("x-hub-signature-256")
            .and_then(|v| v.to_str().ok());
        let signature_ok = meta_signed(&raw, signature, APP_SECRET);
        let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        state.received.lock().unwrap().push(Delivered {
            body: body.clone(),
            raw: raw.to_vec(),
            signature_ok,
            mock_testing: headers.get("x-mock-testing").is_some(),
        });
        if !signature_ok {
            return StatusCode::FORBIDDEN.into_response();
        }
        if let Some(message) = body.pointer("/entry/0/changes/0/value/messages/0") {
            // Bots answer the webhook at once and reply through the Graph API.
            let graph = state.graph.lock().unwrap().clone();
            state
                .replies
                .send(graph, ACCESS_TOKEN, Bot::answer(message));
        }
        let answer = state.answers.lock().unwrap().pop_front();
        match answer {
            Some(body) => {
                ([("content-type", "application/json")], body.to_string()).into_response()
            }
            None => StatusCode::OK.into_response(),
        }
    }

    fn answer(message: &Value) -> Value {
        let from = message["from"].as_str().unwrap_or_default();
        let envelope = |kind: &str, object: Value| {
            let mut body = json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": from,
                "type": kind,
                "context": { "message_id": message["id"] },
            });
            body[kind] = object;
            body
        };
        if message["text"]["body"] == "hi" {
            envelope(
                "interactive",
                json!({
                    "type": "button",
                    "body": { "text": "Welcome! What would you like to do?" },
                    "action": { "buttons": [
                        { "type": "reply", "reply": { "id": "pay", "title": "Pay" } },
                        { "type": "reply", "reply": { "id": "balance", "title": "Check balance" } },
                    ] },
                }),
            )
        } else if message["interactive"]["button_reply"]["id"] == "pay" {
            envelope(
                "interactive",
                json!({
                    "type": "list",
                    "body": { "text": "How do you want to pay?" },
                    "footer": { "text": "Choose an option from the list" },
                    "action": {
                        "button": "Options",
                        "sections": [{ "title": "Actions", "rows": [
                            { "id": "pay_now", "title": "Pay now", "description": "Pay the full amount" },
                            { "id": "pay_later", "title": "Pay later" },
                        ] }],
                    },
                }),
            )
        } else {
            envelope("text", json!({ "body": "I did not understand" }))
        }
    }

    fn received(&self) -> Vec<Delivered> {
        self.state.received.lock().unwrap().clone()
    }

    /// The statuses the bot was told of for message `id`, in order.
    fn statuses_of(&self, id: &str) -> Vec<Value> {
        self.received()
            .iter()
            .filter_map(|d| {
                d.body
                    .pointer("/entry/0/changes/0/value/statuses/0")
                    .cloned()
            })
            .filter(|status| status["id"] == id)
            .collect()
    }
}

/// A simulated user's message through the control plane, to the tenant's webhook URL.
async fn user_sends_over_grpc(
    app: &TestApp,
    context_id: &str,
    message: proto::send_whats_app_inbound_request::Message,
) -> proto::SendWhatsAppInboundResponse {
    app.control()
        .await
        .whatsapp
        .send_inbound(proto::SendWhatsAppInboundRequest {
            from: USER.into(),
            profile_name: "Test User".into(),
            context_id: context_id.into(),
            message: Some(message),
            ..Default::default()
        })
        .await
        .expect("SendInbound")
        .into_inner()
}

/// A simulated user's message, through the seed's proxy to `target`.
async fn user_sends(app: &TestApp, target: &str, message: Value) -> (u16, String) {
    let body = json!({ "entry": [{ "changes": [{ "value": {
        "metadata": { "phone_number_id": PHONE_NUMBER_ID },
        "contacts": [{ "wa_id": USER, "profile": { "name": "Test User" } }],
        "messages": [message],
    } }] }] });
    let response = app
        .http
        .post(app.url(&format!("/webhook?target={target}")))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Send a message as the default tenant's bot.
async fn send(app: &TestApp, body: Value) -> (u16, Value) {
    app.graph_post(ACCESS_TOKEN, &messages_path(), &body).await
}

fn message_created_to(user: &str, text: &str) -> proto::EventFilter {
    proto::EventFilter {
        account_sid: SID.into(),
        kinds: vec![proto::EventKind::MessageCreated as i32],
        to: user.into(),
        body_contains: text.into(),
        ..Default::default()
    }
}

/// The message a `message_created` event is about.
fn created_sid(event: &proto::Event) -> String {
    match &event.payload {
        Some(proto::event::Payload::MessageCreated(created)) => {
            created.message.as_ref().expect("a message").sid.clone()
        }
        other => panic!("not a message_created event: {other:?}"),
    }
}

#[tokio::test]
async fn a_chatbot_is_driven_end_to_end() {
    let bot = Bot::start().await;
    let app = bot.server().await;
    app.freeze_default().await;
    let mut control = app.control().await;
    let tenant = app.tenant(SID);

    // "hi" → reply buttons.
    use proto::send_whats_app_inbound_request::Message as Inbound;
    let hi = user_sends_over_grpc(&app, "", Inbound::Text(proto::Text { body: "hi".into() })).await;
    assert_eq!(hi.http_status, 200, "{hi:?}");
    let buttons = control.wait_for(message_created_to(USER, "Pay"), 0).await;
    let buttons_id = created_sid(&buttons);
    assert!(buttons_id.starts_with("wamid."), "{buttons_id}");

    let inbound = bot.received();
    let hi = &inbound[0];
    assert!(hi.signature_ok && !hi.mock_testing);
    assert_eq!(hi.body["object"], "whatsapp_business_account");
    let value = &hi.body["entry"][0]["changes"][0]["value"];
    assert_eq!(hi.body["entry"][0]["changes"][0]["field"], "messages");
    assert_eq!(value["metadata"]["phone_number_id"], PHONE_NUMBER_ID);
    assert_eq!(value["contacts"][0]["wa_id"], USER);
    assert_eq!(value["messages"][0]["from"], USER);
    assert!(value["messages"][0]["timestamp"].is_string());
    assert!(
        value["messages"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with("wamid.")
    );

    // A tap on "Pay" (a reply to the buttons) → a list whose rows say "Pay now".
    let tap = user_sends_over_grpc(
        &app,
        &buttons_id,
        Inbound::ButtonReply(proto::ButtonReply {
            id: "pay".into(),
            title: "Pay".into(),
        }),
    )
    .await;
    assert_eq!(tap.http_status, 200, "{tap:?}");
    let list = control
        .wait_for(message_created_to(USER, "Pay now"), buttons.sequence)
        .await;
    let tap = &bot.received()[1].body["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(tap["context"]["id"], buttons_id.as_str());
    assert_eq!(tap["interactive"]["button_reply"]["title"], "Pay");

    // The conversation, one per user: what the user sent and what the bot answered, in order.
    let conversation = control
        .whatsapp
        .get_conversation(proto::GetConversationRequest {
            account_sid: SID.into(),
            user: USER.into(),
            limit: 10,
        })
        .await
        .expect("GetConversation")
        .into_inner();
    use proto::Direction::{Inbound as In, OutboundApi as Out};
    let turns: Vec<(i32, &str)> = conversation
        .messages
        .iter()
        .map(|m| {
            (
                m.direction,
                m.whatsapp.as_ref().unwrap().message_type.as_str(),
            )
        })
        .collect();
    assert_eq!(
        turns,
        [
            (In as i32, "text"),
            (Out as i32, "interactive"),
            (In as i32, "interactive"),
            (Out as i32, "interactive"),
        ]
    );

    // Statuses: sent → delivered → read for both replies, on the frozen clock.
    for _ in 0..3 {
        app.advance(&tenant, 2.0).await;
    }
    let list_id = created_sid(&list);
    for id in [&buttons_id, &list_id] {
        let statuses = bot.statuses_of(id);
        let names: Vec<&str> = statuses
            .iter()
            .map(|s| s["status"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["sent", "delivered", "read"], "{statuses:?}");
        assert_eq!(statuses[0]["recipient_id"], USER);
        assert!(statuses[0]["conversation"]["expiration_timestamp"].is_string());
        assert_eq!(statuses[0]["conversation"]["origin"]["type"], "service");
        assert_eq!(statuses[1]["pricing"]["pricing_model"], "PMP");
    }
    assert!(
        bot.received().iter().all(|d| d.signature_ok),
        "every webhook verifies"
    );
    // The Graph API took both of the bot's replies, and they are the messages seen above.
    let replies = bot.state.replies.wait_for(2).await;
    assert_eq!(replies.len(), 2, "{replies:?}");
    let mut replied: Vec<&str> = replies
        .iter()
        .map(|(status, answer)| {
            assert_eq!(*status, 200, "{answer}");
            answer["messages"][0]["id"].as_str().unwrap_or_default()
        })
        .collect();
    replied.sort_unstable();
    let mut expected = [buttons_id.as_str(), list_id.as_str()];
    expected.sort_unstable();
    assert_eq!(replied, expected);

    // A day later the window is closed: free-form fails with 131047, a template goes out.
    app.advance(&tenant, 24.0 * 3600.0 + 1.0).await;
    let (status, body) = send(
        &app,
        json!({ "messaging_product": "whatsapp", "to": USER, "type": "text", "text": { "body": "still there?" } }),
    )
    .await;
    assert_graph_error(status, &body, 400, 131047);
    let (status, body) = send(
        &app,
        json!({ "messaging_product": "whatsapp", "to": USER, "type": "template",
                "template": { "name": "hello_world", "language": { "code": "en_US" } } }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["messages"][0]["message_status"], "accepted");
    assert_eq!(body["contacts"][0]["wa_id"], USER);
    app.stop().await;
}

/// A user's message stored through the proxy opens the window for free-form replies.
async fn open_window(app: &TestApp, bot: &Bot) {
    let (status, body) = user_sends(
        app,
        &bot.url,
        json!({ "type": "text", "text": { "body": "hello" } }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

fn message(kind: &str, object: Value) -> Value {
    let mut body =
        json!({ "messaging_product": "whatsapp", "to": format!("+{USER}"), "type": kind });
    body[kind] = object;
    body
}

#[tokio::test]
async fn every_message_type_is_accepted_with_metas_answer() {
    let bot = Bot::start().await;
    let app = bot.server().await;
    open_window(&app, &bot).await;
    let link = |extra: Value| {
        let mut object = json!({ "link": "https://example.com/file" });
        for (k, v) in extra.as_object().unwrap() {
            object[k] = v.clone();
        }
        object
    };
    let cases = [
        message(
            "text",
            json!({ "body": "see https://example.com", "preview_url": true }),
        ),
        message("image", link(json!({ "caption": "a picture" }))),
        message("audio", link(json!({}))),
        message("video", link(json!({ "caption": "a film" }))),
        message(
            "document",
            link(json!({ "caption": "the bill", "filename": "bill.pdf" })),
        ),
        message("sticker", link(json!({}))),
        message(
            "location",
            json!({ "latitude": -17.8, "longitude": 31.05, "name": "Harare", "address": "1 Main St" }),
        ),
        message(
            "contacts",
            json!([{ "name": { "formatted_name": "Ann Lee", "first_name": "Ann" },
                     "phones": [{ "phone": "+15551234567", "type": "CELL" }] }]),
        ),
        message(
            "interactive",
            json!({ "type": "cta_url", "body": { "text": "Open the site" },
                    "action": { "name": "cta_url", "parameters": { "display_text": "Open", "url": "https://example.com" } } }),
        ),
        message(
            "interactive",
            json!({ "type": "flow", "body": { "text": "Fill the form" },
                    "action": { "name": "flow", "parameters": {
                        "flow_message_version": "3", "flow_id": "1234", "flow_cta": "Start",
                        "flow_action": "navigate", "flow_token": "not-used",
                        "flow_action_payload": { "screen": "WELCOME" } } } }),
        ),
        message(
            "template",
            json!({ "name": "hello_world", "language": { "code": "en_US" },
                    "components": [{ "type": "body", "parameters": [] }] }),
        ),
    ];
    for body in cases {
        let (status, answer) = send(&app, body.clone()).await;
        assert_eq!(status, 200, "{body} → {answer}");
        assert_eq!(answer["messaging_product"], "whatsapp");
        assert_eq!(answer["contacts"][0]["input"], format!("+{USER}"));
        assert_eq!(answer["contacts"][0]["wa_id"], USER);
        assert!(
            answer["messages"][0]["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("wamid.")),
            "{answer}"
        );
    }

    // A reaction to the user's message, then marking it read with a typing indicator.
    let user_message =
        bot.received()[0].body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let (status, answer) = send(
        &app,
        message(
            "reaction",
            json!({ "message_id": user_message, "emoji": "👍" }),
        ),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = send(
        &app,
        json!({ "messaging_product": "whatsapp", "status": "read", "message_id": user_message,
                "typing_indicator": { "type": "text" } }),
    )
    .await;
    assert_eq!((status, answer), (200, json!({ "success": true })));
    let stored = app
        .state
        .core
        .message(&app.tenant(SID), &user_message)
        .await
        .unwrap();
    assert_eq!(stored.status.as_str(), "read");
    let (status, answer) = send(
        &app,
        json!({ "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.nope" }),
    )
    .await;
    assert_graph_error(status, &answer, 400, 100);
    app.stop().await;
}

#[tokio::test]
async fn limits_and_missing_fields_get_metas_codes() {
    let bot = Bot::start().await;
    let app = bot.server().await;
    open_window(&app, &bot).await;
    let reply =
        |id: &str, title: &str| json!({ "type": "reply", "reply": { "id": id, "title": title } });
    let buttons = |list: Vec<Value>| {
        message(
            "interactive",
            json!({ "type": "button", "body": { "text": "Pick" }, "action": { "buttons": list } }),
        )
    };
    let rows = |count: usize| {
        let rows: Vec<Value> = (0..count)
            .map(|i| json!({ "id": format!("row{i}"), "title": format!("Row {i}") }))
            .collect();
        message(
            "interactive",
            json!({ "type": "list", "body": { "text": "Pick" },
                    "action": { "button": "Options", "sections": [{ "title": "All", "rows": rows }] } }),
        )
    };
    let ok = [
        buttons(vec![reply("a", "A"), reply("b", "B"), reply("c", "C")]),
        buttons(vec![reply("a", &"x".repeat(20))]),
        rows(10),
    ];
    for body in ok {
        let (status, answer) = send(&app, body.clone()).await;
        assert_eq!(status, 200, "{body} → {answer}");
    }
    let refused = [
        (
            buttons(vec![
                reply("a", "A"),
                reply("b", "B"),
                reply("c", "C"),
                reply("d", "D"),
            ]),
            131009,
        ),
        (buttons(vec![reply("a", &"x".repeat(21))]), 131009),
        (rows(11), 131009),
        (message("text", json!({})), 131008),
        (message("text", json!({ "body": "x".repeat(4097) })), 131009),
        (
            message("image", json!({ "link": "ftp://example.com/a.png" })),
            131009,
        ),
        (
            json!({ "messaging_product": "whatsapp", "type": "text", "text": { "body": "hi" } }),
            131008,
        ),
        (
            json!({ "messaging_product": "sms", "to": USER, "type": "text", "text": { "body": "hi" } }),
            100,
        ),
        (message("hologram", json!({})), 100),
    ];
    for (body, code) in refused {
        let (status, answer) = send(&app, body.clone()).await;
        assert_eq!(answer["error"]["code"], code, "{body} → {answer}");
        assert_graph_error(status, &answer, 400, code);
    }

    // Bad JSON and a body that is not an object: 100, never a 5xx.
    for raw in ["{not json", "[1, 2]", ""] {
        let response = app
            .http
            .post(app.url(&messages_path()))
            .bearer_auth(ACCESS_TOKEN)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let (status, answer) = support::read(response).await;
        assert_graph_error(status, &answer, 400, 100);
    }
    app.stop().await;
}

#[tokio::test]
async fn wrong_credentials_and_paths_get_metas_envelope() {
    let app = spawn_with(test_config()).await;
    let text = message("text", json!({ "body": "hi" }));
    let path = messages_path();
    let (status, body) = app.graph_post("EAAwrong", &path, &text).await;
    assert_graph_error(status, &body, 401, 190);
    let response = app
        .http
        .post(app.url(&path))
        .header("content-type", "application/json")
        .body(text.to_string())
        .send()
        .await
        .unwrap();
    let (status, body) = support::read(response).await;
    assert_graph_error(status, &body, 401, 190);
    let (status, body) = app
        .graph_post(ACCESS_TOKEN, "/v23.0/999999/messages", &text)
        .await;
    assert_graph_error(status, &body, 400, 100);
    assert_eq!(body["error"]["error_subcode"], 33, "{body}");
    let (status, body) = app.graph_post(ACCESS_TOKEN, "/v23.0/a/b/c", &text).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], 2500, "{body}");
    // A GET on the messages edge is not a route: Meta's envelope, not Twilio's.
    let response = app
        .http
        .get(app.url(&path))
        .bearer_auth(ACCESS_TOKEN)
        .send()
        .await
        .unwrap();
    let (status, body) = support::read(response).await;
    assert!(status >= 400, "{status}");
    assert!(body["error"]["code"].is_number(), "{body}");
    assert!(body["error"]["fbtrace_id"].is_string(), "{body}");

    // The business number itself.
    let response = app
        .http
        .get(app.url(&format!("/v23.0/{PHONE_NUMBER_ID}")))
        .bearer_auth(ACCESS_TOKEN)
        .send()
        .await
        .unwrap();
    let (status, body) = support::read(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], PHONE_NUMBER_ID);
    assert_eq!(body["display_phone_number"], "15550123456");
    app.stop().await;
}

#[tokio::test]
async fn allow_list_templates_and_rules_decide() {
    let bot = Bot::start().await;
    let mut config = config_with_webhook(&bot.url);
    config.whatsapp.allowed_recipients = Some(vec![format!("+{USER}"), "15557654321".into()]);
    config.whatsapp.templates = serde_yaml::from_str(
        "[{name: order_update, language: en_US, category: UTILITY, body_parameters: 2}]",
    )
    .unwrap();
    let app = spawn_with(config).await;
    bot.talk_to(&app);
    app.freeze_default().await;
    let tenant = app.tenant(SID);

    // Test-number mode: only the listed recipients.
    let mut stranger = message(
        "template",
        json!({ "name": "order_update", "language": { "code": "en_US" } }),
    );
    stranger["to"] = json!("15550009999");
    let (status, body) = send(&app, stranger).await;
    assert_graph_error(status, &body, 400, 131030);

    // The registry: a name it does not have in that language, and a wrong parameter count.
    let template = |name: &str, language: &str, parameters: usize| {
        let parameters: Vec<Value> = (0..parameters)
            .map(|i| json!({ "type": "text", "text": format!("p{i}") }))
            .collect();
        message(
            "template",
            json!({ "name": name, "language": { "code": language },
                    "components": [{ "type": "body", "parameters": parameters }] }),
        )
    };
    let (status, body) = send(&app, template("order_update", "pt_BR", 2)).await;
    assert_graph_error(status, &body, 404, 132001);
    let (status, body) = send(&app, template("hello_world", "en_US", 0)).await;
    assert_graph_error(status, &body, 404, 132001);
    let (status, body) = send(&app, template("order_update", "en_US", 1)).await;
    assert_graph_error(status, &body, 400, 132000);
    let (status, body) = send(&app, template("order_update", "en_US", 2)).await;
    assert_eq!(status, 200, "{body}");
    let utility_id = body["messages"][0]["id"].as_str().unwrap().to_owned();
    app.advance(&tenant, 2.0).await;
    let sent = bot.statuses_of(&utility_id);
    assert_eq!(
        sent[0]["conversation"]["origin"]["type"], "utility",
        "{sent:?}"
    );

    // Rules per recipient: a synchronous 130429 (HTTP 429), and an accepted message that fails.
    let mut control = app.control().await;
    let rule = |to: &str, outcome: proto::rule::Outcome| proto::Rule {
        when: Some(proto::MessageMatch {
            channel: "whatsapp".into(),
            to: Some(proto::AddressPattern {
                pattern: Some(proto::address_pattern::Pattern::Exact(to.into())),
            }),
            ..Default::default()
        }),
        outcome: Some(outcome),
        ..Default::default()
    };
    let second = "15557654321";
    control
        .rules
        .replace_rules(proto::ReplaceRulesRequest {
            account_sid: SID.into(),
            rules: vec![
                rule(
                    USER,
                    proto::rule::Outcome::Reject(proto::Rejection {
                        error_code: 130429,
                        http_status: 429,
                        message: "Rate limit hit".into(),
                    }),
                ),
                rule(
                    second,
                    proto::rule::Outcome::Accept(proto::Lifecycle {
                        steps: vec![proto::LifecycleStep {
                            status: proto::MessageStatus::Failed as i32,
                            delay: Some(prost_types::Duration {
                                seconds: 1,
                                nanos: 0,
                            }),
                            error_code: 131026,
                            error_message: String::new(),
                        }],
                    }),
                ),
            ],
        })
        .await
        .expect("ReplaceRules");
    let (status, body) = send(&app, template("order_update", "en_US", 2)).await;
    assert_graph_error(status, &body, 429, 130429);
    let mut to_second = template("order_update", "en_US", 2);
    to_second["to"] = json!(second);
    let (status, body) = send(&app, to_second).await;
    assert_eq!(status, 200, "{body}");
    let failing = body["messages"][0]["id"].as_str().unwrap().to_owned();
    app.advance(&tenant, 1.0).await;
    let failed = bot.statuses_of(&failing);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["status"], "failed");
    assert_eq!(failed[0]["errors"][0]["code"], 131026);
    assert!(failed[0]["errors"][0]["title"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn outside_the_window_a_message_can_fail_later_instead() {
    let bot = Bot::start().await;
    let mut config = config_with_webhook(&bot.url);
    config.whatsapp.window = mockingbird::core::tenants::WindowPolicy::FailLater;
    let app = spawn_with(config).await;
    bot.talk_to(&app);
    app.freeze_default().await;
    let (status, body) = send(&app, message("text", json!({ "body": "hi" }))).await;
    assert_eq!(status, 200, "{body}");
    let id = body["messages"][0]["id"].as_str().unwrap().to_owned();
    app.advance(&app.tenant(SID), 2.0).await;
    let statuses = bot.statuses_of(&id);
    assert_eq!(statuses[0]["status"], "failed", "{statuses:?}");
    assert_eq!(statuses[0]["errors"][0]["code"], 131047);
    app.stop().await;
}

#[tokio::test]
async fn webhooks_escape_non_ascii_and_sign_the_bytes_sent() {
    let bot = Bot::start().await;
    let app = bot.server().await;
    let (status, _) = user_sends(
        &app,
        &bot.url,
        json!({ "type": "text", "text": { "body": "äöå @ 🙏" } }),
    )
    .await;
    assert_eq!(status, 200);
    let delivered = &bot.received()[0];
    let raw = String::from_utf8(delivered.raw.clone()).unwrap();
    assert!(raw.is_ascii(), "{raw}");
    assert!(raw.contains(r"\u00e4\u00f6\u00e5 @ \ud83d\ude4f"), "{raw}");
    assert!(delivered.signature_ok);
    assert_eq!(
        delivered.body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"],
        "äöå @ 🙏"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_seed_proxy_relays_answers_and_reports_dead_or_silent_targets() {
    let bot = Bot::start().await;
    let dead = format!("{}/bot/webhook", closed_url());
    // Takes the connection, then keeps it waiting past the target timeout.
    let silent = Receiver::start().await;
    silent.answer_with(&[HANG]);
    let mut config = config_with_webhook(&bot.url);
    config.whatsapp.target_timeout_seconds = 0.5;
    for (name, url) in [
        ("local", bot.url.clone()),
        ("dead", dead.clone()),
        ("silent", silent.url("/bot/webhook")),
    ] {
        config.whatsapp.targets.insert(name.into(), url);
    }
    let app = spawn_with(config).await;
    bot.talk_to(&app);
    // The seed's early bots answered in-band: {"response": …} is unwrapped and re-indented.
    bot.answer_next(json!({ "response": { "x": 1 } }));
    let (status, answer) = user_sends(
        &app,
        "local",
        json!({ "type": "button", "button": { "payload": "button_1" } }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, "{\n  \"x\": 1\n}");
    let tapped = &bot.received()[0].body["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(
        tapped["button"],
        json!({ "payload": "button_1", "text": "button_1" })
    );
    let (status, answer) = user_sends(
        &app,
        "dead",
        json!({ "type": "text", "text": { "body": "hi" } }),
    )
    .await;
    assert_eq!(status, 502, "{answer}");
    assert!(
        answer.contains("unreachable") && answer.contains(&dead),
        "{answer}"
    );
    let (status, answer) = user_sends(
        &app,
        "silent",
        json!({ "type": "text", "text": { "body": "hi" } }),
    )
    .await;
    assert_eq!(status, 504, "{answer}");
    let answer: Value = serde_json::from_str(&answer).expect("a JSON error");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains(&silent.url("/bot/webhook"))),
        "{answer}"
    );
    assert_eq!(silent.wait_for(1).await[0].method, "POST", "it was reached");
    let (status, answer) = user_sends(
        &app,
        "nowhere",
        json!({ "type": "text", "text": { "body": "hi" } }),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("local"), "{answer}");
    app.stop().await;
}
