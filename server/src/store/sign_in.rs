//! Sign-ins from outside the board's own tokens, as the store keeps them: the
//! sessions the site's OpenID Connect provider vouches for (each a token of the
//! board's own that ends, with the provider's refresh token beside it), each
//! person's last sign-in by each outside way, and what `user list` shows and
//! `user revoke` ends. Times are seconds since the epoch.

use kanban_protocol::model::User;

/// An outside way of signing in, as `sign_ins.kind` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Through the site's OpenID Connect provider; the subject is its `sub`.
    Provider,
    /// By an SSH certificate from the site's CA; the subject is its key id and serial.
    Certificate,
}

impl Way {
    pub fn as_str(self) -> &'static str {
        match self {
            Way::Provider => "oidc",
            Way::Certificate => "certificate",
        }
    }
}

/// A token the provider vouched for, with what it takes to ask it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSession {
    pub token_id: i64,
    pub user_id: i64,
    /// The provider's `sub` at the sign-in: a refreshed ID token must name it.
    pub subject: String,
    pub refresh_token: String,
    pub refresh_at: i64,
    /// Asks in a row that did not reach the provider.
    pub failures: u32,
}

/// How a new provider token is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProviderToken {
    pub user_id: i64,
    pub subject: String,
    /// When it ends unless the provider says yes again before.
    pub expires_at: i64,
    /// The provider's refresh token and when to use it; `None`: the provider gave
    /// none, so the token simply ends.
    pub refresh: Option<(String, i64)>,
}

/// A person and every way they sign in, for `user list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInKinds {
    pub user: User,
    /// Live tokens issued by the admin commands (they last until revoked).
    pub tokens: u32,
    /// Live tokens the provider vouched for.
    pub provider_tokens: u32,
    pub keys: u32,
    /// The provider's `sub` and when they last signed in through it.
    pub provider: Option<(String, i64)>,
    /// The certificate (key id, serial) and when they last signed in with one.
    pub certificate: Option<(String, i64)>,
}

/// What `user revoke` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ended {
    pub tokens: u64,
    pub keys: u64,
}
