//! The command line: its flags, and the commands that talk to a running server's control plane.
//!
//! - [`banner`] — what `serve` prints once it listens.
//! - [`call`] — `call place`, `press`, `say`, `hangup`, `tail`…: a person on the phone.
//! - [`ready_file`] — where a server started on port 0 says it can be reached.
//! - [`remote`] — the connection to a running server's control plane.
//! - [`events`] — `events tail`.
//! - [`sms`] — `sms send-inbound`.
//! - [`whatsapp`] — `whatsapp send`.

pub mod banner;
pub mod call;
pub mod events;
pub mod ready_file;
pub mod remote;
pub mod sms;
pub mod whatsapp;

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::config::Override;
use remote::Remote;

#[derive(Debug, Parser)]
#[command(
    name = "mockingbird",
    version,
    about = "A local stand-in for Twilio and the WhatsApp Cloud API, for tests and development.",
    long_about = "mockingbird answers the Twilio REST API as the official SDKs expect it and the \
WhatsApp Cloud API as bots call it, plays each message's lifecycle with signed webhooks, is driven \
by tests over a gRPC control plane, and keeps everything in SQLite.\n\n\
Run `mockingbird serve` and point your app's Twilio client, or your bot's Graph URL, at \
http://localhost:8080."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (HTTP API on server.port, 8080 by default; gRPC control plane on
    /// control.port, 50051 by default).
    Serve(ServeArgs),
    /// Follow a running server's events.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Simulate SMS traffic on a running server.
    Sms {
        #[command(subcommand)]
        command: SmsCommand,
    },
    /// Simulate WhatsApp users on a running server.
    Whatsapp {
        #[command(subcommand)]
        command: WhatsAppCommand,
    },
    /// Be the person on the phone: place a call to the app, press keys, speak, hang up, and
    /// read or follow a call's transcript.
    Call {
        #[command(subcommand)]
        command: call::CallCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print events as they happen, one line each, until interrupted.
    Tail(TailArgs),
}

#[derive(Debug, Subcommand)]
pub enum SmsCommand {
    /// A user texts one of a tenant's numbers: the app's SMS webhook is called and its TwiML
    /// reply sent.
    SendInbound(SendInboundArgs),
}

#[derive(Debug, Subcommand)]
pub enum WhatsAppCommand {
    /// A user writes to a tenant's WhatsApp business number (the seed's `mock/cli.py`): the
    /// app's webhook gets Meta's signed envelope; its answer and the replies it sends through
    /// the Cloud API are printed.
    Send(WhatsAppSendArgs),
}

#[derive(Debug, Args)]
pub struct TailArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Only this tenant's events (an account SID).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Only these kinds (repeatable): tenant_created, message_created, message_status_changed,
    /// message_redacted, message_deleted, callback_attempted, inbound_delivered, rule_matched,
    /// data_cleared, call_created, call_status_changed, call_verb, call_gathering,
    /// call_notification, call_deleted, recording_created.
    #[arg(long = "kind")]
    pub kinds: Vec<String>,
    /// Replay the stored events first, then follow.
    #[arg(long)]
    pub from_start: bool,
}

#[derive(Debug, Args)]
pub struct SendInboundArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The tenant (an account SID); the config file's account by default.
    #[arg(long)]
    pub tenant: Option<String>,
    /// The user's number; `whatsapp:+…` for a WhatsApp user writing through Twilio.
    #[arg(long)]
    pub from: String,
    /// One of the tenant's numbers.
    #[arg(long)]
    pub to: String,
    /// A media URL the user sends (repeatable).
    #[arg(long = "media")]
    pub media_urls: Vec<String>,
    /// A WhatsApp user's profile name (`ProfileName`).
    #[arg(long)]
    pub profile_name: Option<String>,
    /// What the user writes.
    pub text: String,
}

