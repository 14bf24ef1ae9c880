//! The network side: the REST client ([`api`]), the WebSocket ([`socket`]), the
//! session over it with its reconnects ([`session`]), and the writer that makes the
//! board's changes in order ([`writer`]). Nothing here draws or decides; it reports
//! to the app as actions and carries out the app's commands.

pub mod address;
pub mod api;
mod backoff;
mod reads;
pub mod session;
pub mod socket;
pub mod tls;
pub mod writer;
