//! When a federation's access review is due: the last review plus the review frequency.

use serde::Serialize;
use time::Date;

use crate::record::{IsoDate, ReviewFrequency};

/// A federation's review schedule as of one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub frequency: ReviewFrequency,
    pub last_reviewed: Option<IsoDate>,
    /// `None` when never reviewed: the first review is due now.
    pub next_due: Option<IsoDate>,
    /// Never reviewed, or the due date has passed (a review due today is not overdue yet).
    pub overdue: bool,
}

impl Schedule {
    pub fn new(frequency: ReviewFrequency, last_reviewed: Option<IsoDate>, today: Date) -> Self {
        let next_due = last_reviewed.map(|last| IsoDate(add_months(last.0, frequency.months())));
        Schedule {
            frequency,
            last_reviewed,
            next_due,
            overdue: next_due.is_none_or(|due| today > due.0),
        }
    }

    /// The frequency as written in records.
    pub fn frequency_name(&self) -> &'static str {
        match self.frequency {
            ReviewFrequency::Monthly => "monthly",
            ReviewFrequency::Quarterly => "quarterly",
            ReviewFrequency::Semiannual => "semiannual",
            ReviewFrequency::Annual => "annual",
        }
    }
}

/// `date` plus whole calendar months; a day that does not exist in the target month becomes
/// that month's last day (31 January + 1 month = 28 or 29 February). Past the end of the
/// calendar (a record's date near year 9999) the result is the calendar's last day: the dates
/// come from input, so this must not panic.
pub fn add_months(date: Date, months: u8) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month()) - 1) + i32::from(months);
    let year = index.div_euclid(12);
    let month = u8::try_from(index.rem_euclid(12) + 1).expect("1..=12 fits a u8");
    let month = time::Month::try_from(month).expect("1..=12 is a month");
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_clamp_to_month_end() {
        assert_eq!(add_months(date!(2025 - 01 - 31), 1), date!(2025 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(date!(2025 - 08 - 31), 1), date!(2025 - 09 - 30));
        assert_eq!(add_months(date!(2025 - 11 - 30), 3), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 02 - 29), 12), date!(2025 - 02 - 28));
        assert_eq!(add_months(date!(2025 - 03 - 15), 6), date!(2025 - 09 - 15));
        assert_eq!(add_months(date!(2025 - 12 - 01), 1), date!(2026 - 01 - 01));
        assert_eq!(add_months(date!(9999 - 12 - 15), 3), Date::MAX);
    }

    #[test]
    fn every_frequency_has_its_interval() {
        let last = Some(IsoDate(date!(2025 - 01 - 31)));
        let due = |f| {
            Schedule::new(f, last, date!(2025 - 01 - 31))
                .next_due
                .unwrap()
                .0
        };
        assert_eq!(due(ReviewFrequency::Monthly), date!(2025 - 02 - 28));
        assert_eq!(due(ReviewFrequency::Quarterly), date!(2025 - 04 - 30));
        assert_eq!(due(ReviewFrequency::Semiannual), date!(2025 - 07 - 31));
        assert_eq!(due(ReviewFrequency::Annual), date!(2026 - 01 - 31));
    }

    #[test]
    fn overdue_only_after_the_due_day() {
        let last = Some(IsoDate(date!(2025 - 01 - 15)));
        let on = |today| Schedule::new(ReviewFrequency::Quarterly, last, today).overdue;
        assert!(!on(date!(2025 - 04 - 14)));
        assert!(!on(date!(2025 - 04 - 15)));
        assert!(on(date!(2025 - 04 - 16)));
    }

    #[test]
    fn never_reviewed_is_overdue() {
        let schedule = Schedule::new(ReviewFrequency::Annual, None, date!(2025 - 01 - 01));
        assert!(schedule.overdue);
        assert_eq!(schedule.next_due, None);
    }
}
