//! Colors as the terminal can show them, and people kept apart on screen. The
//! depth (24-bit, 256 or 16 colors, or none) comes from `--color` or from the
//! environment (`NO_COLOR`, `COLORTERM`, `TERM`); every color is drawn at that
//! depth, never as a 24-bit sequence a terminal would garble. People present get a
//! color and a marker label each that no one else present has: a color too close to
//! another's (bob's lime and cy's green; two users that map to the same of 16
//! colors) gives way to the free hue farthest from the others, and initials that
//! clash grow a second letter, so markers tell people apart in every depth, with
//! no color at all too.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use std::str::FromStr;

use anstyle::{Ansi256Color, AnsiColor, RgbColor};
use anstyle_lossy::palette::VGA;
use kanban_protocol::color;
use kanban_protocol::model::UserInfo;
use ratatui::style::Color;
use unicode_segmentation::UnicodeSegmentation;

use super::text::clean;

/// How many colors the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    TrueColor,
    Ansi256,
    Ansi16,
    /// No color: distinctions show through bold, reverse and glyphs.
    None,
}

/// `--color`: a depth, or `auto` to read it from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Fixed(Depth),
}

impl FromStr for ColorChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "auto" => ColorChoice::Auto,
            "truecolor" | "24bit" => ColorChoice::Fixed(Depth::TrueColor),
            "256" => ColorChoice::Fixed(Depth::Ansi256),
            "16" => ColorChoice::Fixed(Depth::Ansi16),
            "never" | "none" => ColorChoice::Fixed(Depth::None),
            _ => return Err(format!("{s:?} is not one of auto, truecolor, 256, 16, never")),
        })
    }
}

impl ColorChoice {
    /// The depth to draw at; `var` reads the environment. An explicit choice wins
    /// over `NO_COLOR`, which only `auto` honours (as no-color.org asks).
    pub fn depth(self, var: impl Fn(&str) -> Option<String>) -> Depth {
        let ColorChoice::Fixed(depth) = self else {
            if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                return Depth::None;
            }
            let colorterm = var("COLORTERM").unwrap_or_default().to_ascii_lowercase();
            if colorterm == "truecolor" || colorterm == "24bit" {
                return Depth::TrueColor;
            }
            let term = var("TERM").unwrap_or_default().to_ascii_lowercase();
            return if term.is_empty() || term == "dumb" {
                Depth::None
            } else if term.ends_with("-direct") {
                Depth::TrueColor
            } else if term.contains("256col") {
                Depth::Ansi256
            } else {
                Depth::Ansi16
            };
        };
        depth
    }
}

impl Depth {
    /// An sRGB color as this terminal shows it; `None` without color.
    pub fn paint(self, (r, g, b): (u8, u8, u8)) -> Option<Color> {
        match self {
            Depth::TrueColor => Some(Color::Rgb(r, g, b)),
            Depth::Ansi256 => Some(Color::Indexed(anstyle_lossy::rgb_to_xterm(RgbColor(r, g, b)).0)),
            Depth::Ansi16 => Some(ansi(anstyle_lossy::rgb_to_ansi(RgbColor(r, g, b), VGA))),
            Depth::None => None,
        }
    }

    /// A `#rrggbb` color as this terminal shows it.
    pub fn hex(self, hex: &str) -> Option<Color> {
        self.paint(color::rgb(hex)?)
    }
}

/// The sixteen colors by their ANSI names.
fn ansi(c: AnsiColor) -> Color {
    match c {
        AnsiColor::Black => Color::Black,
        AnsiColor::Red => Color::Red,
        AnsiColor::Green => Color::Green,
        AnsiColor::Yellow => Color::Yellow,
        AnsiColor::Blue => Color::Blue,
        AnsiColor::Magenta => Color::Magenta,
        AnsiColor::Cyan => Color::Cyan,
        AnsiColor::White => Color::Gray,
        AnsiColor::BrightBlack => Color::DarkGray,
        AnsiColor::BrightRed => Color::LightRed,
        AnsiColor::BrightGreen => Color::LightGreen,
        AnsiColor::BrightYellow => Color::LightYellow,
        AnsiColor::BrightBlue => Color::LightBlue,
        AnsiColor::BrightMagenta => Color::LightMagenta,
        AnsiColor::BrightCyan => Color::LightCyan,
        AnsiColor::BrightWhite => Color::White,
    }
}

