//! The terminal: set it up, draw the client's state when it changed (at most once
//! per frame), feed keys and mouse to it, and always give the terminal back, on
//! panic too.

use std::io::stdout;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event, EventStream,
};
use crossterm::execute;
use futures_util::StreamExt;
use tokio::time::{Instant, sleep_until};

use crate::app::Action;
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

/// Runs the client in this terminal until the user quits.
pub async fn run(mut client: Client, theme: Theme, fps: u32) -> anyhow::Result<()> {
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

    let input = client.sender.clone();
    tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(Ok(event)) = events.next().await {
            let action = match event {
                Event::Key(k) => Action::Key(k),
                Event::Mouse(m) => Action::Mouse(m),
                Event::Paste(p) => Action::Paste(p),
                Event::Resize(w, h) => Action::Resize(w, h),
                Event::FocusGained | Event::FocusLost => continue,
            };
            if input.send(action).await.is_err() {
                break;
            }
        }
    });

    let frame = Duration::from_secs_f64(1.0 / f64::from(fps.max(1)));
    let mut last_draw = Instant::now() - frame;
    let mut dirty = true;
    loop {
        if dirty && Instant::now() >= last_draw + frame {
            terminal.draw(|f| ui::draw(f, &client.app, theme))?;
            last_draw = Instant::now();
            dirty = false;
        }
        tokio::select! {
            step = client.step() => match step {
                Step::Quit => break,
                Step::Changed => dirty = true,
                Step::Idle => {}
            },
            // Changes faster than the frame rate wait for the next frame.
            () = sleep_until(last_draw + frame), if dirty => {}
        }
    }
    Ok(())
}
