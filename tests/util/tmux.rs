//! Running the real `kanban-tui` in tmux, as a person would: keys in with
//! `send-keys`, the screen out with `capture-pane` (with colors). Each test uses a
//! tmux server of its own, gone when the test ends.

use std::process::Command;
use std::time::{Duration, Instant};

use super::WAIT;

/// A private tmux server.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn new(name: &str) -> Tmux {
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.as_ref().is_ok_and(|o| o.status.success()),
            "these tests need tmux (`apt-get install tmux`; .ci/run installs it)"
        );
        Tmux { socket: format!("kanban-test-{}-{name}", std::process::id()) }
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("run tmux")
    }

    /// Starts `command` in a new window `name` of `width`×`height`.
    pub fn start(&self, name: &str, width: u16, height: u16, command: &str, env: &[(&str, &str)]) {
        let mut args: Vec<String> = vec!["new-session".into(), "-d".into(), "-s".into(), name.into()];
        args.extend(["-x".into(), width.to_string(), "-y".into(), height.to_string()]);
        for (k, v) in env {
            args.extend(["-e".into(), format!("{k}={v}")]);
        }
        args.push(command.into());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.tmux(&refs);
        assert!(out.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&out.stderr));
        self.tmux(&["set-option", "-t", name, "remain-on-exit", "on"]);
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

    /// Whether the program in `name` has exited, and with what status.
    pub fn exit_status(&self, name: &str) -> Option<i32> {
        let out = self.tmux(&["display-message", "-p", "-t", name, "#{pane_dead} #{pane_dead_status}"]);
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.split_whitespace();
        match (parts.next(), parts.next()) {
            (Some("1"), Some(code)) => code.parse().ok(),
            _ => None,
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
