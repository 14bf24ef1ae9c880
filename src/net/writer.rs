//! The board's changes, one after another over REST, so that a user's changes
//! commit in the order they were made (two quick moves of one card must not swap).
//! Each answer goes to the app: the committed event, or why not.

use tokio::sync::mpsc;

use super::api::{Api, ApiError};
use super::session::refusal;
use crate::app::{Action, Change, NetEvent};

/// Starts the writer; it ends when the returned sender is dropped.
pub fn spawn(api: Api, app: mpsc::Sender<Action>) -> mpsc::UnboundedSender<Change> {
    let (writes, queue) = mpsc::unbounded_channel();
    tokio::spawn(write_in_order(api, app, queue));
    writes
}

async fn write_in_order(api: Api, app: mpsc::Sender<Action>, mut queue: mpsc::UnboundedReceiver<Change>) {
    while let Some(change) = queue.recv().await {
        let event = match api.write(&change).await {
            Ok(event) => NetEvent::Done { change: Box::new(change), event: Box::new(event) },
            Err(ApiError::Stale { message, current }) => NetEvent::Stale { message, current },
            // A token no longer accepted refuses everything; a 403 or 404 here
            // concerns this one change (a viewer's, a card deleted meanwhile).
            Err(e @ ApiError::Refused { status: 401, .. }) => {
                NetEvent::Refused(refusal(&e).unwrap_or_else(|| e.to_string()))
            }
            Err(ApiError::BadValue { message, field }) => {
                NetEvent::NotSaved { change: Box::new(change), message, field: Some(field) }
            }
            Err(e) => NetEvent::NotSaved { change: Box::new(change), message: e.to_string(), field: None },
        };
        if app.send(Action::Net(event)).await.is_err() {
            return;
        }
    }
}
