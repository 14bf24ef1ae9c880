//! A card's description as Markdown, for the card's view: headings, paragraphs,
//! lists and task lists, code, quotes and links become lines of plain text with
//! runs of inline style (strong, emphasis, code, a link's text), parsed by
//! pulldown-cmark. Nothing of the text reaches the terminal as a control
//! character: each is shown as a visible mark instead, so a description cannot
//! carry an escape sequence onto the screen.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// What a line of the description is, for its style as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Heading,
    Text,
    /// A line of a code block.
    Code,
}

/// A style over part of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inline {
    Strong,
    Emphasis,
    Code,
    Link,
}

/// `style` over the bytes `start..end` of a line's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: usize,
    pub end: usize,
    pub style: Inline,
}

/// A line to show, before wrapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub block: Block,
    pub text: String,
    pub runs: Vec<Run>,
}

/// The lines of `source`, rendered.
pub fn render(source: &str) -> Vec<Line> {
    let mut r = Renderer::default();
    let options = Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(source, options) {
        r.event(event);
    }
    r.flush();
    while r.out.last().is_some_and(|l| l.text.is_empty()) {
        r.out.pop();
    }
    r.out
}

#[derive(Default)]
struct Renderer {
    out: Vec<Line>,
    /// The line being made.
    line: String,
    runs: Vec<Run>,
    block: Option<Block>,
    /// Inline styles open, with where each began.
    open: Vec<(Inline, usize)>,
    /// What each line of the block starts with (quotes, list indents).
    prefix: String,
    /// Open lists: the next number of an ordered one.
    lists: Vec<Option<u64>>,
    /// A link's destination, said after its text.
    link: Option<String>,
    in_code: bool,
}

