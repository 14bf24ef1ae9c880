//! The durable state: users and their tokens, projects and members, the app's
//! credentials, and the boards. [`Store`] is the interface, in four parts by
//! purpose ([`Identity`], [`BoardReads`], [`Changes`], [`Operations`]);
//! [`SqliteStore`] its embedded default, [`PgStore`] the database several server
//! processes share. A backend writes its SQL once, in the [`sql`] traits on its
//! connection, and says where it runs ([`backend::Backend`]); the async store over
//! them is written once, in [`backend`]. Each has its own migrations.

mod backend;
mod batch;
mod postgres;
pub mod schema;
pub mod sign_in;
pub mod site;
pub mod sql;
mod sqlite;
pub mod token;
pub mod webhook;

use async_trait::async_trait;
use kanban_protocol::model::{Board, Comment, Member, Project, Role, Trash, User};

pub use self::postgres::{PgStore, Target, pg_cause};
pub use sqlite::SqliteStore;

use crate::board::{Committed, OpError, Write};
use crate::config::AppCredentials;

/// What can go wrong in the store, in terms the API can answer with. A
/// backend's own errors become a [`DatabaseError`] where they arise.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// The database's schema is not this binary's (and what to do).
    #[error("{0}")]
    Schema(String),
    /// The store's own machinery failed (a task that died); for the log.
    #[error("{0}")]
    Failed(String),
}

/// The database failed: in its own words (for the log, never for a client), and
/// what the store may do about it.
#[derive(Debug, thiserror::Error)]
#[error("database error: {said}")]
pub struct DatabaseError {
    pub said: String,
    pub kind: Failure,
}

/// What kind of database failure, where it matters to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Another connection holds a lock; asking again later may do.
    Busy,
    /// The connection is gone (the database restarted); another may do.
    Lost,
    Other,
}

impl StoreError {
    /// A database failure of this kind.
    pub fn database(said: String, kind: Failure) -> Self {
        StoreError::Database(DatabaseError { said, kind })
    }

    /// Whether this is a database failure of kind `kind`.
    pub fn is(&self, kind: Failure) -> bool {
        matches!(self, StoreError::Database(e) if e.kind == kind)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Runs blocking database work off the async threads (both backends' connections
/// are synchronous).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Failed(format!("a store task failed: {e}")))?
}

/// Who holds a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHolder {
    pub user: User,
    /// The token's own id: a channel signature names it, so that revoking the
    /// token voids the signatures it obtained. [`HOST_ACCOUNT`] where no token was
    /// used (a connection on the Unix socket, named by its account).
    pub token_id: i64,
}

/// The token id of a grant made to a host account on the Unix socket: no token
/// stands behind it, so it holds while its user is a member (token ids start at 1).
pub const HOST_ACCOUNT: i64 = 0;

/// An event of a board's history, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub rev: u64,
    pub by: Option<i64>,
    pub at: String,
    pub name: String,
    pub data: String,
    pub task_id: Option<i64>,
}

/// A public key a user signs in with over SSH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshKey {
    /// `SHA256:...`, as OpenSSH prints it: how the key is found.
    pub fingerprint: String,
    /// The key in OpenSSH's one-line form (`ssh-ed25519 AAAA...`), without comment.
    pub public_key: String,
    pub comment: String,
    /// When it was added (answers only).
    pub added: String,
}

/// Who holds an SSH key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    pub user: User,
    /// The key's own id: a session checks that it is still there when access
    /// changes. `None` for a certificate's holder, whose session lasts while the
    /// user does.
    pub key_id: Option<i64>,
    /// The user's sign-out count (`user revoke`) when the session opened: a
    /// certificate's session ends once it moves.
    pub signed_out: i64,
}

/// A project with all its members, for the admin command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectMembers {
    pub id: i64,
    pub name: String,
    pub members: Vec<(String, Role)>,
}

/// A column as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatus {
    pub name: String,
    pub color: Option<String>,
}

/// The store, whole: each part by purpose. Every backend gets the first three
/// from [`backend`], written once over its [`sql`] traits, and implements
/// [`Operations`] itself.
pub trait Store: Identity + SignIns + BoardReads + Changes + Inbox + Webhooks + Operations {}

