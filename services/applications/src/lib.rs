//! The applications service.

pub mod domain;
