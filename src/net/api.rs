//! The REST API as the client uses it.

use kanban_protocol::check::FieldName;
use kanban_protocol::event::BoardEvent;
use kanban_protocol::inbox::{MarkRead, MyTask, MyWorkQuery, Notification, Seen, Since, Unread, Watchers};
use kanban_protocol::model;
use kanban_protocol::model::{
    Activity, Board, ChannelAuth, ClientConfig, Comment, EventData, EventsSince, Member, Project, Task,
    Trash, User,
};
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::app::{BoardsChange, Change};
use kanban_front::link::reads::BoardsAnswer;

/// Why a request failed, worded for the status bar.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error.
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// A change of a card was refused because the card changed meanwhile (409);
    /// `current` is the card as it is now.
    #[error("{message}")]
    Stale { message: String, current: Box<Task> },
    /// A field's value was refused (422); `field` names it.
    #[error("{message}")]
    BadValue { message: String, field: FieldName },
    /// Too many changes at once (429): the server takes the next after `retry_after`.
    #[error("{message}")]
    TooMany { message: String, retry_after: std::time::Duration },
    /// The server could not be reached.
    #[error("cannot reach the server: {0}")]
    Unreachable(String),
    #[error("unexpected answer from the server: {0}")]
    Garbled(String),
}

/// What was missed since a revision: the events, and the members now (`None`
/// from a server that does not say).
#[derive(Debug, Clone)]
pub struct CaughtUp {
    pub events: Vec<BoardEvent>,
    pub members: Option<Vec<Member>>,
}

