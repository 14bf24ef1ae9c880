//! Sign-ins from outside the board's own tokens, on PostgreSQL: provider
//! sessions (one node asks the provider about each: it takes the session by one
//! row update first), the last sign-in by each outside way, and `user revoke`'s
//! ending of them all.

use kanban_protocol::model::User;
use postgres::GenericClient;

use super::pool::Conn;
use crate::store::sign_in::{Ended, NewProviderToken, ProviderSession, SignInKinds, Way};
use crate::store::sql::SignInSql;
use crate::store::{Result, StoreError, token};

impl SignInSql for Conn {
    fn issue_provider_token(conn: &mut Conn, new: &NewProviderToken) -> Result<String> {
        let mut tx = conn.client.transaction()?;
        let token = token::generate();
        let token_id: i64 = tx
            .query_one(
                "INSERT INTO tokens (user_id, hash, expires_at) VALUES ($1, $2, $3) RETURNING id",
                &[&new.user_id, &&token::hash(&token)[..], &new.expires_at],
            )?
            .get(0);
        if let Some((refresh_token, refresh_at)) = &new.refresh {
            tx.execute(
                "INSERT INTO oidc_sessions (token_id, subject, refresh_token, refresh_at) VALUES ($1, $2, $3, $4)",
                &[&token_id, &new.subject, refresh_token, refresh_at],
            )?;
        }
        record(&mut tx, new.user_id, Way::Provider, &new.subject, jiff::Timestamp::now().as_second())?;
        tx.commit()?;
        Ok(token)
    }

    fn record_sign_in(conn: &mut Conn, user_id: i64, way: Way, subject: &str, now: i64) -> Result<i64> {
        let mut tx = conn.client.transaction()?;
        let signed_out = record(&mut tx, user_id, way, subject, now)?;
        tx.commit()?;
        Ok(signed_out)
    }

    fn signed_out(conn: &mut Conn, user_id: i64) -> Result<Option<i64>> {
        let statement =
            conn.statements.get(&mut conn.client, "SELECT signed_out FROM users WHERE id = $1")?;
        Ok(conn.client.query_opt(&statement, &[&user_id])?.map(|r| r.get(0)))
    }

    fn provider_sessions_due(conn: &mut Conn, now: i64, limit: u32) -> Result<Vec<ProviderSession>> {
        let sql = "SELECT s.token_id, t.user_id, s.subject, s.refresh_token, s.refresh_at, s.failures \
                   FROM oidc_sessions s JOIN tokens t ON t.id = s.token_id \
                   WHERE s.refresh_at <= $1 ORDER BY s.refresh_at LIMIT $2";
        let statement = conn.statements.get(&mut conn.client, sql)?;
        let rows = conn.client.query(&statement, &[&now, &i64::from(limit)])?;
        Ok(rows
            .iter()
            .map(|r| ProviderSession {
                token_id: r.get(0),
                user_id: r.get(1),
                subject: r.get(2),
                refresh_token: r.get(3),
                refresh_at: r.get(4),
                failures: r.get::<_, i32>(5).max(0) as u32,
            })
            .collect())
    }

    fn claim_provider_session(conn: &mut Conn, token_id: i64, seen: i64, until: i64) -> Result<bool> {
        let sql = "UPDATE oidc_sessions SET refresh_at = $1 WHERE token_id = $2 AND refresh_at = $3";
        let statement = conn.statements.get(&mut conn.client, sql)?;
        Ok(conn.client.execute(&statement, &[&until, &token_id, &seen])? == 1)
    }

    fn provider_session_renewed(
        conn: &mut Conn,
        token_id: i64,
        refresh_token: Option<&str>,
        refresh_at: i64,
        expires_at: i64,
    ) -> Result<()> {
        let mut tx = conn.client.transaction()?;
        tx.execute(
            "UPDATE oidc_sessions SET refresh_token = COALESCE($1, refresh_token), refresh_at = $2, failures = 0 \
             WHERE token_id = $3",
            &[&refresh_token, &refresh_at, &token_id],
        )?;
        tx.execute("UPDATE tokens SET expires_at = $1 WHERE id = $2", &[&expires_at, &token_id])?;
        tx.commit()?;
        Ok(())
    }

