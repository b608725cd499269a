//! Numbering plans: a number too short or too long for its country is refused as Twilio refuses
//! it (21211 To, 21212 From, 21421 when buying), with nothing stored; fictional 555 numbers and
//! every number the server itself names are accepted.

use crate::support::*;

/// +1 numbers have 10 national digits; France's have 9.
const US_TOO_SHORT: &str = "+1555123456";
const US_TOO_LONG: &str = "+155512345678";
const FR_TOO_SHORT: &str = "+3361234567";

async fn message_count(app: &TestApp) -> usize {
    app.get(&app.messages_path(SID)).await.1["messages"]
        .as_array()
        .expect("messages")
        .len()
}

#[tokio::test]
async fn numbers_of_impossible_length_are_refused_with_twilio_s_codes() {
    let app = spawn_app().await;
    let path = app.messages_path(SID);
    let to_cases = [
        US_TOO_SHORT.to_owned(),
        US_TOO_LONG.to_owned(),
        FR_TOO_SHORT.to_owned(),
        format!("whatsapp:{US_TOO_SHORT}"),
        // +999 is no country's calling code.
        "+999123456789".to_owned(),
    ];
    for to in &to_cases {
        let (status, body) = app
            .post(&path, &[("To", to), ("From", FROM), ("Body", "hi")])
            .await;
        assert_twilio_error(status, &body, 400, 21211);
        assert_eq!(
            body["message"],
            format!("The 'To' number {to} is not a valid phone number.")
        );
    }
    for from in [US_TOO_LONG.to_owned(), format!("whatsapp:{FR_TOO_SHORT}")] {
        let (status, body) = app
            .post(
                &path,
                &[("To", "+15557654321"), ("From", &from), ("Body", "hi")],
            )
            .await;
        assert_twilio_error(status, &body, 400, 21212);
        assert_eq!(
            body["message"],
            format!(
                "The 'From' number {from} is not a valid phone number, shortcode, or alphanumeric sender ID."
            )
        );
    }
    assert_eq!(
        message_count(&app).await,
        0,
        "a refused message is not stored"
    );
    app.stop().await;
}

#[tokio::test]
async fn possible_numbers_of_every_country_are_sent() {
    let app = spawn_app().await;
    // Fictional (555, Ofcom's drama range) and real-looking numbers of several plans.
    for to in [
        "+15551234567",
        "+447700900123",
        "+4930123456",
        "+33612345678",
        "+5511912345678",
        "whatsapp:+918123456789",
    ] {
        let (status, body) = app
            .post(
                &app.messages_path(SID),
                &[("To", to), ("From", FROM), ("Body", "hi")],
            )
            .await;
        assert_eq!(status, 201, "{to}: {body}");
        assert_eq!(body["to"], to);
    }
    app.stop().await;
}

#[tokio::test]
async fn numbers_the_server_names_are_accepted_whatever_their_length() {
    let mut config = test_config();
    let configured_sender = "+1555000";
    let configured_recipient = "+15550001112222";
    config
        .twilio
        .allowed_from_numbers
        .push(configured_sender.into());
    config
        .twilio
        .registered_numbers
        .push(configured_recipient.into());
    config.whatsapp.display_phone_number = "4477009001".into();
    let app = spawn_with(config).await;
    let mut control = app.control().await;
    let tenant = control.tenant("numbering").await;
    let tenant_number = "+44770090";
    control.number(&tenant, tenant_number, "").await;

    let sends = [
        (configured_sender, configured_recipient),
        (FROM, "whatsapp:+4477009001"),
        ("+15005550006", "+15557654321"),
    ];
    for (from, to) in sends {
        let (status, body) = app
            .post(
                &app.messages_path(SID),
                &[("To", to), ("From", from), ("Body", "hi")],
            )
            .await;
        assert_eq!(status, 201, "{from} → {to}: {body}");
    }
    for (from, to) in [
        (tenant_number, "+15557654321"),
        ("+15005550006", tenant_number),
    ] {
        let (status, body) = app
            .send_as(&tenant, &[("To", to), ("From", from), ("Body", "hi")])
            .await;
        assert_eq!(
            status, 201,
            "the tenant's own number, {from} → {to}: {body}"
        );
    }
    // Another tenant's number is an ordinary number there, and this one is too short.
    let other = control.tenant("numbering-other").await;
    let (status, body) = app
        .send_as(
            &other,
            &[("To", tenant_number), ("From", FROM), ("Body", "hi")],
        )
        .await;
    assert_twilio_error(status, &body, 400, 21211);
    app.stop().await;
}

#[tokio::test]
async fn buying_a_number_no_country_could_have_is_21421() {
    let app = spawn_app().await;
    let path = format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json");
    for number in [US_TOO_SHORT, US_TOO_LONG] {
        let (status, body) = app.post(&path, &[("PhoneNumber", number)]).await;
        assert_twilio_error(status, &body, 400, 21421);
        assert_eq!(body["message"], format!("PhoneNumber {number} is invalid."));
    }
    let (status, body) = app.post(&path, &[("PhoneNumber", "+447700900456")]).await;
    assert_eq!(status, 201, "{body}");
    let (_, list) = app.get(&path).await;
    let numbers: Vec<&str> = list["incoming_phone_numbers"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|n| n["phone_number"].as_str())
        .collect();
    assert!(numbers.contains(&"+447700900456"));
    assert!(!numbers.contains(&US_TOO_SHORT) && !numbers.contains(&US_TOO_LONG));
    app.stop().await;
}
