//! The admin commands (`user ...`, `project ...`, `app`): each takes the store and
//! returns what to print. They work on the same data directory as a running server.

use kanban_protocol::color;
use kanban_protocol::model::{Role, User};

use crate::config::AppCredentials;
use crate::store::sign_in::SignInKinds;
use crate::store::{Store, StoreError};

/// Errors of admin commands, worded for the person at the terminal.
pub type Result<T> = std::result::Result<T, AdminError>;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn check_name(what: &str, name: &str, max: usize) -> Result<()> {
    let ok = !name.is_empty()
        && name.chars().count() <= max
        && !name.chars().any(|c| c.is_control() || c.is_whitespace() && what == "user");
    if !ok {
        let rule = if what == "user" {
            "without spaces or control characters"
        } else {
            "without control characters"
        };
        return Err(AdminError::Invalid(format!("a {what} name has 1 to {max} characters, {rule}")));
    }
    Ok(())
}

/// `user add NAME [--color C]`: prints the new token alone.
pub async fn user_add(store: &dyn Store, name: &str, color: Option<&str>) -> Result<String> {
    check_name("user", name, 64)?;
    let color = match color {
        Some(c) => color::parse(c).map_err(|e| AdminError::Invalid(e.to_string()))?,
        None => {
            let taken: Vec<String> = store.users().await?.into_iter().map(|u| u.color).collect();
            color::pick(name, &taken).to_string()
        }
    };
    let (_, token) = store.add_user(name, &color).await?;
    Ok(token)
}

/// The user named `name`, made for a sign-in that brings no token (a host
/// account, a certificate's principal): added with the token it is issued
/// revoked at once, so that no credential exists that nobody was shown. A name
/// made meanwhile by another sign-in is that user.
pub async fn user_made_for_signin(store: &dyn Store, name: &str) -> Result<User> {
    match user_add(store, name, None).await {
        Ok(_token) => {
            let user = store.user_by_name(name).await?;
            store.revoke_tokens(user.id).await?;
            Ok(user)
        }
        Err(AdminError::Store(StoreError::Conflict(_))) => Ok(store.user_by_name(name).await?),
        Err(e) => Err(e),
    }
}

/// `user list`: one line per user: id, name, color, and the ways they sign in
/// (tokens, SSH keys, a Unix account of this host, a certificate, the provider),
/// `; ` between them.
pub async fn user_list(store: &dyn Store) -> Result<String> {
    let users = store.sign_in_kinds().await?;
    Ok(users
        .iter()
        .map(|k| format!("{}\t{}\t{}\t{}\n", k.user.id, k.user.name, k.user.color, ways_in(k)))
        .collect())
}

