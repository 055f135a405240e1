//! The service's queries. Only this module speaks SQL.

pub mod applications;
pub mod budget_releases;
pub mod decisions;
pub mod kyc;
pub mod notifications;
pub mod programmes;
pub mod reviews;
pub mod securities;
pub mod security_documents;
pub mod timeline;
