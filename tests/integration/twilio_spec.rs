//! Conformance with Twilio's published OpenAPI description of API 2010-04-01 (twilio/twilio-oai,
//! `spec/json/twilio_api_v2010.json`), of which `spec/twilio_api_v2010.subset.json` keeps the
//! served part (regenerate it with `scripts/twilio-spec-subset.sh`).
//!
//! A *served resource* is one `src/twilio/mod.rs` routes: Accounts, Messages and their Media,
//! Keys, IncomingPhoneNumbers with its Local, Mobile and TollFree lists, Calls, and Recordings
//! (the account's and each call's). Every operation the spec defines on those paths is served,
//! but for starting, pausing and stopping a call's recording over REST; resources nested under
//! them that are resources of their own in the spec (a number's AssignedAddOns and their
//! Extensions, a message's Feedback, a call's Events, Notifications, Streams…) are not served
//! and are not in the subset.
//!
//! The test drives the real server through every operation of the subset, then checks each
//! answer against the spec's schema for that operation and status: every property the spec
//! names is present, no other property is, and each value has the spec's type (null only
//! where the spec says nullable), enum value, pattern and length.

use std::collections::BTreeSet;

use regex::Regex;
use serde_json::Value;

use crate::support::*;

const SUBSET: &str = include_str!("spec/twilio_api_v2010.subset.json");

struct Spec(Value);

impl Spec {
    fn load() -> Spec {
        Spec(serde_json::from_str(SUBSET).expect("the spec subset is JSON"))
    }

