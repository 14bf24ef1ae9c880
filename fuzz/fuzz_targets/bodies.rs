//! Fuzzes the JSON bodies the REST API reads, and the board model a client builds
//! from a snapshot and events.
#![no_main]

use kanban_protocol::board::BoardState;
use kanban_protocol::event::BoardEvent;
use kanban_protocol::model::{Board, EventData};
use kanban_protocol::request::{MoveStatus, MoveTask, NewStatus, NewTask, StatusPatch, TaskPatch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<NewTask>(data);
    let _ = serde_json::from_slice::<TaskPatch>(data);
    let _ = serde_json::from_slice::<MoveTask>(data);
    let _ = serde_json::from_slice::<NewStatus>(data);
    let _ = serde_json::from_slice::<StatusPatch>(data);
    let _ = serde_json::from_slice::<MoveStatus>(data);
    if let Ok((board, events)) = serde_json::from_slice::<(Board, Vec<(String, EventData)>)>(data) {
        let mut state = BoardState::from(board);
        for (name, data) in events {
            if let Ok(event) = BoardEvent::decode(&name, data) {
                state.apply(&event);
            }
        }
    }
});
