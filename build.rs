//! Compiles the control plane's protos (`proto/mockingbird/v1`) with the pure-Rust `protox`, so
//! no system `protoc` is needed. The encoded descriptor set is written beside the generated code
//! for gRPC server reflection.

use std::path::PathBuf;

use prost::Message;

const PROTOS: &[&str] = &[
    "proto/mockingbird/v1/common.proto",
    "proto/mockingbird/v1/tenants.proto",
    "proto/mockingbird/v1/rules.proto",
    "proto/mockingbird/v1/numbers.proto",
    "proto/mockingbird/v1/messages.proto",
    "proto/mockingbird/v1/events.proto",
    "proto/mockingbird/v1/clock.proto",
    "proto/mockingbird/v1/whatsapp.proto",
    "proto/mockingbird/v1/calls.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("mockingbird_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
