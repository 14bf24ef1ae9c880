//! Users, their tokens, projects and memberships, the app's credentials, and the
//! record of access taken away: what the admin command line changes and every
//! request checks.

use std::str::FromStr;

use kanban_protocol::model::{Project, Role, User};
use rusqlite::{Connection, OptionalExtension, Row};
use subtle::ConstantTimeEq;

use crate::config::AppCredentials;
use crate::store::sql::IdentitySql;
use crate::store::{
    AccessChanges, HOST_ACCOUNT, ProjectMembers, Result, StoreError, TokenHolder, default_statuses, token,
};

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

/// `e`, or a conflict saying `what` already exists when it broke a UNIQUE constraint.
fn unique(e: rusqlite::Error, what: impl FnOnce() -> String) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(format!("{} already exists", what()))
    } else {
        e.into()
    }
}

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User { id: row.get(0)?, name: row.get(1)?, color: row.get(2)? })
}

fn role_from(text: &str) -> Result<Role> {
    Role::from_str(text).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Makes a project (with the default columns when `columns`, and no members); its id.
pub fn insert_project(tx: &Connection, name: &str, columns: bool) -> Result<i64> {
    let id: i64 = tx
        .query_row("INSERT INTO projects (name) VALUES (?) RETURNING id", [name], |r| r.get(0))
        .map_err(|e| unique(e, || format!("project {name:?}")))?;
    let statuses = if columns { default_statuses() } else { Vec::new() };
    let keys = kanban_protocol::order::spread(statuses.len());
    for (status, position) in statuses.into_iter().zip(keys) {
        tx.execute(
            "INSERT INTO statuses (project_id, name, color, position) VALUES (?, ?, ?, ?)",
            (id, status.name, status.color, position),
        )?;
    }
    Ok(id)
}

impl IdentitySql for Connection {
    fn app_credentials(conn: &mut Connection, generate: &AppCredentials) -> Result<AppCredentials> {
        // INSERT OR IGNORE makes two processes starting at once agree on one set.
        conn.execute(
            "INSERT OR IGNORE INTO app (id, app_id, app_key, app_secret) VALUES (1, ?, ?, ?)",
            (&generate.id, &generate.key, &generate.secret),
        )?;
        Ok(conn.query_row("SELECT app_id, app_key, app_secret FROM app WHERE id = 1", [], |r| {
            Ok(AppCredentials { id: r.get(0)?, key: r.get(1)?, secret: r.get(2)? })
        })?)
    }

    fn add_user(conn: &mut Connection, name: &str, color: &str) -> Result<(User, String)> {
        let tx = conn.transaction()?;
        let id: i64 = tx
            .query_row("INSERT INTO users (name, color) VALUES (?, ?) RETURNING id", (name, color), |r| {
                r.get(0)
            })
            .map_err(|e| unique(e, || format!("user {name:?}")))?;
        let token = token::generate();
        tx.execute("INSERT INTO tokens (user_id, hash) VALUES (?, ?)", (id, &token::hash(&token)[..]))?;
        tx.commit()?;
        Ok((User { id, name: name.to_string(), color: color.to_string() }, token))
    }

    fn users(conn: &mut Connection) -> Result<Vec<User>> {
        let mut stmt = conn.prepare_cached("SELECT id, name, color FROM users ORDER BY name")?;
        let users = stmt.query_map([], user_from_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(users)
    }

    fn user_by_name(conn: &mut Connection, name: &str) -> Result<User> {
        conn.prepare_cached("SELECT id, name, color FROM users WHERE name = ?")?
            .query_row([name], user_from_row)
            .optional()?
            .ok_or(StoreError::NotFound("user"))
    }

    fn remove_user(conn: &mut Connection, name: &str) -> Result<()> {
        if conn.execute("DELETE FROM users WHERE name = ?", [name])? == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    fn issue_token(conn: &mut Connection, user_id: i64) -> Result<String> {
        let token = token::generate();
        conn.execute(
            "INSERT INTO tokens (user_id, hash) VALUES (?, ?)",
            (user_id, &token::hash(&token)[..]),
        )?;
        Ok(token)
    }

    fn revoke_tokens(conn: &mut Connection, user_id: i64) -> Result<u64> {
        Ok(conn.execute("DELETE FROM tokens WHERE user_id = ?", [user_id])? as u64)
    }

    fn user_by_token(conn: &mut Connection, token: &str) -> Result<Option<TokenHolder>> {
        let hash = token::hash(token);
        let found = conn
            .prepare_cached(
                "SELECT users.id, users.name, users.color, tokens.hash, tokens.id FROM tokens \
                 JOIN users ON users.id = tokens.user_id WHERE tokens.hash = ? \
                 AND (tokens.expires_at IS NULL OR tokens.expires_at > ?)",
            )?
            .query_row((&hash[..], jiff::Timestamp::now().as_second()), |r| {
                Ok((user_from_row(r)?, r.get::<_, Vec<u8>>(3)?, r.get(4)?))
            })
            .optional()?;
        // The index found it; compare again in constant time all the same.
        Ok(found.and_then(|(user, stored, token_id)| {
            bool::from(stored.ct_eq(&hash[..])).then_some(TokenHolder { user, token_id })
        }))
    }

    fn token_is_live(conn: &mut Connection, token_id: i64, user_id: i64) -> Result<bool> {
        let found = if token_id == HOST_ACCOUNT {
            conn.prepare_cached("SELECT 1 FROM users WHERE id = ?")?
                .query_row([user_id], |_| Ok(()))
                .optional()?
        } else {
            conn.prepare_cached(
                "SELECT 1 FROM tokens WHERE id = ? AND user_id = ? \
                 AND (expires_at IS NULL OR expires_at > ?)",
            )?
            .query_row((token_id, user_id, jiff::Timestamp::now().as_second()), |_| Ok(()))
            .optional()?
        };
        Ok(found.is_some())
    }

    fn token_access(
        conn: &mut Connection,
        token_id: i64,
        user_id: i64,
        project_id: i64,
    ) -> Result<Option<(Role, u64)>> {
        let row = |r: &rusqlite::Row| Ok((r.get(0)?, r.get(1)?));
        let found: Option<(String, i64)> = if token_id == HOST_ACCOUNT {
            conn.prepare_cached(
                "SELECT members.role, projects.rev FROM members \
                 JOIN projects ON projects.id = members.project_id \
                 WHERE members.user_id = ? AND members.project_id = ?",
            )?
            .query_row((user_id, project_id), row)
            .optional()?
        } else {
            conn.prepare_cached(
                "SELECT members.role, projects.rev FROM tokens \
                 JOIN members ON members.user_id = tokens.user_id \
                 JOIN projects ON projects.id = members.project_id \
                 WHERE tokens.id = ? AND tokens.user_id = ? AND members.project_id = ? \
                 AND (tokens.expires_at IS NULL OR tokens.expires_at > ?)",
            )?
            .query_row((token_id, user_id, project_id, jiff::Timestamp::now().as_second()), row)
            .optional()?
        };
        Ok(found.and_then(|(role, rev)| Some((role.parse().ok()?, rev as u64))))
    }

    fn add_project(conn: &mut Connection, name: &str, members: &[(i64, Role)]) -> Result<i64> {
        let tx = conn.transaction()?;
        let id = insert_project(&tx, name, true)?;
        for (user_id, role) in members {
            tx.execute(
                "INSERT OR REPLACE INTO members (project_id, user_id, role) VALUES (?, ?, ?)",
                (id, user_id, role.as_str()),
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    fn all_projects(conn: &mut Connection) -> Result<Vec<ProjectMembers>> {
        let mut stmt = conn.prepare_cached(
            "SELECT projects.id, projects.name, users.name AS user, members.role FROM projects \
             LEFT JOIN members ON members.project_id = projects.id \
             LEFT JOIN users ON users.id = members.user_id \
             WHERE projects.id NOT IN (SELECT project_id FROM imports) ORDER BY projects.id, users.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get(3)?))
        })?;
        let mut out: Vec<ProjectMembers> = Vec::new();
        for row in rows {
            let (id, name, user, role): (i64, String, Option<String>, Option<String>) = row?;
            if out.last().is_none_or(|p| p.id != id) {
                out.push(ProjectMembers { id, name, members: Vec::new() });
            }
            if let (Some(user), Some(role)) = (user, role) {
                let project = out.last_mut().expect("pushed above");
                project.members.push((user, role_from(&role)?));
            }
        }
        Ok(out)
    }

    fn find_project(conn: &mut Connection, id_or_name: &str) -> Result<(i64, String)> {
        let row = |r: &Row<'_>| Ok((r.get(0)?, r.get(1)?));
        let found = match id_or_name.parse::<i64>() {
            Ok(id) => conn.prepare_cached("SELECT id, name FROM projects WHERE id = ?")?.query_row([id], row),
            Err(_) => conn
                .prepare_cached("SELECT id, name FROM projects WHERE name = ?")?
                .query_row([id_or_name], row),
        };
        found.optional()?.ok_or(StoreError::NotFound("project"))
    }

    /// Adds a member or changes its role; either is recorded as an access change for
    /// the running server to tell the open boards (a grant that changes nothing is not).
    fn grant(conn: &mut Connection, project_id: i64, user_id: i64, role: Role) -> Result<()> {
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "INSERT INTO members (project_id, user_id, role) VALUES (?, ?, ?) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role WHERE role IS NOT excluded.role",
            (project_id, user_id, role.as_str()),
        )?;
        if changed > 0 {
            tx.execute("INSERT INTO access_changes (project_id, revoked) VALUES (?, 0)", [project_id])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn revoke(conn: &mut Connection, project_id: i64, user_id: i64) -> Result<()> {
        if conn.execute("DELETE FROM members WHERE project_id = ? AND user_id = ?", (project_id, user_id))?
            == 0
        {
            return Err(StoreError::NotFound("membership"));
        }
        Ok(())
    }

    fn projects_of(conn: &mut Connection, user_id: i64) -> Result<Vec<Project>> {
        let mut stmt = conn.prepare_cached(
            "SELECT projects.id, projects.name, members.role, projects.archived_at IS NOT NULL FROM members \
             JOIN projects ON projects.id = members.project_id WHERE members.user_id = ? ORDER BY projects.id",
        )?;
        let rows =
            stmt.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?)))?;
        rows.map(|row| {
            let (id, name, role, archived) = row?;
            Ok(Project { id, name, role: role_from(&role)?, archived })
        })
        .collect()
    }

    fn rename_project(conn: &mut Connection, project_id: i64, name: &str) -> Result<()> {
        let renamed = conn
            .execute("UPDATE projects SET name = ? WHERE id = ?", (name, project_id))
            .map_err(|e| unique(e, || format!("project {name:?}")))?;
        if renamed == 0 {
            return Err(StoreError::NotFound("project"));
        }
        Ok(())
    }

    fn archive_project(conn: &mut Connection, project_id: i64, archived: bool) -> Result<()> {
        let sql = "UPDATE projects SET archived_at = CASE WHEN ?2 THEN \
                   COALESCE(archived_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) END WHERE id = ?1";
        if conn.execute(sql, (project_id, archived))? == 0 {
            return Err(StoreError::NotFound("project"));
        }
        Ok(())
    }

    fn access_changes(conn: &mut Connection, after: i64) -> Result<AccessChanges> {
        let mut stmt = conn
            .prepare_cached("SELECT id, project_id, revoked FROM access_changes WHERE id > ? ORDER BY id")?;
        let mut changes = AccessChanges { last: after, ..AccessChanges::default() };
        let rows = stmt
            .query_map([after], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, bool>(2)?)))?;
        for row in rows {
            let (id, project_id, revoked) = row?;
            changes.note(id, project_id, revoked);
        }
        Ok(changes)
    }

    fn role_of(conn: &mut Connection, project_id: i64, user_id: i64) -> Result<Option<Role>> {
        Ok(super::rows::role(conn, project_id, user_id)?)
    }

    fn forget_access_changes(conn: &mut Connection, upto: i64) -> Result<()> {
        conn.prepare_cached("DELETE FROM access_changes WHERE id <= ?")?.execute([upto])?;
        Ok(())
    }
}
