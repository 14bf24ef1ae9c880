//! The link between the app and the server, written once for every front end:
//! which channels the open project is, what the server's messages on them mean in
//! the app's terms ([`NetEvent`]), what the app's requests ask of the channels,
//! and the reads that go with them ([`reads`]). kanban-tui's WebSocket session
//! and an SSH session in the server's process each drive it, keeping only their
//! transport: how a channel is joined and left, how a client event goes out, and
//! where a read is answered from.

pub mod reads;

use kanban_protocol::channel::{presence_channel, private_channel, user_channel};
use kanban_protocol::client_event::{BoardClientEvent, ProjectSwitch};
use kanban_protocol::event::BoardEvent;
use kanban_protocol::inbox::{self, Notification, NotificationsRead};
use kanban_protocol::model::{MembersChanged, UserInfo, events};
use kanban_protocol::pusher::{ServerMessage, code};

use crate::app::{NetEvent, Request};

/// What the transport is to do for the link, in order.
#[derive(Debug, Clone)]
pub enum Out {
    /// Tell the app.
    Tell(NetEvent),
    /// Say this on the presence channel of `project_id`, to the others there.
    Say { project_id: i64, event: BoardClientEvent },
    /// Leave the project's two channels.
    Leave(i64),
    /// Join the project's two channels (each answered by its subscription).
    Join(i64),
    /// Run this read beside the link and tell the app its answer ([`reads::run`]).
    Read(Request),
    /// Every subscription of the open project succeeded: online (the transport may
    /// count the connection a success).
    Online,
    /// The server refused us for a reason waiting will not change.
    Refused(String),
}

/// The open project and how far its subscriptions are, and whose own channel
/// (notifications) is heard whatever board is open.
#[derive(Debug, Default)]
pub struct Link {
    project: Option<i64>,
    /// The person the session is for, once known: their channel's name.
    me: Option<String>,
    /// Subscriptions still to succeed before the app hears "connected".
    waiting: usize,
}

impl Link {
    /// The open project, if one is.
    pub fn project(&self) -> Option<i64> {
        self.project
    }

    /// The person the session is for: their own channel is theirs to join
    /// (the transport joins it on every connection, with or without a board).
    pub fn set_me(&mut self, user_id: i64) {
        self.me = Some(user_channel(user_id));
    }

    /// The person's own channel, once known.
    pub fn user_channel(&self) -> Option<&str> {
        self.me.as_deref()
    }

    /// Joins the open project's channels again (a new connection, or access that
    /// changed): the project to join, if one is open.
    pub fn rejoin(&mut self) -> Option<i64> {
        self.waiting = if self.project.is_some() { 2 } else { 0 };
        self.project
    }

    /// What the app's `request` asks. `Pause` and `Retry` concern the transport's
    /// own lifecycle and are not the link's.
    pub fn request(&mut self, request: Request) -> Vec<Out> {
        match request {
            Request::Open(pid) => {
                let mut out = Vec::with_capacity(3);
                if let Some(old) = self.project.replace(pid) {
                    // Whoever follows this person there learns where they went;
                    // then the old board is left (the new one is not yet held).
                    let event = BoardClientEvent::ProjectSwitch(ProjectSwitch { project_id: pid });
                    out.push(Out::Say { project_id: old, event });
                    out.push(Out::Leave(old));
                }
                self.waiting = 2;
                out.push(Out::Join(pid));
                out
            }
            Request::Cursor(pos) => match self.project {
                Some(project_id) => vec![Out::Say { project_id, event: BoardClientEvent::Cursor(pos) }],
                None => Vec::new(),
            },
            read @ (Request::CatchUp { .. }
            | Request::Reload(_)
            | Request::Trash(_)
            | Request::Comments(_)
            | Request::Activity(_)
            | Request::Boards(_)
            | Request::Projects { .. }
            | Request::Inbox { .. }
            | Request::Unread
            | Request::MarkRead(_)
            | Request::MyWork
            | Request::Watch { .. }
            | Request::Since(_)
            | Request::Seen { .. }) => vec![Out::Read(read)],
            Request::Pause | Request::Retry => Vec::new(),
        }
    }

