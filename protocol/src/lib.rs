//! Wire types shared by `kanban-tui`, `kanban-server` and the load generator.
//!
//! Nothing here does I/O: the Pusher Channels v7 frames and codes ([`pusher`]), the
//! signatures that authorize channels and HTTP API calls ([`sign`]), channel names
//! ([`channel`]) and the records the REST API exchanges ([`model`]). Keeping them in
//! one small crate lets the dependencies point one way: client -> protocol <- server.

/// Where a system service's Unix socket is (`kanban-server --unix-socket` given
/// alone), and so where `kanban-tui` looks for one on the host.
pub const HOST_SOCKET: &str = "/run/kanban/kanban.sock";

pub mod board;
pub mod channel;
pub mod check;
pub mod client_event;
pub mod color;
pub mod event;
pub mod inbox;
pub mod mention;
pub mod model;
pub mod order;
pub mod pusher;
pub mod request;
pub mod sign;
