//! The SSH keys people sign in with, on SQLite.

use kanban_protocol::model::User;
use rusqlite::{Connection, OptionalExtension};

use crate::store::sql::KeySql;
use crate::store::{KeyHolder, Result, SshKey, StoreError};

impl KeySql for Connection {
    fn add_ssh_key(conn: &mut Connection, user_id: i64, key: &SshKey) -> Result<()> {
        let tx = conn.transaction()?;
        let holder: Option<String> = tx
            .query_row(
                "SELECT users.name FROM ssh_keys JOIN users ON users.id = ssh_keys.user_id WHERE fingerprint = ?",
                [&key.fingerprint],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(name) = holder {
            return Err(StoreError::Conflict(format!("that key is already {name}'s")));
        }
        tx.execute(
            "INSERT INTO ssh_keys (user_id, fingerprint, public_key, comment) VALUES (?, ?, ?, ?)",
            (user_id, &key.fingerprint, &key.public_key, &key.comment),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn ssh_keys(conn: &mut Connection, user_id: i64) -> Result<Vec<SshKey>> {
        let mut statement = conn.prepare_cached(
            "SELECT fingerprint, public_key, comment, created_at FROM ssh_keys WHERE user_id = ? ORDER BY id",
        )?;
        let keys = statement.query_map([user_id], |r| {
            Ok(SshKey { fingerprint: r.get(0)?, public_key: r.get(1)?, comment: r.get(2)?, added: r.get(3)? })
        })?;
        Ok(keys.collect::<rusqlite::Result<_>>()?)
    }

    fn remove_ssh_key(conn: &mut Connection, user_id: i64, fingerprint: &str) -> Result<()> {
        let sql = "DELETE FROM ssh_keys WHERE user_id = ? AND fingerprint = ?";
        if conn.execute(sql, (user_id, fingerprint))? == 0 {
            return Err(StoreError::NotFound("key"));
        }
        Ok(())
    }

    fn user_by_ssh_key(conn: &mut Connection, fingerprint: &str) -> Result<Option<KeyHolder>> {
        let sql = "SELECT users.id, users.name, users.color, ssh_keys.id, users.signed_out FROM ssh_keys \
                   JOIN users ON users.id = ssh_keys.user_id WHERE ssh_keys.fingerprint = ?";
        let found = conn.prepare_cached(sql)?.query_row([fingerprint], |r| {
            Ok(KeyHolder {
                user: User { id: r.get(0)?, name: r.get(1)?, color: r.get(2)? },
                key_id: r.get(3)?,
                signed_out: r.get(4)?,
            })
        });
        Ok(found.optional()?)
    }

    fn ssh_key_is_live(conn: &mut Connection, key_id: i64, user_id: i64) -> Result<bool> {
        let sql = "SELECT 1 FROM ssh_keys WHERE id = ? AND user_id = ?";
        Ok(conn.prepare_cached(sql)?.query_row((key_id, user_id), |_| Ok(())).optional()?.is_some())
    }
}
