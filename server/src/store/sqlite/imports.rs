//! Projects being imported on SQLite (see the `imports` table): made hidden,
//! shown whole with their members in one transaction, or dropped a slice at a
//! time so that a running server's writes go on between the slices.

use kanban_protocol::model::Role;
use rusqlite::Connection;

use super::identity;
use crate::store::Result;
use crate::store::sql::ImportSql;

/// Rows deleted per transaction when an import is dropped.
const SLICE: i64 = 2_000;

impl ImportSql for Connection {
    fn begin_import(conn: &mut Connection, name: &str, members: &[(i64, Role)]) -> Result<i64> {
        let tx = conn.transaction()?;
        let id = identity::insert_project(&tx, name, false)?;
        tx.execute("INSERT INTO imports (project_id) VALUES (?)", [id])?;
        for (user_id, role) in members {
            tx.execute(
                "INSERT OR REPLACE INTO import_members (project_id, user_id, role) VALUES (?, ?, ?)",
                (id, user_id, role.as_str()),
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    fn touch_import(conn: &mut Connection, project_id: i64) -> Result<()> {
        conn.execute(
            "UPDATE imports SET touched_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE project_id = ?",
            [project_id],
        )?;
        Ok(())
    }

    fn finish_import(conn: &mut Connection, project_id: i64) -> Result<()> {
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO members (project_id, user_id, role) \
             SELECT project_id, user_id, role FROM import_members WHERE project_id = ?",
            [project_id],
        )?;
        tx.execute("DELETE FROM imports WHERE project_id = ?", [project_id])?;
        // Hooks of every board are sent what comes next, not what was imported.
        tx.execute(
            "INSERT OR REPLACE INTO webhook_cursors (hook_id, project_id, rev) \
             SELECT h.id, p.id, p.rev FROM webhooks h JOIN projects p ON p.id = ?1 WHERE h.project_id IS NULL",
            [project_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes one slice of what the import made; `true` once the project is gone.
    fn drop_import_slice(conn: &mut Connection, project_id: i64) -> Result<bool> {
        let tx = conn.transaction()?;
        // A card takes its comments and its lines of history with it.
        let mut deleted = tx.execute(
            "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE project_id = ?1 LIMIT ?2)",
            (project_id, SLICE),
        )?;
        for table in ["activity", "events"] {
            deleted += tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE project_id = ?1 AND rev IN \
                     (SELECT rev FROM {table} WHERE project_id = ?1 LIMIT ?2)"
                ),
                (project_id, SLICE),
            )?;
        }
        if deleted == 0 {
            // The rest (columns, the import's row) goes with the project.
            tx.execute("DELETE FROM projects WHERE id = ?", [project_id])?;
        }
        tx.commit()?;
        Ok(deleted == 0)
    }

    /// Imports whose last slice is older than `idle_secs`.
    fn stale_imports(conn: &mut Connection, idle_secs: u64) -> Result<Vec<i64>> {
        let modifier = format!("-{idle_secs} seconds");
        let mut stmt = conn.prepare(
            "SELECT project_id FROM imports WHERE touched_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)",
        )?;
        let ids = stmt.query_map([modifier], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }
}