/// The chromatic sixteen-color choices, in the order they are handed out when
/// people's own colors clash: the six hues first, then their bright forms.
const ANSI_WHEEL: [Color; 12] = [
    Color::Red,
    Color::Green,
    Color::Blue,
    Color::Yellow,
    Color::Magenta,
    Color::Cyan,
    Color::LightRed,
    Color::LightGreen,
    Color::LightBlue,
    Color::LightYellow,
    Color::LightMagenta,
    Color::LightCyan,
];

/// What a drawn color is, roughly, in sRGB (the sixteen as VGA has them).
fn rgb_of(c: Color) -> (u8, u8, u8) {
    let named = |a: AnsiColor| {
        let RgbColor(r, g, b) = anstyle_lossy::ansi_to_rgb(a, VGA);
        (r, g, b)
    };
    match c {
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => {
            let RgbColor(r, g, b) = anstyle_lossy::xterm_to_rgb(Ansi256Color(i), VGA);
            (r, g, b)
        }
        Color::Red => named(AnsiColor::Red),
        Color::Green => named(AnsiColor::Green),
        Color::Yellow => named(AnsiColor::Yellow),
        Color::Blue => named(AnsiColor::Blue),
        Color::Magenta => named(AnsiColor::Magenta),
        Color::Cyan => named(AnsiColor::Cyan),
        Color::LightRed => named(AnsiColor::BrightRed),
        Color::LightGreen => named(AnsiColor::BrightGreen),
        Color::LightYellow => named(AnsiColor::BrightYellow),
        Color::LightBlue => named(AnsiColor::BrightBlue),
        Color::LightMagenta => named(AnsiColor::BrightMagenta),
        Color::LightCyan => named(AnsiColor::BrightCyan),
        Color::Black => (0, 0, 0),
        Color::DarkGray => (85, 85, 85),
        Color::Gray => (170, 170, 170),
        Color::White | Color::Reset => (255, 255, 255),
    }
}

/// Hue in degrees, saturation and lightness (0 to 1) of an sRGB color.
fn hsl((r, g, b): (u8, u8, u8)) -> (f32, f32, f32) {
    let [r, g, b] = [r, g, b].map(|c| f32::from(c) / 255.0);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let light = (max + min) / 2.0;
    let chroma = max - min;
    if chroma < f32::EPSILON {
        return (0.0, 0.0, light);
    }
    let sat = chroma / (1.0 - (2.0 * light - 1.0).abs());
    let hue = if max == r {
        60.0 * ((g - b) / chroma).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / chroma + 2.0)
    } else {
        60.0 * ((r - g) / chroma + 4.0)
    };
    (hue, sat, light)
}

/// An sRGB color of hue `h` (degrees), saturation 0.65, lightness 0.62: the
/// brightness of the user palette.
fn from_hue(h: f32) -> (u8, u8, u8) {
    let (s, l) = (0.65_f32, 0.62_f32);
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0).rem_euclid(2.0) - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match (h.rem_euclid(360.0) / 60.0) as u8 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let byte = |v: f32| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    (byte(r), byte(g), byte(b))
}

fn hue_distance(a: f32, b: f32) -> f32 {
    let d = (a - b).abs() % 360.0;
    d.min(360.0 - d)
}

/// How far apart two drawn colors look: 0 for the same, up to 180 for opposite
/// hues. Greys count by lightness.
fn apart(a: Color, b: Color) -> f32 {
    if a == b {
        return 0.0;
    }
    let ((ha, sa, la), (hb, sb, lb)) = (hsl(rgb_of(a)), hsl(rgb_of(b)));
    match (sa > 0.2, sb > 0.2) {
        (true, true) => hue_distance(ha, hb) + 40.0 * (la - lb).abs(),
        (false, false) => 180.0 * (la - lb).abs(),
        _ => 90.0,
    }
}

/// Two people's colors closer than this look alike.
const ALIKE: f32 = 28.0;

/// Past this many people, colors are kept as they are (the presence bar names
/// everyone anyway): telling a crowd apart by hue is not possible.
const KEPT_APART: usize = 24;

/// The looks of the people present, by presence id.
pub type Looks = HashMap<String, Look>;

/// How one person present is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    pub color: Option<Color>,
    /// The marker's text: an initial, or two letters where initials clash.
    pub label: String,
}

