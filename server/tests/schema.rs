//! Schemas against binaries, on SQLite and on PostgreSQL: every earlier schema
//! upgrades to the one a new database gets; a schema newer than the binary is
//! refused by the server and the admin commands alike; an admin command leaves an
//! older schema alone and says what to do, `migrate-schema` upgrades it; a
//! migration that fails says which and why, in the database's own words.

use kanban_server::store::schema::Migrations;
use kanban_server::store::{PgStore, SqliteStore};
use kanban_server::{Database, Server};

use crate::util::stores::{self, Site};
use crate::util::test_limits;

/// The store's schema, described as text to compare.
async fn describe(database: &Database) -> Vec<String> {
    match database {
        Database::Sqlite(dir) => SqliteStore::describe(&dir.join(kanban_server::DATABASE_FILE)).unwrap(),
        Database::Postgres(url) => PgStore::describe(url).await.unwrap(),
    }
}

/// Makes `database` with the schema migration `version` left.
async fn create_at(database: &Database, version: i64) {
    match database {
        Database::Sqlite(dir) => {
            SqliteStore::create_at(&dir.join(kanban_server::DATABASE_FILE), version).unwrap();
        }
        Database::Postgres(url) => PgStore::create_at(url, version as i32).await.unwrap(),
    }
}

/// Runs `sql` in the site's database, as an operator's hand would.
fn run_sql(site: &Site, sql: &str) {
    match &site.schema {
        Some(schema) => stores::run_sql_in(schema, sql).unwrap(),
        None => {
            let file = site.dir.path().join(kanban_server::DATABASE_FILE);
            rusqlite::Connection::open(file).unwrap().execute_batch(sql).unwrap();
        }
    }
}

/// The schema version a database records.
fn version_of(site: &Site) -> i64 {
    match &site.schema {
        Some(schema) => {
            let (url, name) = (stores::postgres_url(), schema.name.clone());
            std::thread::spawn(move || {
                let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
                let sql = format!("SELECT MAX(version)::bigint FROM {name}.kanban_schema");
                client.query_one(&sql, &[]).unwrap().get::<_, i64>(0)
            })
            .join()
            .unwrap()
        }
        None => {
            let file = site.dir.path().join(kanban_server::DATABASE_FILE);
            rusqlite::Connection::open(file)
                .unwrap()
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap()
        }
    }
}

async fn every_earlier_schema_upgrades_to_the_one_a_new_database_gets() {
    let fresh = Site::new();
    let database = fresh.database();
    let known = kanban_server::schema_version(&database);
    drop(kanban_server::open_database_with(&database, Migrations::Apply).await.unwrap());
    let wanted = describe(&database).await;
    assert!(wanted.iter().any(|t| t.contains("sign_ins")), "the newest table is there: {wanted:#?}");
    for version in 0..known {
        let site = Site::new();
        let database = site.database();
        if version > 0 {
            create_at(&database, version).await;
            assert_eq!(version_of(&site), version);
        }
        let store = kanban_server::open_database_with(&database, Migrations::Apply).await.unwrap();
        store.close().await;
        assert_eq!(describe(&database).await, wanted, "upgraded from version {version}");
        assert_eq!(version_of(&site), known);
    }
}

async fn a_schema_newer_than_the_binary_is_refused_by_the_server_and_the_commands() {
    let site = Site::new();
    site.admin(&["user", "add", "ann"]);
    let newer = kanban_server::schema_version(&site.database()) + 1;
    match &site.schema {
        Some(_) => run_sql(&site, &format!("INSERT INTO kanban_schema (version) VALUES ({newer})")),
        None => run_sql(&site, &format!("PRAGMA user_version = {newer}")),
    }
    let refused = match Server::open_database(&site.database(), &Default::default(), test_limits()).await {
        Ok(_) => panic!("a server started on a newer schema"),
        Err(e) => e.to_string(),
    };
    assert!(refused.contains(&format!("version {newer}, newer than this kanban-server knows")), "{refused}");
    for command in [&["user", "list"][..], &["migrate-schema"]] {
        let (ok, _, said) = site.admin_output(command);
        assert!(!ok, "{command:?} ran on a newer schema");
        assert!(said.contains("newer than this kanban-server knows"), "{command:?}: {said}");
    }
    assert_eq!(version_of(&site), newer, "nothing was changed");
}

async fn an_admin_command_leaves_an_older_schema_alone_and_migrate_schema_upgrades_it() {
    let site = Site::new();
    let database = site.database();
    let known = kanban_server::schema_version(&database);
    create_at(&database, known - 1).await;
    let (ok, out, said) = site.admin_output(&["user", "list"]);
    assert!(!ok, "user list ran on an older schema: {out}");
    assert!(
        said.contains(&format!("version {}, older than", known - 1)) && said.contains("migrate-schema"),
        "{said}"
    );
    assert_eq!(version_of(&site), known - 1, "a read-only command changed nothing");

    let (ok, _, said) = site.admin_output(&["migrate-schema"]);
    assert!(ok, "{said}");
    assert!(said.contains(&format!("the schema is at version {known}")), "{said}");
    assert_eq!(version_of(&site), known);
    site.admin(&["user", "add", "ann"]);
    assert!(site.admin(&["user", "list"]).contains("ann"));
}

async fn a_migration_that_fails_says_which_and_why() {
    let site = Site::new();
    let database = site.database();
    let known = kanban_server::schema_version(&database);
    create_at(&database, known - 1).await;
    // Someone made the newest migration's table by hand.
    run_sql(&site, "CREATE TABLE oidc_sessions (id bigint)");
    let (ok, _, said) = site.admin_output(&["migrate-schema"]);
    assert!(!ok);
    assert!(said.contains(&format!("migration {known} (")), "{said}");
    assert!(said.contains("oidc_sessions"), "the database's own words: {said}");
    assert_eq!(version_of(&site), known - 1, "nothing of the failed migration stayed");
    // A server starting says the same, and does not serve.
    let refused = Server::open_database(&database, &Default::default(), test_limits()).await.err();
    let refused = refused.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        refused.contains(&format!("migration {known} (")) && refused.contains("oidc_sessions"),
        "{refused}"
    );
}

crate::both_stores!(
    every_earlier_schema_upgrades_to_the_one_a_new_database_gets,
    a_schema_newer_than_the_binary_is_refused_by_the_server_and_the_commands,
    an_admin_command_leaves_an_older_schema_alone_and_migrate_schema_upgrades_it,
    a_migration_that_fails_says_which_and_why,
);
