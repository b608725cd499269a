//! The gRPC control plane, through the generated client, against the real server: tenants,
//! rules, numbers, events and WaitFor, hand-set statuses and redelivery, inbound SMS, clocks.

mod clock;
mod events;
mod fixtures;
mod inbound;
mod messages;
mod numbers;
mod rules;
mod server;
mod tenants;
