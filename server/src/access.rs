//! Access changed while connections are live. Access is checked when a
//! connection subscribes, at that moment ([`StoreGate`]); when a membership is
//! granted, changed or revoked, a user removed or a token revoked (by the admin
//! command line, from its own process), the store records the projects touched.
//! Where access was only given or changed, this task tells the project's open
//! boards its members now (`members-changed` on the board channel: assignees,
//! names, roles). Where access was taken away, it asks every connection
//! subscribed to the project's channels to reconnect (4200) instead. They come back and subscribe again, each one authorized
//! anew, so whoever lost access is refused and the others carry on, catching up
//! by revision.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kanban_protocol::channel;
use kanban_protocol::model::{MembersChanged, events};
use kanban_protocol::sign::Grant;
use tokio::task::JoinHandle;

use crate::hub::{Gate, Hub};
use crate::store::Store;

/// How often the store is asked. One indexed read; a revocation takes effect
/// within this long (at once where the store announces changes: PostgreSQL's
/// NOTIFY reaches every process sharing the database).
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Starts watching; the task runs until aborted.
pub fn watch(store: Arc<dyn Store>, hub: Hub, every: Duration) -> JoinHandle<()> {
    let notices = store.access_notices();
    store.listen_for_access();
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
                match &notices {
                    Some(notice) => tokio::select! {
                        _ = tick.tick() => {}
                        () = notice.notified() => {}
                    },
                    None => {
                        tick.tick().await;
                    }
                }
                match store.access_changes(seen).await {
                    Ok(changes) if changes.last > seen => break changes,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot read access changes"),
                }
            };
            // Where access was taken away, everyone reconnects instead and takes
            // the members with the catch-up: the event would reach the revoked too.
            for &project_id in changes.members.iter().filter(|p| !changes.projects.contains(p)) {
                tell_members(&*store, &hub, project_id).await;
            }
            let asked = hub.access_changed(&changes.projects);
            tracing::info!(
                projects = ?changes.projects,
                connections = asked,
                "access changed: connections asked to reconnect"
            );
            end_revoked_signins(&*store, &hub).await;
            seen = changes.last;
        }
    })
}

/// Ends the sign-ins (`pusher:signin`) the board's endpoint made for tokens no
/// longer live here: such a connection reconnects, and signs in again only with
/// a token that is. A store that cannot say now leaves them for the next change.
async fn end_revoked_signins(store: &dyn Store, hub: &Hub) {
    for (outbox, grant) in hub.adapter().granted_signins() {
        match store.token_is_live(grant.token_id, grant.user_id).await {
            Ok(true) => {}
            Ok(false) => outbox.end(crate::hub::Ending::Reconnect),
            Err(e) => {
                tracing::warn!(error = %e, "cannot check a sign-in's token");
                return;
            }
        }
    }
}

/// Publishes a project's members now on its board channel.
async fn tell_members(store: &dyn Store, hub: &Hub, project_id: i64) {
    match store.members(project_id).await {
        Ok(members) => {
            let data = serde_json::to_string(&MembersChanged { members }).expect("members serialize");
            // Every node's watcher tells its own connections.
            hub.publish_here(&channel::private_channel(project_id), events::MEMBERS_CHANGED, &data);
        }
        Err(e) => tracing::warn!(error = %e, project_id, "cannot read the members to tell the boards"),
    }
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
    async fn admits(&self, project_id: i64, grant: Grant) -> Result<Option<u64>, String> {
        match self.0.token_access(grant.token_id, grant.user_id, project_id).await {
            Ok(access) => Ok(access.map(|(_, rev)| rev)),
            Err(e) => Err(e.to_string()),
        }
    }
}
