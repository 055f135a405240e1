//! The founder's journey across every service, from registration to a paid tranche, at a
//! number of concurrent founders, beside the same number of `/health/live` round trips.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo bench -p imkon --bench journey -- --founders 16 --journeys 32 --rounds 3
//! ```
//!
//! The whole platform runs in this process (every service on its loopback port, demo data on
//! fresh databases), as in the end-to-end tests. One journey is what a founder and the staff
//! do over HTTP: register, sign in (a password and one token per service), upload a passport
//! scan and submit KYC, which kyc1 approves; wait for the current account that accounts opens
//! on `client.kyc_approved`; register a company, apply to the small-business start loan
//! (screened with onboarding's facts and the scoring service's score), have credit1 propose and
//! approver1 confirm; wait for the contract that disbursement makes on `application.approved`;
//! read and sign it; have credit1 activate it and request the tranche, credit2 approve it and
//! finance1 disburse it; read the money on the current account.
//!
//! Each round measures `/health/live` round trips (spread over the services) at the same
//! concurrency for a few seconds, then `--journeys` journeys on `--founders` workers. It prints
//! the API calls a second (the waits for events counted apart) and their ratio to the health
//! round trips a second: what a call costs across the services (token verification, service
//! calls, database writes, outbox) beside the cheapest call there is. The ratio printed is the
//! median of the rounds'. After the rounds it checks the ledger (debits equal credits per
//! transfer and currency; every balance the sum of its entries) and that every journey's
//! money arrived, and exits with an error if any check failed or any call was refused.
//!
//! Every founder comes from 127.0.0.1, which onboarding's limit on sign-in attempts per
//! address would soon refuse, as it should an attacker's one address: the benchmark raises
//! that limit (`login_attempts_per_address`) and nothing else.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use imkon_applications::seed::SMALL_BUSINESS_START_LOAN_ID;
use imkon_onboarding::domain::pinfl::{Pinfl, Sex};
use imkon_platform::bench;
use imkon_platform::calendar::{BankCalendar, SystemClock};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::types::chrono::NaiveDate;
use support::{eventually, loan_answers, Person, Platform, Reply, AUDIENCES};

/// The loan every journey takes and the tranche that pays it out whole.
const PRINCIPAL: &str = "120000000.00";

struct Options {
    founders: usize,
    journeys: usize,
    rounds: usize,
    health_seconds: u64,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        founders: 16,
        journeys: 32,
        rounds: 3,
        health_seconds: 3,
    };
    for (flag, value) in bench::flag_values(std::env::args().skip(1))? {
        let number = bench::whole_number(&flag, &value)? as usize;
        match flag.as_str() {
            "--founders" => options.founders = number,
            "--journeys" => options.journeys = number,
            "--rounds" => options.rounds = number,
            "--health-seconds" => options.health_seconds = number as u64,
            other => {
                return Err(format!(
                    "unknown option {other}; use --founders N --journeys N --rounds N --health-seconds N"
                ))
            }
        }
    }
    if options.founders == 0
        || options.journeys == 0
        || options.rounds == 0
        || options.health_seconds == 0
    {
        return Err("every option needs a value of at least 1".to_owned());
    }
    Ok(options)
}

/// What the calls of a round took, each under its step's name (the method, service and path
/// with ids left out), and how many polls waited for an event.
#[derive(Default)]
struct Timings {
    calls: Mutex<Vec<(String, Duration)>>,
    polls: AtomicUsize,
}

impl Timings {
    fn record(&self, step: String, took: Duration) {
        self.calls
            .lock()
            .expect("no worker panicked")
            .push((step, took));
    }
}

/// A call's step name: `POST applications /v1/applications/{id}/submit` for every application.
fn step(method: &str, service: &str, path: &str) -> String {
    let template: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if segment.parse::<uuid::Uuid>().is_ok() {
                "{id}"
            } else {
                segment
            }
        })
        .collect();
    format!("{method} {service} {}", template.join("/"))
}

/// The staff a journey passes through, signed in once per round.
struct Staff {
    kyc: Person,
    credit1: Person,
    credit2: Person,
    approver: Person,
    finance: Person,
}

