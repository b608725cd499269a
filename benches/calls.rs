//! Voice benchmark: `POST Calls.json` against the release binary with call lifecycles running,
//! then 1,000 concurrent IVR calls each fetching TwiML three times from a local app. Run with
//! `cargo bench --bench calls`.
//!
//! 1. **Creating calls.** N keep-alive connections in a closed loop post calls with inline
//!    TwiML (`<Say>`), 0.5 s between lifecycle steps, so calls ring, answer, run their TwiML and
//!    complete during the run: calls created per second and latency percentiles of the 201s.
//! 2. **1,000 concurrent IVR calls.** 1,000 calls are placed at once with a `Url` on a local
//!    TwiML app whose three pages redirect to each other (`/one` → `/two` → `/three`). They
//!    all answer together and run their three fetches concurrently. Reports calls that did not
//!    complete cleanly (the target is zero), how long the wave took, and the TwiML fetch
//!    overhead: for each call, the time from the app answering one page to the server's
//!    request for the next arriving at the app (parsing, running the verbs, storing the call,
//!    signing and sending the next request), p50 and p99.
//!
//! Knobs (environment): BENCH_CONNECTIONS (64), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2),
//! BENCH_IVR_CALLS (1000), BENCH_LOG.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::IntoResponse;
use support::{Poster, SID, Server, closed_loop_on, env_number, percentile, process_cpu_ticks};

fn main() {
    support::block_on(run());
}

async fn run() {
    let connections = env_number("BENCH_CONNECTIONS", 64) as usize;
    let seconds = env_number("BENCH_SECONDS", 10);
    let warmup = env_number("BENCH_WARMUP_SECONDS", 2);
    let ivr_calls = env_number("BENCH_IVR_CALLS", 1000) as usize;

    let app = TwimlApp::start().await;
    create_calls(connections, warmup, seconds).await;
    ivr_wave(&app, ivr_calls).await;
}

async fn create_calls(connections: usize, warmup: u64, seconds: u64) {
    let server = Server::start(&[
        "twilio.callbacks.delay_seconds=0.5",
        "twilio.validation.check_from_numbers=false",
    ])
    .await;
    let pid = server.pid();
    let body = "To=%2B15557654321&From=%2B15005550006&Twiml=%3CResponse%3E%3CSay%3EHello+from+the+benchmark%3C%2FSay%3E%3C%2FResponse%3E";
    println!(
        "creating calls: {connections} connections, {warmup} s warm-up, {seconds} s measured, lifecycles every 0.5 s"
    );
    let accounts = [(SID.to_owned(), support::TOKEN.to_owned())];
    let cpu_before = process_cpu_ticks(pid);
    let load = closed_loop_on(
        "Calls.json",
        &server.http,
        &accounts,
        connections,
        warmup,
        seconds,
        body,
    )
    .await;
    let cpu_after = process_cpu_ticks(pid);
    println!("created calls/s    : {:.0}", load.per_second());
    println!("latency p50        : {:.2} ms", load.percentile(0.50));
    println!("latency p99        : {:.2} ms", load.percentile(0.99));
    println!("non-201 answers    : {}", load.errors);
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        let ticks = (after - before) as f64 / 100.0;
        println!(
            "server CPU         : {:.0} % of one core",
            ticks / (seconds + warmup) as f64 * 100.0
        );
    }
}

async fn ivr_wave(app: &TwimlApp, calls: usize) {
    let server = Server::start(&[
        "twilio.callbacks.delay_seconds=0.5",
        "twilio.validation.check_from_numbers=false",
    ])
    .await;
    println!("IVR wave: {calls} calls placed at once, three TwiML fetches each");
    let body = format!(
        "To=%2B15557654321&From=%2B15005550006&Url=http%3A%2F%2F{}%2Fone",
        app.address
    );
    let started = Instant::now();
    let mut placers = Vec::new();
    // 50 connections place the calls, so all are queued well inside the 0.5 s before they ring.
    let per_connection = calls.div_ceil(50);
    for chunk in 0..calls.div_ceil(per_connection) {
        let (address, body) = (server.http.clone(), body.clone());
        let count = per_connection.min(calls - chunk * per_connection);
        placers.push(tokio::spawn(async move {
            let mut poster = Poster::connect_to(&address, SID, support::TOKEN, "Calls.json").await;
            let mut failed = 0;
            for _ in 0..count {
                if poster.post(&body).await.0 != 201 {
                    failed += 1;
                }
            }
            failed
        }));
    }
    let mut refused = 0;
    for placer in placers {
        refused += placer.await.expect("placer");
    }
    let placed_in = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(120);
    while app.finished() < calls - refused && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    let (finished, gaps) = app.report();
    let incomplete = calls - finished;
    println!("placed in          : {:.2} s", placed_in.as_secs_f64());
    println!(
        "all fetched in     : {:.2} s (from the first create)",
        took.as_secs_f64()
    );
    println!("refused creates    : {refused}");
    println!("calls not finished : {incomplete}");
    println!(
        "fetch overhead p50 : {:.2} ms",
        percentile(&gaps, 0.50) as f64 / 1000.0
    );
    println!(
        "fetch overhead p99 : {:.2} ms",
        percentile(&gaps, 0.99) as f64 / 1000.0
    );
    println!("overhead samples   : {}", gaps.len());
}

/// The IVR app: three pages that lead to each other. It notes, per call, when it answered a
/// page and when the next page's request arrived.
#[derive(Clone)]
struct TwimlApp {
    address: String,
    calls: Arc<Mutex<HashMap<String, Progress>>>,
}

#[derive(Default)]
struct Progress {
    answered_at: Option<Instant>,
    /// Microseconds from one answer to the next request.
    gaps: Vec<u64>,
    finished: bool,
}

impl TwimlApp {
    async fn start() -> TwimlApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the TwiML app");
        let app = TwimlApp {
            address: listener.local_addr().expect("address").to_string(),
            calls: Arc::default(),
        };
        let router = axum::Router::new().fallback(page).with_state(app.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        app
    }

    fn finished(&self) -> usize {
        self.calls
            .lock()
            .unwrap()
            .values()
            .filter(|p| p.finished)
            .count()
    }

    fn report(&self) -> (usize, Vec<u64>) {
        let calls = self.calls.lock().unwrap();
        let mut gaps: Vec<u64> = calls.values().flat_map(|p| p.gaps.clone()).collect();
        gaps.sort_unstable();
        (calls.values().filter(|p| p.finished).count(), gaps)
    }
}

async fn page(State(app): State<TwimlApp>, uri: Uri, body: Bytes) -> axum::response::Response {
    let arrived = Instant::now();
    let call_sid = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "CallSid")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let twiml = match uri.path() {
        "/one" => "<Response><Say>Welcome</Say><Redirect>/two</Redirect></Response>",
        "/two" => "<Response><Say>Still here</Say><Redirect>/three</Redirect></Response>",
        _ => "<Response><Say>Goodbye</Say></Response>",
    };
    let mut calls = app.calls.lock().unwrap();
    let progress = calls.entry(call_sid).or_default();
    if let Some(answered) = progress.answered_at {
        progress.gaps.push((arrived - answered).as_micros() as u64);
    }
    progress.finished = uri.path() == "/three";
    progress.answered_at = Some(Instant::now());
    drop(calls);
    ([("content-type", "text/xml")], twiml).into_response()
}
