//! How long the main pages take on the server, against the 50 ms budget and against the
//! cheapest answer the same server gives, measured in the same run.
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench -p imkon-frontend --bench pages -- --rounds 100 [--concurrency 8]
//! ```
//!
//! It starts the demo platform in this process on loopback (the real onboarding, applications,
//! accounts and disbursement services on fresh databases, as the demo server does, dropped
//! at the end) and the frontend in front of it, signs in founder1, credit1, approver1 and kyc1
//! through the login page, and requests each page `rounds` times from each of `concurrency`
//! clients at once (a user's clients share the sign-in, as a browser's tabs do), after a
//! warm-up. For each page it prints, in milliseconds: the server's total from the page's
//! `Server-Timing` header (p50, p95, p99, max), the frontend's own share of it and the time
//! spent waiting for services (p50, with the number of calls), and the round trip seen by the
//! client. The baseline is `/health/live` of the same frontend (the same HTTP stack and
//! middleware, no session, no service call, no template): each page's client p50 is also
//! quoted as a multiple of the baseline's.

#[path = "../tests/support/mod.rs"]
mod support;

use std::error::Error;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use support::browser::Browser;
use support::demo::DemoDatabases;

const BUDGET_MS: f64 = 50.0;
const WARM_UP_ROUNDS: usize = 10;
const DEFAULT_ROUNDS: usize = 100;

/// One request's times, in milliseconds.
#[derive(Clone, Copy)]
struct Sample {
    client: f64,
    total: f64,
    own: f64,
    upstream: f64,
    calls: u32,
}

/// Reads `upstream;dur=…;desc="N calls", app;dur=…, total;dur=…`.
fn parse_server_timing(value: &str) -> Option<(f64, f64, f64, u32)> {
    let mut total = None;
    let mut own = None;
    let mut upstream = None;
    let mut calls = 0;
    for metric in value.split(',') {
        let mut parts = metric.trim().split(';');
        let name = parts.next()?;
        for parameter in parts {
            if let Some(duration) = parameter.strip_prefix("dur=") {
                let duration: f64 = duration.parse().ok()?;
                match name {
                    "total" => total = Some(duration),
                    "app" => own = Some(duration),
                    "upstream" => upstream = Some(duration),
                    _ => {}
                }
            } else if let Some(description) = parameter.strip_prefix("desc=") {
                calls = description
                    .trim_matches('"')
                    .split(' ')
                    .next()?
                    .parse()
                    .ok()?;
            }
        }
    }
    Some((total?, own?, upstream?, calls))
}

async fn measure(browser: &mut Browser, url: &str) -> Result<Sample, Box<dyn Error>> {
    let started = Instant::now();
    let response = browser.get(url).await;
    let status = response.status();
    let timing = response
        .headers()
        .get("server-timing")
        .and_then(|value| value.to_str().ok())
        .and_then(parse_server_timing);
    // The body is part of what the visitor waits for.
    response.bytes().await?;
    let client = started.elapsed().as_secs_f64() * 1000.0;
    if status != StatusCode::OK {
        return Err(format!("{url} answered {status}").into());
    }
    let (total, own, upstream, calls) =
        timing.ok_or_else(|| format!("{url} has no Server-Timing header"))?;
    Ok(Sample {
        client,
        total,
        own,
        upstream,
        calls,
    })
}

/// The value at quantile `q` of sorted `values` (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn sorted(samples: &[Sample], field: impl Fn(&Sample) -> f64) -> Vec<f64> {
    let mut values: Vec<f64> = samples.iter().map(field).collect();
    values.sort_by(f64::total_cmp);
    values
}

struct Row {
    label: String,
    samples: Vec<Sample>,
}

