//! The checks of field values that need no database: lengths, one-line texts,
//! dates of the calendar, colors, WIP limits. Each answers the stored form of the
//! value, or which field is at fault and why. The server applies them to every
//! change; the terminal client applies the same ones before it sends a form, so a
//! mistake is shown beside its field at once.

use crate::color;

/// A field of a card or a column, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldName {
    Title,
    Description,
    Labels,
    DueDate,
    /// A column's name.
    ColumnName,
    Color,
    WipLimit,
    /// A comment's text.
    Body,
    /// A checklist item's text.
    Text,
}

/// A value that cannot be stored, and the field it was given for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub field: FieldName,
    pub message: String,
}

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 20_000;
pub const MAX_LABELS: usize = 20;
pub const MAX_LABEL: usize = 40;
pub const MAX_STATUS_NAME: usize = 60;
pub const MAX_WIP_LIMIT: u32 = 10_000;

fn invalid(field: FieldName, message: impl Into<String>) -> Invalid {
    Invalid { field, message: message.into() }
}

fn no_control(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// A title: trimmed, 1 to 200 characters, one line.
pub fn check_title(title: &str) -> Result<String, Invalid> {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > MAX_TITLE || !no_control(t) {
        return Err(invalid(
            FieldName::Title,
            format!("title must be 1 to {MAX_TITLE} characters on one line"),
        ));
    }
    Ok(t.to_string())
}

/// A description: up to 20,000 characters, lines and tabs but no other control
/// characters (an escape sequence is for a terminal to obey, not for a board to
/// keep: every renderer would have to strip it).
pub fn check_description(d: &str) -> Result<(), Invalid> {
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(invalid(
            FieldName::Description,
            format!("description is longer than {MAX_DESCRIPTION} characters"),
        ));
    }
    if let Some(c) = d.chars().find(|c| c.is_control() && *c != '\n' && *c != '\t') {
        return Err(invalid(
            FieldName::Description,
            format!("a description is text: lines and tabs, but no control character ({:?})", c),
        ));
    }
    Ok(())
}

/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 10_000;

/// A comment: trimmed, not empty, lines and tabs but no other control characters.
pub fn check_comment(body: &str) -> Result<String, Invalid> {
    let b = body.trim();
    let printable = b.chars().all(|c| !c.is_control() || c == '\n' || c == '\t');
    if b.is_empty() || b.chars().count() > MAX_COMMENT || !printable {
        return Err(invalid(FieldName::Body, format!("a comment is 1 to {MAX_COMMENT} characters of text")));
    }
    Ok(b.to_string())
}

/// The longest checklist item, in characters.
pub const MAX_ITEM: usize = 500;
/// The most items a card's checklist holds.
pub const MAX_ITEMS: usize = 500;

/// A checklist item's text: trimmed, 1 to 500 characters, one line.
pub fn check_item(text: &str) -> Result<String, Invalid> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > MAX_ITEM || !no_control(t) {
        return Err(invalid(FieldName::Text, format!("an item is 1 to {MAX_ITEM} characters on one line")));
    }
    Ok(t.to_string())
}

/// Labels: trimmed, non-empty, one line each, no duplicates.
pub fn check_labels(labels: &[String]) -> Result<Vec<String>, Invalid> {
    if labels.len() > MAX_LABELS {
        return Err(invalid(FieldName::Labels, format!("at most {MAX_LABELS} labels")));
    }
    let mut out: Vec<String> = Vec::with_capacity(labels.len());
    for l in labels {
        let l = l.trim();
        if l.is_empty() || l.chars().count() > MAX_LABEL || !no_control(l) {
            return Err(invalid(
                FieldName::Labels,
                format!("a label is 1 to {MAX_LABEL} characters on one line"),
            ));
        }
        if !out.iter().any(|o| o == l) {
            out.push(l.to_string());
        }
    }
    Ok(out)
}

/// A due date: `YYYY-MM-DD`, a real day of the calendar.
pub fn check_due_date(d: &str) -> Result<(), Invalid> {
    let bad = || invalid(FieldName::DueDate, format!("due_date {d:?} is not a date of the form YYYY-MM-DD"));
    let b = d.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| {
        d.get(r).filter(|s| s.bytes().all(|c| c.is_ascii_digit())).and_then(|s| s.parse::<u32>().ok())
    };
    let (Some(y), Some(m), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return Err(bad());
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if day == 0 || day > days {
        return Err(bad());
    }
    Ok(())
}

/// A column name: trimmed, 1 to 60 characters, one line.
pub fn check_status_name(name: &str) -> Result<String, Invalid> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > MAX_STATUS_NAME || !no_control(n) {
        return Err(invalid(
            FieldName::ColumnName,
            format!("a column name is 1 to {MAX_STATUS_NAME} characters on one line"),
        ));
    }
    Ok(n.to_string())
}

pub fn check_color(c: &str) -> Result<String, Invalid> {
    color::parse(c).map_err(|e| invalid(FieldName::Color, e.to_string()))
}

pub fn check_wip_limit(w: u32) -> Result<(), Invalid> {
    if w == 0 || w > MAX_WIP_LIMIT {
        return Err(invalid(FieldName::WipLimit, format!("wip_limit must be 1 to {MAX_WIP_LIMIT}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(check_title("  Fix it ").unwrap(), "Fix it");
        assert!(check_title("   ").is_err());
        assert!(check_title("a\nb").is_err());
        assert!(check_title(&"é".repeat(200)).is_ok());
        assert!(check_title(&"é".repeat(201)).is_err());
        assert_eq!(check_labels(&["a".into(), " a ".into(), "b".into()]).unwrap(), vec!["a", "b"]);
        assert!(check_labels(&["".into()]).is_err());
        for ok in ["2026-11-26", "2024-02-29", "2000-02-29"] {
            assert!(check_due_date(ok).is_ok(), "{ok}");
        }
        for bad in
            ["2026-13-01", "2023-02-29", "1900-02-29", "2026-1-01", "tomorrow", "2026-11-00", "+026-11-01"]
        {
            assert!(check_due_date(bad).is_err(), "{bad}");
        }
        assert!(check_wip_limit(0).is_err() && check_wip_limit(5).is_ok());
    }

    #[test]
    fn a_description_is_text_without_escapes() {
        assert!(check_description("## Plan\n- step one\n\tindented").is_ok());
        for bad in ["red \u{1b}[31mtext", "a\u{9b}31m", "bell\u{7}", "cr\r\nlf", "nul\u{0}"] {
            let err = check_description(bad).unwrap_err();
            assert_eq!(err.field, FieldName::Description, "{bad:?}");
            assert!(err.message.contains("no control character"), "{bad:?}: {}", err.message);
        }
    }
}
