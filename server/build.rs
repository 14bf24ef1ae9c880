//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the files
//! of `migrations/`, but cargo only watches files it was told about.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