/// A person's own color at `depth`. On sixteen colors it is the nearest of the
/// chromatic twelve by hue (the nearest of all sixteen would make a soft green
/// grey, and a grey is no one's color).
fn person(depth: Depth, hex: &str) -> Option<Color> {
    let rgb = color::rgb(hex)?;
    match depth {
        Depth::Ansi16 => ANSI_WHEEL.iter().copied().min_by(|a, b| {
            let own = Color::Rgb(rgb.0, rgb.1, rgb.2);
            apart(own, *a).total_cmp(&apart(own, *b))
        }),
        _ => depth.paint(rgb),
    }
}

/// Looks worked out lately on this thread, by who was present and the depth.
struct Memo {
    key: (Depth, Vec<(String, UserInfo)>),
    looks: Rc<Looks>,
}

/// How many sets of people [`looks_of`] keeps per thread: every SSH session a
/// server thread draws, and then some.
const MEMO: usize = 256;

thread_local! {
    static MEMOS: RefCell<HashMap<u64, Memo>> = RefCell::new(HashMap::new());
}

/// [`looks`], worked out once for each set of people present and depth, not on
/// every frame: with a hundred people present that is milliseconds a frame (every
/// label compared with every other), and a server drawing a hundred SSH sessions
/// would spend them on each cursor move. Kept by what it is made of, so the
/// sessions a thread draws share what they have alike and nothing else.
pub fn looks_of(members: &[(String, UserInfo)], depth: Depth) -> Rc<Looks> {
    let mut hasher = std::hash::DefaultHasher::new();
    (depth as u8, members).hash(&mut hasher);
    let hash = hasher.finish();
    let found = MEMOS.with_borrow(|memos| {
        memos.get(&hash).filter(|m| m.key.0 == depth && m.key.1 == members).map(|m| Rc::clone(&m.looks))
    });
    found.unwrap_or_else(|| {
        let made = Rc::new(looks(members, depth));
        MEMOS.with_borrow_mut(|memos| {
            if memos.len() >= MEMO {
                // Rarely full: what a thread draws changes slowly. Start afresh.
                memos.clear();
            }
            memos.insert(hash, Memo { key: (depth, members.to_vec()), looks: Rc::clone(&made) });
        });
        made
    })
}

/// The looks of the people present, by presence id: colors apart from each
/// other's, labels unique. The first to arrive keep their own colors.
pub fn looks(members: &[(String, UserInfo)], depth: Depth) -> Looks {
    let labels = labels(members);
    let wheel: Vec<Color> = match depth {
        Depth::Ansi16 => ANSI_WHEEL.to_vec(),
        _ => (0..12).filter_map(|i| depth.paint(from_hue(i as f32 * 30.0))).collect(),
    };
    let mut taken: Vec<Color> = Vec::new();
    let mut out = HashMap::with_capacity(members.len());
    for (i, (id, info)) in members.iter().enumerate() {
        let own = person(depth, &info.color);
        let color = match own {
            Some(own) if i < KEPT_APART && taken.iter().any(|t| apart(own, *t) < ALIKE) => {
                // The free color farthest from everyone else's; none free: its own.
                let farthest = wheel
                    .iter()
                    .map(|w| (*w, taken.iter().map(|t| apart(*w, *t)).fold(f32::MAX, f32::min)))
                    .filter(|(_, d)| *d >= ALIKE)
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                Some(farthest.map_or(own, |(w, _)| w))
            }
            other => other,
        };
        if let Some(c) = color {
            taken.push(c);
        }
        out.insert(id.clone(), Look { color, label: labels[i].clone() });
    }
    out
}

