//! The config file read and written back: each kind of fault is said with its
//! line, the keys given replace the defaults as the README says, and what
//! `kanban-tui config` prints reads back as the config it printed.

use std::path::Path;

use kanban_front::app::bindings::BoardAction::{self, *};
use kanban_front::app::input::KeyCode;
use kanban_front::app::key::Key;
use kanban_front::ui::palette::Role;
use ratatui::style::Color;

use super::{Config, parse, print};

fn read(text: &str) -> Result<Config, super::ConfigError> {
    parse(text, Path::new("/home/ann/.config/kanban/config.toml"))
}

/// The line and the message of the fault in `text`.
fn fault(text: &str) -> (Option<usize>, String) {
    let err = read(text).expect_err(text);
    assert_eq!(err.path, Path::new("/home/ann/.config/kanban/config.toml"));
    let said = err.to_string();
    assert!(said.starts_with("/home/ann/.config/kanban/config.toml line "), "{said}");
    (err.line, err.message)
}

#[test]
fn every_kind_of_fault_names_its_line() {
    let cases: &[(&str, usize, &str)] = &[
        // TOML itself: an unclosed string.
        ("[keys]\nnew-card = \"o\n", 2, ""),
        ("# mine\n[colors]\nselection = \"red\"\n", 2, "unknown field `colors`"),
        ("[keys]\nnew-card = \"o\"\nnwe-card = \"p\"\n", 3, "unknown action \"nwe-card\""),
        ("[keys]\n\nnew-card = \"Ctlr-o\"\n", 3, "\"Ctlr-o\" is not a key"),
        ("[keys]\nnew-card = 5\n", 2, "a key (\"x\") or a list of keys"),
        ("[keys]\nnew-card = [\n  \"o\",\n  \"Hyper-o\",\n]\n", 4, "\"Hyper-o\" is not a key"),
        ("[keys]\nnew-card = \"o\"\nedit-card = [\"e\", \"o\"]\n", 3, "\"o\" is given to new-card too"),
        ("[keys]\nquit = \"Ctrl-c\"\n", 2, "cannot be bound: it quits from anywhere"),
        ("[theme]\nselection = \"#123456\"\nselectoin = \"red\"\n", 3, "unknown color \"selectoin\""),
        ("[theme]\naccent = \"purple\"\n", 2, "\"purple\" is not a color"),
        ("[theme]\naccent = \"#12345\"\n", 2, "is not a color: write \"#rrggbb\""),
        ("[editor]\ncmd = \"vim\"\n", 2, "unknown field `cmd`"),
        ("[editor]\ncommand = \"  \"\n", 2, "command is empty"),
        // The first fault in the file is said, whichever section it is in.
        ("[theme]\naccent = \"purple\"\n[keys]\nnwe-card = \"o\"\n", 2, "\"purple\""),
        ("[keys]\nnwe-card = \"o\"\n[theme]\naccent = \"purple\"\n", 2, "nwe-card"),
    ];
    for (text, line, says) in cases {
        let (at, message) = fault(text);
        assert_eq!(at, Some(*line), "{text:?}: {message}");
        assert!(message.contains(says), "{text:?} says {says:?}: {message}");
    }
}

#[test]
fn keys_given_replace_the_actions_own_and_leave_other_actions() {
    let config = read("[keys]\nnew-card = \"e\"\nhelp = [\"F1\", \"?\"]\nquit = []\n").unwrap();
    let keys = &config.keys;
    assert_eq!(keys.action(Key::char('e')), Some(NewCard));
    assert_eq!(keys.action(Key::char('n')), None, "n no longer makes a card");
    assert_eq!(keys.keys(EditCard), &[] as &[Key], "e left edit-card");
    assert_eq!(keys.keys(Help), &[Key::plain(KeyCode::F(1)), Key::char('?')]);
    assert_eq!(keys.keys(Quit), &[] as &[Key]);
    assert_eq!(keys.action(Key::char('d')), Some(DeleteCard), "what is not given keeps its keys");
}

#[test]
fn an_empty_file_is_the_defaults() {
    assert_eq!(read("").unwrap(), Config::default());
    assert_eq!(read("[keys]\n[theme]\n[editor]\n").unwrap(), Config::default());
}

#[test]
fn the_config_printed_reads_back_as_itself() {
    let mut config = read(
        "[keys]\nnew-card = [\"o\", \"Ctrl-n\"]\nselect-left = \"Alt-h\"\ndelete-card = []\n\
         [theme]\nselection = \"#264f78\"\naccent = \"magenta\"\n[editor]\ncommand = 'code --wait \"$1\"'\n",
    )
    .unwrap();
    assert_eq!(config.theme.get(Role::Selection), Color::Rgb(0x26, 0x4f, 0x78));
    for config in [Config::default(), config.clone()] {
        let text = print(&config, "the config in effect", "vi");
        assert_eq!(read(&text).unwrap(), config, "{text}");
    }
    // Without an editor the fallback is said, commented out, and stays unset.
    config.editor = None;
    let text = print(&config, "", "nano -w");
    assert!(text.contains("# command = \"nano -w\""), "{text}");
    assert_eq!(read(&text).unwrap(), config);
}

#[test]
fn the_config_printed_writes_every_default_out() {
    let text = print(&Config::default(), "", "vi");
    for (action, keys) in Config::default().keys.iter() {
        let written: Vec<String> = keys.iter().map(|k| format!("{:?}", k.to_string())).collect();
        let line = text.lines().find(|l| l.starts_with(&format!("{} = ", action.name()))).unwrap();
        assert!(written.iter().all(|k| line.contains(k.as_str())), "{line}");
    }
    assert!(text.contains("select-left = [\"Left\", \"h\"]\n"), "{text}");
    assert!(text.contains("redo = \"Ctrl-r\"\n"), "{text}");
    assert!(text.contains("selection = \"#3c4048\""), "{text}");
    assert!(text.contains("priority-high = \"lightred\""), "{text}");
    assert_eq!(BoardAction::named("select-left"), Some(SelectLeft));
}

/// The README's example is a config that reads, doing what its comments say.
#[test]
fn the_readmes_example_reads() {
    let readme = include_str!("../../README.md");
    let example = readme.split("**Your keys and colors.**").nth(1).unwrap();
    let example = example.split("```toml\n").nth(1).unwrap().split("```").next().unwrap();
    let config = read(example).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.keys.action(Key::char('o')), Some(NewCard));
    assert_eq!(config.keys.action(Key::char('n')), None);
    assert_eq!(config.theme.get(Role::Accent), Color::Magenta);
    assert_eq!(config.editor.as_deref(), Some("nvim"));
}

#[test]
fn notify_is_off_unless_said_and_reads_back() {
    assert_eq!(read("").unwrap().notify, kanban_front::app::inbox::Notify::default());
    let config = read("[notify]\nbell = true\n").unwrap();
    assert!(config.notify.bell && !config.notify.desktop);
    let (line, message) = fault("[notify]\nbel = true\n");
    assert_eq!(line, Some(2));
    assert!(message.contains("unknown field `bel`"), "{message}");
    let printed = print(&config, "header", "vi");
    assert!(printed.contains("\n[notify]\n"), "{printed}");
    assert_eq!(read(&printed).unwrap().notify, config.notify);
}