impl Staff {
    async fn login(platform: &Platform) -> Staff {
        Staff {
            kyc: platform.login("kyc1").await,
            credit1: platform.login("credit1").await,
            credit2: platform.login("credit2").await,
            approver: platform.login("approver1").await,
            finance: platform.login("finance1").await,
        }
    }
}

/// One journey's context: the platform, the round's staff and timings.
struct Journey<'a> {
    platform: &'a Platform,
    staff: &'a Staff,
    timings: &'a Timings,
}

impl Journey<'_> {
    /// Times one call and insists it succeeded.
    async fn timed(&self, step: String, call: impl std::future::Future<Output = Reply>) -> Value {
        let started = Instant::now();
        let reply = call.await;
        self.timings.record(step, started.elapsed());
        reply.ok()
    }

    async fn post(&self, person: &Person, service: &str, path: &str, body: Value) -> Value {
        self.timed(
            step("POST", service, path),
            self.platform.post(person, service, path, &body),
        )
        .await
    }

    async fn get(&self, person: &Person, service: &str, path: &str) -> Value {
        self.timed(
            step("GET", service, path),
            self.platform.get(person, service, path),
        )
        .await
    }

    /// A poll for something another service does on an event: counted, not timed as a call.
    async fn poll(&self, person: &Person, service: &str, path: &str) -> Value {
        self.timings.polls.fetch_add(1, Ordering::Relaxed);
        self.platform.get(person, service, path).await.ok()
    }

    /// Registers founder number `serial` and signs them in as the frontend does: the password,
    /// then the refresh token traded for an access token to each of the five services.
    async fn register(&self, serial: u32) -> Person {
        let birth_date = NaiveDate::from_ymd_opt(1990, 5, 15).expect("a date");
        let pinfl = Pinfl::compose(birth_date, Sex::Female, serial).expect("a PINFL");
        let username = format!("journey.founder.{serial}");
        let years = imkon_platform::testing::years_from_today;
        self.timed(
            step("POST", "onboarding", "/v1/registrations"),
            self.platform.call(
            Method::POST,
            None,
            "onboarding",
            "/v1/registrations",
            Some(&json!({
                "username": username,
                "password": format!("{username}-demo-pass"),
                "pinfl": pinfl.as_str(),
                "birth_date": birth_date,
                "latin_name": { "surname": "Yusupova", "given_name": "Madina" },
                "passport": { "number": format!("AD{serial:07}"), "issue_date": years(-5), "expiry_date": years(5) },
                "phone": format!("998902{serial:06}"),
                "address": { "region": "Toshkent", "district": "Chilonzor", "street_line": "Bunyodkor 9" }
            })),
            None,
        ))
        .await;
        let login = self
            .timed(
                step("POST", "onboarding", "/v1/auth/password"),
                self.platform.call(
                    Method::POST,
                    None,
                    "onboarding",
                    "/v1/auth/password",
                    Some(&json!({ "username": username, "password": format!("{username}-demo-pass") })),
                    None,
                ),
            )
            .await;
        let refresh_token = login["refresh_token"].as_str().expect("a refresh token");
        let mut tokens = BTreeMap::new();
        for audience in AUDIENCES {
            let started = Instant::now();
            let response = self
                .platform
                .http
                .post(self.platform.url("onboarding", "/v1/oauth/token"))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                    ("audience", audience),
                ])
                .send()
                .await
                .expect("onboarding answers");
            assert!(response.status().is_success(), "a token for {audience}");
            let body: Value = response.json().await.expect("a token response");
            self.timings.record(
                step("POST", "onboarding", "/v1/oauth/token"),
                started.elapsed(),
            );
            let token = body["access_token"].as_str().expect("an access token");
            tokens.insert(audience.to_owned(), token.to_owned());
        }
        let id = |value: &Value| value.as_str().and_then(|text| text.parse().ok());
        Person::signed_in(
            &username,
            id(&login["principal"]["id"]).expect("the principal's id"),
            id(&login["principal"]["client_id"]),
            tokens,
        )
    }

    /// The founder uploads a passport scan and submits KYC; kyc1 takes the case, accepts the
    /// scan and approves.
    async fn pass_kyc(&self, founder: &Person) {
        let body = "--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\npassport_scan\r\n\
                    --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n\
                    Content-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n--b--\r\n";
        let started = Instant::now();
        let uploaded = self
            .platform
            .http
            .post(self.platform.url("onboarding", "/v1/me/documents"))
            .bearer_auth(founder.token("onboarding"))
            .header("content-type", "multipart/form-data; boundary=b")
            .body(body)
            .send()
            .await
            .expect("onboarding answers");
        assert_eq!(uploaded.status(), StatusCode::CREATED, "the scan's upload");
        uploaded.bytes().await.expect("the upload's answer");
        self.timings.record(
            step("POST", "onboarding", "/v1/me/documents"),
            started.elapsed(),
        );
        let case = self
            .post(founder, "onboarding", "/v1/me/kyc/submit", json!({}))
            .await;
        let case_path = format!(
            "/v1/kyc/cases/{}",
            case["case_id"].as_str().expect("a case id")
        );
        let officer = &self.staff.kyc;
        self.post(
            officer,
            "onboarding",
            &format!("{case_path}/assign"),
            json!({}),
        )
        .await;
        for document in case["documents"].as_array().expect("the case's documents") {
            let document_id = document["document_id"].as_str().expect("a document id");
            self.post(
                officer,
                "onboarding",
                &format!("{case_path}/documents/{document_id}/decision"),
                json!({ "decision": "accepted" }),
            )
            .await;
        }
        self.post(
            officer,
            "onboarding",
            &format!("{case_path}/approve"),
            json!({}),
        )
        .await;
    }

    /// The founder's current account's posted balance, once accounts has opened it.
    async fn current_balance(&self, founder: &Person) -> String {
        eventually("the founder's current account", || async {
            let accounts = self.poll(founder, "accounts", "/v1/me/accounts").await;
            accounts
                .as_array()
                .expect("a list of accounts")
                .iter()
                .find(|account| account["kind"] == "client_current")
                .and_then(|account| account["posted_balance"].as_str().map(str::to_owned))
        })
        .await
    }

    /// A company, an application to the start loan, screened and scored, proposed by credit1
    /// and confirmed by approver1; answers the application's id.
    async fn approved_loan(&self, founder: &Person, serial: u32) -> String {
        let company = self
            .post(
                founder,
                "onboarding",
                "/v1/me/companies",
                json!({
                    "stir": format!("3{serial:08}"),
                    "name": format!("Journey Labs {serial}"),
                    "legal_form": "llc",
                    "registration_date": "2025-02-01",
                    "founders": [{ "client_id": founder.client_id(), "share_percent": "100" }]
                }),
            )
            .await;
        let draft = self
            .post(
                founder,
                "applications",
                "/v1/applications",
                json!({
                    "programme_id": SMALL_BUSINESS_START_LOAN_ID,
                    "company_id": company["company_id"],
                    "requested_amount": PRINCIPAL,
                    "term_months": 12,
                    "answers": loan_answers(),
                }),
            )
            .await;
        let id = draft["id"].as_str().expect("an application id").to_owned();
        let submitted = self
            .post(
                founder,
                "applications",
                &format!("/v1/applications/{id}/submit"),
                json!({}),
            )
            .await;
        assert_eq!(submitted["state"], "in_review", "screened: {submitted}");
        self.post(
            &self.staff.credit1,
            "applications",
            &format!("/v1/applications/{id}/decision/proposal"),
            json!({ "outcome": "approve", "amount": PRINCIPAL, "term_months": 12,
                    "annual_rate_percent": "26", "grace_months": 0 }),
        )
        .await;
        let approved = self
            .post(
                &self.staff.approver,
                "applications",
                &format!("/v1/applications/{id}/decision/confirmation"),
                json!({}),
            )
            .await;
        assert_eq!(approved["state"], "approved", "{approved}");
        id
    }

    /// Waits for the contract, reads and signs it, and has it activated, its tranche
    /// requested, approved by a second officer and disbursed.
    async fn paid_tranche(&self, founder: &Person, application_id: &str) {
        let contract_id = eventually("the contract made on application.approved", || async {
            let page = self.poll(founder, "disbursement", "/v1/me/contracts").await;
            page["items"]
                .as_array()
                .expect("a page of contracts")
                .iter()
                .find(|contract| contract["application_id"] == application_id)
                .and_then(|contract| contract["id"].as_str().map(str::to_owned))
        })
        .await;
        // Signing is two calls (the document read for its hash, then the signature), made
        // together by the end-to-end tests' helper: each is recorded as half of their time.
        let started = Instant::now();
        let signed = self
            .platform
            .sign_contract(founder, &contract_id)
            .await
            .ok();
        let per_call = started.elapsed() / 2;
        let contract = format!("/v1/contracts/{contract_id}");
        self.timings.record(
            step("GET", "disbursement", &format!("{contract}/document.pdf")),
            per_call,
        );
        self.timings.record(
            step("POST", "disbursement", &format!("{contract}/sign")),
            per_call,
        );
        assert_eq!(signed["status"], "signed", "{signed}");
        let today = BankCalendar::default().today();
        self.post(
            &self.staff.credit1,
            "disbursement",
            &format!("{contract}/activate"),
            json!({ "disbursement_date": today.to_string() }),
        )
        .await;
        self.post(
            &self.staff.credit1,
            "disbursement",
            &format!("{contract}/tranches/1/request"),
            json!({ "note": "the whole loan at once" }),
        )
        .await;
        self.post(
            &self.staff.credit2,
            "disbursement",
            &format!("{contract}/tranches/1/approve"),
            json!({}),
        )
        .await;
        let disbursed = self
            .post(
                &self.staff.finance,
                "disbursement",
                &format!("{contract}/tranches/1/disburse"),
                json!({}),
            )
            .await;
        assert_eq!(disbursed["status"], "disbursed", "{disbursed}");
    }

    /// The whole journey of founder number `serial`.
    async fn run(&self, serial: u32) {
        let founder = self.register(serial).await;
        self.pass_kyc(&founder).await;
        assert_eq!(self.current_balance(&founder).await, "0.00");
        let application_id = self.approved_loan(&founder, serial).await;
        self.paid_tranche(&founder, &application_id).await;
        let accounts = self.get(&founder, "accounts", "/v1/me/accounts").await;
        let balance = accounts
            .as_array()
            .expect("a list of accounts")
            .iter()
            .find(|account| account["kind"] == "client_current")
            .and_then(|account| account["posted_balance"].as_str())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(balance, PRINCIPAL, "the tranche is on the current account");
    }
}