/// Marker labels, one per member in order: the initial, unless someone else
/// present has it too; then the first two letters, the first and last, or the
/// initial and a number, whichever is first to be unique.
fn labels(members: &[(String, UserInfo)]) -> Vec<String> {
    let letters: Vec<Vec<String>> = members
        .iter()
        .map(|(_, info)| {
            let name = clean(&info.name);
            let g: Vec<String> =
                name.graphemes(true).filter(|g| !g.trim().is_empty()).map(str::to_string).collect();
            if g.is_empty() { vec!["?".to_string()] } else { g }
        })
        .collect();
    let first = |l: &[String]| l[0].to_uppercase();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for l in &letters {
        *counts.entry(first(l)).or_default() += 1;
    }
    let mut out = Vec::with_capacity(members.len());
    for l in &letters {
        let one = first(l);
        if counts[&one] == 1 {
            out.push(one);
            continue;
        }
        let clashing: Vec<&Vec<String>> = letters.iter().filter(|o| first(o) == one).collect();
        let unique = |f: &dyn Fn(&[String]) -> String| {
            let mine = f(l);
            (clashing.iter().filter(|o| f(o) == mine).count() == 1).then_some(mine)
        };
        let two =
            |l: &[String]| format!("{}{}", first(l), l.get(1).map_or(String::new(), |s| s.to_lowercase()));
        let ends =
            |l: &[String]| format!("{}{}", first(l), l.last().map_or(String::new(), |s| s.to_lowercase()));
        let label = unique(&two).or_else(|| unique(&ends)).unwrap_or_else(|| {
            let n = clashing.iter().position(|o| std::ptr::eq(*o, l)).unwrap_or(0) + 1;
            format!("{one}{n}")
        });
        out.push(label);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_depth_comes_from_the_flag_or_the_environment() {
        let auto = ColorChoice::Auto;
        assert_eq!(
            auto.depth(env(&[("TERM", "xterm-256color"), ("COLORTERM", "truecolor")])),
            Depth::TrueColor
        );
        assert_eq!(auto.depth(env(&[("TERM", "screen-256color")])), Depth::Ansi256);
        assert_eq!(auto.depth(env(&[("TERM", "tmux-256color")])), Depth::Ansi256);
        assert_eq!(auto.depth(env(&[("TERM", "linux")])), Depth::Ansi16);
        assert_eq!(auto.depth(env(&[("TERM", "xterm-direct")])), Depth::TrueColor);
        assert_eq!(auto.depth(env(&[("TERM", "dumb")])), Depth::None);
        assert_eq!(auto.depth(env(&[("TERM", "xterm-256color"), ("NO_COLOR", "1")])), Depth::None);
        assert_eq!(auto.depth(env(&[("TERM", "xterm-256color"), ("NO_COLOR", "")])), Depth::Ansi256);
        let forced: ColorChoice = "256".parse().unwrap();
        assert_eq!(forced.depth(env(&[("NO_COLOR", "1")])), Depth::Ansi256, "an explicit choice wins");
        assert!("rainbow".parse::<ColorChoice>().is_err());
    }

    #[test]
    fn colors_are_drawn_at_the_depth() {
        let lime = (0xb5, 0xe8, 0x53);
        assert_eq!(Depth::TrueColor.paint(lime), Some(Color::Rgb(0xb5, 0xe8, 0x53)));
        assert!(matches!(Depth::Ansi256.paint(lime), Some(Color::Indexed(i)) if i >= 16));
        assert!(matches!(
            Depth::Ansi16.paint(lime),
            Some(Color::LightGreen | Color::Green | Color::LightYellow)
        ));
        assert_eq!(Depth::None.paint(lime), None);
    }

    fn member(id: &str, name: &str, color: &str) -> (String, UserInfo) {
        (id.into(), UserInfo { name: name.into(), color: color.into() })
    }

    #[test]
    fn people_present_are_kept_apart_at_every_depth() {
        let people = [
            member("1", "ann", "#e06c75"),
            member("2", "bob", "#b5e853"),
            member("3", "cy", "#98c379"),
            member("4", "bea", "#61afef"),
        ];
        for depth in [Depth::TrueColor, Depth::Ansi256, Depth::Ansi16] {
            let looks = looks(&people, depth);
            assert_eq!(looks["1"].color, person(depth, "#e06c75"), "the first keep their own");
            assert_eq!(looks["2"].color, person(depth, "#b5e853"));
            let colors: Vec<Color> = people.iter().map(|(id, _)| looks[id].color.unwrap()).collect();
            if depth == Depth::Ansi16 {
                assert!(colors.iter().all(|c| ANSI_WHEEL.contains(c)), "no grey for a person: {colors:?}");
            }
            for (i, a) in colors.iter().enumerate() {
                for b in &colors[i + 1..] {
                    assert!(apart(*a, *b) >= ALIKE, "{depth:?}: {a:?} and {b:?} look alike");
                }
            }
        }
        let looks = looks(&people, Depth::None);
        let labels: Vec<&str> = ["1", "2", "3", "4"].iter().map(|id| looks[*id].label.as_str()).collect();
        assert_eq!(labels, ["A", "Bo", "C", "Be"]);
        assert!(looks.values().all(|l| l.color.is_none()));
    }

    #[test]
    fn labels_stay_unique() {
        let people = [
            member("1", "bob", "#e06c75"),
            member("2", "bobby", "#e06c75"),
            member("3", "bo", "#e06c75"),
            member("4", "", "#e06c75"),
            member("5", "émile", "#e06c75"),
        ];
        let got = labels(&people);
        assert_eq!(got, ["Bb", "By", "Bo", "?", "É"]);
    }
}
