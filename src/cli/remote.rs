//! The connection to a running server's control plane: where it is, from the flags or the
//! config file it runs with, and the bearer token every request carries.

use std::path::PathBuf;

use clap::Args;
use tonic::transport::Channel;

use crate::config::{self, Config};

/// Where the control plane of a running server is.
#[derive(Debug, Args)]
pub struct Remote {
    /// The control plane's address. Defaults to the `--ready-file` the server wrote, else
    /// 127.0.0.1 on control.port of the config.
    #[arg(long, env = "MOCKINGBIRD_GRPC")]
    pub server: Option<String>,
    /// The ready file the server was started with (`serve --ready-file`): its `grpc` address
    /// is used unless --server is given.
    #[arg(long, env = "MOCKINGBIRD_READY_FILE")]
    pub ready_file: Option<PathBuf>,
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
    /// Connect as the server was started: the address from --server (or $MOCKINGBIRD_GRPC),
    /// else from the ready file (--ready-file or $MOCKINGBIRD_READY_FILE), else 127.0.0.1 on
    /// the config's control.port; the config from --config, else the one the ready file names,
    /// else ./config.yaml. Says on stderr which address it uses, and why.
    pub(super) async fn open(remote: &Remote) -> Result<Connection, String> {
        let ready = match &remote.ready_file {
            Some(path) => {
                let read = |key| super::ready_file::read(path, key);
                let grpc = read("grpc").ok_or_else(|| {
                    format!(
                        "cannot read the control plane's address from {} (is the server running with --ready-file {0}?)",
                        path.display()
                    )
                })?;
                Some((path, grpc, read("config").map(PathBuf::from)))
            }
            None => None,
        };
        let file = match (&remote.config, &ready) {
            (None, Some((_, _, Some(config)))) => Some(config.clone()),
            (given, _) => super::config_file(given.as_deref()),
        };
        let config = Config::load(file.as_deref(), &config::env_overrides(std::env::vars()))
            .map_err(|e| e.to_string())?;
        let (address, origin) = match (&remote.server, &ready) {
            (Some(server), _) => (server.clone(), "--server or $MOCKINGBIRD_GRPC".to_owned()),
            (None, Some((path, grpc, _))) => {
                (grpc.clone(), format!("the ready file {}", path.display()))
            }
            (None, None) => (
                format!("127.0.0.1:{}", config.control.port),
                match &file {
                    Some(path) => format!("control.port of {}", path.display()),
                    None => "the default control.port, without a config file".to_owned(),
                },
            ),
        };
        let url = if address.contains("://") {
            address
        } else {
            format!("http://{address}")
        };
        eprintln!("mockingbird: using the control plane at {url} (from {origin})");
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