/// A client of one server, as one user.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    /// The server as given: `http(s)://host:port[/prefix]`, or `unix:/path`.
    base: String,
    /// Where requests go: `base`, or for a Unix socket a placeholder host that the
    /// socket stands in for.
    origin: String,
    /// Empty on a Unix socket: there the account says who this is.
    token: String,
    /// For `https://` servers: the TLS setup the WebSocket uses too.
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Api {
    /// `base` is the server's URL (`http://host:port`).
    pub fn new(base: &str, token: &str) -> Self {
        Self::with_tls(base, token, None)
    }

    /// Like [`Api::new`], trusting what `tls` trusts for `https://` URLs.
    pub fn with_tls(base: &str, token: &str, tls: Option<Arc<rustls::ClientConfig>>) -> Self {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(30));
        if let Some(config) = &tls {
            builder = builder.use_preconfigured_tls((**config).clone());
        }
        let base = base.trim_end_matches('/').to_string();
        // A big board is megabytes of JSON that gzip makes a fifteenth: worth it
        // over a network, not over loopback or the host's socket, where moving
        // the bytes costs less than packing them (BENCHMARKS.md).
        builder = builder.gzip(over_network(&base));
        let origin = match unix_path(&base) {
            Some(path) => {
                builder = builder.unix_socket(path);
                UNIX_ORIGIN.to_string()
            }
            None => base.clone(),
        };
        let http = builder.build().expect("an HTTP client builds");
        Api { http, base, origin, token: token.to_string(), tls }
    }

    /// The path of the server's Unix socket, when it is reached through one.
    pub fn unix_socket(&self) -> Option<&str> {
        unix_path(&self.base)
    }

    /// The server's URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The TLS configuration for the WebSocket, if any.
    pub fn tls(&self) -> Option<Arc<rustls::ClientConfig>> {
        self.tls.clone()
    }

    /// The WebSocket URL for an app key.
    pub fn socket_url(&self, app_key: &str) -> String {
        let ws = if let Some(rest) = self.origin.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.origin.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            format!("ws://{}", self.origin)
        };
        format!("{ws}/app/{app_key}?protocol=7&client=kanban-tui&version={}", env!("CARGO_PKG_VERSION"))
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ApiError> {
        self.call_keyed(method, path, body, None).await
    }

    /// A call under an `Idempotency-Key`: sent again with the same key, a change is
    /// answered with its first event instead of being made twice.
    async fn call_keyed<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<T, ApiError> {
        let res = self.answer(method, path, body, key).await?;
        res.json().await.map_err(|e| ApiError::Garbled(e.to_string()))
    }

    /// The server's answer to a request, if it is a success.
    async fn answer(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<reqwest::Response, ApiError> {
        let mut req = self.authorized(self.http.request(method, format!("{}{path}", self.origin)));
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        let res = req.send().await.map_err(|e| ApiError::Unreachable(e.without_url().to_string()))?;
        let status = res.status();
        if !status.is_success() {
            // Seconds, as the server says them; a second when it does not.
            let retry_after = res
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .unwrap_or(1);
            // Not every answer is the server's own (a proxy's error page): its
            // status speaks then.
            let body = res
                .json::<model::ApiError>()
                .await
                .unwrap_or_else(|_| model::ApiError::said(status.to_string()));
            let message = body.error;
            if status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = std::time::Duration::from_secs(retry_after.clamp(1, 60));
                return Err(ApiError::TooMany { message, retry_after });
            }
            // A stale card comes back with its current state beside the message.
            if status == StatusCode::CONFLICT
                && let Some(current) = body.task
            {
                return Err(ApiError::Stale { message, current: Box::new(current) });
            }
            if let Some(field) = body.field {
                return Err(ApiError::BadValue { message, field });
            }
            return Err(ApiError::Refused { status: status.as_u16(), message });
        }
        Ok(res)
    }

    /// With the bearer token, where there is one.
    fn authorized(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if self.token.is_empty() { req } else { req.bearer_auth(&self.token) }
    }

    pub async fn config(&self) -> Result<ClientConfig, ApiError> {
        self.call(Method::GET, "/api/config", None).await
    }

    pub async fn me(&self) -> Result<User, ApiError> {
        self.call(Method::GET, "/api/me", None).await
    }

    pub async fn projects(&self) -> Result<Vec<Project>, ApiError> {
        self.projects_with(false).await
    }

    /// The projects, archived ones too with `archived`.
    pub async fn projects_with(&self, archived: bool) -> Result<Vec<Project>, ApiError> {
        let path = if archived { "/api/projects?archived=1" } else { "/api/projects" };
        self.call(Method::GET, path, None).await
    }

    /// Makes a change of boards or members (`/api/projects…`).
    pub async fn boards(&self, change: &BoardsChange) -> Result<BoardsAnswer, ApiError> {
        use serde_json::json;
        Ok(match change {
            BoardsChange::Make { name } => BoardsAnswer::Project(
                self.call(Method::POST, "/api/projects", Some(&json!({ "name": name }))).await?,
            ),
            BoardsChange::Rename { project_id, name } => BoardsAnswer::Project(
                self.call(
                    Method::PATCH,
                    &format!("/api/projects/{project_id}"),
                    Some(&json!({ "name": name })),
                )
                .await?,
            ),
            BoardsChange::Archive { project_id, archived } => BoardsAnswer::Project(
                self.call(
                    Method::PATCH,
                    &format!("/api/projects/{project_id}"),
                    Some(&json!({ "archived": archived })),
                )
                .await?,
            ),
            BoardsChange::Grant { project_id, user, role } => {
                let path = format!("/api/projects/{project_id}/members");
                let members =
                    self.call(Method::POST, &path, Some(&json!({ "user": user, "role": role }))).await?;
                BoardsAnswer::Members { project_id: *project_id, members }
            }
            BoardsChange::SetRole { project_id, member_id, role } => {
                let path = format!("/api/projects/{project_id}/members/{member_id}");
                let members = self.call(Method::PATCH, &path, Some(&json!({ "role": role }))).await?;
                BoardsAnswer::Members { project_id: *project_id, members }
            }
            BoardsChange::Remove { project_id, member_id } => {
                let path = format!("/api/projects/{project_id}/members/{member_id}");
                let members = self.call(Method::DELETE, &path, None).await?;
                BoardsAnswer::Members { project_id: *project_id, members }
            }
        })
    }

    /// A page of the person's notifications, newest first.
    pub async fn notifications(
        &self,
        unread_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notification>, ApiError> {
        let mut path = format!("/api/notifications?limit={limit}");
        if unread_only {
            path += "&unread=1";
        }
        if let Some(before) = before {
            path += &format!("&before={before}");
        }
        self.call(Method::GET, &path, None).await
    }

    /// How many of the person's notifications are unread.
    pub async fn unread(&self) -> Result<u64, ApiError> {
        let unread: Unread = self.call(Method::GET, "/api/notifications/unread", None).await?;
        Ok(unread.unread)
    }

    /// Marks notifications read; how many are unread now.
    pub async fn mark_read(&self, mark: &MarkRead) -> Result<u64, ApiError> {
        let unread: Unread = self.call(Method::POST, "/api/notifications/read", Some(&body(mark))).await?;
        Ok(unread.unread)
    }

    /// The person's cards across boards (`status`: open, done or all), due first.
    pub async fn my_tasks(&self, query: &MyWorkQuery) -> Result<Vec<MyTask>, ApiError> {
        let status = query.status.as_deref().unwrap_or("open");
        let mut path = format!("/api/me/tasks?status={status}");
        if let Some(before) = &query.due_before {
            path += &format!("&due_before={before}");
        }
        self.call(Method::GET, &path, None).await
    }

    /// Watches card `task_id` (`Some(true)`), stops, or only asks: who watches now.
    pub async fn watch(&self, task_id: i64, watch: Option<bool>) -> Result<Vec<User>, ApiError> {
        let path = format!("/api/tasks/{task_id}/watch");
        let watchers: Watchers = match watch {
            Some(true) => self.call(Method::POST, &path, None).await?,
            Some(false) => self.call(Method::DELETE, &path, None).await?,
            None => self.call(Method::GET, &format!("/api/tasks/{task_id}/watchers"), None).await?,
        };
        Ok(watchers.watchers)
    }

    /// What changed on the board since the person last looked.
    pub async fn since(&self, project_id: i64) -> Result<Since, ApiError> {
        self.call(Method::GET, &format!("/api/projects/{project_id}/seen"), None).await
    }

    /// The person has seen the board up to `rev` (answered with no body).
    pub async fn seen(&self, project_id: i64, rev: u64) -> Result<(), ApiError> {
        let path = format!("/api/projects/{project_id}/seen");
        self.answer(Method::PUT, &path, Some(&body(&Seen { rev })), None).await.map(drop)
    }

    /// The whole board. How long it took to come and to read is logged (debug):
    /// on a big board the start of the client is mostly this.
    pub async fn board(&self, project_id: i64) -> Result<Board, ApiError> {
        let asked = std::time::Instant::now();
        let at = crate::log::since_start();
        let res = self.answer(Method::GET, &format!("/api/projects/{project_id}/board"), None, None).await?;
        let bytes = res.bytes().await.map_err(|e| ApiError::Garbled(e.to_string()))?;
        let came = asked.elapsed();
        let board: Board = serde_json::from_slice(&bytes).map_err(|e| ApiError::Garbled(e.to_string()))?;
        tracing::debug!(
            project_id,
            bytes = bytes.len(),
            cards = board.tasks.len(),
            asked_at_ms = at.as_millis() as u64,
            fetch_ms = ms(came),
            parse_ms = ms(asked.elapsed() - came),
            "board fetched"
        );
        Ok(board)
    }

    /// The project's history, newest first (the last 200 lines).
    pub async fn activity(&self, project_id: i64) -> Result<Vec<Activity>, ApiError> {
        self.call(Method::GET, &format!("/api/projects/{project_id}/activity?limit=200"), None).await
    }

    /// A card's history, newest first.
    pub async fn history(&self, task_id: i64) -> Result<Vec<Activity>, ApiError> {
        self.call(Method::GET, &format!("/api/tasks/{task_id}/history?limit=100"), None).await
    }

    /// A card's comments, oldest first.
    /// One card, with its checklist.
    pub async fn task(&self, task_id: i64) -> Result<Task, ApiError> {
        self.call(Method::GET, &format!("/api/tasks/{task_id}"), None).await
    }

    pub async fn comments(&self, task_id: i64) -> Result<Vec<Comment>, ApiError> {
        self.call(Method::GET, &format!("/api/tasks/{task_id}/comments"), None).await
    }

    /// What the project's trash holds.
    pub async fn trash(&self, project_id: i64) -> Result<Trash, ApiError> {
        self.call(Method::GET, &format!("/api/projects/{project_id}/trash"), None).await
    }

    /// The events since `after` (a revision of `epoch`; 0 if unknown), oldest
    /// first, with the members now; or `None` when the events are no longer kept
    /// or are of another history (410). An event this client cannot read is
    /// `Garbled`.
    pub async fn events_after(
        &self,
        project_id: i64,
        after: u64,
        epoch: u64,
    ) -> Result<Option<CaughtUp>, ApiError> {
        let mut path = format!("/api/projects/{project_id}/events?after={after}");
        if epoch != 0 {
            path += &format!("&epoch={epoch}");
        }
        match self.call::<EventsSince>(Method::GET, &path, None).await {
            Ok(since) => {
                let events = since
                    .events
                    .into_iter()
                    .map(|e| {
                        BoardEvent::decode(&e.name, e.data).map_err(|e| ApiError::Garbled(e.to_string()))
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Some(CaughtUp { events, members: since.members }))
            }
            Err(ApiError::Refused { status, .. }) if status == StatusCode::GONE.as_u16() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A channel signature, as pusher-js would ask for it.
    pub async fn authorize(&self, socket_id: &str, channel: &str) -> Result<ChannelAuth, ApiError> {
        let res = self
            .authorized(self.http.post(format!("{}/api/pusher/auth", self.origin)))
            .form(&[("socket_id", socket_id), ("channel_name", channel)])
            .send()
            .await
            .map_err(|e| ApiError::Unreachable(e.without_url().to_string()))?;
        let status = res.status();
        if !status.is_success() {
            let message = res.json::<model::ApiError>().await.map(|b| b.error);
            return Err(ApiError::Refused {
                status: status.as_u16(),
                message: message.unwrap_or_else(|_| status.to_string()),
            });
        }
        res.json().await.map_err(|e| ApiError::Garbled(e.to_string()))
    }

    /// Makes a change under `key`; answers its event.
    pub async fn write(&self, w: &Change, key: &str) -> Result<BoardEvent, ApiError> {
        let data: EventData = self.send_change(w, key).await?;
        BoardEvent::decode(w.event(), data).map_err(|e| ApiError::Garbled(e.to_string()))
    }

    async fn send_change(&self, w: &Change, key: &str) -> Result<EventData, ApiError> {
        let key = Some(key);
        match w {
            Change::CreateTask { project_id, new } => {
                self.call_keyed(
                    Method::POST,
                    &format!("/api/projects/{project_id}/tasks"),
                    Some(&body(new)),
                    key,
                )
                .await
            }
            Change::UpdateTask { task_id, patch } => {
                self.call_keyed(Method::PATCH, &format!("/api/tasks/{task_id}"), Some(&body(patch)), key)
                    .await
            }
            Change::MoveTask { task_id, to } => {
                self.call_keyed(Method::POST, &format!("/api/tasks/{task_id}/move"), Some(&body(to)), key)
                    .await
            }
            Change::DeleteTask { task_id } => {
                self.call_keyed(Method::DELETE, &format!("/api/tasks/{task_id}"), None, key).await
            }
            Change::CreateStatus { project_id, new } => {
                self.call_keyed(
                    Method::POST,
                    &format!("/api/projects/{project_id}/statuses"),
                    Some(&body(new)),
                    key,
                )
                .await
            }
            Change::UpdateStatus { status_id, patch } => {
                self.call_keyed(Method::PATCH, &format!("/api/statuses/{status_id}"), Some(&body(patch)), key)
                    .await
            }
            Change::MoveStatus { status_id, to } => {
                self.call_keyed(
                    Method::POST,
                    &format!("/api/statuses/{status_id}/move"),
                    Some(&body(to)),
                    key,
                )
                .await
            }
            Change::DeleteStatus { status_id, move_to } => {
                let query = move_to.map(|m| format!("?move_to={m}")).unwrap_or_default();
                self.call_keyed(Method::DELETE, &format!("/api/statuses/{status_id}{query}"), None, key).await
            }
            Change::RestoreTask { task_id } => {
                self.call_keyed(Method::POST, &format!("/api/tasks/{task_id}/restore"), None, key).await
            }
            Change::RestoreStatus { status_id } => {
                self.call_keyed(Method::POST, &format!("/api/statuses/{status_id}/restore"), None, key).await
            }
            Change::CreateComment { task_id, new } => {
                self.call_keyed(
                    Method::POST,
                    &format!("/api/tasks/{task_id}/comments"),
                    Some(&body(new)),
                    key,
                )
                .await
            }
            Change::UpdateComment { comment_id, patch } => {
                self.call_keyed(
                    Method::PATCH,
                    &format!("/api/comments/{comment_id}"),
                    Some(&body(patch)),
                    key,
                )
                .await
            }
            Change::DeleteComment { comment_id } => {
                self.call_keyed(Method::DELETE, &format!("/api/comments/{comment_id}"), None, key).await
            }
            Change::CreateItem { task_id, new } => {
                self.call_keyed(
                    Method::POST,
                    &format!("/api/tasks/{task_id}/checklist"),
                    Some(&body(new)),
                    key,
                )
                .await
            }
            Change::UpdateItem { item_id, patch } => {
                self.call_keyed(Method::PATCH, &format!("/api/checklist/{item_id}"), Some(&body(patch)), key)
                    .await
            }
            Change::MoveItem { item_id, to } => {
                self.call_keyed(Method::POST, &format!("/api/checklist/{item_id}/move"), Some(&body(to)), key)
                    .await
            }
            Change::DeleteItem { item_id } => {
                self.call_keyed(Method::DELETE, &format!("/api/checklist/{item_id}"), None, key).await
            }
        }
    }
}

/// Milliseconds, to a tenth.
fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// What requests name as the server when a Unix socket carries them.
const UNIX_ORIGIN: &str = "http://localhost";

/// The path of a `unix:/path` server.
/// Whether `base` is a server on another host (not loopback, not a Unix socket).
fn over_network(base: &str) -> bool {
    if unix_path(base).is_some() {
        return false;
    }
    let Ok(url) = reqwest::Url::parse(base) else { return false };
    let Some(host) = url.host_str() else { return false };
    match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(ip) => !ip.is_loopback(),
        Err(_) => !host.eq_ignore_ascii_case("localhost"),
    }
}

fn unix_path(base: &str) -> Option<&str> {
    base.strip_prefix("unix:")
}

fn body<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("request bodies serialize")
}

#[cfg(test)]
mod tests {
    use super::over_network;

    #[test]
    fn only_a_server_on_another_host_is_asked_for_gzip() {
        for here in [
            "http://127.0.0.1:7878",
            "http://localhost:7878",
            "http://[::1]:7878",
            "unix:/run/kanban/kanban.sock",
        ] {
            assert!(!over_network(here), "{here}");
        }
        for there in ["https://board.example.org", "http://10.0.0.5:7878", "http://[2001:db8::1]:7878"] {
            assert!(over_network(there), "{there}");
        }
    }
}
