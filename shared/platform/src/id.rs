//! Identifiers and time.
//!
//! Every id is a UUID version 7: it sorts by creation time, so primary-key indexes stay
//! append-mostly and an id says roughly when its row was made. Every timestamp is UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use uuid::Uuid;

/// A fresh, time-ordered identifier.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The current instant in UTC. Services never read local time.
pub fn now_utc() -> DateTime<Utc> {
    Utc::now()
}

/// Tashkent is UTC+5 all year (no daylight saving); the bank's day is Tashkent's day.
const TASHKENT_OFFSET_SECONDS: i32 = 5 * 3600;

/// The calendar day, in Tashkent, that `instant` belongs to: the bank's day, which daily
/// limits count and after which no date may be chosen as "today".
pub fn bank_day(instant: DateTime<Utc>) -> NaiveDate {
    let tashkent =
        FixedOffset::east_opt(TASHKENT_OFFSET_SECONDS).expect("five hours is a valid UTC offset");
    instant.with_timezone(&tashkent).date_naive()
}

/// Today in the bank's time zone.
pub fn bank_today() -> NaiveDate {
    bank_day(now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_banks_day_turns_at_seven_in_the_evening_utc() {
        let before = Utc.with_ymd_and_hms(2024, 2, 28, 18, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2024, 2, 28, 19, 0, 0).unwrap();
        assert_eq!(
            bank_day(before),
            NaiveDate::from_ymd_opt(2024, 2, 28).unwrap()
        );
        assert_eq!(
            bank_day(after),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
    }
}
