//! The command-line tools against a running server: `sms send-inbound` and `events tail`.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

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
