//! kanban-tui: the terminal client of the shared kanban board.
//!
//! Layers, one way: the front end (`app`, `geometry`, `ui`: state, `update` and
//! view, no I/O, from kanban-front) under `net` (REST and the WebSocket session);
//! `client` joins app and network, `terminal` adds the screen (and hands it to
//! the person's `editor` when asked). `embedded` (the default
//! feature of the same name) runs a server in this process when none is given;
//! without it the build is a client that only connects.

#![forbid(unsafe_code)]

pub mod cli;
pub mod client;
pub mod config;
pub mod editor;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod log;
pub mod mcp;
pub mod net;
pub mod secret;
pub mod settings;
pub mod sso;
pub mod terminal;

// The front end itself (state, update, view) is shared with the server's SSH
// sessions; its modules keep their paths here.
pub use kanban_front::{app, dispatch, due, filter, geometry, selection, ui};
