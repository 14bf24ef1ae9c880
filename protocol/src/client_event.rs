//! The client events of a board's presence channel (`presence-project-<id>`), as
//! the board's clients send them: a cursor ([`Pointer`]), a newcomer's ask for
//! everyone's cursor, and a switch to another project. The server relays nothing
//! else there, and each in its shape only, so that what one person sends the
//! others is a few dozen bytes, not whatever a script pads it to.

use serde::{Deserialize, Serialize};

use crate::model::{CURSOR_EVENT, CURSOR_REQUEST_EVENT, PROJECT_SWITCH_EVENT, Pointer};

/// The largest client event data relayed on a board's presence channel: each of
/// the board's own fits in a few dozen bytes.
pub const MAX_BYTES: usize = 128;

/// The data of [`PROJECT_SWITCH_EVENT`]: the project the person went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSwitch {
    pub project_id: i64,
}

/// The data of [`CURSOR_REQUEST_EVENT`]: nothing (`{}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CursorRequest {}

/// A client event of a board's presence channel, typed: what a board's client
/// says to the others there and reads from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardClientEvent {
    /// Where the sender points ([`CURSOR_EVENT`]).
    Cursor(Pointer),
    /// A newcomer asks everyone where they point ([`CURSOR_REQUEST_EVENT`]).
    CursorRequest,
    /// The sender went to another project ([`PROJECT_SWITCH_EVENT`]).
    ProjectSwitch(ProjectSwitch),
}

impl BoardClientEvent {
    /// Its event name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Cursor(_) => CURSOR_EVENT,
            Self::CursorRequest => CURSOR_REQUEST_EVENT,
            Self::ProjectSwitch(_) => PROJECT_SWITCH_EVENT,
        }
    }

    /// Its data as JSON.
    pub fn data(&self) -> String {
        serde_json::to_string(self).expect("a board's client event serializes")
    }

    /// Reads client event `event` with `data` as a board's presence channel
    /// carries it; why it is not one otherwise (the server refuses it with that).
    pub fn parse(event: &str, data: &str) -> Result<Self, String> {
        if data.len() > MAX_BYTES {
            return Err(format!("A board's client event data is at most {MAX_BYTES} bytes"));
        }
        let shape = match event {
            CURSOR_EVENT => serde_json::from_str::<Pointer>(data).map(Self::Cursor),
            CURSOR_REQUEST_EVENT => serde_json::from_str::<CursorRequest>(data).map(|_| Self::CursorRequest),
            PROJECT_SWITCH_EVENT => serde_json::from_str::<ProjectSwitch>(data).map(Self::ProjectSwitch),
            _ => {
                return Err(format!(
                    "A board's presence channel relays only {CURSOR_EVENT}, {CURSOR_REQUEST_EVENT} \
                     and {PROJECT_SWITCH_EVENT}"
                ));
            }
        };
        shape.map_err(|e| format!("{event} data is not of its shape: {e}"))
    }
}

/// Its data, as sent.
impl Serialize for BoardClientEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Cursor(pointer) => pointer.serialize(serializer),
            Self::CursorRequest => CursorRequest {}.serialize(serializer),
            Self::ProjectSwitch(switch) => switch.serialize(serializer),
        }
    }
}

/// Whether `data` is what client event `event` carries on a board's presence
/// channel; why not otherwise.
pub fn check(event: &str, data: &str) -> Result<(), String> {
    BoardClientEvent::parse(event, data).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boards_events_in_their_shapes_and_nothing_else() {
        assert!(check(CURSOR_EVENT, r#"{"status_id":3,"task_id":null}"#).is_ok());
        assert!(check(CURSOR_EVENT, r#"{"status_id":3,"task_id":7,"editing":true}"#).is_ok());
        assert!(check(CURSOR_REQUEST_EVENT, "{}").is_ok());
        assert!(check(PROJECT_SWITCH_EVENT, r#"{"project_id":2}"#).is_ok());

        let padded = format!(r#"{{"status_id":3,"task_id":null,"pad":"{}"}}"#, "x".repeat(50));
        assert!(check(CURSOR_EVENT, &padded).unwrap_err().contains("shape"));
        let spaced = format!(r#"{{"status_id":3,{}"task_id":null}}"#, " ".repeat(200));
        assert!(check(CURSOR_EVENT, &spaced).unwrap_err().contains("at most"));
        assert!(check(CURSOR_EVENT, r#"{"status_id":"3"}"#).is_err());
        assert!(check(CURSOR_REQUEST_EVENT, r#"{"x":1}"#).is_err());
        assert!(check("client-x", "{}").unwrap_err().contains("relays only"));
    }

    #[test]
    fn each_event_reads_back_as_written() {
        let pointer = Pointer { status_id: 3, task_id: Some(7), editing: true };
        for said in [
            BoardClientEvent::Cursor(pointer),
            BoardClientEvent::CursorRequest,
            BoardClientEvent::ProjectSwitch(ProjectSwitch { project_id: 2 }),
        ] {
            assert_eq!(BoardClientEvent::parse(said.name(), &said.data()), Ok(said));
        }
    }
}
