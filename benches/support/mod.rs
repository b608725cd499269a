//! What the benchmarks share: the release server as a child process, a closed-loop HTTP load,
//! and reading a process's CPU time and memory.

#![allow(dead_code)] // each benchmark uses its own part

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

pub const SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "benchtoken";

/// `mockingbird serve` on a file database in a temp folder; killed when dropped.
pub struct Server {
    child: Child,
    pub http: String,
    pub grpc: String,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Start the binary with the benchmark account and `settings` (`key=value` config keys).
    pub async fn start(settings: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let ready = dir.path().join("ready.json");
        // MOCKINGBIRD_BIN runs another build (an older commit's, to compare) on the same load.
        let binary = std::env::var("MOCKINGBIRD_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_mockingbird").to_owned());
        let mut command = Command::new(binary);
        command
            .args([
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--grpc-port",
                "0",
            ])
            .arg("--database")
            .arg(dir.path().join("bench.db"))
            .arg("--ready-file")
            .arg(&ready)
            .args(["--set", &format!("twilio.account_sid={SID}")])
            .args(["--set", &format!("twilio.auth_token={TOKEN}")])
            .env(
                "RUST_LOG",
                std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null());
        for setting in settings {
            command.args(["--set", setting]);
        }
        let mut server = Server {
            child: command
                .spawn()
                .expect("start mockingbird (cargo bench builds it)"),
            http: String::new(),
            grpc: String::new(),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let read = |service| mockingbird::cli::ready_file::read(&ready, service);
            if let (Some(http), Some(grpc)) = (read("http"), read("grpc")) {
                server.http = http;
                server.grpc = format!("http://{grpc}");
                return server;
            }
            assert!(Instant::now() < deadline, "mockingbird did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run a benchmark on a multi-threaded runtime.
pub fn block_on(benchmark: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(benchmark);
}

pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn basic_auth(account_sid: &str, auth_token: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{account_sid}:{auth_token}"))
    )
}

/// A keep-alive HTTP/1.1 connection posting forms to one of an account's resources
/// (`Messages.json` unless told otherwise).
pub struct Poster {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    address: String,
    path: String,
    authorization: String,
}

impl Poster {
    /// Posting as the benchmark account.
    pub async fn connect(address: &str) -> Poster {
        Poster::connect_as(address, SID, TOKEN).await
    }

    pub async fn connect_as(address: &str, account_sid: &str, auth_token: &str) -> Poster {
        Poster::connect_to(address, account_sid, auth_token, "Messages.json").await
    }

    /// Posting to `resource` (`Calls.json`, …) of the account.
    pub async fn connect_to(
        address: &str,
        account_sid: &str,
        auth_token: &str,
        resource: &str,
    ) -> Poster {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        stream.set_nodelay(true).ok();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        Poster {
            sender,
            address: address.to_owned(),
            path: format!("/2010-04-01/Accounts/{account_sid}/{resource}"),
            authorization: basic_auth(account_sid, auth_token),
        }
    }

    /// Post one form; the status and the body.
    pub async fn post(&mut self, form: &str) -> (u16, Bytes) {
        let request = Request::post(&self.path)
            .header("host", &self.address)
            .header("authorization", &self.authorization)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(form.to_owned())))
            .expect("request");
        let response = self.sender.send_request(request).await.expect("response");
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        (status, body)
    }
}

/// What a closed-loop load measured.
pub struct Load {
    /// Microseconds per request answered 201 in the measured period, sorted.
    pub latencies: Vec<u64>,
    pub errors: u64,
    pub seconds: u64,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds as f64
    }

    /// A percentile in milliseconds.
    pub fn percentile(&self, p: f64) -> f64 {
        percentile(&self.latencies, p) as f64 / 1000.0
    }
}

pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0)
}

/// `connections` keep-alive connections, each posting `form` as soon as its previous request is
/// answered, for a warm-up and then `seconds` measured.
pub async fn closed_loop(
    address: &str,
    connections: usize,
    warmup: u64,
    seconds: u64,
    form: &str,
) -> Load {
    let benchmark_account = [(SID.to_owned(), TOKEN.to_owned())];
    closed_loop_as(
        address,
        &benchmark_account,
        connections,
        warmup,
        seconds,
        form,
    )
    .await
}

/// [`closed_loop`] with connection `i` posting as `accounts[i % accounts.len()]`
/// (account SID, auth token).
pub async fn closed_loop_as(
    address: &str,
    accounts: &[(String, String)],
    connections: usize,
    warmup: u64,
    seconds: u64,
    form: &str,
) -> Load {
    closed_loop_on(
        "Messages.json",
        address,
        accounts,
        connections,
        warmup,
        seconds,
        form,
    )
    .await
}

/// [`closed_loop_as`] posting to another resource of the accounts (`Calls.json`).
pub async fn closed_loop_on(
    resource: &str,
    address: &str,
    accounts: &[(String, String)],
    connections: usize,
    warmup: u64,
    seconds: u64,
    form: &str,
) -> Load {
    let measure_from = Instant::now() + Duration::from_secs(warmup);
    let stop_at = measure_from + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for i in 0..connections {
        let (address, form, resource) = (address.to_owned(), form.to_owned(), resource.to_owned());
        let (account_sid, auth_token) = accounts[i % accounts.len()].clone();
        workers.push(tokio::spawn(async move {
            let mut poster =
                Poster::connect_to(&address, &account_sid, &auth_token, &resource).await;
            let mut latencies = Vec::with_capacity(200_000);
            let mut errors = 0u64;
            loop {
                let sent_at = Instant::now();
                if sent_at >= stop_at {
                    break;
                }
                let (status, _) = poster.post(&form).await;
                if sent_at >= measure_from {
                    if status == 201 {
                        latencies.push(sent_at.elapsed().as_micros() as u64);
                    } else {
                        errors += 1;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut load = Load {
        latencies: Vec::new(),
        errors: 0,
        seconds,
    };
    for worker in workers {
        let (mut latencies, errors) = worker.await.expect("worker");
        load.latencies.append(&mut latencies);
        load.errors += errors;
    }
    load.latencies.sort_unstable();
    load
}

/// utime + stime of a process, in clock ticks (Linux only).
pub fn process_cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

pub fn process_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
