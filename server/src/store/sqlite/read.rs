//! Reading a board: the snapshot a client starts from, and the events since a
//! revision. Each runs in one read transaction, so it sees one committed state.

use kanban_protocol::model::{Board, Member, Project, Role};
use sqlx::{Row, SqlitePool};

use super::rows::{self, STATUS_COLUMNS, TASK_COLUMNS};
use crate::store::{EventsAfter, Result, StoreError};

pub async fn board(pool: &SqlitePool, project_id: i64, user_id: i64) -> Result<Board> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT projects.name, projects.rev, members.role FROM projects \
         JOIN members ON members.project_id = projects.id AND members.user_id = ? WHERE projects.id = ?",
    )
    .bind(user_id)
    .bind(project_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("project"))?;
    let role: Role = row.get::<&str, _>("role").parse().map_err(StoreError::Invalid)?;
    let project = Project { id: project_id, name: row.get("name"), role };
    let rev: i64 = row.get("rev");
    let sql = format!("SELECT {STATUS_COLUMNS} FROM statuses WHERE project_id = ? ORDER BY position, id");
    let statuses =
        sqlx::query(&sql).bind(project_id).fetch_all(&mut *tx).await?.iter().map(rows::status).collect();
    let sql =
        format!("SELECT {TASK_COLUMNS} FROM tasks WHERE project_id = ? ORDER BY status_id, position, id");
    let tasks =
        sqlx::query(&sql).bind(project_id).fetch_all(&mut *tx).await?.iter().map(rows::task).collect();
    let members = sqlx::query(
        "SELECT users.id, users.name, users.color, members.role FROM members \
         JOIN users ON users.id = members.user_id WHERE members.project_id = ? ORDER BY users.name",
    )
    .bind(project_id)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| {
        Ok(Member {
            id: r.get("id"),
            name: r.get("name"),
            color: r.get("color"),
            role: r.get::<&str, _>("role").parse().map_err(StoreError::Invalid)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    tx.commit().await?;
    Ok(Board { project, rev: rev as u64, statuses, tasks, members })
}

pub async fn events_after(
    pool: &SqlitePool,
    project_id: i64,
    user_id: i64,
    after: u64,
) -> Result<EventsAfter> {
    let mut tx = pool.begin().await?;
    let rev: i64 = sqlx::query_scalar(
        "SELECT projects.rev FROM projects JOIN members ON members.project_id = projects.id \
         AND members.user_id = ? WHERE projects.id = ?",
    )
    .bind(user_id)
    .bind(project_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound("project"))?;
    let rev = rev as u64;
    if after >= rev {
        return Ok(EventsAfter::Events { rev, events: Vec::new() });
    }
    let oldest: Option<i64> = sqlx::query_scalar("SELECT MIN(rev) FROM events WHERE project_id = ?")
        .bind(project_id)
        .fetch_one(&mut *tx)
        .await?;
    if oldest.is_none_or(|o| o as u64 > after + 1) {
        return Ok(EventsAfter::Gone { rev });
    }
    let events = sqlx::query("SELECT name, data FROM events WHERE project_id = ? AND rev > ? ORDER BY rev")
        .bind(project_id)
        .bind(after as i64)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| (r.get::<String, _>("name"), r.get::<String, _>("data")))
        .collect();
    tx.commit().await?;
    Ok(EventsAfter::Events { rev, events })
}
