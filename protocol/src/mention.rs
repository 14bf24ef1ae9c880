//! `@name` in a comment or a description: where each mention is in the text, so
//! that the server notifies the members named and every front end draws them
//! alike. Whether a name is a member's is the caller's to say: a name that is not
//! stays text.

use std::ops::Range;

/// One `@name` in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention<'a> {
    /// Where it is, `@` included, in bytes.
    pub span: Range<usize>,
    /// The name after the `@`.
    pub name: &'a str,
}

/// Characters a name is made of (as user names are: letters, digits, `_ - .`).
fn in_name(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Every `@name` in `text`, in order. An `@` inside a word (`ann@example.org`)
/// is not one, and a name ends before the dots that end a sentence.
pub fn mentions(text: &str) -> Vec<Mention<'_>> {
    let mut found = Vec::new();
    let mut before: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let starts = c == '@' && !before.is_some_and(|b| in_name(b) || b == '@');
        before = Some(c);
        if !starts {
            continue;
        }
        let from = at + 1;
        let mut to = from;
        while let Some(&(i, n)) = chars.peek() {
            if !in_name(n) {
                break;
            }
            to = i + n.len_utf8();
            before = Some(n);
            chars.next();
        }
        let name = text[from..to].trim_end_matches('.');
        if !name.is_empty() {
            found.push(Mention { span: at..from + name.len(), name });
        }
    }
    found
}

/// The names mentioned in `text` that `known` takes (case aside), each once, as
/// `known` answers them.
pub fn mentioned<T: Clone + PartialEq>(text: &str, known: impl Fn(&str) -> Option<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for m in mentions(text) {
        if let Some(who) = known(m.name)
            && !out.contains(&who)
        {
            out.push(who);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        mentions(text).into_iter().map(|m| m.name).collect()
    }

    #[test]
    fn mentions_are_found_where_a_person_writes_them() {
        assert_eq!(names("@bob can you reproduce this?"), ["bob"]);
        assert_eq!(names("ask @bob.smith, or @ann."), ["bob.smith", "ann"]);
        assert_eq!(names("(@zoë) and @x_1-2"), ["zoë", "x_1-2"]);
        assert_eq!(names("mail ann@example.org or @@bob or @ alone or @..."), Vec::<&str>::new());
        let m = &mentions("hi @bob!")[0];
        assert_eq!((m.span.clone(), m.name), (3..7, "bob"));
    }

    #[test]
    fn only_known_names_count_each_once() {
        let known = |n: &str| ["ann", "bob"].iter().position(|k| k.eq_ignore_ascii_case(n));
        assert_eq!(mentioned("@Bob @bob @carol @ann", known), [1, 0]);
    }
}
