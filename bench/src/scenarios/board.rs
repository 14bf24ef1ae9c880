//! `board` (kanban-server only): a big board, and what fetching it costs. Fills
//! the project up to `--columns` columns and `--cards` cards (realistic titles,
//! descriptions, labels and due dates, made over REST by `--parallel` clients),
//! then fetches `GET /api/projects/{id}/board` `--gets` times as sent and as many
//! times asking for gzip: size, time until the whole body is in, and the
//! server's CPU per fetch. A fetch counts only if its board has every card.

use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::{Value, json};

use crate::Target;
use crate::report::{Latency, Report};

#[derive(clap::Args, Debug)]
pub struct Opts {
    #[arg(long, default_value_t = 10_000)]
    cards: usize,
    #[arg(long, default_value_t = 8)]
    columns: usize,
    #[arg(long, default_value_t = 20)]
    gets: usize,
    /// Clients making the cards.
    #[arg(long, default_value_t = 16)]
    parallel: usize,
    /// A token of a member of the project who may write.
    #[arg(long, env = "KANBAN_TOKEN", hide_env_values = true)]
    token: String,
    #[arg(long)]
    project: i64,
}

pub async fn run(target: &Target, o: Opts) -> anyhow::Result<Report> {
    let base = format!("http://{}:{}", target.host, target.port);
    // Plain: no decoding by the client, so that the size on the wire is seen.
    let http = reqwest::Client::builder().no_gzip().build()?;
    let board_url = format!("{base}/api/projects/{}/board", o.project);
    let get = |gzip: bool| {
        let mut req = http.get(&board_url).bearer_auth(&o.token);
        if gzip {
            req = req.header("accept-encoding", "gzip");
        }
        req.send()
    };
    let board: Value = get(false).await?.error_for_status()?.json().await?;
    let mut columns: Vec<i64> =
        board["statuses"].as_array().context("no board")?.iter().filter_map(|s| s["id"].as_i64()).collect();
    for n in columns.len()..o.columns {
        let made: Value = http
            .post(format!("{base}/api/projects/{}/statuses", o.project))
            .bearer_auth(&o.token)
            .json(&json!({"name": format!("Stage {}", n + 1)}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        columns.push(made["status"]["id"].as_i64().context("no column id")?);
    }
    let have = board["tasks"].as_array().map_or(0, Vec::len);
    let fill = Instant::now();
    let labels = ["bug", "ui", "server", "docs", "urgent"];
    super::in_parallel(o.cards.saturating_sub(have), o.parallel, |i| {
        let card = json!({
            "title": format!("Card {i}: make the {} of the board behave", ["header", "footer", "sidebar"][i % 3]),
            "status_id": columns[i % columns.len()],
            "description": "What it does now, what it should do, and how to see it. ".repeat(1 + i % 3),
            "labels": [labels[i % labels.len()], labels[(i / 5) % labels.len()]],
            "due_date": (i % 4 == 0).then(|| format!("2027-0{}-1{}", 1 + i % 9, i % 10)),
        });
        let (http, url, token) = (&http, format!("{base}/api/projects/{}/tasks", o.project), &o.token);
        async move {
            super::patiently(|| http.post(&url).bearer_auth(token).json(&card)).await?.error_for_status()?;
            anyhow::Ok(())
        }
    })
    .await?;
    let filled_s = fill.elapsed().as_secs_f64();

    let mut report = Report::new("board");
    report.set("cards", o.cards.max(have));
    report.set("columns", columns.len());
    report.set("fill_s", (filled_s * 100.0).round() / 100.0);
    for gzip in [false, true] {
        let mut latency = Latency::default();
        let mut bytes = 0;
        // Whether the server sent gzip when asked (an older build does not).
        let mut offered = true;
        let cpu_before = target.cpu();
        for _ in 0..o.gets {
            let at = Instant::now();
            let res = get(gzip).await?.error_for_status()?;
            let encoding = res.headers().get("content-encoding").map(|v| v.as_bytes().to_vec());
            let body = res.bytes().await?;
            latency.record(at.elapsed());
            bytes = body.len();
            let json = match encoding.as_deref() {
                None => body.to_vec(),
                Some(b"gzip") => {
                    let mut out = Vec::new();
                    flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut out)?;
                    out
                }
                Some(other) => anyhow::bail!("unexpected encoding {}", String::from_utf8_lossy(other)),
            };
            ensure!(gzip || encoding.is_none(), "gzip came unasked");
            offered &= encoding.is_some() == gzip;
            let board: Value = serde_json::from_slice(&json)?;
            let cards = board["tasks"].as_array().map_or(0, Vec::len);
            ensure!(cards >= o.cards, "the board has {cards} cards, not {}", o.cards);
        }
        let cpu = match (cpu_before, target.cpu()) {
            (Some(b), Some(a)) => Some(a.saturating_sub(b)),
            _ => None,
        };
        let key = if gzip { "gzip" } else { "identity" };
        report.set(
            key,
            json!({
                "bytes": bytes,
                "as_asked": offered,
                "latency": latency.summary(),
                "server_cpu_ms_per_get": cpu.map(|c| (c.as_secs_f64() * 1e3 / o.gets as f64 * 100.0).round() / 100.0),
            }),
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(report)
}
