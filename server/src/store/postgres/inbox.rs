//! What reaches a person, on PostgreSQL: notifications, watchers, their work
//! across boards, what they last saw. Every read joins the members as they are
//! now.

use kanban_protocol::inbox::{MyTask, Notification, Since, kinds};
use kanban_protocol::model::User;
use postgres::Row;

use super::pool::Conn;
use super::rows::{self, task_columns};
use crate::store::Result;
use crate::store::sql::InboxSql;

/// A notification's columns, in the order [`notification`] reads them.
const NOTIFICATION: &str =
    "n.id, n.kind, n.project_id, p.name, n.task_id, n.by_user, kanban_ts(n.at), n.what, n.read";

/// A notification from [`NOTIFICATION`], from column `from` on.
fn notification(r: &Row, from: usize) -> Notification {
    Notification {
        id: r.get(from),
        kind: r.get(from + 1),
        project_id: r.get(from + 2),
        project: r.get(from + 3),
        task_id: r.get(from + 4),
        by: r.get(from + 5),
        at: r.get(from + 6),
        what: r.get(from + 7),
        read: r.get(from + 8),
    }
}

/// Whether a card is in its board's last column (done, as the board is laid out).
const DONE: &str = "(s.position = (SELECT MAX(position) FROM statuses l \
                    WHERE l.project_id = t.project_id AND l.deleted_at IS NULL))";

/// The events that mark a card changed since someone looked.
const CHANGES: &str = "('task-created', 'task-updated', 'task-moved', 'task-restored', 'comment-created', \
                       'comment-updated', 'checklist-item-created', 'checklist-item-updated', \
                       'checklist-item-moved', 'checklist-item-deleted')";

