//! The onboarding service.

pub mod domain;
