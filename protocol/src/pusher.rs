//! Frames of the Pusher Channels protocol v7: what a client sends, what a server
//! sends back, and the numbered codes of errors and closes.
//!
//! Every frame is a JSON object `{event, channel?, data?, user_id?}`. Servers send
//! `data` as a JSON-encoded string, except `pusher:error` whose `data` is an object,
//! as the protocol documents it. Client events keep whatever `data` the sender gave.

use std::borrow::Cow;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

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

/// A frame as a client sends it. Borrowed from the received text where it can be.
#[derive(Debug, Deserialize)]
pub struct ClientFrame<'a> {
    #[serde(borrow)]
    pub event: Cow<'a, str>,
    #[serde(borrow, default)]
    pub channel: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub data: Option<&'a RawValue>,
}

impl<'a> ClientFrame<'a> {
    /// Parses one text frame: a JSON object (serde would also take an array).
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        object_only(text)?;
        serde_json::from_str(text)
    }
}

/// The data of `pusher:subscribe`. Some SDKs send `channels: [..]` even for one.
#[derive(Debug, Deserialize, Default)]
pub struct SubscribeData {
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    #[serde(default)]
    pub auth: Option<String>,
    #[serde(default)]
    pub channel_data: Option<String>,
}

/// The data of `pusher:unsubscribe`.
#[derive(Debug, Deserialize, Default)]
pub struct UnsubscribeData {
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
}

/// Parses a frame's `data` as `T`, whether it came as an object or as a JSON-encoded
/// string holding one (clients differ).
pub fn parse_data<T: serde::de::DeserializeOwned>(data: Option<&RawValue>) -> Result<T, serde_json::Error> {
    let raw = data.map(RawValue::get).unwrap_or("{}");
    if raw.trim_start().starts_with('"') {
        let inner: String = serde_json::from_str(raw)?;
        object_only(&inner)?;
        serde_json::from_str(&inner)
    } else {
        object_only(raw)?;
        serde_json::from_str(raw)
    }
}

/// Refuses JSON that is not an object before serde reads a struct from it.
fn object_only(text: &str) -> Result<(), serde_json::Error> {
    if text.trim_start().starts_with('{') {
        Ok(())
    } else {
        Err(serde::de::Error::custom("expected a JSON object"))
    }
}

/// The `channel_data` of a presence subscription. `user_id` may be a number or a
/// string on the wire; members are keyed by its string form.
#[derive(Debug, Deserialize)]
pub struct ChannelData {
    pub user_id: UserId,
    #[serde(default)]
    pub user_info: Option<Box<RawValue>>,
}

/// A presence user id, kept as the text clients see in `ids` and `user_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(pub String);

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            S(String),
            N(serde_json::Number),
        }
        let s = match Either::deserialize(d)? {
            Either::S(s) => s,
            Either::N(n) => n.to_string(),
        };
        if s.is_empty() {
            return Err(serde::de::Error::custom("user_id is empty"));
        }
        Ok(UserId(s))
    }
}

/// The `data` of an outgoing frame.
#[derive(Debug, Clone, Copy)]
pub enum Data<'a> {
    /// Sent as a JSON string (the text is escaped into one).
    Text(&'a str),
    /// Sent verbatim: already JSON (a client event's data, an error object).
    Json(&'a RawValue),
}

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Data::Text(t) => s.serialize_str(t),
            Data::Json(r) => r.serialize(s),
        }
    }
}

/// A frame as a server sends it.
#[derive(Debug, Serialize)]
pub struct ServerFrame<'a> {
    pub event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<&'a str>,
    pub data: Data<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<&'a str>,
}

impl ServerFrame<'_> {
    /// The frame's JSON text.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("frames always serialize")
    }
}

/// Encodes `{event, channel?, data: "<text>"}`.
pub fn encode_event(event: &str, channel: Option<&str>, data: &str) -> String {
    ServerFrame { event, channel, data: Data::Text(data), user_id: None }.encode()
}

/// `pusher:connection_established` for a new socket.
pub fn connection_established(socket_id: &str, activity_timeout: u64) -> String {
    let data = serde_json::json!({ "socket_id": socket_id, "activity_timeout": activity_timeout });
    encode_event(event::CONNECTION_ESTABLISHED, None, &data.to_string())
}

