//! Frames of the Pusher Channels protocol v7: the frame both directions write
//! ([`frame`]), what a client sends ([`client`]), what a server sends back
//! ([`server`]), the data of the protocol's own events ([`data`]), and the
//! numbered codes of errors and closes.
//! Both sides of this project, the server and its clients (the terminal client,
//! the load generator, the tests), read and write frames through these types.
//!
//! Every frame is a JSON object `{event, channel?, data?, user_id?}`. Servers send
//! `data` as a JSON-encoded string, except `pusher:error` whose `data` is an object,
//! as the protocol documents it. Client events keep whatever `data` the sender gave.

mod client;
pub mod data;
mod frame;
mod server;

pub use client::*;
pub use frame::{Data, ServerFrame, UserId};
pub use server::*;

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u8 = 7;

/// Event names of the protocol itself.
pub mod event {
    pub const CONNECTION_ESTABLISHED: &str = "pusher:connection_established";
    pub const ERROR: &str = "pusher:error";
    pub const PING: &str = "pusher:ping";
    pub const PONG: &str = "pusher:pong";
    pub const SUBSCRIBE: &str = "pusher:subscribe";
    pub const UNSUBSCRIBE: &str = "pusher:unsubscribe";
    pub const SUBSCRIPTION_ERROR: &str = "pusher:subscription_error";
    pub const CACHE_MISS: &str = "pusher:cache_miss";
    pub const SIGNIN: &str = "pusher:signin";
    pub const SIGNIN_SUCCESS: &str = "pusher:signin_success";
    pub const WATCHLIST_EVENTS: &str = "pusher_internal:watchlist_events";
    pub const SUBSCRIPTION_SUCCEEDED: &str = "pusher_internal:subscription_succeeded";
    pub const MEMBER_ADDED: &str = "pusher_internal:member_added";
    pub const MEMBER_REMOVED: &str = "pusher_internal:member_removed";
    /// The prefix every client event's name must carry.
    pub const CLIENT_PREFIX: &str = "client-";
}

/// Error and close codes (4000-4099: do not reconnect; 4100-4199: back off and
/// reconnect; 4200-4299: reconnect at once; 4300+: the action was refused).
pub mod code {
    /// Only TLS connections are accepted.
    pub const TLS_ONLY: u16 = 4000;
    /// The app key in the URL names no app.
    pub const APP_NOT_FOUND: u16 = 4001;
    /// The protocol version is not supported.
    pub const UNSUPPORTED_PROTOCOL: u16 = 4007;
    /// The connection is not authorized.
    pub const UNAUTHORIZED: u16 = 4009;
    /// The server has no room for another connection.
    pub const OVER_CAPACITY: u16 = 4100;
    /// Generic "reconnect": the server is going away (e.g. shutting down).
    pub const RECONNECT: u16 = 4200;
    /// A ping went unanswered.
    pub const PONG_NOT_RECEIVED: u16 = 4201;
    /// Nothing was heard from the client within the activity timeout.
    pub const INACTIVITY: u16 = 4202;
    /// A client event was dropped: over the per-connection rate limit.
    pub const CLIENT_EVENT_RATE_LIMIT: u16 = 4301;
    /// A generic refusal of a message (malformed, unknown, not allowed).
    pub const REJECTED: u16 = 4300;
}

/// How deeply a client event's data may nest arrays and objects. Its receivers
/// parse it, and a parser recurses once per level.
pub const MAX_DATA_DEPTH: usize = 32;