#[derive(Debug, Args)]
pub struct WhatsAppSendArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The tenant (an account SID); the server's default tenant (the config file's account)
    /// by default.
    #[arg(long)]
    pub tenant: Option<String>,
    /// The user's number, digits with or without `+` (the seed CLI's default).
    #[arg(long, default_value = "1234567890")]
    pub phone: String,
    /// The user's profile name.
    #[arg(long, default_value = "CLI User")]
    pub name: String,
    /// The username the user adopted (`contacts[0].profile.username` in the webhook).
    #[arg(long)]
    pub username: Option<String>,
    /// The user hides their phone number (needs --username): the webhook names them only by
    /// their business-scoped user id (BSUID), with no `wa_id` and no `from`.
    #[arg(long, requires = "username")]
    pub hide_phone: bool,
    /// What the user sends: text, button (a template's quick reply), interactive (a reply
    /// button), list (a list row), nfm_reply (a Flow's answers), location (`lat,long`) or
    /// reaction (an emoji, to the --context-id message). A text may use the seed's syntaxes:
    /// `button:<id>`, `list:<id>`, `flow:<screen>`, `form:k=v,…`.
    #[arg(long = "type", default_value = "text")]
    pub kind: String,
    /// Where the webhook goes: a name under whatsapp.targets of the server's config (`local`,
    /// `staging`, …) or an http(s) URL; the tenant's webhook URL by default. A target gets
    /// `X-Mock-Testing: true`.
    #[arg(long)]
    pub target: Option<String>,
    /// The business message the user answers (`wamid.…`), sent as the webhook's `context`.
    #[arg(long)]
    pub context_id: Option<String>,
    /// Print the app's replies until none has come for this many seconds.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS")]
    pub wait: f64,
    /// What the user writes (or taps, picks, reacts with).
    pub message: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The YAML config file (the seed's config.yaml format). Defaults to ./config.yaml when it
    /// exists, else built-in defaults.
    #[arg(long, short, env = "MOCKINGBIRD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to bind (server.host).
    #[arg(long)]
    pub host: Option<String>,
    /// HTTP port (server.port); 0 picks a free one.
    #[arg(long)]
    pub port: Option<u16>,
    /// gRPC control-plane port (control.port, 50051 by default); 0 picks a free one.
    #[arg(long)]
    pub grpc_port: Option<u16>,
    /// SQLite file, or `:memory:` (database.path).
    #[arg(long)]
    pub database: Option<String>,
    /// Set any config key: `--set twilio.callbacks.delay_seconds=0.5`. Repeatable; wins over
    /// the file and the environment.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Once listening, write `{"http": "HOST:PORT", "grpc": "HOST:PORT"}` to this file (for harnesses that start
    /// the server on port 0). The other commands read it with their own --ready-file (or
    /// $MOCKINGBIRD_READY_FILE, which this flag also reads).
    #[arg(long, env = "MOCKINGBIRD_READY_FILE")]
    pub ready_file: Option<PathBuf>,
}

impl ServeArgs {
    /// The flags as config overrides, in the order they apply (after the environment).
    pub fn overrides(&self) -> Result<Vec<Override>, String> {
        let mut overrides = Vec::new();
        for item in &self.set {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("--set {item}: expected KEY=VALUE"))?;
            overrides.push(Override {
                key: key.trim().to_owned(),
                value: value.to_owned(),
                origin: format!("--set {}", key.trim()),
            });
        }
        let flags = [
            ("server.host", self.host.clone(), "--host"),
            ("server.port", self.port.map(|p| p.to_string()), "--port"),
            (
                "control.port",
                self.grpc_port.map(|p| p.to_string()),
                "--grpc-port",
            ),
            ("database.path", self.database.clone(), "--database"),
        ];
        for (key, value, flag) in flags {
            if let Some(value) = value {
                overrides.push(Override {
                    key: key.into(),
                    value: if key == "database.path" || key == "server.host" {
                        // Quoted so that YAML keeps `:memory:` and addresses as strings.
                        format!("'{}'", value.replace('\'', "''"))
                    } else {
                        value
                    },
                    origin: flag.into(),
                });
            }
        }
        Ok(overrides)
    }
}

/// The config file a command reads: the one `--config` names, else ./config.yaml when it exists.
pub fn config_file(given: Option<&Path>) -> Option<PathBuf> {
    given.map(Path::to_path_buf).or_else(|| {
        Path::new("config.yaml")
            .exists()
            .then(|| "config.yaml".into())
    })
}
