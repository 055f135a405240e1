//! Outgoing HTTP calls to other services.
//!
//! The client sets the current request id on every call, so a request can be followed across
//! services, and has bounded connect and total timeouts so a slow neighbour cannot hold a
//! request of ours forever.

use std::time::Duration;

use crate::telemetry::{current_request_id, inject_trace_context, REQUEST_ID_HEADER};

/// A cheap-to-clone HTTP client for service-to-service calls.
#[derive(Clone, Debug)]
pub struct ServiceClient {
    inner: reqwest::Client,
}

impl ServiceClient {
    pub fn new(timeout: Duration) -> Result<ServiceClient, reqwest::Error> {
        let inner = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(timeout)
            .build()?;
        Ok(ServiceClient { inner })
    }

    /// Starts a request with the current request id, and the current trace context when traces
    /// are exported, already set.
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let mut headers = reqwest::header::HeaderMap::new();
        inject_trace_context(&mut headers);
        let builder = self.inner.request(method, url).headers(headers);
        match current_request_id() {
            Some(request_id) => builder.header(REQUEST_ID_HEADER.as_str(), request_id),
            None => builder,
        }
    }

    pub fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, url)
    }

    pub fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, url)
    }
}
