//! Reaching a person, outside any one board's changes: their notifications (read,
//! marked read on every client of theirs at once), the cards they watch, their
//! work across boards, and what changed on a board since they last looked. The
//! notifications themselves are made by the board core, in the transaction of the
//! change they tell of ([`crate::board`]).

use kanban_protocol::channel::user_channel;
use kanban_protocol::inbox::{MarkRead, MyTask, MyWorkQuery, Notification, NotificationsRead, Since, events};
use kanban_protocol::model::User;

use crate::board::{NewNotice, read};
use crate::hub::Hub;
use crate::state::Core;
use crate::store::StoreError;

/// A notification as kept, under its id and time.
pub fn kept(notice: &NewNotice<'_>, id: i64, at: String) -> Notification {
    Notification {
        id,
        kind: notice.kind.to_string(),
        project_id: notice.project_id,
        project: notice.project.to_string(),
        task_id: notice.task_id,
        by: notice.by,
        at,
        what: notice.what.to_string(),
        read: false,
    }
}

/// Tells each person of theirs, on their own channel, in every client they have
/// open (on every node).
pub fn publish(hub: &Hub, notices: &[(i64, Notification)]) {
    for (user_id, notice) in notices {
        let data = serde_json::to_string(notice).expect("a notification serializes");
        hub.publish(&user_channel(*user_id), events::NOTIFICATION_CREATED, &data, None);
    }
}

/// Most notifications in one page.
pub const MAX_PAGE: u32 = 200;

/// A page of `user_id`'s notifications, newest first: unread ones only with
/// `unread_only`, older than `before` when given. Those of boards they are no
/// longer a member of are left out.
pub async fn notifications(
    core: &Core,
    user_id: i64,
    unread_only: bool,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<Notification>, StoreError> {
    core.store.notifications(user_id, unread_only, before, limit.clamp(1, MAX_PAGE)).await
}

/// How many of `user_id`'s notifications are unread.
pub async fn unread(core: &Core, user_id: i64) -> Result<u64, StoreError> {
    core.store.unread(user_id).await
}

/// Most ids marked read at once.
pub const MAX_MARKED: usize = 1_000;

/// Marks notifications read (only the person's own: another's id is passed
/// over) and tells every client of theirs (their own channel's
/// `notifications-read`); answers how many are unread now.
pub async fn mark_read(core: &Core, user_id: i64, mark: &MarkRead) -> Result<u64, StoreError> {
    if !mark.all && mark.ids.is_empty() {
        return Err(StoreError::Invalid("give the ids to mark read, or all: true".into()));
    }
    if mark.ids.len() > MAX_MARKED {
        return Err(StoreError::Invalid(format!("at most {MAX_MARKED} ids at once; or all: true")));
    }
    let unread = core.store.mark_read(user_id, mark.ids.clone(), mark.all).await?;
    let said = NotificationsRead { ids: mark.ids.clone(), all: mark.all, unread };
    let data = serde_json::to_string(&said).expect("a read mark serializes");
    core.hub.publish(&user_channel(user_id), events::NOTIFICATIONS_READ, &data, None);
    Ok(unread)
}

/// Watches card `task_id` (`Some(true)`), stops (`Some(false)`), or only asks;
/// answers who watches it now. `NotFound` for a card the person cannot see;
/// viewers watch too (they read the board).
pub async fn watch(
    core: &Core,
    user_id: i64,
    task_id: i64,
    watch: Option<bool>,
) -> Result<Vec<User>, StoreError> {
    let (project_id, _) = read::card(&*core.store, user_id, task_id, false).await?;
    if let Some(watch) = watch {
        core.store.set_watch(task_id, user_id, watch).await?;
    }
    core.store.watchers(task_id, project_id).await
}

/// The person's cards on every board they are a member of (archived boards
/// aside), due first.
pub async fn my_tasks(core: &Core, user_id: i64, query: &MyWorkQuery) -> Result<Vec<MyTask>, StoreError> {
    if query.assigned == Some(0) {
        return Err(StoreError::Invalid("only assigned=1 is asked for: the cards assigned to you".into()));
    }
    if let Some(date) = &query.due_before {
        kanban_protocol::check::check_due_date(date).map_err(|e| StoreError::Invalid(e.message))?;
    }
    let state = match query.status.as_deref() {
        None | Some("open") => Some(false),
        Some("done") => Some(true),
        Some("all") => None,
        Some(other) => return Err(StoreError::Invalid(format!("status {other:?}: open, done or all"))),
    };
    core.store.my_tasks(user_id, query.due_before.clone(), state).await
}

/// What changed on the board since the person last looked.
pub async fn since(core: &Core, user_id: i64, project_id: i64) -> Result<Since, StoreError> {
    read::role(&*core.store, user_id, project_id).await?;
    core.store.since(user_id, project_id).await
}

/// The person has seen the board up to revision `rev` (never back, never past it).
pub async fn seen(core: &Core, user_id: i64, project_id: i64, rev: u64) -> Result<(), StoreError> {
    read::role(&*core.store, user_id, project_id).await?;
    core.store.set_seen(user_id, project_id, rev).await
}

/// How often the reminders are looked for: a card due tomorrow is told of within
/// this much of midnight.
const REMIND_EVERY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Tells people of their cards due tomorrow or overdue, once a day each (the
/// store keeps them unique a day, so every node of a cluster may look), for as
/// long as the server runs. Dates are the server's (`TZ`).
pub async fn remind(core: Core) {
    let mut every = tokio::time::interval(REMIND_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = remind_now(&core).await {
            tracing::warn!(error = %e, "cannot look for due dates to remind of");
        }
    }
}

/// Makes today's reminders, those not yet made, and tells their people.
pub async fn remind_now(core: &Core) -> Result<usize, StoreError> {
    let today = jiff::Zoned::now().date();
    let tomorrow = today.tomorrow().map_err(|e| StoreError::Failed(e.to_string()))?;
    let made = core.store.remind(today.to_string(), tomorrow.to_string()).await?;
    publish(&core.hub, &made);
    Ok(made.len())
}
