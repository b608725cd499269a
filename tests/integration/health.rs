//! `GET /health` keeps its figures as writes commit: they match the tables across sends,
//! deletes, clears, resets, tenant deletes and a restart on a file database.

use std::path::Path;

use mockingbird::proto::{self, EventKind};
use serde_json::Value;

use crate::support::*;

/// What `/health` says: (messages, callbacks, pending jobs).
async fn figures(app: &TestApp) -> (i64, i64, i64) {
    let (status, body) = app.get("/health").await;
    assert_eq!(status, 200, "{body}");
    let number = |value: &Value| value.as_i64().unwrap_or_else(|| panic!("{body}"));
    (
        number(&body["statistics"]["messages"]),
        number(&body["statistics"]["callbacks"]),
        number(&body["pending_jobs"]),
    )
}

/// The same figures counted from the database file.
fn counted(database: &Path) -> (i64, i64, i64) {
    let conn =
        rusqlite::Connection::open_with_flags(database, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the database");
    let count = |table: &str| -> i64 {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .expect("count")
    };
    (count("messages"), count("callback_attempts"), count("jobs"))
}

/// `/health` says `expected`, and so do the tables.
async fn assert_figures(app: &TestApp, database: &Path, expected: (i64, i64, i64), when: &str) {
    assert_eq!(figures(app).await, expected, "/health {when}");
    assert_eq!(counted(database), expected, "the tables {when}");
}

fn file_config(database: &Path) -> mockingbird::config::Config {
    let mut config = test_config();
    config.database.path = database.to_string_lossy().into_owned();
    config
}

#[tokio::test]
async fn health_figures_follow_every_write_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("mockingbird.db");
    let receiver = Receiver::start().await;
    let app = spawn_with(file_config(&database)).await;
    let default = app.freeze_default().await;
    let mut control = app.control().await;
    assert_figures(&app, &database, (0, 0, 0), "at start").await;

    // Sends: a message each, and each message's first lifecycle step waiting on the clock.
    let plain = app
        .send(&[("To", "+15551234567"), ("From", FROM), ("Body", "one")])
        .await;
    app.send(&[("To", "+15551234567"), ("From", FROM), ("Body", "two")])
        .await;
    app.send_with_callback("+15551234567", &receiver.url("/cb"))
        .await;
    assert_figures(&app, &database, (3, 0, 3), "after three sends").await;

    // The lifecycle runs out; the third message's callbacks are attempted and recorded.
    let attempted = events_of(&default, &[EventKind::CallbackAttempted]);
    control.advance(&default, 60_000).await;
    let first = control.wait_for(attempted.clone(), 0).await;
    control.wait_for(attempted, first.sequence).await;
    assert_figures(&app, &database, (3, 2, 0), "after the lifecycles").await;

    // A delete.
    let sid = plain["sid"].as_str().unwrap();
    let (status, _) = app
        .delete(&format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json"))
        .await;
    assert_eq!(status, 204);
    assert_figures(&app, &database, (2, 2, 0), "after a delete").await;

    // Another tenant's messages, then the tenant deleted.
    let other = control.tenant("other").await;
    control.number(&other, "+15550000002", "").await;
    let (status, body) = app
        .send_as(
            &other,
            &[
                ("To", "+15551234567"),
                ("From", "+15550000002"),
                ("Body", "theirs"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_figures(&app, &database, (3, 2, 1), "after another tenant's send").await;
    control
        .tenants
        .delete_tenant(proto::DeleteTenantRequest {
            account_sid: other.account_sid.clone(),
        })
        .await
        .expect("DeleteTenant");
    assert_figures(&app, &database, (2, 2, 0), "after a tenant's deletion").await;

    // A clear of callbacks, then a reset.
    let (status, body) = app.post("/clear/callbacks", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_figures(&app, &database, (2, 0, 0), "after /clear/callbacks").await;
    app.send(&[("To", "+15551234567"), ("From", FROM), ("Body", "three")])
        .await;
    assert_figures(&app, &database, (3, 0, 1), "after another send").await;
    control.reset(SID).await;
    assert_figures(&app, &database, (0, 0, 0), "after a reset").await;

    // /clear/messages and /clear/all.
    app.send(&[("To", "+15551234567"), ("From", FROM), ("Body", "four")])
        .await;
    app.send(&[("To", "+15551234567"), ("From", FROM), ("Body", "five")])
        .await;
    let (status, body) = app.post("/clear/messages", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_figures(&app, &database, (0, 0, 0), "after /clear/messages").await;
    app.send(&[("To", "+15551234567"), ("From", FROM), ("Body", "six")])
        .await;
    app.send(&[("To", "+15551234567"), ("From", FROM), ("Body", "seven")])
        .await;
    assert_figures(&app, &database, (2, 0, 2), "before the restart").await;
    app.stop().await;

    // Counted from the tables when the store opens again.
    let app = spawn_with(file_config(&database)).await;
    assert_figures(&app, &database, (2, 0, 2), "after the restart").await;
    let (status, body) = app.post("/clear/all", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_figures(&app, &database, (0, 0, 0), "after /clear/all").await;
    app.stop().await;
}
