//! The platform kit: everything an Imkon service needs that is not its own domain.
//!
//! Domain rules never live here; only the mechanisms every service shares.

pub mod id;
pub mod money;
