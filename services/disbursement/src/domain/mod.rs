//! The disbursement domain: types and rules, no I/O.
//!
//! - [`terms`]: loan terms parsed into a validated [`terms::LoanTerms`];
//! - [`calendar`]: due dates anchored to the first one, and day counting;
//! - [`schedule`]: repayment schedules exact to the minor unit;
//! - [`allocation`]: a payment split penalty → interest → principal;
//! - [`early_repayment`]: a partial early repayment and the recomputed remaining schedule;
//! - [`reschedule`]: a payment holiday or a longer term, and the rows that replace the future;
//! - [`settlement`]: the early-settlement quote for a date;
//! - [`arrears`]: overdue instalments, days past due, the day's penalty and the ageing bucket;
//! - [`fees`]: a loan's arrangement fee, its amount and how it is collected;
//! - [`contract`] and [`tranche`]: the life cycles of a contract and of a tranche;
//! - [`bank_dates`]: dates staff choose, bounded by the bank's today.

pub mod allocation;
pub mod arrears;
pub mod bank_dates;
pub mod calendar;
pub mod contract;
pub mod early_repayment;
pub mod fees;
pub mod reschedule;
pub mod schedule;
pub mod settlement;
pub mod terms;
pub mod tranche;