impl<T: Identity + SignIns + BoardReads + Changes + Inbox + Webhooks + Operations> Store for T {}

/// Sign-ins from outside the board's own tokens (see [`sign_in`]): provider
/// sessions that end and are renewed, the last sign-in by each outside way, and
/// `user list`'s and `user revoke`'s view of them all. Times are seconds.
#[async_trait]
pub trait SignIns: Send + Sync + 'static {
    /// Issues a token the provider vouched for (kept hashed), kept with its
    /// refresh token when there is one, and records the sign-in.
    async fn issue_provider_token(&self, new: sign_in::NewProviderToken) -> Result<String>;
    /// Records a sign-in by `way`; the user's sign-out count (see
    /// [`KeyHolder::signed_out`]), or `NotFound` when the user is gone.
    async fn record_sign_in(&self, user_id: i64, way: sign_in::Way, subject: &str) -> Result<i64>;
    /// The user's sign-out count; `None` once the user is gone.
    async fn signed_out(&self, user_id: i64) -> Result<Option<i64>>;
    /// Provider sessions due to be asked about at `now`, soonest first.
    async fn provider_sessions_due(&self, now: i64, limit: u32) -> Result<Vec<sign_in::ProviderSession>>;
    /// Takes a due session for this node: moves its time to `until` if it is
    /// still `seen` (no other node took it first).
    async fn claim_provider_session(&self, token_id: i64, seen: i64, until: i64) -> Result<bool>;
    /// The provider said yes again: the token lasts to `expires_at`, asked about
    /// again at `refresh_at`, with the refresh token it gave (if a new one).
    async fn provider_session_renewed(
        &self,
        token_id: i64,
        refresh_token: Option<String>,
        refresh_at: i64,
        expires_at: i64,
    ) -> Result<()>;
    /// The provider could not be asked: again at `refresh_at`.
    async fn provider_session_failed(&self, token_id: i64, refresh_at: i64, failures: u32) -> Result<()>;
    /// Ends one token (its live connections with it).
    async fn end_token(&self, token_id: i64) -> Result<()>;
    /// Ends every token past its time; how many.
    async fn expire_tokens(&self, now: i64) -> Result<u64>;
    /// Every user with each way they sign in.
    async fn sign_in_kinds(&self) -> Result<Vec<sign_in::SignInKinds>>;
    /// `user revoke`: ends every token and provider session of the user, removes
    /// their SSH keys, and counts a sign-out so that sessions opened by
    /// certificate end too; all live connections reached as for any revocation.
    async fn end_sign_ins(&self, user_id: i64) -> Result<sign_in::Ended>;
}

/// What reaches a person (see [`sql::InboxSql`]). Who may see which card is
/// checked before, by [`crate::inbox`].
#[async_trait]
pub trait Inbox: Send + Sync + 'static {
    /// A page of notifications, newest first.
    async fn notifications(
        &self,
        user_id: i64,
        unread_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<kanban_protocol::inbox::Notification>>;
    async fn unread(&self, user_id: i64) -> Result<u64>;
    /// Marks `ids` (or all) read; answers how many are unread now.
    async fn mark_read(&self, user_id: i64, ids: Vec<i64>, all: bool) -> Result<u64>;
    async fn set_watch(&self, task_id: i64, user_id: i64, watch: bool) -> Result<()>;
    async fn watchers(&self, task_id: i64, project_id: i64) -> Result<Vec<User>>;
    /// `state`: open cards (`Some(false)`), done ones (`Some(true)`), or all.
    async fn my_tasks(
        &self,
        user_id: i64,
        due_before: Option<String>,
        state: Option<bool>,
    ) -> Result<Vec<kanban_protocol::inbox::MyTask>>;
    async fn since(&self, user_id: i64, project_id: i64) -> Result<kanban_protocol::inbox::Since>;
    async fn set_seen(&self, user_id: i64, project_id: i64, rev: u64) -> Result<()>;
    /// Keeps the reminders of `today` (dates `YYYY-MM-DD`), once a day whichever
    /// node asks; answers those made now, each with its person.
    async fn remind(
        &self,
        today: String,
        tomorrow: String,
    ) -> Result<Vec<(i64, kanban_protocol::inbox::Notification)>>;
}

