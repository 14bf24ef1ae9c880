//! What a server sends: encoded once by the server, and read by clients
//! ([`ServerMessage`]).

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use super::data::{
    ConnectionData, ErrorData, MemberAdded, MemberAddedData, MemberRemovedData, PresenceData,
    SubscriptionErrorData,
};
use super::event;
use super::frame::{Data, ServerFrame, UserId, object_only, with_object};

/// Encodes `{event, channel?, data: "<text>"}`.
pub fn encode_event(event: &str, channel: Option<&str>, data: &str) -> String {
    ServerFrame { event, channel, data: Data::Text(data), user_id: None }.encode()
}

/// `pusher:connection_established` for a new socket.
pub fn connection_established(socket_id: &str, activity_timeout: u64) -> String {
    let data = ConnectionData { socket_id: socket_id.to_string(), activity_timeout };
    encode_event(event::CONNECTION_ESTABLISHED, None, &to_text(&data))
}

/// `data` as JSON text, to go into a frame as a string.
fn to_text(data: &impl Serialize) -> String {
    serde_json::to_string(data).expect("frame data serializes")
}

/// `pusher:error` with a code (or none, for errors the protocol leaves unnumbered).
pub fn error(code: Option<u16>, message: &str) -> String {
    with_object(event::ERROR, None, &ErrorData { code, message: message.to_string() })
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
    let data = SubscriptionErrorData { kind: kind.into(), error: message.into(), status: Some(status) };
    encode_event(event::SUBSCRIPTION_ERROR, Some(channel), &to_text(&data))
}

/// `pusher:cache_miss`: a cache channel subscribed to holds no event now.
pub fn cache_miss(channel: &str) -> String {
    encode_event(event::CACHE_MISS, Some(channel), "{}")
}

/// `pusher:signin_success`, with the `user_data` signed in.
pub fn signin_success(user_data: &str) -> String {
    encode_event(event::SIGNIN_SUCCESS, None, &to_text(&serde_json::json!({ "user_data": user_data })))
}

/// `pusher_internal:watchlist_events`: the users of a watchlist who came
/// online (`online: true`) or went offline.
pub fn watchlist_event(online: bool, user_ids: &[&str]) -> String {
    let name = if online { "online" } else { "offline" };
    let data = serde_json::json!({ "events": [{ "name": name, "user_ids": user_ids }] });
    encode_event(event::WATCHLIST_EVENTS, None, &to_text(&data))
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
    let data = MemberAddedData { user_id: member.user_id, user_info: member.user_info };
    encode_event(event::MEMBER_ADDED, Some(channel), &to_text(&data))
}

/// `pusher_internal:member_removed`.
pub fn member_removed(channel: &str, user_id: &str) -> String {
    let data = MemberRemovedData { user_id: UserId(user_id.to_string()) };
    encode_event(event::MEMBER_REMOVED, Some(channel), &to_text(&data))
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
        // The protocol's own data, read as its type; what is missing or malformed
        // in it makes the frame unreadable, as a missing socket id would.
        fn read<T: serde::de::DeserializeOwned>(data: &str, what: &str) -> Result<T, FrameError> {
            serde_json::from_str(data).map_err(|e| FrameError(format!("{what}: {e}")))
        }
        let channel =
            || raw.channel.clone().ok_or_else(|| FrameError(format!("{} without a channel", raw.event)));
        Ok(match raw.event.as_str() {
            event::CONNECTION_ESTABLISHED => {
                let ConnectionData { socket_id, activity_timeout } = read(&data, "connection_established")?;
                ServerMessage::ConnectionEstablished { socket_id, activity_timeout }
            }
            event::SUBSCRIPTION_SUCCEEDED => {
                let PresenceData { presence } = read(&data, "subscription_succeeded").unwrap_or_default();
                let presence = presence.map(|mut p| {
                    p.ids
                        .into_iter()
                        .map(|UserId(id)| {
                            let info = p.hash.remove(&id).unwrap_or(serde_json::Value::Null);
                            (id, info)
                        })
                        .collect()
                });
                ServerMessage::SubscriptionSucceeded { channel: channel()?, presence }
            }
            event::SUBSCRIPTION_ERROR => {
                // Said whatever its shape: a refusal must not pass for nothing.
                let SubscriptionErrorData { status, error, .. } =
                    read(&data, "subscription_error").unwrap_or_else(|_| SubscriptionErrorData::unreadable());
                ServerMessage::SubscriptionError { channel: channel()?, status, message: error }
            }
            event::MEMBER_ADDED => {
                let MemberAdded { user_id: UserId(user_id), user_info } = read(&data, "member_added")?;
                ServerMessage::MemberAdded { channel: channel()?, user_id, user_info }
            }
            event::MEMBER_REMOVED => {
                let MemberRemovedData { user_id: UserId(user_id) } = read(&data, "member_removed")?;
                ServerMessage::MemberRemoved { channel: channel()?, user_id }
            }
            event::ERROR => {
                let ErrorData { code, message } =
                    read(&data, "error").unwrap_or_else(|_| ErrorData::unreadable());
                ServerMessage::Error { code, message }
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
