//! Webhooks on PostgreSQL: the hooks, their cursors in each board's history, and
//! what became of recent deliveries. A cursor's lease is taken by one row update,
//! so that of the nodes sharing the database one alone sends a hook's deliveries
//! on a board.

use postgres::{IsolationLevel, Row};

use super::pool::Conn;
use crate::store::sql::WebhookSql;
use crate::store::webhook::{
    Claim, DELIVERIES_KEPT, Delivery, Hook, HookEvent, HookEvents, HookStatus, Outcome, Progress,
};
use crate::store::{Result, StoreError};

/// A hook's columns, in the order [`hook`] reads them.
const HOOK: &str = "h.id, h.url, h.project_id, p.name, h.events, h.secret, kanban_ts(h.created_at)";

fn hook(r: &Row) -> Hook {
    let project_id: Option<i64> = r.get(2);
    let name: Option<String> = r.get(3);
    let events: Option<String> = r.get(4);
    Hook {
        id: r.get(0),
        url: r.get(1),
        project: project_id.zip(name),
        events: events.map(|e| e.split(',').map(str::to_string).collect()),
        secret: r.get(5),
        created: r.get(6),
    }
}

/// A delivery's columns, in the order [`delivery`] reads them.
const DELIVERY: &str = "project_id, rev, event, outcome, status, error, attempt, at";

fn delivery(r: &Row) -> Delivery {
    let outcome: String = r.get(3);
    let status: Option<i32> = r.get(4);
    let attempt: i32 = r.get(6);
    Delivery {
        project_id: r.get(0),
        rev: r.get::<_, i64>(1) as u64,
        event: r.get(2),
        outcome: Outcome::parse(&outcome),
        status: status.and_then(|s| u16::try_from(s).ok()),
        error: r.get(5),
        attempt: attempt.max(0) as u32,
        at_ms: r.get(7),
    }
}

/// The boards a hook covers (`h`), each as `p`: its own, or every board that is
/// not an import under way.
const COVERED: &str = "projects p ON (h.project_id IS NULL OR p.id = h.project_id) \
                       AND NOT EXISTS (SELECT 1 FROM imports i WHERE i.project_id = p.id)";

fn find(c: &mut impl postgres::GenericClient, id: i64) -> Result<Hook> {
    let sql =
        format!("SELECT {HOOK} FROM webhooks h LEFT JOIN projects p ON p.id = h.project_id WHERE h.id = $1");
    c.query_opt(&sql, &[&id])?.map(|r| hook(&r)).ok_or(StoreError::NotFound("webhook"))
}

impl WebhookSql for Conn {
    fn add_webhook(
        c: &mut Conn,
        url: &str,
        project_id: Option<i64>,
        events: Option<&[String]>,
        secret: &str,
    ) -> Result<Hook> {
        let mut tx = c.client.transaction()?;
        let events = events.map(|e| e.join(","));
        let id: i64 = tx
            .query_one(
                "INSERT INTO webhooks (url, project_id, events, secret) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&url, &project_id, &events, &secret],
            )?
            .get(0);
        tx.execute(
            &format!(
                "INSERT INTO webhook_cursors (hook_id, project_id, rev) \
                 SELECT h.id, p.id, p.rev FROM webhooks h JOIN {COVERED} WHERE h.id = $1"
            ),
            &[&id],
        )?;
        let made = find(&mut tx, id)?;
        tx.commit()?;
        Ok(made)
    }

