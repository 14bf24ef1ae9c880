//! What an SSH client types, as the app's input: the channel's bytes are a
//! terminal's input stream (keys as characters and escape sequences, mouse
//! reports, bracketed paste), decoded by terminput's parser (crossterm's) one
//! event at a time.

use kanban_front::app::Action;
use kanban_front::app::input::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use terminput::{
    Event, KeyCode as C, KeyEventKind as K, KeyModifiers as M, MouseButton as B, MouseEventKind as ME,
    ScrollDirection as S,
};

/// The longest sequence kept while it is incomplete: past it the bytes are noise
/// (a paste is the only long one, and nothing the app takes is longer: a card's
/// description is at most 20,000 characters).
const MAX_PENDING: usize = 256 * 1024;

/// Bytes of an event not yet complete, between reads.
#[derive(Debug, Default)]
pub struct Decoder {
    pending: Vec<u8>,
}

impl Decoder {
    /// The actions `bytes` complete, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Action> {
        let mut out = Vec::new();
        for (i, &byte) in bytes.iter().enumerate() {
            self.pending.push(byte);
            // A lone ESC with more in this read starts a sequence; at the end of
            // a read it is the Esc key.
            if self.pending == [0x1b] && i + 1 < bytes.len() {
                continue;
            }
            match Event::parse_from(&self.pending) {
                Ok(Some(event)) => {
                    out.extend(action(event));
                    self.pending.clear();
                }
                Ok(None) if self.pending.len() < MAX_PENDING => {}
                _ => self.pending.clear(),
            }
        }
        out
    }
}

fn action(event: Event) -> Option<Action> {
    match event {
        Event::Key(k) if k.kind != K::Release => Some(Action::Key(key(k))),
        Event::Mouse(m) => Some(Action::Mouse(mouse(m)?)),
        Event::Paste(text) => Some(Action::Paste(text)),
        _ => None,
    }
}

fn modifiers(m: M) -> KeyModifiers {
    let mut out = KeyModifiers::NONE;
    for (theirs, ours) in
        [(M::SHIFT, KeyModifiers::SHIFT), (M::CTRL, KeyModifiers::CONTROL), (M::ALT, KeyModifiers::ALT)]
    {
        if m.contains(theirs) {
            out = out | ours;
        }
    }
    out
}

fn key(k: terminput::KeyEvent) -> KeyEvent {
    let shift = k.modifiers.contains(M::SHIFT);
    let code = match k.code {
        C::Char(c) => KeyCode::Char(c),
        C::Enter => KeyCode::Enter,
        C::Esc => KeyCode::Esc,
        C::Tab if shift => KeyCode::BackTab,
        C::Tab => KeyCode::Tab,
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
    let kind = if k.kind == K::Repeat { KeyEventKind::Repeat } else { KeyEventKind::Press };
    KeyEvent { code, modifiers: modifiers(k.modifiers), kind }
}

fn mouse(m: terminput::MouseEvent) -> Option<MouseEvent> {
    let button = |b: B| match b {
        B::Left | B::Unknown => MouseButton::Left,
        B::Right => MouseButton::Right,
        B::Middle => MouseButton::Middle,
    };
    let kind = match m.kind {
        ME::Down(b) => MouseEventKind::Down(button(b)),
        ME::Up(b) => MouseEventKind::Up(button(b)),
        ME::Drag(b) => MouseEventKind::Drag(button(b)),
        ME::Moved => MouseEventKind::Moved,
        ME::Scroll(S::Down) => MouseEventKind::ScrollDown,
        ME::Scroll(S::Up) => MouseEventKind::ScrollUp,
        ME::Scroll(S::Left) => MouseEventKind::ScrollLeft,
        ME::Scroll(S::Right) => MouseEventKind::ScrollRight,
    };
    let modifiers = if m.modifiers.contains(M::CTRL) { KeyModifiers::CONTROL } else { KeyModifiers::NONE };
    Some(MouseEvent { kind, column: m.column, row: m.row, modifiers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(actions: Vec<Action>) -> Vec<(KeyCode, KeyModifiers)> {
        actions
            .into_iter()
            .map(|a| match a {
                Action::Key(k) => (k.code, k.modifiers),
                other => panic!("not a key: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn characters_arrows_and_control_keys_come_out_as_typed() {
        let mut d = Decoder::default();
        let got = keys(d.feed(b"a\x1b[A\r\x7f\x03"));
        assert_eq!(
            got,
            vec![
                (KeyCode::Char('a'), KeyModifiers::NONE),
                (KeyCode::Up, KeyModifiers::NONE),
                (KeyCode::Enter, KeyModifiers::NONE),
                (KeyCode::Backspace, KeyModifiers::NONE),
                (KeyCode::Char('c'), KeyModifiers::CONTROL),
            ]
        );
        assert_eq!(keys(d.feed("é".as_bytes())), vec![(KeyCode::Char('é'), KeyModifiers::NONE)]);
    }

    #[test]
    fn a_lone_escape_is_the_key_and_a_sequence_cut_between_reads_waits_for_its_end() {
        let mut d = Decoder::default();
        assert_eq!(keys(d.feed(b"\x1b")), vec![(KeyCode::Esc, KeyModifiers::NONE)]);
        assert!(d.feed(b"\x1b[1;5").is_empty());
        assert_eq!(keys(d.feed(b"C")), vec![(KeyCode::Right, KeyModifiers::CONTROL)]);
        assert_eq!(keys(d.feed(b"\x1b[Z")), vec![(KeyCode::BackTab, KeyModifiers::SHIFT)]);
    }

    #[test]
    fn a_bracketed_paste_is_one_paste_and_a_click_is_a_mouse_event() {
        let mut d = Decoder::default();
        assert!(d.feed(b"\x1b[200~two ").is_empty());
        match d.feed(b"words\x1b[201~").as_slice() {
            [Action::Paste(text)] => assert_eq!(text, "two words"),
            other => panic!("{other:?}"),
        }
        match d.feed(b"\x1b[<0;10;5M").as_slice() {
            [Action::Mouse(m)] => {
                assert_eq!((m.kind, m.column, m.row), (MouseEventKind::Down(MouseButton::Left), 9, 4));
            }
            other => panic!("{other:?}"),
        }
    }
}
