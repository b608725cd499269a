//! The `mockingbird` binary: parse the command line, load config, set up logging, bind, run.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use mockingbird::cli::{
    self, Cli, Command, EventsCommand, ServeArgs, SmsCommand, WhatsAppCommand, ready_file,
};
use mockingbird::config::{self, Config};
use mockingbird::server::Server;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

// Measured: glibc's malloc/free were the largest user-space cost on the request path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Events {
            command: EventsCommand::Tail(args),
        } => cli::events::tail(args).await,
        Command::Sms {
            command: SmsCommand::SendInbound(args),
        } => cli::sms::send_inbound(args).await,
        Command::Whatsapp {
            command: WhatsAppCommand::Send(args),
        } => cli::whatsapp::send(args).await,
        Command::Call { command } => cli::call::run(command).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mockingbird: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let file = cli::config_file(args.config.as_deref());
    let mut overrides = config::env_overrides(std::env::vars());
    overrides.extend(args.overrides()?);
    let config = Config::load(file.as_deref(), &overrides).map_err(|e| e.to_string())?;

    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.logging.level));
    // Logs go through a background writer so that a slow terminal never slows a request.
    let (writer, _flush_guard) = tracing_appender::non_blocking(std::io::stdout());
    let terminal = std::io::stdout().is_terminal();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(terminal)
        .with_writer(writer);
    if config.logging.format == "json" {
        subscriber.json().init();
    } else {
        subscriber.init();
    }

    let address = format!("{}:{}", config.server.host, config.server.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let shutdown = CancellationToken::new();
    let server = Server::start(config, listener, shutdown.clone())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(http = %server.http_addr, grpc = %server.grpc_addr, "mockingbird is listening");
    let banner = cli::banner::banner(
        &server.state.config,
        file.as_deref(),
        server.http_addr,
        server.grpc_addr,
        terminal,
    );
    print!("{banner}");
    if let Some(path) = &args.ready_file {
        ready_file::write(path, server.http_addr, server.grpc_addr, file.as_deref())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    server.wait().await.map_err(|e| e.to_string())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return ctrl_c.await.unwrap_or_default(),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or_default();
}
