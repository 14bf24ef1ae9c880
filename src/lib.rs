//! kanban-tui: the terminal client of the shared kanban board.
//!
//! The client itself is being built (see the README); this crate already carries the
//! end-to-end tests of the server it talks to.
