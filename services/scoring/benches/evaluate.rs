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
use imkon_scoring::domain::evaluation::{evaluate, Inputs};
use imkon_scoring::domain::scorecard::Scorecard;
use imkon_scoring::domain::seeds::{synthetic_input_names, synthetic_scorecard};
use imkon_scoring::http::batch_body::parse_batch_rows;
use imkon_scoring::http::definition::ScorecardDefinition;
use imkon_scoring::http::evaluations::{write_batch, BatchExplanation, BatchHeader, BatchRequest};
use imkon_scoring::http::numbers::parse_inputs;
use imkon_scoring::{app, migrator, AppState};
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor};

/// Rows per batch: the most one request may carry.
const ROWS: usize = 10_000;

/// Each figure is the median of this many rounds, after one warm-up round.
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

/// The time `work` takes.
fn timed<F: FnOnce()>(work: F) -> Duration {
    let started = Instant::now();
    work();
    started.elapsed()
}

/// What each round measures, in the order it measures it; the first is the baseline the others
/// are divided by.
const STEPS: [&str; 8] = [
    "serde_json parse of the batch into a Value (baseline)",
    "in process: evaluate only (inputs already read)",
    "in process: read exact JSON + evaluate + write results, explain=full",
    "in process: the same, explain=none",
    "in process: the same, explain=bins",
    "over HTTP: POST evaluate-batch (explain=bins), response read",
    "over HTTP: POST evaluate-batch?explain=full, response read",
    "over HTTP: POST evaluate-batch?explain=none, response read",
];

/// One round's time for each of [`STEPS`].
type Round = [Duration; STEPS.len()];

/// The batch and what the in-process steps need, owned so the timed task can hold them.
struct Workload {
    body: String,
    scorecard: Scorecard,
    inputs: Vec<Inputs>,
}

impl Workload {
    /// The in-process steps of one round, in the order of [`STEPS`].
    fn time_in_process(&self) -> [Duration; 5] {
        let parse = timed(|| {
            let value: Value = serde_json::from_str(&self.body).expect("the batch is valid JSON");
            std::hint::black_box(value);
        });
        let evaluate_only = timed(|| {
            for row in &self.inputs {
                std::hint::black_box(evaluate(&self.scorecard, row).expect("every row scores"));
            }
        });
        let in_process = |explanation| {
            timed(|| {
                let rows = parse_batch_rows(&self.scorecard, self.body.as_bytes())
                    .expect("a batch request");
                let header = BatchHeader {
                    scorecard_id: uuid::Uuid::nil(),
                    version: 1,
                    version_status: "active",
                };
                std::hint::black_box(
                    write_batch(&self.scorecard, &header, rows, explanation)
                        .expect("every row scores"),
                );
            })
        };
        [
            parse,
            evaluate_only,
            in_process(BatchExplanation::Full),
            in_process(BatchExplanation::None),
            in_process(BatchExplanation::Bins),
        ]
    }
}

/// The median of some durations or ratios.
fn median<T: Copy + PartialOrd>(mut values: Vec<T>) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).expect("times and ratios are never NaN"));
    values[values.len() / 2]
}

fn print_rounds(rounds: &[Round]) {
    println!(
        "{:<70} {:>12} {:>16} {:>14}",
        "run (10 000 rows, 20 characteristics)", "ms/batch", "evaluations/s", "x parse time"
    );
    for (step, what) in STEPS.iter().enumerate() {
        let seconds = median(
            rounds
                .iter()
                .map(|round| round[step].as_secs_f64())
                .collect(),
        );
        let ratio = median(
            rounds
                .iter()
                .map(|round| round[step].as_secs_f64() / round[0].as_secs_f64())
                .collect(),
        );
        println!(
            "{:<70} {:>12.2} {:>16.0} {:>14.2}",
            what,
            seconds * 1000.0,
            ROWS as f64 / seconds,
            ratio
        );
    }
}

fn main() {
    let body = batch_json();
    println!(
        "batch: {ROWS} rows, {} bytes of JSON; {RUNS} rounds after a warm-up, each running every \
         step once in turn; times are medians, ratios medians of each round's ratio\n",
        body.len()
    );
    let scorecard = synthetic_scorecard();
    let parsed: BatchRequest = serde_json::from_str(&body).expect("the batch is a batch request");
    let inputs: Vec<_> = parsed
        .rows
        .iter()
        .map(|row| parse_inputs(row).expect("every generated input is a number or null"))
        .collect();
    let rounds = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime")
        .block_on(time_over_http(Workload {
            body,
            scorecard,
            inputs,
        }));
    print_rounds(&rounds);
    println!(
        "\ncommand: DATABASE_URL=<server> cargo bench -p imkon-scoring --bench evaluate (release profile)"
    );
}

/// Serves the app on port 0 against a fresh database on the DATABASE_URL server, creates and
/// activates the synthetic scorecard, and times the batch endpoint; the database is dropped
/// afterwards.
async fn time_over_http(workload: Workload) -> Vec<Round> {
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
    let work = tokio::spawn(time_batches(server_options.database(&database), workload)).await;
    admin
        .execute(format!("drop database {database} with (force)").as_str())
        .await
        .expect("drop the benchmark database");
    match work {
        Ok(rounds) => rounds,
        Err(failure) => std::panic::resume_unwind(failure.into_panic()),
    }
}

/// Times the batch endpoint of an app served on port 0 over `database`.
/// Runs the rounds: the in-process steps, then the batch endpoint of an app served on port 0
/// over `database`, fully explained, with `explain=none` and with `explain=bins`. Every step
/// runs once per round, so a moment of load on a shared machine falls on one round's steps
/// alike rather than on one step's runs.
async fn time_batches(database: PgConnectOptions, workload: Workload) -> Vec<Round> {
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
    let full_path = format!("{path}?explain=full");
    let unexplained_path = format!("{path}?explain=none");
    let mut rounds = Vec::with_capacity(RUNS);
    for round in 0..=RUNS {
        let [parse, evaluate_only, in_process_full, in_process_unexplained, in_process_bins] =
            workload.time_in_process();
        let mut over_http = [Duration::ZERO; 3];
        let paths = [&path, &full_path, &unexplained_path];
        for (path, time) in paths.into_iter().zip(&mut over_http) {
            let started = Instant::now();
            let response = server
                .client
                .post(path)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(workload.body.clone())
                .send()
                .await
                .expect("the batch request is answered");
            assert_eq!(response.status(), 200, "the batch is scored");
            let text = response.text().await.expect("the response is read");
            *time = started.elapsed();
            if round == 0 {
                let batch: Value = serde_json::from_str(&text).expect("a batch response");
                assert_eq!(batch["results"].as_array().map(Vec::len), Some(ROWS));
                println!("response: {} bytes ({path})", text.len());
            }
        }
        if round > 0 {
            rounds.push([
                parse,
                evaluate_only,
                in_process_full,
                in_process_unexplained,
                in_process_bins,
                over_http[0],
                over_http[1],
                over_http[2],
            ]);
        }
    }

    drop(server);
    pool.close().await;
    rounds
}
