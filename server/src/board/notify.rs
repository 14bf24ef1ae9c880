//! Who is told of a change, in the change's own transaction: nothing is told of a
//! change that does not commit, and nothing told is lost once it has. A person
//! watches a card they made, were assigned or mentioned on, or commented on;
//! mentions and assignments reach the person named, and every other change of a
//! card reaches its watchers, never its author. Only members are told: a watcher
//! who left the board is passed over.

use std::collections::HashMap;

use kanban_protocol::inbox::{Notification, kinds};
use kanban_protocol::mention;
use kanban_protocol::model::Task;

use super::OpError;
use super::storage::{BoardTx, NewNotice};
use crate::activity::task_edit;

/// What happened to a card, as its watchers are told.
pub(super) enum About<'a> {
    Created(&'a Task),
    Updated {
        old: &'a Task,
        new: &'a Task,
    },
    /// Moved to another column (a reorder within one tells nobody).
    Moved {
        task: &'a Task,
        column: &'a str,
    },
    Deleted(&'a Task),
    Restored(&'a Task),
    /// A comment made (`old`: none) or edited.
    Commented {
        task: &'a Task,
        body: &'a str,
        old: Option<&'a str>,
    },
}

impl About<'_> {
    fn task(&self) -> &Task {
        match self {
            About::Created(t) | About::Deleted(t) | About::Restored(t) => t,
            About::Updated { new: t, .. }
            | About::Moved { task: t, .. }
            | About::Commented { task: t, .. } => t,
        }
    }
}

/// The board's members by id, read once a change needs a name.
struct Names {
    of: Option<HashMap<i64, String>>,
    project_id: i64,
}

impl Names {
    fn get(&mut self, tx: &mut dyn BoardTx) -> Result<&HashMap<i64, String>, OpError> {
        if self.of.is_none() {
            self.of = Some(tx.member_names(self.project_id)?.into_iter().collect());
        }
        Ok(self.of.as_ref().expect("just read"))
    }
}

/// The members `text` mentions and `old` did not (an edit tells only the newly
/// named), leaving out `by`.
fn newly_mentioned(
    tx: &mut dyn BoardTx,
    names: &mut Names,
    by: i64,
    text: &str,
    old: Option<&str>,
) -> Result<Vec<i64>, OpError> {
    // Most texts name nobody: no read of the members for them.
    if !text.contains('@') {
        return Ok(Vec::new());
    }
    let members = names.get(tx)?;
    let find = |name: &str| members.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(id, _)| *id);
    let before = old.map(|o| mention::mentioned(o, find)).unwrap_or_default();
    Ok(mention::mentioned(text, find).into_iter().filter(|id| *id != by && !before.contains(id)).collect())
}

/// A comment's first words, on one line, for the notification.
fn excerpt(text: &str) -> String {
    const MAX: usize = 80;
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// The notifications of a change, each with its person.
pub type Notices = Vec<(i64, Notification)>;

/// Makes the watches and notifications of a change that nothing will refuse now
/// (its checks are behind it); answers the notifications, to publish once the
/// batch commits.
pub(super) fn notify(tx: &mut dyn BoardTx, by: i64, about: About<'_>) -> Result<Notices, OpError> {
    let task = about.task();
    let project_id = task.project_id;
    let mut names = Names { of: None, project_id };
    // Those told directly, each once: (person, kind, what).
    let mut direct: Vec<(i64, &'static str, String)> = Vec::new();
    let title = &task.title;
    let (mentioned, said) = match &about {
        About::Created(t) => (newly_mentioned(tx, &mut names, by, &t.description, None)?, "on"),
        About::Updated { old, new } => {
            (newly_mentioned(tx, &mut names, by, &new.description, Some(&old.description))?, "on")
        }
        About::Commented { body, old, .. } => {
            (newly_mentioned(tx, &mut names, by, body, *old)?, "in a comment on")
        }
        _ => (Vec::new(), ""),
    };
    let assigned = match &about {
        About::Created(t) => t.assignee_id,
        About::Updated { old, new } if old.assignee_id != new.assignee_id => new.assignee_id,
        _ => None,
    };
    // Who watches from now on, for what they did or were made.
    let starts_watching = match &about {
        About::Created(_) | About::Commented { old: None, .. } => Some(by),
        _ => None,
    };
    let told_of = match &about {
        About::Created(_) | About::Commented { old: Some(_), .. } => None,
        About::Updated { old, new } => {
            if old.assignee_id != new.assignee_id {
                names.get(tx)?;
            }
            let changes = task_edit(old, new, |id| {
                // Names read only for a change of assignee.
                id.and_then(|id| names.of.as_ref().and_then(|n| n.get(&id))).map_or("someone", String::as_str)
            });
            Some((kinds::CHANGED, changes))
        }
        About::Moved { column, .. } => Some((kinds::MOVED, format!("moved “{title}” to {column}"))),
        About::Deleted(_) => Some((kinds::DELETED, format!("deleted “{title}”"))),
        About::Restored(_) => Some((kinds::CHANGED, format!("brought back “{title}”"))),
        About::Commented { body, old: None, .. } => {
            Some((kinds::COMMENTED, format!("commented on “{title}”: {}", excerpt(body))))
        }
    };
    let nobody_told = mentioned.is_empty() && assigned.is_none_or(|a| a == by) && told_of.is_none();
    for person in starts_watching.into_iter().chain(assigned).chain(mentioned.iter().copied()) {
        tx.watch(task.id, person)?;
    }
    let mut notices = Vec::new();
    if nobody_told {
        return Ok(notices);
    }
    let who = names.get(tx)?.get(&by).cloned().unwrap_or_else(|| "someone".into());
    if let Some(person) = assigned.filter(|a| *a != by) {
        direct.push((person, kinds::ASSIGNED, format!("{who} assigned “{title}” to you")));
    }
    let quoted = match &about {
        About::Commented { body, .. } => format!(": {}", excerpt(body)),
        _ => String::new(),
    };
    for person in mentioned {
        if !direct.iter().any(|(p, ..)| *p == person) {
            direct.push((person, kinds::MENTIONED, format!("{who} mentioned you {said} “{title}”{quoted}")));
        }
    }
    let project = tx.project_name(project_id)?;
    let notice = |kind, what| NewNotice {
        project_id,
        project: &project,
        task_id: Some(task.id),
        kind,
        by: Some(by),
        what,
    };
    for (person, kind, what) in &direct {
        notices.extend(tx.notify(&notice(kind, what), &[*person])?);
    }
    if let Some((kind, what)) = told_of {
        let watchers: Vec<i64> = tx
            .watchers(task.id, project_id)?
            .into_iter()
            .filter(|w| *w != by && !direct.iter().any(|(p, ..)| p == w))
            .collect();
        if !watchers.is_empty() {
            let what = format!("{who} {what}");
            notices.extend(tx.notify(&notice(kind, &what), &watchers)?);
        }
    }
    Ok(notices)
}
