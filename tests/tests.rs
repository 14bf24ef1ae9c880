//! End-to-end tests of the terminal client: a real kanban-server on a loopback port,
//! the client headless or the real `kanban-tui` in tmux. One binary with a module
//! per topic (see STYLE.md); the server's own end-to-end tests are in
//! `server/tests`, whose helpers these share.

#[path = "../server/tests/util/mod.rs"]
mod util;

mod cli;
mod collaboration;
mod config;
mod conventions;
mod embedded;
mod host_accounts;
mod install;
mod login;
mod mcp;
mod reaching;
mod reading;
mod ssh;
mod sso;
mod terminal;
mod tls;
mod tmux;
mod tui;
