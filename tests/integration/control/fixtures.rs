//! What the control plane's tests share: a tenant with a number, a user to text, and short
//! ways to write rules and read events.

use futures_util::StreamExt;
use mockingbird::control::proto::{self, MessageStatus as Status, address_pattern, rule};

use crate::support::*;

pub const USER: &str = "+15557654321";
pub const NUMBER: &str = "+15550101010";

pub fn duration(millis: u64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: (millis / 1000) as i64,
        nanos: ((millis % 1000) * 1_000_000) as i32,
    })
}

pub fn to(number: &str) -> Option<proto::MessageMatch> {
    Some(proto::MessageMatch {
        to: Some(proto::AddressPattern {
            pattern: Some(address_pattern::Pattern::Exact(number.into())),
        }),
        ..Default::default()
    })
}

/// A lifecycle: each status `delay` ms after the previous one.
pub fn lifecycle(steps: &[(Status, u64, u32)]) -> Option<rule::Outcome> {
    Some(rule::Outcome::Accept(proto::Lifecycle {
        steps: steps
            .iter()
            .map(|(status, delay, code)| proto::LifecycleStep {
                status: *status as i32,
                delay: duration(*delay),
                error_code: *code,
                error_message: String::new(),
            })
            .collect(),
    }))
}

/// The next event of a subscription, within 10 s.
pub async fn next_event(stream: &mut tonic::Streaming<proto::Event>) -> proto::Event {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an event in time")
        .expect("the stream goes on")
        .expect("no error")
}

/// Send `body` from the tenant's number to the user, with status callbacks to `callback`; the
/// message's SID.
pub async fn send_with_callback(
    app: &TestApp,
    tenant: &proto::Tenant,
    body: &str,
    callback: &str,
) -> String {
    let form = [
        ("To", USER),
        ("From", NUMBER),
        ("Body", body),
        ("StatusCallback", callback),
    ];
    let (status, answer) = app.send_as(tenant, &form).await;
    assert_eq!(status, 201, "{answer}");
    answer["sid"].as_str().unwrap().to_owned()
}

/// A tenant with a number, ready to send from it.
pub async fn tenant_with_number(control: &mut Control, label: &str) -> proto::Tenant {
    let tenant = control.tenant(label).await;
    control.number(&tenant, NUMBER, "").await;
    tenant
}
