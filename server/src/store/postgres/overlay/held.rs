//! What the batch holds, and the database's rows merged with it: a card or a
//! column from the batch or read once; a list's keys as the database has them,
//! leaving out the items the batch holds, together with those it holds; ids for
//! what the batch makes. A database error met here ends the transaction.

use postgres::Row;
use postgres::types::ToSql;

use super::{Card, Column, Tx, Undo, card_of, column_of};
use crate::board::{List, OpError, TxResult};
use crate::store::postgres::rows::{status_columns, task_columns};

impl Tx<'_> {
    /// Notes a database error: the change fails, and so does the transaction.
    pub(super) fn failed(&mut self, e: postgres::Error) -> OpError {
        let op = OpError::Failed(e.to_string());
        self.broken.get_or_insert(e);
        op
    }

    pub fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> TxResult<Vec<Row>> {
        let result = self.statements.get(&mut self.tx, sql).and_then(|s| self.tx.query(&s, params));
        result.map_err(|e| self.failed(e))
    }

    pub(super) fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> TxResult<Option<Row>> {
        let result = self.statements.get(&mut self.tx, sql).and_then(|s| self.tx.query_opt(&s, params));
        result.map_err(|e| self.failed(e))
    }

    /// The card `id` with its trash state, from the batch or the database.
    pub(super) fn card(&mut self, id: i64) -> TxResult<Option<Card>> {
        if let Some(card) = self.cards.get(&id) {
            return Ok(card.clone());
        }
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            ", deleted_at IS NOT NULL, deleted_by, trashed_with FROM tasks WHERE id = $1"
        );
        let card = self.query_opt(sql, &[&id])?.map(|r| card_of(&r));
        self.cards.insert(id, card.clone());
        Ok(card)
    }

    /// The column `id` with its trash state, from the batch or the database.
    pub(super) fn column(&mut self, id: i64) -> TxResult<Option<Column>> {
        if let Some(column) = self.columns.get(&id) {
            return Ok(column.clone());
        }
        let sql = concat!(
            "SELECT ",
            status_columns!(),
            ", deleted_at IS NOT NULL, deleted_by FROM statuses WHERE id = $1"
        );
        let column = self.query_opt(sql, &[&id])?.map(|r| column_of(&r));
        self.columns.insert(id, column.clone());
        Ok(column)
    }

    /// Holds cards read from the database (a list, or the batch's own names).
    pub fn hold_cards(&mut self, rows: &[Row]) {
        for row in rows {
            let card = card_of(row);
            self.cards.entry(card.task.id).or_insert(Some(card));
        }
    }

    /// Writes a card (journalled).
    pub(super) fn set_card(&mut self, id: i64, card: Card) {
        let before = self.cards.insert(id, Some(card));
        let changed = !self.changed_cards.insert(id);
        self.journal.push(Undo::Card(id, before, changed));
    }

    /// Writes a column (journalled).
    pub(super) fn set_column(&mut self, id: i64, column: Column) {
        let before = self.columns.insert(id, Some(column));
        let changed = !self.changed_columns.insert(id);
        self.journal.push(Undo::Column(id, before, changed));
        self.firsts.clear();
    }

    /// Item `id` now has `key` in `list`: it is the list's last item if it sorts
    /// after the last one known.
    pub(super) fn placed(&mut self, list: List, id: i64, key: &str) {
        if let Some(last) = self.lasts.get_mut(&list) {
            match last {
                Some((k, _)) if key <= k.as_str() => {}
                _ => *last = Some((key.to_string(), id)),
            }
        }
    }

    /// Item `id` (a card, or a column with `columns`) left where it was: a list it
    /// was the last item of is no longer known.
    pub(super) fn left(&mut self, id: i64, columns: bool) {
        self.lasts.retain(|list, last| {
            matches!(list, List::Columns(_)) != columns || last.as_ref().is_none_or(|(_, i)| *i != id)
        });
    }

    /// The items of `list` the batch holds, outside the trash, as (key, id).
    pub(super) fn held(&self, list: List) -> Vec<(String, i64)> {
        match list {
            List::Column(s) => self
                .cards
                .values()
                .flatten()
                .filter(|c| c.trash.is_none() && c.task.status_id == s)
                .map(|c| (c.task.position.clone(), c.task.id))
                .collect(),
            List::Columns(p) => self
                .columns
                .values()
                .flatten()
                .filter(|c| c.trash.is_none() && c.status.project_id == p)
                .map(|c| (c.status.position.clone(), c.status.id))
                .collect(),
            // Items are written to the transaction at once: none is held.
            List::Checklist(_) => Vec::new(),
        }
    }

    /// The ids of the list's kind that the batch holds: the database's rows of them
    /// are left out of list queries (the batch's copy is the one that counts).
    pub(super) fn known(&self, list: List) -> Vec<i64> {
        match list {
            List::Column(_) => self.cards.keys().copied().collect(),
            List::Columns(_) => self.columns.keys().copied().collect(),
            List::Checklist(_) => Vec::new(),
        }
    }

    /// Keys of `list` from the database (leaving out what the batch holds) and
    /// from the batch: `sql` (for cards, columns and items) takes the list, the
    /// known ids, and `extra`.
    pub(super) fn list_keys(
        &mut self,
        list: List,
        sql: (&str, &str, &str),
        extra: &[&(dyn ToSql + Sync)],
    ) -> TxResult<Vec<(String, i64)>> {
        let known = self.known(list);
        let (sql, scope) = match list {
            List::Column(id) => (sql.0, id),
            List::Columns(id) => (sql.1, id),
            List::Checklist(id) => (sql.2, id),
        };
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&scope, &known];
        params.extend_from_slice(extra);
        let mut keys: Vec<(String, i64)> =
            self.query(sql, &params)?.iter().map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1))).collect();
        keys.extend(self.held(list));
        Ok(keys)
    }

    /// A new id for a card or column made in this batch.
    pub(super) fn new_id(&mut self, columns: bool) -> TxResult<i64> {
        let taken = if columns { self.column_ids.pop() } else { self.card_ids.pop() };
        if let Some(id) = taken {
            return Ok(id);
        }
        let table = if columns { "statuses" } else { "tasks" };
        let sql = format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id'))");
        Ok(self.query_opt(&sql, &[])?.ok_or(OpError::Failed("no id".into()))?.get(0))
    }
}

/// The first of `keys` in list order.
pub(super) fn first(mut keys: Vec<(String, i64)>) -> Option<(String, i64)> {
    keys.sort();
    keys.into_iter().next()
}

/// The last of `keys` in list order.
pub(super) fn last(mut keys: Vec<(String, i64)>) -> Option<(String, i64)> {
    keys.sort();
    keys.pop()
}
