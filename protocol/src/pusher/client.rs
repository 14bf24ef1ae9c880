//! What a client sends: parsed by the server ([`ClientFrame`] and the data of each
//! kind), and built by clients ([`subscribe`], [`unsubscribe`], [`send_client_event`]).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::event;
use super::frame::{Data, ServerFrame, UserId, object_only, with_object};

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

/// The `channel_data` of a presence subscription. `user_id` may be a number or a
/// string on the wire; members are keyed by its string form.
#[derive(Debug, Deserialize)]
pub struct ChannelData {
    pub user_id: UserId,
    #[serde(default)]
    pub user_info: Option<Box<RawValue>>,
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
    with_object(event::SUBSCRIBE, None, &Subscribe { channel, auth, channel_data })
}

/// `pusher:unsubscribe`, as a client sends it.
pub fn unsubscribe(channel: &str) -> String {
    #[derive(Serialize)]
    struct Unsubscribe<'a> {
        channel: &'a str,
    }
    with_object(event::UNSUBSCRIBE, None, &Unsubscribe { channel })
}

/// A client event, as its sender sends it (`data` is any JSON).
pub fn send_client_event(event: &str, channel: &str, data: &impl Serialize) -> String {
    let raw = serde_json::value::to_raw_value(data).expect("client event data serializes");
    ServerFrame { event, channel: Some(channel), data: Data::Json(&raw), user_id: None }.encode()
}
