//! Throughput of `POST /v1/transfers` over HTTP, beside PostgreSQL's own `pgbench -N` at the
//! same client count on the same server.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo bench -p imkon-accounts --bench transfers -- --concurrency 16 --transfers 20000
//! ```
//!
//! Two shapes, each with its own idempotency key per transfer:
//! - `spread`: between random pairs of 10 000 client accounts (little contention);
//! - `hot`: every transfer debits one programme fund account (the design's hot account).
//!
//! The service runs in this process on a loopback port (the real router, writer and database),
//! in fresh databases `imkon_accounts_bench` and `imkon_accounts_bench_pgbench` that are
//! dropped and recreated on every run. It prints transfers per second, p50 and p99 latency,
//! the ratio to pgbench's transactions per second, and the command that produced them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use imkon_accounts::db::accounts::AccountRow;
use imkon_accounts::domain::account::{AccountId, AccountKind, AccountOwner, ClientId, Side};
use imkon_accounts::domain::transfer::{LegDraft, Transfer, TransferDraft, TransferKind};
use imkon_accounts::ledger::{TransferRequest, LEDGER_SCOPE};
use imkon_accounts::opening::{open_account, AccountOpening};
use imkon_accounts::{app, default_bank_code, migrator, AppState};
use imkon_auth::{Audience, Principal};
use imkon_platform::config::HttpLimits;
use imkon_platform::id::new_id;
use imkon_platform::money::Currency;
use imkon_platform::testing::{test_tokens, TestServer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};

const BENCH_DATABASE: &str = "imkon_accounts_bench";
const PGBENCH_DATABASE: &str = "imkon_accounts_bench_pgbench";

struct Options {
    concurrency: usize,
    transfers: usize,
    accounts: usize,
    pgbench_seconds: u32,
    seed: u64,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        concurrency: 16,
        transfers: 10_000,
        accounts: 10_000,
        pgbench_seconds: 10,
        seed: 1,
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(flag) = arguments.next() {
        // `cargo bench` passes `--bench` to every bench program; it means nothing here.
        if flag == "--bench" {
            continue;
        }
        let mut value = || {
            arguments
                .next()
                .and_then(|text| text.parse::<u64>().ok())
                .ok_or_else(|| format!("{flag} needs a number"))
        };
        match flag.as_str() {
            "--concurrency" => options.concurrency = value()? as usize,
            "--transfers" => options.transfers = value()? as usize,
            "--accounts" => options.accounts = value()? as usize,
            "--pgbench-seconds" => options.pgbench_seconds = value()? as u32,
            "--seed" => options.seed = value()?,
            other => {
                return Err(format!(
                    "unknown option {other}; use --concurrency N --transfers N --accounts N --pgbench-seconds N --seed N"
                ))
            }
        }
    }
    if options.concurrency == 0 || options.accounts < 2 {
        return Err("--concurrency must be at least 1 and --accounts at least 2".to_owned());
    }
    Ok(options)
}

/// Drops and creates a database on the server of `server_url`, returning its URL.
async fn fresh_database(server_url: &str, name: &str) -> Result<String, sqlx::Error> {
    let mut connection = PgConnection::connect(server_url).await?;
    sqlx::query(&format!("drop database if exists {name} with (force)"))
        .execute(&mut connection)
        .await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut connection)
        .await?;
    let (server, _) = server_url
        .rsplit_once('/')
        .ok_or_else(|| sqlx::Error::Configuration("DATABASE_URL has no database".into()))?;
    Ok(format!("{server}/{name}"))
}

async fn open(
    pool: &PgPool,
    kind: AccountKind,
    owner: AccountOwner,
    allow_negative: bool,
) -> AccountRow {
    let mut transaction = pool.begin().await.expect("begin");
    let account = open_account(
        &mut transaction,
        default_bank_code(),
        &AccountOpening {
            kind,
            owner,
            currency: Currency::Uzs,
            allow_negative,
            name: None,
        },
    )
    .await
    .expect("open an account");
    transaction.commit().await.expect("commit");
    account
}

