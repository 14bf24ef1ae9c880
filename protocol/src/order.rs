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
        // At the ends, step by bands instead of halving (see `after`).
        (Some(a), None) => after(a.as_bytes(), &mut out),
        (None, Some(b)) => before(b.as_bytes(), &mut out),
        (Some(a), Some(b)) => midpoint(a.as_bytes(), Some(b.as_bytes()), &mut out),
    }
    out
}

/// The digits of a key as numbers.
fn digits_of(key: &[u8]) -> Vec<usize> {
    key.iter().map(|&c| value(c).unwrap_or(0)).collect()
}

/// Writes digits as a key, leaving out trailing zeros (they add nothing to a key's
/// place, and keys never end in one).
fn push_digits(digits: &[usize], out: &mut String) {
    let end = digits.iter().rposition(|&d| d != 0).map_or(0, |i| i + 1);
    out.extend(digits[..end].iter().map(|&d| DIGITS[d] as char));
}

/// A key above `a`, for appending. Its leading `z`s put `a` in band `m`, whose keys
/// step by one unit of `m + 1` digits after the `z`s; past the band's last key comes
/// the next band, one `z` longer. Each band holds 62 times the keys of the one
/// before, so appending n items one after another makes keys of about 2·log₆₂ n
/// characters (stepping the first digit alone made one more character every 30).
fn after(a: &[u8], out: &mut String) {
    let m = a.iter().take_while(|&&c| c == b'z').count();
    let mut tail = digits_of(&a[m..a.len().min(2 * m + 1)]);
    tail.resize(m + 1, 0);
    // One unit up, carrying.
    let mut i = m;
    while tail[i] == BASE - 1 && i > 0 {
        tail[i] = 0;
        i -= 1;
    }
    tail[i] += 1;
    out.extend(std::iter::repeat_n('z', m));
    if tail[0] >= BASE - 1 {
        // The band is full: the first key of the next.
        out.push('z');
        out.push(DIGITS[1] as char);
    } else {
        push_digits(&tail, out);
    }
}

/// A key below `b`, for prepending: [`after`] upside down, with bands of leading
/// `0`s.
fn before(b: &[u8], out: &mut String) {
    let m = b.iter().take_while(|&&c| c == b'0').count();
    let mut tail = digits_of(&b[m..b.len().min(2 * m + 1)]);
    tail.resize(m + 1, 0);
    // One unit down, borrowing.
    let mut i = m;
    while tail[i] == 0 && i > 0 {
        tail[i] = BASE - 1;
        i -= 1;
    }
    out.extend(std::iter::repeat_n('0', m));
    if tail[i] == 0 || (i == 0 && tail[0] == 1) {
        // The band is used up: the last key of the next one down.
        out.push('0');
        out.push(DIGITS[BASE - 1] as char);
    } else {
        tail[i] -= 1;
        push_digits(&tail, out);
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

/// `count` increasing keys strictly between `lo` and `hi` (`None`: the start or the
/// end of the list), spread evenly and all of the fewest digits that hold them, if
/// that is at most `max_len`. For re-spacing a stretch of a list in place.
pub fn spread_between(
    lo: Option<&str>,
    hi: Option<&str>,
    count: usize,
    max_len: usize,
) -> Option<Vec<String>> {
    // 62^18 times a million still fits in a u128.
    if count == 0 || count > 1_000_000 {
        return (count == 0).then(Vec::new);
    }
    let count_n = count as u128;
    let mut scale: u128 = 1;
    for len in 1..=max_len.min(18) {
        scale *= BASE as u128;
        // At `len` digits: above `lo` cut to `len` digits, below `hi` cut likewise
        // (a key longer than `len` lies between its cut and the next value).
        let low = lo.map_or(0, |k| head_value(k, len)) + 1;
        let Some(high) = hi.map_or(scale, |k| head_value(k, len)).checked_sub(1) else { continue };
        if high < low || high - low + 1 < count_n {
            continue;
        }
        let span = high - low + 2;
        let keys = (1..=count_n)
            .map(|i| {
                let mut v = low - 1 + i * span / (count_n + 1);
                let mut digits = vec![0; len];
                for d in digits.iter_mut().rev() {
                    *d = (v % BASE as u128) as usize;
                    v /= BASE as u128;
                }
                let mut key = String::with_capacity(len);
                push_digits(&digits, &mut key);
                key
            })
            .collect();
        return Some(keys);
    }
    None
}

/// The first `len` digits of `key` (padded with zeros) as a number.
fn head_value(key: &str, len: usize) -> u128 {
    let mut digits = digits_of(&key.as_bytes()[..key.len().min(len)]);
    digits.resize(len, 0);
    digits.iter().fold(0u128, |v, &d| v * BASE as u128 + d as u128)
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
    fn appending_and_prepending_grow_keys_logarithmically() {
        let (mut back, mut front) = ("V".to_string(), "V".to_string());
        for _ in 0..100_000 {
            back = check(Some(&back), None);
            front = check(None, Some(&front));
        }
        assert!(back.len() <= 7 && front.len() <= 7, "{back:?} {front:?}");
        // From keys made by other means, too.
        for start in ["zzzzzzzzzzk", "zy", "z", "y", "0001", "01", "1", "1z"] {
            let (mut up, mut down) = (start.to_string(), start.to_string());
            for _ in 0..5_000 {
                up = check(Some(&up), None);
                down = check(None, Some(&down));
            }
            assert!(up.len() <= LONGEST && down.len() <= LONGEST, "{start}: {up} {down}");
        }
    }

    #[test]
    fn spreads_between_two_keys() {
        for (lo, hi, count) in [
            (None, None, 5),
            (Some("V"), Some("W"), 100),
            (Some("V1"), Some("V2"), 3),
            (Some("Vzzzzzzzzzzzzzzzzzzzzzzzzzzzzzk"), None, 1000),
            (None, Some("0000001"), 4),
            (Some("a"), Some("a00001"), 2),
        ] {
            let keys = spread_between(lo, hi, count, 16).unwrap_or_else(|| panic!("{lo:?} {hi:?} {count}"));
            assert_eq!(keys.len(), count);
            let mut all: Vec<&str> = lo.into_iter().collect();
            all.extend(keys.iter().map(String::as_str));
            all.extend(hi);
            assert!(all.windows(2).all(|w| w[0] < w[1]), "{all:?}");
            assert!(keys.iter().all(|k| is_valid(k) && k.len() <= 16), "{keys:?}");
        }
        // No room within the length asked for.
        assert_eq!(spread_between(Some("V"), Some("V1"), 1, 1), None);
        // Between "V" and "W", three digits hold 62 × 62 - 1 keys, and no more.
        assert_eq!(spread_between(Some("V"), Some("W"), 62 * 62 - 1, 2), None);
        assert!(spread_between(Some("V"), Some("W"), 62 * 62 - 1, 3).is_some());
        assert_eq!(spread_between(Some("V"), Some("W"), 62 * 62, 3), None);
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
