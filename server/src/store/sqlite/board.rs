//! The board's writes on SQLite: the batch's transaction, with a savepoint per
//! change, lent to the batch policy ([`crate::store::batch`]) and to the board
//! core's rules ([`crate::board`]) as a [`BatchTx`]; and the trash's purge.

use kanban_protocol::inbox::Notification;
use kanban_protocol::model::{ChecklistItem, Comment, Role, Status, Task};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::rows::{self, comment_columns, item_columns, status_columns, task_columns};
use crate::board::{BoardTx, Committed, List, NewNotice, NewStatusRow, NewTaskRow, OpError, TxResult, Write};
use crate::store::batch::{BatchTx, Batches, Commit, KEYS_KEPT_DAYS};
use crate::store::sql::ChangeSql;
use crate::store::{Result, StoreError};

impl From<rusqlite::Error> for OpError {
    fn from(e: rusqlite::Error) -> Self {
        OpError::Failed(e.to_string())
    }
}

impl Batches for Connection {
    type Tx<'c> = Tx<'c>;

    fn begin<'c>(c: &'c mut Connection, _batch: &[Write]) -> Result<Tx<'c>> {
        // IMMEDIATE takes the write lock up front: a deferred transaction that read
        // first could fail to upgrade while an admin command writes.
        Ok(Tx(c.transaction_with_behavior(TransactionBehavior::Immediate)?))
    }
}

impl BatchTx for Tx<'_> {
    /// A savepoint: SQLite confines a failed statement to it, so one change's
    /// failure is that change's answer, and the batch goes on.
    type Mark = ();

    fn mark(&mut self) -> Result<()> {
        Ok(self.0.execute_batch("SAVEPOINT change")?)
    }

    fn keep(&mut self, (): ()) -> Result<()> {
        Ok(self.0.execute_batch("RELEASE change")?)
    }

    fn undo(&mut self, (): ()) -> Result<()> {
        Ok(self.0.execute_batch("ROLLBACK TO change; RELEASE change")?)
    }

    fn broken(&mut self) -> Option<StoreError> {
        None
    }

    fn trim(&mut self, project_id: i64, upto: u64) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM events WHERE project_id = ? AND rev <= ?")?
            .execute((project_id, upto as i64))?;
        let cutoff = format!("-{KEYS_KEPT_DAYS} days");
        self.0
            .prepare_cached(
                "DELETE FROM applied_requests WHERE at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)",
            )?
            .execute([cutoff])?;
        Ok(())
    }

    fn commit(self) -> std::result::Result<(), Commit> {
        self.0.commit().map_err(|e| Commit::NotMade(e.into()))
    }
}

impl ChangeSql for Connection {
    fn purge_trash(c: &mut Connection, days: u32) -> Result<u64> {
        let cutoff = format!("-{days} days");
        let tx = c.transaction()?;
        // Cards first: a column goes once no card refers to it.
        let cards = tx.execute(
            "DELETE FROM tasks WHERE deleted_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)",
            [&cutoff],
        )?;
        let columns = tx.execute(
            "DELETE FROM statuses WHERE deleted_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) \
             AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.status_id = statuses.id)",
            [&cutoff],
        )?;
        tx.commit()?;
        Ok((cards + columns) as u64)
    }
}

/// The batch's transaction on the writing connection, as the board core's.
pub struct Tx<'c>(Transaction<'c>);

impl List {
    /// The list's table, the column that scopes it, its value, and the condition
    /// that leaves out what is in the trash.
    fn table_and_scope(self) -> (&'static str, &'static str, i64, &'static str) {
        const LIVE: &str = "AND deleted_at IS NULL";
        match self {
            List::Column(id) => ("tasks", "status_id", id, LIVE),
            List::Columns(id) => ("statuses", "project_id", id, LIVE),
            // An item is in the trash with its card, whose list is not asked for.
            List::Checklist(id) => ("checklist_items", "task_id", id, ""),
        }
    }
}

impl Tx<'_> {
    /// A one-key query on a list's table, its SQL built once per statement shape
    /// and cached by the connection.
    fn list_key(&self, sql: String, params: impl rusqlite::Params) -> TxResult<Option<String>> {
        Ok(self.0.prepare_cached(&sql)?.query_row(params, |r| r.get(0)).optional()?.flatten())
    }

    fn task_row(&self, sql: &str, params: impl rusqlite::Params) -> TxResult<Task> {
        Ok(self.0.prepare_cached(sql)?.query_row(params, |r| Ok(rows::task(r)))?)
    }

    fn status_row(&self, sql: &str, params: impl rusqlite::Params) -> TxResult<Status> {
        Ok(self.0.prepare_cached(sql)?.query_row(params, |r| Ok(rows::status(r)))?)
    }
}

