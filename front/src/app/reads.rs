//! The reads the app asks of the network side (a board, the trash, a card's
//! thread, the history): at most one of a kind in flight. A newer ask of a kind in
//! flight waits in place of any older one and goes when the answer comes, if it is
//! still wanted then. Keys typed in a burst, held down or pasted by the megabyte,
//! and a busy board's events under an open history, thus cost one read at a time
//! of each kind, never a queue of them, in kanban-tui and in an SSH session alike.

use super::{Command, Request};

/// What a read fetches: one in flight of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// The board, whole or the events since a revision.
    Board,
    Trash,
    /// A card's comments and history.
    Thread,
    /// The project's history.
    History,
    /// The person's notifications.
    Inbox,
    /// The person's cards across boards.
    Work,
}

/// How many kinds of read there are.
const KINDS: usize = 6;

impl Read {
    const ALL: [Read; KINDS] =
        [Read::Board, Read::Trash, Read::Thread, Read::History, Read::Inbox, Read::Work];

    fn slot(self) -> usize {
        self as usize
    }

    /// The kind of read `request` is, if it is one.
    pub fn of(request: &Request) -> Option<Read> {
        match request {
            Request::Reload(_) | Request::CatchUp { .. } => Some(Read::Board),
            Request::Trash(_) => Some(Read::Trash),
            Request::Comments(_) => Some(Read::Thread),
            Request::Activity(_) => Some(Read::History),
            Request::Inbox { .. } => Some(Read::Inbox),
            Request::MyWork => Some(Read::Work),
            Request::Unread
            | Request::MarkRead(_)
            | Request::Watch { .. }
            | Request::Since(_)
            | Request::Seen { .. }
            | Request::Open(_)
            | Request::Cursor(_)
            | Request::Boards(_)
            | Request::Projects { .. }
            | Request::Pause
            | Request::Retry => None,
        }
    }
}

/// Which reads are in flight, and the newest ask waiting behind each.
#[derive(Debug, Default)]
pub struct Reads {
    in_flight: [bool; KINDS],
    waiting: [Option<Request>; KINDS],
}

impl Reads {
    /// Lets through the commands that may go now: a read of a kind already in
    /// flight waits instead (in place of an older one that waited).
    pub fn gate(&mut self, commands: Vec<Command>) -> Vec<Command> {
        let mut out = Vec::with_capacity(commands.len());
        for command in commands {
            let Command::Net(request) = &command else {
                out.push(command);
                continue;
            };
            let Some(slot) = Read::of(request).map(Read::slot) else {
                out.push(command);
                continue;
            };
            if self.in_flight[slot] {
                self.waiting[slot] = Some(request.clone());
            } else {
                self.in_flight[slot] = true;
                // What waited is older than what goes now.
                self.waiting[slot] = None;
                out.push(command);
            }
        }
        out
    }

    /// A read of this kind was answered (or failed).
    pub fn answered(&mut self, read: Read) {
        self.in_flight[read.slot()] = false;
    }

    /// The asks that waited behind reads since answered, for the app to send
    /// again through [`Reads::gate`] if it still wants them.
    pub fn due(&mut self) -> Vec<Request> {
        let mut due = Vec::new();
        for read in Read::ALL {
            if !self.in_flight[read.slot()]
                && let Some(request) = self.waiting[read.slot()].take()
            {
                due.push(request);
            }
        }
        due
    }

    /// Forgets everything: the network side stopped (access refused), and answers
    /// to what was in flight may never come.
    pub fn reset(&mut self) {
        *self = Reads::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(request: Request) -> Command {
        Command::Net(request)
    }

    #[test]
    fn one_read_of_a_kind_in_flight_and_the_newest_ask_waits() {
        let mut reads = Reads::default();
        let first = reads.gate(vec![net(Request::Activity(1)), net(Request::Trash(1))]);
        assert_eq!(first, [net(Request::Activity(1)), net(Request::Trash(1))]);
        // A thousand more asks while they are in flight: none goes, the last waits.
        let mut asks = Vec::new();
        for i in 0..1000 {
            asks.push(net(Request::Activity(i)));
            asks.push(net(Request::Cursor(kanban_protocol::model::Pointer {
                status_id: 1,
                task_id: None,
                editing: false,
            })));
        }
        let out = reads.gate(asks);
        assert!(out.iter().all(|c| matches!(c, Command::Net(Request::Cursor(_)))), "{out:?}");
        assert_eq!(out.len(), 1000, "what is not a read goes");
        assert!(reads.due().is_empty(), "nothing is due while its kind is in flight");

        reads.answered(Read::History);
        assert_eq!(reads.due(), [Request::Activity(999)], "the newest ask, once");
        assert!(reads.due().is_empty());
        assert_eq!(reads.gate(vec![net(Request::Activity(999))]).len(), 1);
        assert!(reads.gate(vec![net(Request::Activity(5))]).is_empty(), "in flight again");
    }

    #[test]
    fn an_ask_that_goes_replaces_one_that_waited() {
        let mut reads = Reads::default();
        reads.gate(vec![net(Request::Reload(1))]);
        assert!(reads.gate(vec![net(Request::CatchUp { project_id: 1, after: 3, epoch: 1 })]).is_empty());
        reads.answered(Read::Board);
        // The answer itself asked for a newer read: that one goes, the older waits no more.
        let out = reads.gate(vec![net(Request::CatchUp { project_id: 1, after: 9, epoch: 1 })]);
        assert_eq!(out, [net(Request::CatchUp { project_id: 1, after: 9, epoch: 1 })]);
        reads.answered(Read::Board);
        assert!(reads.due().is_empty());
    }

    #[test]
    fn a_reset_forgets_what_was_in_flight() {
        let mut reads = Reads::default();
        reads.gate(vec![net(Request::Comments(4))]);
        reads.gate(vec![net(Request::Comments(5))]);
        reads.reset();
        assert!(reads.due().is_empty());
        assert_eq!(reads.gate(vec![net(Request::Comments(6))]).len(), 1);
    }
}