/// `pusher:error` with a code (or none, for errors the protocol leaves unnumbered).
pub fn error(code: Option<u16>, message: &str) -> String {
    #[derive(Serialize)]
    struct ErrorData<'a> {
        code: Option<u16>,
        message: &'a str,
    }
    let data = serde_json::to_string(&ErrorData { code, message }).expect("serializes");
    let raw = RawValue::from_string(data).expect("valid JSON");
    ServerFrame { event: event::ERROR, channel: None, data: Data::Json(&raw), user_id: None }.encode()
}

/// `pusher:pong`.
pub fn pong() -> String {
    encode_event(event::PONG, None, "{}")
}

/// `pusher:ping` (the server checking on a quiet client).
pub fn ping() -> String {
    encode_event(event::PING, None, "{}")
}

/// `pusher:subscription_error` in the shape pusher-js reports: `{type, error, status}`.
pub fn subscription_error(channel: &str, status: u16, message: &str) -> String {
    let kind = if status == 401 || status == 403 { "AuthError" } else { "SubscriptionError" };
    let data = serde_json::json!({ "type": kind, "error": message, "status": status });
    encode_event(event::SUBSCRIPTION_ERROR, Some(channel), &data.to_string())
}

/// `pusher_internal:subscription_succeeded` for a public or private channel.
pub fn subscription_succeeded(channel: &str) -> String {
    encode_event(event::SUBSCRIPTION_SUCCEEDED, Some(channel), "{}")
}

/// A presence member as the protocol lists it.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub user_id: &'a str,
    /// `user_info` as raw JSON, or `None` when the subscriber gave none.
    pub user_info: Option<&'a RawValue>,
}

/// `pusher_internal:subscription_succeeded` for a presence channel, with its members.
pub fn presence_succeeded<'a>(channel: &str, members: impl ExactSizeIterator<Item = Member<'a>>) -> String {
    struct Hash<'a>(Vec<Member<'a>>);
    impl Serialize for Hash<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for m in &self.0 {
                match m.user_info {
                    Some(info) => map.serialize_entry(m.user_id, info)?,
                    None => map.serialize_entry(m.user_id, &())?,
                }
            }
            map.end()
        }
    }
    #[derive(Serialize)]
    struct Presence<'a> {
        ids: Vec<&'a str>,
        hash: &'a Hash<'a>,
        count: usize,
    }
    #[derive(Serialize)]
    struct Wrapper<'a> {
        presence: Presence<'a>,
    }
    let count = members.len();
    let members: Vec<Member<'a>> = members.collect();
    let ids = members.iter().map(|m| m.user_id).collect();
    let hash = Hash(members);
    let data = serde_json::to_string(&Wrapper { presence: Presence { ids, hash: &hash, count } })
        .expect("serializes");
    encode_event(event::SUBSCRIPTION_SUCCEEDED, Some(channel), &data)
}

/// `pusher_internal:member_added`.
pub fn member_added(channel: &str, member: &Member<'_>) -> String {
    #[derive(Serialize)]
    struct Added<'a> {
        user_id: &'a str,
        user_info: Option<&'a RawValue>,
    }
    let data = serde_json::to_string(&Added { user_id: member.user_id, user_info: member.user_info })
        .expect("serializes");
    encode_event(event::MEMBER_ADDED, Some(channel), &data)
}

/// `pusher_internal:member_removed`.
pub fn member_removed(channel: &str, user_id: &str) -> String {
    let data = serde_json::json!({ "user_id": user_id });
    encode_event(event::MEMBER_REMOVED, Some(channel), &data.to_string())
}

/// A client event as relayed to the channel's other subscribers: the sender's data
/// verbatim, plus its `user_id` on presence channels.
pub fn client_event(event: &str, channel: &str, data: &RawValue, user_id: Option<&str>) -> String {
    ServerFrame { event, channel: Some(channel), data: Data::Json(data), user_id }.encode()
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
    fn socket_ids() {
        assert!(is_socket_id("123.456"));
        assert!(!is_socket_id("123"));
        assert!(!is_socket_id("1.2.3"));
        assert!(!is_socket_id(".1"));
        assert!(!is_socket_id("a.1"));
    }
}
