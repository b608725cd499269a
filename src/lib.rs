//! mockingbird: a local stand-in for Twilio and the WhatsApp Cloud API that test harnesses
//! control.
//!
//! # Layout
//! The ground floor first; each room stands only on those above it in this list.
//! - [`core`] — tenants, rules, messaging and WhatsApp, the SQLite store, the event log, clocks,
//!   the scheduler and the outbox of webhooks to send. Knows nothing of HTTP, JSON shapes,
//!   XML or protobuf; reaches the outside only through the [`core::outbox::Courier`] trait.
//! - [`providers`] — each provider's shared vocabulary (Twilio's API version and form encoding;
//!   Meta's error codes and titles, users' message shapes), for its facade and its webhooks.
//! - [`webhooks`] — the core's courier: Twilio's and Meta's webhook requests built from the
//!   core's notices, signed and sent; the app's TwiML answers read into replies.
//! - [`twilio`] — the Twilio REST facade (API 2010-04-01) the official SDKs talk to, and the
//!   seed's `/health`, `/clear/*` and `/callback-test` routes.
//! - [`whatsapp`] — the WhatsApp Cloud API facade (Meta's Graph API) bots talk to, and the
//!   seed's proxy (`POST /webhook`).
//! - [`control`] — the gRPC control plane test harnesses drive.
//! - [`dashboard`] — the web dashboard people watch: pages rendered from `templates/`, live
//!   over Server-Sent Events from the event log.
//! - [`proto`] — the control plane's protocol, generated from `proto/` by build.rs.
//! - [`config`] — the layered configuration (defaults, YAML file, environment, flags).
//! - [`cli`] — the command line: its flags, and the commands (`events tail`, `sms send-inbound`,
//!   `whatsapp send`, `call …`) that talk to a running server's control plane.
//! - [`server`] — the composition root: starts the core with the webhook courier, hands each
//!   facade what it needs, serves HTTP and gRPC.
//!
//! # Rules (kept by `tests/integration/architecture.rs`)
//! - The core reaches nothing outside itself and names no transport or wire-format crate.
//! - `providers` stands on the core; `webhooks` on the core and `providers`.
//! - Facades (`twilio`, `whatsapp`, `control`, `dashboard`) stand side by side on the core and `providers`
//!   (`control` also on `proto`): never on each other, on `webhooks` or on the server.
//! - `cli` stands on `proto`, `config`, `providers` and the core; `config` on the core.
//! - Only the server reaches every room; only `core::store` speaks SQL.
//! - A new room gets its rules in the test before it lands.

pub mod cli;
pub mod config;
pub mod control;
pub mod core;
pub mod dashboard;
pub mod proto;
pub mod providers;
pub mod server;
pub mod twilio;
pub mod webhooks;
pub mod whatsapp;