/// Webhooks (see [`webhook`]): kept by the admin commands, delivered by
/// [`crate::webhooks`]. Times are milliseconds since the epoch.
#[async_trait]
pub trait Webhooks: Send + Sync + 'static {
    /// Adds a hook for `project_id` (or every board); its cursor on each board
    /// that is there starts at the board's revision now, so that it is sent what
    /// comes next, not the past.
    async fn add_webhook(
        &self,
        url: &str,
        project_id: Option<i64>,
        events: Option<Vec<String>>,
        secret: &str,
    ) -> Result<webhook::Hook>;
    async fn webhooks(&self) -> Result<Vec<webhook::HookStatus>>;
    async fn webhook(&self, id: i64) -> Result<webhook::Hook>;
    async fn remove_webhook(&self, id: i64) -> Result<()>;
    /// A hook's newest deliveries first.
    async fn webhook_deliveries(&self, id: i64, limit: u32) -> Result<Vec<webhook::Delivery>>;
    /// The (hook, board) pairs with something to send now that no node holds.
    async fn due_webhooks(&self, now: i64) -> Result<Vec<(i64, i64)>>;
    /// Holds a hook's deliveries on a board for `node` until `until`, if nobody
    /// holds them and they are due.
    async fn claim_webhook(
        &self,
        hook_id: i64,
        project_id: i64,
        node: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<webhook::Claim>>;
    /// A board's history after revision `after`, oldest first, at most `limit`.
    async fn webhook_events(&self, project_id: i64, after: u64, limit: u32) -> Result<webhook::HookEvents>;
    /// Records where `node` got to; `false` (and nothing recorded) when another
    /// node holds the deliveries now.
    async fn webhook_progress(
        &self,
        hook_id: i64,
        project_id: i64,
        node: &str,
        progress: webhook::Progress,
    ) -> Result<bool>;
}

/// Users and their tokens and SSH keys, projects and their members: who is who
/// and who may see which board.
#[async_trait]
pub trait Identity: Send + Sync + 'static {
    /// The stored app credentials, created with `generate` on first use.
    async fn app_credentials(&self, generate: AppCredentials) -> Result<AppCredentials>;

    /// Adds a user and returns it with its first token (shown once, kept hashed).
    async fn add_user(&self, name: &str, color: &str) -> Result<(User, String)>;
    async fn users(&self) -> Result<Vec<User>>;
    async fn user_by_name(&self, name: &str) -> Result<User>;
    /// Removes a user, its tokens and memberships.
    async fn remove_user(&self, name: &str) -> Result<()>;
    /// Issues another token for a user; earlier ones stay valid.
    async fn issue_token(&self, user_id: i64) -> Result<String>;
    /// Revokes every token of a user; returns how many there were.
    async fn revoke_tokens(&self, user_id: i64) -> Result<u64>;
    /// The user a bearer token belongs to, if any, with the token's id.
    async fn user_by_token(&self, token: &str) -> Result<Option<TokenHolder>>;
    /// Whether token `token_id` is still `user_id`'s and within its time (for
    /// [`HOST_ACCOUNT`], whether the user still is).
    async fn token_is_live(&self, token_id: i64, user_id: i64) -> Result<bool>;
    /// The role on `project_id` of `user_id` while token `token_id` is live and
    /// its own (or, for [`HOST_ACCOUNT`], while the user is), with the project's
    /// revision at that moment; `None` otherwise (token revoked, user removed, not a
    /// member).
    async fn token_access(&self, token_id: i64, user_id: i64, project_id: i64)
    -> Result<Option<(Role, u64)>>;

    /// Adds an SSH key to a user; a key is one user's only.
    async fn add_ssh_key(&self, user_id: i64, key: &SshKey) -> Result<()>;
    /// A user's SSH keys, oldest first.
    async fn ssh_keys(&self, user_id: i64) -> Result<Vec<SshKey>>;
    /// Removes one of a user's SSH keys; the sessions it opened end.
    async fn remove_ssh_key(&self, user_id: i64, fingerprint: &str) -> Result<()>;
    /// Whose key has this fingerprint, if anyone's.
    async fn user_by_ssh_key(&self, fingerprint: &str) -> Result<Option<KeyHolder>>;
    /// Whether key `key_id` is still `user_id`'s.
    async fn ssh_key_is_live(&self, key_id: i64, user_id: i64) -> Result<bool>;

    /// Creates a project with the default columns and the given members.
    async fn add_project(&self, name: &str, members: &[(i64, Role)]) -> Result<i64>;
    async fn all_projects(&self) -> Result<Vec<ProjectMembers>>;
    /// A project by id (all digits) or by name.
    async fn find_project(&self, id_or_name: &str) -> Result<(i64, String)>;
    /// Adds a member or changes its role.
    async fn grant(&self, project_id: i64, user_id: i64, role: Role) -> Result<()>;
    async fn revoke(&self, project_id: i64, user_id: i64) -> Result<()>;
    /// A project's new name (`Conflict` when another has it).
    async fn rename_project(&self, project_id: i64, name: &str) -> Result<()>;
    /// Archives a project (`true`): it takes no changes until brought back.
    async fn archive_project(&self, project_id: i64, archived: bool) -> Result<()>;
    /// The projects a user is a member of, with the user's role (archived ones
    /// too, said so).
    async fn projects_of(&self, user_id: i64) -> Result<Vec<Project>>;
    /// The user's role on a project, or `None` when not a member (or no project).
    async fn role_of(&self, project_id: i64, user_id: i64) -> Result<Option<Role>>;

    /// Projects whose access changed after change `after` (a number from an
    /// earlier answer; 0 for all kept), and the number of the last change. The admin
    /// command line records these from its own process.
    async fn access_changes(&self, after: i64) -> Result<AccessChanges>;
    /// Forgets the access changes up to `upto`, once acted on (a store that other
    /// processes share keeps them until they may have too).
    async fn forget_access_changes(&self, upto: i64) -> Result<()>;
}

