//! Control-plane benchmark: how fast events reach a live `Subscribe` stream, and what
//! subscribers cost the HTTP API. Run with `cargo bench --bench control`.
//!
//! Three measurements, each on a fresh release server with a SQLite file:
//! 1. Event latency: messages sent at a fixed rate (BENCH_RATE, 1,000/s) for BENCH_SECONDS
//!    (10); for each, the time from its HTTP 201 arriving at the client to its `message_created`
//!    event arriving on a live stream. The event is published when the message commits, before
//!    the 201 is written, so it often arrives first: those count as 0.
//! 2. Throughput: a closed loop of BENCH_CONNECTIONS (64) for BENCH_SECONDS spread over 100
//!    tenants, with no subscriber; then with 100 live subscribers, one per tenant, as 100
//!    parallel tests each following their own tenant; then with 100 subscribers that all
//!    follow every event (the worst case: each event is encoded and sent 100 times).
//! 3. A stalled subscriber: the same closed loop with one subscriber that never reads, against
//!    no subscriber: HTTP latency, and the server's memory after.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mockingbird::proto::{self, event::Payload, events_client::EventsClient};
use support::{
    Load, Poster, SID, Server, closed_loop, closed_loop_as, env_number, percentile, process_rss_kib,
};

const FORM: &str = "To=%2B15557654321&From=%2B15005550006&Body=Hello+from+the+benchmark";
/// Lifecycles run (status changes every 0.5 s), so streams carry three events a message.
const SETTINGS: &[&str] = &[
    "twilio.callbacks.delay_seconds=0.5",
    "twilio.validation.check_from_numbers=false",
];

fn main() {
    support::block_on(run());
}

async fn run() {
    let seconds = env_number("BENCH_SECONDS", 10);
    let rate = env_number("BENCH_RATE", 1_000);
    let connections = env_number("BENCH_CONNECTIONS", 64) as usize;
    let warmup = env_number("BENCH_WARMUP_SECONDS", 2);

    println!("1. 201 → event on a live Subscribe stream, {rate} messages/s for {seconds} s");
    event_latency(rate, seconds).await;

    println!(
        "\n2. HTTP throughput, {connections} connections over 100 tenants, {seconds} s measured"
    );
    let alone = throughput(connections, warmup, seconds, Subscribers::None).await;
    for subscribers in [Subscribers::OnePerTenant, Subscribers::AllOnEverything] {
        let watched = throughput(connections, warmup, seconds, subscribers).await;
        println!(
            "   change against none: {:+.1} % messages/s",
            (watched.per_second() / alone.per_second() - 1.0) * 100.0
        );
    }

    println!("\n3. One stalled subscriber (never reads), {connections} connections");
    stalled(connections, warmup, seconds).await;
}

async fn events(server: &Server) -> EventsClient<tonic::transport::Channel> {
    let channel = tonic::transport::Channel::from_shared(server.grpc.clone())
        .expect("address")
        .connect()
        .await
        .expect("connect to the control plane");
    EventsClient::new(channel)
}

/// A live stream of the benchmark tenant's events of `kinds` (all when empty).
async fn subscribe(server: &Server, kinds: &[proto::EventKind]) -> tonic::Streaming<proto::Event> {
    events(server)
        .await
        .subscribe(proto::SubscribeRequest {
            filter: Some(proto::EventFilter {
                account_sid: SID.into(),
                kinds: kinds.iter().map(|k| *k as i32).collect(),
                ..Default::default()
            }),
            after_sequence: 0,
            live_only: true,
        })
        .await
        .expect("subscribe")
        .into_inner()
}

fn sid_of(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).expect("a JSON message");
    value["sid"].as_str().expect("a sid").to_owned()
}

