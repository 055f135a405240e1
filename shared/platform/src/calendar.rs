//! The bank's one clock and one calendar.
//!
//! Every date a service reasons about (what is due, what is overdue, how old a founder is,
//! whether a programme is open, which day a daily limit counts) is a day of the bank's
//! calendar, not of UTC and not of the machine's local time. The rules, in order:
//!
//! 1. The current instant comes from a [`Clock`]: the [`SystemClock`] in production, a
//!    [`SettableClock`] in tests. The clock reaches each service through its configuration
//!    ([`crate::config::ServiceConfig::calendar`]) into its state; there is no global clock, so
//!    two services in one test process can live at different instants.
//! 2. The bank's day of an instant is its date at the bank's fixed UTC offset
//!    (`bank_utc_offset`, `+05:00` by default: Asia/Tashkent). A fixed offset rather than a
//!    time-zone database: Uzbekistan has kept UTC+5 all year since 1992 without daylight saving,
//!    and the bank's books must not change meaning when a tz database is updated; a bank in a
//!    zone with daylight saving would need `chrono-tz` here, and only here.
//! 3. A business day is a weekday that is not in the configured holiday list
//!    (`bank_holidays`, comma-separated ISO dates).
//! 4. The end-of-day cut-off (`bank_end_of_day_cutoff`, `00:00` by default) is how long after
//!    the bank's midnight the previous day's books close: from then on the daily jobs work for
//!    the new day. [`BankCalendar::operating_day`] is the day they work for.
//!
//! Nothing outside this module reads the system clock for a date: `tests/clock_calls.rs`
//! greps the sources for stray calls.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use chrono::{
    DateTime, Datelike, Days, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};

use crate::config::{ConfigError, Settings};

/// Where the current instant comes from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock: production's only clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock a test sets and moves by hand; it stands still between moves.
#[derive(Debug)]
pub struct SettableClock {
    now: Mutex<DateTime<Utc>>,
}

impl SettableClock {
    pub fn at(now: DateTime<Utc>) -> Arc<SettableClock> {
        Arc::new(SettableClock {
            now: Mutex::new(now),
        })
    }

    /// Moves the clock to `now` (forwards or backwards).
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().expect("the clock's lock is never poisoned") = now;
    }

    /// Moves the clock forwards by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().expect("the clock's lock is never poisoned");
        *now += by;
    }
}

impl Clock for SettableClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("the clock's lock is never poisoned")
    }
}

/// Tashkent's offset from UTC, in seconds: the default bank time.
pub const TASHKENT_UTC_OFFSET_SECONDS: i32 = 5 * 3600;

/// The bank's calendar, reading the time from its clock. Cheap to clone.
#[derive(Clone)]
pub struct BankCalendar {
    clock: Arc<dyn Clock>,
    offset: FixedOffset,
    holidays: Arc<BTreeSet<NaiveDate>>,
    end_of_day_cutoff: Duration,
}

impl fmt::Debug for BankCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BankCalendar")
            .field("clock", &self.clock)
            .field("offset", &self.offset)
            .field("holidays", &self.holidays.len())
            .field("end_of_day_cutoff", &self.end_of_day_cutoff)
            .finish()
    }
}

impl Default for BankCalendar {
    /// Tashkent time, no holidays, books closing at midnight, the system clock.
    fn default() -> Self {
        BankCalendar {
            clock: Arc::new(SystemClock),
            offset: FixedOffset::east_opt(TASHKENT_UTC_OFFSET_SECONDS)
                .expect("five hours is a valid UTC offset"),
            holidays: Arc::new(BTreeSet::new()),
            end_of_day_cutoff: Duration::zero(),
        }
    }
}

impl BankCalendar {
    /// The default calendar (Tashkent, no holidays) reading `clock`: what tests start from.
    pub fn with_clock(clock: Arc<dyn Clock>) -> BankCalendar {
        BankCalendar {
            clock,
            ..BankCalendar::default()
        }
    }