/// Plain reads of boards. Who may read what is checked before, once, by the
/// board core ([`crate::board::read`]): nothing here asks who is reading.
#[async_trait]
pub trait BoardReads: Send + Sync + 'static {
    /// The board of `project_id` (the reader's `role` in it, as found).
    async fn board(&self, project_id: i64, role: Role) -> Result<Board>;
    /// The project of card `task_id`, and whether the card is in the trash.
    async fn card_project(&self, task_id: i64) -> Result<Option<(i64, bool)>>;
    /// The comments of a card, oldest first.
    async fn comments(&self, task_id: i64) -> Result<Vec<Comment>>;
    /// A board's history, newest first: of the project, or of its card
    /// `task_id`; before revision `before` when given; at most `limit`.
    async fn activity(
        &self,
        project_id: i64,
        task_id: Option<i64>,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Logged>>;
    /// What may be restored from the project's trash.
    async fn trash(&self, project_id: i64) -> Result<Trash>;
    /// A project's members, by name.
    async fn members(&self, project_id: i64) -> Result<Vec<Member>>;
    /// The logged events after revision `after`, with the members now.
    async fn events_after(&self, project_id: i64, after: u64) -> Result<EventsAfter>;
    /// The logged events of a project after revision `after`, oldest first, as
    /// (name, data) (for a node that missed some); `None` when they are no longer
    /// all kept.
    async fn log_after(&self, project_id: i64, after: u64) -> Result<Option<Vec<(String, String)>>>;
}

/// Changing boards: the board core's changes in batches, imports, the trash's purge.
#[async_trait]
pub trait Changes: Send + Sync + 'static {
    /// Commits a batch of board changes in one transaction, each one all or
    /// nothing; answers each in order. `Err` means none was committed.
    async fn apply(&self, batch: Vec<Write>) -> Result<Vec<Result<Committed, OpError>>>;
    /// Deletes for good what has been in any trash longer than `days`; answers how
    /// many cards and columns went.
    async fn purge_trash(&self, days: u32) -> Result<u64>;

    /// Starts importing a project named `name`: made with no columns and no
    /// members, so that nobody sees it (not even `all_projects`); `members` count as
    /// its members for the import's changes alone, until [`Changes::finish_import`].
    async fn begin_import(&self, name: &str, members: &[(i64, Role)]) -> Result<i64>;
    /// The import of `project_id` goes on (what tells it from one that died).
    async fn touch_import(&self, project_id: i64) -> Result<()>;
    /// Gives an imported project its members, in one transaction: from then on it
    /// is a project as any other.
    async fn finish_import(&self, project_id: i64) -> Result<()>;
    /// Removes the project of an import that failed or died, a slice at a time,
    /// so that the writes of running servers go on between the slices.
    async fn drop_import(&self, project_id: i64) -> Result<()>;
    /// The imports untouched for `idle_secs` (their process died).
    async fn stale_imports(&self, idle_secs: u64) -> Result<Vec<i64>>;
}

