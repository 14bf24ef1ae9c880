//! The SSH keys people sign in with, on PostgreSQL.

use kanban_protocol::model::User;

use super::pool::Conn;
use crate::store::sql::KeySql;
use crate::store::{KeyHolder, Result, SshKey, StoreError};

impl KeySql for Conn {
    fn add_ssh_key(conn: &mut Conn, user_id: i64, key: &SshKey) -> Result<()> {
        let mut tx = conn.client.transaction()?;
        let sql = "SELECT users.name FROM ssh_keys JOIN users ON users.id = ssh_keys.user_id WHERE fingerprint = $1";
        if let Some(row) = tx.query_opt(sql, &[&key.fingerprint])? {
            let name: String = row.get(0);
            return Err(StoreError::Conflict(format!("that key is already {name}'s")));
        }
        tx.execute(
            "INSERT INTO ssh_keys (user_id, fingerprint, public_key, comment) VALUES ($1, $2, $3, $4)",
            &[&user_id, &key.fingerprint, &key.public_key, &key.comment],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn ssh_keys(conn: &mut Conn, user_id: i64) -> Result<Vec<SshKey>> {
        let sql = "SELECT fingerprint, public_key, comment, kanban_ts(created_at) FROM ssh_keys \
                   WHERE user_id = $1 ORDER BY id";
        let rows = conn.client.query(sql, &[&user_id])?;
        Ok(rows
            .iter()
            .map(|r| SshKey {
                fingerprint: r.get(0),
                public_key: r.get(1),
                comment: r.get(2),
                added: r.get(3),
            })
            .collect())
    }

    fn remove_ssh_key(conn: &mut Conn, user_id: i64, fingerprint: &str) -> Result<()> {
        let sql = "DELETE FROM ssh_keys WHERE user_id = $1 AND fingerprint = $2";
        if conn.client.execute(sql, &[&user_id, &fingerprint])? == 0 {
            return Err(StoreError::NotFound("key"));
        }
        Ok(())
    }

    fn user_by_ssh_key(conn: &mut Conn, fingerprint: &str) -> Result<Option<KeyHolder>> {
        let sql = "SELECT users.id, users.name, users.color, ssh_keys.id, users.signed_out FROM ssh_keys \
                   JOIN users ON users.id = ssh_keys.user_id WHERE ssh_keys.fingerprint = $1";
        let statement = conn.statements.get(&mut conn.client, sql)?;
        let found = conn.client.query_opt(&statement, &[&fingerprint])?;
        Ok(found.map(|r| KeyHolder {
            user: User { id: r.get(0), name: r.get(1), color: r.get(2) },
            key_id: r.get(3),
            signed_out: r.get(4),
        }))
    }

    fn ssh_key_is_live(conn: &mut Conn, key_id: i64, user_id: i64) -> Result<bool> {
        let sql = "SELECT 1 FROM ssh_keys WHERE id = $1 AND user_id = $2";
        let statement = conn.statements.get(&mut conn.client, sql)?;
        Ok(conn.client.query_opt(&statement, &[&key_id, &user_id])?.is_some())
    }
}