    fn provider_session_failed(conn: &mut Conn, token_id: i64, refresh_at: i64, failures: u32) -> Result<()> {
        let failures = i32::try_from(failures).unwrap_or(i32::MAX);
        conn.client.execute(
            "UPDATE oidc_sessions SET refresh_at = $1, failures = $2 WHERE token_id = $3",
            &[&refresh_at, &failures, &token_id],
        )?;
        Ok(())
    }

    fn end_token(conn: &mut Conn, token_id: i64) -> Result<()> {
        conn.client.execute("DELETE FROM tokens WHERE id = $1", &[&token_id])?;
        Ok(())
    }

    fn expire_tokens(conn: &mut Conn, now: i64) -> Result<u64> {
        let sql = "DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= $1";
        Ok(conn.client.execute(sql, &[&now])?)
    }

    fn sign_in_kinds(conn: &mut Conn) -> Result<Vec<SignInKinds>> {
        let now = jiff::Timestamp::now().as_second();
        let rows = conn.client.query(
            "SELECT u.id, u.name, u.color, \
               (SELECT COUNT(*) FROM tokens t WHERE t.user_id = u.id AND t.expires_at IS NULL), \
               (SELECT COUNT(*) FROM tokens t WHERE t.user_id = u.id AND t.expires_at > $1), \
               (SELECT COUNT(*) FROM ssh_keys k WHERE k.user_id = u.id), \
               p.subject, p.last_at, c.subject, c.last_at \
             FROM users u \
             LEFT JOIN sign_ins p ON p.user_id = u.id AND p.kind = 'oidc' \
             LEFT JOIN sign_ins c ON c.user_id = u.id AND c.kind = 'certificate' \
             ORDER BY u.name",
            &[&now],
        )?;
        let count = |r: &postgres::Row, i: usize| r.get::<_, i64>(i).clamp(0, u32::MAX.into()) as u32;
        Ok(rows
            .iter()
            .map(|r| SignInKinds {
                user: User { id: r.get(0), name: r.get(1), color: r.get(2) },
                tokens: count(r, 3),
                provider_tokens: count(r, 4),
                keys: count(r, 5),
                provider: r.get::<_, Option<String>>(6).map(|s| (s, r.get(7))),
                certificate: r.get::<_, Option<String>>(8).map(|s| (s, r.get(9))),
            })
            .collect())
    }

    fn end_sign_ins(conn: &mut Conn, user_id: i64) -> Result<Ended> {
        let mut tx = conn.client.transaction()?;
        let bumped = tx.execute("UPDATE users SET signed_out = signed_out + 1 WHERE id = $1", &[&user_id])?;
        if bumped == 0 {
            return Err(StoreError::NotFound("user"));
        }
        // The triggers record the boards whose connections must be checked again;
        // the row for project 0 has the SSH sessions checked even when the user is
        // a member of nothing and held no key (a certificate's session).
        let tokens = tx.execute("DELETE FROM tokens WHERE user_id = $1", &[&user_id])?;
        let keys = tx.execute("DELETE FROM ssh_keys WHERE user_id = $1", &[&user_id])?;
        tx.execute("INSERT INTO access_changes (project_id) VALUES (0)", &[])?;
        tx.commit()?;
        Ok(Ended { tokens, keys })
    }
}

/// Records a sign-in by `way` in `tx`; the user's sign-out count.
fn record(tx: &mut impl GenericClient, user_id: i64, way: Way, subject: &str, now: i64) -> Result<i64> {
    tx.execute(
        "INSERT INTO sign_ins (user_id, kind, subject, last_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, kind) DO UPDATE SET subject = excluded.subject, last_at = excluded.last_at",
        &[&user_id, &way.as_str(), &subject, &now],
    )?;
    tx.query_opt("SELECT signed_out FROM users WHERE id = $1", &[&user_id])?
        .map(|r| r.get(0))
        .ok_or(StoreError::NotFound("user"))
}
