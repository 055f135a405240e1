//! Every SQL statement of the service. Handlers and the ledger writer call these functions;
//! nothing outside this module writes SQL.

pub mod accounts;
pub mod billing;
pub mod cash_receipts;
pub mod deposits;
pub mod exchange;
pub mod holds;
pub mod interbank;
pub mod ledger;
pub mod proposals;
pub mod quotes;
pub mod standing_orders;
pub mod statements;
