//! Where an item goes in its list: an order key between its new neighbours, or,
//! when that key would be too long, fresh short keys for the whole list.

use kanban_protocol::model::Rekeyed;
use kanban_protocol::order;
use rusqlite::{Connection, OptionalExtension};

use crate::store::board::OpError;

/// The list an item is placed in.
#[derive(Debug, Clone, Copy)]
pub enum List {
    /// The cards of a column.
    Column(i64),
    /// The columns of a project.
    Columns(i64),
}

impl List {
    fn table_and_scope(self) -> (&'static str, &'static str, i64) {
        match self {
            List::Column(id) => ("tasks", "status_id", id),
            List::Columns(id) => ("statuses", "project_id", id),
        }
    }
}

/// Where a placed item goes: its key, and the other items of its list that had to
/// take new keys to make room (in the list's order, which is unchanged).
#[derive(Debug, Default)]
pub struct Placement {
    pub position: String,
    pub rekeyed: Vec<Rekeyed>,
}

/// The order key for an item placed right after `after_id` and/or right before
/// `before_id` (at the end when neither is given). `moving` is the item itself when
/// it is already in the list; it does not count as a neighbour. A key longer than
/// [`order::LONGEST`] re-spaces the list instead: the others' new keys are written
/// here (their versions stay: their content did not change), and answered.
pub fn place(
    conn: &Connection,
    list: List,
    before_id: Option<i64>,
    after_id: Option<i64>,
    moving: Option<i64>,
) -> Result<Placement, OpError> {
    let (table, scope, scope_id) = list.table_and_scope();
    let what = if table == "tasks" { "card" } else { "column" };
    let moving = moving.unwrap_or(0);
    let neighbour_sql = format!("SELECT position FROM {table} WHERE id = ? AND {scope} = ?");
    let position_of = |id: i64| -> Result<String, OpError> {
        let found: Option<String> =
            conn.prepare_cached(&neighbour_sql)?.query_row((id, scope_id), |r| r.get(0)).optional()?;
        found.filter(|_| id != moving).ok_or_else(|| {
            OpError::Invalid(format!("{what} {id} is not in that list (or is the one being placed)"))
        })
    };
    let (low, high) = match (after_id, before_id) {
        (Some(a), Some(b)) => {
            let low = position_of(a)?;
            let high = position_of(b)?;
            if low >= high {
                return Err(OpError::Invalid(format!("{what} {a} does not come before {what} {b}")));
            }
            (Some(low), Some(high))
        }
        (Some(a), None) => {
            let low = position_of(a)?;
            let sql =
                format!("SELECT MIN(position) FROM {table} WHERE {scope} = ? AND position > ? AND id != ?");
            let high: Option<String> =
                conn.prepare_cached(&sql)?.query_row((scope_id, &low, moving), |r| r.get(0))?;
            (Some(low), high)
        }
        (None, Some(b)) => {
            let high = position_of(b)?;
            let sql =
                format!("SELECT MAX(position) FROM {table} WHERE {scope} = ? AND position < ? AND id != ?");
            let low: Option<String> =
                conn.prepare_cached(&sql)?.query_row((scope_id, &high, moving), |r| r.get(0))?;
            (low, Some(high))
        }
        (None, None) => {
            let sql = format!("SELECT MAX(position) FROM {table} WHERE {scope} = ? AND id != ?");
            let low: Option<String> =
                conn.prepare_cached(&sql)?.query_row((scope_id, moving), |r| r.get(0))?;
            (low, None)
        }
    };
    let position = order::between(low.as_deref(), high.as_deref());
    if position.len() <= order::LONGEST {
        return Ok(Placement { position, rekeyed: Vec::new() });
    }
    respace(conn, list, low.as_deref(), moving)
}

/// Gives every item of the list a fresh key, with room for the new one right after
/// the item keyed `low` (at the start when `None`); answers the new item's key and
/// the others'.
fn respace(conn: &Connection, list: List, low: Option<&str>, moving: i64) -> Result<Placement, OpError> {
    let (table, scope, scope_id) = list.table_and_scope();
    let sql = format!("SELECT id, position FROM {table} WHERE {scope} = ? AND id != ? ORDER BY position, id");
    let items: Vec<(i64, String)> = conn
        .prepare_cached(&sql)?
        .query_map((scope_id, moving), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let at = low.map_or(0, |low| items.iter().take_while(|(_, p)| p.as_str() <= low).count());
    let mut keys = order::spread(items.len() + 1);
    let position = keys.remove(at);
    let update = format!("UPDATE {table} SET position = ? WHERE id = ?");
    let mut statement = conn.prepare_cached(&update)?;
    let mut rekeyed = Vec::with_capacity(items.len());
    for ((id, _), key) in items.into_iter().zip(keys) {
        statement.execute((&key, id))?;
        rekeyed.push(Rekeyed { id, position: key });
    }
    Ok(Placement { position, rekeyed })
}
