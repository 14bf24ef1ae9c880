//! The client without a terminal: the front end's runner, kanban-tui's network
//! session and writer around it. The terminal runtime draws it; tests drive it
//! headless.

use tokio::sync::mpsc;

pub use kanban_front::runner::Step;
use kanban_front::runner::{self, Runner};

use crate::app::{Action, App};
use crate::dispatch;
use crate::net::api::Api;
use crate::net::{session, writer};

/// A running client: the app and the channels around it.
pub struct Client {
    runner: Runner,
    /// For input and tests to feed actions in.
    pub sender: mpsc::Sender<Action>,
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
        let (sender, actions) = runner::actions();
        let (dispatch, requests, writes) = dispatch::channels();
        writer::spawn(api.clone(), sender.clone(), queue, writes);
        tokio::spawn(session::run(api, sender.clone(), requests));
        Client { runner: Runner::new(app, actions, dispatch), sender }
    }
}

/// A client is its runner with kanban-tui's transport around it: `client.app`,
/// `client.step()`.
impl std::ops::Deref for Client {
    type Target = Runner;

    fn deref(&self) -> &Runner {
        &self.runner
    }
}

impl std::ops::DerefMut for Client {
    fn deref_mut(&mut self) -> &mut Runner {
        &mut self.runner
    }
}
