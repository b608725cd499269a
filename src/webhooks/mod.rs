//! Webhook delivery: the core's [`Courier`]. It encodes each notice as its provider does
//! (Twilio's form parameters, Meta's JSON envelope), signs it with the tenant's secret, sends it
//! with a timeout and reports what the app answered; it reads the app's TwiML answers into
//! replies. It decides nothing: the core says what to send and when, schedules retries as
//! durable jobs and records every attempt, so a delivery never blocks an API response.

pub mod meta;
pub mod signature;
pub mod twilio;
pub mod twiml;
pub mod voice;

use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use crate::core::messaging::HttpMethod;
use crate::core::outbox::{
    Courier, Delivery, MessageReply, Notice, Sent, TwimlFailure, WebhookProvider,
};
use crate::core::store::CallbackAttempt;
use crate::core::tenants::Account;
use crate::core::voice::Document;
use crate::providers::twilio::{decode_form, encode_form};

/// How much of an app's answer is kept.
const KEPT_RESPONSE_BYTES: usize = 8 * 1024;

const TIMED_OUT: &str = "timed out waiting for the app's answer";

/// What Twilio's webhook requests call themselves.
const USER_AGENT: &str = "TwilioProxy/1.1";

/// Sends webhooks over HTTP, as the providers do.
pub struct WebhookClient {
    http: reqwest::Client,
    /// Scheme, host and port of the server's own API, for the recording URLs voice webhooks
    /// carry (`RecordingUrl`).
    recordings_base: String,
}

