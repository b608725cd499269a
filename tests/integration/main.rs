//! Integration tests: the real server on port 0, driven over HTTP and gRPC, and the binary.

mod architecture;
mod binary;
mod calls;
mod clear;
mod cli;
mod control;
mod durability;
mod errors;
mod events;
mod graph_api;
mod graph_business;
mod health;
mod lifecycle;
mod messages;
mod numbering;
mod numbers;
mod paging;
mod support;
mod tenants;
mod twilio_spec;
mod twilio_whatsapp;
mod whatsapp;
mod whatsapp_bsuid;
mod whatsapp_control;
mod whatsapp_media;
