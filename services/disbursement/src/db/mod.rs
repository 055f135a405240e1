//! Every SQL query of the service; nothing outside this module speaks SQL.

pub mod arrears;
pub mod contract_security_documents;
pub mod contracts;
pub mod installments;
pub mod loan_book;
pub mod recoveries;
pub mod repayments;
pub mod reschedules;
pub mod standing;
