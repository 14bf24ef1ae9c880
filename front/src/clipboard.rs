//! The person's clipboard, by the terminal's own escape sequence (OSC 52): it
//! travels with the screen's bytes, so it reaches the terminal the person sits
//! at through tmux and over SSH, where no clipboard program of the host could.

use base64::Engine;

/// The escape sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_text_goes_in_base64() {
        assert_eq!(super::osc52("#7 Fix login"), "\x1b]52;c;IzcgRml4IGxvZ2lu\x07");
    }
}
