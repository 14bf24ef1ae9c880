//! The link's reads over REST: where kanban-tui's answers come from. A board or
//! a catch-up refused for good (the token, or a project no longer ours) is a
//! refusal; a catch-up whose events are gone or cannot be read is the whole
//! board instead.

use kanban_front::app::BoardsChange;
use kanban_front::link::reads::{BoardsAnswer, CaughtUp, Failure, Reads};
use kanban_protocol::inbox::{MarkRead, MyTask, MyWorkQuery, Notification, Since};
use kanban_protocol::model::{Activity, Board, Comment, Project, Trash, User};

use super::api::{Api, ApiError};
use super::session::refusal;

impl Reads for Api {
    async fn board(&self, project_id: i64) -> Result<Board, Failure> {
        Api::board(self, project_id).await.map_err(|e| refused_or_failed(&e))
    }

    async fn events_after(&self, project_id: i64, after: u64, epoch: u64) -> Result<CaughtUp, Failure> {
        match Api::events_after(self, project_id, after, epoch).await {
            Ok(Some(caught)) => Ok(CaughtUp::Events { events: caught.events, members: caught.members }),
            Ok(None) | Err(ApiError::Garbled(_)) => Ok(CaughtUp::Gone),
            Err(e) => Err(refused_or_failed(&e)),
        }
    }

    async fn trash(&self, project_id: i64) -> Result<Trash, Failure> {
        Api::trash(self, project_id).await.map_err(failed)
    }

    async fn thread(&self, task_id: i64) -> Result<(Vec<Comment>, Vec<Activity>), Failure> {
        match tokio::join!(self.comments(task_id), self.history(task_id)) {
            (Ok(comments), Ok(history)) => Ok((comments, history)),
            (Err(e), _) | (_, Err(e)) => Err(failed(e)),
        }
    }

    async fn activity(&self, project_id: i64) -> Result<Vec<Activity>, Failure> {
        Api::activity(self, project_id).await.map_err(failed)
    }

    async fn projects(&self, archived: bool) -> Result<Vec<Project>, Failure> {
        Api::projects_with(self, archived).await.map_err(failed)
    }

    async fn boards(&self, change: BoardsChange) -> Result<BoardsAnswer, Failure> {
        Api::boards(self, &change).await.map_err(failed)
    }

    async fn notifications(
        &self,
        unread_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notification>, Failure> {
        Api::notifications(self, unread_only, before, limit).await.map_err(failed)
    }

    async fn unread(&self) -> Result<u64, Failure> {
        Api::unread(self).await.map_err(failed)
    }

    async fn mark_read(&self, mark: MarkRead) -> Result<u64, Failure> {
        Api::mark_read(self, &mark).await.map_err(failed)
    }

    async fn my_tasks(&self, query: MyWorkQuery) -> Result<Vec<MyTask>, Failure> {
        Api::my_tasks(self, &query).await.map_err(failed)
    }

    async fn watch(&self, task_id: i64, watch: Option<bool>) -> Result<Vec<User>, Failure> {
        Api::watch(self, task_id, watch).await.map_err(failed)
    }

    async fn since(&self, project_id: i64) -> Result<Since, Failure> {
        Api::since(self, project_id).await.map_err(failed)
    }

    async fn seen(&self, project_id: i64, rev: u64) -> Result<(), Failure> {
        Api::seen(self, project_id, rev).await.map_err(failed)
    }
}

fn refused_or_failed(e: &ApiError) -> Failure {
    refusal(e).map_or_else(|| Failure::Failed(e.to_string()), Failure::Refused)
}

fn failed(e: ApiError) -> Failure {
    Failure::Failed(e.to_string())
}
