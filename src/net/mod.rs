//! The network side: the REST client ([`api`]) and the WebSocket session with its
//! reconnects ([`session`]). Nothing here draws or decides; it reports to the app
//! as actions and carries out the app's commands.

pub mod api;
mod backoff;
pub mod session;
pub mod tls;
