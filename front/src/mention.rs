//! `@name` as the front end shows and writes it: which mentions of a text are of
//! the board's members (drawn highlighted; any other `@word` stays text), and
//! Tab after `@prefix` completing a member's name where text is typed.

use std::ops::Range;

use kanban_protocol::mention::mentions;
use ratatui_textarea::TextArea;

/// The spans (bytes, `@` included) of the mentions in `text` that name one of
/// `names` (case aside).
pub fn member_spans(text: &str, names: &[&str]) -> Vec<Range<usize>> {
    mentions(text)
        .into_iter()
        .filter(|m| names.iter().any(|n| n.eq_ignore_ascii_case(m.name)))
        .map(|m| m.span)
        .collect()
}

/// Characters a name is made of (as [`kanban_protocol::mention`] reads them).
fn in_name(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// The `@prefix` that ends `before` (the text before the cursor), if it ends with
/// one: the prefix without its `@`.
fn typed_prefix(before: &str) -> Option<&str> {
    let start =
        before.char_indices().rev().take_while(|(_, c)| in_name(*c)).last().map_or(before.len(), |(i, _)| i);
    let at = before[..start].strip_suffix('@')?;
    // An `@` inside a word (an address) is not a mention.
    if at.chars().next_back().is_some_and(|c| in_name(c) || c == '@') {
        return None;
    }
    Some(&before[start..])
}

/// The name `prefix` completes to among `names`: the first, in order, that
/// starts with it (case aside) and is longer; `None` when none does.
pub fn completion<'a>(prefix: &str, names: &[&'a str]) -> Option<&'a str> {
    let lower = prefix.to_lowercase();
    let mut found: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.to_lowercase().starts_with(&lower) && n.len() > prefix.len())
        .collect();
    found.sort_unstable();
    found.first().copied()
}

/// Completes the `@prefix` right before the cursor of `area` to a member's name
/// (and a space after it): `true` when it did, `false` when the cursor is not
/// right after an `@word` that completes (the caller's Tab then does what it
/// does otherwise).
pub fn complete(area: &mut TextArea<'_>, names: &[&str]) -> bool {
    let (row, col) = (area.cursor().0, area.cursor().1);
    let Some(line) = area.lines().get(row) else { return false };
    let end = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
    // Only at the end of a word: Tab in the middle of one is not a completion.
    if line[end..].chars().next().is_some_and(in_name) {
        return false;
    }
    let Some(prefix) = typed_prefix(&line[..end]) else { return false };
    let Some(name) = completion(prefix, names) else { return false };
    let typed = prefix.chars().count();
    let name = name.to_string();
    for _ in 0..typed {
        area.delete_char();
    }
    area.insert_str(format!("{name} "));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["ann", "bob", "bobby"];

    #[test]
    fn only_members_are_highlighted() {
        let text = "@ann and @carol, ask @Bob. mail x@bob.org";
        let spans = member_spans(text, NAMES);
        let shown: Vec<&str> = spans.iter().map(|s| &text[s.clone()]).collect();
        assert_eq!(shown, ["@ann", "@Bob"]);
    }

    #[test]
    fn tab_after_an_at_prefix_completes_a_members_name() {
        let mut area = TextArea::from(["thanks @an"]);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        assert!(complete(&mut area, NAMES));
        assert_eq!(area.lines(), ["thanks @ann "]);

        let mut area = TextArea::from(["@B"]);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        assert!(complete(&mut area, NAMES), "case aside, the first in order");
        assert_eq!(area.lines(), ["@bob "]);

        for nothing in ["no mention", "mail x@an", "@zed", "@ann"] {
            let mut area = TextArea::from([nothing]);
            area.move_cursor(ratatui_textarea::CursorMove::End);
            assert!(!complete(&mut area, NAMES), "{nothing}");
            assert_eq!(area.lines(), [nothing]);
        }
    }

    #[test]
    fn a_full_name_completes_to_a_longer_one_only() {
        assert_eq!(completion("bob", NAMES), Some("bobby"));
        assert_eq!(completion("ann", NAMES), None);
        assert_eq!(completion("", NAMES), Some("ann"));
    }
}
