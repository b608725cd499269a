//! The control plane's protocol: code generated from `proto/mockingbird/v1` by build.rs, never
//! edited by hand. The gRPC services (`control`) serve it and the command line (`cli`) is a
//! client of it.

#![allow(clippy::all, clippy::pedantic)]

tonic::include_proto!("mockingbird.v1");

/// The encoded descriptors of every message and service, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/mockingbird_descriptor.bin"));