impl Renderer {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) if self.in_code => {
                for (i, line) in text.split('\n').enumerate() {
                    if i > 0 {
                        self.flush();
                    }
                    if !line.is_empty() || i == 0 {
                        self.begin(Block::Code);
                        self.push(&format!("  {line}"));
                    }
                }
            }
            Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => self.text(&text),
            Event::Code(code) => {
                let start = self.text_start();
                self.push(&code);
                self.runs.push(Run { start, end: self.line.len(), style: Inline::Code });
            }
            // A card's text is written line by line: its lines stay lines, as
            // chat and issue trackers show them.
            Event::SoftBreak => self.flush(),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.flush();
                self.begin(Block::Text);
                self.push("────────");
                self.flush();
            }
            Event::TaskListMarker(done) => {
                // The list item's bullet becomes the box.
                if self.line.ends_with("• ") {
                    self.line.truncate(self.line.len() - "• ".len());
                }
                self.push(if done { "☑ " } else { "☐ " });
            }
            Event::FootnoteReference(name) => self.text(&format!("[{name}]")),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { .. } => {
                self.blank();
                self.begin(Block::Heading);
            }
            // In a list the item has begun the line already.
            Tag::Paragraph if self.lists.is_empty() => self.blank(),
            Tag::BlockQuote(_) => {
                self.blank();
                self.prefix.push_str("│ ");
            }
            Tag::CodeBlock(kind) => {
                self.blank();
                self.in_code = true;
                if let CodeBlockKind::Fenced(lang) = kind
                    && !lang.is_empty()
                {
                    self.begin(Block::Code);
                    self.push(&format!("  ({lang})"));
                    self.flush();
                }
            }
            Tag::List(first) => {
                self.flush();
                if self.lists.is_empty() {
                    self.blank();
                }
                self.lists.push(first);
            }
            Tag::Item => {
                self.flush();
                let depth = self.lists.len().saturating_sub(1);
                let bullet = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "• ".to_string(),
                };
                self.begin(Block::Text);
                self.push(&format!("{}{bullet}", "  ".repeat(depth)));
            }
            Tag::Emphasis => self.open(Inline::Emphasis),
            Tag::Strong => self.open(Inline::Strong),
            Tag::Strikethrough => {}
            Tag::Link { dest_url, .. } => {
                self.link = Some(dest_url.to_string());
                self.open(Inline::Link);
            }
            Tag::Image { dest_url, .. } => {
                self.link = Some(dest_url.to_string());
                self.text("image: ");
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) | TagEnd::Paragraph => self.flush(),
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.prefix.truncate(self.prefix.len().saturating_sub("│ ".len()));
            }
            TagEnd::CodeBlock => {
                self.flush();
                self.in_code = false;
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
            }
            TagEnd::Item => self.flush(),
            TagEnd::Emphasis => self.close(Inline::Emphasis),
            TagEnd::Strong => self.close(Inline::Strong),
            TagEnd::Link => {
                self.close(Inline::Link);
                if let Some(url) = self.link.take() {
                    self.push(&format!(" <{url}>"));
                }
            }
            TagEnd::Image => {
                if let Some(url) = self.link.take() {
                    self.push(&format!(" <{url}>"));
                }
            }
            _ => {}
        }
    }

    /// Starts a line of `block` where none is under way.
    fn begin(&mut self, block: Block) {
        if self.block.is_none() {
            self.block = Some(block);
            self.line = self.prefix.clone();
        }
    }

    fn text(&mut self, text: &str) {
        self.begin(Block::Text);
        self.push(text);
    }

    /// Where text added now starts (a line begun if need be).
    fn text_start(&mut self) -> usize {
        self.begin(Block::Text);
        self.line.len()
    }

    /// Adds `text`, each control character as a visible mark.
    fn push(&mut self, text: &str) {
        self.line.extend(text.chars().map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '�',
            c => c,
        }));
    }

    fn open(&mut self, style: Inline) {
        let start = self.text_start();
        self.open.push((style, start));
    }

    fn close(&mut self, style: Inline) {
        if let Some(i) = self.open.iter().rposition(|(s, _)| *s == style) {
            let (_, start) = self.open.remove(i);
            if start < self.line.len() {
                self.runs.push(Run { start, end: self.line.len(), style });
            }
        }
    }

    /// Ends the line under way, if any. Styles still open go on in the next.
    fn flush(&mut self) {
        let Some(block) = self.block.take() else { return };
        let end = self.line.len();
        for (style, start) in &mut self.open {
            if *start < end {
                self.runs.push(Run { start: *start, end, style: *style });
            }
            *start = self.prefix.len();
        }
        let mut runs = std::mem::take(&mut self.runs);
        runs.sort_by_key(|r| r.start);
        self.out.push(Line { block, text: std::mem::take(&mut self.line), runs });
    }

    /// A blank line between blocks (not at the start, not twice).
    fn blank(&mut self) {
        self.flush();
        if self.out.last().is_some_and(|l| !l.text.is_empty()) {
            self.out.push(Line {
                block: Block::Text,
                text: self.prefix.trim_end().to_string(),
                runs: Vec::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<String> {
        render(source).into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn blocks_become_lines() {
        let source = "## Plan\n\nFirst *this*, then **that**.\n\n- [ ] write tests\n- [x] fix login\n- plain\n\n1. one\n2. two\n\n> quoted\n\n```rust\nlet x = 1;\n```\n\nSee [the docs](https://example.org) and `cargo test`.";
        assert_eq!(
            texts(source),
            [
                "Plan",
                "",
                "First this, then that.",
                "",
                "☐ write tests",
                "☑ fix login",
                "• plain",
                "",
                "1. one",
                "2. two",
                "",
                "│ quoted",
                "",
                "  (rust)",
                "  let x = 1;",
                "",
                "See the docs <https://example.org> and cargo test.",
            ]
        );
        let lines = render(source);
        assert_eq!(lines[0].block, Block::Heading);
        assert_eq!(lines[14].block, Block::Code);
        fn styled(line: &Line) -> Vec<(&str, Inline)> {
            line.runs.iter().map(|r| (&line.text[r.start..r.end], r.style)).collect()
        }
        assert_eq!(styled(&lines[2]), [("this", Inline::Emphasis), ("that", Inline::Strong)]);
        assert_eq!(styled(&lines[16]), [("the docs", Inline::Link), ("cargo test", Inline::Code)]);
    }

    #[test]
    fn control_characters_never_reach_the_screen() {
        let hostile = "Title \u{1b}]52;c;ZXZpbA==\u{7} and \u{1b}[2J *done*\u{9b}31m";
        for line in render(hostile) {
            assert!(!line.text.chars().any(char::is_control), "{:?}", line.text);
        }
        assert_eq!(texts("a\u{1b}[31mred"), ["a�[31mred"]);
    }

    #[test]
    fn nested_lists_indent_and_plain_text_stays_as_written() {
        assert_eq!(texts("- a\n  - b\n- c"), ["• a", "  • b", "• c"]);
        assert_eq!(texts("just words\non two lines"), ["just words", "on two lines"]);
        assert!(texts("").is_empty());
    }
}
