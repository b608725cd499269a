//! Test support: the real server on port 0, and a webhook receiver that records every request
//! and can be told to fail.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use mockingbird::config::Config;
use mockingbird::control::proto;
use mockingbird::control::proto::{
    clock_client::ClockClient, events_client::EventsClient, messages_client::MessagesClient,
    numbers_client::NumbersClient, rules_client::RulesClient, tenants_client::TenantsClient,
    whats_app_client::WhatsAppClient,
};
use mockingbird::core::store::CallbackAttempt;
use mockingbird::core::tenants::Tenant;
use mockingbird::server::{AppState, Server};
use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub const SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "secrettoken123";
pub const FROM: &str = "+15550000001";
pub const WAIT: Duration = Duration::from_secs(10);

/// A config for tests: in-memory store, the seed's number lists, small real delays.
pub fn test_config() -> Config {
    let mut config = Config::default();
    config.database.path = ":memory:".into();
    config.twilio.account_sid = SID.into();
    config.twilio.auth_token = TOKEN.into();
    config.twilio.allowed_from_numbers = vec![FROM.into()];
    config.twilio.registered_numbers = vec!["+15551234567".into()];
    config.twilio.failure_numbers = vec!["+15559999999".into()];
    config.twilio.callbacks.delay_seconds = 2.0;
    config.twilio.callbacks.retry_delay_seconds = 5.0;
    config.twilio.callbacks.timeout_seconds = 2.0;
    config.control.host = Some("127.0.0.1".into());
    config.control.port = 0;
    config
}

pub struct TestApp {
    pub base: String,
    /// The control plane, `http://127.0.0.1:PORT`.
    pub grpc: String,
    pub state: Arc<AppState>,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    server: Option<Server>,
}

/// Generated clients of the control plane.
#[derive(Clone)]
pub struct Control {
    pub tenants: TenantsClient<Channel>,
    pub rules: RulesClient<Channel>,
    pub numbers: NumbersClient<Channel>,
    pub messages: MessagesClient<Channel>,
    pub events: EventsClient<Channel>,
    pub clock: ClockClient<Channel>,
    pub whatsapp: WhatsAppClient<Channel>,
}

impl Control {
    /// A new tenant labelled `label`.
    pub async fn tenant(&mut self, label: &str) -> proto::Tenant {
        self.tenants
            .create_tenant(proto::CreateTenantRequest {
                label: label.into(),
            })
            .await
            .expect("CreateTenant")
            .into_inner()
    }

    /// Give a tenant a number whose texts go to `sms_url` (none when empty).
    pub async fn number(&mut self, tenant: &proto::Tenant, number: &str, sms_url: &str) {
        self.numbers
            .add_number(proto::AddNumberRequest {
                account_sid: tenant.account_sid.clone(),
                phone_number: number.into(),
                sms_url: sms_url.into(),
                ..Default::default()
            })
            .await
            .expect("AddNumber");
    }

    /// The first event of `filter` after `after`, within 10 s.
    pub async fn wait_for(&mut self, filter: proto::EventFilter, after: i64) -> proto::Event {
        self.events
            .wait_for(proto::WaitForRequest {
                filter: Some(filter),
                after_sequence: after,
                timeout: Some(prost_types::Duration {
                    seconds: WAIT.as_secs() as i64,
                    nanos: 0,
                }),
            })
            .await
            .unwrap_or_else(|status| panic!("WaitFor: {}", status.message()))
            .into_inner()
    }

    pub async fn freeze(&mut self, tenant: &proto::Tenant) {
        self.clock
            .freeze(proto::FreezeRequest {
                account_sid: tenant.account_sid.clone(),
            })
            .await
            .expect("Freeze");
    }

    /// Advance a frozen tenant clock by `millis`.
    pub async fn advance(&mut self, tenant: &proto::Tenant, millis: u64) -> proto::ClockState {
        self.clock
            .advance(proto::AdvanceRequest {
                account_sid: tenant.account_sid.clone(),
                by: Some(prost_types::Duration {
                    seconds: (millis / 1000) as i64,
                    nanos: ((millis % 1000) * 1_000_000) as i32,
                }),
            })
            .await
            .expect("Advance")
            .into_inner()
    }
}

