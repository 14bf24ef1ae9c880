//! Boards and their members over HTTP: the routes of [`crate::boards`], whose
//! rules every door shares.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kanban_protocol::model::{Member, Project};
use kanban_protocol::request::{MemberPatch, NewMember, NewProject, ProjectPatch};

use super::error::ApiResult;
use super::extract::{CurrentUser, Json, Path};
use crate::boards;
use crate::state::Core;

pub async fn create(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Json(new): Json<NewProject>,
) -> ApiResult<Response> {
    let project = boards::make(&state, user.id, &new.name).await?;
    Ok((StatusCode::CREATED, axum::Json(project)).into_response())
}

pub async fn update(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(project_id): Path<i64>,
    Json(patch): Json<ProjectPatch>,
) -> ApiResult<axum::Json<Project>> {
    let project = boards::change(&state, user.id, project_id, patch.name.as_deref(), patch.archived).await?;
    Ok(axum::Json(project))
}

pub async fn members(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(project_id): Path<i64>,
) -> ApiResult<axum::Json<Vec<Member>>> {
    Ok(axum::Json(boards::members(&state, user.id, project_id).await?))
}

pub async fn grant(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path(project_id): Path<i64>,
    Json(new): Json<NewMember>,
) -> ApiResult<Response> {
    let (new_member, members) = boards::grant(&state, user.id, project_id, &new.user, new.role).await?;
    let status = if new_member { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(members)).into_response())
}

pub async fn change(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path((project_id, member_id)): Path<(i64, i64)>,
    Json(patch): Json<MemberPatch>,
) -> ApiResult<axum::Json<Vec<Member>>> {
    Ok(axum::Json(boards::set_role(&state, user.id, project_id, member_id, patch.role).await?))
}

pub async fn remove(
    State(state): State<Core>,
    CurrentUser(user): CurrentUser,
    Path((project_id, member_id)): Path<(i64, i64)>,
) -> ApiResult<axum::Json<Vec<Member>>> {
    Ok(axum::Json(boards::remove(&state, user.id, project_id, member_id).await?))
}