impl WebhookClient {
    /// A client that gives every app `timeout` to answer (a proxy target may set its own).
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(USER_AGENT)
            .build()?;
        Ok(WebhookClient {
            http,
            // The seed's port on loopback, until the server names its own address.
            recordings_base: "http://127.0.0.1:8080".into(),
        })
    }

    /// Name recordings under this base (`http://host:port`, no trailing slash).
    pub fn with_recordings_base(mut self, base: impl Into<String>) -> Self {
        self.recordings_base = base.into().trim_end_matches('/').to_owned();
        self
    }

    async fn deliver(&self, delivery: &Delivery, account: &Account) -> Sent {
        match &delivery.notice {
            Notice::MessageStatus {
                account_sid,
                sid,
                notify,
                step,
                at,
            } => match &notify.whatsapp {
                None => {
                    let params = twilio::message_status(account_sid, sid, notify, step, *at);
                    self.send_twilio(delivery, &params, &account.auth_token)
                        .await
                }
                Some(whatsapp) => {
                    let body = meta::message_status(
                        &delivery.status,
                        sid,
                        &notify.to,
                        whatsapp,
                        step,
                        *at,
                    );
                    self.send_meta(delivery, &body, &account.whatsapp.app_secret)
                        .await
                }
            },
            Notice::TwilioIncoming { message, channel } => {
                let params = twilio::incoming_message(message, channel);
                self.send_twilio(delivery, &params, &account.auth_token)
                    .await
            }
            Notice::WhatsAppIncoming(incoming) => {
                let body = meta::inbound_message(incoming);
                self.send_meta(delivery, &body, &account.whatsapp.app_secret)
                    .await
            }
            Notice::TemplateStatus(update) => {
                let body = meta::template_status(update);
                self.send_meta(delivery, &body, &account.whatsapp.app_secret)
                    .await
            }
            Notice::Verification {
                verify_token,
                challenge,
            } => {
                self.verify_meta(&delivery.url, verify_token, challenge)
                    .await
            }
            Notice::VoiceRequest(request) => {
                let params = voice::voice_request(request, &self.recordings_base);
                self.send_twilio(delivery, &params, &account.auth_token)
                    .await
            }
            Notice::CallStatus(notice) => {
                let params = voice::call_status(notice);
                self.send_twilio(delivery, &params, &account.auth_token)
                    .await
            }
            Notice::RecordingStatus(notice) => {
                let params = voice::recording_status(notice, &self.recordings_base);
                self.send_twilio(delivery, &params, &account.auth_token)
                    .await
            }
        }
    }

    /// A Twilio form webhook, signed with the account's auth token: POSTed as the body, or
    /// sent as the query of a GET.
    async fn send_twilio(
        &self,
        delivery: &Delivery,
        params: &[(String, String)],
        auth_token: &str,
    ) -> Sent {
        let (url, body, request) = self.twilio_request(delivery, params, auth_token);
        self.send(url, body, request).await
    }

    /// A Twilio webhook request, signed, with the URL and body it sends.
    fn twilio_request(
        &self,
        delivery: &Delivery,
        params: &[(String, String)],
        auth_token: &str,
    ) -> (String, String, reqwest::RequestBuilder) {
        let encoded = encode_form(params);
        let (url, body, signed_params): (String, String, &[(String, String)]) =
            match delivery.method {
                HttpMethod::Post => (delivery.url.clone(), encoded, params),
                HttpMethod::Get => {
                    let separator = if delivery.url.contains('?') { '&' } else { '?' };
                    (
                        format!("{}{separator}{encoded}", delivery.url),
                        String::new(),
                        &[],
                    )
                }
            };
        let signature = signature::twilio(auth_token, &url, signed_params);
        let request = match delivery.method {
            HttpMethod::Post => self
                .http
                .post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.clone()),
            HttpMethod::Get => self.http.get(&url),
        }
        .header("X-Twilio-Signature", signature)
        .header("I-Twilio-Idempotency-Token", &delivery.idempotency_token)
        .header("Accept", "*/*");
        (url, body, request)
    }

    /// Ask the app for a call's TwiML and read the answer (see [`Courier::fetch_twiml`]).
    async fn fetch_voice(
        &self,
        delivery: &Delivery,
        account: &Account,
    ) -> (Sent, Result<Document, TwimlFailure>) {
        let Notice::VoiceRequest(voice_request) = &delivery.notice else {
            let failure = TwimlFailure {
                code: 11200,
                message: "not a voice request".into(),
            };
            return (Sent::default(), Err(failure));
        };
        let params = voice::voice_request(voice_request, &self.recordings_base);
        let (url, body, request) = self.twilio_request(delivery, &params, &account.auth_token);
        let (mut sent, answer) = self.exchange(url, body, request).await;
        if let Some(AppAnswer {
            content_type: Some(content_type),
            body,
            ..
        }) = &answer
            && content_type.starts_with("audio/")
        {
            // The record says what came rather than holding the start of a binary file.
            sent.response_body = Some(format!("({} bytes of {content_type})", body.len()));
        }
        let document = match &answer {
            Some(answer) => voice::read_answer(
                &delivery.url,
                answer.status,
                answer.content_type.as_deref(),
                &answer.body,
            ),
            None => Err(voice::retrieval_failure(
                sent.error.as_deref().unwrap_or("no answer"),
            )),
        };
        (sent, document)
    }

    /// A Meta webhook: the JSON body, signed with the app secret. A proxy target's delivery
    /// carries the seed's `X-Mock-Testing: true` and the target's own timeout.
    async fn send_meta(&self, delivery: &Delivery, body: &str, app_secret: &str) -> Sent {
        let mut request = self
            .http
            .post(&delivery.url)
            .header("Content-Type", "application/json")
            .header("Accept", "*/*")
            .header("User-Agent", "facebookexternalua")
            .header(
                "X-Hub-Signature-256",
                signature::meta(app_secret, body.as_bytes()),
            )
            .body(body.to_owned());
        if let Some(target) = &delivery.target {
            if target.mock_testing {
                request = request.header("X-Mock-Testing", "true");
            }
            if let Some(timeout_ms) = target.timeout_ms {
                request = request.timeout(Duration::from_millis(timeout_ms));
            }
        }
        self.send(delivery.url.clone(), body.to_owned(), request)
            .await
    }

    /// Meta's verification request: `GET url?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`,
    /// unsigned.
    async fn verify_meta(&self, url: &str, verify_token: &str, challenge: &str) -> Sent {
        let query = encode_form(&[
            ("hub.mode".into(), "subscribe".into()),
            ("hub.challenge".into(), challenge.into()),
            ("hub.verify_token".into(), verify_token.into()),
        ]);
        let separator = if url.contains('?') { '&' } else { '?' };
        let full = format!("{url}{separator}{query}");
        let request = self
            .http
            .get(&full)
            .header(
                "User-Agent",
                "facebookplatform/1.0 (+http://developers.facebook.com)",
            )
            .header("Accept", "*/*");
        self.send(full, String::new(), request).await
    }

    /// A recorded request sent again: the same URL, method, body and idempotency token, signed
    /// anew. Meta's verification GET carries its challenge in the URL and no signature.
    async fn redeliver(&self, recorded: &CallbackAttempt, account: &Account) -> Sent {
        let url = recorded.url.clone();
        let body = recorded.request_body.clone();
        let is_get = recorded.method.eq_ignore_ascii_case("GET");
        let request = match recorded.provider {
            WebhookProvider::Twilio => if is_get {
                self.http.get(&url).header(
                    "X-Twilio-Signature",
                    signature::twilio(&account.auth_token, &url, &[]),
                )
            } else {
                let params = decode_form(&body);
                self.http
                    .post(&url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header(
                        "X-Twilio-Signature",
                        signature::twilio(&account.auth_token, &url, &params),
                    )
                    .body(body.clone())
            }
            .header("I-Twilio-Idempotency-Token", &recorded.idempotency_token),
            WebhookProvider::Meta if is_get => self.http.get(&url),
            WebhookProvider::Meta => self
                .http
                .post(&url)
                .header("Content-Type", "application/json")
                .header("User-Agent", "facebookexternalua")
                .header(
                    "X-Hub-Signature-256",
                    signature::meta(&account.whatsapp.app_secret, body.as_bytes()),
                )
                .body(body.clone()),
        }
        .header("Accept", "*/*");
        self.send(url, body, request).await
    }

    async fn send(
        &self,
        url: String,
        request_body: String,
        request: reqwest::RequestBuilder,
    ) -> Sent {
        self.exchange(url, request_body, request).await.0
    }

    /// Send a request: the record of the attempt (the answer cut to what is kept), and the
    /// app's whole answer when one came, for a caller that reads it (a TwiML fetch).
    async fn exchange(
        &self,
        url: String,
        request_body: String,
        request: reqwest::RequestBuilder,
    ) -> (Sent, Option<AppAnswer>) {
        let started = Instant::now();
        let mut request_headers = String::new();
        let outcome = async {
            let request = request.build()?;
            request_headers = headers_as_sent(request.headers());
            let response = self.http.execute(request).await?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let body = Vec::from(response.bytes().await?);
            Ok::<_, reqwest::Error>(AppAnswer {
                status,
                content_type,
                body,
            })
        }
        .await;
        let latency_ms = started.elapsed().as_millis() as u64;
        match outcome {
            Ok(answer) => {
                let kept = &answer.body[..answer.body.len().min(KEPT_RESPONSE_BYTES)];
                let sent = Sent {
                    url,
                    request_headers,
                    request_body,
                    response_status: Some(answer.status),
                    response_body: Some(String::from_utf8_lossy(kept).into_owned()),
                    error: None,
                    timed_out: false,
                    latency_ms,
                };
                (sent, Some(answer))
            }
            Err(error) => {
                let sent = Sent {
                    url,
                    request_headers,
                    request_body,
                    response_status: None,
                    response_body: None,
                    error: Some(describe(&error)),
                    timed_out: error.is_timeout(),
                    latency_ms,
                };
                (sent, None)
            }
        }
    }
}

