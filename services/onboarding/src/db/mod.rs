//! Every SQL statement of the service. Handlers call these with a connection or transaction;
//! nothing outside this module knows table names.

pub mod accounts;
pub mod clients;
pub mod documents;
pub mod external_login;
pub mod kyc;
pub mod login_attempts;
pub mod password_tickets;
pub mod refresh_tokens;
pub mod second_factor;
pub mod token_signing_keys;