struct Measurement {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn measure(mut latencies: Vec<Duration>, elapsed: Duration) -> Measurement {
    latencies.sort();
    Measurement {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: bench::percentile(&latencies, 0.50),
        p99: bench::percentile(&latencies, 0.99),
    }
}

/// `/health/live` round trips from `concurrency` workers for `seconds`, each worker taking
/// the services in turn.
async fn health_round_trips(
    platform: &Arc<Platform>,
    concurrency: usize,
    seconds: u64,
) -> Measurement {
    let services: Vec<String> = platform.urls.keys().cloned().collect();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let (platform, services) = (Arc::clone(platform), services.clone());
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut turn = worker;
            while Instant::now() < deadline {
                let url = platform.url(&services[turn % services.len()], "/health/live");
                turn += 1;
                let sent = Instant::now();
                let response = platform.http.get(&url).send().await.expect("an answer");
                assert!(response.status().is_success(), "GET {url}");
                response.bytes().await.expect("a body");
                latencies.push(sent.elapsed());
            }
            latencies
        });
    }
    let mut latencies = Vec::new();
    while let Some(mine) = workers.join_next().await {
        latencies.extend(mine.expect("a health worker finishes"));
    }
    measure(latencies, started.elapsed())
}

struct JourneyRound {
    calls: Measurement,
    steps: Vec<(String, Duration)>,
    polls: usize,
    journeys_per_second: f64,
}