    /// Every operation of the subset, as `METHOD path`.
    fn operations(&self) -> BTreeSet<String> {
        let paths = self.0["paths"].as_object().expect("paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                let methods = item.as_object().expect("path item").keys();
                methods.map(move |method| format!("{} {path}", method.to_uppercase()))
            })
            .collect()
    }

    /// The schema of an operation's answer with `status`; None when the spec gives it no body.
    fn response_schema(&self, operation: &str, status: u16) -> Result<Option<&Value>, String> {
        let (method, path) = operation.split_once(' ').expect("METHOD path");
        let responses = &self.0["paths"][path][method.to_lowercase()]["responses"];
        let response = responses
            .get(status.to_string())
            .ok_or_else(|| format!("{operation}: the spec has no {status} answer"))?;
        Ok(response.pointer("/content/application~1json/schema"))
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.strip_prefix('#').expect("a local $ref");
                self.0.pointer(pointer).expect("the $ref resolves")
            }
            None => schema,
        }
    }

    /// Every way `value` differs from `schema`, each named by its place in the document.
    fn check(&self, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
        // `nullable` may sit beside a `$ref` (an enum that may be null) or inside the schema.
        let nullable = schema["nullable"].as_bool().unwrap_or(false);
        let schema = self.resolve(schema);
        if value.is_null() {
            if !(nullable || schema["nullable"].as_bool().unwrap_or(false)) {
                problems.push(format!("{at}: null, but the spec does not allow null"));
            }
            return;
        }
        let kind = schema["type"].as_str().unwrap_or("any");
        let fits = match kind {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            _ => true,
        };
        if !fits {
            problems.push(format!("{at}: {value} is not of type {kind}"));
            return;
        }
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed.contains(value)
        {
            problems.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
        if let Some(text) = value.as_str() {
            self.check_string(schema, text, at, problems);
        }
        if let (Some(properties), Some(object)) =
            (schema["properties"].as_object(), value.as_object())
        {
            for (name, property) in properties {
                match object.get(name) {
                    Some(inner) => self.check(property, inner, &format!("{at}.{name}"), problems),
                    None => problems.push(format!("{at}.{name}: missing")),
                }
            }
            for name in object.keys().filter(|name| !properties.contains_key(*name)) {
                problems.push(format!("{at}.{name}: not in the spec"));
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (index, item) in array.iter().enumerate() {
                self.check(items, item, &format!("{at}[{index}]"), problems);
            }
        }
    }

    fn check_string(&self, schema: &Value, text: &str, at: &str, problems: &mut Vec<String>) {
        let length = text.chars().count() as u64;
        if schema["minLength"].as_u64().is_some_and(|min| length < min)
            || schema["maxLength"].as_u64().is_some_and(|max| length > max)
        {
            problems.push(format!("{at}: {text:?} has a length outside the spec's"));
        }
        if let Some(pattern) = schema["pattern"].as_str() {
            let pattern = Regex::new(pattern).expect("the spec's pattern compiles");
            if !pattern.is_match(text) {
                problems.push(format!("{at}: {text:?} does not match {pattern}"));
            }
        }
        // Twilio's own formats, where a value's shape is checkable. An unset URL is `""` in
        // Twilio's answers (an SMS URL, a status callback), so only a set one is checked.
        let fits_format = match schema["format"].as_str() {
            Some("date-time-rfc-2822") => chrono::DateTime::parse_from_rfc2822(text).is_ok(),
            Some("http-method") => ["GET", "POST", "PUT", "DELETE", "HEAD"].contains(&text),
            Some("uri") => {
                text.is_empty()
                    || text.starts_with('/')
                    || text.starts_with("https://")
                    || text.starts_with("http://")
            }
            _ => true,
        };
        if !fits_format {
            problems.push(format!(
                "{at}: {text:?} is not in the spec's format {}",
                schema["format"]
            ));
        }
    }
}

/// The calls made, each with the spec operation it is and the answer it got.
#[derive(Default)]
struct Exercise {
    calls: Vec<(String, u16, Value)>,
}

impl Exercise {
    /// Call `operation` (`METHOD spec-path`) with the path's `{…}` parameters filled in order.
    async fn call(
        &mut self,
        app: &TestApp,
        operation: &str,
        ids: &[&str],
        form: &[(&str, &str)],
    ) -> Value {
        let (method, template) = operation.split_once(' ').expect("METHOD path");
        let mut path = template.to_owned();
        for id in ids {
            let open = path.find('{').expect("a path parameter to fill");
            let close = open + path[open..].find('}').expect("closing brace");
            path.replace_range(open..=close, id);
        }
        let (status, body) = match method {
            "GET" => app.get(&path).await,
            "POST" => app.post(&path, form).await,
            "DELETE" => app.delete(&path).await,
            other => panic!("no such method {other}"),
        };
        self.calls
            .push((operation.to_owned(), status, body.clone()));
        body
    }
}

fn sid_of(body: &Value) -> String {
    body["sid"]
        .as_str()
        .unwrap_or_else(|| panic!("a sid in {body}"))
        .to_owned()
}

const ACCOUNTS: &str = "/2010-04-01/Accounts.json";
const ACCOUNT: &str = "/2010-04-01/Accounts/{Sid}.json";
const MESSAGES: &str = "/2010-04-01/Accounts/{AccountSid}/Messages.json";
const MESSAGE: &str = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json";
const MEDIA_LIST: &str = "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media.json";
const MEDIA: &str = "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json";
const KEYS: &str = "/2010-04-01/Accounts/{AccountSid}/Keys.json";
const KEY: &str = "/2010-04-01/Accounts/{AccountSid}/Keys/{Sid}.json";
const NUMBERS: &str = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json";
const NUMBER: &str = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json";
const CALLS: &str = "/2010-04-01/Accounts/{AccountSid}/Calls.json";
const CALL: &str = "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json";
const RECORDINGS: &str = "/2010-04-01/Accounts/{AccountSid}/Recordings.json";
const RECORDING: &str = "/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json";
const CALL_RECORDINGS: &str = "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json";
const CALL_RECORDING: &str =
    "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings/{Sid}.json";
const BY_TYPE: [(&str, &str); 3] = [
    (
        "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/Local.json",
        "+15557010001",
    ),
    (
        "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/Mobile.json",
        "+15557010002",
    ),
    (
        "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/TollFree.json",
        "+18005550100",
    ),
];

/// Every served operation, in an order that creates what the next ones read.
async fn exercise_everything(app: &TestApp) -> Exercise {
    let mut run = Exercise::default();
    let op = |method: &str, path: &str| format!("{method} {path}");

    let account = run
        .call(app, &op("POST", ACCOUNTS), &[], &[("FriendlyName", "spec")])
        .await;
    let subaccount = sid_of(&account);
    run.call(app, &op("GET", ACCOUNTS), &[], &[]).await;
    run.call(app, &op("GET", ACCOUNT), &[&subaccount], &[])
        .await;
    run.call(
        app,
        &op("POST", ACCOUNT),
        &[&subaccount],
        &[("FriendlyName", "spec, renamed")],
    )
    .await;

    let message = run
        .call(
            app,
            &op("POST", MESSAGES),
            &[SID],
            &[
                ("To", "+15557654321"),
                ("From", FROM),
                ("Body", "spec"),
                ("MediaUrl", "https://example.com/a.png"),
                ("MediaUrl", "https://example.com/b.jpg"),
            ],
        )
        .await;
    let message = sid_of(&message);
    run.call(app, &op("GET", MESSAGES), &[SID], &[]).await;
    run.call(app, &op("GET", MESSAGE), &[SID, &message], &[])
        .await;
    let media = run
        .call(app, &op("GET", MEDIA_LIST), &[SID, &message], &[])
        .await;
    let media = sid_of(&media["media_list"][0]);
    run.call(app, &op("GET", MEDIA), &[SID, &message, &media], &[])
        .await;
    run.call(app, &op("DELETE", MEDIA), &[SID, &message, &media], &[])
        .await;
    run.call(app, &op("POST", MESSAGE), &[SID, &message], &[("Body", "")])
        .await;

    let key = run
        .call(app, &op("POST", KEYS), &[SID], &[("FriendlyName", "spec")])
        .await;
    let key = sid_of(&key);
    run.call(app, &op("GET", KEYS), &[SID], &[]).await;
    run.call(app, &op("GET", KEY), &[SID, &key], &[]).await;
    run.call(
        app,
        &op("POST", KEY),
        &[SID, &key],
        &[("FriendlyName", "spec, renamed")],
    )
    .await;
    run.call(app, &op("DELETE", KEY), &[SID, &key], &[]).await;

    let number = run
        .call(
            app,
            &op("POST", NUMBERS),
            &[SID],
            &[("PhoneNumber", "+15557010000")],
        )
        .await;
    let number = sid_of(&number);
    run.call(app, &op("GET", NUMBERS), &[SID], &[]).await;
    run.call(app, &op("GET", NUMBER), &[SID, &number], &[])
        .await;
    run.call(
        app,
        &op("POST", NUMBER),
        &[SID, &number],
        &[("SmsUrl", "https://example.com/sms")],
    )
    .await;
    run.call(app, &op("DELETE", NUMBER), &[SID, &number], &[])
        .await;
    for (list, phone_number) in BY_TYPE {
        run.call(
            app,
            &op("POST", list),
            &[SID],
            &[("PhoneNumber", phone_number)],
        )
        .await;
        run.call(app, &op("GET", list), &[SID], &[]).await;
    }

    // Two recorded calls (each leaves a recording once it ends) and one canceled.
    let recorded = [
        ("To", "+15551234567"),
        ("From", FROM),
        ("Url", "https://app.example/voice"),
        ("Record", "true"),
    ];
    let mut recorded_calls = Vec::new();
    for _ in 0..2 {
        let call = run.call(app, &op("POST", CALLS), &[SID], &recorded).await;
        recorded_calls.push(sid_of(&call));
    }
    let call = run
        .call(
            app,
            &op("POST", CALLS),
            &[SID],
            &[
                ("To", "+15551234567"),
                ("From", FROM),
                ("Twiml", "<Response><Say>spec</Say></Response>"),
            ],
        )
        .await;
    let call = sid_of(&call);
    run.call(app, &op("GET", CALLS), &[SID], &[]).await;
    run.call(app, &op("GET", CALL), &[SID, &call], &[]).await;
    run.call(
        app,
        &op("POST", CALL),
        &[SID, &call],
        &[("Status", "canceled")],
    )
    .await;

    // Last: a message can be deleted once its delivery is final, a call once it has ended.
    let tenant = app.tenant(SID);
    app.advance(&tenant, 10.0).await;
    run.call(app, &op("DELETE", MESSAGE), &[SID, &message], &[])
        .await;
    run.call(app, &op("DELETE", CALL), &[SID, &call], &[]).await;

    let recordings = run.call(app, &op("GET", RECORDINGS), &[SID], &[]).await;
    let recording_of = |call_sid: &str| {
        let found = recordings["recordings"]
            .as_array()
            .and_then(|all| all.iter().find(|r| r["call_sid"] == call_sid).map(sid_of));
        found.unwrap_or_else(|| panic!("a recording of {call_sid} in {recordings}"))
    };
    let (first, second) = (&recorded_calls[0], &recorded_calls[1]);
    let (first_recording, second_recording) = (recording_of(first), recording_of(second));
    run.call(app, &op("GET", RECORDING), &[SID, &first_recording], &[])
        .await;
    run.call(app, &op("DELETE", RECORDING), &[SID, &first_recording], &[])
        .await;
    run.call(app, &op("GET", CALL_RECORDINGS), &[SID, second], &[])
        .await;
    let ids = [SID, second.as_str(), second_recording.as_str()];
    run.call(app, &op("GET", CALL_RECORDING), &ids, &[]).await;
    run.call(app, &op("DELETE", CALL_RECORDING), &ids, &[])
        .await;
    run
}

#[tokio::test]
async fn every_served_operation_answers_as_twilio_s_openapi_description_says() {
    let app = spawn_app().await;
    app.freeze_default().await;
    let spec = Spec::load();
    let run = exercise_everything(&app).await;

    let exercised: BTreeSet<String> = run.calls.iter().map(|(op, ..)| op.clone()).collect();
    let missed: Vec<_> = spec.operations().difference(&exercised).cloned().collect();
    assert!(
        missed.is_empty(),
        "operations the test does not exercise: {missed:?}"
    );

    let mut problems = Vec::new();
    for (operation, status, body) in &run.calls {
        match spec.response_schema(operation, *status) {
            Err(unexpected) => problems.push(format!("{unexpected}: {body}")),
            Ok(None) => {
                if !body.is_null() {
                    problems.push(format!("{operation}: a {status} with a body: {body}"));
                }
            }
            Ok(Some(schema)) => spec.check(schema, body, operation, &mut problems),
        }
    }
    assert!(
        problems.is_empty(),
        "{} difference(s) from Twilio's spec:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
    app.stop().await;
}

/// The checker itself: it must see each kind of difference, or a green run means nothing.
#[test]
fn the_checker_sees_missing_extra_mistyped_and_null_properties() {
    let spec = Spec::load();
    let media = serde_json::json!({"$ref": "#/components/schemas/api.v2010.account.message.media"});
    let mut problems = Vec::new();
    let wrong = serde_json::json!({
        "account_sid": "not a sid",
        "content_type": 7,
        "date_created": null,
        "date_updated": "2010-08-18T20:01:40Z",
        "parent_sid": "MM0123456789abcdef0123456789abcdef",
        "sid": "ME0123456789abcdef0123456789abcdef",
        "extra": true,
    });
    spec.check(&media, &wrong, "media", &mut problems);
    let joined = problems.join("\n");
    for expected in [
        "media.account_sid: \"not a sid\" has a length",
        "media.content_type: 7 is not of type string",
        "media.uri: missing",
        "media.extra: not in the spec",
        "media.date_updated: \"2010-08-18T20:01:40Z\" is not in the spec's format",
    ] {
        assert!(joined.contains(expected), "{expected} not in:\n{joined}");
    }
    // The media schema allows null dates; a message's status enum does not allow "bogus".
    assert!(!joined.contains("date_created"));
    let status = serde_json::json!({"$ref": "#/components/schemas/message_enum_status"});
    let mut problems = Vec::new();
    spec.check(
        &status,
        &serde_json::json!("bogus"),
        "status",
        &mut problems,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
}
