//! How long each response took on the server, told to the browser and to the logs.
//!
//! A page's time has two parts: waiting for the services it calls, and the frontend's own work
//! (reading the session, deciding, rendering the template). Every response carries both in a
//! `Server-Timing` header (`upstream;dur=…;desc="N calls", app;dur=…, total;dur=…`, in
//! milliseconds, to 10 µs), which the browser's developer tools show and the page benchmark reads.
//! A page whose total passes [`PAGE_BUDGET`] is logged as a warning with both parts, so a slow
//! service and a slow template are told apart in production.
//!
//! Service calls are counted through a task-local clock that [`server_timing`] sets for the
//! request; calls made with [`send_timed`] add to it. Calls that overlap (joined futures) are
//! summed, so `upstream` is the time spent in calls rather than wall time, and `app` is never
//! reported below zero.

use std::cell::Cell;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use reqwest::RequestBuilder;

use crate::web::security::is_page;

/// The server time a page should stay under.
pub const PAGE_BUDGET: Duration = Duration::from_millis(50);

/// The response header the timings travel in.
pub const SERVER_TIMING: &str = "server-timing";

/// Time spent in service calls during one request.
#[derive(Default)]
struct UpstreamClock {
    calls: Cell<u32>,
    spent: Cell<Duration>,
}

tokio::task_local! {
    static UPSTREAM: UpstreamClock;
}

/// Sends `request` and adds the time until its answer's headers arrived to the request's
/// clock. Outside a timed request (a background task, a unit test) it only sends.
pub async fn send_timed(request: RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let started = Instant::now();
    let answer = request.send().await;
    let elapsed = started.elapsed();
    // Outside a timed request there is no clock to add to, and nothing is lost by not adding.
    let _outside_a_request = UPSTREAM.try_with(|clock| {
        clock.calls.set(clock.calls.get() + 1);
        clock.spent.set(clock.spent.get() + elapsed);
    });
    answer
}

/// One request's timings, as the header reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timings {
    pub total: Duration,
    pub upstream: Duration,
    pub upstream_calls: u32,
}

impl Timings {
    /// The frontend's own share: the total less the time spent waiting for services.
    pub fn own(&self) -> Duration {
        self.total.saturating_sub(self.upstream)
    }

    /// The `Server-Timing` header value.
    pub fn header_value(&self) -> String {
        format!(
            "upstream;dur={:.2};desc=\"{} calls\", app;dur={:.2}, total;dur={:.2}",
            milliseconds(self.upstream),
            self.upstream_calls,
            milliseconds(self.own()),
            milliseconds(self.total),
        )
    }
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Times the request, adds the `Server-Timing` header and warns about a page over budget.
pub async fn server_timing(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let path = request.uri().path().to_owned();
    let (mut response, upstream, upstream_calls) = UPSTREAM
        .scope(UpstreamClock::default(), async move {
            let response = next.run(request).await;
            let (spent, calls) = UPSTREAM.with(|clock| (clock.spent.get(), clock.calls.get()));
            (response, spent, calls)
        })
        .await;
    let timings = Timings {
        total: started.elapsed(),
        upstream,
        upstream_calls,
    };
    if is_page(&response) && timings.total > PAGE_BUDGET {
        tracing::warn!(
            path,
            total_ms = milliseconds(timings.total),
            upstream_ms = milliseconds(timings.upstream),
            upstream_calls = timings.upstream_calls,
            own_ms = milliseconds(timings.own()),
            "a page took longer than its budget"
        );
    }
    if let Ok(value) = HeaderValue::from_str(&timings.header_value()) {
        response.headers_mut().insert(SERVER_TIMING, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_names_each_part_in_milliseconds() {
        let timings = Timings {
            total: Duration::from_micros(12_340),
            upstream: Duration::from_micros(9_000),
            upstream_calls: 3,
        };
        assert_eq!(
            timings.header_value(),
            "upstream;dur=9.00;desc=\"3 calls\", app;dur=3.34, total;dur=12.34"
        );
    }

    #[test]
    fn overlapping_calls_never_make_the_own_share_negative() {
        let timings = Timings {
            total: Duration::from_millis(10),
            upstream: Duration::from_millis(18),
            upstream_calls: 2,
        };
        assert_eq!(timings.own(), Duration::ZERO);
    }

    #[tokio::test]
    async fn calls_outside_a_timed_request_are_sent_without_a_clock() {
        let client = reqwest::Client::new();
        let answer = send_timed(client.get("http://127.0.0.1:1/")).await;
        assert!(answer.is_err(), "nothing listens on port 1");
    }
}
