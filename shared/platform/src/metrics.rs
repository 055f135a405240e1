//! Request metrics in the Prometheus text format, gauges of the database pool and the outbox
//! read at each scrape ([`render_database`]), and figures that background work records
//! ([`set_gauge`], [`observe`]): the event consumer's lag, the ledger's batch sizes.
//!
//! Requests are counted per method, route template and status, and their latency is a
//! histogram per method, route template and status class. Every label comes from a closed set,
//! so no client can create new series: a route is its template (never the raw path), a request
//! that matched no route counts as `unmatched`, and a method outside the standard nine (HTTP
//! lets a client invent any token) counts as `other`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use sqlx::PgPool;

/// The latency buckets, in seconds: from a cached read to the request timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Observations of one series: how many fell at or under each bucket's bound, their count and
/// their sum.
#[derive(Debug, Clone, Default)]
struct Histogram {
    at_or_under: Vec<u64>,
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.at_or_under.len() != bounds.len() {
            self.at_or_under = vec![0; bounds.len()];
        }
        for (bound, tally) in bounds.iter().zip(self.at_or_under.iter_mut()) {
            if value <= *bound {
                *tally += 1;
            }
        }
        self.count += 1;
        self.sum += value;
    }

    /// The `_bucket`, `_sum` and `_count` lines of the series `name{labels}`.
    fn write(&self, text: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        for (bound, tally) in bounds.iter().zip(&self.at_or_under) {
            let _ = writeln!(text, "{name}_bucket{{{labels},le=\"{bound}\"}} {tally}");
        }
        let _ = writeln!(text, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(text, "{name}_sum{{{labels}}} {:.6}", self.sum);
        let _ = writeln!(text, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// Method label, route template and status.
type RouteKey = (&'static str, String, u16);

/// Method label, route template and status class (`2xx`).
type LatencyKey = (&'static str, String, &'static str);

#[derive(Debug, Default)]
struct RequestFigures {
    counts: BTreeMap<RouteKey, u64>,
    latencies: BTreeMap<LatencyKey, Histogram>,
}

/// The counters of one service.
#[derive(Debug, Clone)]
pub struct Metrics {
    service: &'static str,
    requests: Arc<Mutex<RequestFigures>>,
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

impl Metrics {
    pub fn new(service: &'static str) -> Metrics {
        Metrics {
            service,
            requests: Arc::default(),
        }
    }

    fn observe(&self, method: &'static str, route: String, status: u16, seconds: f64) {
        // A poisoned lock only means another request panicked while counting; the counters
        // are still usable, so keep counting rather than fail every later request.
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *requests
            .counts
            .entry((method, route.clone(), status))
            .or_default() += 1;
        requests
            .latencies
            .entry((method, route, status_class(status)))
            .or_default()
            .observe(LATENCY_BUCKETS, seconds);
    }

    /// The exposition text served at `/metrics`.
    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn render(&self) -> String {
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut text = String::new();
        text.push_str("# HELP http_requests_total Requests served, by method, route and status.\n");
        text.push_str("# TYPE http_requests_total counter\n");
        for ((method, route, status), count) in &requests.counts {
            let _ = writeln!(
                text,
                "http_requests_total{{service=\"{}\",method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}",
                self.service
            );
        }
        text.push_str(
            "# HELP http_request_duration_seconds Time spent serving requests, by method, route and status class.\n",
        );
        text.push_str("# TYPE http_request_duration_seconds histogram\n");
        for ((method, route, class), histogram) in &requests.latencies {
            let labels = format!(
                "service=\"{}\",method=\"{method}\",route=\"{route}\",status_class=\"{class}\"",
                self.service
            );
            histogram.write(
                &mut text,
                "http_request_duration_seconds",
                &labels,
                LATENCY_BUCKETS,
            );
        }
        drop(requests);
        render_background(&mut text, self.service);
        text
    }
}

/// A figure that background work keeps up to date for a service.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    pub name: &'static str,
    pub help: &'static str,
    /// A histogram's bucket bounds; empty for a gauge.
    pub buckets: &'static [f64],
}

/// How many events wait at the broker for a service's consumer: its lag.
pub const EVENT_CONSUMER_PENDING: Figure = Figure {
    name: "event_consumer_pending_events",
    help: "Events the broker holds for this service's consumer and has not delivered yet.",
    buckets: &[],
};

/// Events a service's consumer parked in the dead-letter stream since it started.
pub const EVENT_CONSUMER_PARKED: Figure = Figure {
    name: "event_consumer_parked_events",
    help: "Events this process parked in the dead-letter stream since it started.",
    buckets: &[],
};

/// How many transfers each ledger batch booked.
pub const LEDGER_BATCH_TRANSFERS: Figure = Figure {
    name: "ledger_batch_transfers",
    help: "Transfers booked per ledger batch (one transaction, one commit).",
    buckets: &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
};

#[derive(Default)]
struct Background {
    gauges: BTreeMap<(&'static str, &'static str), (Figure, f64)>,
    histograms: BTreeMap<(&'static str, &'static str), (Figure, Histogram)>,
}

/// Figures recorded outside requests, shared by every service in the process (several run in
/// one under `imkon up`), each series labelled with its service.
static BACKGROUND: Mutex<Option<Background>> = Mutex::new(None);

fn with_background<T>(work: impl FnOnce(&mut Background) -> T) -> T {
    let mut background = BACKGROUND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    work(background.get_or_insert_with(Background::default))
}

/// Sets the gauge `figure` of `service` to `value`.
pub fn set_gauge(figure: Figure, service: &'static str, value: f64) {
    with_background(|background| {
        background
            .gauges
            .insert((figure.name, service), (figure, value));
    });
}

/// Adds `amount` to the gauge `figure` of `service` (a count since the process started).
pub fn add_to_gauge(figure: Figure, service: &'static str, amount: f64) {
    with_background(|background| {
        background
            .gauges
            .entry((figure.name, service))
            .or_insert((figure, 0.0))
            .1 += amount;
    });
}

/// Records one observation of the histogram `figure` of `service`.
pub fn observe(figure: Figure, service: &'static str, value: f64) {
    with_background(|background| {
        background
            .histograms
            .entry((figure.name, service))
            .or_insert_with(|| (figure, Histogram::default()))
            .1
            .observe(figure.buckets, value);
    });
}

fn render_background(text: &mut String, service: &str) {
    with_background(|background| {
        for ((_, owner), (figure, value)) in &background.gauges {
            if *owner == service {
                let name = figure.name;
                let _ = writeln!(text, "# HELP {name} {}\n# TYPE {name} gauge", figure.help);
                let _ = writeln!(text, "{name}{{service=\"{service}\"}} {value}");
            }
        }
        for ((_, owner), (figure, histogram)) in &background.histograms {
            if *owner == service {
                let name = figure.name;
                let _ = writeln!(
                    text,
                    "# HELP {name} {}\n# TYPE {name} histogram",
                    figure.help
                );
                histogram.write(
                    text,
                    name,
                    &format!("service=\"{service}\""),
                    figure.buckets,
                );
            }
        }
    });
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
    let seconds = started.elapsed().as_secs_f64();
    metrics.observe(method, route, response.status().as_u16(), seconds);
    response
}
