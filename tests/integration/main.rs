//! Integration tests: the real server on port 0, driven over HTTP and gRPC, and the binary.

mod cli;
mod control;
mod durability;
mod errors;
mod events;
mod lifecycle;
mod messages;
mod numbers;
mod support;
mod whatsapp;
mod whatsapp_media;
mod tenants;
mod whatsapp_control;
mod twilio_whatsapp;
