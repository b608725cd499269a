//! mockingbird: a local stand-in for Twilio and the WhatsApp Cloud API that test harnesses
//! control.
//!
//! # Layout
//! - [`core`] — tenants, rules, the SQLite store, the event log, clocks and the durable
//!   scheduler. Knows nothing of HTTP or JSON shapes.
//! - [`twilio`] — the Twilio REST facade (API 2010-04-01) the official SDKs talk to.
//! - [`webhooks`] — builds, signs and sends the webhooks the providers send to apps.
//! - [`server`] — shared state, the router and its middleware, the serve loop.
//! - [`config`] — the layered configuration (defaults, YAML file, environment, flags).
//! - [`control`] — the gRPC control plane test harnesses drive.
//! - [`cli`] — the command line: its flags, and the commands (`events tail`, `sms send-inbound`,
//!   `whatsapp send`) that talk to a running server's control plane.

pub mod cli;
pub mod config;
pub mod control;
pub mod core;
pub mod providers;
pub mod server;
pub mod twilio;
pub mod webhooks;
pub mod whatsapp;
