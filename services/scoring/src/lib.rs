//! The scoring service.

pub mod domain;
