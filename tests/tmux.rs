//! Running the real `kanban-tui` in tmux, as a person would: keys in with
//! `send-keys`, the screen out with `capture-pane` (with colors). Each test uses a
//! tmux server of its own, gone when the test ends.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::WAIT;

/// A private tmux server.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A tmux server of this test's own; `None` (the test is skipped, and says so
    /// on stderr) where tmux is not installed, unless every test must run
    /// (`KANBAN_TEST_REQUIRE_SERVICES`, as `.ci/run` sets it).
    pub fn new(name: &str) -> Option<Tmux> {
        crate::util::tool("tmux", "the terminal tests drive kanban-tui in tmux (`apt-get install tmux`)")?;
        Some(Tmux { socket: format!("kanban-test-{}-{name}", std::process::id()) })
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("run tmux")
    }

    /// Starts `command` in a new window `name` of `width`×`height`. When it exits,
    /// the shell around it prints its status (see [`Tmux::wait_exit`]).
    pub fn start(&self, name: &str, width: u16, height: u16, command: &str, env: &[(&str, &str)]) {
        let mut args: Vec<String> = vec!["new-session".into(), "-d".into(), "-s".into(), name.into()];
        args.extend(["-x".into(), width.to_string(), "-y".into(), height.to_string()]);
        for (k, v) in env {
            args.extend(["-e".into(), format!("{k}={v}")]);
        }
        args.push(format!("{command}; echo \"[exited $?]\"; sleep 600"));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.tmux(&refs);
        assert!(out.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Makes the window `name` `width`×`height`, as a person resizing theirs.
    pub fn resize(&self, name: &str, width: u16, height: u16) {
        let (w, h) = (width.to_string(), height.to_string());
        let out = self.tmux(&["resize-window", "-t", name, "-x", &w, "-y", &h]);
        assert!(out.status.success(), "tmux resize-window: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The title of the window `name`'s pane (what a program set with OSC 0/2).
    pub fn pane_title(&self, name: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", name, "#{pane_title}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The terminal device of the window `name`'s pane, for `stty -F` (a size set
    /// there reaches the program in it as a window change, as a resize would).
    pub fn pane_tty(&self, name: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", name, "#{pane_tty}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Pastes `text` as a terminal does (bracketed, its line ends as a terminal
    /// sends them: carriage returns).
    pub fn paste(&self, name: &str, text: &str) {
        let out = self.tmux(&["set-buffer", "-b", "test", "--", text]);
        assert!(out.status.success(), "tmux set-buffer: {}", String::from_utf8_lossy(&out.stderr));
        let out = self.tmux(&["paste-buffer", "-p", "-b", "test", "-t", name]);
        assert!(out.status.success(), "tmux paste-buffer: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Lets the programs in the windows set tmux's clipboard (OSC 52), as
    /// `set -s set-clipboard on` in a tmux.conf does.
    pub fn take_clipboard(&self) {
        let out = self.tmux(&["set-option", "-s", "set-clipboard", "on"]);
        assert!(out.status.success(), "tmux set-clipboard: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Polls tmux's newest paste buffer until `done` holds; fails with it after [`WAIT`].
    pub fn wait_for_clipboard(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let buffer = String::from_utf8_lossy(&self.tmux(&["show-buffer"]).stdout).into_owned();
            if done(&buffer) {
                return buffer;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; the clipboard: {buffer:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types text literally.
    pub fn type_text(&self, name: &str, text: &str) {
        self.tmux(&["send-keys", "-t", name, "-l", text]);
    }

    /// Presses keys by tmux name (`Enter`, `C-s`, `Tab`, `j`...).
    pub fn keys(&self, name: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", name];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// The screen as text; with `colors`, with its escape sequences.
    pub fn screen(&self, name: &str, colors: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", name];
        if colors {
            args.push("-e");
        }
        String::from_utf8_lossy(&self.tmux(&args).stdout).into_owned()
    }

    /// Polls the screen until `done` holds; fails with the screen after [`WAIT`].
    pub fn wait_for(&self, name: &str, what: &str, colors: bool, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen(name, colors);
            if done(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the program in `name` exits; returns its status.
    pub fn wait_exit(&self, name: &str) -> i32 {
        let screen = self.wait_for(name, "the exit", false, |s| s.contains("[exited "));
        let status = screen.split("[exited ").nth(1).and_then(|rest| rest.split(']').next());
        status.and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no exit status in:\n{screen}"))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
