//! Throughput of `POST /v1/transfers` over HTTP, beside PostgreSQL's own `pgbench -N` at the
//! same client count on the same server, measured in alternating rounds.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo bench -p imkon-accounts --bench transfers -- --clients 16,64 --transfers 4000 --rounds 3
//! ```
//!
//! Two shapes, each transfer with its own idempotency key and real bearer token:
//! - `spread`: between random pairs of 10 000 client accounts (little contention);
//! - `hot`: every transfer debits one programme fund account (the design's hot account).
//!
//! The machine this runs on is shared and noisy, so a ratio to pgbench measured minutes apart
//! says little. For each client count the benchmark runs `--rounds` rounds, each of them
//! pgbench, then spread, then hot back to back, and reports every round's ratio of transfers
//! per second to pgbench's transactions per second and the median of those ratios per shape.
//!
//! The service runs in this process on a loopback port (the real router, writer and database),
//! in fresh databases `imkon_accounts_bench` and `imkon_accounts_bench_pgbench` that are
//! dropped and recreated on every run. After the rounds it checks the ledger from the database
//! (every account's entries add up to its balance, debits equal credits, every transfer sent
//! was booked), prints one line per check, and exits with an error if any transfer was refused
//! or any check failed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use imkon_accounts::db::accounts::AccountRow;
use imkon_accounts::domain::account::{AccountId, AccountKind, AccountOwner, ClientId, Side};
use imkon_accounts::domain::transfer::{LegDraft, Transfer, TransferDraft, TransferKind};
use imkon_accounts::ledger::{TransferRequest, LEDGER_SCOPE};
use imkon_accounts::opening::{open_account, AccountOpening};
use imkon_accounts::{app, default_bank_code, migrator, AppState};
use imkon_auth::{Audience, Principal};
use imkon_platform::bench;
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
    clients: Vec<usize>,
    transfers: usize,
    rounds: usize,
    accounts: usize,
    pgbench_seconds: u32,
    seed: u64,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        clients: vec![16, 64],
        transfers: 4_000,
        rounds: 3,
        accounts: 10_000,
        pgbench_seconds: 5,
        seed: 1,
    };
    for (flag, text) in bench::flag_values(std::env::args().skip(1))? {
        let number = |text: &str| bench::whole_number(&flag, text);
        match flag.as_str() {
            "--clients" | "--concurrency" => {
                options.clients = text
                    .split(',')
                    .map(|part| number(part).map(|value| value as usize))
                    .collect::<Result<_, _>>()?
            }
            "--transfers" => options.transfers = number(&text)? as usize,
            "--rounds" => options.rounds = number(&text)? as usize,
            "--accounts" => options.accounts = number(&text)? as usize,
            "--pgbench-seconds" => options.pgbench_seconds = number(&text)? as u32,
            "--seed" => options.seed = number(&text)?,
            other => {
                return Err(format!(
                    "unknown option {other}; use --clients 16,64 --transfers N --rounds N --accounts N --pgbench-seconds N --seed N"
                ))
            }
        }
    }
    if options.clients.contains(&0)
        || options.clients.is_empty()
        || options.accounts < 2
        || options.rounds == 0
        || options.transfers == 0
    {
        return Err(
            "--clients must be at least 1, --accounts at least 2, --rounds and --transfers at least 1"
                .to_owned(),
        );
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
/// Every transfer has its own idempotency key, `bench-<label>-<index>`.
async fn drive(
    server: &TestServer,
    token: &str,
    pairs: Vec<(String, String)>,
    concurrency: usize,
    label: &str,
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
        let label = label.to_owned();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut refused = 0;
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((debit, credit)) = pairs.get(index) else { break };
                let body = json!({"kind": "disbursement", "reference": format!("bench:{label}"), "currency": "UZS",
                    "legs": [{"account": debit, "side": "debit", "amount": TRANSFER_AMOUNT},
                             {"account": credit, "side": "credit", "amount": TRANSFER_AMOUNT}]});
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("bench-{label}-{index}"))
                    .json(&body)
                    .send()
                    .await
                    .expect("the service answers");
                let status = response.status();
                let body = response.bytes().await.unwrap_or_default();
                latencies.push(sent.elapsed());
                if status != 201 {
                    if refused == 0 {
                        eprintln!(
                            "refused: {status} {}",
                            String::from_utf8_lossy(&body)
                        );
                    }
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
    Measurement {
        transfers_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: bench::percentile(&latencies, 0.50),
        p99: bench::percentile(&latencies, 0.99),
        refused,
    }
}

/// Vacuums and analyses the ledger's tables before a measurement, as pgbench vacuums its own
/// tables before each run. A server without autovacuum (the test machines run without it)
/// otherwise measures a ledger whose hot account drags thousands of dead row versions and whose
/// statements keep plans chosen when the tables were nearly empty: the second 12 000-transfer
/// round ran at a tenth of the first's rate, and pgbench, vacuumed, did not slow at all.
async fn vacuum(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::raw_sql("vacuum analyze account, transfer, entry, hold, audit_record")
        .execute(pool)
        .await?;
    Ok(())
}

/// Initialises pgbench's tables (scale 10) in the database of `database_url`.
fn pgbench_initialise(database_url: &str) -> Result<(), String> {
    let initialise = std::process::Command::new("pgbench")
        .args(["-i", "-q", "-s", "10", database_url])
        .output()
        .map_err(|error| format!("cannot run pgbench: {error}"))?;
    if !initialise.status.success() {
        return Err(String::from_utf8_lossy(&initialise.stderr).into_owned());
    }
    Ok(())
}

/// The arguments of a `pgbench -N` run (the simple-update script without the hot branch and
/// teller rows) at `clients` clients for `seconds`.
fn pgbench_arguments(clients: usize, seconds: u32) -> Vec<String> {
    let threads = clients.min(std::thread::available_parallelism().map_or(1, |n| n.get()));
    [
        "-N".to_owned(),
        "-c".to_owned(),
        clients.to_string(),
        "-j".to_owned(),
        threads.to_string(),
        "-T".to_owned(),
        seconds.to_string(),
    ]
    .to_vec()
}

/// Runs `pgbench` with `arguments` and returns its transactions per second.
fn pgbench(database_url: &str, arguments: &[String]) -> Result<f64, String> {
    let run = std::process::Command::new("pgbench")
        .args(arguments)
        .arg(database_url)
        .output()
        .map_err(|error| format!("cannot run pgbench: {error}"))?;
    let report = String::from_utf8_lossy(&run.stdout).into_owned();
    report
        .lines()
        .find(|line| line.starts_with("tps = "))
        .and_then(|line| line.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|number| number.parse::<f64>().ok())
        .ok_or_else(|| {
            format!(
                "pgbench printed no tps: {report}{}",
                String::from_utf8_lossy(&run.stderr)
            )
        })
}

/// One round: pgbench, then the two shapes, measured back to back.
struct Round {
    pgbench_tps: f64,
    spread: Measurement,
    hot: Measurement,
}

#[derive(sqlx::FromRow)]
struct AccountTotals {
    kind: String,
    posted_balance: Decimal,
    pending_holds: Decimal,
    debits: Decimal,
    credits: Decimal,
    last_balance_after: Option<Decimal>,
}

/// Checks the ledger after the run, from the database alone: every account's entries add up
/// to its balance (and its last entry's running balance is that balance), nothing is held,
/// every transfer's debits equal its credits, and every transfer the benchmark sent was
/// booked. Prints one line per check and returns whether all held.
async fn check_invariants(pool: &PgPool, expected_bench_transfers: i64) -> sqlx::Result<bool> {
    let accounts: Vec<AccountTotals> = sqlx::query_as(
        "select a.kind, a.posted_balance, a.pending_holds,
                coalesce(sum(e.amount) filter (where e.side = 'debit'), 0) as debits,
                coalesce(sum(e.amount) filter (where e.side = 'credit'), 0) as credits,
                (select l.balance_after from entry l where l.account_id = a.id
                 order by l.id desc limit 1) as last_balance_after
         from account a left join entry e on e.account_id = a.id
         group by a.id",
    )
    .fetch_all(pool)
    .await?;
    let mut mismatched = 0;
    let mut held = 0;
    let (mut all_debits, mut all_credits) = (Decimal::ZERO, Decimal::ZERO);
    for account in &accounts {
        let kind: AccountKind = account.kind.parse().expect("a stored kind parses");
        let from_entries = match kind.normal_side() {
            Side::Debit => account.debits - account.credits,
            Side::Credit => account.credits - account.debits,
        };
        let last = account.last_balance_after.unwrap_or(Decimal::ZERO);
        if from_entries != account.posted_balance || last != account.posted_balance {
            mismatched += 1;
        }
        if !account.pending_holds.is_zero() {
            held += 1;
        }
        all_debits += account.debits;
        all_credits += account.credits;
    }
    let (unbalanced,): (i64,) = sqlx::query_as(
        "select count(*) from (select transfer_id from entry group by transfer_id
         having sum(case when side = 'debit' then amount else -amount end) <> 0) t",
    )
    .fetch_one(pool)
    .await?;
    let (booked,): (i64,) =
        sqlx::query_as("select count(*) from transfer where reference like 'bench:%'")
            .fetch_one(pool)
            .await?;
    let verdict = |ok: bool| if ok { "ok" } else { "FAILED" };
    println!(
        "invariant: sum of entries per account equals its balance (and its last running balance): {} accounts, {mismatched} mismatched, {held} with holds: {}",
        accounts.len(),
        verdict(mismatched == 0 && held == 0)
    );
    println!(
        "invariant: debits equal credits: {all_debits} = {all_credits}, {unbalanced} unbalanced transfers: {}",
        verdict(all_debits == all_credits && unbalanced == 0)
    );
    println!(
        "invariant: every benchmark transfer booked: {booked} of {expected_bench_transfers}: {}",
        verdict(booked == expected_bench_transfers)
    );
    Ok(mismatched == 0
        && held == 0
        && all_debits == all_credits
        && unbalanced == 0
        && booked == expected_bench_transfers)
}