/// The deepest nesting of arrays and objects in a JSON text (0 for a scalar). The
/// text must already be valid JSON (a `RawValue`); this only counts brackets
/// outside strings, in one pass and without recursion.
pub fn json_depth(json: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in json.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Whether `s` has the socket id form `<digits>.<digits>` that SDKs check.
pub fn is_socket_id(s: &str) -> bool {
    match s.split_once('.') {
        Some((a, b)) => {
            let digits = |x: &str| !x.is_empty() && x.len() <= 20 && x.bytes().all(|c| c.is_ascii_digit());
            digits(a) && digits(b)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use serde_json::value::RawValue;

    fn json(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn parses_client_frames() {
        let f = ClientFrame::parse(r#"{"event":"pusher:subscribe","data":{"channel":"a"}}"#).unwrap();
        assert_eq!(f.event, "pusher:subscribe");
        let d: SubscribeData = parse_data(f.data).unwrap();
        assert_eq!(d.channel.as_deref(), Some("a"));
        // data as a JSON-encoded string, as some clients send it
        let f =
            ClientFrame::parse(r#"{"event":"pusher:subscribe","data":"{\"channels\":[\"b\"]}"}"#).unwrap();
        let d: SubscribeData = parse_data(f.data).unwrap();
        assert_eq!(d.channels, Some(vec!["b".to_string()]));
        assert!(ClientFrame::parse("{").is_err());
        assert!(ClientFrame::parse(r#"["pusher:ping"]"#).is_err(), "a frame is an object");
        let f = ClientFrame::parse(r#"{"event":"pusher:subscribe","data":["a"]}"#).unwrap();
        assert!(parse_data::<SubscribeData>(f.data).is_err());
        assert!(ClientFrame::parse(r#"{"channel":"x"}"#).is_err());
    }

    #[test]
    fn user_ids_of_both_forms() {
        let c: ChannelData = serde_json::from_str(r#"{"user_id":10}"#).unwrap();
        assert_eq!(c.user_id.0, "10");
        let c: ChannelData = serde_json::from_str(r#"{"user_id":"u1","user_info":{"a":1}}"#).unwrap();
        assert_eq!(c.user_id.0, "u1");
        assert_eq!(c.user_info.unwrap().get(), r#"{"a":1}"#);
        assert!(serde_json::from_str::<ChannelData>(r#"{"user_id":""}"#).is_err());
        assert!(serde_json::from_str::<ChannelData>(r#"{"user_id":[1]}"#).is_err());
    }

    #[test]
    fn encodes_server_frames() {
        let v = json(&connection_established("1.2", 120));
        assert_eq!(v["event"], "pusher:connection_established");
        assert_eq!(json(v["data"].as_str().unwrap()), json(r#"{"socket_id":"1.2","activity_timeout":120}"#));

        let v = json(&error(Some(4301), "slow down"));
        assert_eq!(v["data"], json(r#"{"code":4301,"message":"slow down"}"#));

        let info = RawValue::from_string(r#"{"name":"Ann"}"#.into()).unwrap();
        let members =
            vec![Member { user_id: "1", user_info: Some(&info) }, Member { user_id: "2", user_info: None }];
        let v = json(&presence_succeeded("presence-x", members.into_iter()));
        assert_eq!(v["channel"], "presence-x");
        let p = json(v["data"].as_str().unwrap());
        assert_eq!(
            p,
            json(r#"{"presence":{"ids":["1","2"],"hash":{"1":{"name":"Ann"},"2":null},"count":2}}"#)
        );

        let data = RawValue::from_string(r#"{"x":1}"#.into()).unwrap();
        let v = json(&client_event("client-a", "presence-x", &data, Some("7")));
        assert_eq!(v, json(r#"{"event":"client-a","channel":"presence-x","data":{"x":1},"user_id":"7"}"#));
    }

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(json_depth("1"), 0);
        assert_eq!(json_depth(r#""[[[""#), 0);
        assert_eq!(json_depth(r#"{"a":[1,{"b":"]}\\\"{"}]}"#), 3);
        assert_eq!(json_depth(r#"[[],[[]]]"#), 3);
        let deep = format!("{}{}", "[".repeat(3000), "]".repeat(3000));
        assert_eq!(json_depth(&deep), 3000);
    }

    #[test]
    fn a_client_reads_what_a_server_sends() {
        let hello = ServerMessage::decode(&connection_established("1.2", 30)).unwrap();
        assert_eq!(
            hello,
            ServerMessage::ConnectionEstablished { socket_id: "1.2".into(), activity_timeout: 30 }
        );
        let info = RawValue::from_string(r#"{"name":"Ann"}"#.into()).unwrap();
        let members = vec![Member { user_id: "7", user_info: Some(&info) }];
        let ok = ServerMessage::decode(&presence_succeeded("presence-x", members.into_iter())).unwrap();
        let ServerMessage::SubscriptionSucceeded { channel, presence: Some(list) } = ok else {
            panic!("{ok:?}")
        };
        assert_eq!(
            (channel.as_str(), list[0].0.as_str(), &list[0].1["name"]),
            ("presence-x", "7", &json(r#""Ann""#))
        );
        assert_eq!(
            ServerMessage::decode(&subscription_error("private-a", 403, "no")).unwrap(),
            ServerMessage::SubscriptionError {
                channel: "private-a".into(),
                status: Some(403),
                message: "no".into()
            }
        );
        assert_eq!(
            ServerMessage::decode(&error(Some(4301), "slow down")).unwrap(),
            ServerMessage::Error { code: Some(4301), message: "slow down".into() }
        );
        assert_eq!(ServerMessage::decode(&ping()).unwrap(), ServerMessage::Ping);
        let moved =
            ServerMessage::decode(&encode_event("task-moved", Some("private-project-1"), r#"{"rev":2}"#));
        assert_eq!(
            moved.unwrap(),
            ServerMessage::Event {
                event: "task-moved".into(),
                channel: Some("private-project-1".into()),
                data: r#"{"rev":2}"#.into(),
                user_id: None
            }
        );
        let data = RawValue::from_string(r#"{"x":1}"#.into()).unwrap();
        let relayed =
            ServerMessage::decode(&client_event("client-a", "presence-x", &data, Some("7"))).unwrap();
        assert!(
            matches!(relayed, ServerMessage::Event { user_id: Some(u), data, .. } if u == "7" && data == r#"{"x":1}"#)
        );
        assert!(ServerMessage::decode("[1]").is_err());
        assert!(ServerMessage::decode(r#"{"event":"pusher_internal:member_added","data":"{}"}"#).is_err());
        let added =
            ServerMessage::decode(&member_added("presence-x", &Member { user_id: "7", user_info: None }));
        assert_eq!(
            added.unwrap(),
            ServerMessage::MemberAdded {
                channel: "presence-x".into(),
                user_id: "7".into(),
                user_info: serde_json::Value::Null
            }
        );
        assert_eq!(
            ServerMessage::decode(&member_removed("presence-x", "7")).unwrap(),
            ServerMessage::MemberRemoved { channel: "presence-x".into(), user_id: "7".into() }
        );
        // Another server's numeric ids read as text; an unreadable refusal is still one.
        let numeric =
            r#"{"event":"pusher_internal:member_removed","channel":"presence-x","data":"{\"user_id\":7}"}"#;
        assert!(
            matches!(ServerMessage::decode(numeric).unwrap(), ServerMessage::MemberRemoved { user_id, .. } if user_id == "7")
        );
        let odd = r#"{"event":"pusher:subscription_error","channel":"private-a","data":"[]"}"#;
        assert!(matches!(
            ServerMessage::decode(odd).unwrap(),
            ServerMessage::SubscriptionError { status: None, .. }
        ));
    }

    #[test]
    fn a_server_reads_what_a_client_sends() {
        let frame = subscribe("presence-x", Some("k:s"), Some(r#"{"user_id":"1"}"#));
        let parsed = ClientFrame::parse(&frame).unwrap();
        let data: SubscribeData = parse_data(parsed.data).unwrap();
        assert_eq!(data.channel.as_deref(), Some("presence-x"));
        assert_eq!(data.auth.as_deref(), Some("k:s"));
        let frame = unsubscribe("presence-x");
        let data: UnsubscribeData = parse_data(ClientFrame::parse(&frame).unwrap().data).unwrap();
        assert_eq!(data.channel.as_deref(), Some("presence-x"));
        let frame = send_client_event("client-cursor-move", "presence-x", &serde_json::json!({"a": 1}));
        let parsed = ClientFrame::parse(&frame).unwrap();
        assert_eq!((parsed.event.as_ref(), parsed.data.unwrap().get()), ("client-cursor-move", r#"{"a":1}"#));
    }

    #[test]
    fn socket_ids() {
        assert!(is_socket_id("123.456"));
        assert!(!is_socket_id("123"));
        assert!(!is_socket_id("1.2.3"));
        assert!(!is_socket_id(".1"));
        assert!(!is_socket_id("a.1"));
    }
}
