//! Boards and their members from the board itself: anyone makes a board (and owns
//! it) unless the site keeps that to its administrators; its owners rename,
//! archive and bring it back, and grant, change and take away access. Access
//! changes are recorded as the admin commands record them, so every open board
//! feels them the same way (`members-changed`, or a revocation that closes what
//! the person had open). Each counts in its author's budget of changes, as a
//! board change does.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kanban_protocol::model::{Member, Project, Role};
use kanban_protocol::request::{MemberPatch, NewMember, NewProject, ProjectPatch};

use super::error::{ApiError, ApiResult};
use super::extract::{CurrentUser, Json, Path};
use crate::state::Core;
use crate::store::StoreError;

/// A name a board may have, or why not (422).
fn checked_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    crate::admin::check_project_name(name)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    Ok(name.to_string())
}

/// Checks that `user_id` owns project `project_id`: a non-member learns nothing
/// (404), a member who is not an owner is told so (403).
async fn owner(state: &Core, user_id: i64, project_id: i64) -> ApiResult<()> {
    match state.store.role_of(project_id, user_id).await? {
        None => Err(StoreError::NotFound("project").into()),
        Some(Role::Owner) => Ok(()),
        Some(_) => Err(ApiError::forbidden("only the board's owners change it and its members")),
    }
}

pub async fn create(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Json(new): Json<NewProject>,
) -> ApiResult<Response> {
    if state.hub.limits().admins_make_boards {
        return Err(ApiError::forbidden(
            "on this site the administrators make boards (kanban-server project add)",
        ));
    }
    state.writer.spend(user.id)?;
    let name = checked_name(&new.name)?;
    let id = state.store.add_project(&name, &[(user.id, Role::Owner)]).await?;
    let project = Project { id, name, role: Role::Owner, archived: false };
    Ok((StatusCode::CREATED, axum::Json(project)).into_response())
}

pub async fn update(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(project_id): Path<i64>,
    Json(patch): Json<ProjectPatch>,
) -> ApiResult<axum::Json<Project>> {
    owner(&state, user.id, project_id).await?;
    state.writer.spend(user.id)?;
    if patch.name.is_none() && patch.archived.is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing to change: give name or archived",
        ));
    }
    if let Some(name) = &patch.name {
        state.store.rename_project(project_id, &checked_name(name)?).await?;
    }
    if let Some(archived) = patch.archived {
        state.store.archive_project(project_id, archived).await?;
    }
    let project = state.store.projects_of(user.id).await?.into_iter().find(|p| p.id == project_id);
    Ok(axum::Json(project.ok_or(StoreError::NotFound("project"))?))
}

pub async fn members(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(project_id): Path<i64>,
) -> ApiResult<axum::Json<Vec<Member>>> {
    crate::board::read::role(&*state.store, user.id, project_id).await?;
    Ok(axum::Json(state.store.members(project_id).await?))
}

/// Refuses to leave the board without an owner: `user_id`, when they are its
/// last, may not stop being one.
async fn keep_an_owner(state: &Core, project_id: i64, user_id: i64, role: Option<Role>) -> ApiResult<()> {
    if role == Some(Role::Owner) {
        return Ok(());
    }
    let members = state.store.members(project_id).await?;
    let owners: Vec<&Member> = members.iter().filter(|m| m.role == Role::Owner).collect();
    if let [only] = owners.as_slice()
        && only.id == user_id
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{} is the board's last owner: make someone else an owner first", only.name),
        ));
    }
    Ok(())
}

pub async fn grant(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(project_id): Path<i64>,
    Json(new): Json<NewMember>,
) -> ApiResult<Response> {
    owner(&state, user.id, project_id).await?;
    state.writer.spend(user.id)?;
    let who = state.store.user_by_name(new.user.trim()).await.map_err(|e| match e {
        StoreError::NotFound(_) => ApiError::not_found(format!("no user named {:?}", new.user.trim())),
        e => e.into(),
    })?;
    let was = state.store.role_of(project_id, who.id).await?;
    keep_an_owner(&state, project_id, who.id, Some(new.role)).await?;
    state.store.grant(project_id, who.id, new.role).await?;
    let status = if was.is_none() { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(state.store.members(project_id).await?)).into_response())
}

pub async fn change(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path((project_id, member_id)): Path<(i64, i64)>,
    Json(patch): Json<MemberPatch>,
) -> ApiResult<axum::Json<Vec<Member>>> {
    owner(&state, user.id, project_id).await?;
    state.writer.spend(user.id)?;
    if state.store.role_of(project_id, member_id).await?.is_none() {
        return Err(StoreError::NotFound("member").into());
    }
    keep_an_owner(&state, project_id, member_id, Some(patch.role)).await?;
    state.store.grant(project_id, member_id, patch.role).await?;
    Ok(axum::Json(state.store.members(project_id).await?))
}

/// An owner takes someone's access away; anyone may leave a board themselves.
pub async fn remove(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path((project_id, member_id)): Path<(i64, i64)>,
) -> ApiResult<axum::Json<Vec<Member>>> {
    if member_id == user.id {
        crate::board::read::role(&*state.store, user.id, project_id).await?;
    } else {
        owner(&state, user.id, project_id).await?;
    }
    state.writer.spend(user.id)?;
    keep_an_owner(&state, project_id, member_id, None).await?;
    state.store.revoke(project_id, member_id).await.map_err(|e| match e {
        StoreError::NotFound(_) => StoreError::NotFound("member"),
        e => e,
    })?;
    Ok(axum::Json(state.store.members(project_id).await?))
}
