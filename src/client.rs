//! The client without a terminal: the app, its network session, and the loop that
//! feeds one from the other. The terminal runtime draws it; tests drive it headless.

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::app::{Action, App, Command};
use crate::net::api::Api;
use crate::net::session;

/// A running client: the app and the channels around it.
pub struct Client {
    pub app: App,
    actions: mpsc::Receiver<Action>,
    /// For input and tests to feed actions in.
    pub sender: mpsc::Sender<Action>,
    commands: mpsc::UnboundedSender<Command>,
}

/// What one step of the loop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The state changed: draw.
    Changed,
    /// A timer fired without a visible change.
    Idle,
    /// The app asked to quit, or everything upstream is gone.
    Quit,
}

impl Client {
    /// Starts the network session for `api` and an app around it.
    pub fn start(api: Api, app: App) -> Client {
        let (sender, actions) = mpsc::channel(1024);
        let (commands, command_rx) = mpsc::unbounded_channel();
        tokio::spawn(session::run(api, sender.clone(), command_rx));
        Client { app, actions, sender, commands }
    }

    fn dispatch(&mut self, commands: Vec<Command>) {
        for c in commands {
            // The session outlives the loop; a send can only fail at exit.
            let _ = self.commands.send(c);
        }
    }

    /// Waits for the next action (or the next cursor frame) and applies it, with
    /// every other action already waiting, so that one draw covers them all.
    pub async fn step(&mut self) -> Step {
        let frame_at = self.app.next_frame(Instant::now());
        let action = tokio::select! {
            action = self.actions.recv() => action,
            () = async { sleep_until(frame_at.expect("guarded")).await }, if frame_at.is_some() => {
                let due = self.app.cursor_due(Instant::now());
                self.dispatch(due.into_iter().collect());
                return Step::Idle;
            }
        };
        let Some(action) = action else { return Step::Quit };
        let out = self.app.update(action);
        self.dispatch(out);
        while let Ok(more) = self.actions.try_recv() {
            let out = self.app.update(more);
            self.dispatch(out);
        }
        if self.app.quit { Step::Quit } else { Step::Changed }
    }
}
