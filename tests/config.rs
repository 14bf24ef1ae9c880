//! `kanban-tui config`: the real binary prints the config in effect with every
//! default, which serves as a config file as it is; a config that cannot be used
//! is said with its line, and the status is 1.

use std::path::Path;
use std::process::{Command, Output};

fn config(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kanban-tui"))
        .arg("config")
        .args(args)
        .env("KANBAN_CONFIG_DIR", dir)
        .env_remove("KANBAN_CONFIG")
        .env("EDITOR", "nano")
        .env_remove("VISUAL")
        .output()
        .unwrap()
}

#[test]
fn the_config_in_effect_is_printed_and_serves_as_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = config(dir.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let defaults = String::from_utf8(out.stdout).unwrap();
    let file = dir.path().join("config.toml");
    assert!(defaults.contains(&format!("no {} yet", file.display())), "{defaults}");
    for line in ["new-card = \"n\"", "redo = \"Ctrl-r\"", "accent = \"cyan\"", "# command = \"nano\""] {
        assert!(defaults.lines().any(|l| l.starts_with(line)), "{line}:\n{defaults}");
    }
    // Copied as it is, it is read as the same config.
    std::fs::write(&file, defaults.replace("new-card = \"n\"", "new-card = \"o\"")).unwrap();
    let out = config(dir.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = String::from_utf8(out.stdout).unwrap();
    assert!(again.contains(&format!("read from {}", file.display())), "{again}");
    assert!(again.contains("new-card = \"o\"\n") && !again.contains("new-card = \"n\""), "{again}");
    let body =
        |text: &str| text.split_once("\n[keys]").unwrap().1.replace("new-card = \"o\"", "new-card = \"n\"");
    assert_eq!(body(&again), body(&defaults));
}

#[test]
fn a_config_that_cannot_be_used_is_said_with_its_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(&file, "[theme]\nselection = \"#264f78\"\naccent = \"purplish\"\n").unwrap();
    let out = config(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("{} line 3: \"purplish\" is not a color", file.display())), "{said}");
    assert!(out.stdout.is_empty(), "nothing printed as the config");
    // A file named with --config must be there.
    let missing = dir.path().join("mine.toml");
    let out = config(dir.path(), &["--config", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("{}: cannot be read", missing.display())), "{said}");
}
