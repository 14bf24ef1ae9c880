//! Boards and their members as people change them, for every door (the HTTP API
//! and an SSH session alike): anyone makes a board (and owns it) unless the site
//! keeps that to its administrators; its owners rename, archive and bring it
//! back, and grant, change and take away access; anyone leaves a board. A board
//! never loses its last owner. Access changes are recorded as the admin commands
//! record them, so every open board feels them the same way (`members-changed`,
//! or a revocation that closes what the person had open). Each change counts in
//! its author's budget of changes, as a board change does.

use kanban_protocol::model::{Member, Project, Role};

use crate::board::OpError;
use crate::state::Core;
use crate::store::StoreError;

/// Why a change of boards or members was not made.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// No such board or person, or one the asker cannot see.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    /// Not the asker's to change.
    #[error("{0}")]
    Forbidden(String),
    /// A value that cannot be taken, or a change that cannot be made.
    #[error("{0}")]
    Invalid(String),
    /// A name another board has.
    #[error("{0}")]
    Taken(String),
    /// Past the author's budget of changes.
    #[error(transparent)]
    Budget(#[from] OpError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Refused::NotFound(what),
            StoreError::Conflict(m) => Refused::Taken(m),
            e => Refused::Store(e),
        }
    }
}

type Result<T> = std::result::Result<T, Refused>;

/// A name a board may have.
fn checked_name(name: &str) -> Result<String> {
    let name = name.trim();
    crate::admin::check_project_name(name).map_err(|e| Refused::Invalid(e.to_string()))?;
    Ok(name.to_string())
}

/// Checks that `user_id` owns project `project_id`: a non-member learns nothing,
/// a member who is not an owner is told so.
async fn owner(core: &Core, user_id: i64, project_id: i64) -> Result<()> {
    match core.store.role_of(project_id, user_id).await? {
        None => Err(Refused::NotFound("project")),
        Some(Role::Owner) => Ok(()),
        Some(_) => Err(Refused::Forbidden("only the board's owners change it and its members".into())),
    }
}

/// Refuses to leave the board without an owner: `user_id`, when they are its
/// last, may not stop being one (`role`: what they would be, `None`: gone).
async fn keep_an_owner(core: &Core, project_id: i64, user_id: i64, role: Option<Role>) -> Result<()> {
    if role == Some(Role::Owner) {
        return Ok(());
    }
    let members = core.store.members(project_id).await?;
    let owners: Vec<&Member> = members.iter().filter(|m| m.role == Role::Owner).collect();
    if let [only] = owners.as_slice()
        && only.id == user_id
    {
        return Err(Refused::Invalid(format!(
            "{} is the board's last owner: make someone else an owner first",
            only.name
        )));
    }
    Ok(())
}

/// The boards `user_id` is a member of, archived ones only with `archived`
/// (they leave the picker unless asked for).
pub async fn list(core: &Core, user_id: i64, archived: bool) -> Result<Vec<Project>> {
    let mut projects = core.store.projects_of(user_id).await?;
    projects.retain(|p| archived || !p.archived);
    Ok(projects)
}

/// A new board named `name`, with the default columns, owned by `user_id`.
pub async fn make(core: &Core, user_id: i64, name: &str) -> Result<Project> {
    if core.hub.limits().admins_make_boards {
        return Err(Refused::Forbidden(
            "on this site the administrators make boards (kanban-server project add)".into(),
        ));
    }
    core.writer.spend(user_id)?;
    let name = checked_name(name)?;
    let id = core.store.add_project(&name, &[(user_id, Role::Owner)]).await?;
    Ok(Project { id, name, role: Role::Owner, archived: false })
}

/// Renames and/or archives (or brings back) a board, by one of its owners.
pub async fn change(
    core: &Core,
    user_id: i64,
    project_id: i64,
    name: Option<&str>,
    archived: Option<bool>,
) -> Result<Project> {
    owner(core, user_id, project_id).await?;
    core.writer.spend(user_id)?;
    if name.is_none() && archived.is_none() {
        return Err(Refused::Invalid("nothing to change: give name or archived".into()));
    }
    if let Some(name) = name {
        core.store.rename_project(project_id, &checked_name(name)?).await?;
    }
    if let Some(archived) = archived {
        core.store.archive_project(project_id, archived).await?;
    }
    let project = core.store.projects_of(user_id).await?.into_iter().find(|p| p.id == project_id);
    project.ok_or(Refused::NotFound("project"))
}

/// The board's members, for any of them.
pub async fn members(core: &Core, user_id: i64, project_id: i64) -> Result<Vec<Member>> {
    crate::board::read::role(&*core.store, user_id, project_id).await?;
    Ok(core.store.members(project_id).await?)
}

/// Gives the user named `name` `role` on the board, by one of its owners;
/// answers whether they are new to it, and the members now.
pub async fn grant(
    core: &Core,
    user_id: i64,
    project_id: i64,
    name: &str,
    role: Role,
) -> Result<(bool, Vec<Member>)> {
    owner(core, user_id, project_id).await?;
    core.writer.spend(user_id)?;
    let who = core.store.user_by_name(name.trim()).await.map_err(|e| match e {
        StoreError::NotFound(_) => Refused::NoSuchUser(name.trim().to_string()),
        e => e.into(),
    })?;
    let was = core.store.role_of(project_id, who.id).await?;
    keep_an_owner(core, project_id, who.id, Some(role)).await?;
    core.store.grant(project_id, who.id, role).await?;
    Ok((was.is_none(), core.store.members(project_id).await?))
}

/// Changes a member's role, by one of the board's owners; the members now.
pub async fn set_role(
    core: &Core,
    user_id: i64,
    project_id: i64,
    member_id: i64,
    role: Role,
) -> Result<Vec<Member>> {
    owner(core, user_id, project_id).await?;
    core.writer.spend(user_id)?;
    if core.store.role_of(project_id, member_id).await?.is_none() {
        return Err(Refused::NotFound("member"));
    }
    keep_an_owner(core, project_id, member_id, Some(role)).await?;
    core.store.grant(project_id, member_id, role).await?;
    Ok(core.store.members(project_id).await?)
}

/// Takes a member's access away: an owner's to do, and anyone's for
/// themselves (leaving); the members now.
pub async fn remove(core: &Core, user_id: i64, project_id: i64, member_id: i64) -> Result<Vec<Member>> {
    if member_id == user_id {
        crate::board::read::role(&*core.store, user_id, project_id).await?;
    } else {
        owner(core, user_id, project_id).await?;
    }
    core.writer.spend(user_id)?;
    keep_an_owner(core, project_id, member_id, None).await?;
    core.store.revoke(project_id, member_id).await.map_err(|e| match e {
        StoreError::NotFound(_) => Refused::NotFound("member"),
        e => e.into(),
    })?;
    Ok(core.store.members(project_id).await?)
}
