//! Sign-ins from outside the board's own tokens, on SQLite: provider sessions,
//! the last sign-in by each outside way, and `user revoke`'s ending of them all.

use kanban_protocol::model::User;
use rusqlite::{Connection, OptionalExtension};

use crate::store::sign_in::{Ended, NewProviderToken, ProviderSession, SignInKinds, Way};
use crate::store::sql::SignInSql;
use crate::store::{Result, StoreError, token};

impl SignInSql for Connection {
    fn issue_provider_token(conn: &mut Connection, new: &NewProviderToken) -> Result<String> {
        let tx = conn.transaction()?;
        let token = token::generate();
        let token_id: i64 = tx.query_row(
            "INSERT INTO tokens (user_id, hash, expires_at) VALUES (?, ?, ?) RETURNING id",
            (new.user_id, &token::hash(&token)[..], new.expires_at),
            |r| r.get(0),
        )?;
        if let Some((refresh_token, refresh_at)) = &new.refresh {
            tx.execute(
                "INSERT INTO oidc_sessions (token_id, subject, refresh_token, refresh_at) VALUES (?, ?, ?, ?)",
                (token_id, &new.subject, refresh_token, refresh_at),
            )?;
        }
        record(&tx, new.user_id, Way::Provider, &new.subject, jiff::Timestamp::now().as_second())?;
        tx.commit()?;
        Ok(token)
    }

    fn record_sign_in(conn: &mut Connection, user_id: i64, way: Way, subject: &str, now: i64) -> Result<i64> {
        let tx = conn.transaction()?;
        let signed_out = record(&tx, user_id, way, subject, now)?;
        tx.commit()?;
        Ok(signed_out)
    }

    fn signed_out(conn: &mut Connection, user_id: i64) -> Result<Option<i64>> {
        let sql = "SELECT signed_out FROM users WHERE id = ?";
        Ok(conn.prepare_cached(sql)?.query_row([user_id], |r| r.get(0)).optional()?)
    }

    fn provider_sessions_due(conn: &mut Connection, now: i64, limit: u32) -> Result<Vec<ProviderSession>> {
        let mut statement = conn.prepare_cached(
            "SELECT s.token_id, t.user_id, s.subject, s.refresh_token, s.refresh_at, s.failures \
             FROM oidc_sessions s JOIN tokens t ON t.id = s.token_id \
             WHERE s.refresh_at <= ? ORDER BY s.refresh_at LIMIT ?",
        )?;
        let due = statement.query_map((now, limit), |r| {
            Ok(ProviderSession {
                token_id: r.get(0)?,
                user_id: r.get(1)?,
                subject: r.get(2)?,
                refresh_token: r.get(3)?,
                refresh_at: r.get(4)?,
                failures: r.get(5)?,
            })
        })?;
        Ok(due.collect::<rusqlite::Result<_>>()?)
    }

    fn claim_provider_session(conn: &mut Connection, token_id: i64, seen: i64, until: i64) -> Result<bool> {
        let sql = "UPDATE oidc_sessions SET refresh_at = ? WHERE token_id = ? AND refresh_at = ?";
        Ok(conn.prepare_cached(sql)?.execute((until, token_id, seen))? == 1)
    }

    fn provider_session_renewed(
        conn: &mut Connection,
        token_id: i64,
        refresh_token: Option<&str>,
        refresh_at: i64,
        expires_at: i64,
    ) -> Result<()> {
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE oidc_sessions SET refresh_token = COALESCE(?, refresh_token), refresh_at = ?, failures = 0 \
             WHERE token_id = ?",
            (refresh_token, refresh_at, token_id),
        )?;
        tx.execute("UPDATE tokens SET expires_at = ? WHERE id = ?", (expires_at, token_id))?;
        tx.commit()?;
        Ok(())
    }

    fn provider_session_failed(
        conn: &mut Connection,
        token_id: i64,
        refresh_at: i64,
        failures: u32,
    ) -> Result<()> {
        let sql = "UPDATE oidc_sessions SET refresh_at = ?, failures = ? WHERE token_id = ?";
        conn.prepare_cached(sql)?.execute((refresh_at, failures, token_id))?;
        Ok(())
    }

    fn end_token(conn: &mut Connection, token_id: i64) -> Result<()> {
        conn.execute("DELETE FROM tokens WHERE id = ?", [token_id])?;
        Ok(())
    }

    fn expire_tokens(conn: &mut Connection, now: i64) -> Result<u64> {
        let sql = "DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ?";
        Ok(conn.prepare_cached(sql)?.execute([now])? as u64)
    }

    fn sign_in_kinds(conn: &mut Connection) -> Result<Vec<SignInKinds>> {
        let now = jiff::Timestamp::now().as_second();
        let mut statement = conn.prepare_cached(
            "SELECT u.id, u.name, u.color, \
               (SELECT COUNT(*) FROM tokens t WHERE t.user_id = u.id AND t.expires_at IS NULL), \
               (SELECT COUNT(*) FROM tokens t WHERE t.user_id = u.id AND t.expires_at > ?1), \
               (SELECT COUNT(*) FROM ssh_keys k WHERE k.user_id = u.id), \
               p.subject, p.last_at, c.subject, c.last_at \
             FROM users u \
             LEFT JOIN sign_ins p ON p.user_id = u.id AND p.kind = 'oidc' \
             LEFT JOIN sign_ins c ON c.user_id = u.id AND c.kind = 'certificate' \
             ORDER BY u.name",
        )?;
        let kinds = statement.query_map([now], |r| {
            let provider: Option<String> = r.get(6)?;
            let certificate: Option<String> = r.get(8)?;
            Ok(SignInKinds {
                user: User { id: r.get(0)?, name: r.get(1)?, color: r.get(2)? },
                tokens: r.get(3)?,
                provider_tokens: r.get(4)?,
                keys: r.get(5)?,
                provider: provider.map(|s| r.get(7).map(|at| (s, at))).transpose()?,
                certificate: certificate.map(|s| r.get(9).map(|at| (s, at))).transpose()?,
            })
        })?;
        Ok(kinds.collect::<rusqlite::Result<_>>()?)
    }

    fn end_sign_ins(conn: &mut Connection, user_id: i64) -> Result<Ended> {
        let tx = conn.transaction()?;
        let bumped = tx.execute("UPDATE users SET signed_out = signed_out + 1 WHERE id = ?", [user_id])?;
        if bumped == 0 {
            return Err(StoreError::NotFound("user"));
        }
        // The triggers record the boards whose connections must be checked again;
        // the row for project 0 has the SSH sessions checked even when the user is
        // a member of nothing and held no key (a certificate's session).
        let tokens = tx.execute("DELETE FROM tokens WHERE user_id = ?", [user_id])? as u64;
        let keys = tx.execute("DELETE FROM ssh_keys WHERE user_id = ?", [user_id])? as u64;
        tx.execute("INSERT INTO access_changes (project_id) VALUES (0)", [])?;
        tx.commit()?;
        Ok(Ended { tokens, keys })
    }
}

/// Records a sign-in by `way` in `tx`; the user's sign-out count.
fn record(tx: &Connection, user_id: i64, way: Way, subject: &str, now: i64) -> Result<i64> {
    tx.execute(
        "INSERT INTO sign_ins (user_id, kind, subject, last_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (user_id, kind) DO UPDATE SET subject = excluded.subject, last_at = excluded.last_at",
        (user_id, way.as_str(), subject, now),
    )?;
    tx.query_row("SELECT signed_out FROM users WHERE id = ?", [user_id], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound("user"))
}
