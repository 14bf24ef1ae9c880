//! The reads that go with the link (a board, the events missed, the trash, a
//! card's thread, the history), each run beside it so that a slow one never holds
//! up the channels, and each answered: by its data, or by [`NetEvent::NotRead`]
//! (or a refusal) saying why. Where the answer comes from is the front end's
//! ([`Reads`]: REST for kanban-tui, the store for an SSH session); what the app
//! hears is written here once.

use std::future::Future;

use kanban_protocol::event::BoardEvent;
use kanban_protocol::inbox::{MarkRead, MyTask, MyWorkQuery, Notification, Since};
use kanban_protocol::model::{Activity, Board, Comment, Member, Project, Trash, User};
use tokio::sync::mpsc;

use crate::app::{Action, BoardsChange, NetEvent, Read, Request};

/// Why a read has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Refused for a reason waiting will not change (the token or the key is no
    /// longer accepted, the project is not ours): said in full.
    Refused(String),
    /// Anything else (the server unreachable, an error), said as a reason.
    Failed(String),
}

/// What a catch-up found.
#[derive(Debug, Clone)]
pub enum CaughtUp {
    /// The events since the revision asked, oldest first, and the members now
    /// where the answer says.
    Events { events: Vec<BoardEvent>, members: Option<Vec<Member>> },
    /// The events are gone, of another history, or cannot be read: only the
    /// whole board will do.
    Gone,
}

/// What a change of boards or members comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardsAnswer {
    /// The board made or changed, as the asker sees it.
    Project(Project),
    /// The board's members now.
    Members { project_id: i64, members: Vec<Member> },
}

