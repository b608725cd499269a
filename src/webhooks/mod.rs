//! Webhook delivery: builds the provider's request, signs it, sends it with a timeout and
//! reports what the app answered. Retries are scheduled by the core as durable jobs, so a
//! delivery never blocks an API response or the next status change.

pub mod meta;
pub mod signature;
pub mod twilio;

use std::time::{Duration, Instant};

use crate::core::messages::HttpMethod;
use crate::core::store::{CallbackAttempt, Delivery};
use crate::providers::twilio::{decode_form, encode_form};

/// How much of an app's answer is kept.
const KEPT_RESPONSE_BYTES: usize = 8 * 1024;

/// What one attempt sent and got back.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The URL requested (with the parameters, for a GET).
    pub url: String,
    pub request_body: String,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    /// Why no answer came (connection refused, timeout, …).
    pub error: Option<String>,
    pub latency_ms: u64,
}

/// How a Meta webhook is sent besides its body.
#[derive(Debug, Clone, Default)]
pub struct MetaOptions {
    /// Add `X-Mock-Testing: true`, as the seed's proxy did for the bot's test path.
    pub mock_testing: bool,
    /// Wait this long for the answer instead of the server's webhook timeout.
    pub timeout: Option<Duration>,
}

/// Why an attempt got no answer, as the seed's proxy told them apart: 504 for a timeout, 502
/// for everything else.
pub fn timed_out(error: &str) -> bool {
    error == TIMED_OUT
}

const TIMED_OUT: &str = "timed out waiting for the app's answer";

pub struct WebhookClient {
    http: reqwest::Client,
}

impl WebhookClient {
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent("TwilioProxy/1.1")
            .build()?;
        Ok(WebhookClient { http })
    }

    /// Send a Twilio form webhook, signed with the account's auth token.
    pub async fn send_twilio(&self, delivery: &Delivery, auth_token: &str) -> Sent {
        let encoded = encode_form(&delivery.params);
        let (url, body, signed_params): (String, String, &[(String, String)]) =
            match delivery.method {
                HttpMethod::Post => (delivery.url.clone(), encoded, &delivery.params),
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
        self.send(url, body, request).await
    }

    /// Send a recorded Twilio webhook request again: the same URL, method, body and
    /// idempotency token, signed anew (the account's token may have changed).
    pub async fn resend_twilio(&self, recorded: &CallbackAttempt, auth_token: &str) -> Sent {
        let url = recorded.url.clone();
        let request = if recorded.method.eq_ignore_ascii_case("GET") {
            self.http.get(&url).header(
                "X-Twilio-Signature",
                signature::twilio(auth_token, &url, &[]),
            )
        } else {
            let params = decode_form(&recorded.request_body);
            self.http
                .post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header(
                    "X-Twilio-Signature",
                    signature::twilio(auth_token, &url, &params),
                )
                .body(recorded.request_body.clone())
        }
        .header("I-Twilio-Idempotency-Token", &recorded.idempotency_token)
        .header("Accept", "*/*");
        self.send(url, recorded.request_body.clone(), request).await
    }

    /// Send a Meta webhook: the delivery's JSON body, signed with the app secret. `options`
    /// carry the seed's proxy mode: `X-Mock-Testing: true` and the target's own timeout.
    pub async fn send_meta(
        &self,
        delivery: &Delivery,
        app_secret: &str,
        options: &MetaOptions,
    ) -> Sent {
        let mut request = self
            .http
            .post(&delivery.url)
            .header("Content-Type", "application/json")
            .header("Accept", "*/*")
            .header("User-Agent", "facebookexternalua")
            .header(
                "X-Hub-Signature-256",
                signature::meta(app_secret, delivery.json.as_bytes()),
            )
            .body(delivery.json.clone());
        if options.mock_testing {
            request = request.header("X-Mock-Testing", "true");
        }
        if let Some(timeout) = options.timeout {
            request = request.timeout(timeout);
        }
        self.send(delivery.url.clone(), delivery.json.clone(), request)
            .await
    }

    /// Meta's verification request: `GET url?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`,
    /// unsigned.
    pub async fn verify_meta(&self, url: &str, verify_token: &str, challenge: &str) -> Sent {
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

    /// A GET sent again as recorded (Meta's verification request).
    pub async fn resend_get(&self, url: &str) -> Sent {
        let request = self.http.get(url).header("Accept", "*/*");
        self.send(url.to_owned(), String::new(), request).await
    }

    async fn send(
        &self,
        url: String,
        request_body: String,
        request: reqwest::RequestBuilder,
    ) -> Sent {
        let started = Instant::now();
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(bytes) => Ok((status, bytes)),
                    Err(e) => Err(describe(&e)),
                }
            }
            Err(e) => Err(describe(&e)),
        };
        let latency_ms = started.elapsed().as_millis() as u64;
        match outcome {
            Ok((status, bytes)) => Sent {
                url,
                request_body,
                response_status: Some(status),
                response_body: Some(
                    String::from_utf8_lossy(&bytes[..bytes.len().min(KEPT_RESPONSE_BYTES)])
                        .into_owned(),
                ),
                error: None,
                latency_ms,
            },
            Err(error) => Sent {
                url,
                request_body,
                response_status: None,
                response_body: None,
                error: Some(error),
                latency_ms,
            },
        }
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
