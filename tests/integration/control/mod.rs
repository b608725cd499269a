//! The gRPC control plane, through the generated client, against the real server; one module a
//! service, each test opening on a [`fixtures::Fixture`].
//!
//! - `tenants`: created, fetched, listed, reset and deleted; twenty at once kept apart.
//! - `rules`: replaced, added, listed and cleared; the callback disorder a rule asks for.
//! - `numbers`: the senders a tenant may use.
//! - `events`: WaitFor and its nearest misses; Subscribe's replay, live stream and resumption.
//! - `clock`: a frozen clock walks a lifecycle and the retry schedule.
//! - `default_tenant`: an empty `account_sid` is the config file's account, on every service.
//! - `messages`: a status set by hand; a callback redelivered.
//! - `inbound`: SendInbound's signed webhook and TwiML reply; STOP, HELP and START.
//! - `server`: the bearer token, health, reflection, and gRPC on the HTTP port.
//! - `fixtures`: what the tests share.

mod clock;
mod default_tenant;
mod events;
mod fixtures;
mod inbound;
mod messages;
mod numbers;
mod rules;
mod server;
mod tenants;