    fn webhooks(c: &mut Conn) -> Result<Vec<HookStatus>> {
        let mut tx = c.client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).start()?;
        let sql = format!(
            "SELECT {HOOK}, \
             (SELECT COALESCE(SUM(p.rev - COALESCE(k.rev, 0)), 0)::bigint FROM webhooks hh JOIN {COVERED_HH} \
              LEFT JOIN webhook_cursors k ON k.hook_id = hh.id AND k.project_id = p.id \
              WHERE hh.id = h.id AND p.rev > COALESCE(k.rev, 0)), \
             (SELECT count(*) FROM webhook_deliveries d WHERE d.hook_id = h.id AND d.outcome = 'failed') \
             FROM webhooks h LEFT JOIN projects p ON p.id = h.project_id ORDER BY h.id",
            COVERED_HH = COVERED.replace("h.project_id", "hh.project_id"),
        );
        let mut hooks: Vec<HookStatus> = tx
            .query(&sql, &[])?
            .iter()
            .map(|r| HookStatus {
                hook: hook(r),
                waiting: r.get::<_, i64>(7).max(0) as u64,
                failed: r.get::<_, i64>(8).max(0) as u64,
                last: None,
            })
            .collect();
        let sql =
            format!("SELECT {DELIVERY} FROM webhook_deliveries WHERE hook_id = $1 ORDER BY id DESC LIMIT 1");
        for status in &mut hooks {
            status.last = tx.query_opt(&sql, &[&status.hook.id])?.map(|r| delivery(&r));
        }
        tx.commit()?;
        Ok(hooks)
    }

    fn webhook(c: &mut Conn, id: i64) -> Result<Hook> {
        find(&mut c.client, id)
    }

    fn remove_webhook(c: &mut Conn, id: i64) -> Result<()> {
        match c.client.execute("DELETE FROM webhooks WHERE id = $1", &[&id])? {
            0 => Err(StoreError::NotFound("webhook")),
            _ => Ok(()),
        }
    }

    fn webhook_deliveries(c: &mut Conn, id: i64, limit: u32) -> Result<Vec<Delivery>> {
        find(&mut c.client, id)?;
        let sql =
            format!("SELECT {DELIVERY} FROM webhook_deliveries WHERE hook_id = $1 ORDER BY id DESC LIMIT $2");
        Ok(c.client.query(&sql, &[&id, &i64::from(limit)])?.iter().map(delivery).collect())
    }

    fn due_webhooks(c: &mut Conn, now: i64) -> Result<Vec<(i64, i64)>> {
        let sql = format!(
            "SELECT h.id, p.id FROM webhooks h JOIN {COVERED} \
             LEFT JOIN webhook_cursors k ON k.hook_id = h.id AND k.project_id = p.id \
             WHERE p.rev > COALESCE(k.rev, 0) AND COALESCE(k.next_at, 0) <= $1 \
             AND COALESCE(k.lease_until, 0) <= $1 LIMIT 10000"
        );
        let statement = c.statements.get(&mut c.client, &sql)?;
        Ok(c.client.query(&statement, &[&now])?.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn claim_webhook(
        c: &mut Conn,
        hook_id: i64,
        project_id: i64,
        node: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<Claim>> {
        let mut tx = c.client.transaction()?;
        let Ok(hook) = find(&mut tx, hook_id) else { return Ok(None) };
        let Some(project_name) = tx
            .query_opt("SELECT name FROM projects WHERE id = $1", &[&project_id])?
            .map(|r| r.get::<_, String>(0))
        else {
            return Ok(None);
        };
        // A board made after an every-board hook: all of its history is new.
        tx.execute(
            "INSERT INTO webhook_cursors (hook_id, project_id, rev) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
            &[&hook_id, &project_id],
        )?;
        // The row's lock decides between nodes: the second sees the first's lease.
        let held = tx.query_opt(
            "UPDATE webhook_cursors SET lease_by = $3, lease_until = $5 \
             WHERE hook_id = $1 AND project_id = $2 AND lease_until <= $4 AND next_at <= $4 \
             RETURNING rev, attempts",
            &[&hook_id, &project_id, &node, &now, &until],
        )?;
        tx.commit()?;
        Ok(held.map(|r| Claim {
            hook,
            project_name,
            rev: r.get::<_, i64>(0).max(0) as u64,
            attempts: r.get::<_, i32>(1).max(0) as u32,
        }))
    }

    fn webhook_events(c: &mut Conn, project_id: i64, after: u64, limit: u32) -> Result<HookEvents> {
        // One snapshot: the revision and the rows of one state.
        let mut tx = c
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let rev = tx
            .query_opt("SELECT rev FROM projects WHERE id = $1", &[&project_id])?
            .map_or(0, |r| r.get::<_, i64>(0).max(0) as u64);
        let events = tx
            .query(
                "SELECT a.rev, kanban_ts(a.at), a.name, a.data, a.by_user, u.name FROM activity a \
                 LEFT JOIN users u ON u.id = a.by_user \
                 WHERE a.project_id = $1 AND a.rev > $2 ORDER BY a.rev LIMIT $3",
                &[&project_id, &(after as i64), &i64::from(limit)],
            )?
            .iter()
            .map(|r| {
                let by: Option<i64> = r.get(4);
                let name: Option<String> = r.get(5);
                HookEvent {
                    rev: r.get::<_, i64>(0) as u64,
                    at: r.get(1),
                    name: r.get(2),
                    data: r.get(3),
                    by: by.map(|id| (id, name.unwrap_or_default())),
                }
            })
            .collect();
        tx.commit()?;
        Ok(HookEvents { events, rev })
    }

    fn webhook_progress(
        c: &mut Conn,
        hook_id: i64,
        project_id: i64,
        node: &str,
        progress: &Progress,
    ) -> Result<bool> {
        let mut tx = c.client.transaction()?;
        let held = tx.execute(
            "UPDATE webhook_cursors SET rev = $4, attempts = $5, next_at = $6, lease_until = $7 \
             WHERE hook_id = $1 AND project_id = $2 AND lease_by = $3",
            &[
                &hook_id,
                &project_id,
                &node,
                &(progress.rev as i64),
                &(progress.attempts.min(i32::MAX as u32) as i32),
                &progress.next_at,
                &progress.lease_until,
            ],
        )?;
        if held == 0 {
            return Ok(false);
        }
        if !progress.records.is_empty() {
            let insert = tx.prepare(
                "INSERT INTO webhook_deliveries (hook_id, project_id, rev, event, outcome, status, error, attempt, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )?;
            for d in &progress.records {
                tx.execute(
                    &insert,
                    &[
                        &hook_id,
                        &d.project_id,
                        &(d.rev as i64),
                        &d.event,
                        &d.outcome.as_str(),
                        &d.status.map(i32::from),
                        &d.error,
                        &(d.attempt.min(i32::MAX as u32) as i32),
                        &d.at_ms,
                    ],
                )?;
            }
            tx.execute(
                "DELETE FROM webhook_deliveries WHERE hook_id = $1 AND id < (SELECT id FROM webhook_deliveries \
                 WHERE hook_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
                &[&hook_id, &(DELIVERIES_KEPT - 1)],
            )?;
        }
        tx.commit()?;
        Ok(true)
    }
}
