//! One SSH session's board: the same app, run step and view as kanban-tui's
//! ([`kanban_front::runner`]), fed by the channel's bytes (decoded as a terminal's
//! input) and by the link to the hub and the store, drawn with ratatui into the
//! channel at the client's size, at most once per frame, in the colors its `TERM`
//! says it shows.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kanban_front::app::{Action, App};
use kanban_front::runner::{self, Runner, Step};
use kanban_front::ui::paint::ColorChoice;
use kanban_front::ui::{self, Theme};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{cursor, event, queue, terminal};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use russh::ChannelId;
use russh::server::Handle;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::input::Decoder;
use super::link::{self, Ended};
use crate::state::Core;
use crate::store::KeyHolder;

/// What the SSH side hands the board.
#[derive(Debug)]
pub enum Input {
    Bytes(Vec<u8>),
    /// The client's window changed: columns, rows (as [`drawn_size`] fits them).
    Resize(u16, u16),
}

/// The largest screen a session draws: a client may say any size (up to 2³²
/// cells a side), and every frame costs memory and time in proportion to the
/// cells, so a larger terminal is drawn clipped to this, at its top left. 500×300
/// is past any screen people use.
pub const MAX_COLS: u16 = 500;
pub const MAX_ROWS: u16 = 300;

/// The size a session draws for a client that says `cols`×`rows`: at least one
/// cell, at most [`MAX_COLS`]×[`MAX_ROWS`]. Every size that comes in (the pty
/// request, each window change) goes through here.
pub fn drawn_size(cols: u32, rows: u32) -> (u16, u16) {
    let fit = |n: u32, max: u16| u16::try_from(n).unwrap_or(max).clamp(1, max);
    (fit(cols, MAX_COLS), fit(rows, MAX_ROWS))
}

/// The terminal the client asked for.
#[derive(Debug, Clone)]
pub struct Pty {
    pub term: String,
    pub cols: u16,
    pub rows: u16,
    /// `COLORTERM` and `NO_COLOR`, when the client sent them (`SendEnv`).
    pub env: Vec<(String, String)>,
}

impl Pty {
    fn theme(&self) -> Theme {
        let var = |name: &str| {
            if name == "TERM" {
                return Some(self.term.clone());
            }
            self.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        };
        Theme::new(ColorChoice::Auto.depth(var))
    }
}

/// Where the session's bytes go.
pub struct Channel {
    pub handle: Handle,
    pub id: ChannelId,
}

/// How a session is set up.
pub struct Setup {
    pub state: Core,
    pub holder: KeyHolder,
    pub pty: Pty,
    /// The project to open (the remote command), by id or name.
    pub project: Option<String>,
    pub fps: u32,
    /// A session without a key pressed this long ends.
    pub idle: Duration,
}

/// The bytes ratatui and crossterm write, sent to the channel after each frame
/// (the loop keeps a second handle on them).
#[derive(Default, Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Why the board closed, as the person reads it after the screen is theirs again.
fn farewell(ended: &Ended, idle: Duration) -> Option<String> {
    match ended {
        Ended::Quit => None,
        Ended::KeyGone => Some("Your key is no longer accepted on this board: ask its admin.".into()),
        Ended::Stopping => Some("The board's server is stopping: ssh in again in a moment.".into()),
        Ended::Idle => Some(format!(
            "Closed after {} minutes without a key: ssh in again to come back.",
            idle.as_secs() / 60
        )),
    }
}

