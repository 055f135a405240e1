//! Helpers shared by the integration tests and the demo server.

pub mod schedule_preview;
