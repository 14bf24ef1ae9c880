//! Reading a board on PostgreSQL: the snapshot a client starts from, the events
//! since a revision, the members, the trash. Each runs in one read-only
//! REPEATABLE READ transaction, so that it sees one committed state.

use kanban_protocol::model::{Board, Comment, Member, Project, Role, Trash, TrashedStatus, TrashedTask};
use postgres::{GenericClient, IsolationLevel, Transaction};

use super::pool::{Conn, Statements};
use super::rows::{
    self, STATUS_COLUMNS, TASK_COLUMNS, comment_columns, item_columns, status_columns, task_columns,
};
use crate::store::sql::ReadSql;
use crate::store::{EventsAfter, Logged, Result, StoreError};

/// A snapshot transaction on `conn`, with its statement cache.
fn snapshot(conn: &mut Conn) -> Result<(Transaction<'_>, &mut Statements)> {
    let tx = conn
        .client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    Ok((tx, &mut conn.statements))
}

/// The project's name, revision and whether it is archived; `NotFound` when
/// there is none.
fn project(
    c: &mut impl GenericClient,
    statements: &mut Statements,
    project_id: i64,
) -> Result<(String, i64, bool)> {
    let statement =
        statements.get(c, "SELECT name, rev, archived_at IS NOT NULL FROM projects WHERE id = $1")?;
    let row = c.query_opt(&statement, &[&project_id])?.ok_or(StoreError::NotFound("project"))?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

fn members_in(
    c: &mut impl GenericClient,
    statements: &mut Statements,
    project_id: i64,
) -> Result<Vec<Member>> {
    let sql = "SELECT users.id, users.name, users.color, members.role FROM members \
               JOIN users ON users.id = members.user_id WHERE members.project_id = $1 ORDER BY users.name";
    let statement = statements.get(c, sql)?;
    c.query(&statement, &[&project_id])?
        .iter()
        .map(|r| Ok(Member { id: r.get(0), name: r.get(1), color: r.get(2), role: rows::role(r.get(3))? }))
        .collect()
}

impl ReadSql for Conn {
    /// A project's members, by name.
    fn members(conn: &mut Conn, project_id: i64) -> Result<Vec<Member>> {
        members_in(&mut conn.client, &mut conn.statements, project_id)
    }

    fn board(conn: &mut Conn, project_id: i64, role: Role) -> Result<Board> {
        let (mut tx, statements) = snapshot(conn)?;
        let (name, rev, archived) = project(&mut tx, statements, project_id)?;
        let sql = concat!(
            "SELECT ",
            status_columns!(),
            " FROM statuses WHERE project_id = $1 AND deleted_at IS NULL ORDER BY position, id"
        );
        let statement = statements.get(&mut tx, sql)?;
        let statuses = tx.query(&statement, &[&project_id])?.iter().map(rows::status).collect();
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE project_id = $1 AND deleted_at IS NULL ORDER BY status_id, position, id"
        );
        let statement = statements.get(&mut tx, sql)?;
        let mut tasks: Vec<_> = tx.query(&statement, &[&project_id])?.iter().map(rows::task).collect();
        let sql = concat!(
            "SELECT ",
            item_columns!(),
            " FROM checklist_items JOIN tasks ON tasks.id = checklist_items.task_id \
             WHERE checklist_items.project_id = $1 AND tasks.deleted_at IS NULL \
             ORDER BY checklist_items.task_id, checklist_items.position, checklist_items.id"
        );
        let statement = statements.get(&mut tx, sql)?;
        let items = tx.query(&statement, &[&project_id])?.iter().map(rows::item).collect();
        crate::store::hand_out(&mut tasks, items);
        let members = members_in(&mut tx, statements, project_id)?;
        let sql = "SELECT comments.task_id, count(*) FROM comments JOIN tasks ON tasks.id = comments.task_id \
                   WHERE comments.project_id = $1 AND tasks.deleted_at IS NULL GROUP BY comments.task_id";
        let statement = statements.get(&mut tx, sql)?;
        let comments = tx
            .query(&statement, &[&project_id])?
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as u32))
            .collect();
        tx.commit()?;
        let project = Project { id: project_id, name, role, archived };
        Ok(Board { project, rev: rev as u64, epoch: 0, statuses, tasks, members, comments })
    }

    fn card_project(conn: &mut Conn, task_id: i64) -> Result<Option<(i64, bool)>> {
        let sql = "SELECT project_id, deleted_at IS NOT NULL FROM tasks WHERE id = $1";
        let statement = conn.statements.get(&mut conn.client, sql)?;
        Ok(conn.client.query_opt(&statement, &[&task_id])?.map(|r| (r.get(0), r.get(1))))
    }

    fn comments(conn: &mut Conn, task_id: i64) -> Result<Vec<Comment>> {
        let sql = concat!("SELECT ", comment_columns!(), " FROM comments WHERE task_id = $1 ORDER BY id");
        let statement = conn.statements.get(&mut conn.client, sql)?;
        Ok(conn.client.query(&statement, &[&task_id])?.iter().map(rows::comment).collect())
    }

    fn events_after(conn: &mut Conn, project_id: i64, after: u64) -> Result<EventsAfter> {
        let (mut tx, statements) = snapshot(conn)?;
        let (_, rev, _) = project(&mut tx, statements, project_id)?;
        let rev = rev as u64;
        let members = members_in(&mut tx, statements, project_id)?;
        if after == rev {
            return Ok(EventsAfter::Events { rev, events: Vec::new(), members });
        }
        // Past the board's revision: whoever asks holds a board that is no more.
        if after > rev {
            return Ok(EventsAfter::Gone { rev });
        }
        let statement = statements.get(&mut tx, "SELECT MIN(rev) FROM events WHERE project_id = $1")?;
        let oldest: Option<i64> = tx.query_one(&statement, &[&project_id])?.get(0);
        if oldest.is_none_or(|o| o as u64 > after + 1) {
            return Ok(EventsAfter::Gone { rev });
        }
        let sql = "SELECT name, data FROM events WHERE project_id = $1 AND rev > $2 ORDER BY rev";
        let statement = statements.get(&mut tx, sql)?;
        let events = tx
            .query(&statement, &[&project_id, &(after as i64)])?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        tx.commit()?;
        Ok(EventsAfter::Events { rev, events, members })
    }

    /// What a member may restore: cards deleted on their own, and columns (with the
    /// count of cards deleted with them), newest first, the newest 500 of each.
    fn trash(conn: &mut Conn, project_id: i64) -> Result<Trash> {
        let (mut tx, statements) = snapshot(conn)?;
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            ", kanban_ts(deleted_at), deleted_by FROM tasks WHERE project_id = $1 AND deleted_at IS NOT NULL \
             AND trashed_with IS NULL ORDER BY deleted_at DESC, id LIMIT 500"
        );
        let statement = statements.get(&mut tx, sql)?;
        let tasks = tx
            .query(&statement, &[&project_id])?
            .iter()
            .map(|r| TrashedTask {
                task: rows::task(r),
                deleted_at: r.get(TASK_COLUMNS),
                deleted_by: r.get(TASK_COLUMNS + 1),
            })
            .collect();
        let sql = concat!(
            "SELECT ",
            status_columns!(),
            ", kanban_ts(deleted_at), deleted_by, (SELECT COUNT(*) FROM tasks WHERE trashed_with = statuses.id) \
             FROM statuses WHERE project_id = $1 AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, id LIMIT 500"
        );
        let statement = statements.get(&mut tx, sql)?;
        let statuses = tx
            .query(&statement, &[&project_id])?
            .iter()
            .map(|r| TrashedStatus {
                status: rows::status(r),
                deleted_at: r.get(STATUS_COLUMNS),
                deleted_by: r.get(STATUS_COLUMNS + 1),
                cards: r.get::<_, i64>(STATUS_COLUMNS + 2) as u64,
            })
            .collect();
        tx.commit()?;
        Ok(Trash { tasks, statuses })
    }

    /// A project's logged events after `after`, oldest first; `None` when the oldest
    /// of them is no longer kept.
    fn log_after(conn: &mut Conn, project_id: i64, after: u64) -> Result<Option<Vec<(String, String)>>> {
        let (mut tx, statements) = snapshot(conn)?;
        let statement = statements.get(&mut tx, "SELECT MIN(rev) FROM events WHERE project_id = $1")?;
        let oldest: Option<i64> = tx.query_one(&statement, &[&project_id])?.get(0);
        let sql = "SELECT name, data FROM events WHERE project_id = $1 AND rev > $2 ORDER BY rev";
        let statement = statements.get(&mut tx, sql)?;
        let events: Vec<(String, String)> = tx
            .query(&statement, &[&project_id, &(after as i64)])?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        tx.commit()?;
        if !events.is_empty() && oldest.is_none_or(|o| o as u64 > after + 1) {
            return Ok(None);
        }
        Ok(Some(events))
    }

    fn activity(
        conn: &mut Conn,
        project_id: i64,
        task_id: Option<i64>,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Logged>> {
        let (mut tx, statements) = snapshot(conn)?;
        let before = before.map_or(i64::MAX, |b| b as i64);
        let limit = i64::from(limit);
        let rows = match task_id {
            Some(task) => {
                let sql = "SELECT rev, by_user, kanban_ts(at), name, data, task_id FROM activity \
                           WHERE task_id = $1 AND rev < $2 ORDER BY rev DESC LIMIT $3";
                let statement = statements.get(&mut tx, sql)?;
                tx.query(&statement, &[&task, &before, &limit])?
            }
            None => {
                let sql = "SELECT rev, by_user, kanban_ts(at), name, data, task_id FROM activity \
                           WHERE project_id = $1 AND rev < $2 ORDER BY rev DESC LIMIT $3";
                let statement = statements.get(&mut tx, sql)?;
                tx.query(&statement, &[&project_id, &before, &limit])?
            }
        };
        let logged = rows
            .iter()
            .map(|r| Logged {
                rev: r.get::<_, i64>(0) as u64,
                by: r.get(1),
                at: r.get(2),
                name: r.get(3),
                data: r.get(4),
                task_id: r.get(5),
            })
            .collect();
        tx.commit()?;
        Ok(logged)
    }
}
