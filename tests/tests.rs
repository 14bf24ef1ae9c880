//! End-to-end tests: a real kanban-server on a loopback port, real clients.
//! One binary with a module per topic (see STYLE.md).

mod util;

mod access;
mod board;
mod cli;
mod faults;
mod hostile;
mod http_api;
mod protocol;
mod rest;
mod slow_peers;
mod terminal;
mod tls;
mod tui;
