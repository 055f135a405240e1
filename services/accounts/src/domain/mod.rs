//! The accounts domain: types and rules, no I/O.
