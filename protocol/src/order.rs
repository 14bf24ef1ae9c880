//! Fractional order keys: strings that sort cards and columns, where a key can
//! always be made between any two others. Moving an item rewrites its key alone, so
//! concurrent moves never renumber a column.
//!
//! Keys use the digits `0-9A-Za-z` (in ASCII order) and never end in `0`, so that
//! there is always room below a key as well as above it.

const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE: usize = DIGITS.len();

fn value(c: u8) -> Option<usize> {
    DIGITS.iter().position(|&d| d == c)
}

/// Whether `key` is a well-formed order key.
pub fn is_valid(key: &str) -> bool {
    !key.is_empty() && !key.ends_with('0') && key.bytes().all(|c| value(c).is_some())
}

/// A key strictly between `a` and `b` (`None`: the start or the end of the list).
/// Both must be valid keys with `a < b`; the answer is as short as the gap allows.
pub fn between(a: Option<&str>, b: Option<&str>) -> String {
    let a = a.filter(|a| !a.is_empty());
    debug_assert!(matches!((a, b), (Some(a), Some(b)) if a < b) || a.is_none() || b.is_none());
    let mut out = String::new();
    match (a, b) {
        (None, None) => out.push(DIGITS[BASE / 2] as char),
        // At the ends, step by one digit instead of halving: appending n cards
        // grows keys by one character per 61 cards, not per 6.
        (Some(a), None) => after(a.as_bytes(), &mut out),
        (None, Some(b)) => before(b.as_bytes(), &mut out),
        (Some(a), Some(b)) => midpoint(a.as_bytes(), Some(b.as_bytes()), &mut out),
    }
    out
}

fn after(a: &[u8], out: &mut String) {
    let d = value(a[0]).unwrap_or(0);
    if d < BASE - 1 {
        out.push(DIGITS[d + 1] as char);
    } else {
        out.push(DIGITS[d] as char);
        match a.len() {
            1 => out.push(DIGITS[BASE / 2] as char),
            _ => after(&a[1..], out),
        }
    }
}

fn before(b: &[u8], out: &mut String) {
    let d = value(b[0]).unwrap_or(0);
    match (d, b.len()) {
        (2.., _) => out.push(DIGITS[d - 1] as char),
        // "1" sorts below "1x" and is a valid key.
        (1, 2..) => out.push(DIGITS[1] as char),
        (1, _) => {
            out.push(DIGITS[0] as char);
            out.push(DIGITS[BASE / 2] as char);
        }
        // A key never ends in '0', so something follows this zero.
        (_, _) => {
            out.push(DIGITS[0] as char);
            before(&b[1..], out);
        }
    }
}

fn midpoint(a: &[u8], b: Option<&[u8]>, out: &mut String) {
    // Shared leading digits (with `a` padded by zeros) are kept as they are.
    if let Some(b) = b {
        let n = b.iter().enumerate().take_while(|&(i, &c)| a.get(i).copied().unwrap_or(b'0') == c).count();
        if n > 0 {
            out.push_str(std::str::from_utf8(&b[..n]).expect("ASCII"));
            let rest = if n < a.len() { &a[n..] } else { &[] };
            return midpoint(rest, Some(&b[n..]), out);
        }
    }
    let da = a.first().and_then(|&c| value(c)).unwrap_or(0);
    let db = b.and_then(|b| b.first()).and_then(|&c| value(c)).unwrap_or(BASE);
    if db - da > 1 {
        out.push(DIGITS[(da + db) / 2] as char);
    } else if let Some(b) = b.filter(|b| b.len() > 1) {
        // b's first digit alone sorts below b and above a.
        out.push(b[0] as char);
    } else {
        out.push(DIGITS[da] as char);
        midpoint(if a.is_empty() { a } else { &a[1..] }, None, out);
    }
}

/// The longest key a list keeps: a placement whose key would be longer re-spaces
/// its list with [`spread`] instead. Repeated inserts at one spot lengthen keys by
/// a character every few inserts, so without this they would grow without bound.
pub const LONGEST: usize = 32;

/// `n` increasing keys spread evenly over the whole range, all as short as the
/// count allows (three digits up to some 100,000 items), for a fresh list or a
/// re-spaced one.
pub fn spread(n: usize) -> Vec<String> {
    // The fewest digits that leave at least one free key between neighbours.
    let (mut width, mut room) = (1usize, BASE);
    while room <= 2 * (n + 1) {
        width += 1;
        room *= BASE;
    }
    (1..=n)
        .map(|i| {
            let mut value = i * room / (n + 1);
            let mut digits = vec![b'0'; width];
            for d in digits.iter_mut().rev() {
                *d = DIGITS[value % BASE];
                value /= BASE;
            }
            // Trailing zeros add nothing to a key's place, and keys never end in one.
            while digits.last() == Some(&b'0') {
                digits.pop();
            }
            String::from_utf8(digits).expect("ASCII digits")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: Option<&str>, b: Option<&str>) -> String {
        let k = between(a, b);
        assert!(is_valid(&k), "{k:?} invalid");
        if let Some(a) = a {
            assert!(a < k.as_str(), "{a:?} < {k:?}");
        }
        if let Some(b) = b {
            assert!(k.as_str() < b, "{k:?} < {b:?}");
        }
        k
    }

    #[test]
    fn simple_gaps() {
        assert_eq!(between(None, None), "V");
        check(Some("V"), None);
        check(None, Some("V"));
        check(Some("1"), Some("2"));
        check(Some("1"), Some("11"));
        check(Some("z"), None);
        check(Some("zzz"), None);
        check(None, Some("01"));
        check(None, Some("001"));
        check(Some("a"), Some("a1"));
    }

    #[test]
    fn repeated_inserts_keep_order() {
        // Always inserting at the front, at the back, and in one middle gap.
        let mut front = "V".to_string();
        let mut back = "V".to_string();
        let (mut lo, hi) = ("V".to_string(), "W".to_string());
        for _ in 0..500 {
            front = check(None, Some(&front));
            back = check(Some(&back), None);
            lo = check(Some(&lo), Some(&hi));
        }
        assert!(front.len() < 20 && back.len() < 20, "keys stay short at the ends");
    }

    #[test]
    fn pseudo_random_inserts_keep_a_sorted_list() {
        let mut keys: Vec<String> = spread(3);
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % (keys.len() + 1);
            let a = at.checked_sub(1).map(|i| keys[i].as_str());
            let b = keys.get(at).map(String::as_str);
            let k = check(a, b);
            keys.insert(at, k);
        }
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn spreads() {
        for n in [0, 1, 3, 30, 31, 100, 1_000, 10_000, 100_000] {
            let keys = spread(n);
            assert_eq!(keys.len(), n);
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{n}: increasing");
            assert!(keys.iter().all(|k| is_valid(k)), "{n}: valid");
            let longest = keys.iter().map(String::len).max().unwrap_or(0);
            assert!(longest <= 3, "{n}: keys of at most 3 digits, not {longest}");
            // Room is left between neighbours and at both ends.
            for w in keys.windows(2) {
                check(Some(&w[0]), Some(&w[1]));
            }
        }
    }
}
