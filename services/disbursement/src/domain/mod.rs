//! The disbursement domain: types and rules, no I/O.
