//! Dates staff choose, bounded by the bank's today (Tashkent's day).
//!
//! 1. The daily job runs through a date only when that date has begun: assessing a later
//!    date collects instalments not yet due and, since each date is assessed once, would stop
//!    the real daily job until then.
//! 2. A contract is activated on a disbursement date no later than today and no further back
//!    than the bank's backdating window (30 days unless configured): a contract booked late
//!    is a fact of paperwork, a contract booked a year back is a way to make arrears and
//!    penalties out of nothing.

use chrono::{Days, NaiveDate};

/// The backdating window when the configuration names none, in days.
pub const DEFAULT_BACKDATING_WINDOW_DAYS: u32 = 30;

/// How many days after its approval staff may cancel a contract the founder has not signed,
/// when the configuration names none.
pub const DEFAULT_UNSIGNED_CANCEL_AFTER_DAYS: u32 = 30;

/// Why a chosen date is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateRefusal {
    #[error("the date {date} is after the bank's today, {today}")]
    AfterToday { date: NaiveDate, today: NaiveDate },
    #[error("the date {date} is more than {window_days} days before the bank's today, {today}")]
    BeforeBackdatingWindow {
        date: NaiveDate,
        today: NaiveDate,
        window_days: u32,
    },
}

impl DateRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            DateRefusal::AfterToday { .. } => "after_today",
            DateRefusal::BeforeBackdatingWindow { .. } => "before_backdating_window",
        }
    }
}

/// The daily job may run through `as_of` only if it is not after `today`.
pub fn check_run_date(as_of: NaiveDate, today: NaiveDate) -> Result<(), DateRefusal> {
    if as_of > today {
        return Err(DateRefusal::AfterToday { date: as_of, today });
    }
    Ok(())
}

/// A disbursement date lies between `window_days` before `today` and `today`, both included.
pub fn check_disbursement_date(
    date: NaiveDate,
    today: NaiveDate,
    window_days: u32,
) -> Result<(), DateRefusal> {
    check_run_date(date, today)?;
    let earliest = today
        .checked_sub_days(Days::new(u64::from(window_days)))
        .unwrap_or(NaiveDate::MIN);
    if date < earliest {
        return Err(DateRefusal::BeforeBackdatingWindow {
            date,
            today,
            window_days,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_job_runs_through_today_but_not_tomorrow() {
        let today = day("2024-03-10");
        assert_eq!(check_run_date(today, today), Ok(()));
        assert_eq!(check_run_date(day("2024-01-01"), today), Ok(()));
        assert_eq!(
            check_run_date(day("2024-03-11"), today).map_err(|refusal| refusal.code()),
            Err("after_today")
        );
    }

    #[test]
    fn a_disbursement_date_lies_within_the_window_up_to_today() {
        let today = day("2024-03-31");
        assert_eq!(
            check_disbursement_date(day("2024-03-01"), today, 30),
            Ok(())
        );
        assert_eq!(
            check_disbursement_date(day("2024-02-29"), today, 30).map_err(|r| r.code()),
            Err("before_backdating_window")
        );
        assert_eq!(
            check_disbursement_date(day("2024-04-01"), today, 30).map_err(|r| r.code()),
            Err("after_today")
        );
        assert_eq!(check_disbursement_date(today, today, 0), Ok(()));
    }
}
