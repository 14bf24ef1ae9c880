//! Users, their tokens, projects and memberships, the app's credentials, and the
//! record of access changes, on PostgreSQL: what the admin command line changes
//! and every request checks.

use kanban_protocol::model::{Project, Role, User};
use postgres::Row;
use subtle::ConstantTimeEq;

use super::pool::Conn;
use super::rows::{self, is_unique_violation};
use crate::config::AppCredentials;
use crate::store::sql::IdentitySql;
use crate::store::{
    AccessChanges, HOST_ACCOUNT, ProjectMembers, Result, StoreError, TokenHolder, default_statuses, token,
};

/// `e`, or a conflict saying `what` already exists when it broke a UNIQUE constraint.
fn unique(e: postgres::Error, what: impl FnOnce() -> String) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(format!("{} already exists", what()))
    } else {
        e.into()
    }
}

fn user_from_row(row: &Row) -> User {
    User { id: row.get(0), name: row.get(1), color: row.get(2) }
}

/// Makes a project (with the default columns when `columns`, and no members); its id.
pub fn insert_project(tx: &mut postgres::Transaction<'_>, name: &str, columns: bool) -> Result<i64> {
    let id: i64 = tx
        .query_one("INSERT INTO projects (name) VALUES ($1) RETURNING id", &[&name])
        .map_err(|e| unique(e, || format!("project {name:?}")))?
        .get(0);
    let statuses = if columns { default_statuses() } else { Vec::new() };
    let keys = kanban_protocol::order::spread(statuses.len());
    for (status, position) in statuses.into_iter().zip(keys) {
        tx.execute(
            "INSERT INTO statuses (project_id, name, color, position) VALUES ($1, $2, $3, $4)",
            &[&id, &status.name, &status.color, &position],
        )?;
    }
    Ok(id)
}

impl IdentitySql for Conn {
    fn app_credentials(conn: &mut Conn, generate: &AppCredentials) -> Result<AppCredentials> {
        // ON CONFLICT DO NOTHING makes processes starting at once agree on one set.
        conn.client.execute(
            "INSERT INTO app (id, app_id, app_key, app_secret) VALUES (1, $1, $2, $3) ON CONFLICT DO NOTHING",
            &[&generate.id, &generate.key, &generate.secret],
        )?;
        let row = conn.client.query_one("SELECT app_id, app_key, app_secret FROM app WHERE id = 1", &[])?;
        Ok(AppCredentials { id: row.get(0), key: row.get(1), secret: row.get(2) })
    }

    fn add_user(conn: &mut Conn, name: &str, color: &str) -> Result<(User, String)> {
        let mut tx = conn.client.transaction()?;
        let id: i64 = tx
            .query_one("INSERT INTO users (name, color) VALUES ($1, $2) RETURNING id", &[&name, &color])
            .map_err(|e| unique(e, || format!("user {name:?}")))?
            .get(0);
        let token = token::generate();
        tx.execute("INSERT INTO tokens (user_id, hash) VALUES ($1, $2)", &[&id, &&token::hash(&token)[..]])?;
        tx.commit()?;
        Ok((User { id, name: name.to_string(), color: color.to_string() }, token))
    }

    fn users(conn: &mut Conn) -> Result<Vec<User>> {
        let rows = conn.client.query("SELECT id, name, color FROM users ORDER BY name", &[])?;
        Ok(rows.iter().map(user_from_row).collect())
    }

    fn user_by_name(conn: &mut Conn, name: &str) -> Result<User> {
        let row = conn.client.query_opt("SELECT id, name, color FROM users WHERE name = $1", &[&name])?;
        row.as_ref().map(user_from_row).ok_or(StoreError::NotFound("user"))
    }

    fn remove_user(conn: &mut Conn, name: &str) -> Result<()> {
        if conn.client.execute("DELETE FROM users WHERE name = $1", &[&name])? == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    fn issue_token(conn: &mut Conn, user_id: i64) -> Result<String> {
        let token = token::generate();
        conn.client
            .execute(
                "INSERT INTO tokens (user_id, hash) VALUES ($1, $2)",
                &[&user_id, &&token::hash(&token)[..]],
            )
            .map_err(|e| match e.code() {
                Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION) => StoreError::NotFound("user"),
                _ => e.into(),
            })?;
        Ok(token)
    }

    fn revoke_tokens(conn: &mut Conn, user_id: i64) -> Result<u64> {
        Ok(conn.client.execute("DELETE FROM tokens WHERE user_id = $1", &[&user_id])?)
    }