/// `journeys` journeys on `founders` workers, founders numbered from `first_serial`.
async fn journeys(
    platform: &Arc<Platform>,
    founders: usize,
    journeys: usize,
    first_serial: u32,
) -> JourneyRound {
    let staff = Arc::new(Staff::login(platform).await);
    let timings = Arc::new(Timings::default());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..founders {
        let (platform, staff, timings, next) = (
            Arc::clone(platform),
            Arc::clone(&staff),
            Arc::clone(&timings),
            Arc::clone(&next),
        );
        workers.spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= journeys {
                    break;
                }
                let journey = Journey {
                    platform: &platform,
                    staff: &staff,
                    timings: &timings,
                };
                journey.run(first_serial + index as u32).await;
            }
        });
    }
    while let Some(finished) = workers.join_next().await {
        if let Err(error) = finished {
            std::panic::resume_unwind(error.into_panic());
        }
    }
    let elapsed = started.elapsed();
    let steps = std::mem::take(&mut *timings.calls.lock().expect("no worker panicked"));
    let latencies = steps.iter().map(|(_, took)| *took).collect();
    JourneyRound {
        calls: measure(latencies, elapsed),
        steps,
        polls: timings.polls.load(Ordering::Relaxed),
        journeys_per_second: journeys as f64 / elapsed.as_secs_f64(),
    }
}

