//! The `data` of the protocol's own events, one type per shape, written by the
//! server and read by clients through the same type, so that the two cannot
//! drift apart. (A client event's data is the sender's own JSON, and stays so.)

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::frame::UserId;

/// `pusher:connection_established`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionData {
    pub socket_id: String,
    /// Seconds of silence before the client should ping (the protocol's 120 when
    /// a server leaves it out).
    #[serde(default = "default_activity_timeout")]
    pub activity_timeout: u64,
}

fn default_activity_timeout() -> u64 {
    120
}

/// `pusher:error`: sent as an object, not a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorData {
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(default = "default_error")]
    pub message: String,
}

impl ErrorData {
    /// What an error whose data cannot be read says.
    pub fn unreadable() -> Self {
        ErrorData { code: None, message: default_error() }
    }
}

fn default_error() -> String {
    "error".into()
}

/// `pusher:subscription_error`, in the shape pusher-js reports:
/// `{type, error, status}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionErrorData {
    /// `AuthError` (401, 403) or `SubscriptionError`.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default = "default_refused")]
    pub error: String,
    #[serde(default)]
    pub status: Option<u16>,
}

impl SubscriptionErrorData {
    /// What a refusal whose data cannot be read says.
    pub fn unreadable() -> Self {
        SubscriptionErrorData { kind: String::new(), error: default_refused(), status: None }
    }
}

fn default_refused() -> String {
    "refused".into()
}

/// `pusher_internal:member_added`.
#[derive(Debug, Serialize)]
pub struct MemberAddedData<'a> {
    pub user_id: &'a str,
    /// `null` when the subscriber gave none.
    pub user_info: Option<&'a RawValue>,
}

/// `pusher_internal:member_added` as a client reads it.
#[derive(Debug, Deserialize)]
pub struct MemberAdded {
    pub user_id: UserId,
    #[serde(default)]
    pub user_info: serde_json::Value,
}

/// `pusher_internal:member_removed`.
#[derive(Debug, Serialize, Deserialize)]
pub struct MemberRemovedData {
    pub user_id: UserId,
}

/// `pusher_internal:subscription_succeeded` on a presence channel, as a client
/// reads it (the server writes the same shape streaming, member by member:
/// [`super::presence_succeeded`]).
#[derive(Debug, Default, Deserialize)]
pub struct PresenceData {
    #[serde(default)]
    pub presence: Option<Presence>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Presence {
    #[serde(default)]
    pub ids: Vec<UserId>,
    #[serde(default)]
    pub hash: std::collections::HashMap<String, serde_json::Value>,
}