/// Running the store: who the database is, its health, copies, closing.
#[async_trait]
pub trait Operations: Send + Sync + 'static {
    /// Woken when an access change may have been recorded, where the store can
    /// say so at once (the access watcher polls as well).
    fn access_notices(&self) -> Option<std::sync::Arc<tokio::sync::Notify>> {
        None
    }
    /// Starts whatever [`Operations::access_notices`] needs (a serving process only).
    fn listen_for_access(&self) {}

    /// Who this database is: its cluster and epoch, as settled when it was opened.
    fn site(&self) -> site::Site;
    /// Gives this database a new cluster id and epoch (after a restore that no
    /// mark tells of): its servers form a cluster of their own, and their clients
    /// fetch their boards afresh. Run while no server uses it.
    async fn renew_site(&self) -> Result<site::Site>;

    /// The schema version this binary keeps the store at.
    fn schema_version(&self) -> i64;

    /// The store's connections now, for `/metrics`.
    fn pool(&self) -> crate::metrics::PoolGauges {
        crate::metrics::PoolGauges::default()
    }

    /// Writes and commits a change that changes nothing: whether the database
    /// takes writes now (a full disk refuses them while reads go on).
    async fn probe_write(&self) -> Result<()>;

    /// Closes the store: waits for its connections to finish and checkpoints.
    async fn close(&self);

    /// Writes a consistent copy of the whole store to `path` while it serves.
    async fn backup(&self, path: &std::path::Path) -> Result<()>;
}

/// Projects whose access changed, as [`Identity::access_changes`] answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessChanges {
    /// The number of the last change seen (the `after` given when there is none).
    pub last: i64,
    /// Each project where access was taken away, once, in order.
    pub projects: Vec<i64>,
    /// Each project whose members changed (granted, role changed, or taken
    /// away), once, in order.
    pub members: Vec<i64>,
}

impl AccessChanges {
    /// Takes in access change `id` of `project_id` (`revoked`: access was taken
    /// away), read in order.
    pub fn note(&mut self, id: i64, project_id: i64, revoked: bool) {
        self.last = id;
        if revoked && !self.projects.contains(&project_id) {
            self.projects.push(project_id);
        }
        if !self.members.contains(&project_id) {
            self.members.push(project_id);
        }
    }
}

/// The answer to "what happened since revision N".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsAfter {
    /// The events, oldest first, as (name, data JSON); `rev` is the revision now,
    /// and `members` the project's members now (they change outside revisions).
    Events { rev: u64, events: Vec<(String, String)>, members: Vec<Member> },
    /// Some of them are no longer kept, or the revision asked after is past the
    /// board's (a board restored from an earlier copy): fetch the board instead.
    Gone { rev: u64 },
}

/// Hands a board's checklist items (read in one query, in each card's order) to
/// their cards.
fn hand_out(tasks: &mut [kanban_protocol::model::Task], items: Vec<kanban_protocol::model::ChecklistItem>) {
    let mut of: std::collections::HashMap<i64, Vec<kanban_protocol::model::ChecklistItem>> =
        std::collections::HashMap::new();
    for item in items {
        of.entry(item.task_id).or_default().push(item);
    }
    for task in tasks {
        if let Some(items) = of.remove(&task.id) {
            task.checklist = items;
        }
    }
}

/// The columns every new project starts with.
pub fn default_statuses() -> Vec<NewStatus> {
    ["Todo", "In Progress", "Done"]
        .into_iter()
        .map(|name| NewStatus { name: name.to_string(), color: None })
        .collect()
}
