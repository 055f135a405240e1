//! The service's SQL: scorecards with their versions, and stored evaluations. Definitions,
//! inputs and results are stored as `jsonb` and read back as text, so their numbers never pass
//! through a binary float.

pub mod evaluations;
pub mod scorecards;