/// Requests `path` `rounds` times from each browser, the browsers at once and each one
/// request after another, after a warm-up by the first.
async fn bench_page(
    browsers: &mut [Browser],
    base: &str,
    label: &str,
    path: &str,
    rounds: usize,
) -> Result<Row, Box<dyn Error>> {
    let url = format!("{base}{path}");
    for _ in 0..WARM_UP_ROUNDS {
        measure(&mut browsers[0], &url).await?;
    }
    let capacity = rounds * browsers.len();
    let runs = browsers.iter_mut().map(|browser| {
        let url = url.clone();
        async move {
            let mut samples = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                samples.push(measure(browser, &url).await?);
            }
            Ok::<_, Box<dyn Error>>(samples)
        }
    });
    let mut samples = Vec::with_capacity(capacity);
    for run in futures::future::join_all(runs).await {
        samples.extend(run?);
    }
    Ok(Row {
        label: format!("{label} {path}"),
        samples,
    })
}

/// The first link on the page to `prefix` followed by one more path segment.
fn first_link(html: &str, prefix: &str) -> Option<String> {
    let needle = format!("href=\"{prefix}");
    html.match_indices(&needle).find_map(|(at, _)| {
        let rest = &html[at + needle.len()..];
        let segment = &rest[..rest.find('"')?];
        let is_one_segment = !segment.is_empty()
            && segment
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || character == '-');
        is_one_segment.then(|| format!("{prefix}{segment}"))
    })
}

/// `count` browsers signed in as `username`. They share one sign-in, as tabs of one browser
/// do: onboarding limits sign-in attempts per address, and every client here is 127.0.0.1.
async fn signed_in(
    base: &str,
    onboarding: &sqlx::PgPool,
    username: &str,
    count: usize,
) -> Result<Vec<Browser>, Box<dyn Error>> {
    let mut browser = Browser::speaking("uz-Latn");
    let password = format!("{username}-demo-pass");
    let response = browser
        .sign_in(
            base,
            onboarding,
            &[("username", username), ("password", &password)],
        )
        .await;
    if response.status() != StatusCode::SEE_OTHER {
        return Err(format!("{username} could not sign in: {}", response.status()).into());
    }
    Ok(vec![browser; count])
}

/// The number after `--name`, or `default`.
fn number_argument(name: &str, default: usize) -> Result<usize, Box<dyn Error>> {
    let arguments: Vec<String> = std::env::args().collect();
    match arguments.iter().position(|argument| argument == name) {
        Some(at) => Ok(arguments
            .get(at + 1)
            .ok_or_else(|| format!("{name} needs a number"))?
            .parse()?),
        None => Ok(default),
    }
}

async fn run(
    base: &str,
    onboarding: &sqlx::PgPool,
    rounds: usize,
    concurrency: usize,
) -> Result<(Row, Vec<Row>), Box<dyn Error>> {
    let mut visitors: Vec<Browser> = (0..concurrency)
        .map(|_| Browser::speaking("uz-Latn"))
        .collect();
    let baseline = bench_page(&mut visitors, base, "baseline", "/health/live", rounds).await?;
    let mut rows = Vec::new();
    for path in ["/", "/calculator", "/login"] {
        rows.push(bench_page(&mut visitors, base, "visitor", path, rounds).await?);
    }

    let mut founders = signed_in(base, onboarding, "founder1", concurrency).await?;
    let (_, accounts) = founders[0].page(&format!("{base}/accounts")).await;
    let (_, contracts) = founders[0].page(&format!("{base}/contracts")).await;
    let mut founder_pages: Vec<String> = [
        "/programmes",
        "/applications",
        "/profile",
        "/documents",
        "/kyc",
        "/accounts",
        "/contracts",
    ]
    .map(str::to_owned)
    .to_vec();
    founder_pages.extend(first_link(&accounts, "/accounts/"));
    founder_pages.extend(first_link(&contracts, "/contracts/"));
    for path in &founder_pages {
        rows.push(bench_page(&mut founders, base, "founder1", path, rounds).await?);
    }

    let mut credit = signed_in(base, onboarding, "credit1", concurrency).await?;
    for path in ["/applications", "/reviews"] {
        rows.push(bench_page(&mut credit, base, "credit1", path, rounds).await?);
    }
    let mut approvers = signed_in(base, onboarding, "approver1", concurrency).await?;
    let (_, staff_contracts) = approvers[0].page(&format!("{base}/contracts")).await;
    let mut approver_pages: Vec<String> = ["/portfolio", "/arrears", "/contracts"]
        .map(str::to_owned)
        .to_vec();
    approver_pages.extend(first_link(&staff_contracts, "/contracts/"));
    for path in &approver_pages {
        rows.push(bench_page(&mut approvers, base, "approver1", path, rounds).await?);
    }
    let mut kyc = signed_in(base, onboarding, "kyc1", concurrency).await?;
    rows.push(bench_page(&mut kyc, base, "kyc1", "/kyc/cases", rounds).await?);
    Ok((baseline, rows))
}

