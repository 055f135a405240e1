//! The web layer: what every response and request goes through, and what every page uses to
//! speak to the visitor. Sessions, cookies, CSRF and security headers, languages, formats of
//! numbers and dates, the server timing, the visitor's address and chart geometry.
//!
//! It knows nothing of the services or the pages: it imports neither `clients` nor `pages`
//! (a test in `pages::tests` keeps it so).

pub mod chart;
pub mod cookies;
pub mod format;
pub mod i18n;
pub mod security;
pub mod session;
pub mod timing;
pub mod visitor;
