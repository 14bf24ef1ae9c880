//! kanban-front: the board's front end with no I/O, shared by every way of showing
//! the board. `app` (state and `update`: actions in, commands out) and `geometry`
//! (where things go) under `ui` (drawing into a ratatui buffer). kanban-tui runs it
//! in a terminal over the network; kanban-server's SSH server runs it in an SSH
//! channel, in the server's own process; both send the app's commands through
//! `dispatch`.

#![forbid(unsafe_code)]

pub mod app;
pub mod clipboard;
pub mod dispatch;
pub mod due;
pub mod filter;
pub mod geometry;
pub mod link;
pub mod markdown;
pub mod mention;
pub mod runner;
pub mod selection;
pub mod ui;
