//! `mockingbird sms send-inbound`: a user texts one of a tenant's numbers.

use super::SendInboundArgs;
use super::events::answer;
use super::remote::{Connection, failed};
use crate::proto::{self, messages_client::MessagesClient};

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