impl BoardTx for Tx<'_> {
    fn role(&mut self, project_id: i64, user_id: i64) -> TxResult<Option<Role>> {
        // A project being imported is its members-to-be's to change, and nobody's else.
        let sql = "SELECT role FROM members WHERE project_id = ?1 AND user_id = ?2 \
                   UNION ALL SELECT role FROM import_members WHERE project_id = ?1 AND user_id = ?2 LIMIT 1";
        let role: Option<String> =
            self.0.prepare_cached(sql)?.query_row((project_id, user_id), |r| r.get(0)).optional()?;
        Ok(role.and_then(|r| r.parse().ok()))
    }

    fn archived(&mut self, project_id: i64) -> TxResult<bool> {
        let sql = "SELECT archived_at IS NOT NULL FROM projects WHERE id = ?";
        Ok(self.0.prepare_cached(sql)?.query_row([project_id], |r| r.get(0)).optional()?.unwrap_or(false))
    }

    fn task(&mut self, task_id: i64) -> TxResult<Option<Task>> {
        let sql = concat!("SELECT ", task_columns!(), " FROM tasks WHERE id = ? AND deleted_at IS NULL");
        Ok(self.0.prepare_cached(sql)?.query_row([task_id], |r| Ok(rows::task(r))).optional()?)
    }

    fn status(&mut self, status_id: i64) -> TxResult<Option<Status>> {
        let sql = concat!("SELECT ", status_columns!(), " FROM statuses WHERE id = ? AND deleted_at IS NULL");
        Ok(self.0.prepare_cached(sql)?.query_row([status_id], |r| Ok(rows::status(r))).optional()?)
    }

    fn first_status(&mut self, project_id: i64) -> TxResult<Option<i64>> {
        let sql = "SELECT id FROM statuses WHERE project_id = ? AND deleted_at IS NULL ORDER BY position, id LIMIT 1";
        Ok(self.0.prepare_cached(sql)?.query_row([project_id], |r| r.get(0)).optional()?)
    }

    fn cards(&mut self, status_id: i64) -> TxResult<Vec<Task>> {
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE status_id = ? AND deleted_at IS NULL ORDER BY position, id"
        );
        Ok(self
            .0
            .prepare_cached(sql)?
            .query_map([status_id], |r| Ok(rows::task(r)))?
            .collect::<Result<_, _>>()?)
    }

    fn key_of(&mut self, list: List, id: i64) -> TxResult<Option<String>> {
        let (table, scope, scope_id, live) = list.table_and_scope();
        let sql = format!("SELECT position FROM {table} WHERE id = ? AND {scope} = ? {live}");
        self.list_key(sql, (id, scope_id))
    }

    fn key_above(&mut self, list: List, key: &str, except: i64) -> TxResult<Option<String>> {
        let (table, scope, scope_id, live) = list.table_and_scope();
        let sql = format!(
            "SELECT MIN(position) FROM {table} WHERE {scope} = ? AND position > ? AND id != ? {live}"
        );
        self.list_key(sql, (scope_id, key, except))
    }

    fn key_below(&mut self, list: List, key: &str, except: i64) -> TxResult<Option<String>> {
        let (table, scope, scope_id, live) = list.table_and_scope();
        let sql = format!(
            "SELECT MAX(position) FROM {table} WHERE {scope} = ? AND position < ? AND id != ? {live}"
        );
        self.list_key(sql, (scope_id, key, except))
    }

    fn last_key(&mut self, list: List, except: i64) -> TxResult<Option<String>> {
        let (table, scope, scope_id, live) = list.table_and_scope();
        self.list_key(
            format!("SELECT MAX(position) FROM {table} WHERE {scope} = ? AND id != ? {live}"),
            (scope_id, except),
        )
    }

    fn keys(&mut self, list: List, except: i64) -> TxResult<Vec<(i64, String)>> {
        let (table, scope, scope_id, live) = list.table_and_scope();
        let sql = format!(
            "SELECT id, position FROM {table} WHERE {scope} = ? AND id != ? {live} ORDER BY position, id"
        );
        let mut statement = self.0.prepare_cached(&sql)?;
        let keys = statement.query_map((scope_id, except), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(keys.collect::<Result<_, _>>()?)
    }

    fn set_key(&mut self, list: List, id: i64, key: &str) -> TxResult<()> {
        let (table, _, _, _) = list.table_and_scope();
        self.0
            .prepare_cached(&format!("UPDATE {table} SET position = ? WHERE id = ?"))?
            .execute((key, id))?;
        Ok(())
    }

    fn insert_task(&mut self, row: &NewTaskRow) -> TxResult<Task> {
        let sql = concat!(
            "INSERT INTO tasks (project_id, status_id, title, description, assignee_id, priority, labels, \
             due_date, position, created_by, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
            task_columns!()
        );
        let values = rusqlite::params![
            row.project_id,
            row.status_id,
            row.title,
            row.description,
            row.assignee_id,
            row.priority.as_str(),
            serde_json::to_string(&row.labels).expect("strings serialize"),
            row.due_date,
            row.position,
            row.by,
            row.by
        ];
        self.task_row(sql, values)
    }

    fn update_task(&mut self, task: &Task, by: i64) -> TxResult<Task> {
        let sql = concat!(
            "UPDATE tasks SET title = ?, description = ?, assignee_id = ?, priority = ?, labels = ?, \
             due_date = ?, version = version + 1, updated_by = ?, \
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? RETURNING ",
            task_columns!()
        );
        let values = rusqlite::params![
            task.title,
            task.description,
            task.assignee_id,
            task.priority.as_str(),
            serde_json::to_string(&task.labels).expect("strings serialize"),
            task.due_date,
            by,
            task.id
        ];
        self.task_row(sql, values)
    }

    fn place_task(&mut self, task_id: i64, status_id: i64, key: &str, by: i64) -> TxResult<Task> {
        let sql = concat!(
            "UPDATE tasks SET status_id = ?, position = ?, version = version + 1, updated_by = ?, \
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? RETURNING ",
            task_columns!()
        );
        self.task_row(sql, (status_id, key, by, task_id))
    }

    fn trash_task(&mut self, task_id: i64, by: i64, with: Option<i64>) -> TxResult<()> {
        let sql = "UPDATE tasks SET deleted_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), deleted_by = ?, \
                   trashed_with = ? WHERE id = ?";
        self.0.prepare_cached(sql)?.execute((by, with, task_id))?;
        Ok(())
    }

    fn trashed_task(&mut self, task_id: i64) -> TxResult<Option<(Task, Option<i64>)>> {
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            ", trashed_with FROM tasks WHERE id = ? AND deleted_at IS NOT NULL"
        );
        let found = self.0.prepare_cached(sql)?.query_row([task_id], |r| Ok((rows::task(r), r.get(15)?)));
        Ok(found.optional()?)
    }

    fn restore_task(&mut self, task_id: i64, status_id: i64, key: &str, by: i64) -> TxResult<Task> {
        let sql = concat!(
            "UPDATE tasks SET deleted_at = NULL, deleted_by = NULL, trashed_with = NULL, status_id = ?, \
             position = ?, version = version + 1, updated_by = ?, \
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? RETURNING ",
            task_columns!()
        );
        self.task_row(sql, (status_id, key, by, task_id))
    }

    fn insert_status(&mut self, row: &NewStatusRow) -> TxResult<Status> {
        let sql = concat!(
            "INSERT INTO statuses (project_id, name, color, position, wip_limit) VALUES (?, ?, ?, ?, ?) \
             RETURNING ",
            status_columns!()
        );
        let values = (row.project_id, &row.name, &row.color, &row.position, row.wip_limit.map(i64::from));
        self.status_row(sql, values)
    }

    fn update_status(&mut self, status: &Status) -> TxResult<Status> {
        let sql = concat!(
            "UPDATE statuses SET name = ?, color = ?, wip_limit = ?, version = version + 1, \
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? RETURNING ",
            status_columns!()
        );
        self.status_row(sql, (&status.name, &status.color, status.wip_limit.map(i64::from), status.id))
    }

    fn place_status(&mut self, status_id: i64, key: &str) -> TxResult<Status> {
        let sql = concat!(
            "UPDATE statuses SET position = ?, version = version + 1, \
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? RETURNING ",
            status_columns!()
        );
        self.status_row(sql, (key, status_id))
    }

    fn trash_status(&mut self, status_id: i64, by: i64) -> TxResult<()> {
        let sql = "UPDATE statuses SET deleted_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), deleted_by = ? \
                   WHERE id = ?";
        self.0.prepare_cached(sql)?.execute((by, status_id))?;
        Ok(())
    }

    fn trashed_status(&mut self, status_id: i64) -> TxResult<Option<Status>> {
        let sql =
            concat!("SELECT ", status_columns!(), " FROM statuses WHERE id = ? AND deleted_at IS NOT NULL");
        Ok(self.0.prepare_cached(sql)?.query_row([status_id], |r| Ok(rows::status(r))).optional()?)
    }

    fn restore_status(&mut self, status_id: i64, key: &str) -> TxResult<(Status, Vec<Task>)> {
        let sql = concat!(
            "UPDATE statuses SET deleted_at = NULL, deleted_by = NULL, position = ?, version = version + 1, \
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? RETURNING ",
            status_columns!()
        );
        let status = self.status_row(sql, (key, status_id))?;
        let sql = concat!(
            "UPDATE tasks SET deleted_at = NULL, deleted_by = NULL, trashed_with = NULL \
             WHERE trashed_with = ? RETURNING ",
            task_columns!()
        );
        let mut cards: Vec<Task> = self
            .0
            .prepare_cached(sql)?
            .query_map([status_id], |r| Ok(rows::task(r)))?
            .collect::<Result<_, _>>()?;
        cards.sort_by(|a, b| (&a.position, a.id).cmp(&(&b.position, b.id)));
        Ok((status, cards))
    }

    fn comment(&mut self, comment_id: i64) -> TxResult<Option<Comment>> {
        let sql = concat!(
            "SELECT ",
            comment_columns!(),
            " FROM comments JOIN tasks ON tasks.id = comments.task_id \
             WHERE comments.id = ? AND tasks.deleted_at IS NULL"
        );
        Ok(self.0.prepare_cached(sql)?.query_row([comment_id], |r| Ok(rows::comment(r))).optional()?)
    }

    fn insert_comment(&mut self, task: &Task, by: i64, body: &str) -> TxResult<Comment> {
        let sql = concat!(
            "INSERT INTO comments (task_id, project_id, author_id, body) VALUES (?, ?, ?, ?) RETURNING ",
            comment_columns!()
        );
        Ok(self
            .0
            .prepare_cached(sql)?
            .query_row((task.id, task.project_id, by, body), |r| Ok(rows::comment(r)))?)
    }

    fn update_comment(&mut self, comment_id: i64, body: &str, by: i64) -> TxResult<Comment> {
        // Its author's own edit says nothing more; anyone else's is named.
        let sql = concat!(
            "UPDATE comments SET body = ?1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), \
             edited_by = CASE WHEN author_id IS ?2 THEN edited_by ELSE ?2 END WHERE id = ?3 RETURNING ",
            comment_columns!()
        );
        Ok(self.0.prepare_cached(sql)?.query_row((body, by, comment_id), |r| Ok(rows::comment(r)))?)
    }

    fn delete_comment(&mut self, comment_id: i64) -> TxResult<()> {
        self.0.prepare_cached("DELETE FROM comments WHERE id = ?")?.execute([comment_id])?;
        Ok(())
    }

    fn comment_count(&mut self, task_id: i64) -> TxResult<u32> {
        let sql = "SELECT count(*) FROM comments WHERE task_id = ?";
        Ok(self.0.prepare_cached(sql)?.query_row([task_id], |r| r.get(0))?)
    }

    fn checklist(&mut self, task_id: i64) -> TxResult<Vec<ChecklistItem>> {
        let sql = concat!(
            "SELECT ",
            item_columns!(),
            " FROM checklist_items WHERE task_id = ? ORDER BY position, id"
        );
        let mut statement = self.0.prepare_cached(sql)?;
        let items = statement.query_map([task_id], |r| Ok(rows::item(r)))?;
        Ok(items.collect::<Result<_, _>>()?)
    }

    fn item(&mut self, item_id: i64) -> TxResult<Option<ChecklistItem>> {
        let sql = concat!(
            "SELECT ",
            item_columns!(),
            " FROM checklist_items JOIN tasks ON tasks.id = checklist_items.task_id \
             WHERE checklist_items.id = ? AND tasks.deleted_at IS NULL"
        );
        Ok(self.0.prepare_cached(sql)?.query_row([item_id], |r| Ok(rows::item(r))).optional()?)
    }

    fn insert_item(&mut self, task_id: i64, text: &str, done: bool, key: &str) -> TxResult<ChecklistItem> {
        let sql = concat!(
            "INSERT INTO checklist_items (task_id, project_id, text, done, position) \
             SELECT id, project_id, ?2, ?3, ?4 FROM tasks WHERE id = ?1 RETURNING ",
            item_columns!()
        );
        Ok(self.0.prepare_cached(sql)?.query_row((task_id, text, done, key), |r| Ok(rows::item(r)))?)
    }

    fn update_item(&mut self, item_id: i64, text: &str, done: bool) -> TxResult<ChecklistItem> {
        let sql = concat!(
            "UPDATE checklist_items SET text = ?, done = ?, version = version + 1 WHERE id = ? RETURNING ",
            item_columns!()
        );
        Ok(self.0.prepare_cached(sql)?.query_row((text, done, item_id), |r| Ok(rows::item(r)))?)
    }

    fn place_item(&mut self, item_id: i64, key: &str) -> TxResult<ChecklistItem> {
        let sql = concat!(
            "UPDATE checklist_items SET position = ?, version = version + 1 WHERE id = ? RETURNING ",
            item_columns!()
        );
        Ok(self.0.prepare_cached(sql)?.query_row((key, item_id), |r| Ok(rows::item(r)))?)
    }

    fn delete_item(&mut self, item_id: i64) -> TxResult<()> {
        self.0.prepare_cached("DELETE FROM checklist_items WHERE id = ?")?.execute([item_id])?;
        Ok(())
    }

    fn project_name(&mut self, project_id: i64) -> TxResult<String> {
        let sql = "SELECT name FROM projects WHERE id = ?";
        Ok(self.0.prepare_cached(sql)?.query_row([project_id], |r| r.get(0))?)
    }

    fn member_names(&mut self, project_id: i64) -> TxResult<Vec<(i64, String)>> {
        let sql =
            "SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id WHERE m.project_id = ?";
        let mut stmt = self.0.prepare_cached(sql)?;
        let rows = stmt.query_map([project_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn watch(&mut self, task_id: i64, user_id: i64) -> TxResult<()> {
        let sql = "INSERT OR IGNORE INTO watchers (task_id, user_id) VALUES (?, ?)";
        self.0.prepare_cached(sql)?.execute((task_id, user_id))?;
        Ok(())
    }

    fn watchers(&mut self, task_id: i64, project_id: i64) -> TxResult<Vec<i64>> {
        let sql = "SELECT w.user_id FROM watchers w \
                   JOIN members m ON m.project_id = ?2 AND m.user_id = w.user_id WHERE w.task_id = ?1";
        let mut stmt = self.0.prepare_cached(sql)?;
        let rows = stmt.query_map((task_id, project_id), |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn notify(&mut self, notice: &NewNotice<'_>, users: &[i64]) -> TxResult<Vec<(i64, Notification)>> {
        let sql = "INSERT INTO notifications (user_id, project_id, task_id, kind, by_user, at, what) \
                   VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?) RETURNING id, at";
        let mut stmt = self.0.prepare_cached(sql)?;
        let mut kept = Vec::with_capacity(users.len());
        for &user in users {
            let params = (user, notice.project_id, notice.task_id, notice.kind, notice.by, notice.what);
            let (id, at) = stmt.query_row(params, |r| Ok((r.get(0)?, r.get(1)?)))?;
            kept.push((user, crate::inbox::kept(notice, id, at)));
        }
        Ok(kept)
    }

    fn next_rev(&mut self, project_id: i64) -> TxResult<u64> {
        let sql = "UPDATE projects SET rev = rev + 1 WHERE id = ? RETURNING rev";
        let rev: i64 = self.0.prepare_cached(sql)?.query_row([project_id], |r| r.get(0))?;
        Ok(rev as u64)
    }

    fn log_event(&mut self, project_id: i64, rev: u64, name: &str, data: &str) -> TxResult<()> {
        let sql = "INSERT INTO events (project_id, rev, name, data) VALUES (?, ?, ?, ?)";
        self.0.prepare_cached(sql)?.execute((project_id, rev as i64, name, data))?;
        Ok(())
    }

    fn applied(&mut self, user_id: i64, key: &str) -> TxResult<Option<(i64, u64, String, String)>> {
        let sql = "SELECT project_id, rev, name, data FROM applied_requests WHERE user_id = ? AND key = ?";
        let found = self
            .0
            .prepare_cached(sql)?
            .query_row((user_id, key), |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get(2)?, r.get(3)?)))
            .optional()?;
        Ok(found)
    }

    fn remember(&mut self, user_id: i64, key: &str, committed: &Committed) -> TxResult<()> {
        let sql = "INSERT INTO applied_requests (user_id, key, project_id, rev, name, data) VALUES (?, ?, ?, ?, ?, ?)";
        let values =
            (user_id, key, committed.project_id, committed.rev as i64, committed.event, &*committed.data);
        self.0.prepare_cached(sql)?.execute(values)?;
        Ok(())
    }
}
