//! Where an item goes in its list: an order key between its new neighbours.

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

/// The order key for an item placed right after `after_id` and/or right before
/// `before_id` (at the end when neither is given). `moving` is the item itself when
/// it is already in the list; it does not count as a neighbour.
pub fn place(
    conn: &Connection,
    list: List,
    before_id: Option<i64>,
    after_id: Option<i64>,
    moving: Option<i64>,
) -> Result<String, OpError> {
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
    Ok(order::between(low.as_deref(), high.as_deref()))
}
