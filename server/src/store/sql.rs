//! What a backend writes in its own SQL, by purpose: each trait is implemented on
//! the backend's connection type, synchronously, once. The async store
//! ([`super::Store`]) is built over them in [`super::backend`], for every backend
//! alike: which statements run on a reader or on the writer, and what is copied
//! into the blocking task, is decided there and nowhere else.
//!
//! Reads of a board here are plain: who may read it is the board core's to check
//! ([`crate::board::read`]), as it checks who may change it.

use kanban_protocol::inbox::{MyTask, Notification, Since};
use kanban_protocol::model::{Board, Comment, Member, Project, Role, Trash, User};

use super::batch::Batches;
use super::sign_in::{Ended, NewProviderToken, ProviderSession, SignInKinds, Way};
use super::webhook::{Claim, Delivery, Hook, HookEvents, HookStatus, Progress};
use super::{AccessChanges, EventsAfter, KeyHolder, Logged, ProjectMembers, Result, SshKey, TokenHolder};
use crate::config::AppCredentials;

/// Users and their tokens, projects and their members, the app's credentials, and
/// the record of access changes.
pub trait IdentitySql: Sized {
    /// The stored app credentials, created with `generate` on first use.
    fn app_credentials(c: &mut Self, generate: &AppCredentials) -> Result<AppCredentials>;
    fn add_user(c: &mut Self, name: &str, color: &str) -> Result<(User, String)>;
    fn users(c: &mut Self) -> Result<Vec<User>>;
    fn user_by_name(c: &mut Self, name: &str) -> Result<User>;
    fn remove_user(c: &mut Self, name: &str) -> Result<()>;
    fn issue_token(c: &mut Self, user_id: i64) -> Result<String>;
    fn revoke_tokens(c: &mut Self, user_id: i64) -> Result<u64>;
    fn user_by_token(c: &mut Self, token: &str) -> Result<Option<TokenHolder>>;
    fn token_is_live(c: &mut Self, token_id: i64, user_id: i64) -> Result<bool>;
    fn token_access(
        c: &mut Self,
        token_id: i64,
        user_id: i64,
        project_id: i64,
    ) -> Result<Option<(Role, u64)>>;
    fn add_project(c: &mut Self, name: &str, members: &[(i64, Role)]) -> Result<i64>;
    fn all_projects(c: &mut Self) -> Result<Vec<ProjectMembers>>;
    fn find_project(c: &mut Self, id_or_name: &str) -> Result<(i64, String)>;
    fn grant(c: &mut Self, project_id: i64, user_id: i64, role: Role) -> Result<()>;
    fn revoke(c: &mut Self, project_id: i64, user_id: i64) -> Result<()>;
    fn rename_project(c: &mut Self, project_id: i64, name: &str) -> Result<()>;
    /// Archives a project (`true`) or brings it back.
    fn archive_project(c: &mut Self, project_id: i64, archived: bool) -> Result<()>;
    fn projects_of(c: &mut Self, user_id: i64) -> Result<Vec<Project>>;
    fn role_of(c: &mut Self, project_id: i64, user_id: i64) -> Result<Option<Role>>;
    fn access_changes(c: &mut Self, after: i64) -> Result<AccessChanges>;
    fn forget_access_changes(c: &mut Self, upto: i64) -> Result<()>;
}

/// Sign-ins from outside the board's own tokens (see [`super::SignIns`]).
pub trait SignInSql: Sized {
    fn issue_provider_token(c: &mut Self, new: &NewProviderToken) -> Result<String>;
    fn record_sign_in(c: &mut Self, user_id: i64, way: Way, subject: &str, now: i64) -> Result<i64>;
    fn signed_out(c: &mut Self, user_id: i64) -> Result<Option<i64>>;
    fn provider_sessions_due(c: &mut Self, now: i64, limit: u32) -> Result<Vec<ProviderSession>>;
    fn claim_provider_session(c: &mut Self, token_id: i64, seen: i64, until: i64) -> Result<bool>;
    fn provider_session_renewed(
        c: &mut Self,
        token_id: i64,
        refresh_token: Option<&str>,
        refresh_at: i64,
        expires_at: i64,
    ) -> Result<()>;
    fn provider_session_failed(c: &mut Self, token_id: i64, refresh_at: i64, failures: u32) -> Result<()>;
    fn end_token(c: &mut Self, token_id: i64) -> Result<()>;
    fn expire_tokens(c: &mut Self, now: i64) -> Result<u64>;
    fn sign_in_kinds(c: &mut Self) -> Result<Vec<SignInKinds>>;
    fn end_sign_ins(c: &mut Self, user_id: i64) -> Result<Ended>;
}

/// The SSH keys people sign in with.
pub trait KeySql: Sized {
    fn add_ssh_key(c: &mut Self, user_id: i64, key: &SshKey) -> Result<()>;
    fn ssh_keys(c: &mut Self, user_id: i64) -> Result<Vec<SshKey>>;
    fn remove_ssh_key(c: &mut Self, user_id: i64, fingerprint: &str) -> Result<()>;
    fn user_by_ssh_key(c: &mut Self, fingerprint: &str) -> Result<Option<KeyHolder>>;
    fn ssh_key_is_live(c: &mut Self, key_id: i64, user_id: i64) -> Result<bool>;
}