/// A filter on one tenant's events of some kinds.
pub fn events_of(tenant: &proto::Tenant, kinds: &[proto::EventKind]) -> proto::EventFilter {
    proto::EventFilter {
        account_sid: tenant.account_sid.clone(),
        kinds: kinds.iter().map(|k| *k as i32).collect(),
        ..Default::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(test_config()).await
}

pub async fn spawn_with(config: Config) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let shutdown = CancellationToken::new();
    let server = Server::start(config, listener, shutdown.clone())
        .await
        .expect("server starts");
    TestApp {
        base: format!("http://{}", server.http_addr),
        grpc: format!("http://{}", server.grpc_addr),
        state: Arc::clone(&server.state),
        http: reqwest::Client::new(),
        shutdown,
        server: Some(server),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn messages_path(&self, account: &str) -> String {
        format!("/2010-04-01/Accounts/{account}/Messages.json")
    }

    /// The default tenant, by the config's account SID.
    pub fn tenant(&self, sid: &str) -> Arc<Tenant> {
        self.state.core.tenants.get(sid).expect("tenant exists")
    }

    /// POST a form as the default account.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        self.post_as(SID, TOKEN, path, form).await
    }

    pub async fn post_as(
        &self,
        user: &str,
        password: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(path))
            .basic_auth(user, Some(password))
            .form(form)
            .send()
            .await
            .expect("request");
        read(response).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.get_as(SID, TOKEN, path).await
    }

    pub async fn get_as(&self, user: &str, password: &str, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(path))
            .basic_auth(user, Some(password))
            .send()
            .await
            .expect("request");
        read(response).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .delete(self.url(path))
            .basic_auth(SID, Some(TOKEN))
            .send()
            .await
            .expect("request");
        read(response).await
    }

    /// Send a message as the default account; panics unless it is created.
    pub async fn send(&self, form: &[(&str, &str)]) -> Value {
        let (status, body) = self.post(&self.messages_path(SID), form).await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Move a tenant's frozen clock forward, running everything that falls due.
    pub async fn advance(&self, tenant: &Tenant, seconds: f64) {
        self.state
            .core
            .advance_clock(tenant, Duration::from_secs_f64(seconds))
            .await
            .expect("the clock is frozen");
    }

    /// The tenant's recorded webhook attempts, newest first.
    pub async fn attempts(&self, tenant: &Tenant) -> Vec<CallbackAttempt> {
        self.state
            .core
            .callback_attempts(tenant, None, 100)
            .await
            .expect("attempts are readable")
    }

    /// Send "hi" from the default account's number to `to`, with a status callback to `url`.
    pub async fn send_with_callback(&self, to: &str, url: &str) -> Value {
        self.send(&[
            ("To", to),
            ("From", FROM),
            ("Body", "hi"),
            ("StatusCallback", url),
        ])
        .await
    }

    /// Clients of every control-plane service, on one connection.
    pub async fn control(&self) -> Control {
        let channel = tonic::transport::Channel::from_shared(self.grpc.clone())
            .expect("gRPC address")
            .connect()
            .await
            .expect("connect to the control plane");
        Control {
            tenants: TenantsClient::new(channel.clone()),
            rules: RulesClient::new(channel.clone()),
            numbers: NumbersClient::new(channel.clone()),
            messages: MessagesClient::new(channel.clone()),
            events: EventsClient::new(channel.clone()),
            clock: ClockClient::new(channel.clone()),
            whatsapp: WhatsAppClient::new(channel),
        }
    }

    /// Send a message with the SDK's form as a control-plane tenant.
    pub async fn send_as(&self, tenant: &proto::Tenant, form: &[(&str, &str)]) -> (u16, Value) {
        self.post_as(
            &tenant.account_sid,
            &tenant.auth_token,
            &self.messages_path(&tenant.account_sid),
            form,
        )
        .await
    }

    /// Stop the server and wait until it has.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            tokio::time::timeout(WAIT, server.wait())
                .await
                .expect("server stops in time")
                .expect("server stops cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    (status, body)
}

/// Assert a Twilio error envelope.
/// Assert Meta's Graph error envelope: HTTP status, `code`, `type`, a `(#code) ` message,
/// `error_data.details` and a trace id.
pub fn assert_graph_error(status: u16, body: &Value, expected_status: u16, code: u64) {
    assert_eq!(status, expected_status, "{body}");
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    assert_eq!(error["type"], "OAuthException", "{body}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with(&format!("(#{code}) "))),
        "{body}"
    );
    assert!(error["error_data"]["details"].is_string(), "{body}");
    assert!(error["fbtrace_id"].is_string(), "{body}");
}

pub fn assert_twilio_error(status: u16, body: &Value, expected_status: u16, code: u64) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], expected_status, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}"),
        "{body}"
    );
}

// ---------------------------------------------------------------------------------------------

/// A scripted answer that keeps the sender waiting past its timeout.
pub const HANG: u16 = 0;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The URL as the sender addressed it (scheme, host, path, query).
    pub url: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    pub form: Vec<(String, String)>,
}

impl Recorded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Default)]
struct ReceiverState {
    requests: Mutex<Vec<Recorded>>,
    /// Statuses to answer with, in order, before answering 200. [`HANG`] answers nothing for
    /// longer than any test's webhook timeout.
    scripted: Mutex<VecDeque<u16>>,
    /// The body of every answer ("ok" unless told otherwise, e.g. TwiML).
    reply: Mutex<String>,
    arrived: Notify,
}

/// A webhook receiver on port 0 that records every request.
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<ReceiverState>,
    shutdown: CancellationToken,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = Arc::new(ReceiverState {
            reply: Mutex::new("ok".into()),
            ..ReceiverState::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver address");
        let shutdown = CancellationToken::new();
        let app = axum::Router::new()
            .fallback(record)
            .with_state(Arc::clone(&state));
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await
        });
        Receiver {
            addr,
            state,
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answer the next requests with these statuses (then 200).
    pub fn answer_with(&self, statuses: &[u16]) {
        self.state.scripted.lock().unwrap().extend(statuses);
    }

    /// Answer every request with this body (TwiML when it starts with `<`).
    pub fn reply_with(&self, body: &str) {
        *self.state.reply.lock().unwrap() = body.into();
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Wait until at least `count` requests have arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<Recorded> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.state.arrived.notified();
            let requests = self.requests();
            if requests.len() >= count {
                return requests;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "waited {WAIT:?} for {count} webhook requests; got {}: {requests:#?}",
                    requests.len()
                );
            }
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn record(State(state): State<Arc<ReceiverState>>, request: Request) -> impl IntoResponse {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_else(|_| Bytes::new());
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = String::from_utf8_lossy(&body).into_owned();
    let form = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let recorded = Recorded {
        method: parts.method.to_string(),
        url: format!("http://{host}{}", parts.uri),
        headers: parts.headers,
        body,
        form,
    };
    state.requests.lock().unwrap().push(recorded);
    state.arrived.notify_waiters();
    let status = state.scripted.lock().unwrap().pop_front().unwrap_or(200);
    if status == HANG {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let body = state.reply.lock().unwrap().clone();
    let content_type = if body.starts_with('<') {
        "text/xml"
    } else {
        "text/plain"
    };
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        [("content-type", content_type)],
        body,
    )
}
