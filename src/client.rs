//! The client without a terminal: the app, its network session, and the loop that
//! feeds one from the other. The terminal runtime draws it; tests drive it headless.

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::app::{Action, App};
use crate::dispatch::{self, Dispatch};
use crate::net::api::Api;
use crate::net::{session, writer};

/// A running client: the app and the channels around it.
pub struct Client {
    pub app: App,
    actions: mpsc::Receiver<Action>,
    /// For input and tests to feed actions in.
    pub sender: mpsc::Sender<Action>,
    /// To the session (subscriptions, reads, cursors) and the writer (the board's
    /// changes, in order).
    dispatch: Dispatch,
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
        let (dispatch, requests, writes) = dispatch::channels();
        writer::spawn(api.clone(), sender.clone(), queue, writes);
        tokio::spawn(session::run(api, sender.clone(), requests));
        Client { app, actions, sender, dispatch }
    }

    /// Applies one action. Input that comes while the network side is behind is
    /// dropped, as a terminal drops what it cannot take.
    fn apply(&mut self, action: Action) {
        if self.dispatch.behind() && matches!(action, Action::Key(_) | Action::Mouse(_) | Action::Paste(_)) {
            tracing::debug!("input dropped: the network side is behind");
            return;
        }
        let out = self.app.update(action);
        self.dispatch.send(out);
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
                self.dispatch.send(due);
                return Step::Idle;
            }
            // The screen counts down to the next try.
            () = async { sleep_until(tick_at.expect("guarded")).await }, if tick_at.is_some() => {
                return Step::Changed;
            }
        };
        let Some(action) = action else { return Step::Quit };
        self.apply(action);
        while let Ok(more) = self.actions.try_recv() {
            self.apply(more);
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
