//! The check a board channel's subscription passes at the moment it is made.
//!
//! A signature from the auth endpoint proves that access held when it was issued;
//! the [`Gate`] asks whether it still holds when the socket subscribes, so that a
//! signature fetched before a revocation opens nothing after it. The server's gate
//! asks the store; the hub itself knows nothing of tokens or memberships.
//!
//! A revocation that lands between the gate's answer and the subscription is caught
//! by the access epoch: the hub counts access changes, and a subscription that saw
//! the count move while it was being checked is asked to reconnect, as the
//! revocation's own sweep would have asked it had it been subscribed a moment
//! earlier.

use async_trait::async_trait;
use kanban_protocol::sign::Grant;

/// Whether a grant still admits its holder to a project's channels.
#[async_trait]
pub trait Gate: Send + Sync + 'static {
    /// `Ok(Some(rev))` when the grant's token is still live and its user is still a
    /// member of `project_id`, with the project's revision at that moment (events
    /// after it are the subscriber's); `Ok(None)` when not; `Err` when that cannot
    /// be known now.
    async fn admits(&self, project_id: i64, grant: Grant) -> Result<Option<u64>, String>;
}
