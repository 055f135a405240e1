//! The platform kit: everything an Imkon service needs that is not its own domain.
//!
//! Domain rules never live here; only the mechanisms every service shares: money and ids,
//! configuration, problem+json errors, telemetry with request ids, the database pool and
//! migrations, the HTTP shell (health, metrics, OpenAPI, limits, graceful shutdown),
//! idempotency keys, the transactional outbox and inbox, and the audit trail (written by
//! `audit`, read by `audit_trail`).

/// Every Imkon program (the services, their tests and benchmarks) allocates with mimalloc. A
/// profile of the ledger benchmark at 16 clients found about a tenth of the process's samples
/// in glibc's `malloc` and `free` (arenas contended by the runtime's threads, and consolidating
/// freed chunks); mimalloc keeps a heap per thread. Declared here, in the crate every program
/// links, so that no program allocates differently from the one measured.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod audit;
pub mod audit_trail;
pub mod auth_settings;
#[cfg(feature = "testing")]
pub mod bench;
pub mod broker;
pub mod calendar;
pub mod client;
pub mod config;
pub mod db;
pub mod documents;
pub mod events;
pub mod http;
pub mod id;
pub mod idempotency;
pub mod jwks;
pub mod language;
pub mod mail;
pub mod metrics;
pub mod money;
pub mod outbox;
pub mod pdf;
pub mod problem;
pub mod service;
pub mod service_tokens;
pub mod spreadsheet;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text;

pub use problem::{JsonBody, Problem};