/// Books `transfer` through the service's writer, as the set-up's funding.
async fn book(state: &AppState, transfer: Transfer) {
    state
        .ledger
        .submit(TransferRequest {
            scope: LEDGER_SCOPE.to_owned(),
            fingerprint: transfer.idempotency_key().to_string(),
            transfer,
            hold: false,
            actor_id: new_id(),
            actor_roles: vec!["service".to_owned()],
            request_id: None,
        })
        .await
        .expect("the funding transfer is booked");
}

fn funding(settlement: &AccountRow, accounts: &[AccountRow], amount: Decimal) -> Transfer {
    let mut legs = vec![LegDraft {
        account_id: AccountId::from_uuid(settlement.id),
        side: Side::Debit,
        amount: amount * Decimal::from(accounts.len()),
        currency: Currency::Uzs,
    }];
    legs.extend(accounts.iter().map(|account| LegDraft {
        account_id: AccountId::from_uuid(account.id),
        side: Side::Credit,
        amount,
        currency: Currency::Uzs,
    }));
    Transfer::validate(&TransferDraft {
        idempotency_key: format!("bench-funding-{}", new_id()),
        kind: TransferKind::Deposit,
        reference: "benchmark funding".to_owned(),
        legs,
    })
    .expect("a funding transfer is balanced")
}

struct Measurement {
    transfers_per_second: f64,
    p50: Duration,
    p99: Duration,
    refused: usize,
}

/// Sends `pairs` (debit, credit) as transfers from `concurrency` workers and measures them.
async fn drive(
    server: &TestServer,
    token: &str,
    pairs: Vec<(String, String)>,
    concurrency: usize,
    shape: &str,
) -> Measurement {
    let pairs = Arc::new(pairs);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (pairs, next) = (Arc::clone(&pairs), Arc::clone(&next));
        let (client, url, token) = (
            server.client.clone(),
            server.url("/v1/transfers"),
            token.to_owned(),
        );
        let shape = shape.to_owned();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut refused = 0;
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((debit, credit)) = pairs.get(index) else { break };
                let body = json!({"kind": "disbursement", "reference": format!("bench:{shape}"), "currency": "UZS",
                    "legs": [{"account": debit, "side": "debit", "amount": "1.00"},
                             {"account": credit, "side": "credit", "amount": "1.00"}]});
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("bench-{shape}-{index}"))
                    .json(&body)
                    .send()
                    .await
                    .expect("the service answers");
                let status = response.status();
                let _ = response.bytes().await;
                latencies.push(sent.elapsed());
                if status != 201 {
                    refused += 1;
                }
            }
            (latencies, refused)
        }));
    }
    let mut latencies = Vec::new();
    let mut refused = 0;
    for worker in workers {
        let (mine, refused_here) = worker.await.expect("a worker finishes");
        latencies.extend(mine);
        refused += refused_here;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let percentile = |fraction: f64| {
        latencies[((latencies.len() as f64 * fraction) as usize).min(latencies.len() - 1)]
    };
    Measurement {
        transfers_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(0.50),
        p99: percentile(0.99),
        refused,
    }
}

