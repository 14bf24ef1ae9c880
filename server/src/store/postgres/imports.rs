//! Projects being imported on PostgreSQL (see the `imports` table): made hidden,
//! shown whole with their members in one transaction, or dropped a slice at a
//! time so that the servers' writes go on between the slices.

use kanban_protocol::model::Role;

use super::identity;
use super::pool::Conn;
use crate::store::Result;
use crate::store::sql::ImportSql;

/// Rows deleted per transaction when an import is dropped.
const SLICE: i64 = 2_000;

impl ImportSql for Conn {
    fn begin_import(conn: &mut Conn, name: &str, members: &[(i64, Role)]) -> Result<i64> {
        let mut tx = conn.client.transaction()?;
        let id = identity::insert_project(&mut tx, name, false)?;
        tx.execute("INSERT INTO imports (project_id) VALUES ($1)", &[&id])?;
        for (user_id, role) in members {
            tx.execute(
                "INSERT INTO import_members (project_id, user_id, role) VALUES ($1, $2, $3) \
                 ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                &[&id, user_id, &role.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    fn touch_import(conn: &mut Conn, project_id: i64) -> Result<()> {
        conn.client.execute("UPDATE imports SET touched_at = now() WHERE project_id = $1", &[&project_id])?;
        Ok(())
    }

    fn finish_import(conn: &mut Conn, project_id: i64) -> Result<()> {
        let mut tx = conn.client.transaction()?;
        tx.execute(
            "INSERT INTO members (project_id, user_id, role) \
             SELECT project_id, user_id, role FROM import_members WHERE project_id = $1 \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
            &[&project_id],
        )?;
        tx.execute("DELETE FROM imports WHERE project_id = $1", &[&project_id])?;
        // Hooks of every board are sent what comes next, not what was imported.
        tx.execute(
            "INSERT INTO webhook_cursors (hook_id, project_id, rev) \
             SELECT h.id, p.id, p.rev FROM webhooks h JOIN projects p ON p.id = $1 WHERE h.project_id IS NULL \
             ON CONFLICT (hook_id, project_id) DO UPDATE SET rev = excluded.rev",
            &[&project_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes one slice of what the import made; `true` once the project is gone.
    fn drop_import_slice(conn: &mut Conn, project_id: i64) -> Result<bool> {
        let mut tx = conn.client.transaction()?;
        // A card takes its comments and its lines of history with it.
        let mut deleted = tx.execute(
            "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE project_id = $1 LIMIT $2)",
            &[&project_id, &SLICE],
        )?;
        for table in ["activity", "events"] {
            deleted += tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE project_id = $1 AND rev IN \
                     (SELECT rev FROM {table} WHERE project_id = $1 LIMIT $2)"
                ),
                &[&project_id, &SLICE],
            )?;
        }
        if deleted == 0 {
            // The rest (columns, the import's row) goes with the project.
            tx.execute("DELETE FROM projects WHERE id = $1", &[&project_id])?;
        }
        tx.commit()?;
        Ok(deleted == 0)
    }

    /// Imports whose last slice is older than `idle_secs`.
    fn stale_imports(conn: &mut Conn, idle_secs: u64) -> Result<Vec<i64>> {
        let idle = idle_secs as f64;
        let rows = conn.client.query(
            "SELECT project_id FROM imports WHERE touched_at < now() - make_interval(secs => $1)",
            &[&idle],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
