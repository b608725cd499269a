//! What the control plane's tests share: a [`Fixture`] (the server, its clients and a tenant of
//! the test's own), the user that tenant texts, and short ways to write rules and read events.

use std::future::IntoFuture;

use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use mockingbird::proto::{self, MessageStatus as Status, address_pattern, rule};
use serde_json::Value;

use crate::support::*;

pub const USER: &str = "+15557654321";
pub const NUMBER: &str = "+15550101010";

/// The real server, clients of its control plane, and a new tenant; `Fixture::tenant(label)`
/// says how it is set up, and awaiting that builds it.
pub struct Fixture {
    pub app: TestApp,
    pub control: Control,
    pub tenant: proto::Tenant,
    receiver: Option<Receiver>,
}

/// How a [`Fixture`] is set up: a tenant, and whatever of a number, a webhook receiver and a
/// frozen clock the test asks for.
pub struct Setup {
    label: String,
    number: bool,
    /// Where on the receiver the number's texts go; none when empty.
    sms_path: Option<String>,
    receiver: bool,
    frozen: bool,
}

impl Fixture {
    /// A fresh server and a tenant labelled `label`, nothing more unless asked.
    pub fn tenant(label: &str) -> Setup {
        Setup {
            label: label.into(),
            number: false,
            sms_path: None,
            receiver: false,
            frozen: false,
        }
    }

    /// The webhook receiver of a fixture set up `.with_receiver()`.
    pub fn receiver(&self) -> &Receiver {
        self.receiver
            .as_ref()
            .expect("the fixture was set up .with_receiver()")
    }

    /// The tenant's account SID, as every control-plane request names it.
    pub fn sid(&self) -> String {
        self.tenant.account_sid.clone()
    }

    /// Where the receiver takes status callbacks.
    pub fn callback_url(&self) -> String {
        self.receiver().url("/status")
    }

    /// Send a message as the tenant, with the SDK's form.
    pub async fn send(&self, form: &[(&str, &str)]) -> (u16, Value) {
        self.app.send_as(&self.tenant, form).await
    }

    /// Send `body` from the tenant's number to the user, with status callbacks to the receiver;
    /// the message's SID.
    pub async fn send_with_callback(&self, body: &str) -> String {
        let callback = self.callback_url();
        let form = [
            ("To", USER),
            ("From", NUMBER),
            ("Body", body),
            ("StatusCallback", callback.as_str()),
        ];
        let (status, answer) = self.send(&form).await;
        assert_eq!(status, 201, "{answer}");
        answer["sid"].as_str().unwrap().to_owned()
    }

    /// A message's status, as the control plane reads it.
    pub async fn status_of(&mut self, sid: &str) -> i32 {
        self.control
            .messages
            .get_message(proto::GetMessageRequest {
                account_sid: self.sid(),
                sid: sid.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status
    }

    /// Advance the tenant's frozen clock by `millis`.
    pub async fn advance(&mut self, millis: u64) -> proto::ClockState {
        self.control.advance(&self.tenant, millis).await
    }
}

impl Setup {
    /// The tenant has [`NUMBER`], whose texts go nowhere.
    pub fn with_number(mut self) -> Setup {
        self.number = true;
        self
    }

    /// The tenant has [`NUMBER`], whose texts go to the receiver at `path`.
    pub fn with_number_texting(mut self, path: &str) -> Setup {
        self.sms_path = Some(path.into());
        self.with_number().with_receiver()
    }

    /// A webhook receiver that records every request.
    pub fn with_receiver(mut self) -> Setup {
        self.receiver = true;
        self
    }

    /// The tenant's clock stands still until the test advances it.
    pub fn frozen(mut self) -> Setup {
        self.frozen = true;
        self
    }

    async fn build(self) -> Fixture {
        let app = spawn_app().await;
        let receiver = if self.receiver {
            Some(Receiver::start().await)
        } else {
            None
        };
        let mut control = app.control().await;
        let tenant = control.tenant(&self.label).await;
        if self.number {
            let sms_url = match (&self.sms_path, &receiver) {
                (Some(path), Some(receiver)) => receiver.url(path),
                _ => String::new(),
            };
            control.number(&tenant, NUMBER, &sms_url).await;
        }
        if self.frozen {
            control.freeze(&tenant).await;
        }
        Fixture {
            app,
            control,
            tenant,
            receiver,
        }
    }
}

impl IntoFuture for Setup {
    type Output = Fixture;
    type IntoFuture = LocalBoxFuture<'static, Fixture>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.build())
    }
}

/// Another tenant beside a fixture's, with a number, ready to send from it.
pub async fn tenant_with_number(control: &mut Control, label: &str) -> proto::Tenant {
    let tenant = control.tenant(label).await;
    control.number(&tenant, NUMBER, "").await;
    tenant
}

/// A text from [`USER`] to the tenant's [`NUMBER`], for Messages.SendInbound.
pub fn text_from_user(tenant: &proto::Tenant, body: &str) -> proto::SendInboundRequest {
    proto::SendInboundRequest {
        account_sid: tenant.account_sid.clone(),
        from: USER.into(),
        to: NUMBER.into(),
        body: body.into(),
        ..Default::default()
    }
}

/// The SDK's form for a text from [`NUMBER`] to `to`.
pub fn text_to<'a>(to: &'a str, body: &'a str) -> [(&'static str, &'a str); 3] {
    [("To", to), ("From", NUMBER), ("Body", body)]
}

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

/// A rule named `id` that rejects every message to `number` with Twilio's `error_code`.
pub fn rejecting(id: &str, number: &str, error_code: u32) -> proto::Rule {
    proto::Rule {
        id: id.into(),
        when: to(number),
        outcome: Some(rule::Outcome::Reject(proto::Rejection {
            error_code,
            ..Default::default()
        })),
        ..Default::default()
    }
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

/// A tenant's messages, as the control plane lists them.
pub async fn messages_of(control: &mut Control, tenant: &proto::Tenant) -> Vec<proto::Message> {
    control
        .messages
        .list_messages(proto::ListMessagesRequest {
            account_sid: tenant.account_sid.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .messages
}

/// A tenant's rules, in order.
pub async fn rules_of(control: &mut Control, tenant: &proto::Tenant) -> Vec<proto::Rule> {
    control
        .rules
        .list_rules(proto::ListRulesRequest {
            account_sid: tenant.account_sid.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .rules
}

/// Events of `filter` after `after_sequence`: the history, then live ones.
pub async fn subscribe(
    control: &mut Control,
    filter: proto::EventFilter,
    after_sequence: i64,
) -> tonic::Streaming<proto::Event> {
    control
        .events
        .subscribe(proto::SubscribeRequest {
            filter: Some(filter),
            after_sequence,
            live_only: false,
        })
        .await
        .unwrap()
        .into_inner()
}

/// The next event of a subscription, within 10 s.
pub async fn next_event(stream: &mut tonic::Streaming<proto::Event>) -> proto::Event {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an event in time")
        .expect("the stream goes on")
        .expect("no error")
}
