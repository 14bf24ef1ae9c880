//! `mutations` (kanban-server only): K REST clients create and move cards as fast as
//! they can, while a subscriber checks that every committed change arrives as its
//! event.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use kanban_protocol::event::BoardEvent;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::Target;
use crate::conn::event_of;
use crate::report::{Latency, Report, cpu_time};

#[derive(clap::Args, Debug)]
pub struct Opts {
    #[arg(long, default_value_t = 4)]
    clients: usize,
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// A token of a member of the project.
    #[arg(long, env = "KANBAN_TOKEN", hide_env_values = true)]
    token: String,
    /// The project to change.
    #[arg(long)]
    project: i64,
}

pub async fn run(target: &Target, o: Opts) -> anyhow::Result<Report> {
    let base = format!("http://{}:{}", target.host, target.port);
    let http = reqwest::Client::new();
    let config: Value = http.get(format!("{base}/api/config")).send().await?.json().await?;
    let key = config["app_key"].as_str().context("no app key")?.to_string();
    let target = Target { key, ..target.clone() };
    let board: Value = http
        .get(format!("{base}/api/projects/{}/board", o.project))
        .bearer_auth(&o.token)
        .send()
        .await?
        .json()
        .await?;
    let columns: Vec<i64> =
        board["statuses"].as_array().context("no board")?.iter().filter_map(|s| s["id"].as_i64()).collect();

    // The subscriber, authorized as a member through the server.
    let mut sub = target.connect(None).await?;
    let channel = format!("private-project-{}", o.project);
    let auth: Value = http
        .post(format!("{base}/api/pusher/auth"))
        .bearer_auth(&o.token)
        .form(&[("socket_id", sub.socket_id.as_str()), ("channel_name", channel.as_str())])
        .send()
        .await?
        .json()
        .await?;
    sub.send_subscribe(&channel, auth["auth"].as_str(), None).await?;
    // rev -> when its request started; the subscriber times each event from it.
    let started: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let seen: Arc<Mutex<Vec<u64>>> = Arc::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let reader = {
        let (started, seen) = (started.clone(), seen.clone());
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let mut latency = Latency::default();
            let (_, mut read) = sub.socket.split();
            while let Some(Ok(msg)) = super::until_stopped(&mut stopped, read.next()).await.flatten() {
                let Some((event, data)) = event_of(&msg) else { continue };
                let Ok(event) = BoardEvent::from_json(&event, &data) else { continue };
                if let Some(at) = started.lock().unwrap().get(&event.rev) {
                    latency.record(at.elapsed());
                }
                seen.lock().unwrap().push(event.rev);
            }
            latency
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let cpu_before = target.pid.and_then(cpu_time);
    let start = Instant::now();
    let end = start + Duration::from_secs(o.duration);
    let mut clients = Vec::new();
    for c in 0..o.clients {
        let (http, base, token, started, columns) =
            (http.clone(), base.clone(), o.token.clone(), started.clone(), columns.clone());
        let project = o.project;
        clients.push(tokio::spawn(async move {
            let mut latency = Latency::default();
            let (mut acked, mut errors) = (Vec::new(), 0u64);
            let mut mine: Vec<i64> = Vec::new();
            let mut i = 0usize;
            while Instant::now() < end {
                let req = if i % 2 == 1 && !mine.is_empty() {
                    let tid = mine[(i / 2) % mine.len()];
                    http.post(format!("{base}/api/tasks/{tid}/move"))
                        .json(&json!({"status_id": columns[i % columns.len()]}))
                } else {
                    http.post(format!("{base}/api/projects/{project}/tasks"))
                        .json(&json!({"title": format!("bench {c}.{i}")}))
                };
                let at = Instant::now();
                match req.bearer_auth(&token).send().await {
                    Ok(res) if res.status().is_success() => {
                        latency.record(at.elapsed());
                        if let Ok(data) = res.json::<Value>().await
                            && let Some(rev) = data["rev"].as_u64()
                        {
                            started.lock().unwrap().insert(rev, at);
                            acked.push(rev);
                            if let Some(id) = data["task"]["id"].as_i64().filter(|_| i.is_multiple_of(2)) {
                                mine.push(id);
                            }
                        }
                    }
                    _ => errors += 1,
                }
                i += 1;
            }
            (latency, acked, errors)
        }));
    }
    let mut rest = Latency::default();
    let mut acked = Vec::new();
    let mut errors = 0;
    for c in clients {
        let (l, a, e) = c.await?;
        rest.merge(&l);
        acked.extend(a);
        errors += e;
    }
    let span = start.elapsed();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = seen.lock().unwrap().clone();
        let missing = acked.iter().filter(|r| !seen.contains(r)).count();
        if missing == 0 || Instant::now() > deadline {
            break;
        }
        drop(seen);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cpu_after = target.pid.and_then(cpu_time);
    let _ = stop.send(true);
    let events = reader.await.unwrap_or_default();
    let seen = seen.lock().unwrap().clone();
    let lost = acked.iter().filter(|r| !seen.contains(r)).count();
    let in_order = seen.windows(2).all(|w| w[0] < w[1]);
    let mut report = Report::new("mutations");
    report.set("clients", o.clients);
    report.set("committed", acked.len());
    report.set("committed_per_s", (acked.len() as f64 / span.as_secs_f64()).round());
    report.set("errors", errors);
    report.set("events_lost", lost);
    report.set("events_in_rev_order", in_order);
    report.set("rest_latency", rest.summary());
    report.set("event_latency", events.summary());
    report.cpu(cpu_before, cpu_after, acked.len() as u64);
    if lost > 0 || errors > 0 || !in_order {
        report.invalid = Some(format!("{lost} events lost, {errors} errors, in order: {in_order}"));
    }
    Ok(report)
}
