//! The Rules service: rules replaced, added, listed and cleared, and the callback disorder a
//! rule asks for.

use mockingbird::proto::{self, EventKind, MessageStatus as Status, event::Payload};
use tonic::Code;

use super::fixtures::*;
use crate::support::*;

#[tokio::test]
async fn rules_are_replaced_added_listed_and_cleared() {
    let mut t = Fixture::tenant("rules").with_number().await;
    let blocked = rejecting("blocked", "+15550000004", 21610);
    let replaced = t
        .control
        .rules
        .replace_rules(proto::ReplaceRulesRequest {
            account_sid: t.sid(),
            rules: vec![blocked.clone()],
        })
        .await
        .unwrap()
        .into_inner()
        .rules;
    assert_eq!(replaced.len(), 1);
    let (status, body) = t.send(&text_to("+15550000004", "x")).await;
    assert_twilio_error(status, &body, 400, 21610);
    assert_eq!(body["message"], "Attempt to send to unsubscribed recipient");
    let matched = t
        .control
        .wait_for(events_of(&t.tenant, &[EventKind::RuleMatched]), 0)
        .await;
    let Some(Payload::RuleMatched(matched)) = matched.payload else {
        panic!("{matched:?}")
    };
    assert_eq!(
        (matched.rule_id.as_str(), matched.rejected_with),
        ("blocked", 21610)
    );

    // An added rule without an id gets one, and goes after the others.
    let added = t
        .control
        .rules
        .add_rule(proto::AddRuleRequest {
            account_sid: t.sid(),
            rule: Some(proto::Rule {
                when: to(USER),
                outcome: lifecycle(&[(Status::Undelivered, 1000, 30003)]),
                first_n: 1,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.id, "rule-2");
    let listed = rules_of(&mut t.control, &t.tenant).await;
    assert_eq!(listed, vec![replaced[0].clone(), added.clone()]);
    assert_eq!(listed[0].id, blocked.id);

    // Bad rules are refused whole.
    for bad in [
        proto::Rule {
            id: "blocked".into(),
            ..added.clone()
        },
        proto::Rule {
            id: "no-outcome".into(),
            ..Default::default()
        },
        proto::Rule {
            id: "bad-regex".into(),
            when: Some(proto::MessageMatch {
                body: Some(proto::BodyPattern {
                    pattern: Some(proto::body_pattern::Pattern::Regex("(".into())),
                }),
                ..Default::default()
            }),
            outcome: lifecycle(&[]),
            ..Default::default()
        },
    ] {
        let refused = t
            .control
            .rules
            .add_rule(proto::AddRuleRequest {
                account_sid: t.sid(),
                rule: Some(bad),
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    }

    let cleared = t
        .control
        .rules
        .clear_rules(proto::ClearRulesRequest {
            account_sid: t.sid(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(cleared.rules.is_empty());
    let (status, _) = t.send(&text_to("+15550000004", "x")).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn callbacks_can_be_dropped_duplicated_and_delivered_out_of_order() {
    let mut t = Fixture::tenant("disorder")
        .with_number()
        .with_receiver()
        .frozen()
        .await;
    let disorderly = |number: &str, disorder: proto::CallbackDisorder| proto::Rule {
        when: to(number),
        outcome: lifecycle(&[(Status::Sent, 1_000, 0), (Status::Delivered, 1_000, 0)]),
        callbacks: Some(disorder),
        ..Default::default()
    };
    t.control
        .rules
        .replace_rules(proto::ReplaceRulesRequest {
            account_sid: t.sid(),
            rules: vec![
                disorderly(
                    "+15550000001",
                    proto::CallbackDisorder {
                        drop: vec![Status::Sent as i32],
                        duplicate: vec![Status::Delivered as i32],
                        ..Default::default()
                    },
                ),
                disorderly(
                    "+15550000002",
                    proto::CallbackDisorder {
                        delay: vec![proto::DelayedCallback {
                            status: Status::Sent as i32,
                            by: duration(5_000),
                        }],
                        ..Default::default()
                    },
                ),
            ],
        })
        .await
        .unwrap();
    for to in ["+15550000001", "+15550000002"] {
        let callback = t.receiver().url(&format!("/status/{to}"));
        let form = [
            ("To", to),
            ("From", NUMBER),
            ("Body", "hi"),
            ("StatusCallback", callback.as_str()),
        ];
        assert_eq!(t.send(&form).await.0, 201);
    }
    t.advance(10_000).await;
    let requests = t.receiver().wait_for(4).await;
    let of = |to: &str| -> Vec<(String, String)> {
        requests
            .iter()
            .filter(|r| r.param("To") == Some(to))
            .map(|r| {
                (
                    r.param("MessageStatus").unwrap().to_owned(),
                    r.header("i-twilio-idempotency-token").unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Dropped `sent`, and `delivered` twice with one token.
    let first = of("+15550000001");
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(first.iter().all(|(status, _)| status == "delivered"));
    assert_eq!(first[0].1, first[1].1);
    // `sent` held back until after `delivered`.
    let second: Vec<String> = of("+15550000002").into_iter().map(|(s, _)| s).collect();
    assert_eq!(second, ["delivered", "sent"]);
}
