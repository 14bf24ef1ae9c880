//! Reading a board: the snapshot a client starts from, the events since a
//! revision, the members, the trash. Each runs in one read transaction, so it sees one committed state.

use kanban_protocol::model::{
    Board, Comment, Member, Project, Role, Status, Task, Trash, TrashedStatus, TrashedTask, UnknownName,
};
use rusqlite::{Connection, OptionalExtension};

use super::rows::{self, comment_columns, item_columns, status_columns, task_columns};
use crate::store::sql::ReadSql;
use crate::store::{EventsAfter, Logged, Result, StoreError};

/// The project's name, revision and whether it is archived; `NotFound` when
/// there is none.
fn project(conn: &Connection, project_id: i64) -> Result<(String, i64, bool)> {
    conn.prepare_cached("SELECT name, rev, archived_at IS NOT NULL FROM projects WHERE id = ?")?
        .query_row([project_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or(StoreError::NotFound("project"))
}

/// A project's members, by name.
fn members_in(conn: &Connection, project_id: i64) -> Result<Vec<Member>> {
    conn.prepare_cached(
        "SELECT users.id, users.name, users.color, members.role FROM members \
         JOIN users ON users.id = members.user_id WHERE members.project_id = ? ORDER BY users.name",
    )?
    .query_map([project_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?)))?
    .map(|row| {
        let (id, name, color, role) = row?;
        let role = role.parse().map_err(|e: UnknownName| StoreError::Invalid(e.to_string()))?;
        Ok(Member { id, name, color, role })
    })
    .collect()
}

impl ReadSql for Connection {
    fn members(conn: &mut Connection, project_id: i64) -> Result<Vec<Member>> {
        members_in(conn, project_id)
    }

    fn board(conn: &mut Connection, project_id: i64, role: Role) -> Result<Board> {
        let tx = conn.transaction()?;
        let (name, rev, archived) = project(&tx, project_id)?;
        let statuses: Vec<Status> = tx
            .prepare_cached(concat!(
                "SELECT ",
                status_columns!(),
                " FROM statuses WHERE project_id = ? AND deleted_at IS NULL ORDER BY position, id"
            ))?
            .query_map([project_id], |r| Ok(rows::status(r)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut tasks: Vec<Task> = tx
            .prepare_cached(concat!(
                "SELECT ",
                task_columns!(),
                " FROM tasks WHERE project_id = ? AND deleted_at IS NULL ORDER BY status_id, position, id"
            ))?
            .query_map([project_id], |r| Ok(rows::task(r)))?
            .collect::<rusqlite::Result<_>>()?;
        let items = tx
            .prepare_cached(concat!(
                "SELECT ",
                item_columns!(),
                " FROM checklist_items JOIN tasks ON tasks.id = checklist_items.task_id \
                 WHERE checklist_items.project_id = ? AND tasks.deleted_at IS NULL \
                 ORDER BY checklist_items.task_id, checklist_items.position, checklist_items.id"
            ))?
            .query_map([project_id], |r| Ok(rows::item(r)))?
            .collect::<rusqlite::Result<_>>()?;
        crate::store::hand_out(&mut tasks, items);
        let members = members_in(&tx, project_id)?;
        let comments = tx
            .prepare_cached(
                "SELECT comments.task_id, count(*) FROM comments JOIN tasks ON tasks.id = comments.task_id \
                 WHERE comments.project_id = ? AND tasks.deleted_at IS NULL GROUP BY comments.task_id",
            )?
            .query_map([project_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        let project = Project { id: project_id, name, role, archived };
        Ok(Board { project, rev: rev as u64, epoch: 0, statuses, tasks, members, comments })
    }

    fn card_project(conn: &mut Connection, task_id: i64) -> Result<Option<(i64, bool)>> {
        Ok(conn
            .prepare_cached("SELECT project_id, deleted_at IS NOT NULL FROM tasks WHERE id = ?")?
            .query_row([task_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn comments(conn: &mut Connection, task_id: i64) -> Result<Vec<Comment>> {
        Ok(conn
            .prepare_cached(concat!(
                "SELECT ",
                comment_columns!(),
                " FROM comments WHERE task_id = ? ORDER BY id"
            ))?
            .query_map([task_id], |r| Ok(rows::comment(r)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn events_after(conn: &mut Connection, project_id: i64, after: u64) -> Result<EventsAfter> {
        let tx = conn.transaction()?;
        let (_, rev, _) = project(&tx, project_id)?;
        let rev = rev as u64;
        let members = members_in(&tx, project_id)?;
        if after == rev {
            return Ok(EventsAfter::Events { rev, events: Vec::new(), members });
        }
        // Past the board's revision: whoever asks holds a board that is no more.
        if after > rev {
            return Ok(EventsAfter::Gone { rev });
        }
        let oldest: Option<i64> = tx
            .prepare_cached("SELECT MIN(rev) FROM events WHERE project_id = ?")?
            .query_row([project_id], |r| r.get(0))?;
        if oldest.is_none_or(|o| o as u64 > after + 1) {
            return Ok(EventsAfter::Gone { rev });
        }
        let events = tx
            .prepare_cached("SELECT name, data FROM events WHERE project_id = ? AND rev > ? ORDER BY rev")?
            .query_map((project_id, after as i64), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        Ok(EventsAfter::Events { rev, events, members })
    }

    /// What a member may restore: cards deleted on their own, and columns (with the count
    /// of cards deleted with them), newest first: the newest 500 of each, so that a
    /// project that deletes a lot is not answered with all of it.
    fn trash(conn: &mut Connection, project_id: i64) -> Result<Trash> {
        let tx = conn.transaction()?;
        let tasks = tx
            .prepare_cached(concat!(
                "SELECT ",
                task_columns!(),
                ", deleted_at, deleted_by FROM tasks WHERE project_id = ? AND deleted_at IS NOT NULL \
                 AND trashed_with IS NULL ORDER BY deleted_at DESC, id LIMIT 500"
            ))?
            .query_map([project_id], |r| {
                Ok(TrashedTask { task: rows::task(r), deleted_at: r.get(15)?, deleted_by: r.get(16)? })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let statuses = tx
            .prepare_cached(concat!(
                "SELECT ",
                status_columns!(),
                ", deleted_at, deleted_by, (SELECT COUNT(*) FROM tasks WHERE trashed_with = statuses.id) \
                 FROM statuses WHERE project_id = ? AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, id LIMIT 500"
            ))?
            .query_map([project_id], |r| {
                Ok(TrashedStatus {
                    status: rows::status(r),
                    deleted_at: r.get(7)?,
                    deleted_by: r.get(8)?,
                    cards: r.get::<_, i64>(9)? as u64,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        Ok(Trash { tasks, statuses })
    }

    /// A project's logged events after `after`, oldest first; `None` when the oldest
    /// of them is no longer kept.
    fn log_after(
        conn: &mut Connection,
        project_id: i64,
        after: u64,
    ) -> Result<Option<Vec<(String, String)>>> {
        let tx = conn.transaction()?;
        let oldest: Option<i64> = tx
            .prepare_cached("SELECT MIN(rev) FROM events WHERE project_id = ?")?
            .query_row([project_id], |r| r.get(0))?;
        let events: Vec<(String, String)> = tx
            .prepare_cached("SELECT name, data FROM events WHERE project_id = ? AND rev > ? ORDER BY rev")?
            .query_map((project_id, after as i64), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        if !events.is_empty() && oldest.is_none_or(|o| o as u64 > after + 1) {
            return Ok(None);
        }
        Ok(Some(events))
    }

    fn activity(
        conn: &mut Connection,
        project_id: i64,
        task_id: Option<i64>,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Logged>> {
        let tx = conn.transaction()?;
        let before = before.map_or(i64::MAX, |b| b as i64);
        let row = |r: &rusqlite::Row<'_>| {
            Ok(Logged {
                rev: r.get::<_, i64>(0)? as u64,
                by: r.get(1)?,
                at: r.get(2)?,
                name: r.get(3)?,
                data: r.get(4)?,
                task_id: r.get(5)?,
            })
        };
        let rows: Vec<Logged> = match task_id {
            Some(task) => tx
                .prepare_cached(
                    "SELECT rev, by_user, at, name, data, task_id FROM activity \
                     WHERE task_id = ? AND rev < ? ORDER BY rev DESC LIMIT ?",
                )?
                .query_map((task, before, limit), row)?
                .collect::<rusqlite::Result<_>>()?,
            None => tx
                .prepare_cached(
                    "SELECT rev, by_user, at, name, data, task_id FROM activity \
                     WHERE project_id = ? AND rev < ? ORDER BY rev DESC LIMIT ?",
                )?
                .query_map((project_id, before, limit), row)?
                .collect::<rusqlite::Result<_>>()?,
        };
        tx.commit()?;
        Ok(rows)
    }
}