fn print_report(baseline: &Row, rows: &[Row], rounds: usize, concurrency: usize) {
    let baseline_client = quantile(&sorted(&baseline.samples, |s| s.client), 0.5);
    let baseline_total = quantile(&sorted(&baseline.samples, |s| s.total), 0.5);
    println!(
        "frontend page times, milliseconds: {concurrency} client(s) at once, each making \
         {rounds} requests per page one after another, after {WARM_UP_ROUNDS} warm-up"
    );
    println!(
        "baseline {}: client p50 {baseline_client:.2}, server total p50 {baseline_total:.2}",
        baseline.label
    );
    println!(
        "{:<34} {:>7} {:>7} {:>7} {:>7} | {:>6} {:>8} {:>5} | {:>7} {:>8} {:>8}",
        "page",
        "tot p50",
        "p95",
        "p99",
        "max",
        "own",
        "upstream",
        "calls",
        "client",
        "×base",
        "p99/50ms"
    );
    let mut over_budget = 0;
    for row in rows {
        let total = sorted(&row.samples, |s| s.total);
        let client = quantile(&sorted(&row.samples, |s| s.client), 0.5);
        let p99 = quantile(&total, 0.99);
        if p99 > BUDGET_MS {
            over_budget += 1;
        }
        println!(
            "{:<34} {:>7.2} {:>7.2} {:>7.2} {:>7.2} | {:>6.2} {:>8.2} {:>5} | {:>7.2} {:>7.1}× {:>8.2}",
            row.label,
            quantile(&total, 0.5),
            quantile(&total, 0.95),
            p99,
            total[total.len() - 1],
            quantile(&sorted(&row.samples, |s| s.own), 0.5),
            quantile(&sorted(&row.samples, |s| s.upstream), 0.5),
            row.samples[0].calls,
            client,
            client / baseline_client,
            p99 / BUDGET_MS,
        );
    }
    println!(
        "{over_budget} of {} pages over the {BUDGET_MS} ms budget at p99",
        rows.len()
    );
    println!(
        "command: DATABASE_URL=… cargo bench -p imkon-frontend --bench pages -- --rounds {rounds} \
         --concurrency {concurrency}"
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let rounds = number_argument("--rounds", DEFAULT_ROUNDS)?;
    let concurrency = number_argument("--concurrency", 1)?.max(1);
    let database_url =
        std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL to a PostgreSQL server")?;
    let shutdown = CancellationToken::new();
    let databases = DemoDatabases::create(&database_url).await?;
    let outcome = async {
        let (services, money) = databases.start_services(&shutdown).await?;
        let urls = imkon_frontend::ServiceUrls {
            onboarding: services.onboarding.url(""),
            applications: services.applications.url(""),
            scoring: "http://127.0.0.1:1".to_owned(),
            disbursement: money.disbursement.url(""),
            accounts: money.accounts.url(""),
        };
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let served = tokio::spawn(imkon_frontend::run_on(listener, urls, shutdown.clone()));
        let measured = run(&base, &services.onboarding_pool, rounds, concurrency).await;
        shutdown.cancel();
        served.await??;
        drop((services, money));
        measured
    }
    .await;
    // Give the services a moment to close their connections before the databases go.
    tokio::time::sleep(Duration::from_millis(200)).await;
    databases.drop_all().await?;
    let (baseline, rows) = outcome?;
    print_report(&baseline, &rows, rounds, concurrency);
    Ok(())
}
