//! Test support: the real server on port 0, a webhook receiver that records every request and
//! can be told to fail, the pieces chatbots written in the tests share, and the providers'
//! signatures checked independently of the server.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::MethodRouter;
use mockingbird::config::Config;
use mockingbird::core::store::CallbackAttempt;
use mockingbird::core::tenants::Tenant;
use mockingbird::proto;
use mockingbird::proto::{
    clock_client::ClockClient, events_client::EventsClient, messages_client::MessagesClient,
    numbers_client::NumbersClient, rules_client::RulesClient, tenants_client::TenantsClient,
    whats_app_client::WhatsAppClient,
};
use mockingbird::server::{AppState, Server};
use mockingbird::webhooks::signature;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub const SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "secrettoken123";
pub const FROM: &str = "+15550000001";
pub const WAIT: Duration = Duration::from_secs(10);

/// The config file's tenant on WhatsApp (the Cloud API identity `Config::default()` gives it),
/// and the user of the seed's web page.
pub mod whatsapp {
    pub const PHONE_NUMBER_ID: &str = "123456789";
    pub const ACCESS_TOKEN: &str = "mockingbird";
    pub const APP_SECRET: &str = "mockingbird";
    pub const VERIFY_TOKEN: &str = "mockingbird";
    /// A WhatsApp id, as Meta writes users: digits, no `+`.
    pub const USER: &str = "263778177125";

