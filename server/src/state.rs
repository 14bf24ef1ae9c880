//! The serving core every front door shares: the store, the hub and the writer.
//! The HTTP API, the WebSocket endpoint and the SSH sessions each hold a clone;
//! none of them reaches into another door to get at it.

use std::sync::Arc;

use crate::hub::Hub;
use crate::store::Store;
use crate::writer::Writer;

/// What every door can reach. Cheap to clone.
#[derive(Clone)]
pub struct Core {
    pub store: Arc<dyn Store>,
    pub hub: Hub,
    /// Every board change goes through it (group commit, events in order).
    pub writer: Writer,
    /// The site's OpenID Connect provider, where people sign in through it.
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
    /// The key encrypted channels' secrets derive from (`--encryption-master-key`).
    pub encryption: Option<Arc<crate::encryption::MasterKey>>,
}
