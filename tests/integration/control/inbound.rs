//! Messages.SendInbound: a user's text reaches the app signed, and STOP, HELP and START.

use mockingbird::proto::{self, EventKind, MessageStatus as Status, event::Payload};
use tonic::Code;

use super::fixtures::*;
use crate::support::*;

#[tokio::test]
async fn an_inbound_text_reaches_the_app_signed_and_its_twiml_reply_is_sent() {
    let mut t = Fixture::tenant("inbound")
        .with_number_texting("/sms?app=1")
        .await;
    t.receiver().reply_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>Got it: &quot;hello&quot;</Message></Response>",
    );
    let outcome = t
        .control
        .messages
        .send_inbound(proto::SendInboundRequest {
            media_urls: vec!["https://example.com/cat.jpg".into()],
            ..text_from_user(&t.tenant, "hello")
        })
        .await
        .unwrap()
        .into_inner();
    let inbound = outcome.message.unwrap();
    assert!(inbound.sid.starts_with("MM"));
    assert_eq!(inbound.direction, proto::Direction::Inbound as i32);
    assert_eq!(inbound.status, Status::Received as i32);
    let webhook = outcome.webhook.unwrap();
    assert_eq!(webhook.response_status, 200);
    assert!(webhook.response_body.contains("<Message>"));

    let request = &t.receiver().wait_for(1).await[0];
    assert!(twilio_signed(request, &t.tenant.auth_token), "{request:#?}");
    for (name, value) in [
        ("MessageSid", inbound.sid.as_str()),
        ("SmsSid", inbound.sid.as_str()),
        ("SmsMessageSid", inbound.sid.as_str()),
        ("AccountSid", t.tenant.account_sid.as_str()),
        ("From", USER),
        ("To", NUMBER),
        ("Body", "hello"),
        ("NumMedia", "1"),
        ("NumSegments", "1"),
        ("MediaUrl0", "https://example.com/cat.jpg"),
        ("MediaContentType0", "image/jpeg"),
        ("SmsStatus", "received"),
        ("ApiVersion", "2010-04-01"),
    ] {
        assert_eq!(request.param(name), Some(value), "{name}");
    }

    assert_eq!(outcome.replies.len(), 1);
    let reply = &outcome.replies[0];
    assert_eq!(reply.body, "Got it: \"hello\"");
    assert_eq!((reply.from.as_str(), reply.to.as_str()), (NUMBER, USER));
    assert_eq!(reply.direction, proto::Direction::OutboundReply as i32);
    let (_, listed) = t
        .app
        .get_as(
            &t.tenant.account_sid,
            &t.tenant.auth_token,
            &t.app.messages_path(&t.tenant.account_sid),
        )
        .await;
    let directions: Vec<&str> = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["direction"].as_str().unwrap())
        .collect();
    assert_eq!(directions, ["outbound-reply", "inbound"]);

    let delivered = t
        .control
        .wait_for(events_of(&t.tenant, &[EventKind::InboundDelivered]), 0)
        .await;
    let Some(Payload::InboundDelivered(delivered)) = delivered.payload else {
        panic!("{delivered:?}")
    };
    assert_eq!(delivered.reply_sids, vec![reply.sid.clone()]);
    assert_eq!(delivered.webhook.unwrap().response_status, 200);

    let unknown = t
        .control
        .messages
        .send_inbound(proto::SendInboundRequest {
            to: "+15559990000".into(),
            ..text_from_user(&t.tenant, "hello")
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn stop_unsubscribes_a_user_until_start() {
    let mut t = Fixture::tenant("opt-out").with_number_texting("/sms").await;
    // The app answers every text with a reply, which Twilio must not send after STOP.
    t.receiver()
        .reply_with("<Response><Message>Thanks!</Message></Response>");
    let form = text_to(USER, "sale!");

    let stop = t
        .control
        .messages
        .send_inbound(text_from_user(&t.tenant, "Stop"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stop.opt_out_type, "STOP");
    assert_eq!(
        stop.replies.len(),
        1,
        "only Twilio's confirmation: {:?}",
        stop.replies
    );
    assert!(
        stop.replies[0]
            .body
            .starts_with("You have successfully been unsubscribed")
    );
    assert_eq!(
        t.receiver().wait_for(1).await[0].param("OptOutType"),
        Some("STOP")
    );
    let (status, body) = t.send(&form).await;
    assert_twilio_error(status, &body, 400, 21610);

    let help = t
        .control
        .messages
        .send_inbound(text_from_user(&t.tenant, "help"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(help.opt_out_type, "HELP");
    assert_eq!(t.send(&form).await.0, 400, "HELP does not opt back in");

    let start = t
        .control
        .messages
        .send_inbound(text_from_user(&t.tenant, "START"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(start.opt_out_type, "START");
    assert_eq!(start.replies.len(), 2, "confirmation and the app's reply");
    assert_eq!(t.send(&form).await.0, 201);

    // An opt-out is per tenant number: another tenant's sends are untouched.
    let other = tenant_with_number(&mut t.control, "other").await;
    assert_eq!(t.app.send_as(&other, &form).await.0, 201);
}
