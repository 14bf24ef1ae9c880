//! End-to-end tests of the server: a real kanban-server on a loopback port (in this
//! process, or its binary), a real SQLite file in a temporary directory, and real
//! WebSocket and HTTP clients. One binary with a module per topic (see STYLE.md).

mod util;

mod access;
mod activity;
mod board;
mod checklists;
mod cli;
mod cluster;
mod comments;
mod faults;
mod hostile;
mod http_api;
mod inbox;
mod lifecycle;
mod packaging;
mod projects;
mod protocol;
mod rest;
mod restore;
mod schema;
mod shared_database;
mod signals;
mod slow_peers;
mod store;
mod transfer;
mod webhooks;
