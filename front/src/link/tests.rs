//! The link's translation, message by message, without a transport.

use kanban_protocol::client_event::{BoardClientEvent, ProjectSwitch};
use kanban_protocol::model::Pointer;
use kanban_protocol::pusher::ServerMessage;
use serde_json::json;

use super::{Link, Out};
use crate::app::{NetEvent, Request};

fn succeeded(channel: &str, presence: Option<Vec<(String, serde_json::Value)>>) -> ServerMessage {
    ServerMessage::SubscriptionSucceeded { channel: channel.into(), presence }
}

fn event(channel: &str, event: &str, data: &str, user_id: Option<&str>) -> ServerMessage {
    ServerMessage::Event {
        event: event.into(),
        channel: Some(channel.into()),
        data: data.into(),
        user_id: user_id.map(Into::into),
    }
}

#[test]
fn a_board_switch_tells_the_old_board_then_leaves_it_then_joins_the_new_one() {
    let mut link = Link::default();
    assert!(matches!(link.request(Request::Open(1)).as_slice(), [Out::Join(1)]));
    let out = link.request(Request::Open(2));
    assert!(
        matches!(
            out.as_slice(),
            [
                Out::Say {
                    project_id: 1,
                    event: BoardClientEvent::ProjectSwitch(ProjectSwitch { project_id: 2 })
                },
                Out::Leave(1),
                Out::Join(2)
            ]
        ),
        "{out:?}"
    );
    assert_eq!(link.project(), Some(2));
}

#[test]
fn online_once_both_subscriptions_succeed_and_those_present_are_asked_where_they_point() {
    let mut link = Link::default();
    link.request(Request::Open(7));
    assert!(link.hear(succeeded("private-project-7", None)).is_empty());
    let members = vec![("3".to_string(), json!({"name": "ann", "color": "#ff0000"})), ("4".into(), json!(5))];
    let out = link.hear(succeeded("presence-project-7", Some(members)));
    let [
        Out::Tell(NetEvent::Present(present)),
        Out::Say { project_id: 7, event: BoardClientEvent::CursorRequest },
        Out::Online,
        Out::Tell(NetEvent::Connected),
    ] = out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!(present[0].1.name, "ann");
    assert_eq!(present[1].1.name, "4", "a user_info not ours shows the id");
    // Another board's subscription is not ours.
    assert!(link.hear(succeeded("presence-project-8", Some(Vec::new()))).is_empty());
}

