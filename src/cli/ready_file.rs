//! The `--ready-file` document: where a server started on port 0 can be reached.

use std::net::SocketAddr;
use std::path::Path;

/// Write the addresses, as loopback when the server listens on every interface, and the
/// config file read (absolute, for the CLI's commands to read it too). Written to a temporary
/// file first and renamed, so a reader never sees half of it.
pub fn write(
    path: &Path,
    http: SocketAddr,
    grpc: SocketAddr,
    config: Option<&Path>,
) -> std::io::Result<()> {
    let mut document = serde_json::json!({ "http": loopback(http), "grpc": loopback(grpc) });
    if let Some(config) = config {
        document["config"] = std::path::absolute(config)?.display().to_string().into();
    }
    let partial = path.with_extension("partial");
    std::fs::write(&partial, document.to_string())?;
    std::fs::rename(partial, path)
}

/// An address a client can use: loopback when the server listens on every interface.
pub fn loopback(mut address: SocketAddr) -> String {
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    address.to_string()
}

/// The address of `service` (`http` or `grpc`) in a ready file, once it has been written.
pub fn read(path: &Path, service: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let document: serde_json::Value = serde_json::from_str(&text).ok()?;
    document[service].as_str().map(str::to_owned)
}
