//! `mutations` (kanban-server only): K REST clients create and move cards as fast as
//! they can, while a subscriber checks that every committed change arrives as its
//! event. With `--ports`, the clients are spread over several server processes
//! sharing one database, with a subscriber on each (a process publishes what it
//! committed): every change must reach one of them, each in revision order.

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
use crate::report::{Latency, Report};

#[derive(clap::Args, Debug)]
pub struct Opts {
    #[arg(long, default_value_t = 4)]
    clients: usize,
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// A token of a member of the project.
    #[arg(long, env = "KANBAN_TOKEN", hide_env_values = true)]
    token: String,
    /// The project to change; with several (`1,2,3`), client i changes the
    /// (i mod n)-th.
    #[arg(long, value_delimiter = ',', required = true)]
    project: Vec<i64>,
}

pub async fn run(target: &Target, o: Opts) -> anyhow::Result<Report> {
    let ports = target.nodes();
    let bases: Vec<String> = ports.iter().map(|p| format!("http://{}:{p}", target.host)).collect();
    let base = bases[0].clone();
    let http = reqwest::Client::new();
    let config: Value = http.get(format!("{base}/api/config")).send().await?.json().await?;
    let key = config["app_key"].as_str().context("no app key")?.to_string();
    let target = Target { key, ..target.clone() };
    let projects = o.project.clone();
    let board: Value = http
        .get(format!("{base}/api/projects/{}/board", projects[0]))
        .bearer_auth(&o.token)
        .send()
        .await?
        .json()
        .await?;
    let columns: Vec<i64> =
        board["statuses"].as_array().context("no board")?.iter().filter_map(|s| s["id"].as_i64()).collect();

    // (project, rev) -> when its request started; the subscribers time each event
    // from it.
    let started: Arc<Mutex<HashMap<(i64, u64), Instant>>> = Arc::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // Every (project, revision) some subscriber saw.
    let seen_any: Arc<Mutex<std::collections::HashSet<(i64, u64)>>> = Arc::default();
    // A subscriber on each process for each project, authorized as a member
    // through it.
    let mut readers = Vec::new();
    let pairs = ports.iter().zip(&bases).flat_map(|pb| projects.iter().map(move |p| (pb, *p)));
    for ((port, base), project) in pairs {
        let mut sub = Target { port: *port, ..target.clone() }.connect(None).await?;
        let channel = format!("private-project-{project}");
        let auth: Value = http
            .post(format!("{base}/api/pusher/auth"))
            .bearer_auth(&o.token)
            .form(&[("socket_id", sub.socket_id.as_str()), ("channel_name", channel.as_str())])
            .send()
            .await?
            .json()
            .await?;
        sub.send_subscribe(&channel, auth["auth"].as_str(), None).await?;
        let (started, seen_any) = (started.clone(), seen_any.clone());
        let mut stopped = stopped.clone();
        readers.push(tokio::spawn(async move {
            let mut latency = Latency::default();
            let mut seen = Vec::new();
            let (_, mut read) = sub.socket.split();
            while let Some(Ok(msg)) = super::until_stopped(&mut stopped, read.next()).await.flatten() {
                let Some((event, data)) = event_of(&msg) else { continue };
                let Ok(event) = BoardEvent::from_json(&event, &data) else { continue };
                if let Some(at) = started.lock().unwrap().get(&(project, event.rev)) {
                    latency.record(at.elapsed());
                }
                seen.push(event.rev);
                seen_any.lock().unwrap().insert((project, event.rev));
            }
            (latency, seen)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let cpu_before = target.cpu();
    let start = Instant::now();
    let end = start + Duration::from_secs(o.duration);
    let mut clients = Vec::new();
    for c in 0..o.clients {
        let (http, base, token, started, columns) =
            (http.clone(), bases[c % bases.len()].clone(), o.token.clone(), started.clone(), columns.clone());
        let project = projects[c % projects.len()];
        clients.push(tokio::spawn(async move {
            let mut latency = Latency::default();
            let (mut acked, mut errors, mut throttled) = (Vec::new(), 0u64, 0u64);
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
                    Ok(res) if let Some(wait) = super::throttled(&res) => {
                        throttled += 1;
                        tokio::time::sleep(wait).await;
                    }
                    Ok(res) if res.status().is_success() => {
                        latency.record(at.elapsed());
                        if let Ok(data) = res.json::<Value>().await
                            && let Some(rev) = data["rev"].as_u64()
                        {
                            started.lock().unwrap().insert((project, rev), at);
                            acked.push((project, rev));
                            if let Some(id) = data["task"]["id"].as_i64().filter(|_| i.is_multiple_of(2)) {
                                mine.push(id);
                            }
                        }
                    }
                    _ => errors += 1,
                }
                i += 1;
            }
            (latency, acked, errors, throttled)
        }));
    }
    let mut rest = Latency::default();
    let mut acked = Vec::new();
    let (mut errors, mut throttled) = (0, 0);
    for c in clients {
        let (l, a, e, t) = c.await?;
        rest.merge(&l);
        acked.extend(a);
        errors += e;
        throttled += t;
    }
    let span = start.elapsed();
    let cpu_after = target.cpu();
    // The last events are on their way: wait for them (10 s at most).
    let deadline = Instant::now() + Duration::from_secs(10);
    while acked.iter().any(|r| !seen_any.lock().unwrap().contains(r)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    let mut events = Latency::default();
    let mut in_order = true;
    for reader in readers {
        let (latency, revs) = reader.await.unwrap_or_default();
        events.merge(&latency);
        in_order &= revs.windows(2).all(|w| w[0] < w[1]);
    }
    let seen = seen_any.lock().unwrap().clone();
    let lost = acked.iter().filter(|r| !seen.contains(r)).count();
    let mut report = Report::new("mutations");
    report.set("clients", o.clients);
    report.set("processes", ports.len());
    report.set("projects", projects.len());
    report.set("committed", acked.len());
    report.set("committed_per_s", (acked.len() as f64 / span.as_secs_f64()).round());
    report.set("errors", errors);
    report.set("events_lost", lost);
    report.set("events_in_rev_order", in_order);
    report.set("rest_latency", rest.summary());
    report.set("event_latency", events.summary());
    report.cpu(cpu_before, cpu_after, acked.len() as u64);
    report.set("throttled", throttled);
    if lost > 0 || errors > 0 || !in_order {
        report.invalid = Some(format!("{lost} events lost, {errors} errors, in order: {in_order}"));
    } else if throttled > 0 {
        report.invalid = Some(super::THROTTLED.into());
    }
    Ok(report)
}
