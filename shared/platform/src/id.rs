//! Identifiers and time.
//!
//! Every id is a UUID version 7: it sorts by creation time, so primary-key indexes stay
//! append-mostly and an id says roughly when its row was made. Every timestamp is UTC.
//! Dates are the bank's, from [`crate::calendar::BankCalendar`], never from here.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A fresh, time-ordered identifier.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The current instant in UTC, for timestamps that no rule reads a date from (when a row was
/// written). Services never read local time; a date comes from the bank's calendar.
pub fn now_utc() -> DateTime<Utc> {
    Utc::now()
}
