//! The connection to a running server's control plane: where it is, from the flags or the
//! config file it runs with, and the bearer token every request carries.

use std::path::PathBuf;

use clap::Args;
use tonic::transport::Channel;

use crate::config::{self, Config};

/// Where the control plane of a running server is.
#[derive(Debug, Args)]
pub struct Remote {
    /// The control plane's address. Defaults to 127.0.0.1 on control.port of the config.
    #[arg(long, env = "MOCKINGBIRD_GRPC")]
    pub server: Option<String>,
    /// The config file the server runs with (for its control port, token and default account).
    /// Defaults to ./config.yaml when it exists.
    #[arg(long, short, env = "MOCKINGBIRD_CONFIG")]
    pub config: Option<PathBuf>,
    /// The control plane's bearer token (control.token of the config by default).
    #[arg(long)]
    pub token: Option<String>,
}

/// A connection to a server's control plane, with what the config says about it.
pub(super) struct Connection {
    pub(super) channel: Channel,
    token: Option<String>,
    pub(super) config: Config,
}

impl Connection {
    pub(super) async fn open(remote: &Remote) -> Result<Connection, String> {
        let file = super::config_file(remote.config.as_deref());
        let config = Config::load(file.as_deref(), &config::env_overrides(std::env::vars()))
            .map_err(|e| e.to_string())?;
        let address = remote
            .server
            .clone()
            .unwrap_or_else(|| format!("127.0.0.1:{}", config.control.port));
        let url = if address.contains("://") {
            address
        } else {
            format!("http://{address}")
        };
        let channel = Channel::from_shared(url.clone())
            .map_err(|e| format!("{url}: {e}"))?
            .connect()
            .await
            .map_err(|e| format!("cannot reach the control plane at {url}: {e}"))?;
        Ok(Connection {
            channel,
            token: remote
                .token
                .clone()
                .or_else(|| config.control.token.clone()),
            config,
        })
    }

    /// A request carrying the bearer token, if there is one.
    pub(super) fn request<T>(&self, message: T) -> Result<tonic::Request<T>, String> {
        let mut request = tonic::Request::new(message);
        if let Some(token) = &self.token {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| "the token is not a valid header value".to_owned())?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

/// A refusal from the control plane, as the command reports it.
pub(super) fn failed(status: tonic::Status) -> String {
    format!("{:?}: {}", status.code(), status.message())
}
