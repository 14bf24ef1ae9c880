//! One hook's deliveries on one board: held by this node, sent one at a time in
//! revision order, and where they got to recorded as they go (every few
//! deliveries, so that a crash sends at most those again).

use std::time::{Duration, Instant};

use super::{Deliveries, backoff, now_ms, sign};
use crate::metrics::Metrics;
use crate::store::StoreError;
use crate::store::webhook::{Claim, Delivery, HookEvent, Outcome, Progress};

/// How long a hold on a hook's board lasts unless renewed: a node that dies
/// holding it lets another take over after this.
const LEASE: Duration = Duration::from_secs(60);
/// Changes read from the history at a time.
const PAGE: u32 = 256;
/// Deliveries between two records of progress, at most.
const RECORD_EVERY: usize = 64;
/// Time between two records of progress, at most (well within [`LEASE`]).
const RECORD_WITHIN: Duration = Duration::from_secs(5);

pub(super) async fn run(d: &Deliveries, hook_id: i64, project_id: i64) {
    if let Err(e) = deliver(d, hook_id, project_id).await {
        tracing::warn!(hook_id, project_id, error = %e, "webhook deliveries stopped; they go on later");
    }
}

/// Where the deliveries are, and what is not recorded yet.
struct Run<'a> {
    d: &'a Deliveries,
    hook_id: i64,
    project_id: i64,
    rev: u64,
    attempts: u32,
    records: Vec<Delivery>,
    recorded: Instant,
}

impl Run<'_> {
    /// Records where the deliveries are; `next_at`/`lease_until` as
    /// [`Progress`]. `false`: another node holds them now.
    async fn record(&mut self, next_at: i64, lease_until: i64) -> Result<bool, StoreError> {
        let progress = Progress {
            rev: self.rev,
            attempts: self.attempts,
            next_at,
            lease_until,
            records: std::mem::take(&mut self.records),
        };
        self.recorded = Instant::now();
        self.d.store.webhook_progress(self.hook_id, self.project_id, &self.d.node, progress).await
    }

    fn note(&mut self, event: &HookEvent, outcome: Outcome, answer: &Answer) {
        self.records.push(Delivery {
            project_id: self.project_id,
            rev: event.rev,
            event: event.name.clone(),
            outcome,
            status: answer.status,
            error: answer.error.clone(),
            attempt: self.attempts + 1,
            at_ms: now_ms(),
        });
    }
}

async fn deliver(d: &Deliveries, hook_id: i64, project_id: i64) -> Result<(), StoreError> {
    let now = now_ms();
    let lease = LEASE.as_millis() as i64;
    let Some(claim) = d.store.claim_webhook(hook_id, project_id, &d.node, now, now + lease).await? else {
        return Ok(());
    };
    let mut run = Run {
        d,
        hook_id,
        project_id,
        rev: claim.rev,
        attempts: claim.attempts,
        records: Vec::new(),
        recorded: Instant::now(),
    };
    // After one delivery was given up, the next ones past their time are given
    // up without a try: a receiver gone for a day is not waited on once for each.
    let mut shedding = false;
    loop {
        let page = d.store.webhook_events(project_id, run.rev, PAGE).await?;
        if page.events.is_empty() {
            // Nothing more, or the history no longer holds the rest (cards purged
            // from the trash take theirs): caught up either way.
            run.rev = run.rev.max(page.rev);
            run.record(0, 0).await?;
            return Ok(());
        }
        for event in &page.events {
            if !claim.hook.wants(&event.name) {
                run.rev = event.rev;
                continue;
            }
            let late = age_ms(event) >= d.give_up.as_millis() as i64;
            let answer =
                if shedding && late { Answer::not_tried() } else { send(d, &claim, project_id, event).await };
            if answer.delivered() {
                run.note(event, Outcome::Delivered, &answer);
                Metrics::add(&d.metrics.webhooks_delivered, 1);
                shedding = false;
            } else if late {
                run.note(event, Outcome::Failed, &answer);
                Metrics::add(&d.metrics.webhooks_failed, 1);
                tracing::warn!(
                    hook_id,
                    project_id,
                    rev = event.rev,
                    error = answer.said(),
                    "a webhook delivery given up"
                );
                shedding = true;
            } else {
                run.note(event, Outcome::Retrying, &answer);
                run.attempts += 1;
                Metrics::add(&d.metrics.webhooks_retried, 1);
                tracing::debug!(
                    hook_id,
                    project_id,
                    rev = event.rev,
                    error = answer.said(),
                    "a webhook delivery failed"
                );
                let wait = backoff(run.attempts, d.max_backoff);
                run.record(now_ms() + wait.as_millis() as i64, 0).await?;
                return Ok(());
            }
            run.rev = event.rev;
            run.attempts = 0;
            if (run.records.len() >= RECORD_EVERY || run.recorded.elapsed() >= RECORD_WITHIN)
                && !run.record(0, now_ms() + lease).await?
            {
                return Ok(());
            }
        }
    }
}

