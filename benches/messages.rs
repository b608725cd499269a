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

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::{Server, closed_loop, env_number, process_cpu_ticks, process_rss_kib};

fn main() {
    support::block_on(run());
}

async fn run() {
    let connections = env_number("BENCH_CONNECTIONS", 64) as usize;
    let seconds = env_number("BENCH_SECONDS", 10);
    let warmup = env_number("BENCH_WARMUP_SECONDS", 2);
    let with_callbacks = env_number("BENCH_CALLBACKS", 1) == 1;

    let callbacks = Arc::new(AtomicU64::new(0));
    let sink = start_sink(Arc::clone(&callbacks)).await;
    let server = Server::start(&[
        "twilio.callbacks.delay_seconds=0.5",
        "twilio.validation.check_from_numbers=false",
    ])
    .await;
    let pid = server.pid();

    let body = if with_callbacks {
        format!(
            "To=%2B15557654321&From=%2B15005550006&Body=Hello+from+the+benchmark&StatusCallback=http%3A%2F%2F{sink}%2Fcb"
        )
    } else {
        "To=%2B15557654321&From=%2B15005550006&Body=Hello+from+the+benchmark".to_owned()
    };

    println!(
        "mockingbird load benchmark: {connections} connections, {warmup} s warm-up, {seconds} s measured, callbacks {}",
        if with_callbacks { "on" } else { "off" }
    );
    let measure_from = Instant::now() + Duration::from_secs(warmup);
    let callbacks_at_start = Arc::new(AtomicU64::new(0));
    {
        let (callbacks, mark) = (Arc::clone(&callbacks), Arc::clone(&callbacks_at_start));
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            mark.store(callbacks.load(Ordering::Relaxed), Ordering::Relaxed);
        });
    }
    let cpu_before = process_cpu_ticks(pid);
    let load = closed_loop(&server.http, connections, warmup, seconds, &body).await;
    let cpu_after = process_cpu_ticks(pid);
    let callbacks_during =
        callbacks.load(Ordering::Relaxed) - callbacks_at_start.load(Ordering::Relaxed);
    println!("created messages/s : {:.0}", load.per_second());
    println!("latency p50        : {:.2} ms", load.percentile(0.50));
    println!("latency p90        : {:.2} ms", load.percentile(0.90));
    println!("latency p99        : {:.2} ms", load.percentile(0.99));
    println!(
        "latency max        : {:.2} ms",
        load.latencies.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    println!("non-201 answers    : {}", load.errors);
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