/// Each step's count, median and 99th percentile over every round, and its share of all the
/// calls' time, the costliest first; the median is also given as a multiple of the median
/// `/health/live` round trip.
fn print_steps(steps: Vec<(String, Duration)>, health_p50_ms: f64) {
    let mut by_step: std::collections::BTreeMap<String, Vec<Duration>> =
        std::collections::BTreeMap::new();
    for (name, took) in steps {
        by_step.entry(name).or_default().push(took);
    }
    let total: Duration = by_step.values().flatten().sum();
    let mut rows: Vec<(String, Vec<Duration>, Duration)> = by_step
        .into_iter()
        .map(|(name, mut times)| {
            times.sort();
            let sum = times.iter().sum();
            (name, times, sum)
        })
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.2));
    println!(
        "step                                                           calls   p50 ms   p99 ms  p50 ÷ health p50  share of call time"
    );
    for (name, times, sum) in rows {
        let at = |fraction: f64| milliseconds(bench::percentile(&times, fraction));
        println!(
            "{name:<62} {:>5} {:>8.2} {:>8.2} {:>16.0}x {:>18.1}%",
            times.len(),
            at(0.50),
            at(0.99),
            at(0.50) / health_p50_ms,
            100.0 * sum.as_secs_f64() / total.as_secs_f64()
        );
    }
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let platform = Arc::new(
            Platform::start_configured(
                Arc::new(SystemClock),
                vec![(
                    "onboarding",
                    "login_attempts_per_address",
                    "1000000".to_owned(),
                )],
            )
            .await,
        );
        println!(
            "command: cargo bench -p imkon --bench journey -- --founders {} --journeys {} --rounds {} --health-seconds {}",
            options.founders, options.journeys, options.rounds, options.health_seconds
        );
        println!(
            "round  health/live (same concurrency)        journey API calls                       journeys/s  polls  calls/s ÷ health/s"
        );
        let mut ratios = Vec::new();
        let mut steps: Vec<(String, Duration)> = Vec::new();
        let mut health_p50 = Vec::new();
        let mut serial = 1;
        for round in 1..=options.rounds {
            let health =
                health_round_trips(&platform, options.founders, options.health_seconds).await;
            let measured =
                journeys(&platform, options.founders, options.journeys, serial).await;
            serial += options.journeys as u32;
            let ratio = measured.calls.per_second / health.per_second;
            ratios.push(ratio);
            health_p50.push(milliseconds(health.p50));
            println!(
                "{round:>5}  {:>8.0}/s p50 {:>6.2} ms p99 {:>6.2} ms   {:>7.1}/s p50 {:>7.2} ms p99 {:>7.2} ms   {:>10.2}  {:>5}  {ratio:.3}x",
                health.per_second,
                milliseconds(health.p50),
                milliseconds(health.p99),
                measured.calls.per_second,
                milliseconds(measured.calls.p50),
                milliseconds(measured.calls.p99),
                measured.journeys_per_second,
                measured.polls,
            );
            steps.extend(measured.steps);
        }
        println!(
            "median over {} rounds: journey API calls/s ÷ /health/live round trips/s = {:.3}x",
            options.rounds,
            bench::median(ratios)
        );
        print_steps(steps, bench::median(health_p50));
        let transfers = platform.assert_ledger_holds("the journeys").await;
        println!("invariant: debits equal credits per transfer and currency, every balance the sum of its entries: ok ({transfers} transfers posted in all)");
        let platform = Arc::into_inner(platform).expect("every worker has finished");
        platform.stop().await;
    });
}
