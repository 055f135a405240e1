//! Helpers shared by the integration tests and the demo server. Each test binary uses some of
//! them, so the others would be reported as unused there.

#[allow(dead_code)]
pub mod browser;
#[allow(dead_code)]
pub mod demo;
#[allow(dead_code)]
pub mod journeys;
#[allow(dead_code)]
pub mod schedule_preview;
#[allow(dead_code)]
pub mod services;
#[allow(dead_code)]
pub mod site;
