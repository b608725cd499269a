//! Pending status changes and callbacks survive `kill -9`: they are rows, not tasks.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::*;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(dir: &std::path::Path, database: &std::path::Path) -> (Process, String) {
    let ready = dir.join("ready.json");
    let _ = std::fs::remove_file(&ready);
    let child = Command::new(env!("CARGO_BIN_EXE_mockingbird"))
        .args([
            "serve",
            "--port",
            "0",
            "--grpc-port",
            "0",
            "--host",
            "127.0.0.1",
        ])
        .arg("--database")
        .arg(database)
        .arg("--ready-file")
        .arg(&ready)
        .args([
            "--set",
            &format!("twilio.account_sid={SID}"),
            "--set",
            &format!("twilio.auth_token={TOKEN}"),
        ])
        .args([
            "--set",
            "twilio.validation.check_from_numbers=false",
            "--set",
            "twilio.callbacks.delay_seconds=3",
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the binary");
    let process = Process(child);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(address) = mockingbird::cli::ready_file::read(&ready, "http") {
            return (process, format!("http://{address}"));
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "server did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn pending_callbacks_resume_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("data").join("mockingbird.db");
    let receiver = Receiver::start().await;
    let (mut first, base) = start(dir.path(), &database).await;

    let response = reqwest::Client::new()
        .post(format!("{base}/2010-04-01/Accounts/{SID}/Messages.json"))
        .basic_auth(SID, Some(TOKEN))
        .form(&[
            ("To", "+15557654321"),
            ("From", FROM),
            ("Body", "survive"),
            ("StatusCallback", &receiver.url("/cb")),
        ])
        .send()
        .await
        .unwrap();
    let (status, message) = read(response).await;
    assert_eq!(status, 201, "{message}");
    // SIGKILL before the first status change (due 3 s after creation).
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    assert!(
        receiver.requests().is_empty(),
        "killed before anything was due"
    );

    let (_second, base) = start(dir.path(), &database).await;
    let requests = receiver.wait_for(2).await;
    let statuses: Vec<_> = requests
        .iter()
        .map(|r| r.param("MessageStatus").unwrap().to_owned())
        .collect();
    assert_eq!(statuses, vec!["sent", "delivered"]);
    assert!(
        requests
            .iter()
            .all(|r| r.param("MessageSid") == message["sid"].as_str())
    );
    let response = reqwest::Client::new()
        .get(format!(
            "{base}/2010-04-01/Accounts/{SID}/Messages/{}.json",
            message["sid"].as_str().unwrap()
        ))
        .basic_auth(SID, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await.1["status"], "delivered");
}

#[tokio::test]
async fn a_graceful_restart_keeps_messages_and_pending_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.database.path = dir.path().join("m.db").to_string_lossy().into_owned();
    config.twilio.callbacks.delay_seconds = 1.0;
    let receiver = Receiver::start().await;
    let app = spawn_with(config.clone()).await;
    let sent = app
        .send(&[
            ("To", "+15557654321"),
            ("From", FROM),
            ("Body", "kept"),
            ("StatusCallback", &receiver.url("/cb")),
        ])
        .await;
    app.stop().await;

    let app = spawn_with(config).await;
    let path = format!(
        "/2010-04-01/Accounts/{SID}/Messages/{}.json",
        sent["sid"].as_str().unwrap()
    );
    assert_eq!(app.get(&path).await.1["body"], "kept");
    receiver.wait_for(2).await;
}