/// A request's headers as the attempt records them: `Name: value` a line, in the order sent,
/// credentials (a URL's `user:password@`, sent as Basic) masked. The client's own `User-Agent`
/// is added when the request goes out, so it is named here too.
fn headers_as_sent(headers: &reqwest::header::HeaderMap) -> String {
    let mut lines: Vec<String> = headers
        .iter()
        .map(|(name, value)| {
            let value = if name == reqwest::header::AUTHORIZATION {
                "(hidden)".into()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            format!("{name}: {value}")
        })
        .collect();
    if !headers.contains_key(reqwest::header::USER_AGENT) {
        lines.push(format!("user-agent: {USER_AGENT}"));
    }
    lines.join("\n")
}

/// What an app answered, whole.
struct AppAnswer {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Courier for WebhookClient {
    fn send<'a>(&'a self, delivery: &'a Delivery, account: &'a Account) -> BoxFuture<'a, Sent> {
        self.deliver(delivery, account).boxed()
    }

    fn resend<'a>(
        &'a self,
        recorded: &'a CallbackAttempt,
        account: &'a Account,
    ) -> BoxFuture<'a, Sent> {
        self.redeliver(recorded, account).boxed()
    }

    fn message_replies(&self, answer: &str) -> Vec<MessageReply> {
        twiml::message_replies(answer)
    }

    fn fetch_twiml<'a>(
        &'a self,
        delivery: &'a Delivery,
        account: &'a Account,
    ) -> BoxFuture<'a, (Sent, Result<Document, TwimlFailure>)> {
        self.fetch_voice(delivery, account).boxed()
    }

    fn parse_twiml(&self, twiml: &str) -> Result<Document, TwimlFailure> {
        voice::parse(twiml)
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        TIMED_OUT.into()
    } else if error.is_connect() {
        format!("could not connect: {}", root_cause(error))
    } else {
        root_cause(error)
    }
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::core::outbox::{VerbResult, VoiceRequest};
    use crate::core::tenants::{AccountStatus, WhatsAppIdentity};
    use crate::core::voice::{Call, CallDirection, CallStatus, Verb};

    /// What the app was asked: method, path with query, signature header, body.
    type Asked = Arc<Mutex<Vec<(String, String, String, String)>>>;

    /// An app on a free port answering by path: TwiML, audio, text, JSON, a 404. Plain
    /// HTTP/1.1 over a socket, one request per connection: this room may not know a server
    /// framework.
    async fn app() -> (String, Asked) {
        let asked = Asked::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let record = Arc::clone(&asked);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let record = Arc::clone(&record);
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    let (head, body) = loop {
                        let read = socket.read(&mut buffer).await.unwrap_or(0);
                        if read == 0 {
                            return;
                        }
                        request.extend_from_slice(&buffer[..read]);
                        let text = String::from_utf8_lossy(&request).into_owned();
                        let Some((head, body)) = text.split_once("\r\n\r\n") else {
                            continue;
                        };
                        let length = head
                            .lines()
                            .find_map(|line| {
                                let (name, value) = line.split_once(':')?;
                                name.eq_ignore_ascii_case("content-length")
                                    .then(|| value.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            break (head.to_owned(), body.to_owned());
                        }
                    };
                    let mut lines = head.lines();
                    let mut first = lines.next().unwrap_or_default().split(' ');
                    let method = first.next().unwrap_or_default().to_owned();
                    let target = first.next().unwrap_or_default().to_owned();
                    let signature = lines
                        .find_map(|line| {
                            let (name, value) = line.split_once(':')?;
                            name.eq_ignore_ascii_case("x-twilio-signature")
                                .then(|| value.trim().to_owned())
                        })
                        .unwrap_or_default();
                    record
                        .lock()
                        .unwrap()
                        .push((method, target.clone(), signature, body));
                    let path = target.split('?').next().unwrap_or_default();
                    let (status, content_type, body): (&str, &str, &[u8]) = match path {
                        "/twiml" => ("200 OK", "text/xml", b"<Response><Say>Hi</Say></Response>"),
                        "/broken" => ("200 OK", "application/xml", b"<Response><Say>Hi</Response>"),
                        "/audio" => ("200 OK", "audio/mpeg", b"ID3\x04\x00\xff\xfe"),
                        "/text" => (
                            "200 OK",
                            "text/plain; charset=utf-8",
                            b"Your code is 1 2 3 4",
                        ),
                        "/json" => ("200 OK", "application/json", b"{}"),
                        _ => ("404 Not Found", "text/html", b"<h1>Not Found</h1>"),
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(body).await;
                });
            }
        });
        (base, asked)
    }

    fn account() -> Account {
        Account {
            sid: "AC00000000000000000000000000000000".into(),
            auth_token: "12345".into(),
            friendly_name: "test".into(),
            owner_account_sid: None,
            status: AccountStatus::Active,
            created_at: 0,
            updated_at: 0,
            whatsapp: WhatsAppIdentity::generate(),
        }
    }

    fn fetch(url: String, method: HttpMethod) -> Delivery {
        let call = Call {
            direction: CallDirection::Inbound,
            from: "+15557654321".into(),
            to: "+15550101010".into(),
            ..voice::tests::call(CallStatus::Ringing)
        };
        Delivery {
            idempotency_token: "token".into(),
            resource_sid: call.sid.clone(),
            status: "ringing".into(),
            url,
            method,
            notice: Notice::VoiceRequest(Box::new(VoiceRequest {
                call,
                result: VerbResult::Gathered {
                    digits: Some("1".into()),
                    finished_on_key: None,
                    speech: None,
                },
                at: 0,
            })),
            to: None,
            from: None,
            target: None,
            attempt: 1,
            max_attempts: 1,
            retry_delay_ms: 0,
        }
    }

    #[tokio::test]
    async fn a_twiml_fetch_is_signed_like_every_twilio_webhook_and_read_by_its_answer() {
        let (base, asked) = app().await;
        let client = WebhookClient::new(Duration::from_secs(5)).unwrap();
        let account = account();

        let url = format!("{base}/twiml?menu=main");
        let (sent, document) = client
            .fetch_twiml(&fetch(url.clone(), HttpMethod::Post), &account)
            .await;
        let document = document.unwrap();
        assert!(matches!(&document.verbs[..], [Verb::Say(say)] if say.text == "Hi"));
        assert_eq!(
            (sent.url.as_str(), sent.response_status),
            (url.as_str(), Some(200))
        );
        assert!(sent.request_body.contains("Digits=1"));
        assert_eq!(
            sent.response_body.as_deref(),
            Some("<Response><Say>Hi</Say></Response>")
        );
        {
            let asked = asked.lock().unwrap();
            let (method, _, signature, body) = &asked[0];
            assert_eq!(method, "POST");
            let params = decode_form(body);
            assert_eq!(signature, &signature::twilio("12345", &url, &params));
        }

        // A GET carries the parameters in the query, and signs the URL alone.
        let (sent, document) = client
            .fetch_twiml(&fetch(format!("{base}/twiml"), HttpMethod::Get), &account)
            .await;
        assert!(document.is_ok());
        assert!(sent.url.starts_with(&format!("{base}/twiml?")));
        assert!(
            sent.url
                .contains("CallSid=CA00000000000000000000000000000001")
        );
        assert!(sent.request_body.is_empty());
        {
            let asked = asked.lock().unwrap();
            let (method, path, signature, _) = &asked[1];
            assert_eq!(method, "GET");
            assert!(sent.url.ends_with(path.as_str()));
            assert_eq!(signature, &signature::twilio("12345", &sent.url, &[]));
        }

        let code = |outcome: Result<Document, TwimlFailure>| outcome.map_err(|f| f.code);
        let audio = format!("{base}/audio");
        let (sent, played) = client
            .fetch_twiml(&fetch(audio.clone(), HttpMethod::Post), &account)
            .await;
        assert_eq!(
            sent.response_body.as_deref(),
            Some("(7 bytes of audio/mpeg)")
        );
        assert!(
            matches!(&played.unwrap().verbs[..], [Verb::Play(play)] if play.url.as_deref() == Some(audio.as_str()))
        );
        let (_, said) = client
            .fetch_twiml(&fetch(format!("{base}/text"), HttpMethod::Post), &account)
            .await;
        assert!(
            matches!(&said.unwrap().verbs[..], [Verb::Say(say)] if say.text == "Your code is 1 2 3 4")
        );
        let (_, broken) = client
            .fetch_twiml(&fetch(format!("{base}/broken"), HttpMethod::Post), &account)
            .await;
        assert_eq!(code(broken), Err(12100));
        let (_, json) = client
            .fetch_twiml(&fetch(format!("{base}/json"), HttpMethod::Post), &account)
            .await;
        assert_eq!(code(json), Err(12300));
        let (sent, missing) = client
            .fetch_twiml(&fetch(format!("{base}/gone"), HttpMethod::Post), &account)
            .await;
        assert_eq!(sent.response_status, Some(404));
        let failure = missing.unwrap_err();
        assert_eq!(failure.code, 11200);
        assert!(failure.message.contains("404"), "{}", failure.message);

        // Nobody listening: 11200 saying why, and the record of the attempt.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let nowhere = format!("http://{}/voice", closed.local_addr().unwrap());
        drop(closed);
        let (sent, refused) = client
            .fetch_twiml(&fetch(nowhere.clone(), HttpMethod::Post), &account)
            .await;
        assert_eq!(
            (sent.url.as_str(), sent.response_status),
            (nowhere.as_str(), None)
        );
        assert!(sent.error.is_some() && !sent.request_body.is_empty());
        let failure = refused.unwrap_err();
        assert_eq!(failure.code, 11200);
        assert!(
            failure.message.contains("could not connect"),
            "{}",
            failure.message
        );
    }
}
