//! What `mockingbird serve` prints once it listens: where everything is, the credentials to
//! use, and what to try first.

use std::net::SocketAddr;
use std::path::Path;

use crate::config::Config;

/// The start banner. `colour` bolds the headline (only for a terminal: a file or a pipe gets
/// no ANSI codes).
pub fn banner(
    config: &Config,
    file: Option<&Path>,
    http: SocketAddr,
    grpc: SocketAddr,
    colour: bool,
) -> String {
    let http = format!("http://{}", super::ready_file::loopback(http));
    let grpc = format!("http://{}", super::ready_file::loopback(grpc));
    let headline = format!("mockingbird {} is listening", env!("CARGO_PKG_VERSION"));
    let headline = if colour {
        format!("\x1b[1m{headline}\x1b[0m")
    } else {
        headline
    };
    let source = match file {
        Some(path) => path.display().to_string(),
        None => {
            "none: built-in defaults (no ./config.yaml, --config or $MOCKINGBIRD_CONFIG)".to_owned()
        }
    };
    let (twilio, whatsapp) = (&config.twilio, &config.whatsapp);
    let from = twilio
        .allowed_from_numbers
        .first()
        .map_or("+15005550006", String::as_str);
    let to = twilio
        .registered_numbers
        .first()
        .map_or("+15551234567", String::as_str);
    let account = &twilio.account_sid;
    format!(
        "{headline}\n\
         \x20 config     {source}\n\
         \x20 database   {database}\n\
         \x20 Twilio     {http}  account {account}  auth token {token}\n\
         \x20 WhatsApp   {http}/v23.0/{phone_number_id}/messages  bearer token {access_token}\n\
         \x20 gRPC       {grpc}  (the control plane)\n\
         {dashboard}\
         \x20 next       curl -u '{account}:{token}' {http}/2010-04-01/Accounts/{account}/Messages.json \
         --data-urlencode 'From={from}' --data-urlencode 'To={to}' -d Body=Hello\n",
        dashboard = if config.dashboard.enabled {
            format!("  dashboard  {http}/  (every tenant's messages, calls and webhooks, live)\n")
        } else {
            String::new()
        },
        database = config.database.path,
        token = twilio.auth_token,
        phone_number_id = whatsapp.phone_number_id,
        access_token = whatsapp.access_token,
    )
}