/// Runs `pgbench -N` (the simple-update script without the hot branch and teller rows) at
/// `clients` clients on the same server and returns its transactions per second.
fn pgbench(database_url: &str, clients: usize, seconds: u32) -> Result<(f64, String), String> {
    let threads = clients.min(std::thread::available_parallelism().map_or(1, |n| n.get()));
    let initialise = std::process::Command::new("pgbench")
        .args(["-i", "-q", "-s", "10", database_url])
        .output()
        .map_err(|error| format!("cannot run pgbench: {error}"))?;
    if !initialise.status.success() {
        return Err(String::from_utf8_lossy(&initialise.stderr).into_owned());
    }
    let arguments = [
        "-N".to_owned(),
        "-c".to_owned(),
        clients.to_string(),
        "-j".to_owned(),
        threads.to_string(),
        "-T".to_owned(),
        seconds.to_string(),
    ];
    let run = std::process::Command::new("pgbench")
        .args(&arguments)
        .arg(database_url)
        .output()
        .map_err(|error| format!("cannot run pgbench: {error}"))?;
    let report = String::from_utf8_lossy(&run.stdout).into_owned();
    let tps = report
        .lines()
        .find(|line| line.starts_with("tps = "))
        .and_then(|line| line.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|number| number.parse::<f64>().ok())
        .ok_or_else(|| {
            format!(
                "pgbench printed no tps: {report}{}",
                String::from_utf8_lossy(&run.stderr)
            )
        })?;
    Ok((
        tps,
        format!("pgbench {} <{PGBENCH_DATABASE}>", arguments.join(" ")),
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    let server_url = std::env::var("DATABASE_URL").map_err(|_| {
        "set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres"
    })?;
    let database_url = fresh_database(&server_url, BENCH_DATABASE).await?;
    let pool = PgPoolOptions::new()
        .max_connections(options.concurrency as u32 + 4)
        .connect(&database_url)
        .await?;
    migrator().run(&pool).await?;
    let (issuer, verifier) = test_tokens(Audience::Accounts);
    let state = AppState::new(pool.clone(), HttpLimits::default(), verifier);
    let server = TestServer::start(app(state.clone())).await;
    let token = issuer
        .issue(
            &Principal::service(new_id(), Some("benchmark".to_owned()))?,
            Audience::Accounts,
            Duration::from_secs(900),
        )?
        .as_str()
        .to_owned();

    eprintln!("opening {} accounts…", options.accounts);
    let settlement = open(&pool, AccountKind::BankSettlement, AccountOwner::Bank, true).await;
    let fund = open(&pool, AccountKind::GrantFund, AccountOwner::Bank, false).await;
    let mut clients = Vec::with_capacity(options.accounts);
    for _ in 0..options.accounts {
        clients.push(
            open(
                &pool,
                AccountKind::ClientCurrent,
                AccountOwner::Client(ClientId::from_uuid(new_id())),
                false,
            )
            .await,
        );
    }
    let per_account = Decimal::from(1_000_000);
    for chunk in clients.chunks(31) {
        book(&state, funding(&settlement, chunk, per_account)).await;
    }
    book(
        &state,
        funding(
            &settlement,
            std::slice::from_ref(&fund),
            Decimal::from(1_000_000_000),
        ),
    )
    .await;

    let mut random = StdRng::seed_from_u64(options.seed);
    let spread_pairs: Vec<(String, String)> = (0..options.transfers)
        .map(|_| {
            let from = random.gen_range(0..clients.len());
            let mut to = random.gen_range(0..clients.len() - 1);
            if to >= from {
                to += 1;
            }
            (clients[from].number.clone(), clients[to].number.clone())
        })
        .collect();
    let hot_pairs: Vec<(String, String)> = (0..options.transfers)
        .map(|_| {
            (
                fund.number.clone(),
                clients[random.gen_range(0..clients.len())].number.clone(),
            )
        })
        .collect();

    eprintln!(
        "driving {} transfers per shape at concurrency {}…",
        options.transfers, options.concurrency
    );
    let spread = drive(&server, &token, spread_pairs, options.concurrency, "spread").await;
    let hot = drive(&server, &token, hot_pairs, options.concurrency, "hot").await;

    eprintln!(
        "running pgbench -N at {} clients for {} s…",
        options.concurrency, options.pgbench_seconds
    );
    let pgbench_url = fresh_database(&server_url, PGBENCH_DATABASE).await?;
    let (pgbench_tps, pgbench_command) =
        pgbench(&pgbench_url, options.concurrency, options.pgbench_seconds)?;

    let profile = if cfg!(debug_assertions) {
        "debug (unoptimised)"
    } else {
        "optimised"
    };
    println!(
        "command: {}",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    println!("build: {profile}; service and load generator share this process");
    println!("pgbench: {pgbench_command}: {pgbench_tps:.0} tps");
    println!(
        "{:<8} {:>12} {:>10} {:>10} {:>14} {:>8}",
        "shape", "transfers/s", "p50 ms", "p99 ms", "vs pgbench -N", "refused"
    );
    for (shape, measurement) in [("spread", &spread), ("hot", &hot)] {
        println!(
            "{:<8} {:>12.0} {:>10.2} {:>10.2} {:>13.2}x {:>8}",
            shape,
            measurement.transfers_per_second,
            measurement.p50.as_secs_f64() * 1000.0,
            measurement.p99.as_secs_f64() * 1000.0,
            measurement.transfers_per_second / pgbench_tps,
            measurement.refused,
        );
    }
    pool.close().await;
    Ok(())
}