/// The amount of every benchmark transfer; accounts are funded for far more than a run books.
const TRANSFER_AMOUNT: &str = "1.00";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    let server_url = std::env::var("DATABASE_URL").map_err(|_| {
        "set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres"
    })?;
    let database_url = fresh_database(&server_url, BENCH_DATABASE).await?;
    let most_clients = options.clients.iter().copied().max().unwrap_or(1);
    let pool = PgPoolOptions::new()
        .max_connections(most_clients as u32 + 4)
        .connect(&database_url)
        .await?;
    migrator().run(&pool).await?;
    let (issuer, verifier) = test_tokens(Audience::Accounts);
    let state = AppState::new(pool.clone(), HttpLimits::default(), verifier);
    let server = TestServer::start(app(state.clone())).await;
    let token = issuer
        .issue(
            // The service that books transfers in production, and the only one the policy
            // grants `accounts:transfer`.
            &Principal::service(new_id(), Some("disbursement".to_owned()))?,
            Audience::Accounts,
            Duration::from_secs(900),
        )?
        .as_str()
        .to_owned();

    eprintln!("opening {} accounts…", options.accounts);
    let settlement = open(&pool, AccountKind::BankSettlement, AccountOwner::Bank, true).await;
    let fund = open(&pool, AccountKind::GrantFund, AccountOwner::Bank, false).await;
    let clients: Vec<AccountRow> = futures::stream::iter(0..options.accounts)
        .map(|_| {
            open(
                &pool,
                AccountKind::ClientCurrent,
                AccountOwner::Client(ClientId::from_uuid(new_id())),
                false,
            )
        })
        .buffer_unordered(8)
        .collect()
        .await;
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

    let pgbench_url = fresh_database(&server_url, PGBENCH_DATABASE).await?;
    pgbench_initialise(&pgbench_url)?;

    let mut random = StdRng::seed_from_u64(options.seed);
    let mut spread_pairs = |count: usize| -> Vec<(String, String)> {
        (0..count)
            .map(|_| {
                let from = random.gen_range(0..clients.len());
                let mut to = random.gen_range(0..clients.len() - 1);
                if to >= from {
                    to += 1;
                }
                (clients[from].number.clone(), clients[to].number.clone())
            })
            .collect()
    };
    let hot_pairs = |count: usize| -> Vec<(String, String)> {
        (0..count)
            .map(|index| {
                (
                    fund.number.clone(),
                    clients[index % clients.len()].number.clone(),
                )
            })
            .collect()
    };

    let mut results: Vec<(usize, Vec<Round>, String)> = Vec::new();
    for &concurrency in &options.clients {
        let arguments = pgbench_arguments(concurrency, options.pgbench_seconds);
        let mut rounds = Vec::new();
        for round in 1..=options.rounds {
            eprintln!(
                "{concurrency} clients, round {round} of {}: pgbench, spread, hot…",
                options.rounds
            );
            let pgbench_tps = pgbench(&pgbench_url, &arguments)?;
            vacuum(&pool).await?;
            let spread = drive(
                &server,
                &token,
                spread_pairs(options.transfers),
                concurrency,
                &format!("spread-{concurrency}-{round}"),
            )
            .await;
            vacuum(&pool).await?;
            let hot = drive(
                &server,
                &token,
                hot_pairs(options.transfers),
                concurrency,
                &format!("hot-{concurrency}-{round}"),
            )
            .await;
            rounds.push(Round {
                pgbench_tps,
                spread,
                hot,
            });
        }
        results.push((
            concurrency,
            rounds,
            format!("pgbench {} <{PGBENCH_DATABASE}>", arguments.join(" ")),
        ));
    }

    let profile = if cfg!(debug_assertions) {
        "debug (unoptimised)"
    } else {
        "optimised"
    };
    println!(
        "command: {}",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    println!(
        "build: {profile}; service and load generator share this process; {} transfers per shape and round; rounds alternate pgbench, spread, hot",
        options.transfers
    );
    let mut refused_total = 0;
    for (concurrency, rounds, pgbench_command) in &results {
        println!();
        println!("{concurrency} clients; pgbench: {pgbench_command}");
        println!(
            "{:<6} {:<8} {:>12} {:>10} {:>10} {:>14} {:>8}",
            "round", "shape", "per second", "p50 ms", "p99 ms", "vs pgbench -N", "refused"
        );
        for (index, round) in rounds.iter().enumerate() {
            println!(
                "{:<6} {:<8} {:>12.0} {:>10} {:>10} {:>14} {:>8}",
                index + 1,
                "pgbench",
                round.pgbench_tps,
                "",
                "",
                "",
                ""
            );
            for (shape, measurement) in [("spread", &round.spread), ("hot", &round.hot)] {
                refused_total += measurement.refused;
                println!(
                    "{:<6} {:<8} {:>12.0} {:>10.2} {:>10.2} {:>13.2}x {:>8}",
                    index + 1,
                    shape,
                    measurement.transfers_per_second,
                    measurement.p50.as_secs_f64() * 1000.0,
                    measurement.p99.as_secs_f64() * 1000.0,
                    measurement.transfers_per_second / round.pgbench_tps,
                    measurement.refused,
                );
            }
        }
        let ratios = |pick: fn(&Round) -> &Measurement| {
            bench::median(
                rounds
                    .iter()
                    .map(|round| pick(round).transfers_per_second / round.pgbench_tps)
                    .collect(),
            )
        };
        let p99 = |pick: fn(&Round) -> &Measurement| {
            bench::median(
                rounds
                    .iter()
                    .map(|round| pick(round).p99.as_secs_f64() * 1000.0)
                    .collect(),
            )
        };
        println!(
            "median  spread {:.2}x pgbench -N (p99 {:.2} ms); hot {:.2}x pgbench -N (p99 {:.2} ms)",
            ratios(|round| &round.spread),
            p99(|round| &round.spread),
            ratios(|round| &round.hot),
            p99(|round| &round.hot),
        );
    }
    println!();
    let expected = (options.clients.len() * options.rounds * options.transfers * 2) as i64;
    let invariants_hold = check_invariants(&pool, expected).await?;
    pool.close().await;
    if refused_total > 0 || !invariants_hold {
        return Err(format!(
            "{refused_total} transfers refused or an invariant failed: see the lines above"
        )
        .into());
    }
    Ok(())
}
