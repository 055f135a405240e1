//! The clients of the services: one module per service the frontend calls (onboarding,
//! applications, disbursement, accounts) over the shared HTTP plumbing in [`api`]. A client knows the
//! service's paths and wire types and nothing of pages; it may use the `web` layer (the
//! server timing of its calls).
//!
//! Accounts' statements and transfers are called through [`api::ServiceApi`] directly from the
//! money pages, their only caller; scoring is called only by the scorecard pages and the programme form (the applications
//! service answers applicants' scores). Each gets its typed module here when a second page
//! needs the same call.

pub mod accounts;
pub mod api;
pub mod applications;
pub mod audit;
pub mod disbursement;
pub mod onboarding;
pub mod programme_admin;
pub mod scoring;
