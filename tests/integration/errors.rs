//! Errors: Twilio's codes for bad requests, and Twilio's envelope for every 4xx, including the
//! router's own. Nothing is stored by a refused request.

use serde_json::Value;

use crate::support::*;

async fn stored_messages(app: &TestApp) -> usize {
    app.get(&app.messages_path(SID)).await.1["messages"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn validation_errors_carry_twilio_codes() {
    let app = spawn_app().await;
    let path = app.messages_path(SID);
    let long = "x".repeat(1601);
    let cases: Vec<(Vec<(&str, &str)>, u64)> = vec![
        (vec![("From", FROM), ("Body", "hi")], 21604),
        (vec![("To", "+15557654321"), ("Body", "hi")], 21603),
        (vec![("To", "+15557654321"), ("From", FROM)], 21602),
        (
            vec![("To", "+15557654321"), ("From", FROM), ("Body", &long)],
            21617,
        ),
        (vec![("To", "+1asd"), ("From", FROM), ("Body", "hi")], 21211),
        (
            vec![("To", "+15557654321"), ("From", "abc\\"), ("Body", "hi")],
            21212,
        ),
        (
            vec![
                ("To", "+15557654321"),
                ("From", "+15550009999"),
                ("Body", "hi"),
            ],
            21606,
        ),
        (
            vec![
                ("To", "+15557654321"),
                ("MessagingServiceSid", "MGnope"),
                ("Body", "hi"),
            ],
            21701,
        ),
        (
            vec![
                ("To", "+15557654321"),
                ("From", FROM),
                ("Body", "hi"),
                ("StatusCallback", "not a url"),
            ],
            21609,
        ),
        // Twilio's test-credential magic numbers.
        (
            vec![("To", "+15005550001"), ("From", FROM), ("Body", "hi")],
            21211,
        ),
        (
            vec![("To", "+15005550002"), ("From", FROM), ("Body", "hi")],
            21612,
        ),
        (
            vec![("To", "+15005550003"), ("From", FROM), ("Body", "hi")],
            21408,
        ),
        (
            vec![("To", "+15005550004"), ("From", FROM), ("Body", "hi")],
            21610,
        ),
        (
            vec![("To", "+15005550009"), ("From", FROM), ("Body", "hi")],
            21614,
        ),
        (
            vec![
                ("To", "+15557654321"),
                ("From", "+15005550001"),
                ("Body", "hi"),
            ],
            21212,
        ),
        (
            vec![
                ("To", "+15557654321"),
                ("From", "+15005550007"),
                ("Body", "hi"),
            ],
            21606,
        ),
        (
            vec![
                ("To", "+15557654321"),
                ("From", "+15005550008"),
                ("Body", "hi"),
            ],
            21611,
        ),
    ];
    for (form, code) in cases {
        let (status, body) = app.post(&path, &form).await;
        assert_twilio_error(status, &body, 400, code);
    }
    // Exactly 1600 characters is allowed, and the magic valid sender is always accepted.
    app.send(&[
        ("To", "+15557654321"),
        ("From", FROM),
        ("Body", &"x".repeat(1600)),
    ])
    .await;
    app.send(&[
        ("To", "+15557654321"),
        ("From", "+15005550006"),
        ("Body", "hi"),
    ])
    .await;
    assert_eq!(stored_messages(&app).await, 2);
}

#[tokio::test]
async fn the_seed_toggles_switch_validation_off() {
    let mut config = test_config();
    config.twilio.validation.validate_phone_format = false;
    config.twilio.validation.check_from_numbers = false;
    config.twilio.validation.require_parameters = false;
    let app = spawn_with(config).await;
    // The seed answered these with 500 (JSON built by text templates); here they are data.
    app.send(&[("To", "+1555\"123"), ("From", "abc\\"), ("Body", "hi")])
        .await;
    app.send(&[("To", "+15557654321")]).await;
}

#[tokio::test]
async fn authentication_failures_are_20003() {
    let app = spawn_app().await;
    let path = app.messages_path(SID);
    let (status, body) = app.get_as(SID, "wrong", &path).await;
    assert_twilio_error(status, &body, 401, 20003);
    assert_eq!(
        body["detail"],
        "Your AccountSid or AuthToken was incorrect."
    );

    let response = app.http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"Twilio API\""
    );
    let (status, body) = read(response).await;
    assert_twilio_error(status, &body, 401, 20003);

    let (status, body) = app
        .post_as(
            "SKnope",
            "nope",
            &path,
            &[("To", "+15557654321"), ("From", FROM), ("Body", "x")],
        )
        .await;
    assert_twilio_error(status, &body, 401, 20003);
    // A valid account may not act on another account's URL.
    let other = format!("AC{}", "f".repeat(32));
    let (status, body) = app.get(&app.messages_path(&other)).await;
    assert_twilio_error(status, &body, 401, 20003);
    assert_eq!(stored_messages(&app).await, 0);
}

#[tokio::test]
async fn router_errors_use_the_twilio_envelope() {
    let app = spawn_app().await;
    let unknown = format!(
        "/2010-04-01/Accounts/{SID}/Messages/SM{}.json",
        "0".repeat(32)
    );
    let (status, body) = app.get(&unknown).await;
    assert_twilio_error(status, &body, 404, 20404);
    assert_eq!(
        body["message"],
        format!("The requested resource {unknown} was not found")
    );

    for path in [
        format!("/2010-04-01/Accounts/{SID}/Messages/nonsense.json"),
        format!("/2010-04-01/Accounts/{SID}/Messages/SM123"),
        format!("/2010-04-01/Accounts/{SID}/Nothing.json"),
        "/nowhere".to_owned(),
    ] {
        let (status, body) = app.get(&path).await;
        assert_twilio_error(status, &body, 404, 20404);
    }

    let response = app
        .http
        .put(app.url(&app.messages_path(SID)))
        .basic_auth(SID, Some(TOKEN))
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_twilio_error(status, &body, 405, 20004);
    let response = app.http.patch(app.url("/health")).send().await.unwrap();
    let (status, body) = read(response).await;
    assert_twilio_error(status, &body, 405, 20004);
}

#[tokio::test]
async fn malformed_bodies_get_4xx_and_store_nothing() {
    let app = spawn_app().await;
    let url = app.url(&app.messages_path(SID));
    let post = |content_type: &'static str, body: Vec<u8>| {
        app.http
            .post(&url)
            .basic_auth(SID, Some(TOKEN))
            .header("Content-Type", content_type)
            .body(body)
    };

    let (status, body) = read(
        post("application/json", br#"{"To":"+15557654321"}"#.to_vec())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_twilio_error(status, &body, 415, 20415);

    let (status, body) = read(
        post(
            "application/x-www-form-urlencoded",
            b"To=%2B15557654321&From=%2B15550000001&Body=%FF%FE".to_vec(),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_twilio_error(status, &body, 400, 20001);

    let (status, body) = read(
        post("application/x-www-form-urlencoded", b"&&=&%%%&To".to_vec())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_twilio_error(status, &body, 400, 21604);

    let huge = format!(
        "To=%2B15557654321&From=%2B15550000001&Body={}",
        "a".repeat(2 * 1024 * 1024)
    );
    let (status, body) = read(
        post("application/x-www-form-urlencoded", huge.into_bytes())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_twilio_error(status, &body, 413, 20413);

    let (status, body) = read(
        app.http
            .post(&url)
            .basic_auth(SID, Some(TOKEN))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_twilio_error(status, &body, 400, 21604);

    assert_eq!(stored_messages(&app).await, 0);
}

#[tokio::test]
async fn absurd_paging_parameters_are_refused_or_capped() {
    let app = spawn_app().await;
    let path = app.messages_path(SID);
    for query in [
        "PageSize=0",
        "PageSize=-1",
        "PageSize=abc",
        "PageSize=99999999999999999999",
        "Page=-3",
        "PageToken=PAnothing",
        "PageToken=XX",
        "DateSent=never",
    ] {
        let (status, body) = app.get(&format!("{path}?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["status"], 400, "{query}");
        assert!(body["code"].as_u64().is_some(), "{query}");
    }
    let (status, body) = app.get(&format!("{path}?Page=2")).await;
    assert_twilio_error(status, &body, 400, 20001);
    let (status, body) = app.get(&format!("{path}?PageSize=5000")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["page_size"], 1000);
    assert_eq!(body["messages"], Value::Array(vec![]));
}
