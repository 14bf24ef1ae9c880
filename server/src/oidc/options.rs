//! How the server signs people in through the site's OpenID Connect provider:
//! the provider and this server as its client, the claim that names a user, who
//! may be one, and which groups give which roles.

use kanban_protocol::model::Role;

/// Who a name the provider vouches for may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OidcUsers {
    /// Only names that are users already.
    #[default]
    Existing,
    /// A name that is not a user yet becomes one, member of what its groups give.
    Auto,
}

/// `GROUP=PROJECT:ROLE`: the members of the provider's group `GROUP` have
/// `ROLE` on `PROJECT`, given at each sign-in, and taken away at the first
/// sign-in after they left the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRole {
    pub group: String,
    pub project: String,
    pub role: Role,
}

impl std::str::FromStr for GroupRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let shape = || format!("{s:?} is not GROUP=PROJECT:ROLE (e.g. launch-team=Launch:member)");
        let (group, rest) = s.split_once('=').ok_or_else(shape)?;
        let (project, role) = rest.rsplit_once(':').ok_or_else(shape)?;
        if group.is_empty() || project.is_empty() {
            return Err(shape());
        }
        let role =
            role.parse().map_err(|_| format!("{s:?}: the role is owner, member or viewer, not {role:?}"))?;
        Ok(GroupRole { group: group.into(), project: project.into(), role })
    }
}

/// The provider and how its sign-ins are taken.
#[derive(Debug, Clone)]
pub struct OidcOptions {
    /// The issuer's URL, as its discovery document names it.
    pub issuer: String,
    pub client_id: String,
    /// Absent for a public client.
    pub client_secret: Option<String>,
    /// The claim whose value is the user's name here.
    pub username_claim: String,
    pub users: OidcUsers,
    pub group_roles: Vec<GroupRole>,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// How long a token the provider vouched for lasts past its last yes
    /// (`--oidc-session-days`).
    pub session: std::time::Duration,
}

impl OidcOptions {
    /// The roles `groups` give, by project: the highest where several do, and
    /// none (taken away) on the projects the mapping names for other groups.
    pub fn roles(&self, groups: &[String]) -> Vec<(String, Option<Role>)> {
        let mut roles: Vec<(String, Option<Role>)> = Vec::new();
        for mapping in &self.group_roles {
            let given = groups.contains(&mapping.group).then_some(mapping.role);
            match roles.iter_mut().find(|(p, _)| *p == mapping.project) {
                Some((_, role)) => *role = (*role).max(given),
                None => roles.push((mapping.project.clone(), given)),
            }
        }
        roles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_roles_read_and_combine() {
        let mapping: GroupRole = "launch-team=Launch: v2:member".parse().unwrap();
        assert_eq!((mapping.group.as_str(), mapping.project.as_str()), ("launch-team", "Launch: v2"));
        assert!("x=Launch".parse::<GroupRole>().unwrap_err().contains("GROUP=PROJECT:ROLE"));
        assert!("x=Launch:boss".parse::<GroupRole>().unwrap_err().contains("owner, member or viewer"));
        let options = OidcOptions {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: None,
            username_claim: "preferred_username".into(),
            users: OidcUsers::Existing,
            group_roles: ["everyone=Launch:viewer", "launch-team=Launch:member", "ops=Ops:owner"]
                .iter()
                .map(|m| m.parse().unwrap())
                .collect(),
            scopes: Vec::new(),
            session: std::time::Duration::from_secs(86_400),
        };
        let groups = ["everyone".to_string(), "launch-team".to_string()];
        assert_eq!(
            options.roles(&groups),
            [("Launch".to_string(), Some(Role::Member)), ("Ops".to_string(), None)]
        );
    }
}