fn query(c: &mut Conn, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<Vec<Row>> {
    let statement = c.statements.get(&mut c.client, sql)?;
    Ok(c.client.query(&statement, params)?)
}

impl InboxSql for Conn {
    fn notifications(
        c: &mut Conn,
        user_id: i64,
        unread_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        let sql = format!(
            "SELECT {NOTIFICATION} FROM notifications n \
             JOIN members m ON m.project_id = n.project_id AND m.user_id = n.user_id \
             JOIN projects p ON p.id = n.project_id \
             WHERE n.user_id = $1 AND (NOT $2 OR NOT n.read) AND ($3::bigint IS NULL OR n.id < $3) \
             ORDER BY n.id DESC LIMIT $4"
        );
        let rows = query(c, &sql, &[&user_id, &unread_only, &before, &i64::from(limit)])?;
        Ok(rows.iter().map(|r| notification(r, 0)).collect())
    }

    fn unread(c: &mut Conn, user_id: i64) -> Result<u64> {
        let sql = "SELECT count(*) FROM notifications n \
                   JOIN members m ON m.project_id = n.project_id AND m.user_id = n.user_id \
                   WHERE n.user_id = $1 AND NOT n.read";
        Ok(query(c, sql, &[&user_id])?[0].get::<_, i64>(0) as u64)
    }

    fn mark_read(c: &mut Conn, user_id: i64, ids: &[i64], all: bool) -> Result<u64> {
        let sql = "UPDATE notifications SET read = true \
                   WHERE user_id = $1 AND NOT read AND ($2 OR id = ANY($3))";
        query(c, sql, &[&user_id, &all, &ids])?;
        InboxSql::unread(c, user_id)
    }

    fn set_watch(c: &mut Conn, task_id: i64, user_id: i64, watch: bool) -> Result<()> {
        let sql = if watch {
            "INSERT INTO watchers (task_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM watchers WHERE task_id = $1 AND user_id = $2"
        };
        query(c, sql, &[&task_id, &user_id])?;
        Ok(())
    }

    fn watchers(c: &mut Conn, task_id: i64, project_id: i64) -> Result<Vec<User>> {
        let sql = "SELECT u.id, u.name, u.color FROM watchers w \
                   JOIN members m ON m.project_id = $2 AND m.user_id = w.user_id \
                   JOIN users u ON u.id = w.user_id WHERE w.task_id = $1 ORDER BY u.name";
        let rows = query(c, sql, &[&task_id, &project_id])?;
        Ok(rows.iter().map(|r| User { id: r.get(0), name: r.get(1), color: r.get(2) }).collect())
    }

    fn my_tasks(
        c: &mut Conn,
        user_id: i64,
        due_before: Option<&str>,
        state: Option<bool>,
    ) -> Result<Vec<MyTask>> {
        let sql = format!(
            "SELECT {}, project, column_name, done FROM (\
               SELECT t.*, p.name AS project, s.name AS column_name, {DONE} AS done, s.position AS column_at \
               FROM tasks t \
               JOIN members m ON m.project_id = t.project_id AND m.user_id = $1 \
               JOIN projects p ON p.id = t.project_id AND p.archived_at IS NULL \
               JOIN statuses s ON s.id = t.status_id AND s.deleted_at IS NULL \
               WHERE t.assignee_id = $1 AND t.deleted_at IS NULL \
                 AND ($2::text IS NULL OR t.due_date < $2)) AS mine \
             WHERE $3::boolean IS NULL OR done = $3 \
             ORDER BY due_date IS NULL, due_date, project, column_at, position",
            task_columns!()
        );
        let rows = query(c, &sql, &[&user_id, &due_before, &state])?;
        Ok(rows
            .iter()
            .map(|r| MyTask { task: rows::task(r), project: r.get(15), column: r.get(16), done: r.get(17) })
            .collect())
    }

    fn since(c: &mut Conn, user_id: i64, project_id: i64) -> Result<Since> {
        let mut tx = c.client.build_transaction().read_only(true).start()?;
        let row = tx.query_opt("SELECT rev FROM projects WHERE id = $1", &[&project_id])?;
        let now = row.ok_or(crate::store::StoreError::NotFound("project"))?.get::<_, i64>(0) as u64;
        let seen = tx.query_opt(
            "SELECT rev, kanban_ts(at) FROM seen WHERE user_id = $1 AND project_id = $2",
            &[&user_id, &project_id],
        )?;
        // A board never looked at marks nothing: all of it would be new.
        let Some(seen) = seen else { return Ok(Since { now, ..Since::default() }) };
        let (rev, at): (i64, String) = (seen.get(0), seen.get(1));
        let changes: i64 = tx
            .query_one(
                "SELECT count(*) FROM activity WHERE project_id = $1 AND rev > $2 AND by_user IS DISTINCT FROM $3",
                &[&project_id, &rev, &user_id],
            )?
            .get(0);
        let sql = format!(
            "SELECT DISTINCT a.task_id FROM activity a JOIN tasks t ON t.id = a.task_id AND t.deleted_at IS NULL \
             WHERE a.project_id = $1 AND a.rev > $2 AND a.by_user IS DISTINCT FROM $3 AND a.name IN {CHANGES} \
             ORDER BY a.task_id"
        );
        let tasks = tx.query(&sql, &[&project_id, &rev, &user_id])?.iter().map(|r| r.get(0)).collect();
        tx.commit()?;
        Ok(Since { rev: rev as u64, at: Some(at), now, changes: changes as u64, tasks })
    }

    fn set_seen(c: &mut Conn, user_id: i64, project_id: i64, rev: u64) -> Result<()> {
        // Never back (a client behind another), never past the board.
        let sql = "INSERT INTO seen (user_id, project_id, rev, at) \
                   SELECT $1, $2, LEAST($3, rev), now() FROM projects WHERE id = $2 \
                   ON CONFLICT (user_id, project_id) \
                   DO UPDATE SET rev = GREATEST(seen.rev, excluded.rev), at = excluded.at";
        query(c, sql, &[&user_id, &project_id, &(rev as i64)])?;
        Ok(())
    }

    fn remind(c: &mut Conn, today: &str, tomorrow: &str) -> Result<Vec<(i64, Notification)>> {
        let sql = format!(
            "WITH made AS (\
               INSERT INTO notifications (user_id, project_id, task_id, kind, by_user, at, what, day) \
               SELECT t.assignee_id, t.project_id, t.id, \
                      CASE WHEN t.due_date < $1 THEN '{overdue}' ELSE '{due}' END, NULL, now(), \
                      CASE WHEN t.due_date < $1 THEN '“' || t.title || '” is overdue (due ' || t.due_date || ')' \
                           ELSE '“' || t.title || '” is due tomorrow' END, $1 \
               FROM tasks t \
               JOIN members m ON m.project_id = t.project_id AND m.user_id = t.assignee_id \
               JOIN projects p ON p.id = t.project_id AND p.archived_at IS NULL \
               JOIN statuses s ON s.id = t.status_id AND s.deleted_at IS NULL \
               WHERE t.deleted_at IS NULL AND (t.due_date = $2 OR t.due_date < $1) AND NOT {DONE} \
               ON CONFLICT DO NOTHING RETURNING *) \
             SELECT n.user_id, {NOTIFICATION} FROM made n JOIN projects p ON p.id = n.project_id ORDER BY n.id",
            overdue = kinds::OVERDUE,
            due = kinds::DUE,
        );
        let rows = query(c, &sql, &[&today, &tomorrow])?;
        Ok(rows.iter().map(|r| (r.get(0), notification(r, 1))).collect())
    }
}
