//! The store itself, on SQLite and on PostgreSQL: a batch of board changes in one
//! transaction (a refused change leaves no trace and does not disturb the others),
//! the record of access changes, and the SSH keys people sign in with.

use kanban_protocol::model::Role;
use kanban_protocol::request::{MoveTask, NewTask};
use kanban_server::board::{Change, OpError, Write};
use kanban_server::store::{AccessChanges, EventsAfter, SshKey, StoreError};

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
    let first_column = store.board(pid, Role::Member).await.unwrap().statuses[0].id;

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

    let board = store.board(pid, Role::Member).await.unwrap();
    assert_eq!(board.rev, 2);
    let titles: Vec<&str> = board.tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["A", "B"]);
    assert!(board.statuses.iter().any(|s| s.id == first_column), "the refused delete removed the column");
    match store.events_after(pid, 0).await.unwrap() {
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

fn key(n: u8) -> SshKey {
    SshKey {
        fingerprint: format!("SHA256:key{n}"),
        public_key: format!("ssh-ed25519 AAAA{n}"),
        comment: format!("laptop {n}"),
        added: String::new(),
    }
}

/// A key is one user's, found by its fingerprint while it is theirs; removing it
/// (or its user) is an access change, also for a user on no board (project 0), so
/// that the sessions it opened end.
async fn ssh_keys_are_one_users_and_their_removal_is_an_access_change() {
    let server = TestServer::start().await;
    let store = server.admin_store().await;
    let (ann, _) = store.add_user("ann", "#ff0000").await.unwrap();
    let (bob, _) = store.add_user("bob", "#00ff00").await.unwrap();
    let pid = store.add_project("p", &[(ann.id, Role::Owner)]).await.unwrap();
    store.add_ssh_key(ann.id, &key(1)).await.unwrap();
    store.add_ssh_key(ann.id, &key(2)).await.unwrap();
    match store.add_ssh_key(bob.id, &key(1)).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains("ann"), "{m}"),
        other => panic!("a key twice: {other:?}"),
    }
    let listed = store.ssh_keys(ann.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|k| k.fingerprint.as_str()).collect::<Vec<_>>(),
        ["SHA256:key1", "SHA256:key2"]
    );
    assert_eq!(
        (listed[0].public_key.as_str(), listed[0].comment.as_str()),
        ("ssh-ed25519 AAAA1", "laptop 1")
    );
    assert!(listed[0].added.ends_with('Z'), "{}", listed[0].added);
    assert!(store.ssh_keys(bob.id).await.unwrap().is_empty());

    let holder = store.user_by_ssh_key("SHA256:key1").await.unwrap().expect("ann's key");
    assert_eq!(holder.user, ann);
    let key_id = holder.key_id.expect("a key's holder has its key's id");
    assert!(store.ssh_key_is_live(key_id, ann.id).await.unwrap());
    assert!(!store.ssh_key_is_live(key_id, bob.id).await.unwrap());
    assert_eq!(store.user_by_ssh_key("SHA256:nobody").await.unwrap(), None);

    let before = store.access_changes(0).await.unwrap().last;
    assert!(matches!(store.remove_ssh_key(bob.id, "SHA256:key1").await, Err(StoreError::NotFound(_))));
    store.remove_ssh_key(ann.id, "SHA256:key1").await.unwrap();
    assert!(!store.ssh_key_is_live(key_id, ann.id).await.unwrap());
    assert_eq!(store.user_by_ssh_key("SHA256:key1").await.unwrap(), None);
    let removed = store.access_changes(before).await.unwrap();
    assert_eq!(removed.projects, vec![0, pid]);

    // The user's removal takes the other key along, as an access change too.
    let other = store.user_by_ssh_key("SHA256:key2").await.unwrap().unwrap();
    store.remove_user("ann").await.unwrap();
    assert!(!store.ssh_key_is_live(other.key_id.unwrap(), ann.id).await.unwrap());
    assert!(store.access_changes(removed.last).await.unwrap().projects.contains(&0));
}

/// An admin command's change that reads before it writes (a key checked free,
/// then added) waits while another process holds the SQLite file's write lock,
/// as every write does, instead of failing at once with "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_reads_first_waits_for_another_process_writing() {
    let dir = tempfile::tempdir().unwrap();
    let store = kanban_server::open_store(dir.path()).await.unwrap();
    let store: &dyn kanban_server::store::Store = &store;
    let (ann, _) = store.add_user("ann", "#ff0000").await.unwrap();

    // The other process: a connection of its own holding the write lock a while.
    let file = dir.path().join(kanban_server::DATABASE_FILE);
    let other = rusqlite::Connection::open(&file).unwrap();
    other
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO users (name, color) VALUES ('bob', '#00ff00');")
        .unwrap();
    let (locked, release) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        // Until the change below is under way (or a second has gone).
        let _ = release.recv_timeout(std::time::Duration::from_secs(1));
        std::thread::sleep(std::time::Duration::from_millis(200));
        other.execute_batch("COMMIT").unwrap();
    });
    let first = key(1);
    let adding = store.add_ssh_key(ann.id, &first);
    locked.send(()).unwrap();
    adding.await.expect("the key is added once the lock is free");
    holder.join().unwrap();
    assert_eq!(store.ssh_keys(ann.id).await.unwrap().len(), 1);
    assert!(store.users().await.unwrap().iter().any(|u| u.name == "bob"), "the other process's write stands");
}

