//! What a client sends: parsed by the server ([`ClientFrame`] and the data of each
//! kind), and built by clients ([`subscribe`], [`unsubscribe`], [`send_client_event`]).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::event;
use super::server::{Data, ServerFrame};

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
pub(super) fn object_only(text: &str) -> Result<(), serde_json::Error> {
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

/// `pusher:subscribe`, as a client sends it.
pub fn subscribe(channel: &str, auth: Option<&str>, channel_data: Option<&str>) -> String {
    #[derive(Serialize)]
    struct Subscribe<'a> {
        channel: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        auth: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        channel_data: Option<&'a str>,
    }
    let data = serde_json::to_string(&Subscribe { channel, auth, channel_data }).expect("serializes");
    let raw = RawValue::from_string(data).expect("valid JSON");
    ServerFrame { event: event::SUBSCRIBE, channel: None, data: Data::Json(&raw), user_id: None }.encode()
}

/// `pusher:unsubscribe`, as a client sends it.
pub fn unsubscribe(channel: &str) -> String {
    let data = serde_json::json!({ "channel": channel }).to_string();
    let raw = RawValue::from_string(data).expect("valid JSON");
    ServerFrame { event: event::UNSUBSCRIBE, channel: None, data: Data::Json(&raw), user_id: None }.encode()
}

/// A client event, as its sender sends it (`data` is any JSON).
pub fn send_client_event(event: &str, channel: &str, data: &impl Serialize) -> String {
    let raw = serde_json::value::to_raw_value(data).expect("client event data serializes");
    ServerFrame { event, channel: Some(channel), data: Data::Json(&raw), user_id: None }.encode()
}
