//! The Message resource: create, fetch, list with paging and filters, update, delete.

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn create_answers_the_full_message_resource() {
    let app = spawn_app().await;
    let body = app
        .send(&[
            ("To", "+15551234567"),
            ("From", FROM),
            ("Body", "Hello there"),
        ])
        .await;
    let sid = body["sid"].as_str().unwrap();
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    assert!(sid[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(body["status"], "queued");
    assert_eq!(body["account_sid"], SID);
    assert_eq!(body["to"], "+15551234567");
    assert_eq!(body["from"], FROM);
    assert_eq!(body["body"], "Hello there");
    assert_eq!(body["num_segments"], "1");
    assert_eq!(body["num_media"], "0");
    assert_eq!(body["direction"], "outbound-api");
    assert_eq!(body["api_version"], "2010-04-01");
    assert_eq!(body["price"], Value::Null);
    assert_eq!(body["price_unit"], "USD");
    assert_eq!(body["error_code"], Value::Null);
    assert_eq!(body["date_sent"], Value::Null);
    assert_eq!(body["messaging_service_sid"], Value::Null);
    assert_eq!(
        body["uri"],
        format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json")
    );
    assert_eq!(
        body["subresource_uris"]["media"],
        format!("/2010-04-01/Accounts/{SID}/Messages/{sid}/Media.json")
    );
    let created = body["date_created"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc2822(created).is_ok(),
        "{created}"
    );
    assert!(created.ends_with(" +0000"), "{created}");

    let (status, fetched) = app
        .get(&format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(fetched, body);
}

#[tokio::test]
async fn media_segments_and_messaging_services() {
    let app = spawn_app().await;
    let mms = app
        .send(&[
            ("To", "+15557654321"),
            ("From", FROM),
            ("MediaUrl", "https://example.com/a.png"),
            ("MediaUrl", "https://example.com/b.png"),
        ])
        .await;
    assert!(mms["sid"].as_str().unwrap().starts_with("MM"));
    assert_eq!(mms["num_media"], "2");

    let long = "a".repeat(161);
    let sms = app
        .send(&[("To", "+15557654321"), ("From", FROM), ("Body", &long)])
        .await;
    assert_eq!(sms["num_segments"], "2");
    let unicode = app
        .send(&[
            ("To", "+15557654321"),
            ("From", FROM),
            ("Body", &"😀".repeat(36)),
        ])
        .await;
    assert_eq!(unicode["num_segments"], "2");

    let service = format!("MG{}", "1".repeat(32));
    let via_service = app
        .send(&[
            ("To", "+15557654321"),
            ("MessagingServiceSid", &service),
            ("Body", "hi"),
        ])
        .await;
    assert_eq!(via_service["status"], "accepted");
    assert_eq!(via_service["from"], Value::Null);
    assert_eq!(via_service["messaging_service_sid"], service.as_str());
}

#[tokio::test]
async fn lists_page_through_three_pages_newest_first() {
    let app = spawn_app().await;
    let mut sids = Vec::new();
    for i in 0..7 {
        let body = app
            .send(&[
                ("To", "+15557654321"),
                ("From", FROM),
                ("Body", &format!("m{i}")),
            ])
            .await;
        sids.push(body["sid"].as_str().unwrap().to_owned());
    }
    app.send(&[("To", "+15550001111"), ("From", FROM), ("Body", "other")])
        .await;
    sids.reverse();

    let first = format!("{}?To=%2B15557654321&PageSize=3", app.messages_path(SID));
    let (status, page0) = app.get(&first).await;
    assert_eq!(status, 200, "{page0}");
    assert_eq!(page0["page"], 0);
    assert_eq!(page0["page_size"], 3);
    assert_eq!(page0["start"], 0);
    assert_eq!(page0["end"], 2);
    assert_eq!(page0["previous_page_uri"], Value::Null);
    assert_eq!(
        page0["first_page_uri"],
        format!("/2010-04-01/Accounts/{SID}/Messages.json?To=%2B15557654321&PageSize=3&Page=0")
    );
    // Python finds the records as the one key that is not paging metadata.
    let keys: Vec<&str> = page0
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let meta = [
        "end",
        "first_page_uri",
        "next_page_uri",
        "page",
        "page_size",
        "previous_page_uri",
        "start",
        "uri",
    ];
    assert_eq!(
        keys.iter()
            .filter(|k| !meta.contains(k))
            .collect::<Vec<_>>(),
        vec![&"messages"]
    );

    let mut seen = Vec::new();
    let mut page = page0;
    let mut pages = 0;
    loop {
        pages += 1;
        seen.extend(
            page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["sid"].as_str().unwrap().to_owned()),
        );
        let Some(next) = page["next_page_uri"].as_str() else {
            break;
        };
        assert!(next.contains("PageToken=PA"), "{next}");
        let (status, body) = app.get(next).await;
        assert_eq!(status, 200, "{body}");
        page = body;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, sids);
    assert_eq!(page["page"], 2);
    assert_eq!(page["start"], 6);
    assert_eq!(page["end"], 6);

    // The last page leads back to the one before it.
    let previous = page["previous_page_uri"].as_str().unwrap();
    assert!(previous.contains("PageToken=PB"), "{previous}");
    let (_, back) = app.get(previous).await;
    let back_sids: Vec<&str> = back["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        back_sids,
        sids[3..6].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(back["page"], 1);
}

#[tokio::test]
async fn lists_filter_by_from_and_date_sent() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.state.core.freeze_clock(&tenant);
    app.send(&[("To", "+15557654321"), ("From", FROM), ("Body", "x")])
        .await;
    app.send(&[
        ("To", "+15557654321"),
        ("From", "+15005550006"),
        ("Body", "y"),
    ])
    .await;
    app.advance(&tenant, 5.0).await;

    let (_, by_from) = app
        .get(&format!("{}?From=%2B15005550006", app.messages_path(SID)))
        .await;
    assert_eq!(by_from["messages"].as_array().unwrap().len(), 1);
    assert_eq!(by_from["messages"][0]["body"], "y");

    let today = mockingbird::core::time::to_datetime(tenant.now())
        .format("%Y-%m-%d")
        .to_string();
    for query in [
        format!("DateSent={today}"),
        format!("DateSent%3E={today}T00:00:00Z"),
        format!("DateSent%3C={today}"),
    ] {
        let (status, body) = app
            .get(&format!("{}?{query}", app.messages_path(SID)))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["messages"].as_array().unwrap().len(), 2, "{query}");
    }
    let (_, none) = app
        .get(&format!("{}?DateSent=2001-01-01", app.messages_path(SID)))
        .await;
    assert_eq!(none["messages"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn redact_cancel_and_delete() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    app.state.core.freeze_clock(&tenant);
    let body = app
        .send(&[("To", "+15557654321"), ("From", FROM), ("Body", "secret")])
        .await;
    let sid = body["sid"].as_str().unwrap();
    let path = format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json");

    let (status, redacted) = app.post(&path, &[("Body", "")]).await;
    assert_eq!(status, 200, "{redacted}");
    assert_eq!(redacted["body"], "");
    assert_eq!(app.get(&path).await.1["body"], "");

    // Only a scheduled message can be canceled.
    let (status, refused) = app.post(&path, &[("Status", "canceled")]).await;
    assert_twilio_error(status, &refused, 400, 30409);

    // Twilio keeps a message until its delivery receipt is in.
    let (status, refused) = app.delete(&path).await;
    assert_twilio_error(status, &refused, 400, 20009);

    app.advance(&tenant, 10.0).await;
    assert_eq!(app.get(&path).await.1["status"], "delivered");
    let (status, empty) = app.delete(&path).await;
    assert_eq!(status, 204);
    assert_eq!(empty, Value::Null);
    let (status, missing) = app.get(&path).await;
    assert_twilio_error(status, &missing, 404, 20404);
    let (status, missing) = app.delete(&path).await;
    assert_twilio_error(status, &missing, 404, 20404);
}

#[tokio::test]
async fn scheduled_messages_wait_for_send_at_and_can_be_canceled() {
    let app = spawn_app().await;
    let tenant = app.tenant(SID);
    let frozen = app.state.core.freeze_clock(&tenant);
    let service = format!("MG{}", "2".repeat(32));
    let send_at = mockingbird::core::time::to_datetime(frozen + 3_600_000).to_rfc3339();
    let form = [
        ("To", "+15557654321"),
        ("MessagingServiceSid", service.as_str()),
        ("Body", "later"),
        ("ScheduleType", "fixed"),
        ("SendAt", send_at.as_str()),
    ];
    let scheduled = app.send(&form).await;
    assert_eq!(scheduled["status"], "scheduled");
    let kept = app.send(&form).await;

    let path = |m: &Value| {
        format!(
            "/2010-04-01/Accounts/{SID}/Messages/{}.json",
            m["sid"].as_str().unwrap()
        )
    };
    let (status, canceled) = app.post(&path(&scheduled), &[("Status", "canceled")]).await;
    assert_eq!(status, 200, "{canceled}");
    assert_eq!(canceled["status"], "canceled");

    app.advance(&tenant, 3_599.0).await;
    assert_eq!(app.get(&path(&kept)).await.1["status"], "scheduled");
    app.advance(&tenant, 10.0).await;
    assert_eq!(app.get(&path(&kept)).await.1["status"], "delivered");
    assert_eq!(app.get(&path(&scheduled)).await.1["status"], "canceled");

    let too_soon = mockingbird::core::time::to_datetime(tenant.now() + 60_000).to_rfc3339();
    let (status, body) = app
        .post(
            &app.messages_path(SID),
            &[
                ("To", "+15557654321"),
                ("MessagingServiceSid", &service),
                ("Body", "x"),
                ("ScheduleType", "fixed"),
                ("SendAt", &too_soon),
            ],
        )
        .await;
    assert_twilio_error(status, &body, 400, 35114);
    let (status, body) = app
        .post(
            &app.messages_path(SID),
            &[
                ("To", "+15557654321"),
                ("From", FROM),
                ("Body", "x"),
                ("ScheduleType", "fixed"),
                ("SendAt", &send_at),
            ],
        )
        .await;
    assert_twilio_error(status, &body, 400, 35118);
}

#[tokio::test]
async fn media_subresources_list_each_media_url() {
    let app = spawn_app().await;
    let mms = app
        .send(&[
            ("To", "+15557654321"),
            ("From", FROM),
            ("MediaUrl", "https://example.com/cat.jpg"),
            ("MediaUrl", "https://example.com/doc.pdf"),
        ])
        .await;
    let media_uri = mms["subresource_uris"]["media"].as_str().unwrap();
    let (status, list) = app.get(media_uri).await;
    assert_eq!(status, 200, "{list}");
    let items = list["media_list"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["content_type"], "image/jpeg");
    assert_eq!(items[1]["content_type"], "application/pdf");
    assert_eq!(items[0]["parent_sid"], mms["sid"]);
    let (status, one) = app.get(items[1]["uri"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(one, items[1]);
    let missing = media_uri.replace("Media.json", &format!("Media/ME{}.json", "0".repeat(32)));
    let (status, body) = app.get(&missing).await;
    assert_twilio_error(status, &body, 404, 20404);
    let (status, body) = app.delete(&missing).await;
    assert_twilio_error(status, &body, 404, 20404);
}

#[tokio::test]
async fn a_deleted_media_item_leaves_the_list_and_the_others_keep_their_sids() {
    let app = spawn_app().await;
    let mms = app
        .send(&[
            ("To", "+15557654321"),
            ("From", FROM),
            ("MediaUrl", "https://example.com/a.jpg"),
            ("MediaUrl", "https://example.com/b.png"),
            ("MediaUrl", "https://example.com/c.gif"),
        ])
        .await;
    let media_uri = mms["subresource_uris"]["media"].as_str().unwrap();
    let (_, before) = app.get(media_uri).await;
    let uri_of = |i: usize| before["media_list"][i]["uri"].as_str().unwrap().to_owned();

    let (status, body) = app.delete(&uri_of(1)).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(body, Value::Null, "a 204 has no body");
    let (_, after) = app.get(media_uri).await;
    let sids: Vec<&Value> = after["media_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["sid"])
        .collect();
    assert_eq!(
        sids,
        [
            &before["media_list"][0]["sid"],
            &before["media_list"][2]["sid"]
        ]
    );
    let (status, body) = app.get(&uri_of(1)).await;
    assert_twilio_error(status, &body, 404, 20404);
    let (status, body) = app.delete(&uri_of(1)).await;
    assert_twilio_error(status, &body, 404, 20404);
    let (status, third) = app.get(&uri_of(2)).await;
    assert_eq!((status, &third), (200, &before["media_list"][2]));
    // The message still says what was sent with it.
    let (_, message) = app.get(mms["uri"].as_str().unwrap()).await;
    assert_eq!(message["num_media"], "3");
}
