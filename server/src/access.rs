//! Access taken away while connections are live. Channel auth is checked when a
//! connection subscribes; when a membership is revoked, a user removed or a token
//! revoked (by the admin command line, from its own process), the store records
//! the projects touched, and this task asks every connection subscribed to their
//! channels to reconnect (4200). They come back and subscribe again, each one
//! authorized anew, so whoever lost access is refused and the others carry on,
//! catching up by revision.

use std::sync::Arc;
use std::time::Duration;

use kanban_protocol::channel;
use tokio::task::JoinHandle;

use crate::hub::{Ending, Hub};
use crate::store::Store;

/// How often the store is asked. One indexed read; a revocation takes effect
/// within this long.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Starts watching; the task runs until aborted.
pub fn watch(store: Arc<dyn Store>, hub: Hub, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Changes from before this server started concern no live connection.
        let mut seen = loop {
            match store.access_changes(0).await {
                Ok(changes) => break changes.last,
                Err(e) => tracing::warn!(error = %e, "cannot read access changes; trying again"),
            }
            tokio::time::sleep(every).await;
        };
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            forget(&*store, seen).await;
            // Ask until there is something new: only then is the store written.
            let changes = loop {
                tick.tick().await;
                match store.access_changes(seen).await {
                    Ok(changes) if changes.last > seen => break changes,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot read access changes"),
                }
            };
            for &project_id in &changes.projects {
                let channels = [channel::private_channel(project_id), channel::presence_channel(project_id)];
                let asked: usize =
                    channels.iter().map(|name| hub.adapter().end_subscribers(name, Ending::Reconnect)).sum();
                tracing::info!(
                    project_id,
                    connections = asked,
                    "access changed: connections asked to reconnect"
                );
            }
            seen = changes.last;
        }
    })
}

/// Drops the changes up to `upto`, acted on (or from before this server started).
async fn forget(store: &dyn Store, upto: i64) {
    if upto > 0
        && let Err(e) = store.forget_access_changes(upto).await
    {
        tracing::warn!(error = %e, "cannot drop the access changes acted on");
    }
}
