//! The writer's group commit on a real SQLite file: a refused change in a batch
//! leaves no trace and does not disturb the changes around it.

use kanban_protocol::model::Role;
use kanban_protocol::request::{MoveTask, NewTask};

use super::SqliteStore;
use crate::store::board::{Change, OpError, Write};
use crate::store::{EventsAfter, Store};

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
        Change::DeleteStatus { status_id: first_column, move_to: None },
        create(pid, "B", None),
    ];
    let mut writes: Vec<Write> = batch.into_iter().map(|change| Write { by: ann.id, change }).collect();
    writes.push(Write { by: vic.id, change: create(pid, "by a viewer", None) });
    let results = store.apply(writes).await.unwrap();

    let revs: Vec<Option<u64>> = results.iter().map(|r| r.as_ref().ok().map(|c| c.rev)).collect();
    assert_eq!(revs, [Some(1), None, None, None, Some(2), None]);
    assert_eq!(results[1].as_ref().unwrap_err(), &OpError::NotFound("task"));
    assert!(matches!(results[2], Err(OpError::Invalid(_))), "{:?}", results[2]);
    assert!(matches!(results[3], Err(OpError::Conflict { .. })), "{:?}", results[3]);
    assert!(matches!(results[5], Err(OpError::Forbidden(_))), "{:?}", results[5]);

    let board = store.board(pid, ann.id).await.unwrap();
    assert_eq!(board.rev, 2);
    let titles: Vec<&str> = board.tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["A", "B"]);
    assert!(board.statuses.iter().any(|s| s.id == first_column), "the refused delete removed the column");
    match store.events_after(pid, ann.id, 0).await.unwrap() {
        EventsAfter::Events { rev, events } => {
            assert_eq!(rev, 2);
            let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(names, ["task-created", "task-created"]);
            assert_eq!(events[1].1, &*results[4].as_ref().unwrap().data, "the log holds the broadcast text");
        }
        EventsAfter::Gone { .. } => panic!("no event is past retention"),
    }
}
