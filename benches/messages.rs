//! Load benchmark: `POST Messages.json` against the release binary on a file database, with the
//! lifecycle and status callbacks running. Run with `cargo bench --bench messages`.
//!
//! It starts a callback sink, starts `mockingbird serve` (release build, SQLite file in a temp
//! folder, 0.5 s between status changes, so `sent` and `delivered` happen during the run), then
//! drives N keep-alive connections, each sending its next request as soon as the previous one is
//! answered, for a warm-up and a measured period. Reports requests/s, latency percentiles and
//! the callbacks the sink received.
//!
//! Knobs (environment): BENCH_CONNECTIONS (64), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2),
//! BENCH_CALLBACKS (1: every message has a StatusCallback; 0: none), BENCH_LOG (the server's
//! log filter, `warn` by default; `info` adds the one-line-per-request log, to /dev/null).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "benchtoken";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let connections = env_number("BENCH_CONNECTIONS", 64) as usize;
    let seconds = env_number("BENCH_SECONDS", 10);
    let warmup = env_number("BENCH_WARMUP_SECONDS", 2);
    let with_callbacks = env_number("BENCH_CALLBACKS", 1) == 1;

    let callbacks = Arc::new(AtomicU64::new(0));
    let sink = start_sink(Arc::clone(&callbacks)).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let ready = dir.path().join("ready.json");
    let database = dir.path().join("bench.db");
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_mockingbird"))
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
            .arg(&database)
            .arg("--ready-file")
            .arg(&ready)
            .args([
                "--set",
                &format!("twilio.account_sid={SID}"),
                "--set",
                &format!("twilio.auth_token={TOKEN}"),
            ])
            .args([
                "--set",
                "twilio.callbacks.delay_seconds=0.5",
                "--set",
                "twilio.validation.check_from_numbers=false",
            ])
            .env(
                "RUST_LOG",
                std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .spawn()
            .expect("start mockingbird (cargo bench builds it)"),
    );
    let address = wait_ready(&ready).await;
    let pid = server.0.id();

    let body = if with_callbacks {
        format!(
            "To=%2B15557654321&From=%2B15005550006&Body=Hello+from+the+benchmark&StatusCallback=http%3A%2F%2F{sink}%2Fcb"
        )
    } else {
        "To=%2B15557654321&From=%2B15005550006&Body=Hello+from+the+benchmark".to_owned()
    };
    let authorization = format!("Basic {}", base64_encode(&format!("{SID}:{TOKEN}")));
    let path = format!("/2010-04-01/Accounts/{SID}/Messages.json");

    println!(
        "mockingbird load benchmark: {connections} connections, {warmup} s warm-up, {seconds} s measured, callbacks {}",
        if with_callbacks { "on" } else { "off" }
    );
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(warmup);
    let stop_at = measure_from + Duration::from_secs(seconds);
    let callbacks_at_start = Arc::new(AtomicU64::new(0));
    {
        let (callbacks, mark) = (Arc::clone(&callbacks), Arc::clone(&callbacks_at_start));
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            mark.store(callbacks.load(Ordering::Relaxed), Ordering::Relaxed);
        });
    }
    let cpu_before = process_cpu_ticks(pid);
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (address, body, authorization, path) = (
            address.clone(),
            body.clone(),
            authorization.clone(),
            path.clone(),
        );
        workers.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(&address)
                .await
                .expect("connect");
            stream.set_nodelay(true).ok();
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(connection);
            let mut latencies = Vec::with_capacity(200_000);
            let mut errors = 0u64;
            loop {
                let sent_at = Instant::now();
                if sent_at >= stop_at {
                    break;
                }
                let request = Request::post(&path)
                    .header("host", &address)
                    .header("authorization", &authorization)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Full::new(Bytes::from(body.clone())))
                    .expect("request");
                let response = sender.send_request(request).await.expect("response");
                let status = response.status();
                let _ = response.into_body().collect().await;
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
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (mut l, e) = worker.await.expect("worker");
        latencies.append(&mut l);
        errors += e;
    }
    let cpu_after = process_cpu_ticks(pid);
    let callbacks_during =
        callbacks.load(Ordering::Relaxed) - callbacks_at_start.load(Ordering::Relaxed);
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    let created = latencies.len() as f64 / seconds as f64;
    println!("created messages/s : {created:.0}");
    println!("latency p50        : {:.2} ms", pct(0.50));
    println!("latency p90        : {:.2} ms", pct(0.90));
    println!("latency p99        : {:.2} ms", pct(0.99));
    println!(
        "latency max        : {:.2} ms",
        latencies.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    println!("non-201 answers    : {errors}");
    println!(
        "callbacks/s at sink: {:.0}",
        callbacks_during as f64 / seconds as f64
    );
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        let ticks = (after - before) as f64 / 100.0; // USER_HZ is 100 on Linux
        println!(
            "server CPU         : {:.0} % of one core",
            ticks / (seconds + warmup) as f64 * 100.0
        );
    }
    if let Some(rss) = process_rss_kib(pid) {
        println!("server RSS         : {} MiB", rss / 1024);
    }
    drop(server);
}

async fn wait_ready(ready: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(address) = mockingbird::cli::ready_file::read(ready, "http") {
            return address;
        }
        assert!(Instant::now() < deadline, "mockingbird did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A webhook receiver that counts and answers 200.
async fn start_sink(count: Arc<AtomicU64>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind sink");
    let address = listener.local_addr().expect("sink address").to_string();
    let app = axum::Router::new().fallback(move || {
        count.fetch_add(1, Ordering::Relaxed);
        async { "ok" }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// utime + stime of a process, in clock ticks (Linux only).
fn process_cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn process_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
