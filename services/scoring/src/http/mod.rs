//! The service's HTTP API: one module per resource, the JSON forms, who may call what, and the
//! one error type.

pub mod batch_body;
pub mod caller;
pub mod definition;
pub mod error;
pub mod evaluations;
pub mod numbers;
pub mod scorecards;
