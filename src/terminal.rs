//! The terminal: set it up, draw the client's state when it changed (at most once
//! per frame), feed keys and mouse to it (in the app's own terms), hand it to the
//! person's editor and take it back, and always give it back, on panic too.

use std::io::stdout;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
};
use crossterm::execute;
use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::app::Action;
use crate::app::input::{self, KeyCode, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use crate::client::{Client, Step};
use crate::ui::{self, Theme};

/// Restores the terminal when dropped, whatever happened.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
        ratatui::restore();
    }
}

/// Runs the client in this terminal until the user quits; `editor` is the
/// command that edits a card's text ([`crate::editor`]). Answers the board open
/// at the end and its revision, as the person last saw it.
pub async fn run(
    mut client: Client,
    theme: Theme,
    fps: u32,
    editor: String,
) -> anyhow::Result<Option<(i64, u64)>> {
    let mut terminal = ratatui::init();
    let _restore = Restore;
    // ratatui's hook restores the screen on panic; mouse and paste modes too.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
        previous(info);
    }));
    execute!(stdout(), EnableMouseCapture, EnableBracketedPaste)?;
    let size = terminal.size()?;
    let _ = client.sender.send(Action::Resize(size.width, size.height)).await;

    let input = Input::spawn(client.sender.clone());

    let frame = Duration::from_secs_f64(1.0 / f64::from(fps.max(1)));
    let mut last_draw = Instant::now() - frame;
    let mut dirty = true;
    let mut board_seen = false;
    // The person's editor, while it has the terminal: its answer to come.
    let mut editing: Option<tokio::task::JoinHandle<Result<String, String>>> = None;
    loop {
        if editing.is_none()
            && let Some(text) = client.app.editor.take()
        {
            // Nothing reads the keys but the editor, and nothing draws over it;
            // the board goes on taking the network's news meanwhile.
            let gate = Arc::clone(&input);
            tokio::task::spawn_blocking(move || gate.pause()).await?;
            give_back()?;
            let command = editor.clone();
            editing = Some(tokio::spawn(async move { crate::editor::edit(&command, &text).await }));
        }
        if let Some(text) = client.app.clipboard.take() {
            // Through the terminal itself, so that it reaches the person's
            // clipboard through tmux and over ssh too.
            let backend = terminal.backend_mut();
            std::io::Write::write_all(backend, kanban_front::clipboard::osc52(&text).as_bytes())?;
            std::io::Write::flush(backend)?;
        }
        if let Some(alert) = client.app.alert.take() {
            // The bell or a desktop notification, through the terminal as the
            // clipboard goes.
            let backend = terminal.backend_mut();
            std::io::Write::write_all(backend, alert.as_bytes())?;
            std::io::Write::flush(backend)?;
        }
        if dirty && editing.is_none() && Instant::now() >= last_draw + frame {
            // Due dates are said from today, which changes at midnight.
            client.app.filter.today = crate::due::today();
            let drawing = Instant::now();
            terminal.draw(|f| ui::draw(f, &client.app, theme))?;
            last_draw = Instant::now();
            dirty = false;
            if !board_seen && let Some(board) = &client.app.board {
                // How long a start takes, for the figures of big boards.
                board_seen = true;
                tracing::info!(
                    since_start_ms = crate::log::since_start().as_millis() as u64,
                    draw_us = (last_draw - drawing).as_micros() as u64,
                    cards = board.tasks.len(),
                    "first frame with the board"
                );
            }
        }
        tokio::select! {
            step = client.step() => match step {
                Step::Quit => break,
                Step::Changed => dirty = true,
                Step::Suspend => {
                    suspend(&mut terminal)?;
                    // The window may have changed size while we were stopped.
                    let size = terminal.size()?;
                    let _ = client.sender.try_send(Action::Resize(size.width, size.height));
                    dirty = true;
                }
                Step::Idle => {}
            },
            edited = async { editing.as_mut().expect("guarded").await }, if editing.is_some() => {
                editing = None;
                take_again(&mut terminal)?;
                input.resume();
                let edited = edited.unwrap_or_else(|e| Err(format!("the editor's task failed: {e}")));
                client.apply(Action::Edited(edited));
                let size = terminal.size()?;
                client.apply(Action::Resize(size.width, size.height));
                dirty = true;
            }
            // Changes faster than the frame rate wait for the next frame.
            () = sleep_until(last_draw + frame), if dirty && editing.is_none() => {}
        }
    }
    Ok(client.app.board.as_ref().map(|b| (b.project.id, b.rev)))
}

/// How long the input thread waits for input before it looks whether it is to
/// pause: the longest an editor waits to get the keyboard.
const POLL: Duration = Duration::from_millis(100);

/// The terminal's input, read on a thread of its own, which stops reading while
/// an editor runs: a reader still waiting on the terminal would take the
/// editor's keys.
#[derive(Default)]
struct Input {
    state: Mutex<Gate>,
    changed: Condvar,
}

#[derive(Default)]
struct Gate {
    /// Asked to stop reading.
    pause: bool,
    /// Not reading, until asked to go on.
    paused: bool,
    /// The thread has ended.
    gone: bool,
}

impl Input {
    /// Starts the thread, which sends what it reads to `sender` until that closes.
    fn spawn(sender: mpsc::Sender<Action>) -> Arc<Input> {
        let input = Arc::new(Input::default());
        let reader = Arc::clone(&input);
        std::thread::Builder::new()
            .name("input".into())
            .spawn(move || {
                reader.read(&sender);
                // Gone (the app closed, or the terminal cannot be read): it reads
                // nothing any more, so an editor waiting for it need not wait.
                reader.state.lock().unwrap_or_else(PoisonError::into_inner).gone = true;
                reader.changed.notify_all();
            })
            .expect("a thread starts");
        input
    }

