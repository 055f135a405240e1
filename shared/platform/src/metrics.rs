//! Request metrics in the Prometheus text format.
//!
//! Counted per method, route template and status, with the time spent. Every label comes from
//! a closed set, so no client can create new series: a route is its template (never the raw
//! path), a request that matched no route counts as `unmatched`, and a method outside the
//! standard nine (HTTP lets a client invent any token) counts as `other`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

#[derive(Debug, Default, Clone, Copy)]
struct RouteFigures {
    count: u64,
    duration_micros_total: u64,
}

/// Method label, route template and status.
type RouteKey = (&'static str, String, u16);

/// The counters of one service.
#[derive(Debug, Clone)]
pub struct Metrics {
    service: &'static str,
    routes: Arc<Mutex<BTreeMap<RouteKey, RouteFigures>>>,
}

impl Metrics {
    pub fn new(service: &'static str) -> Metrics {
        Metrics {
            service,
            routes: Arc::default(),
        }
    }

    fn observe(&self, method: &'static str, route: String, status: u16, duration_micros: u64) {
        // A poisoned lock only means another request panicked while counting; the counters
        // are still usable, so keep counting rather than fail every later request.
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let figures = routes.entry((method, route, status)).or_default();
        figures.count += 1;
        figures.duration_micros_total += duration_micros;
    }

    /// The exposition text served at `/metrics`.
    pub fn render(&self) -> String {
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut text = String::new();
        text.push_str("# HELP http_requests_total Requests served, by method, route and status.\n");
        text.push_str("# TYPE http_requests_total counter\n");
        for ((method, route, status), figures) in routes.iter() {
            let _ = writeln!(
                text,
                "http_requests_total{{service=\"{}\",method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                self.service, figures.count
            );
        }
        text.push_str("# HELP http_request_duration_seconds Time spent serving requests.\n");
        text.push_str("# TYPE http_request_duration_seconds summary\n");
        for ((method, route, status), figures) in routes.iter() {
            let labels = format!(
                "service=\"{}\",method=\"{method}\",route=\"{route}\",status=\"{status}\"",
                self.service
            );
            let seconds = figures.duration_micros_total as f64 / 1_000_000.0;
            let _ = writeln!(
                text,
                "http_request_duration_seconds_sum{{{labels}}} {seconds:.6}"
            );
            let _ = writeln!(
                text,
                "http_request_duration_seconds_count{{{labels}}} {}",
                figures.count
            );
        }
        text
    }
}

/// The method's label: one of the standard methods, or `other` for any method a client made up.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Middleware counting every request.
pub async fn count_requests(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    metrics.observe(method, route, response.status().as_u16(), elapsed);
    response
}
