//! What reaches a person, on SQLite: notifications, watchers, their work across
//! boards, what they last saw. Every read joins the members as they are now.

use kanban_protocol::inbox::{MyTask, Notification, Since, kinds};
use kanban_protocol::model::User;
use rusqlite::{Connection, OptionalExtension};

use super::rows::{self, task_columns};
use crate::store::Result;
use crate::store::sql::InboxSql;

/// A notification's columns, in the order [`notification`] reads them.
const NOTIFICATION: &str = "n.id, n.kind, n.project_id, p.name, n.task_id, n.by_user, n.at, n.what, n.read";

fn notification(r: &rusqlite::Row<'_>) -> rusqlite::Result<Notification> {
    notification_at(r, 0)
}

/// Whether a card is in its board's last column (done, as the board is laid out).
const DONE: &str = "(s.position = (SELECT MAX(position) FROM statuses l \
                    WHERE l.project_id = t.project_id AND l.deleted_at IS NULL))";

/// The events that mark a card changed since someone looked.
const CHANGES: &str = "('task-created', 'task-updated', 'task-moved', 'task-restored', 'comment-created', \
                       'comment-updated', 'checklist-item-created', 'checklist-item-updated', \
                       'checklist-item-moved', 'checklist-item-deleted')";

impl InboxSql for Connection {
    fn notifications(
        c: &mut Connection,
        user_id: i64,
        unread_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        let sql = format!(
            "SELECT {NOTIFICATION} FROM notifications n \
             JOIN members m ON m.project_id = n.project_id AND m.user_id = n.user_id \
             JOIN projects p ON p.id = n.project_id \
             WHERE n.user_id = ?1 AND (?2 = 0 OR n.read = 0) AND (?3 IS NULL OR n.id < ?3) \
             ORDER BY n.id DESC LIMIT ?4"
        );
        let mut stmt = c.prepare_cached(&sql)?;
        let rows = stmt.query_map((user_id, unread_only, before, limit), notification)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn unread(c: &mut Connection, user_id: i64) -> Result<u64> {
        let sql = "SELECT count(*) FROM notifications n \
                   JOIN members m ON m.project_id = n.project_id AND m.user_id = n.user_id \
                   WHERE n.user_id = ? AND n.read = 0";
        Ok(c.prepare_cached(sql)?.query_row([user_id], |r| r.get(0))?)
    }

    fn mark_read(c: &mut Connection, user_id: i64, ids: &[i64], all: bool) -> Result<u64> {
        let tx = c.transaction()?;
        if all {
            tx.prepare_cached("UPDATE notifications SET read = 1 WHERE user_id = ? AND read = 0")?
                .execute([user_id])?;
        } else {
            let mut stmt =
                tx.prepare_cached("UPDATE notifications SET read = 1 WHERE id = ? AND user_id = ?")?;
            for id in ids {
                stmt.execute((id, user_id))?;
            }
        }
        tx.commit()?;
        InboxSql::unread(c, user_id)
    }

    fn set_watch(c: &mut Connection, task_id: i64, user_id: i64, watch: bool) -> Result<()> {
        let sql = if watch {
            "INSERT OR IGNORE INTO watchers (task_id, user_id) VALUES (?, ?)"
        } else {
            "DELETE FROM watchers WHERE task_id = ? AND user_id = ?"
        };
        c.prepare_cached(sql)?.execute((task_id, user_id))?;
        Ok(())
    }

    fn watchers(c: &mut Connection, task_id: i64, project_id: i64) -> Result<Vec<User>> {
        let sql = "SELECT u.id, u.name, u.color FROM watchers w \
                   JOIN members m ON m.project_id = ?2 AND m.user_id = w.user_id \
                   JOIN users u ON u.id = w.user_id WHERE w.task_id = ?1 ORDER BY u.name";
        let mut stmt = c.prepare_cached(sql)?;
        let rows = stmt.query_map((task_id, project_id), |r| {
            Ok(User { id: r.get(0)?, name: r.get(1)?, color: r.get(2)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn my_tasks(
        c: &mut Connection,
        user_id: i64,
        due_before: Option<&str>,
        state: Option<bool>,
    ) -> Result<Vec<MyTask>> {
        let sql = format!(
            "SELECT {}, project, column_name, done FROM (\
               SELECT t.*, p.name AS project, s.name AS column_name, {DONE} AS done, s.position AS column_at \
               FROM tasks t \
               JOIN members m ON m.project_id = t.project_id AND m.user_id = ?1 \
               JOIN projects p ON p.id = t.project_id AND p.archived_at IS NULL \
               JOIN statuses s ON s.id = t.status_id AND s.deleted_at IS NULL \
               WHERE t.assignee_id = ?1 AND t.deleted_at IS NULL AND (?2 IS NULL OR t.due_date < ?2)) \
             WHERE ?3 IS NULL OR done = ?3 \
             ORDER BY due_date IS NULL, due_date, project, column_at, position",
            task_columns!()
        );
        let mut stmt = c.prepare_cached(&sql)?;
        let rows = stmt.query_map((user_id, due_before, state), |r| {
            Ok(MyTask { task: rows::task(r), project: r.get(15)?, column: r.get(16)?, done: r.get(17)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn since(c: &mut Connection, user_id: i64, project_id: i64) -> Result<Since> {
        let tx = c.transaction()?;
        let now: u64 = tx
            .prepare_cached("SELECT rev FROM projects WHERE id = ?")?
            .query_row([project_id], |r| r.get(0))?;
        let seen: Option<(u64, String)> = tx
            .prepare_cached("SELECT rev, at FROM seen WHERE user_id = ? AND project_id = ?")?
            .query_row((user_id, project_id), |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        // A board never looked at marks nothing: all of it would be new.
        let Some((rev, at)) = seen else { return Ok(Since { now, ..Since::default() }) };
        let others = "project_id = ?1 AND rev > ?2 AND by_user IS NOT ?3";
        let changes: u64 = tx
            .prepare_cached(&format!("SELECT count(*) FROM activity WHERE {others}"))?
            .query_row((project_id, rev, user_id), |r| r.get(0))?;
        let sql = format!(
            "SELECT DISTINCT a.task_id FROM activity a JOIN tasks t ON t.id = a.task_id AND t.deleted_at IS NULL \
             WHERE a.{} AND a.name IN {CHANGES} ORDER BY a.task_id",
            others.replace(" AND ", " AND a.")
        );
        let tasks = tx
            .prepare_cached(&sql)?
            .query_map((project_id, rev, user_id), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Since { rev, at: Some(at), now, changes, tasks })
    }

    fn set_seen(c: &mut Connection, user_id: i64, project_id: i64, rev: u64) -> Result<()> {
        // Never back (a client behind another), never past the board.
        let sql = "INSERT INTO seen (user_id, project_id, rev, at) \
                   SELECT ?1, ?2, min(?3, rev), strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM projects WHERE id = ?2 \
                   ON CONFLICT (user_id, project_id) DO UPDATE SET rev = max(rev, excluded.rev), at = excluded.at";
        c.prepare_cached(sql)?.execute((user_id, project_id, rev))?;
        Ok(())
    }

    fn remind(c: &mut Connection, today: &str, tomorrow: &str) -> Result<Vec<(i64, Notification)>> {
        let sql = format!(
            "INSERT INTO notifications (user_id, project_id, task_id, kind, by_user, at, what, day) \
             SELECT t.assignee_id, t.project_id, t.id, \
                    CASE WHEN t.due_date < ?1 THEN '{overdue}' ELSE '{due}' END, NULL, \
                    strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), \
                    CASE WHEN t.due_date < ?1 THEN '“' || t.title || '” is overdue (due ' || t.due_date || ')' \
                         ELSE '“' || t.title || '” is due tomorrow' END, ?1 \
             FROM tasks t \
             JOIN members m ON m.project_id = t.project_id AND m.user_id = t.assignee_id \
             JOIN projects p ON p.id = t.project_id AND p.archived_at IS NULL \
             JOIN statuses s ON s.id = t.status_id AND s.deleted_at IS NULL \
             WHERE t.deleted_at IS NULL AND (t.due_date = ?2 OR t.due_date < ?1) AND NOT {DONE} \
             ON CONFLICT DO NOTHING \
             RETURNING id",
            overdue = kinds::OVERDUE,
            due = kinds::DUE,
        );
        let tx = c.transaction()?;
        let ids: Vec<i64> = tx
            .prepare_cached(&sql)?
            .query_map((today, tomorrow), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let read = format!(
            "SELECT n.user_id, {NOTIFICATION} FROM notifications n JOIN projects p ON p.id = n.project_id \
             WHERE n.id = ?"
        );
        let mut made = Vec::with_capacity(ids.len());
        {
            let mut stmt = tx.prepare_cached(&read)?;
            for id in ids {
                made.push(stmt.query_row([id], |r| {
                    let user: i64 = r.get(0)?;
                    // The row's own columns follow the person's.
                    Ok((user, notification_at(r, 1)?))
                })?);
            }
        }
        tx.commit()?;
        Ok(made)
    }
}

/// [`notification`] from column `from` on.
fn notification_at(r: &rusqlite::Row<'_>, from: usize) -> rusqlite::Result<Notification> {
    Ok(Notification {
        id: r.get(from)?,
        kind: r.get(from + 1)?,
        project_id: r.get(from + 2)?,
        project: r.get(from + 3)?,
        task_id: r.get(from + 4)?,
        by: r.get(from + 5)?,
        at: r.get(from + 6)?,
        what: r.get(from + 7)?,
        read: r.get(from + 8)?,
    })
}