    fn user_by_token(conn: &mut Conn, token: &str) -> Result<Option<TokenHolder>> {
        let hash = token::hash(token);
        let sql = "SELECT users.id, users.name, users.color, tokens.hash, tokens.id FROM tokens \
                   JOIN users ON users.id = tokens.user_id WHERE tokens.hash = $1 \
                   AND (tokens.expires_at IS NULL OR tokens.expires_at > $2)";
        let statement = conn.statements.get(&mut conn.client, sql)?;
        let now = jiff::Timestamp::now().as_second();
        let found = conn.client.query_opt(&statement, &[&&hash[..], &now])?;
        // The index found it; compare again in constant time all the same.
        Ok(found.and_then(|row| {
            let stored: &[u8] = row.get(3);
            bool::from(stored.ct_eq(&hash[..]))
                .then(|| TokenHolder { user: user_from_row(&row), token_id: row.get(4) })
        }))
    }

    fn token_is_live(conn: &mut Conn, token_id: i64, user_id: i64) -> Result<bool> {
        let row = if token_id == HOST_ACCOUNT {
            let statement = conn.statements.get(&mut conn.client, "SELECT 1 FROM users WHERE id = $1")?;
            conn.client.query_opt(&statement, &[&user_id])?
        } else {
            let sql = "SELECT 1 FROM tokens WHERE id = $1 AND user_id = $2 \
                       AND (expires_at IS NULL OR expires_at > $3)";
            let statement = conn.statements.get(&mut conn.client, sql)?;
            let now = jiff::Timestamp::now().as_second();
            conn.client.query_opt(&statement, &[&token_id, &user_id, &now])?
        };
        Ok(row.is_some())
    }

    fn token_access(
        conn: &mut Conn,
        token_id: i64,
        user_id: i64,
        project_id: i64,
    ) -> Result<Option<(Role, u64)>> {
        let row = if token_id == HOST_ACCOUNT {
            let sql = "SELECT members.role, projects.rev FROM members \
                       JOIN projects ON projects.id = members.project_id \
                       WHERE members.user_id = $1 AND members.project_id = $2";
            let statement = conn.statements.get(&mut conn.client, sql)?;
            conn.client.query_opt(&statement, &[&user_id, &project_id])?
        } else {
            let sql = "SELECT members.role, projects.rev FROM tokens \
                       JOIN members ON members.user_id = tokens.user_id \
                       JOIN projects ON projects.id = members.project_id \
                       WHERE tokens.id = $1 AND tokens.user_id = $2 AND members.project_id = $3 \
                       AND (tokens.expires_at IS NULL OR tokens.expires_at > $4)";
            let statement = conn.statements.get(&mut conn.client, sql)?;
            let now = jiff::Timestamp::now().as_second();
            conn.client.query_opt(&statement, &[&token_id, &user_id, &project_id, &now])?
        };
        Ok(row.and_then(|r| Some((r.get::<_, &str>(0).parse().ok()?, r.get::<_, i64>(1) as u64))))
    }

    fn role_of(conn: &mut Conn, project_id: i64, user_id: i64) -> Result<Option<Role>> {
        let sql = "SELECT role FROM members WHERE project_id = $1 AND user_id = $2";
        let statement = conn.statements.get(&mut conn.client, sql)?;
        let row = conn.client.query_opt(&statement, &[&project_id, &user_id])?;
        Ok(row.and_then(|r| r.get::<_, &str>(0).parse().ok()))
    }

