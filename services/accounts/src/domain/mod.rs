//! The accounts domain: types and rules, no I/O.
//!
//! - [`account_number`]: 20-digit account numbers and their check digit.
//! - [`account`]: accounts, their kinds, owners and normal sides, and how an entry moves a
//!   balance.
//! - [`transfer`]: idempotency keys, references and balanced multi-leg transfers.
//! - [`posting`]: planning the entries of a transfer against the current balances.
//! - [`hold`]: pending transfers that reserve funds until posted or voided.
//! - [`client_transfer`]: the rules for a client moving their own money.
//! - [`batch`]: planning many transfers at once for the hot-account write path.
//! - [`proposal`]: four eyes on staff transfers (one proposes, another confirms).
//! - [`exchange`]: currency pairs, the bank's rates, and pricing an exchange exactly.
//! - [`deposit`]: term deposit products, their interest periods, daily accrual and early
//!   closure.

pub mod account;
pub mod account_number;
pub mod batch;
pub mod client_transfer;
pub mod deposit;
pub mod exchange;
pub mod hold;
pub mod posting;
pub mod proposal;
pub mod transfer;

#[cfg(test)]
mod properties;
