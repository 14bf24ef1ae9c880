//! Why a subscription was refused, and the status its `pusher:subscription_error`
//! carries (pusher-js reports 401 and 403 as an `AuthError`).

use kanban_protocol::channel::ChannelNameError;

use super::SubscribeError;

#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("Invalid channel name: {0}")]
    BadName(#[from] ChannelNameError),
    #[error("Too many subscriptions (at most {max} per connection)")]
    TooMany { max: usize },
    #[error("Missing auth signature")]
    NoAuth,
    #[error("Presence channels need channel_data")]
    NoChannelData,
    #[error("Invalid channel_data: {0}")]
    BadChannelData(String),
    #[error("Invalid signature")]
    BadSignature,
    /// A board channel's signature must come from the auth endpoint, which names the
    /// token it was issued to.
    #[error("Invalid signature: board channels are authorized by /api/pusher/auth")]
    NotGranted,
    /// `#server-to-user-<id>` of a user the connection is not signed in as.
    #[error("Only a connection signed in as this user may subscribe to its channel (pusher:signin)")]
    NotThisUser,
    #[error("Access to this project was taken away")]
    AccessTakenAway,
    /// The access check could not be made (the store failed or was too slow).
    #[error("Cannot check access now: try again")]
    CannotCheck,
    /// The channel itself refused (a full presence channel).
    #[error("{0}")]
    Channel(#[from] SubscribeError),
}

impl Refusal {
    /// The HTTP-like status of the refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadName(_) | Refusal::NoChannelData | Refusal::BadChannelData(_) => 400,
            Refusal::NoAuth | Refusal::BadSignature | Refusal::NotGranted | Refusal::NotThisUser => 401,
            Refusal::AccessTakenAway | Refusal::Channel(_) => 403,
            Refusal::TooMany { .. } => 429,
            Refusal::CannotCheck => 503,
        }
    }
}
