//! The command-line tools that talk to a running server through its control plane:
//! `events tail`, `sms send-inbound` and `whatsapp send`.

pub mod whatsapp;

use std::path::Path;

use futures_util::StreamExt;
use tonic::transport::Channel;

use crate::cli::{Remote, SendInboundArgs, TailArgs};
use crate::config::{self, Config};
use crate::control::proto::{
    self, event::Payload, events_client::EventsClient, messages_client::MessagesClient,
};

/// A connection to a server's control plane, with what the config says about it.
struct Connection {
    channel: Channel,
    token: Option<String>,
    config: Config,
}

impl Connection {
    async fn open(remote: &Remote) -> Result<Connection, String> {
        let file = remote.config.clone().or_else(|| {
            Path::new("config.yaml")
                .exists()
                .then(|| "config.yaml".into())
        });
        let config = Config::load(file.as_deref(), &config::env_overrides(std::env::vars()))
            .map_err(|e| e.to_string())?;
        let address = remote
            .server
            .clone()
            .unwrap_or_else(|| format!("127.0.0.1:{}", config.control.port));
        let url = if address.contains("://") {
            address
        } else {
            format!("http://{address}")
        };
        let channel = Channel::from_shared(url.clone())
            .map_err(|e| format!("{url}: {e}"))?
            .connect()
            .await
            .map_err(|e| format!("cannot reach the control plane at {url}: {e}"))?;
        Ok(Connection {
            channel,
            token: remote
                .token
                .clone()
                .or_else(|| config.control.token.clone()),
            config,
        })
    }

    /// A request carrying the bearer token, if there is one.
    fn request<T>(&self, message: T) -> Result<tonic::Request<T>, String> {
        let mut request = tonic::Request::new(message);
        if let Some(token) = &self.token {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| "the token is not a valid header value".to_owned())?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

fn failed(status: tonic::Status) -> String {
    format!("{:?}: {}", status.code(), status.message())
}

/// The event kind a person names: `message_created`, or `MESSAGE_CREATED`.
fn kind(name: &str) -> Result<i32, String> {
    let upper = format!("EVENT_KIND_{}", name.to_ascii_uppercase().replace('-', "_"));
    proto::EventKind::from_str_name(&upper)
        .filter(|k| *k != proto::EventKind::Unspecified)
        .map(|k| k as i32)
        .ok_or_else(|| format!("unknown event kind {name:?}"))
}

/// `mockingbird events tail`: one line per event until the server stops or the user interrupts.
pub async fn tail(args: TailArgs) -> Result<(), String> {
    let connection = Connection::open(&args.remote).await?;
    let filter = proto::EventFilter {
        account_sid: args.tenant.clone().unwrap_or_default(),
        kinds: args
            .kinds
            .iter()
            .map(|k| kind(k))
            .collect::<Result<_, _>>()?,
        ..Default::default()
    };
    let mut events = EventsClient::new(connection.channel.clone());
    let mut stream = events
        .subscribe(connection.request(proto::SubscribeRequest {
            filter: Some(filter),
            after_sequence: 0,
            live_only: !args.from_start,
        })?)
        .await
        .map_err(failed)?
        .into_inner();
    while let Some(event) = stream.next().await {
        println!("{}", describe(&event.map_err(failed)?));
    }
    Ok(())
}

/// `mockingbird sms send-inbound`: what the app answered, and the replies sent.
pub async fn send_inbound(args: SendInboundArgs) -> Result<(), String> {
    let connection = Connection::open(&args.remote).await?;
    let tenant = args
        .tenant
        .clone()
        .unwrap_or_else(|| connection.config.twilio.account_sid.clone());
    let mut messages = MessagesClient::new(connection.channel.clone());
    let outcome = messages
        .send_inbound(connection.request(proto::SendInboundRequest {
            account_sid: tenant,
            from: args.from,
            to: args.to,
            body: args.text,
            media_urls: args.media_urls,
            profile_name: args.profile_name.unwrap_or_default(),
            ..Default::default()
        })?)
        .await
        .map_err(failed)?
        .into_inner();
    if let Some(message) = &outcome.message {
        println!("received {} {} → {}", message.sid, message.from, message.to);
    }
    if !outcome.opt_out_type.is_empty() {
        println!("opt-out keyword: {}", outcome.opt_out_type);
    }
    match &outcome.webhook {
        Some(webhook) => println!(
            "webhook {} {}: {}",
            webhook.method_name(),
            webhook.url,
            answer(webhook)
        ),
        None => println!("webhook: none (the number has no SMS URL)"),
    }
    for reply in &outcome.replies {
        println!("reply {} → {}: {:?}", reply.sid, reply.to, reply.body);
    }
    Ok(())
}

impl proto::CallbackAttempt {
    fn method_name(&self) -> &'static str {
        if self.method == proto::HttpMethod::Get as i32 {
            "GET"
        } else {
            "POST"
        }
    }
}

/// What the app answered a webhook, or why it did not.
fn answer(attempt: &proto::CallbackAttempt) -> String {
    if attempt.error.is_empty() {
        format!("{} in {} ms", attempt.response_status, attempt.latency_ms)
    } else {
        attempt.error.clone()
    }
}

fn status_name(value: i32) -> String {
    proto::MessageStatus::try_from(value)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("MESSAGE_STATUS_")
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|_| value.to_string())
}

