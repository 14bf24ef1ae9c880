//! Webhooks on SQLite: the hooks, their cursors in each board's history, and
//! what became of recent deliveries.

use rusqlite::{Connection, OptionalExtension};

use crate::store::sql::WebhookSql;
use crate::store::webhook::{
    Claim, DELIVERIES_KEPT, Delivery, Hook, HookEvent, HookEvents, HookStatus, Outcome, Progress,
};
use crate::store::{Result, StoreError};

/// A hook's columns, in the order [`hook`] reads them.
const HOOK: &str = "h.id, h.url, h.project_id, p.name, h.events, h.secret, h.created_at";

fn hook(r: &rusqlite::Row<'_>) -> rusqlite::Result<Hook> {
    let project_id: Option<i64> = r.get(2)?;
    let name: Option<String> = r.get(3)?;
    let events: Option<String> = r.get(4)?;
    Ok(Hook {
        id: r.get(0)?,
        url: r.get(1)?,
        project: project_id.zip(name),
        events: events.map(|e| e.split(',').map(str::to_string).collect()),
        secret: r.get(5)?,
        created: r.get(6)?,
    })
}

/// A delivery's columns, in the order [`delivery`] reads them.
const DELIVERY: &str = "project_id, rev, event, outcome, status, error, attempt, at";

fn delivery(r: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    let outcome: String = r.get(3)?;
    Ok(Delivery {
        project_id: r.get(0)?,
        rev: r.get(1)?,
        event: r.get(2)?,
        outcome: Outcome::parse(&outcome),
        status: r.get(4)?,
        error: r.get(5)?,
        attempt: r.get(6)?,
        at_ms: r.get(7)?,
    })
}

/// The boards a hook covers (`h`), each as `p`: its own, or every board that is
/// not an import under way.
const COVERED: &str = "projects p ON (h.project_id IS NULL OR p.id = h.project_id) \
                       AND NOT EXISTS (SELECT 1 FROM imports i WHERE i.project_id = p.id)";

fn find(c: &Connection, id: i64) -> Result<Hook> {
    let sql =
        format!("SELECT {HOOK} FROM webhooks h LEFT JOIN projects p ON p.id = h.project_id WHERE h.id = ?");
    c.prepare_cached(&sql)?.query_row([id], hook).optional()?.ok_or(StoreError::NotFound("webhook"))
}

impl WebhookSql for Connection {
    fn add_webhook(
        c: &mut Connection,
        url: &str,
        project_id: Option<i64>,
        events: Option<&[String]>,
        secret: &str,
    ) -> Result<Hook> {
        let tx = c.transaction()?;
        let id: i64 = tx.query_row(
            "INSERT INTO webhooks (url, project_id, events, secret) VALUES (?, ?, ?, ?) RETURNING id",
            (url, project_id, events.map(|e| e.join(",")), secret),
            |r| r.get(0),
        )?;
        tx.execute(
            &format!(
                "INSERT INTO webhook_cursors (hook_id, project_id, rev) \
                 SELECT h.id, p.id, p.rev FROM webhooks h JOIN {COVERED} WHERE h.id = ?"
            ),
            [id],
        )?;
        let made = find(&tx, id)?;
        tx.commit()?;
        Ok(made)
    }

    fn webhooks(c: &mut Connection) -> Result<Vec<HookStatus>> {
        let tx = c.transaction()?;
        let sql = format!(
            "SELECT {HOOK}, \
             (SELECT COALESCE(SUM(p.rev - COALESCE(k.rev, 0)), 0) FROM webhooks hh JOIN {COVERED_HH} \
              LEFT JOIN webhook_cursors k ON k.hook_id = hh.id AND k.project_id = p.id \
              WHERE hh.id = h.id AND p.rev > COALESCE(k.rev, 0)), \
             (SELECT count(*) FROM webhook_deliveries d WHERE d.hook_id = h.id AND d.outcome = 'failed') \
             FROM webhooks h LEFT JOIN projects p ON p.id = h.project_id ORDER BY h.id",
            COVERED_HH = COVERED.replace("h.project_id", "hh.project_id"),
        );
        let mut hooks = Vec::new();
        {
            let mut stmt = tx.prepare_cached(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                hooks.push(HookStatus { hook: hook(r)?, waiting: r.get(7)?, failed: r.get(8)?, last: None });
            }
            let sql = format!(
                "SELECT {DELIVERY} FROM webhook_deliveries WHERE hook_id = ? ORDER BY id DESC LIMIT 1"
            );
            let mut last = tx.prepare_cached(&sql)?;
            for status in &mut hooks {
                status.last = last.query_row([status.hook.id], delivery).optional()?;
            }
        }
        tx.commit()?;
        Ok(hooks)
    }

    fn webhook(c: &mut Connection, id: i64) -> Result<Hook> {
        find(c, id)
    }

    fn remove_webhook(c: &mut Connection, id: i64) -> Result<()> {
        match c.execute("DELETE FROM webhooks WHERE id = ?", [id])? {
            0 => Err(StoreError::NotFound("webhook")),
            _ => Ok(()),
        }
    }

