//! What a server sends: encoded once by the server, and read by clients
//! ([`ServerMessage`]).

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use super::client::{UserId, object_only};
use super::event;

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
    /// The frame's JSON text, written into room sized for it at the start: a
    /// large frame (a presence snapshot, a board) is not grown by doubling, which
    /// would leave its smaller copies behind as garbage in the allocator.
    pub fn encode(&self) -> String {
        let data = match self.data {
            // Text inside a JSON string: quotes and backslashes gain an escape.
            Data::Text(t) => t.len() + t.len() / 4,
            Data::Json(r) => r.get().len(),
        };
        let named = self.channel.map_or(0, str::len) + self.user_id.map_or(0, |u| u.len() + 12);
        let room = 48 + self.event.len() + named + data;
        let mut out = Vec::with_capacity(room);
        serde_json::to_writer(&mut out, self).expect("frames always serialize");
        String::from_utf8(out).expect("serde_json writes UTF-8")
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
    // An id appears twice; the rest is quotes, colons and commas.
    let room: usize =
        members.iter().map(|m| 2 * m.user_id.len() + m.user_info.map_or(4, |i| i.get().len()) + 8).sum();
    let hash = Hash(members);
    let mut data = Vec::with_capacity(room + 48);
    serde_json::to_writer(&mut data, &Wrapper { presence: Presence { ids, hash: &hash, count } })
        .expect("serializes");
    let data = String::from_utf8(data).expect("serde_json writes UTF-8");
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

/// A frame as a client receives it, decoded: the protocol's own messages, and every
/// other event (a server event, or a client event relayed) with its data as JSON
/// text.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    ConnectionEstablished {
        socket_id: String,
        activity_timeout: u64,
    },
    /// `presence` lists the members (id and `user_info`) on presence channels.
    SubscriptionSucceeded {
        channel: String,
        presence: Option<Vec<(String, serde_json::Value)>>,
    },
    SubscriptionError {
        channel: String,
        status: Option<u16>,
        message: String,
    },
    MemberAdded {
        channel: String,
        user_id: String,
        user_info: serde_json::Value,
    },
    MemberRemoved {
        channel: String,
        user_id: String,
    },
    Error {
        code: Option<u16>,
        message: String,
    },
    Ping,
    Pong,
    Event {
        event: String,
        channel: Option<String>,
        data: String,
        user_id: Option<String>,
    },
}

/// A server frame a client cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable frame: {0}")]
pub struct FrameError(String);

impl ServerMessage {
    /// Decodes one text frame from a server.
    pub fn decode(text: &str) -> Result<Self, FrameError> {
        use serde_json::Value;
        #[derive(Deserialize)]
        struct Raw {
            event: String,
            #[serde(default)]
            channel: Option<String>,
            #[serde(default)]
            data: Option<Box<RawValue>>,
            #[serde(default)]
            user_id: Option<UserId>,
        }
        let bad = |e: &dyn std::fmt::Display| FrameError(e.to_string());
        object_only(text).map_err(|e| bad(&e))?;
        let raw: Raw = serde_json::from_str(text).map_err(|e| bad(&e))?;
        // The data as JSON text: servers send a JSON-encoded string, some clients
        // (and `pusher:error`) an object.
        let data = match raw.data.as_deref().map(RawValue::get) {
            None => "{}".to_string(),
            Some(d) if d.trim_start().starts_with('"') => {
                serde_json::from_str::<String>(d).map_err(|e| bad(&e))?
            }
            Some(d) => d.to_string(),
        };
        let json = || serde_json::from_str::<Value>(&data).unwrap_or(Value::Null);
        let id_text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let channel =
            || raw.channel.clone().ok_or_else(|| FrameError(format!("{} without a channel", raw.event)));
        Ok(match raw.event.as_str() {
            event::CONNECTION_ESTABLISHED => {
                let v = json();
                let socket_id = v["socket_id"].as_str().ok_or_else(|| FrameError("no socket_id".into()))?;
                ServerMessage::ConnectionEstablished {
                    socket_id: socket_id.to_string(),
                    activity_timeout: v["activity_timeout"].as_u64().unwrap_or(120),
                }
            }
            event::SUBSCRIPTION_SUCCEEDED => {
                let v = json();
                let presence = v.get("presence").map(|p| {
                    let ids = p["ids"].as_array().cloned().unwrap_or_default();
                    ids.iter()
                        .filter_map(|id| {
                            let id = id_text(id)?;
                            let info = p["hash"].get(id.as_str()).cloned().unwrap_or(Value::Null);
                            Some((id, info))
                        })
                        .collect()
                });
                ServerMessage::SubscriptionSucceeded { channel: channel()?, presence }
            }
            event::SUBSCRIPTION_ERROR => {
                let v = json();
                ServerMessage::SubscriptionError {
                    channel: channel()?,
                    status: v["status"].as_u64().and_then(|s| u16::try_from(s).ok()),
                    message: v["error"].as_str().unwrap_or("refused").to_string(),
                }
            }
            event::MEMBER_ADDED => {
                let v = json();
                let user_id =
                    id_text(&v["user_id"]).ok_or_else(|| FrameError("member without user_id".into()))?;
                ServerMessage::MemberAdded { channel: channel()?, user_id, user_info: v["user_info"].clone() }
            }
            event::MEMBER_REMOVED => {
                let user_id =
                    id_text(&json()["user_id"]).ok_or_else(|| FrameError("member without user_id".into()))?;
                ServerMessage::MemberRemoved { channel: channel()?, user_id }
            }
            event::ERROR => {
                let v = json();
                ServerMessage::Error {
                    code: v["code"].as_u64().and_then(|c| u16::try_from(c).ok()),
                    message: v["message"].as_str().unwrap_or("error").to_string(),
                }
            }
            event::PING => ServerMessage::Ping,
            event::PONG => ServerMessage::Pong,
            _ => ServerMessage::Event {
                event: raw.event,
                channel: raw.channel,
                data,
                user_id: raw.user_id.map(|u| u.0),
            },
        })
    }
}
