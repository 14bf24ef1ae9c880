//! The records the REST API exchanges: users, projects, roles, and the board.

use serde::{Deserialize, Serialize};

/// A person who can sign in, with the color that marks them on every screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// What a member may do on a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read, be present, point.
    Viewer,
    /// Also edit cards and columns.
    Member,
    /// Everything, including members.
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Owner => "owner",
        }
    }

    /// Whether the role may change cards and columns.
    pub fn can_write(self) -> bool {
        self >= Role::Member
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "member" => Ok(Role::Member),
            "owner" => Ok(Role::Owner),
            other => Err(format!("unknown role {other:?} (owner, member or viewer)")),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A board, as listed for one of its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    /// The asking user's role on it.
    pub role: Role,
}

/// What a client needs to open the WebSocket: `GET /api/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientConfig {
    pub app_key: String,
    /// Pusher SDKs insist on a cluster name; any value works here.
    pub cluster: String,
    /// Seconds of silence after which the client should ping.
    pub activity_timeout: u64,
    pub server_version: String,
}

/// The body of every failed REST answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}

/// What `POST /api/pusher/auth` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAuth {
    pub auth: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_data: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_and_parse() {
        assert!(Role::Owner.can_write() && Role::Member.can_write() && !Role::Viewer.can_write());
        for r in [Role::Viewer, Role::Member, Role::Owner] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("admin".parse::<Role>().is_err());
        assert_eq!(serde_json::to_string(&Role::Member).unwrap(), "\"member\"");
    }
}