    /// The tenant's messages edge of the Graph API.
    pub fn messages_path() -> String {
        format!("/v23.0/{PHONE_NUMBER_ID}/messages")
    }
}

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

    /// Reset a tenant: its data, rules and opt-outs dropped.
    pub async fn reset(&mut self, account_sid: &str) {
        self.tenants
            .reset_tenant(proto::ResetTenantRequest {
                account_sid: account_sid.into(),
            })
            .await
            .expect("ResetTenant");
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
        self.state.core.tenant(sid).expect("tenant exists")
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

    /// POST `body` as JSON to a Graph API path with a bearer token.
    pub async fn graph_post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let response = post_graph(&self.http, &self.url(path), token, body)
            .await
            .expect("request");
        read(response).await
    }

    /// Freeze the config file's tenant's clock through the control plane; that tenant, as the
    /// control plane names it (to advance its clock with [`Control::advance`]).
    pub async fn freeze_default(&self) -> proto::Tenant {
        let tenant = proto::Tenant {
            account_sid: SID.into(),
            ..Default::default()
        };
        self.control().await.freeze(&tenant).await;
        tenant
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

/// Assert a Twilio error envelope.
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
// Signatures, computed here independently of the server's `hmac` crate.

/// HMAC-SHA256 (RFC 2104) written out from SHA-256, as lowercase hex.
fn hmac_sha256_by_hand(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = block
        .iter()
        .map(|b| b ^ 0x36)
        .chain(message.iter().copied())
        .collect();
    let inner_hash = Sha256::digest(&inner);
    let outer: Vec<u8> = block
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(inner_hash.iter().copied())
        .collect();
    Sha256::digest(&outer)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_hand_written_hmac_matches_rfc_4231() {
    // Test case 2, and test case 6: a key longer than the block is hashed first.
    assert_eq!(
        hmac_sha256_by_hand(b"Jefe", b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        hmac_sha256_by_hand(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        ),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

/// Whether `header` is Meta's `X-Hub-Signature-256` of `body` for `app_secret`: `sha256=` and
/// the hex HMAC-SHA256 of the bytes sent.
pub fn meta_signed(body: &[u8], header: Option<&str>, app_secret: &str) -> bool {
    let expected = format!(
        "sha256={}",
        hmac_sha256_by_hand(app_secret.as_bytes(), body)
    );
    header == Some(expected.as_str())
}

/// Whether a recorded webhook carries Twilio's `X-Twilio-Signature` for `auth_token`. A GET's
/// parameters are in its URL, so only a POST's form is signed as parameters.
pub fn twilio_signed(request: &Recorded, auth_token: &str) -> bool {
    let params: &[(String, String)] = if request.method == "POST" {
        &request.form
    } else {
        &[]
    };
    request.header("x-twilio-signature")
        == Some(signature::twilio(auth_token, &request.url, params).as_str())
}

// ---------------------------------------------------------------------------------------------
// Pieces of the chatbots the tests write.

/// Serve `router` on port 0 for the rest of the test; its base URL, `http://127.0.0.1:PORT`.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

/// The base URL of a port nothing listens on: bound on port 0, then let go.
pub fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    format!("http://{}", listener.local_addr().expect("address"))
}

/// A bot's verification endpoint (`GET`): it echoes `hub.challenge` when `hub.mode` is
/// `subscribe` and the verify token is `verify_token`, and answers 403 otherwise, as Meta's
/// create-webhook-endpoint page asks.
pub fn verification<S>(verify_token: &str) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    let token: Arc<str> = verify_token.into();
    axum::routing::get(|Query(query): Query<HashMap<String, String>>| async move {
        let given = |name: &str| query.get(name).map(String::as_str);
        match (
            given("hub.mode"),
            given("hub.verify_token"),
            given("hub.challenge"),
        ) {
            (Some("subscribe"), Some(given), Some(challenge)) if given == &*token => {
                (StatusCode::OK, challenge.to_owned())
            }
            _ => (StatusCode::FORBIDDEN, "forbidden".to_owned()),
        }
    })
}

/// POST `body` as JSON to `url` with a bearer token, as a bot calls the Graph API.
pub async fn post_graph(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> reqwest::Result<reqwest::Response> {
    http.post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
}

/// What the Graph API answered to a bot's replies. A bot answers the webhook at once and replies
/// from a task of its own, where a failed assert would panic unseen: the answers are recorded
/// here, and the test asserts on them.
#[derive(Clone, Default)]
pub struct GraphReplies {
    /// Each answer's status and JSON body; status 0 and the error when there was no answer.
    answers: Arc<Mutex<Vec<(u16, Value)>>>,
    arrived: Arc<Notify>,
}

impl GraphReplies {
    /// Send `reply` to the messages edge at `url` as `token`, from a task of its own.
    pub fn send(&self, url: String, token: &str, reply: Value) {
        let replies = self.clone();
        let token = token.to_owned();
        tokio::spawn(async move {
            let answer = match post_graph(&reqwest::Client::new(), &url, &token, &reply).await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap_or_default();
                    (
                        status,
                        serde_json::from_str(&text).unwrap_or(Value::String(text)),
                    )
                }
                Err(error) => (0, Value::String(error.to_string())),
            };
            replies.answers.lock().unwrap().push(answer);
            replies.arrived.notify_waiters();
        });
    }

    /// Wait until at least `count` answers have arrived; all of them, in order of arrival.
    pub async fn wait_for(&self, count: usize) -> Vec<(u16, Value)> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.arrived.notified();
            let answers = self.answers.lock().unwrap().clone();
            if answers.len() >= count {
                return answers;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "waited {WAIT:?} for {count} Graph API answers to a bot; got {}: {answers:?}",
                    answers.len()
                );
            }
        }
    }
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
    /// Each answer waits between these many ms (fewest, most): an app under load.
    pause: Mutex<Option<(u64, u64)>>,
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

    /// Answer every request after a pause between `fewest` and `most`, spread by arrival order
    /// rather than at random so that a run can be repeated: a slow app, answering with jitter.
    pub fn answer_slowly(&self, fewest: Duration, most: Duration) {
        *self.state.pause.lock().unwrap() =
            Some((fewest.as_millis() as u64, most.as_millis() as u64));
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
    let arrival = {
        let mut requests = state.requests.lock().unwrap();
        requests.push(recorded);
        requests.len() as u64
    };
    state.arrived.notify_waiters();
    let pause = *state.pause.lock().unwrap();
    if let Some((fewest, most)) = pause {
        // A multiplicative hash of the arrival number: neighbours get unrelated pauses.
        let spread = (most - fewest).max(1);
        let ms = fewest + arrival.wrapping_mul(2_654_435_761) % spread;
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
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
