//! `kanban-server webhook ...`: adding, listing, testing and removing hooks, and
//! what became of their deliveries. Each takes the store and returns what to
//! print, beside a running server (which picks a new hook up within a second).

use kanban_protocol::model::events;

use super::{deliver, sign};
use crate::admin::{AdminError, Result};
use crate::store::Store;
use crate::store::webhook::{Delivery, Hook};

/// The longest URL a hook may have, as browsers and servers commonly take.
const MAX_URL: usize = 2048;

/// Which boards a hook is for.
pub enum Scope<'a> {
    Project(&'a str),
    All,
}

/// `webhook add URL (--project NAME | --all) [--events LIST]`: the hook's line,
/// then its secret, shown this once.
pub async fn add(store: &dyn Store, url: &str, scope: Scope<'_>, events: Option<&str>) -> Result<String> {
    if url.len() > MAX_URL {
        return Err(AdminError::Invalid(format!("a webhook's URL has at most {MAX_URL} bytes")));
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|e| AdminError::Invalid(format!("{url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(AdminError::Invalid(format!(
            "a webhook's URL is http:// or https:// with a host, not {url:?}"
        )));
    }
    let events = events.map(parse_events).transpose()?;
    let project_id = match scope {
        Scope::Project(name) => Some(store.find_project(name).await?.0),
        Scope::All => None,
    };
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let hook = store.add_webhook(url, project_id, events, &secret).await?;
    Ok(format!("{}\nsecret {secret}\n", line(&hook)))
}

/// Event names, comma separated, each one the board sends.
fn parse_events(list: &str) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !events::ALL.contains(&name) {
            return Err(AdminError::Invalid(format!(
                "no event is named {name:?}; the events are {}",
                events::ALL.join(", ")
            )));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    if names.is_empty() {
        return Err(AdminError::Invalid("--events names at least one event".into()));
    }
    Ok(names)
}

/// A hook on one line: id, URL, board, events.
fn line(hook: &Hook) -> String {
    let board = hook.project.as_ref().map_or("every board", |(_, name)| name.as_str());
    let events = hook.events.as_ref().map_or_else(|| "every event".to_string(), |e| e.join(","));
    format!("webhook {}\t{}\t{board}\t{events}", hook.id, hook.url)
}

/// `webhook list`: each hook, how many changes wait, how many were given up, and
/// its last delivery.
pub async fn list(store: &dyn Store) -> Result<String> {
    let mut out = String::new();
    for status in store.webhooks().await? {
        let last = status.last.as_ref().map_or_else(|| "none yet".to_string(), said);
        out.push_str(&format!(
            "{}\t{} waiting\t{} failed\tlast: {last}\n",
            line(&status.hook),
            status.waiting,
            status.failed
        ));
    }
    Ok(out)
}

/// `webhook deliveries ID`: the newest first.
pub async fn deliveries(store: &dyn Store, id: i64, limit: u32) -> Result<String> {
    Ok(store.webhook_deliveries(id, limit).await?.iter().map(|d| format!("{}\n", said(d))).collect())
}

/// One try, in words: when, which change, what came of it.
fn said(d: &Delivery) -> String {
    let at =
        jiff::Timestamp::from_millisecond(d.at_ms).map_or_else(|_| d.at_ms.to_string(), |t| t.to_string());
    let status = d.status.map_or_else(String::new, |s| format!(" {s}"));
    let error = d.error.as_ref().map_or_else(String::new, |e| format!(" ({e})"));
    format!(
        "{at}\tboard {} rev {}\t{}\t{}{status}\ttry {}{error}",
        d.project_id,
        d.rev,
        d.event,
        d.outcome.as_str(),
        d.attempt
    )
}

/// `webhook remove ID`.
pub async fn remove(store: &dyn Store, id: i64) -> Result<()> {
    Ok(store.remove_webhook(id).await?)
}

/// `webhook test ID`: sends a `ping` now, signed as every delivery; `Err` when the
/// receiver did not take it.
pub async fn test(store: &dyn Store, id: i64) -> Result<String> {
    let hook = store.webhook(id).await?;
    let at = jiff::Timestamp::now().to_string();
    let delivery = format!("ping-{id}-{}", hex::encode(rand::random::<[u8; 6]>()));
    let project = hook.project.as_ref().map(|(id, name)| (*id, name.as_str()));
    let body = sign::ping(&delivery, id, project, &at);
    let started = std::time::Instant::now();
    match deliver::ping(&super::client(), &hook.url, &hook.secret, &delivery, body).await {
        Ok(status) => {
            Ok(format!("delivered: {} answered {status} in {} ms\n", hook.url, started.elapsed().as_millis()))
        }
        Err(e) => Err(AdminError::Invalid(format!("not delivered to {}: {e}", hook.url))),
    }
}
