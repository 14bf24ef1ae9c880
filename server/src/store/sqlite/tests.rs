//! The writer's group commit on a real SQLite file: a refused change in a batch
//! leaves no trace and does not disturb the changes around it.

use kanban_protocol::model::Role;
use kanban_protocol::request::{MoveTask, NewTask};

use super::SqliteStore;
use crate::board::{Change, OpError, Write};
use crate::store::{AccessChanges, EventsAfter, Store};

fn create(project_id: i64, title: &str, status_id: Option<i64>) -> Change {
    Change::CreateTask { project_id, new: NewTask { title: title.into(), status_id, ..NewTask::default() } }
}

#[tokio::test]
async fn a_refused_change_in_a_batch_leaves_the_others_committed_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("board.db")).await.unwrap();
    let (ann, _) = store.add_user("ann", "#ff0000").await.unwrap();
    let (vic, _) = store.add_user("vic", "#00ff00").await.unwrap();
    let pid = store.add_project("p", &[(ann.id, Role::Member), (vic.id, Role::Viewer)]).await.unwrap();
    let first_column = store.board(pid, ann.id).await.unwrap().statuses[0].id;

    let batch = vec![
        create(pid, "A", None),
        Change::MoveTask { task_id: 9_999, to: MoveTask { status_id: first_column, ..MoveTask::default() } },
        create(pid, "nowhere", Some(9_999)),
        Change::DeleteStatus { status_id: first_column, move_to: Some(first_column) },
        create(pid, "B", None),
    ];
    let mut writes: Vec<Write> =
        batch.into_iter().map(|change| Write { by: ann.id, change, key: None }).collect();
    writes.push(Write { by: vic.id, change: create(pid, "by a viewer", None), key: None });
    let results = store.apply(writes).await.unwrap();

    let revs: Vec<Option<u64>> = results.iter().map(|r| r.as_ref().ok().map(|c| c.rev)).collect();
    assert_eq!(revs, [Some(1), None, None, None, Some(2), None]);
    assert_eq!(results[1].as_ref().unwrap_err(), &OpError::NotFound("task"));
    assert!(matches!(results[2], Err(OpError::Invalid(_))), "{:?}", results[2]);
    assert!(matches!(results[3], Err(OpError::Invalid(_))), "{:?}", results[3]);
    assert!(matches!(results[5], Err(OpError::Forbidden(_))), "{:?}", results[5]);

    let board = store.board(pid, ann.id).await.unwrap();
    assert_eq!(board.rev, 2);
    let titles: Vec<&str> = board.tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["A", "B"]);
    assert!(board.statuses.iter().any(|s| s.id == first_column), "the refused delete removed the column");
    match store.events_after(pid, ann.id, 0).await.unwrap() {
        EventsAfter::Events { rev, events, .. } => {
            assert_eq!(rev, 2);
            let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(names, ["task-created", "task-created"]);
            assert_eq!(events[1].1, &*results[4].as_ref().unwrap().data, "the log holds the broadcast text");
        }
        EventsAfter::Gone { .. } => panic!("no event is past retention"),
    }
}

/// A file made by an earlier build, whose migrator (sqlx) counted migrations in
/// `_sqlx_migrations`: opening it applies only what it lacks and keeps its data.
#[tokio::test]
async fn a_file_migrated_by_the_earlier_migrator_is_brought_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../../../migrations/0001_identity.sql")).unwrap();
        conn.execute_batch(include_str!("../../../migrations/0002_board.sql")).unwrap();
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
             installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
             checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
             INSERT INTO _sqlx_migrations VALUES (1, 'identity', CURRENT_TIMESTAMP, TRUE, x'00', 1);
             INSERT INTO _sqlx_migrations VALUES (2, 'board', CURRENT_TIMESTAMP, TRUE, x'00', 1);
             INSERT INTO users (name, color) VALUES ('old', '#123456');",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.user_by_name("old").await.unwrap().color, "#123456");
    let pid = store.add_project("p", &[(1, Role::Owner)]).await.unwrap();
    store.revoke(pid, 1).await.unwrap();
    assert_eq!(store.access_changes(0).await.unwrap().projects, [pid], "migration 3 was applied");
    store.close().await;
    // Opened again, nothing is applied twice.
    let again = SqliteStore::open(&path).await.unwrap();
    assert_eq!(again.users().await.unwrap().len(), 1);
}

/// A grant or a role change is an access change that takes nothing away; a grant
/// that changes nothing, and a new project's first members, are none.
#[tokio::test]
async fn grants_are_recorded_as_changes_of_members_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("k.db")).await.unwrap();
    let (ann, _) = store.add_user("ann", "#ff0000").await.unwrap();
    let (bob, _) = store.add_user("bob", "#00ff00").await.unwrap();
    let pid = store.add_project("p", &[(ann.id, Role::Owner)]).await.unwrap();
    assert_eq!(store.access_changes(0).await.unwrap(), AccessChanges::default());
    store.grant(pid, bob.id, Role::Viewer).await.unwrap();
    store.grant(pid, bob.id, Role::Viewer).await.unwrap();
    let changes = store.access_changes(0).await.unwrap();
    assert_eq!((changes.projects.len(), changes.members.as_slice()), (0, [pid].as_slice()));
    store.grant(pid, bob.id, Role::Member).await.unwrap();
    let later = store.access_changes(changes.last).await.unwrap();
    assert_eq!(later.last, changes.last + 1, "the role change, once");
    store.revoke(pid, bob.id).await.unwrap();
    let revoked = store.access_changes(later.last).await.unwrap();
    assert_eq!((revoked.projects, revoked.members), (vec![pid], vec![pid]));
}
