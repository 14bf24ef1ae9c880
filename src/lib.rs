//! kanban-tui: the terminal client of the shared kanban board.
//!
//! Layers, one way: `app` (state and `update`, no I/O) and `geometry` (where things
//! go) under `ui` (drawing) and `net` (REST and the WebSocket session); `client`
//! joins app and network, `terminal` adds the screen. `embedded` (the default
//! feature of the same name) runs a server in this process when none is given;
//! without it the build is a client that only connects.

#![forbid(unsafe_code)]

pub mod app;
pub mod client;
pub mod due;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod filter;
pub mod geometry;
pub mod log;
pub mod net;
pub mod secret;
pub mod selection;
pub mod settings;
pub mod terminal;
pub mod ui;
