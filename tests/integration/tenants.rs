//! Tenants: subaccounts through Twilio's Accounts API, API keys, and isolation.

use mockingbird::core::store::ClearWhat;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn subaccounts_are_created_fetched_listed_and_updated() {
    let app = spawn_app().await;
    let (status, account) = app
        .post("/2010-04-01/Accounts.json", &[("FriendlyName", "test-1")])
        .await;
    assert_eq!(status, 201, "{account}");
    let sid = account["sid"].as_str().unwrap();
    assert!(sid.starts_with("AC") && sid.len() == 34);
    assert_eq!(account["friendly_name"], "test-1");
    assert_eq!(account["owner_account_sid"], SID);
    assert_eq!(account["status"], "active");
    assert_eq!(account["type"], "Full");
    assert_eq!(account["uri"], format!("/2010-04-01/Accounts/{sid}.json"));
    let token = account["auth_token"].as_str().unwrap();
    assert!(
        token.chars().all(|c| c.is_ascii_alphanumeric()),
        "the Go SDK needs alphanumeric tokens"
    );

    // The subaccount's own credentials and the parent's both reach it.
    let path = format!("/2010-04-01/Accounts/{sid}.json");
    assert_eq!(app.get_as(sid, token, &path).await.1["sid"], sid);
    assert_eq!(app.get(&path).await.1["sid"], sid);

    let (_, list) = app.get("/2010-04-01/Accounts.json").await;
    let sids: Vec<&str> = list["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, vec![SID, sid]);

    let (status, renamed) = app
        .post(
            &path,
            &[("FriendlyName", "renamed"), ("Status", "suspended")],
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["friendly_name"], "renamed");
    assert_eq!(renamed["status"], "suspended");
    let (status, body) = app.get_as(sid, token, &app.messages_path(sid)).await;
    assert_twilio_error(status, &body, 401, 20003);
}

#[tokio::test]
async fn a_suspended_account_is_refused_by_the_cloud_api_too() {
    let app = spawn_app().await;
    let (_, account) = app
        .post("/2010-04-01/Accounts.json", &[("FriendlyName", "bot")])
        .await;
    let sid = account["sid"].as_str().unwrap();
    let whatsapp = app.tenant(sid).account().whatsapp;
    let number = format!("/v23.0/{}", whatsapp.phone_number_id);
    let fetch_number = || async {
        let response = reqwest::Client::new()
            .get(app.url(&number))
            .bearer_auth(&whatsapp.access_token)
            .send()
            .await
            .expect("request");
        read(response).await
    };
    let (status, body) = fetch_number().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], whatsapp.phone_number_id.as_str());

    let path = format!("/2010-04-01/Accounts/{sid}.json");
    let (status, _) = app.post(&path, &[("Status", "suspended")]).await;
    assert_eq!(status, 200);
    let (status, body) = fetch_number().await;
    assert_graph_error(status, &body, 401, 190);
    let text = serde_json::json!({
        "messaging_product": "whatsapp",
        "to": "15551234567",
        "type": "text",
        "text": { "body": "hi" },
    });
    let (status, body) = app
        .graph_post(&whatsapp.access_token, &format!("{number}/messages"), &text)
        .await;
    assert_graph_error(status, &body, 401, 190);
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let app = spawn_app().await;
    let core = &app.state.core;
    let a = core
        .create_account(Some("a".into()), None, None)
        .await
        .unwrap();
    let b = core
        .create_account(Some("b".into()), None, None)
        .await
        .unwrap();
    let (a_sid, a_token) = (a.sid(), a.account().auth_token);
    let (b_sid, b_token) = (b.sid(), b.account().auth_token);
    let form = [
        ("To", "+15557654321"),
        ("From", "+15005550006"),
        ("Body", "mine"),
    ];
    let (status, a_message) = app
        .post_as(&a_sid, &a_token, &app.messages_path(&a_sid), &form)
        .await;
    assert_eq!(status, 201, "{a_message}");
    let (status, _) = app
        .post_as(&b_sid, &b_token, &app.messages_path(&b_sid), &form)
        .await;
    assert_eq!(status, 201);

    let (_, a_list) = app
        .get_as(&a_sid, &a_token, &app.messages_path(&a_sid))
        .await;
    assert_eq!(a_list["messages"].as_array().unwrap().len(), 1);
    assert_eq!(a_list["messages"][0]["sid"], a_message["sid"]);
    assert_eq!(a_list["messages"][0]["account_sid"], a_sid.as_str());

    // B's credentials on A's URL, and B's URL for A's message: refused and not found.
    let (status, body) = app
        .get_as(&b_sid, &b_token, &app.messages_path(&a_sid))
        .await;
    assert_twilio_error(status, &body, 401, 20003);
    let a_message_path = format!(
        "/2010-04-01/Accounts/{b_sid}/Messages/{}.json",
        a_message["sid"].as_str().unwrap()
    );
    let (status, body) = app.get_as(&b_sid, &b_token, &a_message_path).await;
    assert_twilio_error(status, &body, 404, 20404);

    // Clearing one tenant leaves the other.
    core.clear(Some(&a), ClearWhat::All).await.unwrap();
    assert_eq!(
        app.get_as(&a_sid, &a_token, &app.messages_path(&a_sid))
            .await
            .1["messages"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get_as(&b_sid, &b_token, &app.messages_path(&b_sid))
            .await
            .1["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn api_keys_authenticate_as_their_account() {
    let app = spawn_app().await;
    let tenant = app
        .state
        .core
        .create_account(None, None, None)
        .await
        .unwrap();
    let key = app.state.core.api_keys(&tenant.sid()).pop().unwrap();
    assert!(key.sid.starts_with("SK"));
    let (status, body) = app
        .post_as(
            &key.sid,
            &key.secret,
            &app.messages_path(&tenant.sid()),
            &[
                ("To", "+15557654321"),
                ("From", "+15005550006"),
                ("Body", "k"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .get_as(&key.sid, "wrong", &app.messages_path(&tenant.sid()))
        .await;
    assert_twilio_error(status, &body, 401, 20003);
}

#[tokio::test]
async fn without_require_auth_each_account_sid_is_its_own_tenant() {
    let mut config = test_config();
    config.twilio.validation.require_auth = false;
    let app = spawn_with(config).await;
    let one = format!("AC{}", "1".repeat(32));
    let two = format!("AC{}", "2".repeat(32));
    // The config's senders and number lists hold for every account, as they did in the seed.
    let form = [("To", "+15559999999"), ("From", FROM), ("Body", "x")];
    let (status, sent) = app
        .post_as("anyone", "anything", &app.messages_path(&one), &form)
        .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["account_sid"], one.as_str());
    let tenant = app.tenant(&one);
    app.state.core.freeze_clock(&tenant);
    app.advance(&tenant, 10.0).await;
    let path = format!(
        "/2010-04-01/Accounts/{one}/Messages/{}.json",
        sent["sid"].as_str().unwrap()
    );
    assert_eq!(app.get_as("x", "y", &path).await.1["status"], "failed");

    let (_, list) = app.get_as("x", "y", &app.messages_path(&two)).await;
    assert_eq!(list["messages"], Value::Array(vec![]));
    let (status, body) = app.get_as("x", "y", &app.messages_path("nonsense")).await;
    assert_twilio_error(status, &body, 404, 20404);
}

#[tokio::test]
async fn seed_routes_health_clear_and_callback_test() {
    let app = spawn_app().await;
    app.send(&[("To", "+15557654321"), ("From", FROM), ("Body", "x")])
        .await;
    let (status, health) = app.get("/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["provider"], "twilio");
    assert_eq!(health["statistics"]["messages"], 1);
    assert_eq!(health["statistics"]["calls"], 0);
    assert!(health["timestamp"].as_str().unwrap().ends_with('Z'));

    let other = app
        .state
        .core
        .create_account(None, None, None)
        .await
        .unwrap();
    let (status, sent) = app
        .post_as(
            &other.sid(),
            &other.account().auth_token,
            &app.messages_path(&other.sid()),
            &[
                ("To", "+15557654321"),
                ("From", "+15005550006"),
                ("Body", "x"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{sent}");

    // Scoped to one account by its credentials...
    let (status, cleared) = app.post("/clear/messages", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        cleared,
        serde_json::json!({"deleted": 1, "type": "messages"})
    );
    // ...or, as the seed did, everything.
    let response = app.http.post(app.url("/clear/all")).send().await.unwrap();
    let (_, all) = read(response).await;
    assert_eq!(all["type"], "all");
    assert_eq!(all["deleted"]["messages"], 1);
    let (status, body) = app.post("/clear/everything", &[]).await;
    assert_twilio_error(status, &body, 404, 20404);

    let (status, echo) = app
        .post(
            "/callback-test",
            &[("MessageStatus", "sent"), ("To", "+1 555")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        echo,
        serde_json::json!({"status": "received", "data": {"MessageStatus": "sent", "To": "+1 555"}})
    );
}

#[tokio::test]
async fn keys_resource_creates_renames_lists_and_revokes_api_keys() {
    let app = spawn_app().await;
    let keys = format!("/2010-04-01/Accounts/{SID}/Keys.json");
    let (status, created) = app.post(&keys, &[("FriendlyName", "ci")]).await;
    assert_eq!(status, 201, "{created}");
    let sid = created["sid"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("SK") && sid.len() == 34);
    assert_eq!(created["friendly_name"], "ci");

    // The key authenticates as its account; the secret is never shown again.
    let (status, list) = app.get_as(&sid, &secret, &app.messages_path(SID)).await;
    assert_eq!(status, 200, "{list}");
    let key_path = format!("/2010-04-01/Accounts/{SID}/Keys/{sid}.json");
    let (status, fetched) = app.get(&key_path).await;
    assert_eq!(status, 200);
    assert_eq!(fetched.get("secret"), None);
    let (_, renamed) = app.post(&key_path, &[("FriendlyName", "renamed")]).await;
    assert_eq!(renamed["friendly_name"], "renamed");
    let (_, listed) = app.get(&keys).await;
    assert_eq!(listed["keys"][0]["sid"], sid.as_str());

    let (status, _) = app.delete(&key_path).await;
    assert_eq!(status, 204);
    let (status, body) = app.get_as(&sid, &secret, &app.messages_path(SID)).await;
    assert_twilio_error(status, &body, 401, 20003);
    let (status, body) = app.get(&key_path).await;
    assert_twilio_error(status, &body, 404, 20404);
}