#[test]
fn the_presence_channel_carries_cursors_asks_and_switches_and_nothing_else() {
    let mut link = Link::default();
    link.request(Request::Open(7));
    let presence = "presence-project-7";
    let out = link.hear(event(presence, "client-cursor-move", r#"{"status_id":2,"task_id":9}"#, Some("3")));
    assert!(
        matches!(
            out.as_slice(),
            [Out::Tell(NetEvent::Cursor { user_id, pos: Pointer { status_id: 2, task_id: Some(9), editing: false } })]
                if user_id == "3"
        ),
        "{out:?}"
    );
    let out = link.hear(event(presence, "client-project-switch", r#"{"project_id":8}"#, Some("3")));
    assert!(matches!(out.as_slice(), [Out::Tell(NetEvent::Switched { project_id: 8, .. })]), "{out:?}");
    let out = link.hear(event(presence, "client-cursor-request", "{}", Some("3")));
    assert!(matches!(out.as_slice(), [Out::Tell(NetEvent::CursorRequested)]), "{out:?}");
    // Padded, unknown, or without a sender: not shown.
    assert!(
        link.hear(event(presence, "client-cursor-move", r#"{"status_id":2,"task_id":9,"x":1}"#, Some("3")))
            .is_empty()
    );
    assert!(link.hear(event(presence, "client-other", "{}", Some("3"))).is_empty());
    assert!(
        link.hear(event(presence, "client-cursor-move", r#"{"status_id":2,"task_id":9}"#, None)).is_empty()
    );
    // Cursors of another board are not ours.
    assert!(
        link.hear(event(
            "presence-project-8",
            "client-cursor-move",
            r#"{"status_id":2,"task_id":9}"#,
            Some("3")
        ))
        .is_empty()
    );
}

#[test]
fn the_board_channel_carries_board_events_and_members_only() {
    let mut link = Link::default();
    link.request(Request::Open(7));
    let board = "private-project-7";
    let out = link.hear(event(board, "members-changed", r#"{"members":[]}"#, None));
    assert!(matches!(out.as_slice(), [Out::Tell(NetEvent::Members { project_id: 7, .. })]), "{out:?}");
    assert!(link.hear(event(board, "task-created", "not json", None)).is_empty());
    assert!(link.hear(event(board, "something-else", "{}", None)).is_empty());
}

#[test]
fn a_refused_subscription_is_a_refusal_and_a_dropped_cursor_says_nothing() {
    let mut link = Link::default();
    link.request(Request::Open(7));
    let refused = ServerMessage::SubscriptionError {
        channel: "private-project-7".into(),
        status: Some(403),
        message: "not a member".into(),
    };
    assert!(
        matches!(link.hear(refused).as_slice(), [Out::Refused(reason)] if reason.contains("not a member"))
    );
    let limited = ServerMessage::Error {
        code: Some(kanban_protocol::pusher::code::CLIENT_EVENT_RATE_LIMIT),
        message: "slow".into(),
    };
    assert!(link.hear(limited).is_empty());
    let other = ServerMessage::Error { code: Some(4009), message: "boom".into() };
    assert!(matches!(link.hear(other).as_slice(), [Out::Tell(NetEvent::Failed(m))] if m.contains("boom")));
}

#[test]
fn the_persons_own_channel_is_heard_with_or_without_a_board() {
    let mut link = Link::default();
    link.set_me(5);
    assert_eq!(link.user_channel(), Some("private-user-5"));
    let note = json!({"id": 9, "kind": "mentioned", "project_id": 2, "project": "Ops", "task_id": 4,
        "by": 1, "at": "2026-12-07T10:00:00Z", "what": "ann mentioned you", "read": false});
    // No board open: still heard.
    let out = link.hear(event("private-user-5", "notification-created", &note.to_string(), None));
    let [Out::Tell(NetEvent::Notified(n))] = out.as_slice() else { panic!("{out:?}") };
    assert_eq!((n.id, n.project.as_str()), (9, "Ops"));

    // A board open: its subscriptions still count alone.
    link.request(Request::Open(7));
    assert!(link.hear(succeeded("private-user-5", None)).is_empty(), "no board's subscription");
    assert!(link.hear(succeeded("private-project-7", None)).is_empty());
    let read = json!({"ids": [9], "all": false, "unread": 2}).to_string();
    let out = link.hear(event("private-user-5", "notifications-read", &read, None));
    let [Out::Tell(NetEvent::NotificationsRead(r))] = out.as_slice() else { panic!("{out:?}") };
    assert_eq!((r.ids.as_slice(), r.unread), (&[9][..], 2));
    assert!(link.hear(event("private-user-5", "notifications-read", "{bad", None)).is_empty());
    assert!(link.hear(event("private-user-6", "notification-created", &note.to_string(), None)).is_empty());
}

#[test]
fn a_refused_own_channel_is_said_and_refuses_nothing_else() {
    let mut link = Link::default();
    link.set_me(5);
    link.request(Request::Open(7));
    let refused = ServerMessage::SubscriptionError {
        channel: "private-user-5".into(),
        status: Some(403),
        message: "Forbidden".into(),
    };
    let out = link.hear(refused);
    assert!(matches!(out.as_slice(), [Out::Tell(NetEvent::Failed(_))]), "{out:?}");
}

#[test]
fn the_inbox_reads_go_beside_the_link() {
    let mut link = Link::default();
    for read in [
        Request::Inbox { unread_only: false, before: None },
        Request::Unread,
        Request::MyWork,
        Request::Watch { task_id: 3, watch: Some(true) },
        Request::Since(2),
        Request::Seen { project_id: 2, rev: 40 },
    ] {
        let out = link.request(read.clone());
        assert!(matches!(out.as_slice(), [Out::Read(r)] if *r == read), "{out:?}");
    }
}
