//! Due dates against today, in the person's own time zone: what the board
//! highlights (overdue, today, this week) and the quick filter `is:overdue` asks,
//! and the dates people type in words (`tomorrow`, `fri`, `+3d`).

use jiff::civil::{Date, Weekday};

/// Where a due date stands from today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Past, by this many days.
    Overdue(i32),
    Today,
    Tomorrow,
    /// Within the next seven days (after tomorrow).
    ThisWeek(Date),
    Later(Date),
}

/// Today's date where this person is (the system's time zone; UTC when it
/// cannot be found).
pub fn today() -> Date {
    jiff::Zoned::now().date()
}

/// The time zone a `TZ` value names (`Europe/Paris`, `:Europe/Paris`), if it
/// names one this system knows.
pub fn zone(tz: &str) -> Option<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(tz.trim_start_matches(':')).ok()
}

/// A card's due date (`YYYY-MM-DD`) seen from `today`; `None` when it cannot be
/// read as a date.
pub fn when(due: &str, today: Date) -> Option<When> {
    let date: Date = due.parse().ok()?;
    let days = (date - today).get_days();
    Some(match days {
        d if d < 0 => When::Overdue(-d),
        0 => When::Today,
        1 => When::Tomorrow,
        2..=6 => When::ThisWeek(date),
        _ => When::Later(date),
    })
}

/// What a person typed as a due date, understood from `today`: `YYYY-MM-DD`,
/// `today`, `tomorrow`, a weekday or its short form (the next one after today),
/// `+3d`, `+2w`, `next week` (its Monday), `eow` (this work week's Friday, the
/// next one on a weekend) or `eom` (the month's last day), in any case; `None`
/// for anything else.
pub fn understand(text: &str, today: Date) -> Option<Date> {
    let said = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    if kanban_protocol::check::check_due_date(&said).is_ok() {
        return said.parse().ok();
    }
    let in_days = |n: i64| today.checked_add(jiff::Span::new().days(n)).ok();
    let from_monday = i64::from(today.weekday().to_monday_zero_offset());
    match said.as_str() {
        "today" => Some(today),
        "tomorrow" | "tmr" => in_days(1),
        "next week" => in_days(7 - from_monday),
        "eow" => in_days(if from_monday <= 4 { 4 - from_monday } else { 11 - from_monday }),
        "eom" => Some(today.last_of_month()),
        _ => {
            if let Some(day) = weekday(&said) {
                let ahead = (i64::from(day.to_monday_zero_offset()) - from_monday).rem_euclid(7);
                return in_days(if ahead == 0 { 7 } else { ahead });
            }
            let count = said.strip_prefix('+')?;
            let (n, unit) = count.split_at(count.len().checked_sub(1)?);
            let n: i64 = n.parse().ok().filter(|n| (1..=3660).contains(n))?;
            match unit {
                "d" => in_days(n),
                "w" => in_days(n.checked_mul(7)?),
                _ => None,
            }
        }
    }
}

/// A weekday by its name or a short form of it.
fn weekday(said: &str) -> Option<Weekday> {
    let days = [
        (Weekday::Monday, &["monday", "mon"][..]),
        (Weekday::Tuesday, &["tuesday", "tue", "tues"]),
        (Weekday::Wednesday, &["wednesday", "wed"]),
        (Weekday::Thursday, &["thursday", "thu", "thur", "thurs"]),
        (Weekday::Friday, &["friday", "fri"]),
        (Weekday::Saturday, &["saturday", "sat"]),
        (Weekday::Sunday, &["sunday", "sun"]),
    ];
    days.into_iter().find(|(_, names)| names.contains(&said)).map(|(day, _)| day)
}

impl When {
    /// As a card's details line says it: short, and readable without color.
    pub fn short(self, today: Date) -> String {
        match self {
            When::Overdue(1) => "⚠ 1 day overdue".to_string(),
            When::Overdue(days) => format!("⚠ {days} days overdue"),
            When::Today => "◆ due today".to_string(),
            When::Tomorrow => "due tomorrow".to_string(),
            When::ThisWeek(date) => format!("due {}", date.strftime("%a %b %-d")),
            When::Later(date) if date.year() == today.year() => format!("due {}", date.strftime("%b %-d")),
            When::Later(date) => format!("due {date}"),
        }
    }

