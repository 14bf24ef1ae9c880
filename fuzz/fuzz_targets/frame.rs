//! Fuzzes what a WebSocket client sends: the frame, then the data of each kind of
//! frame the server reads.
#![no_main]

use kanban_protocol::channel;
use kanban_protocol::pusher::{self, ChannelData, ClientFrame, SubscribeData, UnsubscribeData};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(frame) = ClientFrame::parse(text) {
        let _ = pusher::parse_data::<SubscribeData>(frame.data);
        let _ = pusher::parse_data::<UnsubscribeData>(frame.data);
        if let Some(name) = frame.channel.as_deref() {
            let _ = channel::validate_name(name);
            let _ = channel::project_of(name);
        }
        if let Some(raw) = frame.data {
            let _ = serde_json::from_str::<ChannelData>(raw.get());
            let _ = pusher::json_depth(raw.get());
        }
    }
    let _ = pusher::is_socket_id(text);
});