/// How long ago the change was committed, in milliseconds (none, for a time that
/// cannot be read: such a change is tried on rather than given up at once).
fn age_ms(event: &HookEvent) -> i64 {
    event.at.parse::<jiff::Timestamp>().map_or(0, |at| now_ms() - at.as_millisecond())
}

/// What a receiver said to one try.
struct Answer {
    status: Option<u16>,
    error: Option<String>,
}

impl Answer {
    fn not_tried() -> Self {
        Answer { status: None, error: Some("not tried: given up with those before it".into()) }
    }

    fn delivered(&self) -> bool {
        self.error.is_none()
    }

    fn said(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }
}

async fn send(d: &Deliveries, claim: &Claim, project_id: i64, event: &HookEvent) -> Answer {
    let id = sign::delivery_id(d.epoch, claim.hook.id, project_id, event.rev);
    let body = sign::body(&id, claim, project_id, event);
    post(&d.client, &claim.hook.url, &claim.hook.secret, &event.name, &id, body).await
}

/// POSTs one signed body; a 2xx answer is a delivery, anything else is not.
async fn post(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    event: &str,
    id: &str,
    body: Vec<u8>,
) -> Answer {
    let signature = sign::signature(secret, &body);
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(sign::SIGNATURE, signature)
        .header(sign::EVENT, event)
        .header(sign::DELIVERY, id)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => {
            Answer { status: Some(response.status().as_u16()), error: None }
        }
        Ok(response) => {
            let status = response.status();
            Answer { status: Some(status.as_u16()), error: Some(format!("answered {status}")) }
        }
        // Without the URL, which may hold a secret of the receiver's.
        Err(e) => Answer { status: None, error: Some(cause(&e.without_url())) },
    }
}

/// An error and its causes on one line.
fn cause(e: &dyn std::error::Error) -> String {
    let mut said = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        said.push_str(": ");
        said.push_str(&s.to_string());
        source = s.source();
    }
    said
}

/// Sends `webhook test`'s ping; answers the status or why it failed.
pub async fn ping(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    id: &str,
    body: Vec<u8>,
) -> Result<u16, String> {
    let answer = post(client, url, secret, "ping", id, body).await;
    match answer.error {
        None => Ok(answer.status.unwrap_or(200)),
        Some(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at: &str) -> HookEvent {
        HookEvent { rev: 1, at: at.into(), name: "task-created".into(), data: "{}".into(), by: None }
    }

    #[test]
    fn a_change_is_as_old_as_the_store_says_and_unreadable_times_are_never_old() {
        // As both stores write the times of the history.
        let day_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
        let written = day_ago.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let age = age_ms(&at(&written));
        assert!((86_400_000..86_460_000).contains(&age), "{written}: {age} ms");
        assert_eq!(age_ms(&at("yesterday")), 0);
    }
}