/// One event, one line: sequence, time, tenant, kind, and what it is about.
pub fn describe(event: &proto::Event) -> String {
    let kind = proto::EventKind::try_from(event.kind)
        .map(|k| {
            k.as_str_name()
                .trim_start_matches("EVENT_KIND_")
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let at = event
        .at
        .as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
        .map(|t| t.format("%H:%M:%S%.3f").to_string())
        .unwrap_or_default();
    let detail = match &event.payload {
        Some(Payload::TenantCreated(t)) => format!("{:?}", t.label),
        Some(Payload::MessageCreated(created)) => {
            created.message.as_ref().map_or_else(String::new, |m| {
                format!(
                    "{} {} → {} [{}] {:?}",
                    m.sid,
                    if m.from.is_empty() { "-" } else { &m.from },
                    m.to,
                    status_name(m.status),
                    m.body
                )
            })
        }
        Some(Payload::MessageStatusChanged(c)) => format!(
            "{} to {}: {} → {}{}",
            c.sid,
            c.to,
            status_name(c.previous),
            status_name(c.status),
            if c.error_code == 0 {
                String::new()
            } else {
                format!(" ({})", c.error_code)
            }
        ),
        Some(Payload::MessageRedacted(m)) => m.sid.clone(),
        Some(Payload::MessageDeleted(m)) => m.sid.clone(),
        Some(Payload::CallbackAttempted(c)) => c.attempt.as_ref().map_or_else(String::new, |a| {
            format!(
                "{} {} {} {} attempt {}: {}",
                a.resource_sid,
                a.status,
                a.method_name(),
                a.url,
                a.attempt,
                answer(a)
            )
        }),
        Some(Payload::InboundDelivered(d)) => {
            let message = d.message.clone().unwrap_or_default();
            format!(
                "{} {} → {} {:?}: app {}, {} repl{}",
                message.sid,
                message.from,
                message.to,
                message.body,
                d.webhook.as_ref().map_or_else(
                    || {
                        if message.whatsapp.is_some() {
                            "had no WhatsApp webhook URL".into()
                        } else {
                            "had no SMS URL".into()
                        }
                    },
                    answer,
                ),
                d.reply_sids.len(),
                if d.reply_sids.len() == 1 { "y" } else { "ies" }
            )
        }
        Some(Payload::RuleMatched(r)) => {
            if r.rejected_with == 0 {
                format!("rule {:?} took {} to {}", r.rule_id, r.sid, r.to)
            } else {
                format!(
                    "rule {:?} rejected a message to {} with {}",
                    r.rule_id, r.to, r.rejected_with
                )
            }
        }
        Some(Payload::DataCleared(c)) => c.scope.clone(),
        None => String::new(),
    };
    format!(
        "#{} {at} {} {kind} {detail}",
        event.sequence, event.account_sid
    )
}
