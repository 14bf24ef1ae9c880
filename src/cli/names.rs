//! Boards, columns, people and labels by name, as a person types them: any case,
//! the whole name or the start of one that only it has. A name that fits none,
//! or several, is an error that lists the candidates.

/// Why a name was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("no {what} named {given:?}; {}", candidates(.known))]
    Unknown { what: &'static str, given: String, known: Vec<String> },
    #[error("{given:?} could be the {what} {}: say which", .matches.join(" or "))]
    Ambiguous { what: &'static str, given: String, matches: Vec<String> },
}

fn candidates(known: &[String]) -> String {
    if known.is_empty() { "there is none".into() } else { format!("there are: {}", known.join(", ")) }
}

/// The one of `items` named `given` (`name` says each one's): the same name in
/// any case, or else the only one whose name starts so. `what` names the kind in
/// the errors ("board", "column").
pub fn pick<'a, T>(
    what: &'static str,
    given: &str,
    items: &'a [T],
    name: impl Fn(&T) -> &str,
) -> Result<&'a T, NameError> {
    let wanted = given.trim().to_lowercase();
    let exact: Vec<&T> = items.iter().filter(|i| name(i).to_lowercase() == wanted).collect();
    let found = if exact.is_empty() {
        items.iter().filter(|i| !wanted.is_empty() && name(i).to_lowercase().starts_with(&wanted)).collect()
    } else {
        exact
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(NameError::Unknown {
            what,
            given: given.to_string(),
            known: items.iter().map(|i| name(i).to_string()).collect(),
        }),
        several => Err(NameError::Ambiguous {
            what,
            given: given.to_string(),
            matches: several.iter().map(|i| name(i).to_string()).collect(),
        }),
    }
}

/// A card's reference: `#12` or `12`.
pub fn card_ref(given: &str) -> Result<i64, String> {
    let digits = given.trim().trim_start_matches('#');
    digits
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("{given:?} is not a card: give #ID"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["Launch", "launch-2", "Ops", "Operations"].map(String::from).to_vec()
    }

    #[test]
    fn a_name_in_any_case_or_the_only_one_starting_so() {
        let n = names();
        let pick = |given| pick("board", given, &n, String::as_str).map(String::as_str);
        assert_eq!(pick("LAUNCH"), Ok("Launch"), "the whole name wins over longer ones");
        assert_eq!(pick("operat"), Ok("Operations"));
        assert_eq!(
            pick("op").unwrap_err().to_string(),
            "\"op\" could be the board Ops or Operations: say which"
        );
        assert_eq!(
            pick("HR").unwrap_err().to_string(),
            "no board named \"HR\"; there are: Launch, launch-2, Ops, Operations"
        );
        assert_eq!(card_ref("#12"), Ok(12));
        assert_eq!(card_ref("12"), Ok(12));
        assert!(card_ref("#x").is_err() && card_ref("0").is_err());
    }
}
