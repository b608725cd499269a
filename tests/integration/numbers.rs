//! Twilio's IncomingPhoneNumbers: buying, listing, updating and releasing a tenant's numbers,
//! and what a bought number is good for (a `From`, a destination for inbound texts).

use mockingbird::core::messaging::users::InboundText;
use serde_json::Value;

use crate::support::*;

const NUMBER: &str = "+14155550100";

fn numbers_path() -> String {
    format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json")
}

fn number_path(sid: &str) -> String {
    format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/{sid}.json")
}

/// Buy a number as the default account; panics unless it is created.
async fn buy(app: &TestApp, form: &[(&str, &str)]) -> Value {
    let (status, body) = app.post(&numbers_path(), form).await;
    assert_eq!(status, 201, "{body}");
    body
}

fn phone_numbers(list: &Value) -> Vec<&str> {
    list["incoming_phone_numbers"]
        .as_array()
        .unwrap_or_else(|| panic!("no incoming_phone_numbers: {list}"))
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_number_is_bought_fetched_updated_and_released() {
    let app = spawn_app().await;
    let number = buy(
        &app,
        &[
            ("PhoneNumber", NUMBER),
            ("SmsUrl", "https://example.com/sms"),
            ("VoiceUrl", "https://example.com/voice"),
            ("VoiceMethod", "get"),
            // Accepted and ignored, as mockingbird has no applications or caller-ID lookups.
            ("VoiceCallerIdLookup", "true"),
            ("ApiVersion", "2010-04-01"),
        ],
    )
    .await;
    let sid = number["sid"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("PN") && sid.len() == 34, "{sid}");

    // Exactly the fields Twilio sends (and the SDKs read).
    let mut keys: Vec<&str> = number
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = vec![
        "account_sid",
        "address_requirements",
        "address_sid",
        "api_version",
        "beta",
        "bundle_sid",
        "capabilities",
        "date_created",
        "date_updated",
        "emergency_address_sid",
        "emergency_address_status",
        "emergency_status",
        "friendly_name",
        "identity_sid",
        "origin",
        "phone_number",
        "sid",
        "sms_application_sid",
        "sms_fallback_method",
        "sms_fallback_url",
        "sms_method",
        "sms_url",
        "status",
        "status_callback",
        "status_callback_method",
        "trunk_sid",
        "type",
        "uri",
        "voice_application_sid",
        "voice_caller_id_lookup",
        "voice_fallback_method",
        "voice_fallback_url",
        "voice_method",
        "voice_receive_mode",
        "voice_url",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);

    assert_eq!(number["account_sid"], SID);
    assert_eq!(number["phone_number"], NUMBER);
    assert_eq!(number["friendly_name"], "(415) 555-0100");
    assert_eq!(number["api_version"], "2010-04-01");
    assert_eq!(number["beta"], false);
    assert_eq!(
        number["capabilities"],
        serde_json::json!({"voice": true, "sms": true, "mms": true, "fax": false})
    );
    assert_eq!(number["origin"], "twilio");
    assert_eq!(number["status"], "in-use");
    assert_eq!(number["sms_url"], "https://example.com/sms");
    assert_eq!(number["sms_method"], "POST");
    assert_eq!(number["sms_fallback_url"], "");
    assert_eq!(number["status_callback"], "");
    assert_eq!(number["voice_url"], "https://example.com/voice");
    assert_eq!(number["voice_method"], "GET");
    assert_eq!(number["voice_fallback_url"], Value::Null);
    assert_eq!(number["voice_caller_id_lookup"], false);
    assert_eq!(number["type"], "local");
    assert_eq!(number["sms_application_sid"], Value::Null);
    assert!(
        number["date_created"].as_str().unwrap().ends_with(" +0000"),
        "{number}"
    );
    assert_eq!(number["uri"], number_path(&sid));

    let (status, fetched) = app.get(&number_path(&sid)).await;
    assert_eq!(status, 200, "{fetched}");
    assert_eq!(fetched, number);

    let (status, updated) = app
        .post(
            &number_path(&sid),
            &[
                ("FriendlyName", "support line"),
                ("SmsUrl", "https://example.com/sms2"),
                ("SmsMethod", "GET"),
                ("StatusCallback", "https://example.com/status"),
                ("VoiceUrl", ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["friendly_name"], "support line");
    assert_eq!(updated["sms_url"], "https://example.com/sms2");
    assert_eq!(updated["sms_method"], "GET");
    assert_eq!(updated["status_callback"], "https://example.com/status");
    assert_eq!(updated["status_callback_method"], "POST");
    assert_eq!(updated["voice_url"], Value::Null, "an empty URL removes it");
    assert_eq!(updated["voice_method"], "GET", "untouched");
    assert_eq!(updated["date_created"], number["date_created"]);
    assert_eq!(app.get(&number_path(&sid)).await.1, updated);

    let (status, body) = app.delete(&number_path(&sid)).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(body, Value::Null);
    let (status, body) = app.get(&number_path(&sid)).await;
    assert_twilio_error(status, &body, 404, 20404);
    assert!(!app.tenant(SID).owns_number(NUMBER));
}

#[tokio::test]
async fn the_list_filters_and_pages() {
    let app = spawn_app().await;
    // The default account starts with the config's sender, FROM.
    for (number, name) in [
        ("+14155550100", "first"),
        ("+14155550101", "second"),
        ("+18005550100", "toll free"),
        // A UK mobile (07400…): Ofcom's drama range 07700 900… is in no mobile range.
        ("+447400123456", "london"),
    ] {
        buy(&app, &[("PhoneNumber", number), ("FriendlyName", name)]).await;
    }

    let (status, list) = app.get(&numbers_path()).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        phone_numbers(&list),
        vec![
            FROM,
            "+14155550100",
            "+14155550101",
            "+18005550100",
            "+447400123456"
        ]
    );
    assert_eq!(list["page"], 0);
    assert_eq!(list["page_size"], 50);
    assert_eq!(list["next_page_uri"], Value::Null);

    let filtered = |query: &'static str| {
        let app = &app;
        async move {
            let (status, list) = app.get(&format!("{}?{query}", numbers_path())).await;
            assert_eq!(status, 200, "{list}");
            phone_numbers(&list)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        filtered("PhoneNumber=%2B14155550101").await,
        ["+14155550101"]
    );
    // Part of a number, and `*` for any digit, as on Twilio.
    assert_eq!(
        filtered("PhoneNumber=555010*").await,
        ["+14155550100", "+14155550101", "+18005550100"]
    );
    assert_eq!(filtered("FriendlyName=london").await, ["+447400123456"]);
    assert!(filtered("FriendlyName=nobody").await.is_empty());
    assert!(filtered("Origin=hosted").await.is_empty());

    // By kind, from the number's country plan: toll-free area codes, mobile ranges.
    let by_kind = |kind: &'static str| {
        let app = &app;
        async move {
            let path = format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/{kind}.json");
            let (status, list) = app.get(&path).await;
            assert_eq!(status, 200, "{list}");
            assert!(
                list["incoming_phone_numbers"][0].get("type").is_none(),
                "the by-kind lists' items have no type: {list}"
            );
            phone_numbers(&list)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(by_kind("TollFree").await, ["+18005550100"]);
    assert_eq!(by_kind("Mobile").await, ["+447400123456"]);
    assert_eq!(by_kind("Local").await.len(), 3);
    let types: Vec<&str> = list["incoming_phone_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["type"].as_str())
        .collect();
    assert!(
        types.contains(&"toll-free") && types.contains(&"mobile") && types.contains(&"local"),
        "{types:?}"
    );

    // Paging: follow next_page_uri as the SDKs do.
    let (_, first) = app.get(&format!("{}?PageSize=2", numbers_path())).await;
    assert_eq!(phone_numbers(&first), [FROM, "+14155550100"]);
    let mut seen = phone_numbers(&first)
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let mut next = first["next_page_uri"].as_str().map(str::to_owned);
    while let Some(uri) = next {
        assert!(uri.contains("PageToken=PA"), "{uri}");
        let (status, page) = app.get(&uri).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(phone_numbers(&page).into_iter().map(str::to_owned));
        next = page["next_page_uri"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, phone_numbers(&list));
}

#[tokio::test]
async fn an_area_code_gets_a_fresh_number_in_it() {
    let app = spawn_app().await;
    buy(&app, &[("PhoneNumber", "+14155550101")]).await;
    let first = buy(
        &app,
        &[("AreaCode", "415"), ("SmsUrl", "https://example.com/a")],
    )
    .await;
    assert_eq!(first["phone_number"], "+14155550100");
    assert_eq!(first["sms_url"], "https://example.com/a");
    let second = buy(&app, &[("AreaCode", "415")]).await;
    assert_eq!(second["phone_number"], "+14155550102", "0101 was taken");
    let mobile = app
        .post(
            &format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/Mobile.json"),
            &[("AreaCode", "212")],
        )
        .await;
    assert_eq!(mobile.0, 201, "{}", mobile.1);
    assert_eq!(mobile.1["phone_number"], "+12125550100");
    assert_eq!(mobile.1["friendly_name"], "(212) 555-0100");
}

#[tokio::test]
async fn bad_requests_get_twilios_errors() {
    let app = spawn_app().await;
    buy(&app, &[("PhoneNumber", NUMBER)]).await;
    let path = numbers_path();
    let local = format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/Local.json");
    let toll_free = format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/TollFree.json");
    for (path, form, code) in [
        (&path, vec![("FriendlyName", "no number")], 21451),
        // Twilio's test-credential numbers.
        (&path, vec![("PhoneNumber", "+15005550000")], 21422),
        (&path, vec![("PhoneNumber", "+15005550001")], 21421),
        (&path, vec![("AreaCode", "533")], 21452),
        // Already the account's.
        (&path, vec![("PhoneNumber", NUMBER)], 21422),
        (&path, vec![("PhoneNumber", "4155550100")], 21421),
        (&path, vec![("AreaCode", "12")], 21451),
        (&path, vec![("AreaCode", "115")], 21451),
        (&local, vec![("AreaCode", "415")], 21457),
        (&toll_free, vec![("PhoneNumber", "+14155550199")], 21422),
        (&local, vec![("PhoneNumber", "+18005550199")], 21422),
        (
            &path,
            vec![("PhoneNumber", "+14155550199"), ("SmsUrl", "not a url")],
            21502,
        ),
        (
            &path,
            vec![("PhoneNumber", "+14155550199"), ("SmsMethod", "PUT")],
            20001,
        ),
    ] {
        let (status, body) = app.post(path, &form).await;
        assert_twilio_error(status, &body, 400, code);
    }
    assert!(
        !app.tenant(SID).owns_number("+14155550199"),
        "a refused request buys nothing"
    );
    assert!(
        app.post(&path, &[("PhoneNumber", "+15005550006")]).await.0 == 201,
        "the magic valid number can be bought"
    );

    let unknown = number_path("PN00000000000000000000000000000000");
    let (status, body) = app.get(&unknown).await;
    assert_twilio_error(status, &body, 404, 20404);
    assert!(
        body["message"].as_str().unwrap().contains(&unknown),
        "{body}"
    );
    let (status, body) = app.post(&unknown, &[("FriendlyName", "x")]).await;
    assert_twilio_error(status, &body, 404, 20404);
    let (status, body) = app.delete(&unknown).await;
    assert_twilio_error(status, &body, 404, 20404);
    // The number itself is not a SID.
    let (status, body) = app.get(&number_path(NUMBER)).await;
    assert_twilio_error(status, &body, 404, 20404);
}

#[tokio::test]
async fn a_bought_number_sends_and_receives() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let message = [("To", "+15557654321"), ("From", NUMBER), ("Body", "hi")];
    let (status, body) = app.post(&app.messages_path(SID), &message).await;
    assert_twilio_error(status, &body, 400, 21606);

    let number = buy(
        &app,
        &[
            ("PhoneNumber", NUMBER),
            ("SmsUrl", &receiver.url("/inbound")),
        ],
    )
    .await;
    let sent = app.send(&message).await;
    assert_eq!(sent["from"], NUMBER);

    // A user texting it reaches its SmsUrl.
    let tenant = app.tenant(SID);
    app.state
        .core
        .receive_inbound(
            &tenant,
            InboundText {
                from: "+15557654321".into(),
                to: NUMBER.into(),
                body: "hello".into(),
                ..InboundText::default()
            },
        )
        .await
        .expect("inbound text");
    let request = &receiver.wait_for(1).await[0];
    assert_eq!(request.method, "POST");
    assert!(request.url.ends_with("/inbound"), "{}", request.url);
    assert_eq!(request.param("To"), Some(NUMBER));
    assert_eq!(request.param("Body"), Some("hello"));

    let (status, _) = app
        .delete(&number_path(number["sid"].as_str().unwrap()))
        .await;
    assert_eq!(status, 204);
    let (status, body) = app.post(&app.messages_path(SID), &message).await;
    assert_twilio_error(status, &body, 400, 21606);
}
