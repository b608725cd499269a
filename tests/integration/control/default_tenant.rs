//! An empty `account_sid` names the config file's account (the default tenant) on every method
//! that takes one: rules, numbers, clock, messages, tenants.

use mockingbird::proto;

use super::fixtures::*;
use crate::support::*;

#[tokio::test]
async fn an_empty_account_sid_is_the_config_files_account() {
    let mut t = Fixture::tenant("default").await;

    // Rules.AddRule, then ListRules by the SID: the rule is the default tenant's, and its sends
    // meet it.
    let added = t
        .control
        .rules
        .add_rule(proto::AddRuleRequest {
            account_sid: String::new(),
            rule: Some(rejecting("blocked", "+15550000004", 21610)),
        })
        .await
        .expect("AddRule with an empty account_sid")
        .into_inner();
    assert_eq!(added.id, "blocked");
    let listed = rules_of(&mut t.control, SID).await;
    assert_eq!(
        listed.last().map(|r| r.id.as_str()),
        Some("blocked"),
        "{listed:?}"
    );
    let (status, body) = t
        .app
        .post(
            &t.app.messages_path(SID),
            &[("To", "+15550000004"), ("From", FROM), ("Body", "x")],
        )
        .await;
    assert_twilio_error(status, &body, 400, 21610);
    let sid = t.sid();
    let own = rules_of(&mut t.control, &sid).await;
    assert!(own.is_empty(), "another tenant's rules are untouched");

    // Numbers.AddNumber and ListNumbers.
    t.control
        .numbers
        .add_number(proto::AddNumberRequest {
            phone_number: "+15550202020".into(),
            ..Default::default()
        })
        .await
        .expect("AddNumber with an empty account_sid");
    let numbers = t
        .control
        .numbers
        .list_numbers(proto::ListNumbersRequest {
            account_sid: SID.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .numbers;
    assert!(
        numbers.iter().any(|n| n.phone_number == "+15550202020"),
        "{numbers:?}"
    );

    // Clock.Freeze, read back by the SID.
    t.control
        .clock
        .freeze(proto::FreezeRequest::default())
        .await
        .expect("Freeze with an empty account_sid");
    let clock = t
        .control
        .clock
        .get_clock(proto::GetClockRequest {
            account_sid: SID.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(clock.frozen);

    // Messages.ListMessages: the default tenant's rejected send stored nothing; one accepted
    // send is there.
    t.app
        .send(&[("To", "+15551234567"), ("From", FROM), ("Body", "kept")])
        .await;
    let messages = t
        .control
        .messages
        .list_messages(proto::ListMessagesRequest::default())
        .await
        .expect("ListMessages with an empty account_sid")
        .into_inner()
        .messages;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].account_sid, SID);

    // Tenants.GetTenant.
    let tenant = t
        .control
        .tenants
        .get_tenant(proto::GetTenantRequest::default())
        .await
        .expect("GetTenant with an empty account_sid")
        .into_inner();
    assert_eq!(tenant.account_sid, SID);
}

async fn rules_of(control: &mut Control, account_sid: &str) -> Vec<proto::Rule> {
    control
        .rules
        .list_rules(proto::ListRulesRequest {
            account_sid: account_sid.into(),
        })
        .await
        .expect("ListRules")
        .into_inner()
        .rules
}
