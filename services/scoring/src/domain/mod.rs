//! The scoring domain: types and rules, no I/O.
