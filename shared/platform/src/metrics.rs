//! Request metrics in the Prometheus text format, and gauges of the database pool and the
//! outbox read at each scrape ([`render_database`]).
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
use sqlx::PgPool;

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
    pub fn service(&self) -> &'static str {
        self.service
    }

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

/// How long a scrape waits for the outbox backlog query.
const BACKLOG_QUERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Gauges read from the database at each scrape: the connection pool's use, and the outbox's
/// backlog (events not yet delivered) with the age of its oldest event, which grows when a
/// subscriber is down or the relay is stuck. A failed backlog query leaves those two gauges
/// out of the answer (and is logged) rather than failing the scrape: the request counters are
/// still worth having while the database is unwell.
pub async fn render_database(service: &str, pool: &PgPool) -> String {
    let mut text = String::new();
    let open = pool.size();
    // The pool counts idle connections in a usize; it never holds more than `max` (a u32).
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
    let gauges = [
        (
            "db_pool_connections_max",
            "The most connections the pool may open.",
            pool.options().get_max_connections(),
        ),
        (
            "db_pool_connections_open",
            "Connections the pool holds now.",
            open,
        ),
        (
            "db_pool_connections_in_use",
            "Connections lent out to requests or jobs now.",
            open.saturating_sub(idle),
        ),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} gauge");
        let _ = writeln!(text, "{name}{{service=\"{service}\"}} {value}");
    }
    let backlog = sqlx::query_as::<_, (i64, f64)>(
        "select count(*),
                coalesce(extract(epoch from now() - min(created_at)), 0)::float8
         from outbox_event where delivered_at is null",
    )
    .fetch_one(pool);
    // Bounded like the readiness probe, so a scrape never waits on a sick database for long.
    match tokio::time::timeout(BACKLOG_QUERY_TIMEOUT, backlog).await {
        Ok(Ok((events, oldest_seconds))) => {
            let _ = writeln!(
                text,
                "# HELP outbox_backlog_events Events written but not yet delivered.\n\
                 # TYPE outbox_backlog_events gauge\n\
                 outbox_backlog_events{{service=\"{service}\"}} {events}"
            );
            let _ = writeln!(
                text,
                "# HELP outbox_oldest_event_age_seconds Age of the oldest undelivered event (0 when none).\n\
                 # TYPE outbox_oldest_event_age_seconds gauge\n\
                 outbox_oldest_event_age_seconds{{service=\"{service}\"}} {oldest_seconds:.3}"
            );
        }
        Ok(Err(error)) => tracing::warn!(%error, "metrics: cannot read the outbox backlog"),
        Err(_) => tracing::warn!("metrics: the outbox backlog query did not answer in time"),
    }
    text
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