    fn read(&self, sender: &mpsc::Sender<Action>) {
        loop {
            self.wait_while_paused();
            match crossterm::event::poll(POLL) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(_) => return,
            }
            let Ok(event) = crossterm::event::read() else { return };
            let action = match event {
                Event::Key(k) => Action::Key(key(k)),
                Event::Mouse(m) => Action::Mouse(mouse(m)),
                Event::Paste(p) => Action::Paste(p),
                Event::Resize(w, h) => Action::Resize(w, h),
                Event::FocusGained | Event::FocusLost => continue,
            };
            if sender.blocking_send(action).is_err() {
                return;
            }
        }
    }

    fn wait_while_paused(&self) {
        let mut gate = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !gate.pause {
            return;
        }
        gate.paused = true;
        self.changed.notify_all();
        while gate.pause {
            gate = self.changed.wait(gate).unwrap_or_else(PoisonError::into_inner);
        }
        gate.paused = false;
    }

    /// Stops the reading, and waits until the thread no longer reads (at most
    /// [`POLL`]).
    fn pause(&self) {
        let mut gate = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        gate.pause = true;
        while !gate.paused && !gate.gone {
            gate = self.changed.wait(gate).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn resume(&self) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).pause = false;
        self.changed.notify_all();
    }
}

/// Gives the terminal back as it was before the board (the shell's screen,
/// cooked mode), for the shell or an editor.
fn give_back() -> anyhow::Result<()> {
    execute!(stdout(), DisableMouseCapture, DisableBracketedPaste)?;
    ratatui::restore();
    Ok(())
}

/// Takes the terminal again for the board, which draws the whole screen anew.
fn take_again(terminal: &mut ratatui::DefaultTerminal) -> anyhow::Result<()> {
    crossterm::terminal::enable_raw_mode()?;
    execute!(
        stdout(),
        EnterAlternateScreen,
        Clear(ClearType::All),
        EnableMouseCapture,
        EnableBracketedPaste
    )?;
    // A new terminal has no idea of what is on the screen, so its first draw is
    // whole. (`Terminal::clear` would ask the terminal where its cursor is, and the
    // answer goes to the input reader instead.)
    *terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(stdout()))?;
    Ok(())
}

/// Ctrl-Z: gives the terminal back as it was (the shell's screen, cooked mode),
/// stops this process as the shell's job control expects, and when `fg` continues
/// it, takes the terminal again and draws the whole screen anew. Without a shell
/// to come back to (an orphaned process group) the kernel ignores the stop and the
/// board simply stays.
fn suspend(terminal: &mut ratatui::DefaultTerminal) -> anyhow::Result<()> {
    give_back()?;
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    // Continued (fg): the terminal is ours again.
    take_again(terminal)
}

/// A key in the app's terms.
fn key(k: crossterm::event::KeyEvent) -> input::KeyEvent {
    use crossterm::event::{KeyCode as C, KeyEventKind as K, KeyModifiers as M};
    let code = match k.code {
        C::Char(c) => KeyCode::Char(c),
        C::Enter => KeyCode::Enter,
        C::Esc => KeyCode::Esc,
        C::Tab => KeyCode::Tab,
        C::BackTab => KeyCode::BackTab,
        C::Backspace => KeyCode::Backspace,
        C::Delete => KeyCode::Delete,
        C::Left => KeyCode::Left,
        C::Right => KeyCode::Right,
        C::Up => KeyCode::Up,
        C::Down => KeyCode::Down,
        C::Home => KeyCode::Home,
        C::End => KeyCode::End,
        C::PageUp => KeyCode::PageUp,
        C::PageDown => KeyCode::PageDown,
        C::F(n) => KeyCode::F(n),
        _ => KeyCode::Other,
    };
    let mut modifiers = KeyModifiers::NONE;
    for (theirs, ours) in
        [(M::SHIFT, KeyModifiers::SHIFT), (M::CONTROL, KeyModifiers::CONTROL), (M::ALT, KeyModifiers::ALT)]
    {
        if k.modifiers.contains(theirs) {
            modifiers = modifiers | ours;
        }
    }
    let kind = match k.kind {
        K::Press => KeyEventKind::Press,
        K::Repeat => KeyEventKind::Repeat,
        K::Release => KeyEventKind::Release,
    };
    input::KeyEvent { code, modifiers, kind }
}

/// A mouse event in the app's terms.
fn mouse(m: crossterm::event::MouseEvent) -> MouseEvent {
    use crossterm::event::{MouseButton as B, MouseEventKind as K};
    let button = |b: B| match b {
        B::Left => MouseButton::Left,
        B::Right => MouseButton::Right,
        B::Middle => MouseButton::Middle,
    };
    let kind = match m.kind {
        K::Down(b) => MouseEventKind::Down(button(b)),
        K::Up(b) => MouseEventKind::Up(button(b)),
        K::Drag(b) => MouseEventKind::Drag(button(b)),
        K::Moved => MouseEventKind::Moved,
        K::ScrollDown => MouseEventKind::ScrollDown,
        K::ScrollUp => MouseEventKind::ScrollUp,
        K::ScrollLeft => MouseEventKind::ScrollLeft,
        K::ScrollRight => MouseEventKind::ScrollRight,
    };
    let modifiers = if m.modifiers.contains(crossterm::event::KeyModifiers::CONTROL) {
        KeyModifiers::CONTROL
    } else {
        KeyModifiers::NONE
    };
    MouseEvent { kind, column: m.column, row: m.row, modifiers }
}
