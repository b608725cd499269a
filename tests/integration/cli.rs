//! The command-line tools against a running server: `sms send-inbound`, `events tail` and
//! `whatsapp send`.

use std::process::Stdio;
use std::sync::{Arc, OnceLock};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use mockingbird::proto;
use serde_json::{Value, json};

use crate::support::*;

const USER: &str = "+15557654321";
const NUMBER: &str = "+15550101010";

fn mockingbird() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mockingbird"));
    command
        .current_dir(std::env::temp_dir())
        .env_remove("MOCKINGBIRD_CONFIG")
        .kill_on_drop(true);
    command
}

/// `mockingbird sms send-inbound`: the user texts "ping" to `number` of `tenant`.
async fn send_inbound(app: &TestApp, tenant: &str, number: &str) -> std::process::Output {
    let run = mockingbird()
        .args(["sms", "send-inbound", "--server", &app.grpc])
        .args(["--tenant", tenant, "--from", USER, "--to", number])
        .arg("ping")
        .output();
    tokio::time::timeout(WAIT, run)
        .await
        .expect("sms send-inbound finishes in time")
        .expect("run sms send-inbound")
}

#[tokio::test]
async fn send_inbound_delivers_a_text_and_tail_prints_it() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    receiver.reply_with("<Response><Message>pong</Message></Response>");
    let mut control = app.control().await;
    let tenant = control.tenant("cli").await;
    control.number(&tenant, NUMBER, &receiver.url("/sms")).await;

    let mut tail = mockingbird()
        .args(["events", "tail", "--server", &app.grpc, "--from-start"])
        .args([
            "--tenant",
            &tenant.account_sid,
            "--kind",
            "inbound_delivered",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start events tail");

    let sent = send_inbound(&app, &tenant.account_sid, NUMBER).await;
    let printed = String::from_utf8_lossy(&sent.stdout);
    assert!(
        sent.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert!(
        printed.contains(&format!("webhook POST {}: 200", receiver.url("/sms"))),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("→ {USER}: \"pong\"")),
        "{printed}"
    );
    assert_eq!(receiver.wait_for(1).await[0].param("Body"), Some("ping"));

    let stdout = tail.stdout.take().expect("tail's output");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("tail prints in time")
        .expect("tail's output is readable")
        .expect("a line");
    assert!(line.contains("inbound_delivered"), "{line}");
    assert!(
        line.contains(&tenant.account_sid) && line.contains("\"ping\""),
        "{line}"
    );
    assert!(line.contains("app 200"), "{line}");

    // A tenant without the number: the error names the problem.
    let refused = send_inbound(&app, &tenant.account_sid, "+15559990000").await;
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("has no number +15559990000"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// `whatsapp send`

/// A chatbot working as the seed's bots do in production: it answers the webhook at once, then
/// replies through the Graph API as the config's default tenant — reply buttons to "hi", a list
/// to a tapped button.
#[derive(Clone)]
struct Bot {
    /// `{base}/v23.0/{phone_number_id}/messages` of the server under test, once it is up (its
    /// targets name the bot, so the bot is up first).
    graph: Arc<OnceLock<String>>,
    replies: GraphReplies,
}

async fn bot_webhook(
    axum::extract::State(bot): axum::extract::State<Bot>,
    body: String,
) -> axum::Json<Value> {
    let update: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let message = update
        .pointer("/entry/0/changes/0/value/messages/0")
        .cloned()
        .unwrap_or(Value::Null);
    let interactive = match message["type"].as_str() {
        Some("text") if message["text"]["body"] == "hi" => json!({
            "type": "button",
            "body": { "text": "Welcome! What would you like to do?" },
            "action": { "buttons": [
                { "type": "reply", "reply": { "id": "pay", "title": "Pay" } },
                { "type": "reply", "reply": { "id": "balance", "title": "Balance" } },
            ] },
        }),
        Some("button" | "interactive") => json!({
            "type": "list",
            "body": { "text": "Choose an account" },
            "action": {
                "button": "Accounts",
                "sections": [{ "title": "Yours", "rows": [
                    { "id": "savings", "title": "Savings", "description": "USD 100" },
                    { "id": "current", "title": "Current" },
                ] }],
            },
        }),
        _ => Value::Null,
    };
    let mut reply = json!({
        "messaging_product": "whatsapp",
        "type": "interactive",
        "interactive": interactive,
    });
    // A bot written for 2026: the phone number when the user shows it, else the BSUID.
    match message.get("from") {
        Some(from) => reply["to"] = from.clone(),
        None => reply["recipient"] = message["from_user_id"].clone(),
    }
    let graph = bot.graph.get().cloned().unwrap_or_default();
    bot.replies.send(graph, whatsapp::ACCESS_TOKEN, reply);
    axum::Json(json!({ "status": "received" }))
}

/// A bot that answers later than the test config's target timeout.
async fn slow_webhook() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    "late"
}

/// The server with targets `local` (the bot), `slow` and `down` (a closed port).
struct WhatsAppServer {
    app: TestApp,
    slow: String,
    down: String,
    /// What the Graph API answered to the bot's replies.
    replies: GraphReplies,
}

async fn whatsapp_server() -> WhatsAppServer {
    let bot = Bot {
        graph: Arc::default(),
        replies: GraphReplies::default(),
    };
    let bot_url = serve(
        axum::Router::new()
            .route("/bot/webhook", axum::routing::post(bot_webhook))
            .route("/slow", axum::routing::post(slow_webhook))
            .with_state(bot.clone()),
    )
    .await;
    let slow = format!("{bot_url}/slow");
    let down = format!("{}/bot/webhook", closed_url());
    let mut config = test_config();
    config.whatsapp.target_timeout_seconds = 0.5;
    for (name, url) in [
        ("local", format!("{bot_url}/bot/webhook")),
        ("slow", slow.clone()),
        ("down", down.clone()),
    ] {
        config.whatsapp.targets.insert(name.into(), url);
    }
    let app = spawn_with(config).await;
    bot.graph
        .set(app.url(&whatsapp::messages_path()))
        .expect("set once");
    WhatsAppServer {
        app,
        slow,
        down,
        replies: bot.replies,
    }
}

/// `mockingbird whatsapp send --target <target> [args] <text>` as the seed page's user.
async fn whatsapp_send(app: &TestApp, target: &str, args: &[&str], text: &str) -> (bool, String) {
    let run = mockingbird()
        .args(["whatsapp", "send", "--server", &app.grpc])
        .args([
            "--phone",
            whatsapp::USER,
            "--name",
            "Test User",
            "--target",
            target,
        ])
        .args(["--wait", "1.5"])
        .args(args)
        .arg(text)
        .output();
    let output = tokio::time::timeout(WAIT, run)
        .await
        .expect("whatsapp send finishes in time")
        .expect("run whatsapp send");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.code() == Some(0) || output.status.code() == Some(1),
        "exit status {:?}: {printed}",
        output.status
    );
    (output.status.success(), printed)
}

#[tokio::test]
async fn whatsapp_send_prints_the_bots_answer_and_its_replies() {
    let WhatsAppServer { app, replies, .. } = whatsapp_server().await;

    let (ok, printed) = whatsapp_send(&app, "local", &[], "hi").await;
    assert!(ok, "{printed}");
    assert!(printed.starts_with("→ 200 OK\n"), "{printed}");
    assert!(printed.contains(r#""status": "received""#), "{printed}");
    assert!(
        printed.contains("← Welcome! What would you like to do?\n  [Pay] [Balance]"),
        "{printed}"
    );

    let list = "← Choose an account\n  [Accounts]\n  Yours\n  - Savings: USD 100\n  - Current";
    for kind in ["button", "interactive"] {
        let (ok, printed) = whatsapp_send(&app, "local", &["--type", kind], "pay").await;
        assert!(ok, "{kind}: {printed}");
        assert!(printed.contains(list), "{kind}: {printed}");
        assert!(
            !printed.contains("[Pay] [Balance]"),
            "{kind}: only replies to this message are printed: {printed}"
        );
    }

    // What the bot saw, and the whole conversation, through the control plane.
    let mut control = app.control().await;
    let conversation = control
        .whatsapp
        .get_conversation(proto::GetConversationRequest {
            user: whatsapp::USER.into(),
            ..Default::default()
        })
        .await
        .expect("GetConversation")
        .into_inner()
        .messages;
    let types: Vec<String> = conversation
        .iter()
        .filter_map(|m| m.whatsapp.as_ref())
        .map(|w| w.message_type.clone())
        .collect();
    assert_eq!(
        types,
        [
            "text",
            "interactive",
            "button",
            "interactive",
            "interactive",
            "interactive"
        ]
    );
    assert_eq!(
        conversation[0]
            .whatsapp
            .as_ref()
            .map(|w| w.profile_name.as_str()),
        Some("Test User")
    );

    // The Graph API took each of the bot's three replies.
    let replies = replies.wait_for(3).await;
    assert_eq!(replies.len(), 3, "{replies:?}");
    for (status, answer) in &replies {
        assert_eq!(*status, 200, "{answer}");
    }
}

#[tokio::test]
async fn whatsapp_send_simulates_a_username_user_who_hides_their_phone() {
    let WhatsAppServer { app, replies, .. } = whatsapp_server().await;

    let (ok, printed) = whatsapp_send(
        &app,
        "local",
        &["--username", "test.user", "--hide-phone"],
        "hi",
    )
    .await;
    assert!(ok, "{printed}");
    assert!(
        printed.contains("← Welcome! What would you like to do?"),
        "the bot's reply to the BSUID reaches the user: {printed}"
    );
    let replies = replies.wait_for(1).await;
    assert_eq!(replies[0].0, 200, "{replies:?}");
    let user_id = replies[0].1["contacts"][0]["user_id"]
        .as_str()
        .expect("the bot addressed the BSUID")
        .to_owned();

    let mut control = app.control().await;
    let conversation = control
        .whatsapp
        .get_conversation(proto::GetConversationRequest {
            user: user_id.clone(),
            ..Default::default()
        })
        .await
        .expect("GetConversation")
        .into_inner();
    let user = conversation.user.expect("the user");
    assert_eq!(
        (
            user.user_id.as_str(),
            user.username.as_str(),
            user.phone_hidden
        ),
        (user_id.as_str(), "test.user", true)
    );
    assert_eq!(conversation.messages.len(), 2);

    // Hiding the phone needs a username, as on WhatsApp.
    let refused = mockingbird()
        .args([
            "whatsapp",
            "send",
            "--server",
            &app.grpc,
            "--hide-phone",
            "hi",
        ])
        .output()
        .await
        .expect("run whatsapp send");
    let printed = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "a usage error: {printed}");
    assert!(printed.contains("--username"), "{printed}");
}

#[tokio::test]
async fn whatsapp_send_reports_an_unreachable_or_slow_bot_as_the_seed_did() {
    let WhatsAppServer {
        app, slow, down, ..
    } = whatsapp_server().await;

    let (ok, printed) = whatsapp_send(&app, "down", &[], "hi").await;
    assert!(!ok, "{printed}");
    assert!(
        printed.contains(&format!("502 Bad Gateway: {down} is unreachable: ")),
        "{printed}"
    );

    let (ok, printed) = whatsapp_send(&app, "slow", &[], "hi").await;
    assert!(!ok, "{printed}");
    assert!(
        printed.contains(&format!(
            "504 Gateway Timeout: {slow} did not answer within 0.5 s"
        )),
        "{printed}"
    );

    let (ok, printed) = whatsapp_send(&app, "production", &[], "hi").await;
    assert!(!ok, "{printed}");
    assert!(
        printed.contains("unknown target \"production\"") && printed.contains("down, local, slow"),
        "{printed}"
    );
}

// ---------------------------------------------------------------------------------------------
// Finding the server

/// The CLI finds a server started on port 0 through its ready file (the flag or
/// `$MOCKINGBIRD_READY_FILE`), reads the config the server read, and says which address it uses.
#[tokio::test]
async fn the_cli_finds_the_server_through_its_ready_file_and_says_where_it_is() {
    use crate::binary::{Serving, mockingbird};
    let dir = tempfile::tempdir().unwrap();
    let (serving, ready) = Serving::shipped(dir.path()).await;
    let ready = ready.to_str().unwrap();
    // Elsewhere, with no config file at hand: the ready file names the server's.
    let elsewhere = tempfile::tempdir().unwrap();
    let by_flag = mockingbird(elsewhere.path())
        .args(["sms", "send-inbound", "--ready-file", ready])
        .args(["--from", USER, "--to", "+15550000001", "hi"])
        .output();
    let by_env = mockingbird(elsewhere.path())
        .env("MOCKINGBIRD_READY_FILE", ready)
        .args([
            "sms",
            "send-inbound",
            "--from",
            USER,
            "--to",
            "+15550000002",
            "hi",
        ])
        .output();
    for run in [by_flag, by_env] {
        let output = tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(output.status.success(), "{stdout}{stderr}");
        assert!(
            stderr.contains(&format!(
                "using the control plane at {} (from the ready file {ready})",
                serving.grpc
            )),
            "{stderr}"
        );
        assert!(stdout.contains("received SM"), "{stdout}");
    }
    // Without a ready file or --server, the config's port, and the CLI says so.
    let guessed = mockingbird(elsewhere.path())
        .args(["sms", "send-inbound", "--from", USER, "--to", NUMBER, "hi"])
        .output();
    let output = tokio::time::timeout(WAIT, guessed).await.unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "using the control plane at http://127.0.0.1:50051 (from the default control.port, without a config file)"
        ),
        "{stderr}"
    );
}
