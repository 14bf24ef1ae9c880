//! Which schema a binary knows, and what opening a database may do to its own.
//!
//! A schema is counted in versions, one per migration. A server starting (or
//! `kanban-server migrate-schema`) applies what the database lacks; an admin
//! command only creates the schema of an empty database and otherwise stops with
//! what to do, so that a read-only command never changes a schema behind the
//! operator's back. A schema newer than the binary knows is refused by both: the
//! binary would misread it.

use super::{Result, StoreError};

/// What opening a store may do to its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Apply every migration the schema lacks: a server starting, `migrate-schema`.
    Apply,
    /// Create the schema of an empty database; refuse an older one (admin commands).
    CreateOnly,
}

/// Whether the migrations after `found` are to be applied, given the last one
/// this binary knows: `Err` with what to do when they may not be.
pub fn check(found: i64, known: i64, mode: Migrations) -> Result<()> {
    if found > known {
        return Err(StoreError::Schema(format!(
            "the database's schema is version {found}, newer than this kanban-server knows ({known}): \
             run the release that upgraded it, or a newer one (a database goes back to an older \
             release only from a backup made before the upgrade)"
        )));
    }
    if found > 0 && found < known && mode == Migrations::CreateOnly {
        return Err(StoreError::Schema(format!(
            "the database's schema is version {found}, older than this kanban-server's ({known}): \
             upgrade it first by starting the server, or with `kanban-server migrate-schema`"
        )));
    }
    Ok(())
}

/// Says that migration `number` was applied, one line each: an upgrade's log
/// shows what it did.
pub fn applied(store: &'static str, number: i64, name: &str) {
    tracing::info!(store, version = number, migration = name, "schema upgraded");
}

/// A migration that failed, with its name and the database's own words.
pub fn failed(number: i64, name: &str, cause: impl std::fmt::Display) -> StoreError {
    StoreError::Schema(format!("migration {number} ({name}) failed: {cause}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_schema_is_refused_and_an_older_one_only_upgraded_when_asked() {
        assert!(check(0, 7, Migrations::CreateOnly).is_ok(), "an empty database is made");
        assert!(check(7, 7, Migrations::CreateOnly).is_ok());
        assert!(check(3, 7, Migrations::Apply).is_ok());
        let older = check(3, 7, Migrations::CreateOnly).unwrap_err().to_string();
        assert!(older.contains("version 3") && older.contains("migrate-schema"), "{older}");
        for mode in [Migrations::Apply, Migrations::CreateOnly] {
            let newer = check(8, 7, mode).unwrap_err().to_string();
            assert!(newer.contains("version 8, newer than this kanban-server knows (7)"), "{newer}");
        }
    }
}
