//! Channel names: their kinds, their validity, and the channels of a board.

/// The longest channel name the protocol allows.
pub const MAX_CHANNEL_NAME_LEN: usize = 200;

/// What a channel's name prefix makes of it: who may join and what it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// Anyone may subscribe; no client events.
    Public,
    /// Subscribing needs a signature; client events allowed.
    Private,
    /// Like private, plus a member list built from `channel_data`.
    Presence,
}

impl ChannelKind {
    /// The kind of a (valid) channel name, by its prefix.
    pub fn of(name: &str) -> Self {
        if name.starts_with("presence-") {
            Self::Presence
        } else if name.starts_with("private-") {
            Self::Private
        } else {
            Self::Public
        }
    }

    /// Whether subscribing needs an auth signature.
    pub fn needs_auth(self) -> bool {
        !matches!(self, Self::Public)
    }
}

/// Why a channel name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelNameError {
    Empty,
    TooLong,
    BadCharacter,
}

impl std::fmt::Display for ChannelNameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Empty => "channel name is empty",
            Self::TooLong => "channel name is longer than 200 characters",
            Self::BadCharacter => "channel name may only contain A-Z a-z 0-9 _ - = @ , . ;",
        })
    }
}

impl std::error::Error for ChannelNameError {}

/// Checks a channel name against the protocol's alphabet and length.
pub fn validate_name(name: &str) -> Result<(), ChannelNameError> {
    if name.is_empty() {
        return Err(ChannelNameError::Empty);
    }
    if name.len() > MAX_CHANNEL_NAME_LEN {
        return Err(ChannelNameError::TooLong);
    }
    let ok = name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-=@,.;".contains(&b));
    if ok { Ok(()) } else { Err(ChannelNameError::BadCharacter) }
}

/// The presence channel of a project: who is viewing it, and their cursors.
pub fn presence_channel(project_id: i64) -> String {
    format!("presence-project-{project_id}")
}

/// The private channel of a project: the server's events after each commit.
pub fn private_channel(project_id: i64) -> String {
    format!("private-project-{project_id}")
}

/// A person's own channel: their notifications, in every client they have open.
/// Only they are authorized on it.
pub fn user_channel(user_id: i64) -> String {
    format!("private-user-{user_id}")
}

/// The user a `private-user-<id>` channel belongs to.
pub fn user_of(name: &str) -> Option<i64> {
    digits(name.strip_prefix("private-user-")?)
}

/// A positive id written one way only: "+1" or "01" would name the same channel
/// twice.
fn digits(rest: &str) -> Option<i64> {
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) || rest.starts_with('0') {
        return None;
    }
    rest.parse().ok()
}

/// The prefix of a signed-in user's own channel, which the server sends to
/// through the HTTP API (the SDKs' `sendToUser`).
pub const SERVER_TO_USER: &str = "#server-to-user-";

/// The user of a `#server-to-user-<id>` channel, when the id is one a user id
/// may be (the channel alphabet, 1 to 200 characters).
pub fn server_to_user_of(name: &str) -> Option<&str> {
    let id = name.strip_prefix(SERVER_TO_USER)?;
    validate_name(id).ok().map(|()| id)
}

/// A project's end-to-end encrypted channel, `private-encrypted-project-<id>`:
/// its members are given the channel's secret by the auth endpoint, and what
/// apps beside the board send there (encrypted as the Pusher SDKs encrypt) is
/// relayed as ciphertext, readable by the members alone.
pub fn encrypted_channel(project_id: i64) -> String {
    format!("private-encrypted-project-{project_id}")
}

/// Whether `name` is an end-to-end encrypted channel (`private-encrypted-`):
/// its events are ciphertext the server relays and cannot read, and clients
/// may not send events on it.
pub fn is_encrypted(name: &str) -> bool {
    name.starts_with("private-encrypted-")
}

/// Whether `name` is a cache channel (`cache-`, `private-cache-`,
/// `presence-cache-`, `private-encrypted-cache-`): its last event is kept a
/// while and given to each new subscriber, or `pusher:cache_miss`.
pub fn is_cache(name: &str) -> bool {
    ["cache-", "private-cache-", "presence-cache-", "private-encrypted-cache-"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The project whose membership a channel needs: a board channel's, or a
/// project's encrypted channel's.
pub fn member_project_of(name: &str) -> Option<i64> {
    project_of(name).or_else(|| digits(name.strip_prefix("private-encrypted-project-")?))
}

/// The project a board channel belongs to, if the name is one of
/// `private-project-<id>` or `presence-project-<id>`.
pub fn project_of(name: &str) -> Option<i64> {
    let rest = name.strip_prefix("private-project-").or_else(|| name.strip_prefix("presence-project-"))?;
    digits(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_prefix() {
        assert_eq!(ChannelKind::of("presence-project-1"), ChannelKind::Presence);
        assert_eq!(ChannelKind::of("private-foo"), ChannelKind::Private);
        assert_eq!(ChannelKind::of("foo"), ChannelKind::Public);
        assert_eq!(ChannelKind::of("privatefoo"), ChannelKind::Public);
    }

    #[test]
    fn names() {
        assert!(validate_name("private-a_b-c=d@e,f.g;h").is_ok());
        assert_eq!(validate_name(""), Err(ChannelNameError::Empty));
        assert_eq!(validate_name("a b"), Err(ChannelNameError::BadCharacter));
        assert_eq!(validate_name("é"), Err(ChannelNameError::BadCharacter));
        assert!(validate_name(&"a".repeat(200)).is_ok());
        assert_eq!(validate_name(&"a".repeat(201)), Err(ChannelNameError::TooLong));
    }

    #[test]
    fn board_channels() {
        assert_eq!(project_of(&presence_channel(42)), Some(42));
        assert_eq!(project_of(&private_channel(7)), Some(7));
        assert_eq!(project_of("private-project-"), None);
        assert_eq!(project_of("private-project-01"), None);
        assert_eq!(project_of("private-project-1x"), None);
        assert_eq!(project_of("presence-other-1"), None);
        assert_eq!(project_of("private-project-99999999999999999999"), None);
        assert_eq!(user_of(&user_channel(12)), Some(12));
        assert_eq!(user_of("private-user-012"), None);
        assert_eq!(project_of(&user_channel(12)), None);
        assert_eq!(project_of(&encrypted_channel(3)), None, "not a board channel");
        assert_eq!(member_project_of(&encrypted_channel(3)), Some(3));
        assert_eq!(member_project_of(&private_channel(4)), Some(4));
        assert_eq!(member_project_of("private-encrypted-project-03"), None);
        assert!(is_encrypted(&encrypted_channel(3)) && !is_encrypted(&private_channel(3)));
        assert!(is_cache("cache-x") && is_cache("presence-cache-x") && is_cache("private-encrypted-cache-x"));
        assert!(!is_cache("private-x") && !is_cache("xcache-"));
        assert_eq!(server_to_user_of("#server-to-user-42"), Some("42"));
        assert_eq!(server_to_user_of("#server-to-user-"), None);
        assert_eq!(server_to_user_of("#server-to-user-a b"), None);
    }
}
