//! Webhooks as the store keeps them: the hooks, where each is on each board (its
//! cursor in the board's history, which is its queue), and what became of recent
//! deliveries. The delivery worker ([`crate::webhooks`]) decides what to send; the
//! store says what is waiting and who holds it.

/// A webhook as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    pub id: i64,
    pub url: String,
    /// The board it is for, by id and name; `None`: every board.
    pub project: Option<(i64, String)>,
    /// The events it is sent; `None`: all of them.
    pub events: Option<Vec<String>>,
    /// The key of its signatures.
    pub secret: String,
    pub created: String,
}

impl Hook {
    /// Whether event `name` is sent to this hook.
    pub fn wants(&self, name: &str) -> bool {
        self.events.as_ref().is_none_or(|events| events.iter().any(|e| e == name))
    }
}

/// A hook and how its deliveries go, for `webhook list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookStatus {
    pub hook: Hook,
    /// Changes not yet delivered (or given up), over its boards.
    pub waiting: u64,
    /// Deliveries given up, among those kept.
    pub failed: u64,
    pub last: Option<Delivery>,
}

/// What became of one try of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub project_id: i64,
    pub rev: u64,
    pub event: String,
    pub outcome: Outcome,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// Which try this was (1 for the first).
    pub attempt: u32,
    /// When, in milliseconds since the epoch.
    pub at_ms: i64,
}

/// How a try ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Refused or unreachable: tried again later.
    Retrying,
    /// Given up after the retries' time ran out.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Retrying => "retrying",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "delivered" => Outcome::Delivered,
            "failed" => Outcome::Failed,
            _ => Outcome::Retrying,
        }
    }
}

/// A hook's deliveries on one board, held by one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub hook: Hook,
    pub project_name: String,
    /// Delivered (or given up) up to this revision.
    pub rev: u64,
    /// Tries of the next delivery so far.
    pub attempts: u32,
}

/// A change of a board's history, as a hook is sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookEvent {
    pub rev: u64,
    /// When it was committed (`2026-12-08T10:32:05.123Z`).
    pub at: String,
    pub name: String,
    /// The event's data, as the board's channel carried it.
    pub data: String,
    /// Who made it, by id and name (now), when known.
    pub by: Option<(i64, String)>,
}

/// A board's history after a revision, as [`super::Webhooks::webhook_events`]
/// answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookEvents {
    pub events: Vec<HookEvent>,
    /// The board's revision when read: where a cursor goes when the history no
    /// longer holds what lies between (cards purged from the trash take theirs).
    pub rev: u64,
}

/// Where a hook is on a board after a run of deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub rev: u64,
    pub attempts: u32,
    /// Not before this (ms since the epoch).
    pub next_at: i64,
    /// Still held until then (0: let go).
    pub lease_until: i64,
    /// What became of each try since the last progress.
    pub records: Vec<Delivery>,
}

/// Deliveries kept per hook for `webhook deliveries`.
pub const DELIVERIES_KEPT: i64 = 1_000;