/// How a person signs in, in a few words each.
fn ways_in(k: &SignInKinds) -> String {
    let count = |n: u32, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let when = |at: i64| {
        jiff::Timestamp::from_second(at)
            .map_or_else(|_| "?".into(), |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
    };
    let mut ways = Vec::new();
    if k.tokens > 0 {
        ways.push(count(k.tokens, "token"));
    }
    if k.keys > 0 {
        ways.push(count(k.keys, "SSH key"));
    }
    if host_account(&k.user.name) {
        ways.push("Unix account".into());
    }
    if let Some((subject, at)) = &k.certificate {
        ways.push(format!("certificate {subject} (last {})", when(*at)));
    }
    if let Some((subject, at)) = &k.provider {
        ways.push(format!(
            "provider subject {subject} (last {}, {} live)",
            when(*at),
            count(k.provider_tokens, "session")
        ));
    }
    if ways.is_empty() { "no way in yet".into() } else { ways.join("; ") }
}

/// Whether this host has an account of that name (which the Unix socket, when
/// served, takes as the user of the same name).
fn host_account(name: &str) -> bool {
    matches!(nix::unistd::User::from_name(name), Ok(Some(_)))
}

/// `user remove NAME`.
pub async fn user_remove(store: &dyn Store, name: &str) -> Result<()> {
    let alone = lone_owner_of(store, name, None).await?;
    if !alone.is_empty() {
        return Err(AdminError::Invalid(format!(
            "{name} is the last owner of {}: give each another owner first \
             (kanban-server project grant PROJECT USER --role owner), so that no board is left without one",
            alone.join(", ")
        )));
    }
    Ok(store.remove_user(name).await?)
}

/// The projects (of `only` when given) where `user` is the one owner.
async fn lone_owner_of(store: &dyn Store, user: &str, only: Option<i64>) -> Result<Vec<String>> {
    Ok(store
        .all_projects()
        .await?
        .into_iter()
        .filter(|p| only.is_none_or(|id| id == p.id))
        .filter(|p| {
            let owners: Vec<&str> =
                p.members.iter().filter(|(_, role)| *role == Role::Owner).map(|(n, _)| n.as_str()).collect();
            owners == [user]
        })
        .map(|p| p.name)
        .collect())
}

/// Refuses to leave `project` without an owner by taking `user`'s ownership away.
async fn keep_an_owner(store: &dyn Store, project_id: i64, user: &str) -> Result<()> {
    if let Some(name) = lone_owner_of(store, user, Some(project_id)).await?.first() {
        return Err(AdminError::Invalid(format!(
            "{user} is the last owner of {name}: give it another owner first \
             (kanban-server project grant {name:?} USER --role owner)"
        )));
    }
    Ok(())
}

/// `user token NAME`: issues another token and prints it alone.
pub async fn user_token(store: &dyn Store, name: &str) -> Result<String> {
    let user = user_named(store, name).await?;
    Ok(store.issue_token(user.id).await?)
}

/// `user revoke NAME`: ends every way in the board keeps for the user (tokens,
/// the provider's sessions with them, SSH keys) and every live session, by
/// certificate too; the user, their memberships and their work stay. What it
/// ended and what it cannot end, in a line.
pub async fn user_revoke(store: &dyn Store, name: &str) -> Result<String> {
    let user = user_named(store, name).await?;
    let ended = store.end_sign_ins(user.id).await?;
    Ok(format!(
        "{name}: {} token(s) revoked (sessions through the sign-in provider with them), {} SSH key(s) removed, \
         every open session ended. A new sign-in through the site's provider, by a certificate of its CA or as \
         a Unix account of this host is theirs to refuse, or remove the user (kanban-server user remove {name})",
        ended.tokens, ended.keys
    ))
}

/// `user key add NAME`: adds the public key `text` (a .pub file's line) to the
/// user; prints its fingerprint.
#[cfg(feature = "ssh")]
pub async fn user_key_add(store: &dyn Store, name: &str, text: &str) -> Result<String> {
    let user = user_named(store, name).await?;
    let key = crate::ssh::keys::parse(text).map_err(AdminError::Invalid)?;
    store.add_ssh_key(user.id, &key).await?;
    Ok(key.fingerprint)
}

/// `user key list NAME`: fingerprint, key and comment, a line each.
pub async fn user_key_list(store: &dyn Store, name: &str) -> Result<String> {
    let user = user_named(store, name).await?;
    let keys = store.ssh_keys(user.id).await?;
    Ok(keys
        .iter()
        .map(|k| format!("{}\t{}\t{}\t{}\n", k.fingerprint, k.added, k.public_key, k.comment))
        .collect())
}

/// `user key remove NAME FINGERPRINT`: the sessions the key opened end.
pub async fn user_key_remove(store: &dyn Store, name: &str, fingerprint: &str) -> Result<()> {
    let user = user_named(store, name).await?;
    Ok(store.remove_ssh_key(user.id, fingerprint).await?)
}

/// The user named `name`; one who is not is said with what to run first.
async fn user_named(store: &dyn Store, name: &str) -> Result<User> {
    store.user_by_name(name).await.map_err(|e| match e {
        StoreError::NotFound(_) => AdminError::Invalid(format!(
            "no user named {name:?}: add them first with `kanban-server user add {name}`"
        )),
        e => e.into(),
    })
}

/// Parses `USER[:ROLE]` (the role defaults to member).
fn parse_member(spec: &str) -> Result<(&str, Role)> {
    match spec.rsplit_once(':') {
        Some((user, role)) => Ok((
            user,
            role.parse()
                .map_err(|e: kanban_protocol::model::UnknownName| AdminError::Invalid(e.to_string()))?,
        )),
        None => Ok((spec, Role::Member)),
    }
}

/// `project add NAME [--member USER[:ROLE]]...`: prints the new project's id alone.
pub async fn project_add(store: &dyn Store, name: &str, members: &[String]) -> Result<i64> {
    check_project_name(name)?;
    let resolved: Vec<(i64, Role)> =
        resolve_members(store, members).await?.into_iter().map(|(user, role)| (user.id, role)).collect();
    Ok(store.add_project(name, &resolved).await?)
}

/// A name a project may have.
pub fn check_project_name(name: &str) -> Result<()> {
    check_name("project", name, 100)?;
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AdminError::Invalid(
            "a project name cannot be all digits: it would read as an id".into(),
        ));
    }
    Ok(())
}

/// Members as `USER[:ROLE]` (the role `member` when none is said), each a user.
pub async fn resolve_members(store: &dyn Store, members: &[String]) -> Result<Vec<(User, Role)>> {
    let mut resolved = Vec::with_capacity(members.len());
    for spec in members {
        let (user, role) = parse_member(spec)?;
        let user = user_named(store, user).await?;
        resolved.push((user, role));
    }
    Ok(resolved)
}

/// `project list`: one line per project: id, name, members with roles.
pub async fn project_list(store: &dyn Store) -> Result<String> {
    let projects = store.all_projects().await?;
    Ok(projects
        .iter()
        .map(|p| {
            let members: Vec<String> = p.members.iter().map(|(u, r)| format!("{u}:{r}")).collect();
            format!("{}\t{}\t{}\n", p.id, p.name, members.join(","))
        })
        .collect())
}

/// `project grant PROJECT USER [--role R]`.
pub async fn project_grant(store: &dyn Store, project: &str, user: &str, role: Role) -> Result<()> {
    let (project_id, _) = store.find_project(project).await?;
    let user = user_named(store, user).await?;
    if role != Role::Owner {
        keep_an_owner(store, project_id, &user.name).await?;
    }
    Ok(store.grant(project_id, user.id, role).await?)
}

/// `project revoke PROJECT USER`.
pub async fn project_revoke(store: &dyn Store, project: &str, user: &str) -> Result<()> {
    let (project_id, _) = store.find_project(project).await?;
    let user = user_named(store, user).await?;
    keep_an_owner(store, project_id, &user.name).await?;
    Ok(store.revoke(project_id, user.id).await?)
}

/// `backup FILE`: a consistent copy of the database, made while the server runs.
pub async fn backup(store: &dyn Store, path: &std::path::Path) -> Result<()> {
    Ok(store.backup(path).await?)
}

/// `app`: the credentials Pusher SDKs and load tools need.
pub fn app(app: &AppCredentials) -> String {
    format!("app_id\t{}\nkey\t{}\nsecret\t{}\n", app.id, app.key, app.secret)
}
