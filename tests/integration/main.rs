//! Integration tests: the real server on port 0, driven over HTTP.

mod durability;
mod errors;
mod events;
mod lifecycle;
mod messages;
mod support;
mod tenants;
