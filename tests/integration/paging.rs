//! Paging, the same on every Twilio list: `Page` is only client state, so `Page=N` without a
//! `PageToken` is refused (400 / 20001), `Page=0` or no `Page` is the first page, and pages past
//! the first are reached through the tokens of `next_page_uri`.

use serde_json::Value;

use crate::support::*;

/// Give the default account two items or more on every list; answers each list's path and key.
async fn fill_every_list(app: &TestApp) -> Vec<(String, &'static str)> {
    let account = format!("/2010-04-01/Accounts/{SID}");
    let (status, body) = app
        .post("/2010-04-01/Accounts.json", &[("FriendlyName", "paging")])
        .await;
    assert_eq!(status, 201, "{body}");
    let mut mms = Value::Null;
    for to in ["+15557654321", "+15557654322"] {
        mms = app
            .send(&[
                ("To", to),
                ("From", FROM),
                ("MediaUrl", "https://example.com/a.jpg"),
                ("MediaUrl", "https://example.com/b.jpg"),
            ])
            .await;
    }
    for name in ["one", "two"] {
        let (status, body) = app
            .post(&format!("{account}/Keys.json"), &[("FriendlyName", name)])
            .await;
        assert_eq!(status, 201, "{body}");
    }
    for number in [
        "+14155550100",
        "+14155550101",
        "+447400123456",
        "+447400123457",
        "+18005550100",
        "+18885550100",
    ] {
        let (status, body) = app
            .post(
                &format!("{account}/IncomingPhoneNumbers.json"),
                &[("PhoneNumber", number)],
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let numbers = "incoming_phone_numbers";
    vec![
        ("/2010-04-01/Accounts.json".to_owned(), "accounts"),
        (format!("{account}/Messages.json"), "messages"),
        (
            mms["subresource_uris"]["media"]
                .as_str()
                .unwrap()
                .to_owned(),
            "media_list",
        ),
        (format!("{account}/Keys.json"), "keys"),
        (format!("{account}/IncomingPhoneNumbers.json"), numbers),
        (
            format!("{account}/IncomingPhoneNumbers/Local.json"),
            numbers,
        ),
        (
            format!("{account}/IncomingPhoneNumbers/Mobile.json"),
            numbers,
        ),
        (
            format!("{account}/IncomingPhoneNumbers/TollFree.json"),
            numbers,
        ),
    ]
}

fn sids(page: &Value, key: &str) -> Vec<String> {
    page[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {page}"))
        .iter()
        .map(|item| item["sid"].as_str().expect("sid").to_owned())
        .collect()
}

#[tokio::test]
async fn page_without_a_page_token_behaves_the_same_on_every_list() {
    let app = spawn_app().await;
    for (path, key) in fill_every_list(&app).await {
        for page in ["1", "3"] {
            let (status, body) = app.get(&format!("{path}?PageSize=1&Page={page}")).await;
            assert_twilio_error(status, &body, 400, 20001);
            assert_eq!(
                body["message"], "PageToken is required for paging.",
                "{path}"
            );
        }
        let (status, body) = app.get(&format!("{path}?PageToken=nonsense")).await;
        assert_twilio_error(status, &body, 400, 20001);

        let (status, first) = app.get(&format!("{path}?PageSize=1&Page=0")).await;
        assert_eq!(status, 200, "{path}: {first}");
        assert_eq!(
            (first["page"].as_u64(), first["start"].as_u64()),
            (Some(0), Some(0))
        );
        let (status, unnumbered) = app.get(&format!("{path}?PageSize=1")).await;
        assert_eq!(status, 200, "{path}: {unnumbered}");
        assert_eq!(sids(&unnumbered, key), sids(&first, key), "{path}");
        assert_eq!(sids(&first, key).len(), 1, "{path}");

        let next = first["next_page_uri"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: a next page in {first}"));
        assert!(
            next.contains("Page=1") && next.contains("PageToken=PA"),
            "{next}"
        );
        let (status, second) = app.get(next).await;
        assert_eq!(status, 200, "{next}: {second}");
        assert_eq!(second["page"], 1, "{path}");
        assert_eq!(sids(&second, key).len(), 1, "{path}");
        assert_ne!(sids(&second, key), sids(&first, key), "{path}");
        let back = second["previous_page_uri"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: a previous page in {second}"));
        let (status, again) = app.get(back).await;
        assert_eq!(status, 200, "{back}: {again}");
        assert_eq!(sids(&again, key), sids(&first, key), "{path}");
    }
    app.stop().await;
}