async fn event_latency(rate: u64, seconds: u64) {
    let server = Server::start(SETTINGS).await;
    let mut stream = subscribe(&server, &[proto::EventKind::MessageCreated]).await;
    let arrived: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let total = (rate * seconds) as usize;
    let reader = {
        let arrived = Arc::clone(&arrived);
        tokio::spawn(async move {
            while let Some(Ok(event)) = stream.next().await {
                let now = Instant::now();
                if let Some(Payload::MessageCreated(created)) = event.payload {
                    let sid = created.message.map(|m| m.sid).unwrap_or_default();
                    let mut arrived = arrived.lock().unwrap();
                    arrived.insert(sid, now);
                    if arrived.len() == total {
                        return;
                    }
                }
            }
        })
    };
    // Open loop: 16 senders, each on its own connection and its own share of the schedule.
    let senders = 16u64;
    let interval = Duration::from_secs_f64(senders as f64 / rate as f64);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for sender in 0..senders {
        let address = server.http.clone();
        let count = total as u64 / senders;
        tasks.push(tokio::spawn(async move {
            let mut poster = Poster::connect(&address).await;
            let mut answered = Vec::with_capacity(count as usize);
            let offset = interval.mul_f64(sender as f64 / senders as f64);
            for n in 0..count {
                tokio::time::sleep_until((start + offset + interval * n as u32).into()).await;
                let (status, body) = poster.post(FORM).await;
                assert_eq!(status, 201);
                answered.push((sid_of(&body), Instant::now()));
            }
            answered
        }));
    }
    let mut answered = Vec::new();
    for task in tasks {
        answered.extend(task.await.expect("sender"));
    }
    let sent_for = start.elapsed();
    tokio::time::timeout(Duration::from_secs(30), reader)
        .await
        .expect("every event arrives")
        .expect("reader");
    let arrived = arrived.lock().unwrap();
    let mut early = 0;
    let mut latencies: Vec<u64> = answered
        .iter()
        .map(|(sid, at)| {
            let event = arrived[sid];
            if event <= *at {
                early += 1;
                0
            } else {
                (event - *at).as_micros() as u64
            }
        })
        .collect();
    latencies.sort_unstable();
    println!(
        "   {} messages in {:.1} s ({:.0}/s)",
        answered.len(),
        sent_for.as_secs_f64(),
        answered.len() as f64 / sent_for.as_secs_f64()
    );
    println!(
        "   event before its 201: {early} ({:.0} %)",
        early as f64 * 100.0 / answered.len() as f64
    );
    for (name, p) in [("p50", 0.50), ("p99", 0.99), ("max", 1.0)] {
        println!(
            "   201 → event {name}: {:.3} ms",
            percentile(&latencies, p) as f64 / 1000.0
        );
    }
}

fn report(label: &str, load: &Load) {
    println!(
        "   {label}: {:.0} messages/s, p50 {:.2} ms, p99 {:.2} ms, non-201 {}",
        load.per_second(),
        load.percentile(0.50),
        load.percentile(0.99),
        load.errors
    );
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Subscribers {
    None,
    /// 100 subscribers, each following one tenant.
    OnePerTenant,
    /// 100 subscribers, each following every event of every tenant.
    AllOnEverything,
}

async fn throughput(
    connections: usize,
    warmup: u64,
    seconds: u64,
    subscribers: Subscribers,
) -> Load {
    let server = Server::start(SETTINGS).await;
    let channel = tonic::transport::Channel::from_shared(server.grpc.clone())
        .expect("address")
        .connect()
        .await
        .expect("connect to the control plane");
    let mut tenants = proto::tenants_client::TenantsClient::new(channel.clone());
    let mut credentials = Vec::new();
    for i in 0..100 {
        let tenant = tenants
            .create_tenant(proto::CreateTenantRequest {
                label: format!("bench {i}"),
            })
            .await
            .expect("create a tenant")
            .into_inner();
        credentials.push((tenant.account_sid, tenant.auth_token));
    }
    let received = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut readers = Vec::new();
    if subscribers != Subscribers::None {
        for (account_sid, _) in &credentials {
            let filter = proto::EventFilter {
                account_sid: if subscribers == Subscribers::OnePerTenant {
                    account_sid.clone()
                } else {
                    String::new()
                },
                ..Default::default()
            };
            // Each on a connection of its own, as separate test processes would be.
            let mut stream = events(&server)
                .await
                .subscribe(proto::SubscribeRequest {
                    filter: Some(filter),
                    after_sequence: 0,
                    live_only: true,
                })
                .await
                .expect("subscribe")
                .into_inner();
            let received = Arc::clone(&received);
            readers.push(tokio::spawn(async move {
                while let Some(Ok(_)) = stream.next().await {
                    received.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }));
        }
    }
    let load = closed_loop_as(
        &server.http,
        &credentials,
        connections,
        warmup,
        seconds,
        FORM,
    )
    .await;
    report(&format!("{subscribers:?}"), &load);
    if subscribers != Subscribers::None {
        println!(
            "   events delivered to subscribers: {:.0}/s",
            received.load(std::sync::atomic::Ordering::Relaxed) as f64 / (seconds + warmup) as f64
        );
    }
    for reader in readers {
        reader.abort();
    }
    load
}

async fn stalled(connections: usize, warmup: u64, seconds: u64) {
    for stall in [false, true] {
        let server = Server::start(SETTINGS).await;
        // Held, never polled: the server must not buffer for it.
        let _stream = if stall {
            Some(subscribe(&server, &[]).await)
        } else {
            None
        };
        let rss_before = process_rss_kib(server.pid()).unwrap_or(0);
        let load = closed_loop(&server.http, connections, warmup, seconds, FORM).await;
        let rss_after = process_rss_kib(server.pid()).unwrap_or(0);
        report(
            if stall {
                "stalled subscriber"
            } else {
                "no subscriber     "
            },
            &load,
        );
        println!(
            "   server RSS: {} MiB before, {} MiB after {} messages",
            rss_before / 1024,
            rss_after / 1024,
            load.latencies.len()
        );
    }
}