/// Where a front end's reads are answered from, as the person it serves.
pub trait Reads: Clone + Send + Sync + 'static {
    fn board(&self, project_id: i64) -> impl Future<Output = Result<Board, Failure>> + Send;
    /// The events since revision `after` of history `epoch` (0: any).
    fn events_after(
        &self,
        project_id: i64,
        after: u64,
        epoch: u64,
    ) -> impl Future<Output = Result<CaughtUp, Failure>> + Send;
    fn trash(&self, project_id: i64) -> impl Future<Output = Result<Trash, Failure>> + Send;
    /// A card's comments and its history.
    fn thread(
        &self,
        task_id: i64,
    ) -> impl Future<Output = Result<(Vec<Comment>, Vec<Activity>), Failure>> + Send;
    /// The project's history, newest first.
    fn activity(&self, project_id: i64) -> impl Future<Output = Result<Vec<Activity>, Failure>> + Send;
    /// The projects the person may open now (archived ones only with `archived`).
    fn projects(&self, archived: bool) -> impl Future<Output = Result<Vec<Project>, Failure>> + Send;
    /// Makes a change of boards or members, as the person.
    fn boards(&self, change: BoardsChange) -> impl Future<Output = Result<BoardsAnswer, Failure>> + Send;
    /// A page of the person's notifications, newest first.
    fn notifications(
        &self,
        unread_only: bool,
        before: Option<i64>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Notification>, Failure>> + Send;
    /// How many of the person's notifications are unread.
    fn unread(&self) -> impl Future<Output = Result<u64, Failure>> + Send;
    /// Marks notifications read; how many are unread now.
    fn mark_read(&self, mark: MarkRead) -> impl Future<Output = Result<u64, Failure>> + Send;
    /// The person's cards across boards, due first.
    fn my_tasks(&self, query: MyWorkQuery) -> impl Future<Output = Result<Vec<MyTask>, Failure>> + Send;
    /// Watches a card (`Some(true)`), stops (`Some(false)`) or only asks; who
    /// watches it now.
    fn watch(
        &self,
        task_id: i64,
        watch: Option<bool>,
    ) -> impl Future<Output = Result<Vec<User>, Failure>> + Send;
    /// What changed on a board since the person last looked.
    fn since(&self, project_id: i64) -> impl Future<Output = Result<Since, Failure>> + Send;
    /// The person has seen the board up to revision `rev`.
    fn seen(&self, project_id: i64, rev: u64) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// How many notifications the inbox shows at a time.
pub const INBOX_PAGE: u32 = 50;

/// Runs `read` (a read request) beside the caller and tells the app what it found.
/// Anything else is not a read and is ignored.
pub fn spawn<R: Reads>(reads: &R, app: &mpsc::Sender<Action>, read: Request) {
    let (reads, app) = (reads.clone(), app.clone());
    tokio::spawn(async move {
        for event in answer(&reads, read).await {
            if app.send(Action::Net(event)).await.is_err() {
                return;
            }
        }
    });
}

/// What the app hears for `read`, in order.
pub async fn answer<R: Reads>(reads: &R, read: Request) -> Vec<NetEvent> {
    match read {
        Request::Reload(project_id) => vec![board(reads, project_id).await],
        Request::CatchUp { project_id, after, epoch } => {
            match reads.events_after(project_id, after, epoch).await {
                Ok(CaughtUp::Events { events, members }) => {
                    let members = members.map(|members| NetEvent::Members { project_id, members });
                    members.into_iter().chain([NetEvent::Missed(events)]).collect()
                }
                Ok(CaughtUp::Gone) => vec![NetEvent::Gone, board(reads, project_id).await],
                Err(Failure::Refused(reason)) => vec![NetEvent::Refused(reason)],
                Err(Failure::Failed(e)) => vec![not_read(Read::Board, "Cannot catch up", e)],
            }
        }
        Request::Trash(project_id) => vec![match reads.trash(project_id).await {
            Ok(trash) => NetEvent::Trash { project_id, trash },
            Err(e) => not_read(Read::Trash, "Cannot open the trash", e.reason()),
        }],
        Request::Comments(task_id) => vec![match reads.thread(task_id).await {
            Ok((comments, history)) => NetEvent::Comments { task_id, comments, history },
            Err(e) => not_read(Read::Thread, "Cannot read the card's comments", e.reason()),
        }],
        Request::Activity(project_id) => vec![match reads.activity(project_id).await {
            Ok(lines) => NetEvent::Activity { project_id, lines },
            Err(e) => not_read(Read::History, "Cannot read the history", e.reason()),
        }],
        Request::Projects { archived } => match reads.projects(archived).await {
            Ok(projects) => vec![NetEvent::ProjectsNow(projects)],
            // The picker keeps the list it has.
            Err(_) => Vec::new(),
        },
        // A refusal here is of this change alone: said, never a closed session.
        Request::Boards(change) => vec![match reads.boards(change).await {
            Ok(BoardsAnswer::Project(project)) => NetEvent::Project(project),
            Ok(BoardsAnswer::Members { project_id, members }) => NetEvent::Members { project_id, members },
            Err(e) => NetEvent::Failed(e.reason()),
        }],
        Request::Inbox { unread_only, before } => {
            vec![match reads.notifications(unread_only, before, INBOX_PAGE).await {
                Ok(page) => NetEvent::Inbox { before, page },
                Err(e) => not_read(Read::Inbox, "Cannot read your notifications", e.reason()),
            }]
        }
        // The count stays as it was: the channel's next event sets it again.
        Request::Unread => reads.unread().await.map(NetEvent::Unread).into_iter().collect(),
        Request::MarkRead(mark) => vec![match reads.mark_read(mark).await {
            Ok(unread) => NetEvent::Unread(unread),
            Err(e) => NetEvent::Failed(format!("Cannot mark read: {}", e.reason())),
        }],
        Request::MyWork => {
            let query = MyWorkQuery { status: Some("open".into()), ..MyWorkQuery::default() };
            vec![match reads.my_tasks(query).await {
                Ok(tasks) => NetEvent::MyWork(tasks),
                Err(e) => not_read(Read::Work, "Cannot read your work", e.reason()),
            }]
        }
        Request::Watch { task_id, watch } => vec![match reads.watch(task_id, watch).await {
            Ok(watchers) => NetEvent::Watchers { task_id, watchers },
            // Only asking, a failure is not worth a word: the view says nothing.
            Err(_) if watch.is_none() => return Vec::new(),
            Err(e) => NetEvent::Failed(format!("Cannot change who watches the card: {}", e.reason())),
        }],
        // A board opens the same without it: nothing is marked.
        Request::Since(project_id) => match reads.since(project_id).await {
            Ok(since) => vec![NetEvent::Since { project_id, since }],
            Err(_) => Vec::new(),
        },
        // Not said: the next look says it again.
        Request::Seen { project_id, rev } => {
            let _ = reads.seen(project_id, rev).await;
            Vec::new()
        }
        Request::Open(_) | Request::Cursor(_) | Request::Pause | Request::Retry => Vec::new(),
    }
}

/// What a board read tells the app: the board, or a refusal, or why not.
async fn board<R: Reads>(reads: &R, project_id: i64) -> NetEvent {
    match reads.board(project_id).await {
        Ok(board) => NetEvent::Snapshot(board),
        Err(Failure::Refused(reason)) => NetEvent::Refused(reason),
        Err(Failure::Failed(e)) => not_read(Read::Board, "Cannot load the board", e),
    }
}

impl Failure {
    /// Why, whatever kind.
    fn reason(self) -> String {
        match self {
            Failure::Refused(reason) | Failure::Failed(reason) => reason,
        }
    }
}

/// A read that failed, with why.
fn not_read(read: Read, doing: &str, why: String) -> NetEvent {
    NetEvent::NotRead { read, message: format!("{doing}: {why}") }
}
