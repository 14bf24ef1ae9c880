//! The frame itself, as both directions write it (`{event, channel?, data,
//! user_id?}`), and the pieces both directions read: a presence user id, and the
//! check that a text is a JSON object before serde reads a struct from it.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

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

/// A frame as it is sent (by a server, or by a client: the shape is one).
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

/// A frame whose `data` is `data` serialized as it is (an object, not a string).
pub(super) fn with_object(event: &str, channel: Option<&str>, data: &impl Serialize) -> String {
    let raw = serde_json::value::to_raw_value(data).expect("frame data serializes");
    ServerFrame { event, channel, data: Data::Json(&raw), user_id: None }.encode()
}

/// Refuses JSON that is not an object before serde reads a struct from it.
pub(super) fn object_only(text: &str) -> Result<(), serde_json::Error> {
    if text.trim_start().starts_with('{') {
        Ok(())
    } else {
        Err(serde::de::Error::custom("expected a JSON object"))
    }
}

/// A presence user id, kept as the text clients see in `ids` and `user_id`: a
/// number or a string on the wire.
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

impl Serialize for UserId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}
