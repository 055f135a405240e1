//! How fast the scoring service evaluates, beside how long serde_json alone takes to parse the
//! same batch: in process, and through `POST /v1/scorecards/{id}/evaluate-batch` over HTTP on
//! a fresh database. Not a test; run it with
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p imkon-scoring --bench evaluate
//! ```
//!
//! The scorecard is the domain's 20-characteristic synthetic one; every row has all twenty
//! inputs drawn uniformly from -10 to 110 with two decimals, one in twenty missing.

use std::str::FromStr;
use std::time::{Duration, Instant};

use imkon_auth::{Audience, Principal};
use imkon_platform::config::HttpLimits;
use imkon_platform::testing::{test_tokens, TestServer};
use imkon_scoring::domain::evaluation::evaluate;
use imkon_scoring::domain::seeds::{synthetic_input_names, synthetic_scorecard};
use imkon_scoring::http::definition::ScorecardDefinition;
use imkon_scoring::http::evaluations::{
    score_rows, write_batch_response, BatchHeader, BatchRequest,
};
use imkon_scoring::http::numbers::parse_inputs;
use imkon_scoring::{app, migrator, AppState};
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor};

/// Rows per batch: the most one request may carry.
const ROWS: usize = 10_000;

/// Each figure is the median of this many runs, after one warm-up run.
const RUNS: usize = 7;

