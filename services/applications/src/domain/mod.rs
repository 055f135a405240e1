//! The applications domain: types and rules, no I/O.