    fn add_project(conn: &mut Conn, name: &str, members: &[(i64, Role)]) -> Result<i64> {
        let mut tx = conn.client.transaction()?;
        let id = insert_project(&mut tx, name, true)?;
        for (user_id, role) in members {
            tx.execute(
                "INSERT INTO members (project_id, user_id, role) VALUES ($1, $2, $3) \
                 ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                &[&id, user_id, &role.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    fn all_projects(conn: &mut Conn) -> Result<Vec<ProjectMembers>> {
        let rows = conn.client.query(
            "SELECT projects.id, projects.name, users.name, members.role FROM projects \
             LEFT JOIN members ON members.project_id = projects.id \
             LEFT JOIN users ON users.id = members.user_id \
             WHERE projects.id NOT IN (SELECT project_id FROM imports) ORDER BY projects.id, users.name",
            &[],
        )?;
        let mut out: Vec<ProjectMembers> = Vec::new();
        for row in rows {
            let (id, name): (i64, String) = (row.get(0), row.get(1));
            if out.last().is_none_or(|p| p.id != id) {
                out.push(ProjectMembers { id, name, members: Vec::new() });
            }
            if let (Some(user), Some(role)) = (row.get::<_, Option<String>>(2), row.get::<_, Option<&str>>(3))
            {
                out.last_mut().expect("pushed above").members.push((user, rows::role(role)?));
            }
        }
        Ok(out)
    }

    fn find_project(conn: &mut Conn, id_or_name: &str) -> Result<(i64, String)> {
        let row = match id_or_name.parse::<i64>() {
            Ok(id) => conn.client.query_opt("SELECT id, name FROM projects WHERE id = $1", &[&id])?,
            Err(_) => {
                conn.client.query_opt("SELECT id, name FROM projects WHERE name = $1", &[&id_or_name])?
            }
        };
        row.map(|r| (r.get(0), r.get(1))).ok_or(StoreError::NotFound("project"))
    }

    /// Adds a member or changes its role; either is recorded as an access change for
    /// the running servers to tell the open boards (a grant that changes nothing is not).
    fn grant(conn: &mut Conn, project_id: i64, user_id: i64, role: Role) -> Result<()> {
        let mut tx = conn.client.transaction()?;
        let changed = tx.execute(
            "INSERT INTO members (project_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role \
             WHERE members.role IS DISTINCT FROM excluded.role",
            &[&project_id, &user_id, &role.as_str()],
        )?;
        if changed > 0 {
            tx.execute(
                "INSERT INTO access_changes (project_id, revoked) VALUES ($1, false)",
                &[&project_id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn revoke(conn: &mut Conn, project_id: i64, user_id: i64) -> Result<()> {
        let removed = conn.client.execute(
            "DELETE FROM members WHERE project_id = $1 AND user_id = $2",
            &[&project_id, &user_id],
        )?;
        if removed == 0 {
            return Err(StoreError::NotFound("membership"));
        }
        Ok(())
    }

    fn projects_of(conn: &mut Conn, user_id: i64) -> Result<Vec<Project>> {
        let sql = "SELECT projects.id, projects.name, members.role, projects.archived_at IS NOT NULL FROM members \
                   JOIN projects ON projects.id = members.project_id WHERE members.user_id = $1 ORDER BY projects.id";
        let statement = conn.statements.get(&mut conn.client, sql)?;
        let rows = conn.client.query(&statement, &[&user_id])?;
        rows.iter()
            .map(|r| {
                Ok(Project { id: r.get(0), name: r.get(1), role: rows::role(r.get(2))?, archived: r.get(3) })
            })
            .collect()
    }

    fn rename_project(conn: &mut Conn, project_id: i64, name: &str) -> Result<()> {
        let renamed = conn
            .client
            .execute("UPDATE projects SET name = $1 WHERE id = $2", &[&name, &project_id])
            .map_err(|e| unique(e, || format!("project {name:?}")))?;
        if renamed == 0 {
            return Err(StoreError::NotFound("project"));
        }
        Ok(())
    }

    fn archive_project(conn: &mut Conn, project_id: i64, archived: bool) -> Result<()> {
        let sql = "UPDATE projects SET archived_at = CASE WHEN $2 THEN COALESCE(archived_at, now()) END WHERE id = $1";
        if conn.client.execute(sql, &[&project_id, &archived])? == 0 {
            return Err(StoreError::NotFound("project"));
        }
        Ok(())
    }

    fn access_changes(conn: &mut Conn, after: i64) -> Result<AccessChanges> {
        let sql = "SELECT id, project_id, revoked FROM access_changes WHERE id > $1 ORDER BY id";
        let statement = conn.statements.get(&mut conn.client, sql)?;
        let rows = conn.client.query(&statement, &[&after])?;
        let mut changes = AccessChanges { last: after, ..AccessChanges::default() };
        for row in rows {
            changes.note(row.get(0), row.get(1), row.get(2));
        }
        Ok(changes)
    }

    /// Drops access changes every process has long acted on. Each process reads from
    /// where it got to, so one process's `upto` says nothing of the others: a change
    /// goes after a day, whatever `upto`.
    fn forget_access_changes(conn: &mut Conn, upto: i64) -> Result<()> {
        conn.client.execute(
            "DELETE FROM access_changes WHERE id <= $1 AND at < now() - interval '1 day'",
            &[&upto],
        )?;
        Ok(())
    }
}