/// Runs the board in `channel` until the person quits, the channel closes, the
/// key goes or the server stops; then gives the terminal back, says why, and
/// closes the channel with an exit status.
pub async fn run(setup: Setup, channel: Channel, mut input: mpsc::Receiver<Input>) {
    let Setup { state, holder, pty, project, fps, idle } = setup;
    let theme = pty.theme();
    let (actions_tx, actions) = runner::actions();
    let (dispatch, mut linked) = link::start(state, holder, actions_tx);
    let mut app = App::new(fps, project);
    // Ctrl-Z has no shell to go back to here: not offered, and does nothing.
    app.can_suspend = false;
    // The person's editor is on their own machine, out of reach.
    app.can_edit_externally = false;
    // Times where the person is, if their client says (SendEnv TZ); else UTC.
    if let Some(zone) =
        pty.env.iter().find(|(k, _)| k == "TZ").and_then(|(_, tz)| kanban_front::due::zone(tz))
    {
        app.zone = zone;
    }
    // A mention rings as the client asks (SetEnv KANBAN_NOTIFY=bell): no config
    // file of theirs is here.
    if let Some((_, said)) = pty.env.iter().find(|(k, _)| k == "KANBAN_NOTIFY") {
        app.reach.notify = kanban_front::app::inbox::Notify::from_words(said);
    }
    let mut board = Runner::new(app, actions, dispatch);
    let (cols, rows) = drawn_size(pty.cols.into(), pty.rows.into());
    let area = Rect::new(0, 0, cols, rows);
    let mut sink = Sink::default();
    let mut screen = match Terminal::with_options(
        CrosstermBackend::new(sink.clone()),
        TerminalOptions { viewport: Viewport::Fixed(area) },
    ) {
        Ok(screen) => screen,
        Err(e) => {
            tracing::warn!(error = %e, "cannot make an SSH session's screen");
            return;
        }
    };
    board.apply(Action::Resize(area.width, area.height));
    let _ = queue!(
        sink,
        terminal::EnterAlternateScreen,
        cursor::Hide,
        event::EnableMouseCapture,
        event::EnableBracketedPaste,
        terminal::Clear(terminal::ClearType::All)
    );

    let mut decoder = Decoder::default();
    let frame = Duration::from_secs_f64(1.0 / f64::from(fps.max(1)));
    let mut last_draw = Instant::now() - frame;
    let mut last_key = Instant::now();
    let mut dirty = true;
    let ended = loop {
        if dirty && Instant::now() >= last_draw + frame {
            board.app.filter.today = kanban_front::due::today();
            if screen.draw(|f| ui::draw(f, &board.app, theme)).is_err() {
                break Ended::Quit;
            }
            last_draw = Instant::now();
            dirty = false;
        }
        if let Some(text) = board.app.clipboard.take() {
            // To the clipboard of the terminal the person sits at.
            let _ = write!(sink, "{}", kanban_front::clipboard::osc52(&text));
        }
        if let Some(alert) = board.app.alert.take() {
            // The bell of the terminal the person sits at.
            let _ = write!(sink, "{alert}");
        }
        if !flush(&sink, &channel).await {
            break Ended::Quit;
        }
        tokio::select! {
            got = input.recv() => match got {
                None => break Ended::Quit,
                Some(Input::Bytes(bytes)) => {
                    last_key = Instant::now();
                    let mut dropped = 0;
                    for action in decoder.feed(&bytes) {
                        // Keys that come faster than the link can act on what they
                        // ask are dropped, not queued (the decoder still reads them,
                        // so that what follows is understood).
                        if !board.apply(action) {
                            dropped += 1;
                        }
                        if board.app.quit {
                            break;
                        }
                    }
                    if dropped > 0 {
                        tracing::debug!(dropped, "SSH input dropped: the session is behind");
                    }
                    dirty = true;
                }
                Some(Input::Resize(cols, rows)) => {
                    let (cols, rows) = drawn_size(cols.into(), rows.into());
                    let area = Rect::new(0, 0, cols, rows);
                    let _ = screen.resize(area);
                    board.apply(Action::Resize(area.width, area.height));
                    dirty = true;
                }
            },
            step = board.step() => match step {
                Step::Quit => break Ended::Quit,
                Step::Changed => dirty = true,
                // Ctrl-Z is not offered here.
                Step::Idle | Step::Suspend => {}
            },
            // Changes faster than the frame rate wait for the next frame.
            () = sleep_until(last_draw + frame), if dirty => {}
            () = sleep_until(last_key + idle) => break Ended::Idle,
            ended = &mut linked => break ended.unwrap_or(Ended::Quit),
        }
        if board.app.quit {
            break Ended::Quit;
        }
    };
    drop(board);
    let _ = queue!(
        sink,
        event::DisableBracketedPaste,
        event::DisableMouseCapture,
        cursor::Show,
        terminal::LeaveAlternateScreen
    );
    let status = match farewell(&ended, idle) {
        Some(line) => {
            let _ = write!(sink, "{line}\r\n");
            1
        }
        None => 0,
    };
    flush(&sink, &channel).await;
    let _ = channel.handle.exit_status_request(channel.id, status).await;
    let _ = channel.handle.eof(channel.id).await;
    let _ = channel.handle.close(channel.id).await;
}

/// Sends what was drawn; `false` once the channel is gone.
async fn flush(sink: &Sink, channel: &Channel) -> bool {
    let bytes = sink.take();
    bytes.is_empty() || channel.handle.data(channel.id, bytes).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_size_said_is_drawn_within_the_budget() {
        assert_eq!(drawn_size(100, 30), (100, 30));
        assert_eq!(drawn_size(0, 0), (1, 1), "at least one cell");
        assert_eq!(drawn_size(65_535, 65_535), (MAX_COLS, MAX_ROWS));
        assert_eq!(drawn_size(u32::MAX, 40), (MAX_COLS, 40));
        assert_eq!(drawn_size(80, 70_000), (80, MAX_ROWS));
    }
}
