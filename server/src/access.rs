//! Access taken away while connections are live. Access is checked when a
//! connection subscribes, at that moment ([`StoreGate`]); when a membership is
//! revoked, a user removed or a token revoked (by the admin command line, from its
//! own process), the store records the projects touched, and this task asks every
//! connection subscribed to their channels to reconnect (4200). They come back and subscribe again, each one
//! authorized anew, so whoever lost access is refused and the others carry on,
//! catching up by revision.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kanban_protocol::sign::Grant;
use tokio::task::JoinHandle;

use crate::hub::{Gate, Hub};
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
            let asked = hub.access_changed(&changes.projects);
            tracing::info!(
                projects = ?changes.projects,
                connections = asked,
                "access changed: connections asked to reconnect"
            );
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

/// The hub's [`Gate`] on the store: a board channel's grant holds while its token
/// is live, belongs to its user, and that user is a member of the project.
pub struct StoreGate(pub Arc<dyn Store>);

#[async_trait]
impl Gate for StoreGate {
    async fn admits(&self, project_id: i64, grant: Grant) -> Result<bool, String> {
        match self.0.token_role(grant.token_id, grant.user_id, project_id).await {
            Ok(role) => Ok(role.is_some()),
            Err(e) => Err(e.to_string()),
        }
    }
}