    /// What one message from the server means. Pings are the transport's.
    pub fn hear(&mut self, message: ServerMessage) -> Vec<Out> {
        let message = match self.personal(message) {
            Ok(out) => return out,
            Err(message) => message,
        };
        let Some(pid) = self.project else {
            return match message {
                ServerMessage::Error { .. } => self.error(message),
                _ => Vec::new(),
            };
        };
        let (board, presence) = (private_channel(pid), presence_channel(pid));
        let ours = |c: &str| c == board || c == presence;
        let event = match message {
            ServerMessage::SubscriptionSucceeded { channel, presence: members } if ours(&channel) => {
                let mut out = Vec::with_capacity(4);
                if let Some(list) = members {
                    let members = list.into_iter().map(|(id, info)| member(id, info)).collect();
                    out.push(Out::Tell(NetEvent::Present(members)));
                    // Those already here answer with where they point.
                    out.push(Out::Say { project_id: pid, event: BoardClientEvent::CursorRequest });
                }
                self.waiting = self.waiting.saturating_sub(1);
                if self.waiting == 0 {
                    out.push(Out::Online);
                    out.push(Out::Tell(NetEvent::Connected));
                }
                return out;
            }
            ServerMessage::SubscriptionError { channel, status, message } => {
                // Refused by the server's access check: waiting will not help.
                if ours(&channel) && matches!(status, Some(401 | 403)) {
                    return vec![Out::Refused(format!("No access to this project ({message})"))];
                }
                NetEvent::Failed(format!("Cannot join {channel}: {message}"))
            }
            ServerMessage::MemberAdded { channel, user_id, user_info } if ours(&channel) => {
                let (id, info) = member(user_id, user_info);
                NetEvent::Joined(id, info)
            }
            ServerMessage::MemberRemoved { channel, user_id } if ours(&channel) => NetEvent::Left(user_id),
            ServerMessage::Error { .. } => return self.error(message),
            ServerMessage::Event { event, channel: Some(channel), data, user_id } if channel == presence => {
                // The board's clients say only these, in their shapes; anything
                // else there is not ours to show.
                match (BoardClientEvent::parse(&event, &data), user_id) {
                    (Ok(BoardClientEvent::Cursor(pos)), Some(user_id)) => NetEvent::Cursor { user_id, pos },
                    (Ok(BoardClientEvent::CursorRequest), _) => NetEvent::CursorRequested,
                    (Ok(BoardClientEvent::ProjectSwitch(moved)), Some(user_id)) => {
                        NetEvent::Switched { user_id, project_id: moved.project_id }
                    }
                    _ => return Vec::new(),
                }
            }
            ServerMessage::Event { event, channel: Some(channel), data, .. } if channel == board => {
                if event == events::MEMBERS_CHANGED {
                    match serde_json::from_str::<MembersChanged>(&data) {
                        Ok(changed) => NetEvent::Members { project_id: pid, members: changed.members },
                        Err(_) => return Vec::new(),
                    }
                } else {
                    // Only the board's own events: whatever else arrives on the
                    // board channel did not come from a commit and must not move
                    // the revision.
                    match BoardEvent::from_json(&event, &data) {
                        Ok(board_event) => NetEvent::Board(Box::new(board_event)),
                        Err(_) => return Vec::new(),
                    }
                }
            }
            _ => return Vec::new(),
        };
        vec![Out::Tell(event)]
    }

    /// A message of the person's own channel, if it is one: what it means
    /// (its subscription is no board's, and counts for none); any other message
    /// back.
    fn personal(&self, message: ServerMessage) -> Result<Vec<Out>, ServerMessage> {
        let Some(mine) = self.me.as_deref() else { return Err(message) };
        match message {
            ServerMessage::SubscriptionSucceeded { channel, .. } if channel == mine => Ok(Vec::new()),
            // Never a refusal of the session: the boards work without it.
            ServerMessage::SubscriptionError { channel, message, .. } if channel == mine => {
                Ok(vec![Out::Tell(NetEvent::Failed(format!("Cannot hear your notifications: {message}")))])
            }
            ServerMessage::Event { event, channel: Some(channel), data, .. } if channel == mine => {
                let told = match event.as_str() {
                    inbox::events::NOTIFICATION_CREATED => serde_json::from_str::<Notification>(&data)
                        .ok()
                        .map(|n| NetEvent::Notified(Box::new(n))),
                    inbox::events::NOTIFICATIONS_READ => {
                        serde_json::from_str::<NotificationsRead>(&data).ok().map(NetEvent::NotificationsRead)
                    }
                    _ => None,
                };
                Ok(told.map(Out::Tell).into_iter().collect())
            }
            message => Err(message),
        }
    }

    /// A `pusher:error`: said, except a dropped cursor (the rate limit), which is
    /// harmless since the next one follows.
    fn error(&self, message: ServerMessage) -> Vec<Out> {
        match message {
            ServerMessage::Error { code: Some(code::CLIENT_EVENT_RATE_LIMIT), .. } => Vec::new(),
            ServerMessage::Error { message, .. } => {
                vec![Out::Tell(NetEvent::Failed(format!("Server: {message}")))]
            }
            _ => Vec::new(),
        }
    }
}

/// A presence member as the app keeps it; a `user_info` that is not ours shows
/// the id in grey.
fn member(id: String, info: serde_json::Value) -> (String, UserInfo) {
    let info = serde_json::from_value::<UserInfo>(info)
        .unwrap_or_else(|_| UserInfo { name: id.clone(), color: "#888888".into() });
    (id, info)
}

#[cfg(test)]
mod tests;
