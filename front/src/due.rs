//! Due dates against today, in the person's own time zone: what the board
//! highlights (overdue, today, this week) and the quick filter `is:overdue` asks.

use jiff::civil::Date;

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
