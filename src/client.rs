//! The client without a terminal: the app, its network session, and the loop that
//! feeds one from the other. The terminal runtime draws it; tests drive it headless.

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::app::{Action, App, Change, Command, Request};
use crate::net::api::Api;
use crate::net::{session, writer};

/// A running client: the app and the channels around it.
pub struct Client {
    pub app: App,
    actions: mpsc::Receiver<Action>,
    /// For input and tests to feed actions in.
    pub sender: mpsc::Sender<Action>,
    /// To the session: subscriptions, reads, cursors.
    requests: mpsc::UnboundedSender<Request>,
    /// To the writer: the board's changes, in order.
    writes: mpsc::UnboundedSender<Change>,
}

/// What one step of the loop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The state changed: draw.
    Changed,
    /// A timer fired without a visible change.
    Idle,
    /// The person pressed Ctrl-Z: the terminal is to be given back to the shell
    /// until it continues us.
    Suspend,
    /// The app asked to quit, or everything upstream is gone.
    Quit,
}

impl Client {
    /// Starts the network session for `api` and an app around it; changes that wait
    /// for the server are kept in memory only.
    pub fn start(api: Api, app: App) -> Client {
        Self::start_with_queue(api, app, None)
    }

    /// Like [`Client::start`], keeping the changes that wait for the server in
    /// `queue` (and sending those an earlier run left there first).
    pub fn start_with_queue(api: Api, app: App, queue: Option<std::path::PathBuf>) -> Client {
        let (sender, actions) = mpsc::channel(1024);
        let (requests, request_rx) = mpsc::unbounded_channel();
        let writes = writer::spawn(api.clone(), sender.clone(), queue);
        tokio::spawn(session::run(api, sender.clone(), request_rx));
        Client { app, actions, sender, requests, writes }
    }

    fn dispatch(&mut self, commands: Vec<Command>) {
        for c in commands {
            // The session and the writer outlive the loop; a send can only fail at
            // exit.
            let _ = match c {
                Command::Write(change) => self.writes.send(change).map_err(drop),
                Command::Net(request) => self.requests.send(request).map_err(drop),
            };
        }
    }

    /// Waits for the next action (or the next cursor frame) and applies it, with
    /// every other action already waiting, so that one draw covers them all.
    pub async fn step(&mut self) -> Step {
        let now = Instant::now();
        let frame_at = self.app.next_frame(now);
        let tick_at = self.app.next_tick(now);
        let action = tokio::select! {
            action = self.actions.recv() => action,
            () = async { sleep_until(frame_at.expect("guarded")).await }, if frame_at.is_some() => {
                let due = self.app.cursor_due(Instant::now());
                self.dispatch(due.into_iter().collect());
                return Step::Idle;
            }
            // The screen counts down to the next try.
            () = async { sleep_until(tick_at.expect("guarded")).await }, if tick_at.is_some() => {
                return Step::Changed;
            }
        };
        let Some(action) = action else { return Step::Quit };
        let out = self.app.update(action);
        self.dispatch(out);
        while let Ok(more) = self.actions.try_recv() {
            let out = self.app.update(more);
            self.dispatch(out);
        }
        if self.app.quit {
            Step::Quit
        } else if std::mem::take(&mut self.app.suspend) {
            Step::Suspend
        } else {
            Step::Changed
        }
    }
}
