//! The Tenants service: a tenant's life from creation to deletion, and tenants kept apart.

use mockingbird::proto::{self, EventKind, MessageStatus as Status, rule};
use tonic::Code;

use super::fixtures::*;
use crate::support::*;

#[tokio::test]
async fn tenants_are_created_fetched_listed_reset_and_deleted() {
    let mut t = Fixture::tenant("checkout sends a receipt").await;
    let tenant = &t.tenant;
    assert!(tenant.account_sid.starts_with("AC") && tenant.account_sid.len() == 34);
    assert!(tenant.api_key_sid.starts_with("SK") && tenant.api_key_sid.len() == 34);
    assert!(!tenant.auth_token.is_empty() && !tenant.api_key_secret.is_empty());
    assert_eq!(tenant.label, "checkout sends a receipt");
    let whatsapp = tenant.whatsapp.clone().expect("a WhatsApp identity");
    assert!(whatsapp.phone_number_id.bytes().all(|b| b.is_ascii_digit()));
    assert!(whatsapp.access_token.starts_with("EAA"));
    assert!(!whatsapp.app_secret.is_empty() && !whatsapp.verify_token.is_empty());

    // Both credentials work against the Twilio API; the key sends as its account.
    t.control.number(&t.tenant, NUMBER, "").await;
    let form = text_to(USER, "receipt");
    let path = t.app.messages_path(&t.tenant.account_sid);
    let (status, body) = t
        .app
        .post_as(
            &t.tenant.api_key_sid,
            &t.tenant.api_key_secret,
            &path,
            &form,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["account_sid"], t.tenant.account_sid.as_str());

    let fetched = t
        .control
        .tenants
        .get_tenant(proto::GetTenantRequest {
            account_sid: t.sid(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched, t.tenant);
    let listed = t
        .control
        .tenants
        .list_tenants(proto::ListTenantsRequest {})
        .await
        .unwrap()
        .into_inner()
        .tenants;
    assert!(listed.iter().any(|t| t.account_sid == SID));
    assert!(listed.contains(&t.tenant));

    // Reset: data and rules go; credentials and numbers stay.
    t.control
        .rules
        .add_rule(proto::AddRuleRequest {
            account_sid: t.sid(),
            rule: Some(proto::Rule {
                when: to(USER),
                outcome: lifecycle(&[(Status::Sent, 0, 0)]),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let reset = t
        .control
        .tenants
        .reset_tenant(proto::ResetTenantRequest {
            account_sid: t.sid(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reset.tenant.as_ref(), Some(&t.tenant));
    let messages = messages_of(&mut t.control, &t.tenant).await;
    assert!(messages.is_empty(), "{messages:?}");
    assert!(rules_of(&mut t.control, &t.tenant).await.is_empty());
    let cleared = t
        .control
        .wait_for(events_of(&t.tenant, &[EventKind::DataCleared]), 0)
        .await;
    assert_eq!(cleared.sequence, reset.sequence);
    assert_eq!(t.send(&form).await.0, 201);

    // Delete: the credentials stop working.
    t.control
        .tenants
        .delete_tenant(proto::DeleteTenantRequest {
            account_sid: t.sid(),
        })
        .await
        .unwrap();
    let gone = t
        .control
        .tenants
        .get_tenant(proto::GetTenantRequest {
            account_sid: t.sid(),
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    let (status, body) = t.send(&form).await;
    assert_twilio_error(status, &body, 401, 20003);

    // The config file's account stays; a missing SID is a bad request.
    let refused = t
        .control
        .tenants
        .delete_tenant(proto::DeleteTenantRequest {
            account_sid: SID.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    // An empty account_sid is the config file's account: fetched, and not deletable either.
    let default = t
        .control
        .tenants
        .get_tenant(proto::GetTenantRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(default.account_sid, SID);
    let refused = t
        .control
        .tenants
        .delete_tenant(proto::DeleteTenantRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn twenty_tenants_driven_at_once_never_see_each_other() {
    let app = spawn_app().await;
    let control = app.control().await;
    let runs = (0..20).map(|i| {
        let mut control = control.clone();
        let app = &app;
        async move {
            let tenant = tenant_with_number(&mut control, &format!("parallel {i}")).await;
            let blocked = format!("+1555000{i:04}");
            control
                .rules
                .replace_rules(proto::ReplaceRulesRequest {
                    account_sid: tenant.account_sid.clone(),
                    rules: vec![proto::Rule {
                        id: format!("block-{i}"),
                        when: to(&blocked),
                        outcome: Some(rule::Outcome::Reject(proto::Rejection {
                            error_code: 21612,
                            ..Default::default()
                        })),
                        ..Default::default()
                    }],
                })
                .await
                .unwrap();
            control.freeze(&tenant).await;
            for n in 0..5 {
                let body = format!("tenant {i} message {n}");
                assert_eq!(app.send_as(&tenant, &text_to(USER, &body)).await.0, 201);
            }
            let (status, _) = app.send_as(&tenant, &text_to(&blocked, "x")).await;
            assert_eq!(status, 400);
            control.advance(&tenant, 4_000).await;
            (tenant, i)
        }
    });
    let tenants = futures_util::future::join_all(runs).await;

    // Clearing one tenant touches nobody else.
    let mut control = control;
    let (cleared, _) = &tenants[0];
    control
        .tenants
        .reset_tenant(proto::ResetTenantRequest {
            account_sid: cleared.account_sid.clone(),
        })
        .await
        .unwrap();
    for (tenant, i) in &tenants[1..] {
        let messages = messages_of(&mut control, tenant).await;
        assert_eq!(messages.len(), 5);
        assert!(
            messages
                .iter()
                .all(|m| m.body.starts_with(&format!("tenant {i} "))
                    && m.status == Status::Delivered as i32),
            "{messages:?}"
        );
        let rules = rules_of(&mut control, tenant).await;
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].id, format!("block-{i}"));
        // Its events: all its own, 5 created + 10 status changes + 1 rule match + 1 created.
        let mut stream = subscribe(&mut control, events_of(tenant, &[]), 0).await;
        let mut kinds = Vec::new();
        while kinds.len() < 17 {
            let event = next_event(&mut stream).await;
            assert_eq!(event.account_sid, tenant.account_sid);
            kinds.push(event.kind);
        }
        let count = |kind: EventKind| kinds.iter().filter(|k| **k == kind as i32).count();
        assert_eq!(count(EventKind::MessageCreated), 5);
        assert_eq!(count(EventKind::MessageStatusChanged), 10);
        assert_eq!(count(EventKind::RuleMatched), 1);
        assert_eq!(count(EventKind::TenantCreated), 1);
    }
}
