//! The run step every front end drives: the app, the actions that reach it (input,
//! the network, timers) and the dispatch its commands go out through. A step
//! waits for the next action, or the next cursor frame, or the next tick of a
//! countdown on screen, and applies it with every other action already waiting,
//! so that one draw covers them all. kanban-tui and an SSH session each keep only
//! their input decoding, drawing target and transport around it.

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::app::{Action, App};
use crate::dispatch::Dispatch;

/// Actions that may wait for the app: the network side and input both send here.
pub const ACTIONS: usize = 1024;

/// What one step did.
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

/// The app with its actions and its dispatch.
pub struct Runner {
    pub app: App,
    actions: mpsc::Receiver<Action>,
    dispatch: Dispatch,
}

/// A channel for the app's actions: the sender for the network side and input,
/// the receiver for [`Runner::new`].
pub fn actions() -> (mpsc::Sender<Action>, mpsc::Receiver<Action>) {
    mpsc::channel(ACTIONS)
}

impl Runner {
    pub fn new(app: App, actions: mpsc::Receiver<Action>, dispatch: Dispatch) -> Runner {
        Runner { app, actions, dispatch }
    }

    /// Applies one action and sends what it asks. Input that comes while the
    /// network side is behind is dropped, as a terminal drops what it cannot take;
    /// `false` when it was.
    pub fn apply(&mut self, action: Action) -> bool {
        if self.dispatch.behind() && matches!(action, Action::Key(_) | Action::Mouse(_) | Action::Paste(_)) {
            return false;
        }
        let out = self.app.update(action);
        self.dispatch.send(out);
        true
    }

    /// Waits for the next action (or the next cursor frame, or a tick) and applies
    /// it with every other action already waiting. Cancel-safe: what it has
    /// received it has applied.
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
        let mut dropped = usize::from(!self.apply(action));
        while let Ok(more) = self.actions.try_recv() {
            dropped += usize::from(!self.apply(more));
        }
        if dropped > 0 {
            tracing::debug!(dropped, "input dropped: the network side is behind");
        }
        self.after()
    }

    /// What the app's state asks of the front end now.
    pub fn after(&mut self) -> Step {
        if self.app.quit {
            Step::Quit
        } else if std::mem::take(&mut self.app.suspend) {
            Step::Suspend
        } else {
            Step::Changed
        }
    }
}
