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

/// Whether `data` is what client event `event` carries on a board's presence
/// channel; why not otherwise.
pub fn check(event: &str, data: &str) -> Result<(), String> {
    if data.len() > MAX_BYTES {
        return Err(format!("A board's client event data is at most {MAX_BYTES} bytes"));
    }
    let shape = match event {
        CURSOR_EVENT => serde_json::from_str::<Pointer>(data).map(drop),
        CURSOR_REQUEST_EVENT => serde_json::from_str::<CursorRequest>(data).map(drop),
        PROJECT_SWITCH_EVENT => serde_json::from_str::<ProjectSwitch>(data).map(drop),
        _ => {
            return Err(format!(
                "A board's presence channel relays only {CURSOR_EVENT}, {CURSOR_REQUEST_EVENT} \
                 and {PROJECT_SWITCH_EVENT}"
            ));
        }
    };
    shape.map_err(|e| format!("{event} data is not of its shape: {e}"))
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
}