/// Tokens the provider vouched for end at their time (refused from that second,
/// removed with an access change by the sweep), are taken for renewal by one
/// node alone, and are renewed or ended; `user revoke` ends every token and key
/// and counts a sign-out; `user list`'s view says each way in.
async fn provider_sessions_end_at_their_time_and_are_renewed_by_one_node() {
    use kanban_server::store::sign_in::{NewProviderToken, Way};
    let server = TestServer::start().await;
    let store = server.admin_store().await;
    let (ann, ann_token) = store.add_user("ann", "#ff0000").await.unwrap();
    let pid = store.add_project("p", &[(ann.id, Role::Member)]).await.unwrap();
    let now = jiff::Timestamp::now().as_second();
    let new = |expires_at, refresh: Option<(&str, i64)>| NewProviderToken {
        user_id: ann.id,
        subject: "sub-ann".into(),
        expires_at,
        refresh: refresh.map(|(t, at)| (t.to_string(), at)),
    };
    let lasting = store.issue_provider_token(new(now + 3_600, Some(("refresh-1", now - 5)))).await.unwrap();
    let ended = store.issue_provider_token(new(now - 1, None)).await.unwrap();
    let holder = store.user_by_token(&lasting).await.unwrap().expect("a token within its time");
    assert_eq!(
        store.token_access(holder.token_id, ann.id, pid).await.unwrap().map(|(r, _)| r),
        Some(Role::Member)
    );
    assert_eq!(store.user_by_token(&ended).await.unwrap(), None, "a token past its time is refused");
    let before = store.access_changes(0).await.unwrap().last;
    assert_eq!(store.expire_tokens(now).await.unwrap(), 1);
    assert!(
        store.access_changes(before).await.unwrap().projects.contains(&pid),
        "its connections are checked"
    );

    // Due now: one claim of it wins.
    let due = store.provider_sessions_due(now, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    let session = &due[0];
    assert_eq!(
        (session.token_id, session.user_id, session.subject.as_str()),
        (holder.token_id, ann.id, "sub-ann")
    );
    assert_eq!(session.refresh_token, "refresh-1");
    assert!(store.claim_provider_session(session.token_id, session.refresh_at, now + 60).await.unwrap());
    assert!(!store.claim_provider_session(session.token_id, session.refresh_at, now + 60).await.unwrap());
    assert!(store.provider_sessions_due(now, 10).await.unwrap().is_empty(), "held while asked");
    store.provider_session_failed(session.token_id, now - 1, 1).await.unwrap();
    assert_eq!(store.provider_sessions_due(now, 10).await.unwrap()[0].failures, 1);
    // Renewed with a rotated refresh token; then without one, the last kept.
    store
        .provider_session_renewed(session.token_id, Some("refresh-2".into()), now - 1, now + 7_200)
        .await
        .unwrap();
    store.provider_session_renewed(session.token_id, None, now - 1, now + 7_200).await.unwrap();
    let renewed = &store.provider_sessions_due(now, 10).await.unwrap()[0];
    assert_eq!((renewed.refresh_token.as_str(), renewed.failures), ("refresh-2", 0));
    assert_eq!(store.expire_tokens(now + 3_601).await.unwrap(), 0, "renewed past its first time");

    // The ways ann signs in.
    store.add_ssh_key(ann.id, &key(7)).await.unwrap();
    let signed_out = store.record_sign_in(ann.id, Way::Certificate, "laptop, serial 9").await.unwrap();
    assert_eq!(store.signed_out(ann.id).await.unwrap(), Some(signed_out));
    let kinds = store.sign_in_kinds().await.unwrap();
    let kinds = kinds.iter().find(|k| k.user.id == ann.id).unwrap();
    assert_eq!((kinds.tokens, kinds.provider_tokens, kinds.keys), (1, 1, 1));
    assert_eq!(kinds.provider.as_ref().map(|(s, _)| s.as_str()), Some("sub-ann"));
    assert_eq!(kinds.certificate.as_ref().map(|(s, _)| s.as_str()), Some("laptop, serial 9"));

    // user revoke: every token and key gone, a sign-out counted, connections checked.
    let before = store.access_changes(0).await.unwrap().last;
    let ended = store.end_sign_ins(ann.id).await.unwrap();
    assert_eq!((ended.tokens, ended.keys), (2, 1));
    assert_eq!(store.user_by_token(&ann_token).await.unwrap(), None);
    assert_eq!(store.user_by_token(&lasting).await.unwrap(), None);
    assert!(
        store.provider_sessions_due(now + 100_000, 10).await.unwrap().is_empty(),
        "the session went with it"
    );
    assert_eq!(store.signed_out(ann.id).await.unwrap(), Some(signed_out + 1));
    let changes = store.access_changes(before).await.unwrap().projects;
    assert!(changes.contains(&0) && changes.contains(&pid), "{changes:?}");
    store.remove_user("ann").await.unwrap();
    assert_eq!(store.signed_out(ann.id).await.unwrap(), None);
    assert!(matches!(store.end_sign_ins(ann.id).await, Err(StoreError::NotFound(_))));
}

crate::both_stores!(
    a_refused_change_in_a_batch_leaves_the_others_committed_in_order,
    grants_are_recorded_as_changes_of_members_only,
    ssh_keys_are_one_users_and_their_removal_is_an_access_change,
    provider_sessions_end_at_their_time_and_are_renewed_by_one_node,
);
