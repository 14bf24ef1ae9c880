//! The batch's transaction as the board core's ([`BoardTx`]): reads answered
//! from what the batch holds or read once, writes kept in memory and journalled.

use kanban_protocol::inbox::Notification;
use kanban_protocol::model::{ChecklistItem, Comment, Role, Status, Task};

use super::held::{first, last};
use super::{Card, Column, Made, Tx};
use crate::board::{BoardTx, Committed, List, NewNotice, NewStatusRow, NewTaskRow, OpError, TxResult};
use crate::store::postgres::rows::{self, comment_columns, item_columns, task_columns};

impl BoardTx for Tx<'_> {
    fn role(&mut self, project_id: i64, user_id: i64) -> TxResult<Option<Role>> {
        if let Some(role) = self.roles.get(&(project_id, user_id)) {
            return Ok(*role);
        }
        // A project being imported is its members-to-be's to change, and nobody's else.
        let sql = "SELECT role FROM members WHERE project_id = $1 AND user_id = $2 \
                   UNION ALL SELECT role FROM import_members WHERE project_id = $1 AND user_id = $2 LIMIT 1";
        let role =
            self.query_opt(sql, &[&project_id, &user_id])?.and_then(|r| r.get::<_, &str>(0).parse().ok());
        self.roles.insert((project_id, user_id), role);
        Ok(role)
    }

    fn archived(&mut self, project_id: i64) -> TxResult<bool> {
        if let Some(archived) = self.archived.get(&project_id) {
            return Ok(*archived);
        }
        let sql = "SELECT archived_at IS NOT NULL FROM projects WHERE id = $1";
        let archived = self.query_opt(sql, &[&project_id])?.is_some_and(|r| r.get(0));
        self.archived.insert(project_id, archived);
        Ok(archived)
    }

    fn task(&mut self, task_id: i64) -> TxResult<Option<Task>> {
        Ok(self.card(task_id)?.filter(|c| c.trash.is_none()).map(|c| c.task))
    }

    fn status(&mut self, status_id: i64) -> TxResult<Option<Status>> {
        Ok(self.column(status_id)?.filter(|c| c.trash.is_none()).map(|c| c.status))
    }

    fn first_status(&mut self, project_id: i64) -> TxResult<Option<i64>> {
        if let Some(first) = self.firsts.get(&project_id) {
            return Ok(*first);
        }
        let keys = self.list_keys(
            List::Columns(project_id),
            (
                "",
                "SELECT position, id FROM statuses WHERE project_id = $1 AND id != ALL($2) AND deleted_at IS NULL \
                 ORDER BY position, id LIMIT 1",
                "",
            ),
            &[],
        )?;
        let found = first(keys).map(|(_, id)| id);
        self.firsts.insert(project_id, found);
        Ok(found)
    }

    fn cards(&mut self, status_id: i64) -> TxResult<Vec<Task>> {
        let known = self.known(List::Column(status_id));
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            ", deleted_at IS NOT NULL, deleted_by, trashed_with FROM tasks \
             WHERE status_id = $1 AND id != ALL($2) AND deleted_at IS NULL"
        );
        let rows = self.query(sql, &[&status_id, &known])?;
        self.hold_cards(&rows);
        let mut cards: Vec<Task> = self
            .cards
            .values()
            .flatten()
            .filter(|c| c.trash.is_none() && c.task.status_id == status_id)
            .map(|c| c.task.clone())
            .collect();
        cards.sort_by(|a, b| (&a.position, a.id).cmp(&(&b.position, b.id)));
        Ok(cards)
    }

    fn key_of(&mut self, list: List, id: i64) -> TxResult<Option<String>> {
        Ok(match list {
            List::Column(s) => self.task(id)?.filter(|t| t.status_id == s).map(|t| t.position),
            List::Columns(p) => self.status(id)?.filter(|c| c.project_id == p).map(|c| c.position),
            List::Checklist(t) => {
                let sql = "SELECT position FROM checklist_items WHERE id = $1 AND task_id = $2";
                self.query_opt(sql, &[&id, &t])?.map(|r| r.get(0))
            }
        })
    }

    // Two from the database: one may be the item placed (`except`), which a
    // checklist's item is not held by the batch to be left out by the query.
    fn key_above(&mut self, list: List, key: &str, except: i64) -> TxResult<Option<String>> {
        let keys = self.list_keys(
            list,
            (
                "SELECT position, id FROM tasks WHERE status_id = $1 AND id != ALL($2) AND position > $3 \
                 AND deleted_at IS NULL ORDER BY position LIMIT 2",
                "SELECT position, id FROM statuses WHERE project_id = $1 AND id != ALL($2) AND position > $3 \
                 AND deleted_at IS NULL ORDER BY position LIMIT 2",
                "SELECT position, id FROM checklist_items WHERE task_id = $1 AND id != ALL($2) AND position > $3 \
                 ORDER BY position LIMIT 2",
            ),
            &[&key],
        )?;
        let above = keys.into_iter().filter(|(k, id)| k.as_str() > key && *id != except).collect();
        Ok(first(above).map(|(k, _)| k))
    }

    fn key_below(&mut self, list: List, key: &str, except: i64) -> TxResult<Option<String>> {
        let keys = self.list_keys(
            list,
            (
                "SELECT position, id FROM tasks WHERE status_id = $1 AND id != ALL($2) AND position < $3 \
                 AND deleted_at IS NULL ORDER BY position DESC LIMIT 2",
                "SELECT position, id FROM statuses WHERE project_id = $1 AND id != ALL($2) AND position < $3 \
                 AND deleted_at IS NULL ORDER BY position DESC LIMIT 2",
                "SELECT position, id FROM checklist_items WHERE task_id = $1 AND id != ALL($2) AND position < $3 \
                 ORDER BY position DESC LIMIT 2",
            ),
            &[&key],
        )?;
        let below = keys.into_iter().filter(|(k, id)| k.as_str() < key && *id != except).collect();
        Ok(last(below).map(|(k, _)| k))
    }

    fn last_key(&mut self, list: List, except: i64) -> TxResult<Option<String>> {
        // Items are not held, so their list's end is not kept either.
        let kept = !matches!(list, List::Checklist(_));
        match self.lasts.get(&list).filter(|_| kept) {
            Some(None) => return Ok(None),
            Some(Some((key, id))) if *id != except => return Ok(Some(key.clone())),
            _ => {}
        }
        // The database's last two (one may be the item placed), with the batch's.
        let keys = self.list_keys(
            list,
            (
                "SELECT position, id FROM tasks WHERE status_id = $1 AND id != ALL($2) AND deleted_at IS NULL \
                 ORDER BY position DESC LIMIT 2",
                "SELECT position, id FROM statuses WHERE project_id = $1 AND id != ALL($2) AND deleted_at IS NULL \
                 ORDER BY position DESC LIMIT 2",
                "SELECT position, id FROM checklist_items WHERE task_id = $1 AND id != ALL($2) \
                 ORDER BY position DESC LIMIT 2",
            ),
            &[],
        )?;
        let mut keys = keys;
        keys.sort();
        if kept {
            self.lasts.insert(list, keys.last().cloned());
        }
        Ok(keys.into_iter().rev().find(|(_, id)| *id != except).map(|(k, _)| k))
    }

    fn keys(&mut self, list: List, except: i64) -> TxResult<Vec<(i64, String)>> {
        let mut keys = self.list_keys(
            list,
            (
                "SELECT position, id FROM tasks WHERE status_id = $1 AND id != ALL($2) AND deleted_at IS NULL",
                "SELECT position, id FROM statuses WHERE project_id = $1 AND id != ALL($2) AND deleted_at IS NULL",
                "SELECT position, id FROM checklist_items WHERE task_id = $1 AND id != ALL($2)",
            ),
            &[],
        )?;
        keys.retain(|(_, id)| *id != except);
        keys.sort();
        Ok(keys.into_iter().map(|(k, id)| (id, k)).collect())
    }

    fn set_key(&mut self, list: List, id: i64, key: &str) -> TxResult<()> {
        // Re-spacing: the list's keys change; versions do not.
        self.lasts.remove(&list);
        match list {
            List::Column(_) => {
                let mut card = self.card(id)?.ok_or(OpError::NotFound("task"))?;
                card.task.position = key.to_string();
                self.set_card(id, card);
            }
            List::Columns(_) => {
                let mut column = self.column(id)?.ok_or(OpError::NotFound("column"))?;
                column.status.position = key.to_string();
                self.set_column(id, column);
            }
            List::Checklist(_) => {
                self.query("UPDATE checklist_items SET position = $1 WHERE id = $2", &[&key, &id])?;
            }
        }
        Ok(())
    }

    fn insert_task(&mut self, row: &NewTaskRow) -> TxResult<Task> {
        let id = self.new_id(false)?;
        let task = Task {
            id,
            project_id: row.project_id,
            status_id: row.status_id,
            title: row.title.clone(),
            description: row.description.clone(),
            assignee_id: row.assignee_id,
            priority: row.priority,
            labels: row.labels.clone(),
            due_date: row.due_date.clone(),
            position: row.position.clone(),
            version: 1,
            created_by: Some(row.by),
            updated_by: Some(row.by),
            created_at: self.now.clone(),
            updated_at: self.now.clone(),
            checklist: Vec::new(),
        };
        self.set_card(id, Card { task: task.clone(), trash: None });
        self.new_cards.push(id);
        self.placed(List::Column(task.status_id), id, &task.position);
        Ok(task)
    }

    fn update_task(&mut self, task: &Task, by: i64) -> TxResult<Task> {
        let mut card = self.card(task.id)?.ok_or(OpError::NotFound("task"))?;
        let t = &mut card.task;
        t.title.clone_from(&task.title);
        t.description.clone_from(&task.description);
        t.assignee_id = task.assignee_id;
        t.priority = task.priority;
        t.labels.clone_from(&task.labels);
        t.due_date.clone_from(&task.due_date);
        t.version += 1;
        t.updated_by = Some(by);
        t.updated_at.clone_from(&self.now);
        let task = card.task.clone();
        self.set_card(task.id, card);
        Ok(task)
    }

    fn place_task(&mut self, task_id: i64, status_id: i64, key: &str, by: i64) -> TxResult<Task> {
        let mut card = self.card(task_id)?.ok_or(OpError::NotFound("task"))?;
        let t = &mut card.task;
        t.status_id = status_id;
        t.position = key.to_string();
        t.version += 1;
        t.updated_by = Some(by);
        t.updated_at.clone_from(&self.now);
        let task = card.task.clone();
        self.set_card(task_id, card);
        self.left(task_id, false);
        self.placed(List::Column(status_id), task_id, key);
        Ok(task)
    }

    fn trash_task(&mut self, task_id: i64, by: i64, with: Option<i64>) -> TxResult<()> {
        let mut card = self.card(task_id)?.ok_or(OpError::NotFound("task"))?;
        card.trash = Some((Some(by), with));
        self.set_card(task_id, card);
        self.left(task_id, false);
        Ok(())
    }

    fn trashed_task(&mut self, task_id: i64) -> TxResult<Option<(Task, Option<i64>)>> {
        Ok(self.card(task_id)?.and_then(|c| c.trash.map(|(_, with)| (c.task, with))))
    }

    fn restore_task(&mut self, task_id: i64, status_id: i64, key: &str, by: i64) -> TxResult<Task> {
        let mut card = self.card(task_id)?.ok_or(OpError::NotFound("task"))?;
        card.trash = None;
        let t = &mut card.task;
        t.status_id = status_id;
        t.position = key.to_string();
        t.version += 1;
        t.updated_by = Some(by);
        t.updated_at.clone_from(&self.now);
        let task = card.task.clone();
        self.set_card(task_id, card);
        self.placed(List::Column(status_id), task_id, key);
        Ok(task)
    }

    fn insert_status(&mut self, row: &NewStatusRow) -> TxResult<Status> {
        let id = self.new_id(true)?;
        let status = Status {
            id,
            project_id: row.project_id,
            name: row.name.clone(),
            color: row.color.clone(),
            position: row.position.clone(),
            wip_limit: row.wip_limit,
            version: 1,
        };
        self.set_column(id, Column { status: status.clone(), trash: None });
        self.new_columns.push(id);
        self.placed(List::Columns(row.project_id), id, &row.position);
        // A new column holds no card.
        self.lasts.insert(List::Column(id), None);
        Ok(status)
    }

    fn update_status(&mut self, status: &Status) -> TxResult<Status> {
        let mut column = self.column(status.id)?.ok_or(OpError::NotFound("column"))?;
        let s = &mut column.status;
        s.name.clone_from(&status.name);
        s.color.clone_from(&status.color);
        s.wip_limit = status.wip_limit;
        s.version += 1;
        let status = column.status.clone();
        self.set_column(status.id, column);
        Ok(status)
    }

    fn place_status(&mut self, status_id: i64, key: &str) -> TxResult<Status> {
        let mut column = self.column(status_id)?.ok_or(OpError::NotFound("column"))?;
        column.status.position = key.to_string();
        column.status.version += 1;
        let status = column.status.clone();
        self.set_column(status_id, column);
        self.left(status_id, true);
        self.placed(List::Columns(status.project_id), status_id, key);
        Ok(status)
    }

    fn trash_status(&mut self, status_id: i64, by: i64) -> TxResult<()> {
        let mut column = self.column(status_id)?.ok_or(OpError::NotFound("column"))?;
        column.trash = Some(Some(by));
        self.set_column(status_id, column);
        self.left(status_id, true);
        Ok(())
    }

    fn trashed_status(&mut self, status_id: i64) -> TxResult<Option<Status>> {
        Ok(self.column(status_id)?.filter(|c| c.trash.is_some()).map(|c| c.status))
    }

    fn restore_status(&mut self, status_id: i64, key: &str) -> TxResult<(Status, Vec<Task>)> {
        let mut column = self.column(status_id)?.ok_or(OpError::NotFound("column"))?;
        column.trash = None;
        column.status.position = key.to_string();
        column.status.version += 1;
        let status = column.status.clone();
        self.set_column(status_id, column);
        self.placed(List::Columns(status.project_id), status_id, key);
        // The cards that went with it come back (their versions stay).
        let known: Vec<i64> = self.cards.keys().copied().collect();
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            ", deleted_at IS NOT NULL, deleted_by, trashed_with FROM tasks WHERE trashed_with = $1 AND id != ALL($2)"
        );
        let rows = self.query(sql, &[&status_id, &known])?;
        self.hold_cards(&rows);
        let with: Vec<i64> = self
            .cards
            .values()
            .flatten()
            .filter(|c| c.trash.is_some_and(|(_, w)| w == Some(status_id)))
            .map(|c| c.task.id)
            .collect();
        let mut cards = Vec::with_capacity(with.len());
        for id in with {
            let mut card = self.card(id)?.expect("held above");
            card.trash = None;
            cards.push(card.task.clone());
            self.set_card(id, card);
        }
        cards.sort_by(|a, b| (&a.position, a.id).cmp(&(&b.position, b.id)));
        self.lasts.remove(&List::Column(status_id));
        Ok((status, cards))
    }

    // Comments are written to the transaction at once, not held: a change that
    // writes one does so last, after every check, so nothing of it is undone after.

    fn comment(&mut self, comment_id: i64) -> TxResult<Option<Comment>> {
        let sql = concat!("SELECT ", comment_columns!(), " FROM comments WHERE comments.id = $1");
        let Some(row) = self.query_opt(sql, &[&comment_id])? else { return Ok(None) };
        let comment = rows::comment(&row);
        // Its card as this batch sees it: not in the trash.
        Ok(self.task(comment.task_id)?.map(|_| comment))
    }

    fn insert_comment(&mut self, task: &Task, by: i64, body: &str) -> TxResult<Comment> {
        let sql = concat!(
            "INSERT INTO comments (task_id, project_id, author_id, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5::text::timestamptz, $5::text::timestamptz) RETURNING ",
            comment_columns!()
        );
        let now = self.now.clone();
        let row = self.query_opt(sql, &[&task.id, &task.project_id, &by, &body, &now])?;
        Ok(rows::comment(&row.ok_or(OpError::NotFound("task"))?))
    }

    fn update_comment(&mut self, comment_id: i64, body: &str, by: i64) -> TxResult<Comment> {
        // Its author's own edit says nothing more; anyone else's is named.
        let sql = concat!(
            "UPDATE comments SET body = $1, updated_at = $2::text::timestamptz, \
             edited_by = CASE WHEN author_id IS NOT DISTINCT FROM $4 THEN edited_by ELSE $4 END \
             WHERE id = $3 RETURNING ",
            comment_columns!()
        );
        let now = self.now.clone();
        let row = self.query_opt(sql, &[&body, &now, &comment_id, &by])?;
        Ok(rows::comment(&row.ok_or(OpError::NotFound("comment"))?))
    }

    fn delete_comment(&mut self, comment_id: i64) -> TxResult<()> {
        self.query("DELETE FROM comments WHERE id = $1", &[&comment_id])?;
        Ok(())
    }

    fn comment_count(&mut self, task_id: i64) -> TxResult<u32> {
        let row = self.query_opt("SELECT count(*) FROM comments WHERE task_id = $1", &[&task_id])?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0) as u32))
    }

    // Items too are written to the transaction at once: a change re-keys or
    // writes one only after every check.

    fn checklist(&mut self, task_id: i64) -> TxResult<Vec<ChecklistItem>> {
        let sql = concat!(
            "SELECT ",
            item_columns!(),
            " FROM checklist_items WHERE task_id = $1 ORDER BY position, id"
        );
        Ok(self.query(sql, &[&task_id])?.iter().map(rows::item).collect())
    }

    fn item(&mut self, item_id: i64) -> TxResult<Option<ChecklistItem>> {
        let sql = concat!("SELECT ", item_columns!(), " FROM checklist_items WHERE id = $1");
        let Some(row) = self.query_opt(sql, &[&item_id])? else { return Ok(None) };
        let item = rows::item(&row);
        // Its card as this batch sees it: not in the trash.
        Ok(self.task(item.task_id)?.map(|_| item))
    }

    fn insert_item(&mut self, task_id: i64, text: &str, done: bool, key: &str) -> TxResult<ChecklistItem> {
        // The card may be one this batch made (not written yet): its project is
        // the batch's to say.
        let project_id = self.task(task_id)?.ok_or(OpError::NotFound("task"))?.project_id;
        let sql = concat!(
            "INSERT INTO checklist_items (task_id, project_id, text, done, position) \
             VALUES ($1, $2, $3, $4, $5) RETURNING ",
            item_columns!()
        );
        let row = self.query_opt(sql, &[&task_id, &project_id, &text, &done, &key])?;
        Ok(rows::item(&row.ok_or(OpError::NotFound("task"))?))
    }

    fn update_item(&mut self, item_id: i64, text: &str, done: bool) -> TxResult<ChecklistItem> {
        let sql = concat!(
            "UPDATE checklist_items SET text = $1, done = $2, version = version + 1 WHERE id = $3 RETURNING ",
            item_columns!()
        );
        let row = self.query_opt(sql, &[&text, &done, &item_id])?;
        Ok(rows::item(&row.ok_or(OpError::NotFound("checklist item"))?))
    }

    fn place_item(&mut self, item_id: i64, key: &str) -> TxResult<ChecklistItem> {
        let sql = concat!(
            "UPDATE checklist_items SET position = $1, version = version + 1 WHERE id = $2 RETURNING ",
            item_columns!()
        );
        let row = self.query_opt(sql, &[&key, &item_id])?;
        Ok(rows::item(&row.ok_or(OpError::NotFound("checklist item"))?))
    }

    fn delete_item(&mut self, item_id: i64) -> TxResult<()> {
        self.query("DELETE FROM checklist_items WHERE id = $1", &[&item_id])?;
        Ok(())
    }

    // Watches and notifications are written to the transaction at once: a change
    // makes them last, after its event, once nothing can refuse it.

    fn project_name(&mut self, project_id: i64) -> TxResult<String> {
        let row = self.query_opt("SELECT name FROM projects WHERE id = $1", &[&project_id])?;
        Ok(row.ok_or(OpError::NotFound("project"))?.get(0))
    }

    fn member_names(&mut self, project_id: i64) -> TxResult<Vec<(i64, String)>> {
        let sql =
            "SELECT u.id, u.name FROM members m JOIN users u ON u.id = m.user_id WHERE m.project_id = $1";
        Ok(self.query(sql, &[&project_id])?.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn watch(&mut self, task_id: i64, user_id: i64) -> TxResult<()> {
        let sql = "INSERT INTO watchers (task_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        self.query(sql, &[&task_id, &user_id])?;
        Ok(())
    }

    fn watchers(&mut self, task_id: i64, project_id: i64) -> TxResult<Vec<i64>> {
        let sql = "SELECT w.user_id FROM watchers w \
                   JOIN members m ON m.project_id = $2 AND m.user_id = w.user_id WHERE w.task_id = $1";
        Ok(self.query(sql, &[&task_id, &project_id])?.iter().map(|r| r.get(0)).collect())
    }

    fn notify(&mut self, notice: &NewNotice<'_>, users: &[i64]) -> TxResult<Vec<(i64, Notification)>> {
        // One statement for all of them: a card with thousands of watchers costs
        // one round trip.
        let sql = "INSERT INTO notifications (user_id, project_id, task_id, kind, by_user, at, what) \
                   SELECT u, $2, $3, $4, $5, $6::text::timestamptz, $7 FROM unnest($1::bigint[]) AS u \
                   RETURNING user_id, id, kanban_ts(at)";
        let now = self.now.clone();
        let rows = self.query(
            sql,
            &[&users, &notice.project_id, &notice.task_id, &notice.kind, &notice.by, &now, &notice.what],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), crate::inbox::kept(notice, r.get(1), r.get(2)))).collect())
    }

    fn next_rev(&mut self, project_id: i64) -> TxResult<u64> {
        let rev = match self.revs.get(&project_id) {
            Some(rev) => rev + 1,
            None => {
                // Not named by the batch (the core came to it along the way): locked now.
                let row =
                    self.query_opt("SELECT rev FROM projects WHERE id = $1 FOR UPDATE", &[&project_id])?;
                row.ok_or(OpError::NotFound("project"))?.get::<_, i64>(0) as u64 + 1
            }
        };
        self.revs.insert(project_id, rev);
        Ok(rev)
    }

    fn log_event(&mut self, project_id: i64, rev: u64, name: &str, data: &str) -> TxResult<()> {
        let name = kanban_protocol::model::events::ALL
            .into_iter()
            .find(|n| *n == name)
            .ok_or_else(|| OpError::Failed(format!("{name:?} is not an event")))?;
        self.events.push((project_id, rev as i64, name, data.to_string()));
        Ok(())
    }

    fn applied(&mut self, user_id: i64, key: &str) -> TxResult<Option<Made>> {
        // A key used earlier in this very batch.
        if let Some(k) = self.keys.iter().find(|k| k.0 == user_id && k.1 == key) {
            return Ok(Some((k.2, k.3 as u64, k.4.to_string(), k.5.clone())));
        }
        if let Some(found) = self.applied.get(&(user_id, key.to_string())) {
            return Ok(found.clone());
        }
        let sql = "SELECT project_id, rev, name, data FROM applied_requests WHERE user_id = $1 AND key = $2";
        let row = self.query_opt(sql, &[&user_id, &key])?;
        Ok(row.map(|r| (r.get(0), r.get::<_, i64>(1) as u64, r.get(2), r.get(3))))
    }

    fn remember(&mut self, user_id: i64, key: &str, committed: &Committed) -> TxResult<()> {
        let data = committed.data.to_string();
        self.keys.push((
            user_id,
            key.to_string(),
            committed.project_id,
            committed.rev as i64,
            committed.event,
            data,
        ));
        Ok(())
    }
}
