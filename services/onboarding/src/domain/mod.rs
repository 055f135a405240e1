//! The onboarding domain: types and rules, no I/O.
