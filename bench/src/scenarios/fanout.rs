//! `fanout`: N subscribers on one channel, one publisher at R events per second,
//! through the HTTP API or as client events. Every delivery is counted and timed.
//! `deliveries_per_s` counts over the publishing span, `delivered_per_s` until the
//! last delivery arrived (lower where a server queues instead of keeping up).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::bail;
use futures_util::{SinkExt, StreamExt};
use kanban_protocol::{pusher, sign};
use serde_json::{Value, json};
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use crate::Target;
use crate::conn::event_of;
use crate::report::{Latency, Report, now_micros};

#[derive(clap::Args, Debug)]
pub struct Opts {
    #[arg(long, default_value_t = 100)]
    subscribers: usize,
    /// Events per second.
    #[arg(long, default_value_t = 100)]
    rate: u64,
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Size of each event's data.
    #[arg(long, default_value_t = 100)]
    payload: usize,
    #[arg(long, value_enum, default_value_t = Via::Http)]
    via: Via,
    /// HTTP publishers at once (a server that answers each request slowly, or closes
    /// each connection, needs several).
    #[arg(long, default_value_t = 4)]
    publishers: usize,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Http,
    Client,
}

/// An event's data: its send time, padded to the payload size.
pub fn event_data(payload: usize) -> String {
    let head = format!("{{\"t\":{},\"p\":\"", now_micros());
    let pad = payload.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(pad))
}

/// The send time inside an event's data (a JSON string or object).
pub fn sent_at(data: &str) -> Option<u64> {
    serde_json::from_str::<Value>(data).ok()?["t"].as_u64()
}