    /// The same calendar reading another clock.
    pub fn reading(&self, clock: Arc<dyn Clock>) -> BankCalendar {
        BankCalendar {
            clock,
            ..self.clone()
        }
    }

    /// The same calendar with these holidays.
    pub fn with_holidays(self, holidays: impl IntoIterator<Item = NaiveDate>) -> BankCalendar {
        BankCalendar {
            holidays: Arc::new(holidays.into_iter().collect()),
            ..self
        }
    }

    /// Reads `bank_utc_offset`, `bank_holidays` and `bank_end_of_day_cutoff`; the system clock.
    pub fn from_settings(settings: &Settings) -> Result<BankCalendar, ConfigError> {
        let defaults = BankCalendar::default();
        let offset = match settings.raw("bank_utc_offset") {
            None => defaults.offset,
            Some(text) => text.trim().parse::<FixedOffset>().map_err(|_| {
                settings.invalid("bank_utc_offset", "expected an offset such as +05:00")
            })?,
        };
        let holidays = match settings.raw("bank_holidays") {
            None => BTreeSet::new(),
            Some(text) => text
                .split(',')
                .map(str::trim)
                .filter(|day| !day.is_empty())
                .map(|day| {
                    day.parse::<NaiveDate>().map_err(|_| {
                        settings.invalid(
                            "bank_holidays",
                            format!("`{day}` is not a date such as 2027-03-21"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let end_of_day_cutoff = match settings.raw("bank_end_of_day_cutoff") {
            None => defaults.end_of_day_cutoff,
            Some(text) => NaiveTime::parse_from_str(text.trim(), "%H:%M")
                .map(|time| time - NaiveTime::MIN)
                .map_err(|_| {
                    settings.invalid("bank_end_of_day_cutoff", "expected a time such as 00:30")
                })?,
        };
        Ok(BankCalendar {
            clock: defaults.clock,
            offset,
            holidays: Arc::new(holidays),
            end_of_day_cutoff,
        })
    }

    /// The clock this calendar reads.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The bank's today.
    pub fn today(&self) -> NaiveDate {
        self.day_of(self.now())
    }

    /// The bank's day that `instant` belongs to.
    pub fn day_of(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.offset).date_naive()
    }

    /// The instant the bank's `day` begins (its midnight), in UTC.
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        self.offset
            .from_local_datetime(&day.and_time(NaiveTime::MIN))
            .single()
            .expect("a fixed offset maps every local time to exactly one instant")
            .with_timezone(&Utc)
    }

    /// Whether the bank works on `day`: a weekday that is not a holiday.
    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The first business day on or after `day`.
    pub fn business_day_on_or_after(&self, day: NaiveDate) -> NaiveDate {
        let mut candidate = day;
        while !self.is_business_day(candidate) {
            candidate = candidate
                .checked_add_days(Days::new(1))
                .expect("dates this side of the year 262143 have a next day");
        }
        candidate
    }

    /// The day the daily jobs work for at `instant`: the bank's day, once that day's
    /// end-of-day cut-off after midnight has passed (before it, still the previous day).
    pub fn operating_day(&self, instant: DateTime<Utc>) -> NaiveDate {
        self.day_of(instant - self.end_of_day_cutoff)
    }

    /// When the daily jobs next start a new operating day after `instant`: the next bank
    /// midnight plus the cut-off.
    pub fn next_operating_day_starts(&self, instant: DateTime<Utc>) -> DateTime<Utc> {
        let next = self
            .operating_day(instant)
            .checked_add_days(Days::new(1))
            .expect("dates this side of the year 262143 have a next day");
        self.start_of(next) + self.end_of_day_cutoff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn calendar_at(text: &str) -> BankCalendar {
        BankCalendar::with_clock(SettableClock::at(at(text)))
    }

    #[test]
    fn the_banks_day_turns_at_seven_in_the_evening_utc_on_a_leap_day() {
        assert_eq!(
            calendar_at("2024-02-28T18:59:59Z").today(),
            day("2024-02-28")
        );
        assert_eq!(
            calendar_at("2024-02-28T19:00:00Z").today(),
            day("2024-02-29")
        );
        assert_eq!(
            calendar_at("2024-02-29T19:00:00Z").today(),
            day("2024-03-01")
        );
    }

    #[test]
    fn a_day_starts_at_the_banks_midnight() {
        let calendar = BankCalendar::default();
        assert_eq!(
            calendar.start_of(day("2024-02-29")),
            at("2024-02-28T19:00:00Z")
        );
    }

    #[test]
    fn a_settable_clock_moves_only_when_told() {
        let clock = SettableClock::at(at("2024-02-28T18:59:59Z"));
        let calendar = BankCalendar::with_clock(clock.clone());
        assert_eq!(calendar.today(), day("2024-02-28"));
        clock.advance(Duration::seconds(1));
        assert_eq!(calendar.today(), day("2024-02-29"));
        clock.set(at("2035-06-01T12:00:00Z"));
        assert_eq!(calendar.now(), at("2035-06-01T12:00:00Z"));
    }

    #[test]
    fn weekends_and_configured_holidays_are_not_business_days() {
        let calendar = BankCalendar::default().with_holidays([day("2024-03-08")]);
        assert!(calendar.is_business_day(day("2024-03-07")));
        assert!(!calendar.is_business_day(day("2024-03-08")), "a holiday");
        assert!(!calendar.is_business_day(day("2024-03-09")), "a Saturday");
        assert_eq!(
            calendar.business_day_on_or_after(day("2024-03-08")),
            day("2024-03-11")
        );
    }

    #[test]
    fn settings_give_the_offset_the_holidays_and_the_cutoff() {
        let mut settings = Settings::default();
        settings.set("bank_utc_offset", "+03:00".into(), "test".into());
        settings.set(
            "bank_holidays",
            "2027-03-21, 2027-09-01".into(),
            "test".into(),
        );
        settings.set("bank_end_of_day_cutoff", "00:30".into(), "test".into());
        let calendar = BankCalendar::from_settings(&settings)
            .unwrap()
            .reading(SettableClock::at(at("2027-03-20T21:15:00Z")));
        assert_eq!(calendar.today(), day("2027-03-21"));
        assert!(!calendar.is_business_day(day("2027-09-01")));
        assert_eq!(
            calendar.operating_day(calendar.now()),
            day("2027-03-20"),
            "before the cut-off the jobs still work for the day before"
        );
        assert_eq!(
            calendar.next_operating_day_starts(calendar.now()),
            at("2027-03-20T21:30:00Z")
        );
    }

    #[test]
    fn bad_settings_name_the_setting() {
        for (field, value) in [
            ("bank_utc_offset", "Tashkent"),
            ("bank_holidays", "2027-02-30"),
            ("bank_end_of_day_cutoff", "25:00"),
        ] {
            let mut settings = Settings::default();
            settings.set(field, value.into(), "test".into());
            let error = BankCalendar::from_settings(&settings)
                .unwrap_err()
                .to_string();
            assert!(error.contains(field), "{error}");
        }
    }

    #[test]
    fn the_default_operating_day_turns_at_the_banks_midnight() {
        let calendar = BankCalendar::default();
        assert_eq!(
            calendar.operating_day(at("2024-02-28T18:59:59Z")),
            day("2024-02-28")
        );
        assert_eq!(
            calendar.operating_day(at("2024-02-28T19:00:00Z")),
            day("2024-02-29")
        );
        assert_eq!(
            calendar.next_operating_day_starts(at("2024-02-28T18:59:59Z")),
            at("2024-02-28T19:00:00Z")
        );
    }
}