/// Plain reads of a board, each in one read transaction (one committed state).
pub trait ReadSql: Sized {
    /// The board of `project_id` as `role` sees it (the caller found the role).
    fn board(c: &mut Self, project_id: i64, role: Role) -> Result<Board>;
    /// The project of a card, and whether the card is in the trash.
    fn card_project(c: &mut Self, task_id: i64) -> Result<Option<(i64, bool)>>;
    /// A card's comments, oldest first.
    fn comments(c: &mut Self, task_id: i64) -> Result<Vec<Comment>>;
    fn events_after(c: &mut Self, project_id: i64, after: u64) -> Result<EventsAfter>;
    fn trash(c: &mut Self, project_id: i64) -> Result<Trash>;
    fn members(c: &mut Self, project_id: i64) -> Result<Vec<Member>>;
    fn log_after(c: &mut Self, project_id: i64, after: u64) -> Result<Option<Vec<(String, String)>>>;
    /// Of the project, or of one card when `task_id` is given (its project's).
    fn activity(
        c: &mut Self,
        project_id: i64,
        task_id: Option<i64>,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Logged>>;
}

/// What reaches a person: their notifications, the cards they watch, their work,
/// what they last saw of each board. Reads join the boards' members as they are
/// now: nothing of a board someone left reaches them.
pub trait InboxSql: Sized {
    fn notifications(
        c: &mut Self,
        user_id: i64,
        unread_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notification>>;
    fn unread(c: &mut Self, user_id: i64) -> Result<u64>;
    /// Marks `ids` (or all) read; answers how many are unread now.
    fn mark_read(c: &mut Self, user_id: i64, ids: &[i64], all: bool) -> Result<u64>;
    fn set_watch(c: &mut Self, task_id: i64, user_id: i64, watch: bool) -> Result<()>;
    /// Who watches the card and is a member of `project_id`, by name.
    fn watchers(c: &mut Self, task_id: i64, project_id: i64) -> Result<Vec<User>>;
    /// The cards assigned to `user_id` on their boards (not archived), due first.
    fn my_tasks(
        c: &mut Self,
        user_id: i64,
        due_before: Option<&str>,
        state: Option<bool>,
    ) -> Result<Vec<MyTask>>;
    fn since(c: &mut Self, user_id: i64, project_id: i64) -> Result<Since>;
    fn set_seen(c: &mut Self, user_id: i64, project_id: i64, rev: u64) -> Result<()>;
    /// Keeps today's reminders (due `tomorrow`, or overdue on `today`), each once
    /// a day; answers those made now.
    fn remind(c: &mut Self, today: &str, tomorrow: &str) -> Result<Vec<(i64, Notification)>>;
}

/// Projects being imported: hidden until finished, dropped a slice at a time.
pub trait ImportSql: Sized {
    fn begin_import(c: &mut Self, name: &str, members: &[(i64, Role)]) -> Result<i64>;
    fn touch_import(c: &mut Self, project_id: i64) -> Result<()>;
    fn finish_import(c: &mut Self, project_id: i64) -> Result<()>;
    /// Deletes one slice of a dropped import; `true` once nothing is left.
    fn drop_import_slice(c: &mut Self, project_id: i64) -> Result<bool>;
    fn stale_imports(c: &mut Self, idle_secs: u64) -> Result<Vec<i64>>;
}

/// Board changes (the batch's transaction, for the policy in [`super::batch`]),
/// and the trash's purge.
pub trait ChangeSql: Batches {
    fn purge_trash(c: &mut Self, days: u32) -> Result<u64>;
}

/// Webhooks, their cursors and deliveries (see [`super::Webhooks`]).
pub trait WebhookSql: Sized {
    fn add_webhook(
        c: &mut Self,
        url: &str,
        project_id: Option<i64>,
        events: Option<&[String]>,
        secret: &str,
    ) -> Result<Hook>;
    fn webhooks(c: &mut Self) -> Result<Vec<HookStatus>>;
    fn webhook(c: &mut Self, id: i64) -> Result<Hook>;
    fn remove_webhook(c: &mut Self, id: i64) -> Result<()>;
    fn webhook_deliveries(c: &mut Self, id: i64, limit: u32) -> Result<Vec<Delivery>>;
    fn due_webhooks(c: &mut Self, now: i64) -> Result<Vec<(i64, i64)>>;
    fn claim_webhook(
        c: &mut Self,
        hook_id: i64,
        project_id: i64,
        node: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<Claim>>;
    fn webhook_events(c: &mut Self, project_id: i64, after: u64, limit: u32) -> Result<HookEvents>;
    fn webhook_progress(
        c: &mut Self,
        hook_id: i64,
        project_id: i64,
        node: &str,
        progress: &Progress,
    ) -> Result<bool>;
}
