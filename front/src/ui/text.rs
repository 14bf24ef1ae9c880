//! Text that fits, measured the way the terminal will draw it.
//!
//! The layout measures a grapheme cluster as one unit; terminals disagree among
//! themselves about the clusters that join several emoji (zero-width joiners, skin
//! tones, variation selectors, tag sequences): tmux draws `❤️` one column wide
//! where the layout counts two, and `👍🏽` four wide where it counts two, so borders
//! shift and stray glyphs stay until the area is redrawn. Shown text is therefore
//! reduced first, cluster by cluster, to a form every terminal draws at the width
//! the layout counts: a joined sequence shows its first emoji, and selectors, skin
//! tone modifiers and tags are left out. Flags (pairs of regional indicators) and
//! combining accents are kept: terminals agree on those. Truncation then cuts
//! between clusters, never inside one.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

const ZWJ: char = '\u{200D}';

/// Characters that the terminal and the layout may count differently inside a
/// cluster, and that can be left out without changing what the cluster names.
fn is_decoration(c: char) -> bool {
    matches!(c,
        '\u{FE00}'..='\u{FE0F}'        // variation selectors
        | '\u{1F3FB}'..='\u{1F3FF}'    // skin tone modifiers
        | '\u{E0020}'..='\u{E007F}'    // tags (subdivision flags)
        | '\u{200B}' | '\u{2060}' | '\u{FEFF}' // zero-width space, word joiner, BOM
    )
}

/// `s` as it is shown: see the module documentation. Borrowed when unchanged.
pub fn clean(s: &str) -> Cow<'_, str> {
    let plain = |c: char| !is_decoration(c) && c != ZWJ && !c.is_control();
    if s.chars().all(plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for cluster in s.graphemes(true) {
        for (i, c) in cluster.chars().enumerate() {
            if c == ZWJ {
                // What follows a joiner is drawn apart by some terminals.
                break;
            }
            if c.is_control() {
                out.push(' ');
            } else if i == 0 || !is_decoration(c) {
                out.push(c);
            }
        }
    }
    Cow::Owned(out)
}

/// `s` cut to at most `width` columns, with `…` where it was cut.
pub fn fit(s: &str, width: usize) -> String {
    let s = clean(s);
    if s.width() <= width {
        return s.into_owned();
    }
    if width == 0 {
        return String::new();
    }
    if s.is_ascii() {
        // Cleaned ASCII has no controls left: each byte is a cluster one column
        // wide, and most titles are cut on every frame.
        return format!("{}…", &s[..width - 1]);
    }
    let mut out = String::new();
    let mut used = 0;
    for cluster in s.graphemes(true) {
        let w = cluster.width();
        if used + w > width - 1 {
            break;
        }
        out.push_str(cluster);
        used += w;
    }
    out.push('…');
    out
}

/// The display width of `s`, as shown.
pub fn width(s: &str) -> usize {
    clean(s).width()
}

#[cfg(test)]
mod tests {
    use unicode_width::UnicodeWidthChar;

    use super::*;

    /// What a terminal that measures character by character (as tmux does) counts.
    fn per_char(s: &str) -> usize {
        s.chars().map(|c| c.width().unwrap_or(0)).sum()
    }

    #[test]
    fn fits_by_display_width() {
        assert_eq!(fit("hello", 10), "hello");
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(fit("日本語のテキスト", 7), "日本語…");
        assert!(width(&fit("日本語のテキスト", 7)) <= 7);
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("abc", 1), "…");
        assert_eq!(fit("tab\there", 5), "tab …", "a control shows as a space");
    }

    #[test]
    fn shown_text_measures_the_same_for_the_layout_and_the_terminal() {
        let samples = [
            "family 👨\u{200D}👩\u{200D}👧 here",
            "love ❤\u{FE0F} it",
            "ok 👍🏽",
            "keycap 1\u{FE0F}\u{20E3}",
            "flags 🇫🇷🇩🇪 and a lone 🇫",
            "scotland 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
            "café and cafe\u{301}",
            "zero\u{200B}width",
        ];
        for s in samples {
            let shown = clean(s);
            assert_eq!(shown.width(), per_char(&shown), "{s:?} shows as {shown:?}");
            for cut in 1..shown.width() + 2 {
                let fitted = fit(s, cut);
                assert!(fitted.width() <= cut, "{s:?} cut to {cut}: {fitted:?}");
                assert_eq!(fitted.width(), per_char(&fitted), "{fitted:?}");
            }
        }
        assert_eq!(clean("family 👨\u{200D}👩\u{200D}👧"), "family 👨");
        assert_eq!(clean("flags 🇫🇷"), "flags 🇫🇷", "flags are kept");
        assert_eq!(clean("cafe\u{301}"), "cafe\u{301}", "accents are kept");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
        // Cut between clusters: never half a flag.
        assert_eq!(fit("🇫🇷🇩🇪🇮🇹", 5), "🇫🇷🇩🇪…");
    }
}
