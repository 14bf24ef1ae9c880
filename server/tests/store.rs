//! The store itself, on SQLite and on PostgreSQL: a batch of board changes in one
//! transaction (a refused change leaves no trace and does not disturb the others),
//! and the record of access changes.

use kanban_protocol::model::Role;
use kanban_protocol::request::{MoveTask, NewTask};
use kanban_server::board::{Change, OpError, Write};
use kanban_server::store::{AccessChanges, EventsAfter};

use crate::util::TestServer;

fn create(project_id: i64, title: &str, status_id: Option<i64>) -> Change {
    Change::CreateTask { project_id, new: NewTask { title: title.into(), status_id, ..NewTask::default() } }
}

async fn a_refused_change_in_a_batch_leaves_the_others_committed_in_order() {
    let server = TestServer::start().await;
    let store = server.admin_store().await;
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

/// A grant or a role change is an access change that takes nothing away; a grant
/// that changes nothing, and a new project's first members, are none.
async fn grants_are_recorded_as_changes_of_members_only() {
    let server = TestServer::start().await;
    let store = server.admin_store().await;
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

crate::both_stores!(
    a_refused_change_in_a_batch_leaves_the_others_committed_in_order,
    grants_are_recorded_as_changes_of_members_only,
);
