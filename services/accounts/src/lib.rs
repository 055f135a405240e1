//! The accounts service.

pub mod domain;