fn batch_json() -> String {
    let mut random = rand::rngs::StdRng::seed_from_u64(20_261_126);
    let names = synthetic_input_names();
    let rows: Vec<String> = (0..ROWS)
        .map(|_| {
            let fields: Vec<String> = names
                .iter()
                .map(|name| {
                    if random.gen_ratio(1, 20) {
                        format!("\"{name}\":null")
                    } else {
                        let hundredths: i64 = random.gen_range(-1_000..11_000);
                        format!("\"{name}\":{}", rust_decimal::Decimal::new(hundredths, 2))
                    }
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        })
        .collect();
    format!("{{\"rows\":[{}]}}", rows.join(","))
}

/// The median time of `RUNS` runs of `work`, after one warm-up.
fn median_of<F: FnMut()>(mut work: F) -> Duration {
    work();
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

struct Figure {
    what: &'static str,
    time: Duration,
}

fn print_figures(figures: &[Figure], parse_time: Duration) {
    println!(
        "{:<62} {:>12} {:>16} {:>14}",
        "run (10 000 rows, 20 characteristics)", "ms/batch", "evaluations/s", "x parse time"
    );
    for figure in figures {
        let seconds = figure.time.as_secs_f64();
        println!(
            "{:<62} {:>12.2} {:>16.0} {:>14.2}",
            figure.what,
            seconds * 1000.0,
            ROWS as f64 / seconds,
            seconds / parse_time.as_secs_f64()
        );
    }
}

fn main() {
    let body = batch_json();
    println!(
        "batch: {ROWS} rows, {} bytes of JSON; median of {RUNS} runs after a warm-up\n",
        body.len()
    );
    let scorecard = synthetic_scorecard();

    let parse_only = median_of(|| {
        let value: Value = serde_json::from_str(&body).expect("the batch is valid JSON");
        std::hint::black_box(value);
    });
    let parsed: BatchRequest = serde_json::from_str(&body).expect("the batch is a batch request");
    let inputs: Vec<_> = parsed
        .rows
        .iter()
        .map(|row| parse_inputs(row).expect("every generated input is a number or null"))
        .collect();
    let evaluate_only = median_of(|| {
        for row in &inputs {
            std::hint::black_box(evaluate(&scorecard, row).expect("every row scores"));
        }
    });
    let in_process = median_of(|| {
        let request: BatchRequest = serde_json::from_str(&body).expect("a batch request");
        let results = score_rows(&scorecard, &request.rows).expect("every row scores");
        let header = BatchHeader {
            scorecard_id: uuid::Uuid::nil(),
            version: 1,
            version_status: "active",
        };
        std::hint::black_box(write_batch_response(&header, &results));
    });
    let over_http = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime")
        .block_on(time_over_http(&body));

    print_figures(
        &[
            Figure {
                what: "serde_json parse of the batch into a Value (baseline)",
                time: parse_only,
            },
            Figure {
                what: "in process: evaluate only (inputs already read)",
                time: evaluate_only,
            },
            Figure {
                what: "in process: read exact JSON + evaluate + write results",
                time: in_process,
            },
            Figure {
                what: "over HTTP: POST evaluate-batch, response read",
                time: over_http,
            },
        ],
        parse_only,
    );
    println!(
        "\ncommand: DATABASE_URL=<server> cargo bench -p imkon-scoring --bench evaluate (release profile)"
    );
}

/// Serves the app on port 0 against a fresh database on the DATABASE_URL server, creates and
/// activates the synthetic scorecard, and times the batch endpoint; the database is dropped
/// afterwards.
async fn time_over_http(body: &str) -> Duration {
    let url = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL names the PostgreSQL server to benchmark against");
    let server_options = PgConnectOptions::from_str(&url)
        .expect("DATABASE_URL is a PostgreSQL URL")
        .disable_statement_logging();
    let database = format!("scoring_bench_{}", uuid::Uuid::now_v7().simple());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(server_options.clone())
        .await
        .expect("the DATABASE_URL server answers");
    admin
        .execute(format!("create database {database}").as_str())
        .await
        .expect("create the benchmark database");
    // The timed work runs as a task so that, should it fail, the database is dropped all the
    // same before the failure is reported.
    let work = tokio::spawn(time_batches(
        server_options.database(&database),
        body.to_owned(),
    ))
    .await;
    admin
        .execute(format!("drop database {database} with (force)").as_str())
        .await
        .expect("drop the benchmark database");
    match work {
        Ok(median) => median,
        Err(failure) => std::panic::resume_unwind(failure.into_panic()),
    }
}

/// Times the batch endpoint of an app served on port 0 over `database`.
async fn time_batches(database: PgConnectOptions, body: String) -> Duration {
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(database)
        .await
        .expect("connect to the benchmark database");
    migrator().run(&pool).await.expect("migrations apply");

    let (issuer, verifier) = test_tokens(Audience::Scoring);
    let server = TestServer::start(app(AppState {
        pool: pool.clone(),
        limits: HttpLimits::default(),
        verifier,
    }))
    .await;
    let officer = Principal::user(
        uuid::Uuid::now_v7(),
        [imkon_auth::Role::CreditOfficer],
        None,
        None,
    )
    .expect("an officer");
    let token = issuer
        .issue(&officer, Audience::Scoring, Duration::from_secs(600))
        .expect("a token")
        .as_str()
        .to_owned();
    // A second officer activates what the first wrote (four eyes).
    let second_officer = Principal::user(
        uuid::Uuid::now_v7(),
        [imkon_auth::Role::CreditOfficer],
        None,
        None,
    )
    .expect("an officer");
    let second_token = issuer
        .issue(&second_officer, Audience::Scoring, Duration::from_secs(600))
        .expect("a token")
        .as_str()
        .to_owned();
    let definition =
        serde_json::to_string(&ScorecardDefinition::from_scorecard(&synthetic_scorecard()))
            .expect("the definition serialises");
    let created: Value = server
        .client
        .post(server.url("/v1/scorecards"))
        .bearer_auth(&token)
        .header("idempotency-key", "bench-create")
        .header("content-type", "application/json")
        .body(definition)
        .send()
        .await
        .expect("create the scorecard")
        .json()
        .await
        .expect("a created scorecard");
    let id = created["id"].as_str().expect("an id").to_owned();
    let proposed = server
        .client
        .post(server.url(&format!("/v1/scorecards/{id}/versions/1/proposal")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("propose the scorecard's activation");
    assert_eq!(proposed.status(), 200, "the activation is proposed");
    let activated = server
        .client
        .post(server.url(&format!("/v1/scorecards/{id}/activate")))
        .bearer_auth(&second_token)
        .header("idempotency-key", "bench-activate")
        .send()
        .await
        .expect("activate the scorecard");
    assert_eq!(activated.status(), 200, "the scorecard is activated");

    let path = server.url(&format!("/v1/scorecards/{id}/evaluate-batch"));
    let mut times = Vec::with_capacity(RUNS);
    for run in 0..=RUNS {
        let started = Instant::now();
        let response = server
            .client
            .post(&path)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("the batch request is answered");
        assert_eq!(response.status(), 200, "the batch is scored");
        let text = response.text().await.expect("the response is read");
        let elapsed = started.elapsed();
        if run == 0 {
            let batch: Value = serde_json::from_str(&text).expect("a batch response");
            assert_eq!(batch["results"].as_array().map(Vec::len), Some(ROWS));
        } else {
            times.push(elapsed);
        }
    }
    times.sort();

    drop(server);
    pool.close().await;
    times[RUNS / 2]
}