pub async fn run(target: &Target, o: Opts) -> anyhow::Result<Report> {
    let channel = if o.via == Via::Http { "private-bench-fanout" } else { "presence-bench-fanout" };
    let subscribers = super::in_parallel(o.subscribers, 200, |i| async move {
        let mut c = target.connect_nth(i).await?;
        let user = (o.via == Via::Client).then(|| format!("s{i}"));
        c.subscribe(target, channel, user.as_deref()).await?;
        Ok(c)
    })
    .await?;
    let received = Arc::new(AtomicU64::new(0));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut readers = Vec::new();
    for c in subscribers {
        let received = received.clone();
        let mut stopped = stopped.clone();
        readers.push(tokio::spawn(async move {
            let mut latency = Latency::default();
            let (_, mut read) = c.socket.split();
            while let Some(Ok(msg)) = super::until_stopped(&mut stopped, read.next()).await.flatten() {
                let Some((event, data)) = event_of(&msg) else { continue };
                if event == "bench" || event == "client-bench" {
                    if let Some(sent) = sent_at(&data) {
                        latency.record_since(sent);
                    }
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
            latency
        }));
    }

    let cpu_before = target.cpu();
    let total = o.rate * o.duration;
    let start = Instant::now();
    let errors = Arc::new(AtomicU64::new(0));
    let sent = match o.via {
        Via::Http => publish_http(target, &o, total, start, errors.clone()).await,
        Via::Client => publish_client(target, &o, channel, total, start, errors.clone()).await?,
    };
    let span = start.elapsed();
    // Stragglers: wait until everything arrived, or give up after a while.
    let expected = sent * o.subscribers as u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Until the last delivery (to 20 ms): what a server that queues instead of
    // keeping up really delivered per second.
    let until_all = start.elapsed();
    let cpu_after = target.cpu();
    let got = received.load(Ordering::Relaxed);
    let latency = super::stop_readers(stop, readers).await;
    let mut report = Report::new("fanout");
    report.set("nodes", target.nodes().len());
    report.set("via", format!("{:?}", o.via).to_lowercase());
    report.set("subscribers", o.subscribers);
    report.set("payload_bytes", o.payload);
    report.set("events_sent", sent);
    report.set("deliveries_per_s_asked", o.rate * o.subscribers as u64);
    report.set("deliveries_per_s", (got as f64 / span.as_secs_f64()).round());
    report.set("delivered_per_s", (got as f64 / until_all.as_secs_f64()).round());
    report.set("deliveries", got);
    report.set("lost", expected.saturating_sub(got));
    report.set("publish_errors", errors.load(Ordering::Relaxed));
    report.set("latency", latency.summary());
    report.cpu(cpu_before, cpu_after, got);
    if got < expected {
        report.invalid = Some(format!("{} of {expected} deliveries lost", expected - got));
    } else if errors.load(Ordering::Relaxed) > 0 {
        report.invalid = Some("publishing failed".into());
    }
    Ok(report)
}

/// Publishes `total` events over the HTTP API, paced at the rate; returns how many
/// the server accepted.
async fn publish_http(target: &Target, o: &Opts, total: u64, start: Instant, errors: Arc<AtomicU64>) -> u64 {
    let http = reqwest::Client::new();
    let accepted = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let publishers = o.publishers.max(1) as u64;
    for p in 0..publishers {
        let (http, target, accepted, errors) =
            (http.clone(), target.clone(), accepted.clone(), errors.clone());
        let (rate, payload) = (o.rate, o.payload);
        tasks.push(tokio::spawn(async move {
            // Publisher p sends events p, p + P, p + 2P, ... each at its own slot.
            let mut k = p;
            while k < total {
                sleep_until(start + Duration::from_secs_f64(k as f64 / rate as f64)).await;
                let body =
                    json!({"name": "bench", "channel": "private-bench-fanout", "data": event_data(payload)})
                        .to_string();
                match post_event(&http, &target, &body).await {
                    Ok(()) => accepted.fetch_add(1, Ordering::Relaxed),
                    Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                };
                k += publishers;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    accepted.load(Ordering::Relaxed)
}

async fn post_event(http: &reqwest::Client, target: &Target, body: &str) -> anyhow::Result<()> {
    let path = format!("/apps/{}/events", target.app_id);
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs().to_string();
    let md5 = sign::body_md5(body.as_bytes());
    let params = [
        ("auth_key", target.key.as_str()),
        ("auth_timestamp", &ts),
        ("auth_version", "1.0"),
        ("body_md5", &md5),
    ];
    let signature = sign::http_signature(&target.secret, "POST", &path, params);
    let url = format!(
        "http://{}:{}{path}?auth_key={}&auth_timestamp={ts}&auth_version=1.0&body_md5={md5}&auth_signature={signature}",
        target.host, target.port, target.key
    );
    let res = http.post(url).header("content-type", "application/json").body(body.to_string()).send().await?;
    if !res.status().is_success() {
        bail!("{}", res.status());
    }
    Ok(())
}

/// Publishes as client events from one presence member.
async fn publish_client(
    target: &Target,
    o: &Opts,
    channel: &str,
    total: u64,
    start: Instant,
    errors: Arc<AtomicU64>,
) -> anyhow::Result<u64> {
    let mut c = target.connect(None).await?;
    c.subscribe(target, channel, Some("publisher")).await?;
    let (mut write, mut read) = c.socket.split();
    let refusals = tokio::spawn(async move {
        let mut n = 0u64;
        while let Some(Ok(msg)) = read.next().await {
            if event_of(&msg).is_some_and(|(event, _)| event == pusher::event::ERROR) {
                n += 1;
            }
        }
        n
    });
    for k in 0..total {
        sleep_until(start + Duration::from_secs_f64(k as f64 / o.rate as f64)).await;
        let data = serde_json::from_str::<Value>(&event_data(o.payload))?;
        write.send(Message::text(pusher::send_client_event("client-bench", channel, &data))).await?;
    }
    // Give refusals a moment to arrive, then stop listening.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = write.close().await;
    let refused =
        tokio::time::timeout(Duration::from_secs(2), refusals).await.ok().and_then(Result::ok).unwrap_or(0);
    errors.fetch_add(refused, Ordering::Relaxed);
    Ok(total - refused)
}
