//! Due dates and day counting.

use chrono::{Datelike, Months, NaiveDate};

/// The due dates of `count` monthly instalments starting at `first_due_date`.
///
/// Each date is computed from the first one, never from its predecessor, so the day of the
/// month stays anchored to the first due date and is only clamped to short months: a loan
/// first due on 31 January is due on 29 February in a leap year and on 31 March again, not
/// on 29 March. Returns `None` only when the dates would run past the calendar's end.
pub fn monthly_due_dates(first_due_date: NaiveDate, count: u32) -> Option<Vec<NaiveDate>> {
    (0..count)
        .map(|months_after_first| {
            first_due_date.checked_add_months(Months::new(months_after_first))
        })
        .collect()
}

/// Calendar days from `start` to `end`, zero when `end` is not after `start`.
pub fn actual_days(start: NaiveDate, end: NaiveDate) -> u32 {
    u32::try_from((end - start).num_days()).unwrap_or(0)
}

/// The share of a year from `start` to `end` under actual/actual ISDA, as a whole number of
/// units of which a year holds [`ISDA_YEAR_UNITS`]: the ISDA share is the days falling in
/// leap years over 366 plus the days falling in other years over 365, which is
/// `(366 × other days + 365 × leap days) / (365 × 366)`. Kept as a whole number so that a
/// period's interest is still one multiplication followed by one division, and the shares of
/// two adjoining spans add up to the share of the whole. Zero when `end` is not after `start`.
pub fn isda_units(start: NaiveDate, end: NaiveDate) -> u32 {
    let mut units = 0;
    for year in start.year()..=end.year() {
        let (Some(year_start), Some(next_year_start)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year + 1, 1, 1),
        ) else {
            continue;
        };
        let days = actual_days(start.max(year_start), end.min(next_year_start));
        let weight = if year_start.leap_year() { 365 } else { 366 };
        units += days * weight;
    }
    units
}

/// The units of a whole year in [`isda_units`]: 365 × 366.
pub const ISDA_YEAR_UNITS: u32 = 365 * 366;

/// Days from `start` to `end` under the European 30/360 convention (30E/360): every month
/// counts thirty days and a 31st counts as the 30th. Zero when `end` is not after `start`.
pub fn thirty_360_days(start: NaiveDate, end: NaiveDate) -> u32 {
    if end <= start {
        return 0;
    }
    let start_day = i64::from(start.day().min(30));
    let end_day = i64::from(end.day().min(30));
    let years = i64::from(end.year() - start.year());
    let months = i64::from(end.month()) - i64::from(start.month());
    let days = 360 * years + 30 * months + end_day - start_day;
    u32::try_from(days).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn month_end_due_dates_pass_through_a_leap_february_and_return_to_the_31st() {
        let dates = monthly_due_dates(date(2024, 1, 31), 5).unwrap();
        assert_eq!(
            dates,
            vec![
                date(2024, 1, 31),
                date(2024, 2, 29),
                date(2024, 3, 31),
                date(2024, 4, 30),
                date(2024, 5, 31)
            ]
        );
    }

    #[test]
    fn a_non_leap_february_clamps_to_the_28th() {
        let dates = monthly_due_dates(date(2023, 1, 30), 3).unwrap();
        assert_eq!(
            dates,
            vec![date(2023, 1, 30), date(2023, 2, 28), date(2023, 3, 30)]
        );
    }

    #[test]
    fn due_dates_cross_the_year_end() {
        let dates = monthly_due_dates(date(2024, 11, 15), 3).unwrap();
        assert_eq!(
            dates,
            vec![date(2024, 11, 15), date(2024, 12, 15), date(2025, 1, 15)]
        );
    }

    #[test]
    fn isda_units_split_a_span_at_each_new_year() {
        // 15 Dec 2023 to 15 Jan 2024: 17 days of 2023 (365 days) and 14 of 2024 (366 days).
        let units = isda_units(date(2023, 12, 15), date(2024, 1, 15));
        assert_eq!(units, 17 * 366 + 14 * 365);
        // A whole leap year, and a whole common year, are each one year.
        assert_eq!(
            isda_units(date(2024, 1, 1), date(2025, 1, 1)),
            ISDA_YEAR_UNITS
        );
        assert_eq!(
            isda_units(date(2023, 1, 1), date(2024, 1, 1)),
            ISDA_YEAR_UNITS
        );
        // Adjoining spans add up, and a backwards span is empty.
        assert_eq!(
            isda_units(date(2023, 11, 30), date(2024, 2, 29)),
            isda_units(date(2023, 11, 30), date(2024, 1, 10))
                + isda_units(date(2024, 1, 10), date(2024, 2, 29))
        );
        assert_eq!(isda_units(date(2024, 3, 1), date(2024, 2, 1)), 0);
    }

    #[test]
    fn actual_days_count_the_leap_day() {
        assert_eq!(actual_days(date(2024, 2, 1), date(2024, 3, 1)), 29);
        assert_eq!(actual_days(date(2023, 2, 1), date(2023, 3, 1)), 28);
        assert_eq!(actual_days(date(2024, 3, 1), date(2024, 2, 1)), 0);
    }

    #[test]
    fn thirty_360_days_count_every_month_as_thirty() {
        assert_eq!(thirty_360_days(date(2024, 2, 1), date(2024, 3, 1)), 30);
        assert_eq!(thirty_360_days(date(2024, 1, 31), date(2024, 3, 15)), 45);
        assert_eq!(thirty_360_days(date(2024, 12, 10), date(2025, 1, 10)), 30);
        assert_eq!(thirty_360_days(date(2024, 3, 10), date(2024, 3, 10)), 0);
    }
}
