//! What only the SQLite store has: files of earlier builds brought up to date.
//! (The store's behaviour on both stores is tested in `server/tests/store.rs`.)

use kanban_protocol::model::Role;

use super::SqliteStore;
use crate::store::{Identity, Operations};

/// A file made by an earlier build, whose migrator (sqlx) counted migrations in
/// `_sqlx_migrations`: opening it applies only what it lacks and keeps its data.
#[tokio::test]
async fn a_file_migrated_by_the_earlier_migrator_is_brought_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../../../migrations/0001_identity.sql")).unwrap();
        conn.execute_batch(include_str!("../../../migrations/0002_board.sql")).unwrap();
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
             installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
             checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
             INSERT INTO _sqlx_migrations VALUES (1, 'identity', CURRENT_TIMESTAMP, TRUE, x'00', 1);
             INSERT INTO _sqlx_migrations VALUES (2, 'board', CURRENT_TIMESTAMP, TRUE, x'00', 1);
             INSERT INTO users (name, color) VALUES ('old', '#123456');",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.user_by_name("old").await.unwrap().color, "#123456");
    let pid = store.add_project("p", &[(1, Role::Owner)]).await.unwrap();
    store.revoke(pid, 1).await.unwrap();
    assert_eq!(store.access_changes(0).await.unwrap().projects, [pid], "migration 3 was applied");
    store.close().await;
    // Opened again, nothing is applied twice.
    let again = SqliteStore::open(&path).await.unwrap();
    assert_eq!(again.users().await.unwrap().len(), 1);
}
