//! The async store, written once over any backend. A backend says where its
//! synchronous work runs ([`Backend`]: a reading connection, the writing one) and
//! implements its SQL on its connection ([`super::sql`]); what runs where, and
//! what is copied into the blocking task, is decided here for both.

use std::future::Future;

use async_trait::async_trait;
use kanban_protocol::inbox::{MyTask, Notification, Since};
use kanban_protocol::model::{Board, Comment, Member, Project, Role, Trash, User};

use super::sign_in::{Ended, NewProviderToken, ProviderSession, SignInKinds, Way};
use super::sql::{ChangeSql, IdentitySql, ImportSql, InboxSql, KeySql, ReadSql, SignInSql, WebhookSql};
use super::webhook::{Claim, Delivery, Hook, HookEvents, HookStatus, Progress};
use super::{
    AccessChanges, BoardReads, Changes, EventsAfter, Identity, Inbox, KeyHolder, Logged, ProjectMembers,
    Result, SignIns, SshKey, TokenHolder, Webhooks,
};
use crate::board::{Committed, OpError, Write};
use crate::config::AppCredentials;

/// Where a backend's work runs: each call takes a connection for the whole of
/// `f`, in a blocking task (both backends' connections are synchronous).
pub trait Backend: Send + Sync + 'static {
    /// The connection the [`super::sql`] traits are implemented on.
    type Conn;

    /// Runs `f` on a reading connection (it may run again on another when the
    /// first was lost: reads change nothing).
    fn read<T, F>(&self, f: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: Fn(&mut Self::Conn) -> Result<T> + Send + 'static;

    /// As [`Backend::read`], for a read of a row or two, which a backend may
    /// answer without a thread hop.
    fn point_read<T, F>(&self, f: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: Fn(&mut Self::Conn) -> Result<T> + Send + 'static,
    {
        self.read(f)
    }

    /// Runs `f` on the writing connection, once.
    fn write<T, F>(&self, f: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut Self::Conn) -> Result<T> + Send + 'static;

    /// Events kept per project for `events?after` (older ones answer 410).
    fn retention(&self) -> u64;
}

#[async_trait]
impl<B> Identity for B
where
    B: Backend,
    B::Conn: IdentitySql + KeySql,
{
    async fn app_credentials(&self, generate: AppCredentials) -> Result<AppCredentials> {
        self.write(move |c| IdentitySql::app_credentials(c, &generate)).await
    }

    async fn add_user(&self, name: &str, color: &str) -> Result<(User, String)> {
        let (name, color) = (name.to_string(), color.to_string());
        self.write(move |c| IdentitySql::add_user(c, &name, &color)).await
    }

    async fn users(&self) -> Result<Vec<User>> {
        self.read(IdentitySql::users).await
    }

    async fn user_by_name(&self, name: &str) -> Result<User> {
        let name = name.to_string();
        self.read(move |c| IdentitySql::user_by_name(c, &name)).await
    }

    async fn remove_user(&self, name: &str) -> Result<()> {
        let name = name.to_string();
        self.write(move |c| IdentitySql::remove_user(c, &name)).await
    }

    async fn issue_token(&self, user_id: i64) -> Result<String> {
        self.write(move |c| IdentitySql::issue_token(c, user_id)).await
    }

    async fn revoke_tokens(&self, user_id: i64) -> Result<u64> {
        self.write(move |c| IdentitySql::revoke_tokens(c, user_id)).await
    }

    async fn user_by_token(&self, token: &str) -> Result<Option<TokenHolder>> {
        let token = token.to_string();
        self.point_read(move |c| IdentitySql::user_by_token(c, &token)).await
    }

    async fn token_is_live(&self, token_id: i64, user_id: i64) -> Result<bool> {
        self.point_read(move |c| IdentitySql::token_is_live(c, token_id, user_id)).await
    }

    async fn token_access(
        &self,
        token_id: i64,
        user_id: i64,
        project_id: i64,
    ) -> Result<Option<(Role, u64)>> {
        self.point_read(move |c| IdentitySql::token_access(c, token_id, user_id, project_id)).await
    }

    async fn add_ssh_key(&self, user_id: i64, key: &SshKey) -> Result<()> {
        let key = key.clone();
        self.write(move |c| KeySql::add_ssh_key(c, user_id, &key)).await
    }

    async fn ssh_keys(&self, user_id: i64) -> Result<Vec<SshKey>> {
        self.read(move |c| KeySql::ssh_keys(c, user_id)).await
    }

    async fn remove_ssh_key(&self, user_id: i64, fingerprint: &str) -> Result<()> {
        let fingerprint = fingerprint.to_string();
        self.write(move |c| KeySql::remove_ssh_key(c, user_id, &fingerprint)).await
    }

    async fn user_by_ssh_key(&self, fingerprint: &str) -> Result<Option<KeyHolder>> {
        let fingerprint = fingerprint.to_string();
        self.point_read(move |c| KeySql::user_by_ssh_key(c, &fingerprint)).await
    }

    async fn ssh_key_is_live(&self, key_id: i64, user_id: i64) -> Result<bool> {
        self.point_read(move |c| KeySql::ssh_key_is_live(c, key_id, user_id)).await
    }

    async fn add_project(&self, name: &str, members: &[(i64, Role)]) -> Result<i64> {
        let (name, members) = (name.to_string(), members.to_vec());
        self.write(move |c| IdentitySql::add_project(c, &name, &members)).await
    }

    async fn all_projects(&self) -> Result<Vec<ProjectMembers>> {
        self.read(IdentitySql::all_projects).await
    }

    async fn find_project(&self, id_or_name: &str) -> Result<(i64, String)> {
        let id_or_name = id_or_name.to_string();
        self.read(move |c| IdentitySql::find_project(c, &id_or_name)).await
    }

    async fn grant(&self, project_id: i64, user_id: i64, role: Role) -> Result<()> {
        self.write(move |c| IdentitySql::grant(c, project_id, user_id, role)).await
    }

    async fn revoke(&self, project_id: i64, user_id: i64) -> Result<()> {
        self.write(move |c| IdentitySql::revoke(c, project_id, user_id)).await
    }

    async fn rename_project(&self, project_id: i64, name: &str) -> Result<()> {
        let name = name.to_string();
        self.write(move |c| IdentitySql::rename_project(c, project_id, &name)).await
    }

    async fn archive_project(&self, project_id: i64, archived: bool) -> Result<()> {
        self.write(move |c| IdentitySql::archive_project(c, project_id, archived)).await
    }

    async fn projects_of(&self, user_id: i64) -> Result<Vec<Project>> {
        self.read(move |c| IdentitySql::projects_of(c, user_id)).await
    }

    async fn role_of(&self, project_id: i64, user_id: i64) -> Result<Option<Role>> {
        self.point_read(move |c| IdentitySql::role_of(c, project_id, user_id)).await
    }

    async fn access_changes(&self, after: i64) -> Result<AccessChanges> {
        self.read(move |c| IdentitySql::access_changes(c, after)).await
    }

    async fn forget_access_changes(&self, upto: i64) -> Result<()> {
        self.write(move |c| IdentitySql::forget_access_changes(c, upto)).await
    }
}

#[async_trait]
impl<B> BoardReads for B
where
    B: Backend + super::Operations,
    B::Conn: ReadSql,
{
    async fn board(&self, project_id: i64, role: Role) -> Result<Board> {
        let epoch = self.site().epoch;
        let board = self.read(move |c| ReadSql::board(c, project_id, role)).await?;
        Ok(Board { epoch, ..board })
    }

    async fn card_project(&self, task_id: i64) -> Result<Option<(i64, bool)>> {
        self.point_read(move |c| ReadSql::card_project(c, task_id)).await
    }

    async fn comments(&self, task_id: i64) -> Result<Vec<Comment>> {
        self.read(move |c| ReadSql::comments(c, task_id)).await
    }

    async fn activity(
        &self,
        project_id: i64,
        task_id: Option<i64>,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Logged>> {
        self.read(move |c| ReadSql::activity(c, project_id, task_id, before, limit)).await
    }

    async fn trash(&self, project_id: i64) -> Result<Trash> {
        self.read(move |c| ReadSql::trash(c, project_id)).await
    }

    async fn members(&self, project_id: i64) -> Result<Vec<Member>> {
        self.read(move |c| ReadSql::members(c, project_id)).await
    }

    async fn events_after(&self, project_id: i64, after: u64) -> Result<EventsAfter> {
        self.read(move |c| ReadSql::events_after(c, project_id, after)).await
    }

    async fn log_after(&self, project_id: i64, after: u64) -> Result<Option<Vec<(String, String)>>> {
        self.read(move |c| ReadSql::log_after(c, project_id, after)).await
    }
}

#[async_trait]
impl<B> Changes for B
where
    B: Backend,
    B::Conn: ChangeSql + ImportSql,
{
    async fn apply(&self, batch: Vec<Write>) -> Result<Vec<Result<Committed, OpError>>> {
        let retention = self.retention();
        self.write(move |c| super::batch::apply(c, retention, &batch)).await
    }

    async fn purge_trash(&self, days: u32) -> Result<u64> {
        self.write(move |c| ChangeSql::purge_trash(c, days)).await
    }

    async fn begin_import(&self, name: &str, members: &[(i64, Role)]) -> Result<i64> {
        let (name, members) = (name.to_string(), members.to_vec());
        self.write(move |c| ImportSql::begin_import(c, &name, &members)).await
    }

    async fn touch_import(&self, project_id: i64) -> Result<()> {
        self.write(move |c| ImportSql::touch_import(c, project_id)).await
    }

    async fn finish_import(&self, project_id: i64) -> Result<()> {
        self.write(move |c| ImportSql::finish_import(c, project_id)).await
    }

    async fn drop_import(&self, project_id: i64) -> Result<()> {
        // One slice per transaction, with a pause after each in which the writes
        // of running servers take their turn.
        while !self.write(move |c| ImportSql::drop_import_slice(c, project_id)).await? {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        Ok(())
    }

    async fn stale_imports(&self, idle_secs: u64) -> Result<Vec<i64>> {
        self.read(move |c| ImportSql::stale_imports(c, idle_secs)).await
    }
}

#[async_trait]
impl<B> Inbox for B
where
    B: Backend,
    B::Conn: InboxSql,
{
    async fn notifications(
        &self,
        user_id: i64,
        unread_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        self.read(move |c| InboxSql::notifications(c, user_id, unread_only, before, limit)).await
    }

    async fn unread(&self, user_id: i64) -> Result<u64> {
        self.point_read(move |c| InboxSql::unread(c, user_id)).await
    }

    async fn mark_read(&self, user_id: i64, ids: Vec<i64>, all: bool) -> Result<u64> {
        self.write(move |c| InboxSql::mark_read(c, user_id, &ids, all)).await
    }

    async fn set_watch(&self, task_id: i64, user_id: i64, watch: bool) -> Result<()> {
        self.write(move |c| InboxSql::set_watch(c, task_id, user_id, watch)).await
    }

    async fn watchers(&self, task_id: i64, project_id: i64) -> Result<Vec<User>> {
        self.read(move |c| InboxSql::watchers(c, task_id, project_id)).await
    }

    async fn my_tasks(
        &self,
        user_id: i64,
        due_before: Option<String>,
        state: Option<bool>,
    ) -> Result<Vec<MyTask>> {
        self.read(move |c| InboxSql::my_tasks(c, user_id, due_before.as_deref(), state)).await
    }

    async fn since(&self, user_id: i64, project_id: i64) -> Result<Since> {
        self.read(move |c| InboxSql::since(c, user_id, project_id)).await
    }

    async fn set_seen(&self, user_id: i64, project_id: i64, rev: u64) -> Result<()> {
        self.write(move |c| InboxSql::set_seen(c, user_id, project_id, rev)).await
    }

    async fn remind(&self, today: String, tomorrow: String) -> Result<Vec<(i64, Notification)>> {
        self.write(move |c| InboxSql::remind(c, &today, &tomorrow)).await
    }
}

#[async_trait]
impl<B> Webhooks for B
where
    B: Backend,
    B::Conn: WebhookSql,
{
    async fn add_webhook(
        &self,
        url: &str,
        project_id: Option<i64>,
        events: Option<Vec<String>>,
        secret: &str,
    ) -> Result<Hook> {
        let (url, secret) = (url.to_string(), secret.to_string());
        self.write(move |c| WebhookSql::add_webhook(c, &url, project_id, events.as_deref(), &secret)).await
    }

    async fn webhooks(&self) -> Result<Vec<HookStatus>> {
        self.read(WebhookSql::webhooks).await
    }

    async fn webhook(&self, id: i64) -> Result<Hook> {
        self.read(move |c| WebhookSql::webhook(c, id)).await
    }

    async fn remove_webhook(&self, id: i64) -> Result<()> {
        self.write(move |c| WebhookSql::remove_webhook(c, id)).await
    }

    async fn webhook_deliveries(&self, id: i64, limit: u32) -> Result<Vec<Delivery>> {
        self.read(move |c| WebhookSql::webhook_deliveries(c, id, limit)).await
    }

    async fn due_webhooks(&self, now: i64) -> Result<Vec<(i64, i64)>> {
        self.read(move |c| WebhookSql::due_webhooks(c, now)).await
    }

    async fn claim_webhook(
        &self,
        hook_id: i64,
        project_id: i64,
        node: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<Claim>> {
        let node = node.to_string();
        self.write(move |c| WebhookSql::claim_webhook(c, hook_id, project_id, &node, now, until)).await
    }

    async fn webhook_events(&self, project_id: i64, after: u64, limit: u32) -> Result<HookEvents> {
        self.read(move |c| WebhookSql::webhook_events(c, project_id, after, limit)).await
    }

    async fn webhook_progress(
        &self,
        hook_id: i64,
        project_id: i64,
        node: &str,
        progress: Progress,
    ) -> Result<bool> {
        let node = node.to_string();
        self.write(move |c| WebhookSql::webhook_progress(c, hook_id, project_id, &node, &progress)).await
    }
}

#[async_trait]
impl<B> SignIns for B
where
    B: Backend,
    B::Conn: SignInSql,
{
    async fn issue_provider_token(&self, new: NewProviderToken) -> Result<String> {
        self.write(move |c| SignInSql::issue_provider_token(c, &new)).await
    }

    async fn record_sign_in(&self, user_id: i64, way: Way, subject: &str) -> Result<i64> {
        let subject = subject.to_string();
        let now = jiff::Timestamp::now().as_second();
        self.write(move |c| SignInSql::record_sign_in(c, user_id, way, &subject, now)).await
    }

    async fn signed_out(&self, user_id: i64) -> Result<Option<i64>> {
        self.point_read(move |c| SignInSql::signed_out(c, user_id)).await
    }

    async fn provider_sessions_due(&self, now: i64, limit: u32) -> Result<Vec<ProviderSession>> {
        self.read(move |c| SignInSql::provider_sessions_due(c, now, limit)).await
    }

    async fn claim_provider_session(&self, token_id: i64, seen: i64, until: i64) -> Result<bool> {
        self.write(move |c| SignInSql::claim_provider_session(c, token_id, seen, until)).await
    }

    async fn provider_session_renewed(
        &self,
        token_id: i64,
        refresh_token: Option<String>,
        refresh_at: i64,
        expires_at: i64,
    ) -> Result<()> {
        self.write(move |c| {
            SignInSql::provider_session_renewed(c, token_id, refresh_token.as_deref(), refresh_at, expires_at)
        })
        .await
    }

    async fn provider_session_failed(&self, token_id: i64, refresh_at: i64, failures: u32) -> Result<()> {
        self.write(move |c| SignInSql::provider_session_failed(c, token_id, refresh_at, failures)).await
    }

    async fn end_token(&self, token_id: i64) -> Result<()> {
        self.write(move |c| SignInSql::end_token(c, token_id)).await
    }

    async fn expire_tokens(&self, now: i64) -> Result<u64> {
        self.write(move |c| SignInSql::expire_tokens(c, now)).await
    }

    async fn sign_in_kinds(&self) -> Result<Vec<SignInKinds>> {
        self.read(SignInSql::sign_in_kinds).await
    }

    async fn end_sign_ins(&self, user_id: i64) -> Result<Ended> {
        self.write(move |c| SignInSql::end_sign_ins(c, user_id)).await
    }
}
