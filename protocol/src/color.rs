//! User colors: `#rrggbb` strings, a default picked from the name, and names for the
//! palette so that people can say `--color teal`.

/// Distinct colors that read well on dark and light terminals.
pub const PALETTE: &[(&str, &str)] = &[
    ("red", "#e06c75"),
    ("green", "#98c379"),
    ("yellow", "#e5c07b"),
    ("blue", "#61afef"),
    ("magenta", "#c678dd"),
    ("cyan", "#56b6c2"),
    ("orange", "#d19a66"),
    ("pink", "#ff79c6"),
    ("teal", "#2ec4b6"),
    ("lime", "#b5e853"),
    ("violet", "#a29bfe"),
    ("gold", "#ffb86c"),
];

/// The default color of a user: stable for a name (FNV-1a, not the std hasher,
/// whose output may change between Rust releases).
pub fn for_name(name: &str) -> &'static str {
    let mut h: u32 = 0x811c9dc5;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x01000193);
    }
    PALETTE[h as usize % PALETTE.len()].1
}

/// A default color for a new user: the palette color fewest others have, and among
/// those the one whose hue is farthest from the hues others have (so that the
/// first users are spread around the wheel, not two greens); among equals, the
/// name decides.
pub fn pick(name: &str, taken: &[String]) -> &'static str {
    let start = PALETTE.iter().position(|(_, hex)| *hex == for_name(name)).unwrap_or(0);
    let hues: Vec<u32> = taken.iter().filter_map(|t| hue(t)).collect();
    // The nearest taken hue, in degrees (360 when nothing is taken).
    let room = |hex: &str| {
        let h = hue(hex).unwrap_or(0);
        hues.iter().map(|t| h.abs_diff(*t).min(360 - h.abs_diff(*t))).min().unwrap_or(360)
    };
    (0..PALETTE.len())
        .map(|i| PALETTE[(start + i) % PALETTE.len()].1)
        .min_by_key(|hex| (taken.iter().filter(|t| t.as_str() == *hex).count(), std::cmp::Reverse(room(hex))))
        .expect("the palette is not empty")
}

/// The hue of a `#rrggbb` color, in whole degrees.
pub fn hue(color: &str) -> Option<u32> {
    let (r, g, b) = rgb(color)?;
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let chroma = max - min;
    if chroma == 0 {
        return Some(0);
    }
    let h = if max == r {
        60 * (g - b) / chroma
    } else if max == g {
        60 * (b - r) / chroma + 120
    } else {
        60 * (r - g) / chroma + 240
    };
    Some(h.rem_euclid(360) as u32)
}

/// A color that is neither `#rrggbb` nor a palette name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColorError(pub String);

impl std::fmt::Display for ColorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = PALETTE.iter().map(|(n, _)| *n).collect();
        write!(f, "color {:?} is neither #rrggbb nor one of {}", self.0, names.join(", "))
    }
}

impl std::error::Error for ColorError {}

/// Accepts `#rrggbb`, `rrggbb` or a palette name; answers `#rrggbb` in lower case.
pub fn parse(input: &str) -> Result<String, ColorError> {
    let s = input.trim().to_ascii_lowercase();
    if let Some((_, hex)) = PALETTE.iter().find(|(name, _)| *name == s) {
        return Ok(hex.to_string());
    }
    let digits = s.strip_prefix('#').unwrap_or(&s);
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(format!("#{digits}"));
    }
    Err(ColorError(input.to_string()))
}

/// The red, green and blue of a `#rrggbb` color.
pub fn rgb(color: &str) -> Option<(u8, u8, u8)> {
    let d = color.strip_prefix('#')?;
    if d.len() != 6 {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(d.get(i..i + 2)?, 16).ok();
    Some((byte(0)?, byte(2)?, byte(4)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors() {
        assert_eq!(for_name("ann"), for_name("ann"));
        assert_eq!(parse("Teal").unwrap(), "#2ec4b6");
        assert_eq!(parse("#AABBCC").unwrap(), "#aabbcc");
        assert_eq!(parse("aabbcc").unwrap(), "#aabbcc");
        assert!(parse("#abc").is_err() && parse("chartreuse").is_err());
        assert_eq!(rgb("#ff0080"), Some((255, 0, 128)));
        assert_eq!(rgb("ff0080"), None);
        let mut taken: Vec<String> = Vec::new();
        for i in 0..PALETTE.len() {
            taken.push(pick(&format!("user{i}"), &taken).to_string());
        }
        taken.sort();
        taken.dedup();
        assert_eq!(taken.len(), PALETTE.len(), "the first twelve users get twelve colors");
        assert_eq!(pick("ann", &[]), for_name("ann"));
        assert_eq!(hue("#ff0000"), Some(0));
        assert_eq!(hue("#00ff00"), Some(120));
        assert_eq!(hue("#0000ff"), Some(240));
    }

    #[test]
    fn the_first_users_are_spread_around_the_wheel() {
        for first in ["ann", "bob", "cy", "dee", "eve"] {
            let mut taken = vec![pick(first, &[]).to_string()];
            for name in ["second", "third", "fourth"] {
                taken.push(pick(name, &taken).to_string());
            }
            let hues: Vec<u32> = taken.iter().map(|t| hue(t).unwrap()).collect();
            for (i, a) in hues.iter().enumerate() {
                for b in &hues[i + 1..] {
                    let d = a.abs_diff(*b).min(360 - a.abs_diff(*b));
                    assert!(d >= 40, "{taken:?}: hues {hues:?} too close");
                }
            }
        }
    }
}