    /// As a compact card says it, beside its title: as short as it can be.
    pub fn tiny(self) -> String {
        match self {
            When::Overdue(days) => format!("⚠ {days}d late"),
            When::Today => "◆ today".to_string(),
            When::Tomorrow => "tomorrow".to_string(),
            When::ThisWeek(date) => date.strftime("%a").to_string(),
            When::Later(date) => date.strftime("%b %-d").to_string(),
        }
    }

    /// Whether it asks for attention (shown in the warning colors).
    pub fn is_soon(self) -> bool {
        matches!(self, When::Today | When::Tomorrow | When::ThisWeek(_))
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn dates_in_words() {
        // A Tuesday.
        let today = date(2026, 12, 1);
        let said = |text: &str| understand(text, today);
        assert_eq!(said("today"), Some(today));
        assert_eq!(said("Tomorrow"), Some(date(2026, 12, 2)));
        assert_eq!(said("tmr"), Some(date(2026, 12, 2)));
        assert_eq!(said("fri"), Some(date(2026, 12, 4)));
        assert_eq!(said("Monday"), Some(date(2026, 12, 7)));
        assert_eq!(said("tue"), Some(date(2026, 12, 8)), "the next Tuesday, not today");
        assert_eq!(said("thurs"), Some(date(2026, 12, 3)));
        assert_eq!(said("+3d"), Some(date(2026, 12, 4)));
        assert_eq!(said("+2w"), Some(date(2026, 12, 15)));
        assert_eq!(said("next  week"), Some(date(2026, 12, 7)));
        assert_eq!(said("EOW"), Some(date(2026, 12, 4)));
        assert_eq!(said("eom"), Some(date(2026, 12, 31)));
        assert_eq!(said(" 2026-12-24 "), Some(date(2026, 12, 24)));
        assert_eq!(said("+40d"), Some(date(2027, 1, 10)), "across a year");
        for refused in ["", "2026-13-45", "2026-1-5", "+0d", "+3x", "+d", "+", "fr", "next", "+99999d", "-3d"]
        {
            assert_eq!(said(refused), None, "{refused:?}");
        }
        // At a weekend the work week's end is the next Friday; next week is still Monday.
        let saturday = date(2026, 12, 5);
        assert_eq!(understand("eow", saturday), Some(date(2026, 12, 11)));
        assert_eq!(understand("next week", saturday), Some(date(2026, 12, 7)));
        assert_eq!(understand("sat", saturday), Some(date(2026, 12, 12)));
        assert_eq!(understand("eom", date(2027, 2, 10)), Some(date(2027, 2, 28)));
    }

    #[test]
    fn due_dates_from_today() {
        let today = date(2026, 12, 1);
        assert_eq!(when("2026-11-28", today), Some(When::Overdue(3)));
        assert_eq!(when("2026-12-01", today), Some(When::Today));
        assert_eq!(when("2026-12-02", today), Some(When::Tomorrow));
        assert_eq!(when("2026-12-07", today), Some(When::ThisWeek(date(2026, 12, 7))));
        assert_eq!(when("2026-12-08", today), Some(When::Later(date(2026, 12, 8))));
        assert_eq!(when("not a date", today), None);
        assert_eq!(When::Overdue(3).short(today), "⚠ 3 days overdue");
        assert_eq!(When::Overdue(3).tiny(), "⚠ 3d late");
        assert_eq!(When::ThisWeek(date(2026, 12, 4)).tiny(), "Fri");
        assert_eq!(When::Overdue(1).short(today), "⚠ 1 day overdue");
        assert_eq!(When::ThisWeek(date(2026, 12, 4)).short(today), "due Fri Dec 4");
        assert_eq!(When::Later(date(2026, 12, 24)).short(today), "due Dec 24");
        assert_eq!(When::Later(date(2027, 1, 5)).short(today), "due 2027-01-05");
        // Across a year's end.
        assert_eq!(when("2027-01-01", date(2026, 12, 31)), Some(When::Tomorrow));
    }
}
