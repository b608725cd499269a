//! Webhook delivery: builds the provider's request, signs it, sends it with a timeout and
//! reports what the app answered. Retries are scheduled by the core as durable jobs, so a
//! delivery never blocks an API response or the next status change.

pub mod signature;
pub mod twilio;

use std::time::{Duration, Instant};

use crate::core::messages::HttpMethod;
use crate::core::store::{CallbackAttempt, Delivery};

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
        "timed out waiting for the app's answer".into()
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

/// `application/x-www-form-urlencoded`, spaces as `+` (what Twilio and Python send).
pub fn encode_form(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish()
}

/// The pairs of an `application/x-www-form-urlencoded` body, in order.
pub fn decode_form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}