    fn webhook_deliveries(c: &mut Connection, id: i64, limit: u32) -> Result<Vec<Delivery>> {
        find(c, id)?;
        let sql =
            format!("SELECT {DELIVERY} FROM webhook_deliveries WHERE hook_id = ? ORDER BY id DESC LIMIT ?");
        let mut stmt = c.prepare_cached(&sql)?;
        let rows = stmt.query_map((id, limit), delivery)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn due_webhooks(c: &mut Connection, now: i64) -> Result<Vec<(i64, i64)>> {
        let sql = format!(
            "SELECT h.id, p.id FROM webhooks h JOIN {COVERED} \
             LEFT JOIN webhook_cursors k ON k.hook_id = h.id AND k.project_id = p.id \
             WHERE p.rev > COALESCE(k.rev, 0) AND COALESCE(k.next_at, 0) <= ?1 \
             AND COALESCE(k.lease_until, 0) <= ?1 LIMIT 10000"
        );
        let mut stmt = c.prepare_cached(&sql)?;
        let rows = stmt.query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn claim_webhook(
        c: &mut Connection,
        hook_id: i64,
        project_id: i64,
        node: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<Claim>> {
        let tx = c.transaction()?;
        let Ok(hook) = find(&tx, hook_id) else { return Ok(None) };
        let Some(project_name) = tx
            .prepare_cached("SELECT name FROM projects WHERE id = ?")?
            .query_row([project_id], |r| r.get::<_, String>(0))
            .optional()?
        else {
            return Ok(None);
        };
        // A board made after an every-board hook: all of its history is new.
        tx.prepare_cached(
            "INSERT INTO webhook_cursors (hook_id, project_id, rev) VALUES (?, ?, 0) ON CONFLICT DO NOTHING",
        )?
        .execute((hook_id, project_id))?;
        let held = tx
            .prepare_cached(
                "UPDATE webhook_cursors SET lease_by = ?3, lease_until = ?5 \
                 WHERE hook_id = ?1 AND project_id = ?2 AND lease_until <= ?4 AND next_at <= ?4 \
                 RETURNING rev, attempts",
            )?
            .query_row((hook_id, project_id, node, now, until), |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        tx.commit()?;
        Ok(held.map(|(rev, attempts)| Claim { hook, project_name, rev, attempts }))
    }

    fn webhook_events(c: &mut Connection, project_id: i64, after: u64, limit: u32) -> Result<HookEvents> {
        // One read transaction: the revision and the rows of one state.
        let tx = c.transaction()?;
        let rev: u64 = tx
            .prepare_cached("SELECT rev FROM projects WHERE id = ?")?
            .query_row([project_id], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        let mut events = Vec::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT a.rev, a.at, a.name, a.data, a.by_user, u.name FROM activity a \
                 LEFT JOIN users u ON u.id = a.by_user \
                 WHERE a.project_id = ? AND a.rev > ? ORDER BY a.rev LIMIT ?",
            )?;
            let mut rows = stmt.query((project_id, after, limit))?;
            while let Some(r) = rows.next()? {
                let by: Option<i64> = r.get(4)?;
                let name: Option<String> = r.get(5)?;
                events.push(HookEvent {
                    rev: r.get(0)?,
                    at: r.get(1)?,
                    name: r.get(2)?,
                    data: r.get(3)?,
                    by: by.map(|id| (id, name.unwrap_or_default())),
                });
            }
        }
        tx.commit()?;
        Ok(HookEvents { events, rev })
    }

    fn webhook_progress(
        c: &mut Connection,
        hook_id: i64,
        project_id: i64,
        node: &str,
        progress: &Progress,
    ) -> Result<bool> {
        let tx = c.transaction()?;
        let held = tx
            .prepare_cached(
                "UPDATE webhook_cursors SET rev = ?4, attempts = ?5, next_at = ?6, lease_until = ?7 \
                 WHERE hook_id = ?1 AND project_id = ?2 AND lease_by = ?3",
            )?
            .execute((
                hook_id,
                project_id,
                node,
                progress.rev,
                progress.attempts,
                progress.next_at,
                progress.lease_until,
            ))?;
        if held == 0 {
            return Ok(false);
        }
        if !progress.records.is_empty() {
            let mut insert = tx.prepare_cached(
                "INSERT INTO webhook_deliveries (hook_id, project_id, rev, event, outcome, status, error, attempt, at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )?;
            for d in &progress.records {
                insert.execute((
                    hook_id,
                    d.project_id,
                    d.rev,
                    &d.event,
                    d.outcome.as_str(),
                    d.status,
                    &d.error,
                    d.attempt,
                    d.at_ms,
                ))?;
            }
            tx.prepare_cached(
                "DELETE FROM webhook_deliveries WHERE hook_id = ?1 AND id < (SELECT id FROM webhook_deliveries \
                 WHERE hook_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
            )?
            .execute((hook_id, DELIVERIES_KEPT - 1))?;
        }
        tx.commit()?;
        Ok(true)
    }
}
