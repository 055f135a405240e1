//! Black-box tests of the whole platform over HTTP: every service in-process, each test on
//! databases of its own, demo data loaded (staff, founders, programmes, scorecards, the bank's
//! accounts). Only the ledger's invariants and what a test must arrange are read from a
//! service's database.

mod support;

use std::sync::Arc;

use imkon::SERVICES;
use imkon_accounts::clearing::SIMULATED_SETTLEMENT_DELAY;
use imkon_accounts::domain::account_number::{AccountNumber, BalanceAccountCode, BankCode};
use imkon_accounts::interbank::{cut_off_at_or_before, run_cycle};
use imkon_accounts::opening::demo_closed_account_at_other_bank;
use imkon_accounts::AppState;
use imkon_applications::seed::{
    MVP_CO_FUNDING_GRANT_ID, SMALL_BUSINESS_START_LOAN_ID, YOUTH_LOAN_ID,
};
use imkon_auth::{Audience, KeyId, PublicKeySet, SigningKey, TokenVerifier};
use imkon_onboarding::domain::pinfl::{Pinfl, Sex};
use imkon_platform::broker::JetStream;
use imkon_platform::calendar::{BankCalendar, SettableClock, SystemClock};
use imkon_platform::config::HttpLimits;
use imkon_platform::money::Currency;
use imkon_platform::testing::NatsServer;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::types::chrono::{NaiveDate, Utc};
use sqlx::types::Decimal;
use sqlx::PgPool;
use support::{eventually, grant_answers, loan_answers, Person, Platform};
use uuid::Uuid;

/// The loan every test takes: 120 million sums over 12 months at 26%, no grace, so each
/// instalment repays 10 million of principal.
const PRINCIPAL: &str = "120000000.00";

/// The bank's today: the platform under test runs on the system clock and the bank's
/// calendar, so a date the tests compute must be that calendar's too.
fn today() -> NaiveDate {
    imkon_platform::calendar::BankCalendar::default().today()
}

/// The same day of the month `months` months earlier, or the 28th when the month is shorter.
fn months_before(date: NaiveDate, months: i32) -> NaiveDate {
    let text = date.to_string();
    let parts: Vec<i32> = text.split('-').map(|part| part.parse().unwrap()).collect();
    let index = parts[0] * 12 + (parts[1] - 1) - months;
    NaiveDate::from_ymd_opt(index / 12, (index % 12 + 1) as u32, parts[2].min(28) as u32).unwrap()
}

fn days_after(date: NaiveDate, days: u32) -> NaiveDate {
    (0..days).fold(date, |day, _| day.succ_opt().unwrap())
}

fn date(value: &Value) -> NaiveDate {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a date: {value}"))
        .parse()
        .unwrap()
}

fn amount(value: &Value) -> Decimal {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not an amount: {value}"))
        .parse()
        .unwrap()
}

/// The staff a loan passes through, logged in.
struct Staff {
    credit1: Person,
    credit2: Person,
    approver1: Person,
    finance1: Person,
    admin1: Person,
}

impl Staff {
    async fn login(platform: &Platform) -> Staff {
        Staff {
            credit1: platform.login("credit1").await,
            credit2: platform.login("credit2").await,
            approver1: platform.login("approver1").await,
            finance1: platform.login("finance1").await,
            admin1: platform.login("admin1").await,
        }
    }
}

/// The founder's current account, opened by accounts when onboarding's relay delivers
/// `client.kyc_approved`: its number and posted balance.
async fn current_account(platform: &Platform, founder: &Person) -> (String, String) {
    eventually(
        &format!(
            "{}'s current account (opened on client.kyc_approved)",
            founder.username
        ),
        || async {
            let accounts = platform
                .get(founder, "accounts", "/v1/me/accounts")
                .await
                .ok();
            accounts
                .as_array()
                .unwrap()
                .iter()
                .find(|account| account["kind"] == "client_current")
                .map(|account| {
                    (
                        account["number"].as_str().unwrap().to_owned(),
                        account["posted_balance"].as_str().unwrap().to_owned(),
                    )
                })
        },
    )
    .await
}

/// The current account of the founder's first company, opened by accounts when onboarding's
/// relay delivers `company.kyc_approved` (the demo's founder1 has Aziz Soft approved): its
/// number and posted balance. A contract's money is paid into it once it exists, so a test
/// that pays out waits for it first.
async fn company_account(platform: &Platform, founder: &Person) -> (String, String) {
    let company_id = company_of(platform, founder).await.to_string();
    eventually(
        &format!(
            "{}'s company's current account (opened on company.kyc_approved)",
            founder.username
        ),
        || async {
            let accounts = platform
                .get(founder, "accounts", "/v1/me/accounts")
                .await
                .ok();
            accounts
                .as_array()
                .unwrap()
                .iter()
                .find(|account| {
                    account["kind"] == "company_current"
                        && account["owner"]["company_id"] == company_id.as_str()
                })
                .map(|account| {
                    (
                        account["number"].as_str().unwrap().to_owned(),
                        account["posted_balance"].as_str().unwrap().to_owned(),
                    )
                })
        },
    )
    .await
}

/// The founder's first company, as onboarding knows it.
async fn company_of(platform: &Platform, founder: &Person) -> Uuid {
    let companies = platform
        .get(founder, "onboarding", "/v1/me/companies")
        .await
        .ok();
    companies[0]["company_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{} has no company: {companies}", founder.username))
        .parse()
        .unwrap()
}

/// A draft application to the small-business start loan, with every answer.
async fn draft_start_loan(platform: &Platform, founder: &Person) -> Uuid {
    draft_loan(platform, founder, SMALL_BUSINESS_START_LOAN_ID).await
}

/// A draft application for the loan every test takes, to the loan programme `programme_id`.
async fn draft_loan(platform: &Platform, founder: &Person, programme_id: Uuid) -> Uuid {
    let company_id = company_of(platform, founder).await;
    let draft = platform
        .post(
            founder,
            "applications",
            "/v1/applications",
            &json!({
                "programme_id": programme_id,
                "company_id": company_id,
                "requested_amount": PRINCIPAL,
                "term_months": 12,
                "answers": loan_answers(),
            }),
        )
        .await
        .ok();
    assert_eq!(draft["state"], "draft", "{draft}");
    draft["id"].as_str().unwrap().parse().unwrap()
}

/// Submits a fresh application to the start loan and answers what screening made of it.
async fn submitted_start_loan(platform: &Platform, founder: &Person) -> Value {
    let id = draft_start_loan(platform, founder).await;
    platform
        .post(
            founder,
            "applications",
            &format!("/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await
        .ok()
}

/// Applies, is screened (onboarding's facts, the scoring service's score), proposed by credit1
/// and confirmed by approver1; answers the application's id.
async fn approved_start_loan(platform: &Platform, founder: &Person, staff: &Staff) -> Uuid {
    approved_loan(platform, founder, staff, SMALL_BUSINESS_START_LOAN_ID).await
}

/// As [`approved_start_loan`], to the loan programme `programme_id`.
async fn approved_loan(
    platform: &Platform,
    founder: &Person,
    staff: &Staff,
    programme_id: Uuid,
) -> Uuid {
    let id = draft_loan(platform, founder, programme_id).await;
    let submitted = platform
        .post(
            founder,
            "applications",
            &format!("/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await
        .ok();
    if submitted["state"] != "in_review" {
        let seen_by_officer = platform
            .get(
                &staff.credit1,
                "applications",
                &format!("/v1/applications/{id}"),
            )
            .await
            .ok();
        panic!("screening did not pass: {seen_by_officer}");
    }
    assert!(
        submitted["score"]["score"].is_string(),
        "scored by the scoring service: {submitted}"
    );
    platform
        .post(
            &staff.credit1,
            "applications",
            &format!("/v1/applications/{id}/decision/proposal"),
            &json!({ "outcome": "approve", "amount": PRINCIPAL, "term_months": 12,
                     "annual_rate_percent": "26", "grace_months": 0 }),
        )
        .await
        .ok();
    let approved = platform
        .post(
            &staff.approver1,
            "applications",
            &format!("/v1/applications/{id}/decision/confirmation"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(approved["state"], "approved", "{approved}");
    id
}

/// founder's MVP co-funding grant of 50 000 000 for `company_id`, submitted into review,
/// proposed by credit1 and confirmed by approver1: the application's id.
async fn approved_grant(
    platform: &Platform,
    founder: &Person,
    staff: &Staff,
    company_id: Uuid,
) -> String {
    let draft = platform
        .post(
            founder,
            "applications",
            "/v1/applications",
            &json!({
                "programme_id": MVP_CO_FUNDING_GRANT_ID,
                "company_id": company_id,
                "requested_amount": "50000000.00",
                "project_cost": "100000000.00",
                "term_months": 12,
                "answers": grant_answers(),
            }),
        )
        .await
        .ok();
    let id = draft["id"].as_str().unwrap().to_owned();
    let submitted = platform
        .post(
            founder,
            "applications",
            &format!("/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(submitted["state"], "in_review", "{submitted}");
    platform
        .post(
            &staff.credit1,
            "applications",
            &format!("/v1/applications/{id}/decision/proposal"),
            &json!({ "outcome": "approve", "amount": "50000000.00", "term_months": 12 }),
        )
        .await
        .ok();
    let approved = platform
        .post(
            &staff.approver1,
            "applications",
            &format!("/v1/applications/{id}/decision/confirmation"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(approved["state"], "approved", "{approved}");
    id
}

/// The contract disbursement made from the application's `application.approved` event, as
/// the founder sees it.
async fn contract_for(platform: &Platform, founder: &Person, application_id: Uuid) -> Value {
    eventually(
        &format!("the contract for application {application_id} (application.approved through the outbox relay)"),
        || async {
            let page = platform
                .get(founder, "disbursement", "/v1/me/contracts")
                .await
                .ok();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|contract| contract["application_id"] == application_id.to_string())
                .cloned()
        },
    )
    .await
}

/// Signs, activates with `disbursement_date`, and has tranche 1 requested by credit1 and
/// approved by credit2 (credit1 may not approve their own request); answers the contract id.
async fn contract_ready_to_disburse(
    platform: &Platform,
    founder: &Person,
    staff: &Staff,
    application_id: Uuid,
    disbursement_date: NaiveDate,
) -> Uuid {
    company_account(platform, founder).await;
    let contract = contract_for(platform, founder, application_id).await;
    assert_eq!(contract["status"], "draft", "{contract}");
    assert_eq!(contract["principal"], PRINCIPAL);
    assert_eq!(contract["annual_rate_percent"], "26");
    assert_eq!(contract["repayment_method"], "equal_principal");
    assert_eq!(contract["client_id"], founder.client_id().to_string());
    let id: Uuid = contract["id"].as_str().unwrap().parse().unwrap();
    let signed = platform.sign_contract(founder, &id.to_string()).await.ok();
    assert_eq!(signed["status"], "signed");
    let active = platform
        .post(
            &staff.credit1,
            "disbursement",
            &format!("/v1/contracts/{id}/activate"),
            &json!({ "disbursement_date": disbursement_date.to_string() }),
        )
        .await
        .ok();
    assert_eq!(active["status"], "active", "{active}");
    assert_eq!(date(&active["disbursement_date"]), disbursement_date);
    let tranche = |action: &str| format!("/v1/contracts/{id}/tranches/1/{action}");
    let requested = platform
        .post(
            &staff.credit1,
            "disbursement",
            &tranche("request"),
            &json!({ "note": "the whole loan at once" }),
        )
        .await
        .ok();
    assert_eq!(requested["status"], "requested");
    platform
        .post(
            &staff.credit1,
            "disbursement",
            &tranche("approve"),
            &json!({}),
        )
        .await
        .refused(403, "four_eyes_violation");
    let approved = platform
        .post(
            &staff.credit2,
            "disbursement",
            &tranche("approve"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved_by"], staff.credit2.user_id.to_string());
    id
}

/// The contract's schedule as the founder sees it.
async fn schedule(platform: &Platform, founder: &Person, contract_id: Uuid) -> Value {
    platform
        .get(
            founder,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/schedule"),
        )
        .await
        .ok()
}

/// Runs disbursement's daily job (collection, then arrears) through `as_of`, as an
/// administrator; answers the dates it assessed.
async fn run_daily_job(platform: &Platform, admin: &Person, as_of: NaiveDate) -> Vec<Value> {
    let run = platform
        .post(
            admin,
            "disbursement",
            &format!("/v1/arrears/run?as_of={as_of}"),
            &json!({}),
        )
        .await
        .ok();
    run["assessed"].as_array().unwrap().clone()
}

/// The daily job runs once at start-up, for today, before any loan exists, and never assesses
/// a date twice: a loan booked later today with due dates in the past would wait for
/// tomorrow's run. The test forgets that empty run (after it completed), as if the loan had
/// been booked before the job's first run, so the job can be driven through the loan's past
/// due dates with today still today. On a weekend or holiday the job does not run at start-up
/// (it waits for the next business day), so there is nothing to forget, and none may have run.
async fn forget_the_start_up_run_of_the_daily_job(platform: &Platform) {
    let pool = platform.database("disbursement").await;
    let calendar = imkon_platform::calendar::BankCalendar::default();
    if calendar.is_business_day(calendar.today()) {
        eventually("the daily job's start-up run", || async {
            let completed: i64 = sqlx::query_scalar(
                "select count(*) from arrears_run where completed_at is not null",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            (completed > 0).then_some(())
        })
        .await;
    } else {
        let runs: i64 = sqlx::query_scalar("select count(*) from arrears_run")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(runs, 0, "the job ran on a day that is not a business day");
    }
    let loans_assessed: i64 = sqlx::query_scalar("select count(*) from arrears_day")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(loans_assessed, 0, "the start-up run found no loan");
    sqlx::query("delete from arrears_run")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// The number of the bank's settlement account in sums (seeded by accounts).
async fn settlement_account(platform: &Platform) -> String {
    let pool = platform.database("accounts").await;
    let number = sqlx::query_scalar(
        "select number from account where kind = 'bank_settlement' and currency = 'UZS' order by created_at limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    number
}

/// Finance moves `amount` between a client's current account and the bank's settlement
/// account (`withdrawal` takes it out, `deposit` puts it in) with four eyes: `proposer` proposes
/// the transfer, cannot confirm it alone, and `confirmer` books it.
async fn cash_movement(
    platform: &Platform,
    proposer: &Person,
    confirmer: &Person,
    kind: &str,
    current: &str,
    settlement: &str,
    amount: &str,
) -> Value {
    let (debit, credit) = match kind {
        "withdrawal" => (current, settlement),
        "deposit" => (settlement, current),
        other => panic!("no cash movement called {other}"),
    };
    let proposal = platform
        .post(
            proposer,
            "accounts",
            "/v1/transfers",
            &json!({
                "kind": kind,
                "reference": format!("e2e:{kind}"),
                "currency": "UZS",
                "legs": [
                    { "account": debit, "side": "debit", "amount": amount },
                    { "account": credit, "side": "credit", "amount": amount },
                ],
            }),
        )
        .await
        .ok();
    assert_eq!(proposal["status"], "pending", "{proposal}");
    let confirm = format!(
        "/v1/transfer-proposals/{}/confirm",
        proposal["id"].as_str().expect("a proposal has an id")
    );
    platform
        .post(proposer, "accounts", &confirm, &json!({}))
        .await
        .refused(403, "four_eyes_violation");
    let transfer = platform
        .post(confirmer, "accounts", &confirm, &json!({}))
        .await
        .ok();
    assert_eq!(transfer["status"], "posted", "{transfer}");
    transfer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loan_goes_from_application_to_closed_contract_across_every_service() {
    let platform = Platform::start().await;
    let founder = platform.login("founder1").await;
    let staff = Staff::login(&platform).await;
    let (current, opening_balance) = company_account(&platform, &founder).await;
    assert_eq!(opening_balance, "0.00");
    let mut posted = platform.assert_ledger_holds("start-up").await;
    let mut money_moved = |now_posted: i64, step: &str| {
        assert!(now_posted > posted, "{step} posted a transfer");
        posted = now_posted;
    };

    let application_id = approved_start_loan(&platform, &founder, &staff).await;
    // Four months back, so three instalments fell due more than five days ago and the fourth
    // falls due about today.
    let disbursement_date = months_before(today(), 4);
    let contract_id = contract_ready_to_disburse(
        &platform,
        &founder,
        &staff,
        application_id,
        disbursement_date,
    )
    .await;

    let disbursed = platform
        .post(
            &staff.finance1,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/tranches/1/disburse"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(disbursed["status"], "disbursed", "{disbursed}");
    let (_, balance) = company_account(&platform, &founder).await;
    assert_eq!(
        balance, PRINCIPAL,
        "the loan is on the founder's company's current account"
    );
    money_moved(
        platform.assert_ledger_holds("the disbursement").await,
        "the disbursement",
    );
    // Disbursement's contract.ready_to_sign and tranche.paid reach applications through the
    // outbox relay, which tells the founder in their inbox.
    eventually(
        "the founder's notices of the contract to sign and the tranche paid",
        || async {
            let inbox = platform
                .get(&founder, "applications", "/v1/inbox")
                .await
                .ok();
            let subjects: Vec<String> = inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|item| item["subject"].as_str().map(str::to_owned))
                .collect();
            ["Imkon: contract ready to sign", "Imkon: tranche paid out"]
                .iter()
                .all(|subject| subjects.iter().any(|found| found == subject))
                .then_some(())
        },
    )
    .await;

    let plan = schedule(&platform, &founder, contract_id).await;
    let installments = plan["installments"].as_array().unwrap().clone();
    assert_eq!(installments.len(), 12, "{plan}");
    let due_on = |number: usize| date(&installments[number - 1]["due_date"]);
    let total_of = |number: usize| amount(&installments[number - 1]["total"]);
    assert_eq!(due_on(1), months_before(disbursement_date, -1));
    assert!(days_after(due_on(3), 5) < today(), "{plan}");

    // The job collects the first two instalments on their due dates from the current account.
    forget_the_start_up_run_of_the_daily_job(&platform).await;
    let assessed = run_daily_job(&platform, &staff.admin1, due_on(2)).await;
    assert_eq!(date(&assessed[0]["as_of"]), due_on(1), "{assessed:?}");
    assert!(assessed.iter().all(|day| day["contracts_overdue"] == 0));
    let repayments = platform
        .get(
            &founder,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/repayments"),
        )
        .await
        .ok();
    let repayments = repayments.as_array().unwrap();
    assert_eq!(repayments.len(), 2, "{repayments:?}");
    for (repayment, number) in repayments.iter().zip([1, 2]) {
        assert_eq!(repayment["kind"], "scheduled");
        assert_eq!(date(&repayment["repaid_on"]), due_on(number));
        assert_eq!(amount(&repayment["amount"]), total_of(number));
    }
    let (_, balance) = company_account(&platform, &founder).await;
    assert_eq!(
        amount(&json!(balance)),
        amount(&json!(PRINCIPAL)) - total_of(1) - total_of(2)
    );
    money_moved(
        platform.assert_ledger_holds("two repayments").await,
        "two repayments",
    );

    // The founder empties the account, so the third instalment cannot be collected.
    let settlement = settlement_account(&platform).await;
    cash_movement(
        &platform,
        &staff.finance1,
        &staff.admin1,
        "withdrawal",
        &current,
        &settlement,
        &balance,
    )
    .await;
    let (_, balance) = company_account(&platform, &founder).await;
    assert_eq!(balance, "0.00");
    money_moved(
        platform.assert_ledger_holds("the withdrawal").await,
        "the withdrawal",
    );

    let five_days_late = days_after(due_on(3), 5);
    let assessed = run_daily_job(&platform, &staff.admin1, five_days_late).await;
    assert_eq!(date(&assessed.last().unwrap()["as_of"]), five_days_late);
    assert_eq!(assessed.last().unwrap()["contracts_overdue"], 1);
    let arrears = platform
        .get(&staff.credit1, "disbursement", "/v1/arrears")
        .await
        .ok();
    assert_eq!(date(&arrears["as_of"]), five_days_late);
    let items = arrears["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{arrears}");
    let item = &items[0];
    assert_eq!(item["contract_id"], contract_id.to_string());
    assert_eq!(item["client_id"], founder.client_id().to_string());
    assert_eq!(item["days_past_due"], 5);
    assert_eq!(item["overdue_installments"], 1);
    assert_eq!(item["bucket"], "1-30");
    assert_eq!(amount(&item["total_overdue"]), total_of(3));
    assert!(amount(&item["penalty_outstanding"]) > Decimal::ZERO);
    let plan = schedule(&platform, &founder, contract_id).await;
    assert_eq!(plan["installments"][2]["status"], "overdue");
    assert_eq!(plan["installments"][2]["days_past_due"], 5);
    platform.assert_ledger_holds("the missed instalment").await;

    // The start loan refuses founders with an overdue loan: applications asks disbursement.
    let refused = submitted_start_loan(&platform, &founder).await;
    assert_eq!(refused["state"], "decision", "{refused}");
    let timeline = platform
        .get(
            &founder,
            "applications",
            &format!(
                "/v1/applications/{}/timeline",
                refused["id"].as_str().unwrap()
            ),
        )
        .await
        .ok();
    let knocked_out = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["kind"] == "screening_knocked_out")
        .unwrap_or_else(|| panic!("knocked out: {timeline}"));
    assert_eq!(
        knocked_out["details"]["knockouts"],
        json!([{"code": "overdue_loan"}])
    );

    // Money comes back; the founder pays what is due today, then repays the rest early.
    cash_movement(
        &platform,
        &staff.finance1,
        &staff.admin1,
        "deposit",
        &current,
        &settlement,
        "150000000.00",
    )
    .await;
    money_moved(
        platform.assert_ledger_holds("the deposit").await,
        "the deposit",
    );
    let due_today = amount(&plan["due_today"]);
    let paid = platform
        .post(
            &founder,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/repayments"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(paid["kind"], "scheduled");
    assert_eq!(amount(&paid["amount"]), due_today, "{paid}");
    assert!(amount(&paid["penalty"]) > Decimal::ZERO);
    let eligible = submitted_start_loan(&platform, &founder).await;
    assert_eq!(
        eligible["state"], "in_review",
        "nothing is overdue once paid: {eligible}"
    );
    money_moved(
        platform
            .assert_ledger_holds("the payment of what was due")
            .await,
        "the payment of what was due",
    );

    let plan = schedule(&platform, &founder, contract_id).await;
    let outstanding: Decimal = plan["installments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["status"] != "paid")
        .map(|row| amount(&row["principal"]) - amount(&row["paid"]).min(amount(&row["principal"])))
        .sum();
    assert!(outstanding > Decimal::ZERO, "{plan}");
    let early = platform
        .post(
            &founder,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/repayments"),
            &json!({ "amount": outstanding.to_string(), "option": "keep_term" }),
        )
        .await
        .ok();
    assert_eq!(early["kind"], "early", "{early}");
    assert_eq!(amount(&early["principal"]), outstanding);
    let contract = platform
        .get(
            &founder,
            "disbursement",
            &format!("/v1/contracts/{contract_id}"),
        )
        .await
        .ok();
    assert_eq!(contract["status"], "closed", "{contract}");
    let loan_account = contract["loan_account_number"].as_str().unwrap();
    let loan = platform
        .get(
            &founder,
            "accounts",
            &format!("/v1/accounts/{loan_account}"),
        )
        .await
        .ok();
    assert_eq!(loan["posted_balance"], "0.00", "nothing is owed: {loan}");
    money_moved(
        platform.assert_ledger_holds("the early repayment").await,
        "the early repayment",
    );

    platform.assert_every_event_delivered().await;

    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_disbursement_request_repeated_twenty_times_in_parallel_pays_once() {
    let platform = Platform::start().await;
    let founder = platform.login("founder1").await;
    let staff = Staff::login(&platform).await;
    let application_id = approved_start_loan(&platform, &founder, &staff).await;
    let contract_id =
        contract_ready_to_disburse(&platform, &founder, &staff, application_id, today()).await;

    // Ten retries of one request (one key) and ten separate requests (a key each), at once.
    let url = platform.url(
        "disbursement",
        &format!("/v1/contracts/{contract_id}/tranches/1/disburse"),
    );
    let token = staff.finance1.token("disbursement").to_owned();
    let retried_key = Uuid::now_v7().to_string();
    let mut requests = tokio::task::JoinSet::new();
    for attempt in 0..20 {
        let key = if attempt % 2 == 0 {
            retried_key.clone()
        } else {
            Uuid::now_v7().to_string()
        };
        let (http, url, token) = (platform.http.clone(), url.clone(), token.clone());
        requests.spawn(async move {
            let response = http
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        });
    }
    let replies = requests.join_all().await;
    let mut transfer_ids = Vec::new();
    for (status, body) in replies {
        match status {
            200 => transfer_ids.push(body["transfer_id"].clone()),
            409 => {}
            other => panic!("a disbursement answered {other}: {body}"),
        }
    }
    assert!(!transfer_ids.is_empty(), "one disbursement went through");
    assert!(
        transfer_ids.iter().all(|id| *id == transfer_ids[0]),
        "every success names the same transfer: {transfer_ids:?}"
    );

    let contract = platform
        .get(
            &founder,
            "disbursement",
            &format!("/v1/contracts/{contract_id}"),
        )
        .await
        .ok();
    let tranche_id: Uuid = {
        let pool = platform.database("disbursement").await;
        let id = sqlx::query_scalar("select id from tranche where contract_id = $1 and number = 1")
            .bind(contract_id)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        id
    };
    let pool = platform.database("accounts").await;
    let transfers: Vec<(Uuid,)> =
        sqlx::query_as("select id from transfer where idempotency_key = $1 or reference = $2")
            .bind(format!("tranche:{tranche_id}:disburse"))
            .bind(format!("tranche:{tranche_id}"))
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(
        transfers.len(),
        1,
        "one transfer for the tranche: {transfers:?}"
    );
    assert_eq!(
        transfer_ids[0],
        json!(transfers[0].0),
        "the tranche names the ledger's transfer"
    );
    assert_eq!(contract["tranches"][0]["status"], "disbursed");
    let (_, balance) = company_account(&platform, &founder).await;
    assert_eq!(balance, PRINCIPAL, "paid once");
    platform
        .assert_ledger_holds("twenty disbursement requests")
        .await;

    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_event_delivered_three_times_makes_one_contract() {
    let platform = Platform::start().await;
    let founder = platform.login("founder1").await;
    let staff = Staff::login(&platform).await;
    let application_id = approved_start_loan(&platform, &founder, &staff).await;
    let contract = contract_for(&platform, &founder, application_id).await;

    // The relay delivered the event once; deliver the same envelope twice more, as a relay
    // does when an acknowledgement is lost, and once more under a new envelope id, as if the
    // event had been published twice.
    let pool = platform.database("applications").await;
    let (event_id, occurred_at, payload): (Uuid, sqlx::types::chrono::DateTime<Utc>, Value) =
        sqlx::query_as(
            "select id, created_at, payload from outbox_event
             where topic = 'application.approved' and payload->>'application_id' = $1",
        )
        .bind(application_id.to_string())
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let token = platform.service_token("applications", Audience::Disbursement);
    let republished = Uuid::now_v7();
    for (envelope_id, outcome) in [
        (event_id, "duplicate"),
        (event_id, "duplicate"),
        (republished, "applied"),
    ] {
        let delivered = platform
            .call(
                Method::POST,
                Some(&token),
                "disbursement",
                "/v1/events",
                Some(&json!({
                    "id": envelope_id,
                    "topic": "application.approved",
                    "occurred_at": occurred_at,
                    "payload": payload,
                })),
                None,
            )
            .await
            .ok();
        assert_eq!(delivered["outcome"], outcome, "envelope {envelope_id}");
    }

    let page = platform
        .get(&staff.credit1, "disbursement", "/v1/contracts")
        .await
        .ok();
    let made: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["application_id"] == application_id.to_string())
        .collect();
    assert_eq!(made.len(), 1, "one contract: {page}");
    assert_eq!(made[0]["id"], contract["id"]);
    assert_eq!(made[0]["tranches"].as_array().unwrap().len(), 1);

    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_founder_cannot_see_another_founders_application_or_account() {
    let platform = Platform::start().await;
    let founder1 = platform.login("founder1").await;
    let founder2 = platform.login("founder2").await;
    let application_id = draft_start_loan(&platform, &founder1).await;
    let (account, _) = current_account(&platform, &founder1).await;
    current_account(&platform, &founder2).await;

    platform
        .get(
            &founder1,
            "applications",
            &format!("/v1/applications/{application_id}"),
        )
        .await
        .ok();
    platform
        .get(
            &founder2,
            "applications",
            &format!("/v1/applications/{application_id}"),
        )
        .await
        .refused(404, "not_found");
    let timeline = platform
        .get(
            &founder2,
            "applications",
            &format!("/v1/applications/{application_id}/timeline"),
        )
        .await;
    assert_eq!(timeline.status, 404, "{timeline:?}");
    let own = platform
        .get(&founder2, "applications", "/v1/applications")
        .await
        .ok();
    assert!(
        !own.to_string().contains(&application_id.to_string()),
        "founder2's list leaves founder1's application out: {own}"
    );

    platform
        .get(&founder1, "accounts", &format!("/v1/accounts/{account}"))
        .await
        .ok();
    let details = platform
        .get(&founder2, "accounts", &format!("/v1/accounts/{account}"))
        .await;
    assert_eq!(details.status, 404, "{details:?}");
    let statement = platform
        .get(
            &founder2,
            "accounts",
            &format!("/v1/accounts/{account}/statement"),
        )
        .await;
    assert_eq!(statement.status, 404, "{statement:?}");
    let mine = platform
        .get(&founder2, "accounts", "/v1/me/accounts")
        .await
        .ok();
    assert!(!mine.to_string().contains(&account), "{mine}");

    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_one_service_is_refused_by_another() {
    let platform = Platform::start().await;
    let founder = platform.login("founder1").await;
    current_account(&platform, &founder).await;

    let applications_token = founder.token("applications");
    let refused = platform
        .call(
            Method::GET,
            Some(applications_token),
            "accounts",
            "/v1/me/accounts",
            None,
            None,
        )
        .await;
    assert_eq!(refused.status, 401, "{refused:?}");
    let accounts_token = founder.token("accounts");
    let refused = platform
        .call(
            Method::GET,
            Some(accounts_token),
            "applications",
            "/v1/applications",
            None,
            None,
        )
        .await;
    assert_eq!(refused.status, 401, "{refused:?}");
    let refused = platform
        .call(
            Method::GET,
            Some(applications_token),
            "disbursement",
            "/v1/me/contracts",
            None,
            None,
        )
        .await;
    assert_eq!(refused.status, 401, "{refused:?}");

    // A service's token is addressed too: one for accounts does not deliver events to
    // disbursement.
    let misaddressed = platform.service_token("applications", Audience::Accounts);
    let refused = platform
        .call(
            Method::POST,
            Some(&misaddressed),
            "disbursement",
            "/v1/events",
            Some(
                &json!({ "id": Uuid::now_v7(), "topic": "application.approved",
                          "occurred_at": Utc::now(), "payload": {} }),
            ),
            None,
        )
        .await;
    assert_eq!(refused.status, 401, "{refused:?}");

    platform
        .get(&founder, "accounts", "/v1/me/accounts")
        .await
        .ok();
    platform
        .get(&founder, "applications", "/v1/applications")
        .await
        .ok();
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_is_paid_out_milestone_by_milestone_and_then_closes() {
    let platform = Platform::start().await;
    let founder = platform.login("founder1").await;
    let staff = Staff::login(&platform).await;
    let (_, opening_balance) = company_account(&platform, &founder).await;
    assert_eq!(opening_balance, "0.00");

    let company_id = company_of(&platform, &founder).await;
    let id = approved_grant(&platform, &founder, &staff, company_id).await;

    let contract = contract_for(&platform, &founder, id.parse().unwrap()).await;
    assert_eq!(contract["programme_kind"], "grant");
    let contract_id = contract["id"].as_str().unwrap().to_owned();
    let tranches = contract["tranches"].as_array().unwrap();
    assert_eq!(tranches.len(), 2, "two milestones: {contract}");
    assert_eq!(tranches[0]["amount"], "25000000.00");
    platform.sign_contract(&founder, &contract_id).await.ok();
    platform
        .post(
            &staff.credit1,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/activate"),
            &json!({}),
        )
        .await
        .ok();

    for (number, paid_so_far) in [(1, "25000000.00"), (2, "50000000.00")] {
        let tranche =
            |action: &str| format!("/v1/contracts/{contract_id}/tranches/{number}/{action}");
        let requested = platform
            .post(
                &founder,
                "disbursement",
                &tranche("request"),
                &json!({ "note": format!("milestone {number}: the MVP's next release is live") }),
            )
            .await
            .ok();
        assert_eq!(requested["status"], "requested");
        platform
            .post(
                &staff.credit1,
                "disbursement",
                &tranche("approve"),
                &json!({}),
            )
            .await
            .ok();
        let disbursed = platform
            .post(
                &staff.finance1,
                "disbursement",
                &tranche("disburse"),
                &json!({}),
            )
            .await
            .ok();
        assert_eq!(disbursed["status"], "disbursed", "{disbursed}");
        let (_, balance) = company_account(&platform, &founder).await;
        assert_eq!(balance, paid_so_far, "after milestone {number}");
        platform
            .assert_ledger_holds(&format!("milestone {number}"))
            .await;
    }

    let contract = platform
        .get(
            &founder,
            "disbursement",
            &format!("/v1/contracts/{contract_id}"),
        )
        .await
        .ok();
    assert_eq!(contract["status"], "closed", "{contract}");
    let pool = platform.database("accounts").await;
    let funds: Vec<(String,)> =
        sqlx::query_as("select posted_balance::text from account where kind = 'grant_fund'")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(
        funds,
        vec![("0.00".to_owned(),)],
        "the fund paid out what it received"
    );
    platform.assert_every_event_delivered().await;

    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_companys_grant_is_paid_into_the_companys_account_after_kyb() {
    let platform = Platform::start().await;
    company_grant_journey(&platform).await;
    platform.stop().await;
}

/// The same journey with every service's events travelling through NATS JetStream (a server of
/// the test's own): the relays publish, each service's durable consumer applies, nothing is
/// parked, and every consumer's inbox holds what it was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_companys_grant_journey_runs_with_its_events_through_nats_jetstream() {
    let nats = NatsServer::start().await;
    let mut settings = Vec::new();
    for (service, _) in SERVICES {
        settings.push((service, "event_transport", "nats".to_owned()));
        settings.push((service, "nats_url", nats.url()));
    }
    let platform = Platform::start_configured(Arc::new(SystemClock), settings).await;
    company_grant_journey(&platform).await;

    let jetstream = JetStream::connect(&nats.url(), "e2e", 1).await.unwrap();
    assert!(jetstream.dead_letters(None, 10).await.unwrap().is_empty());
    for (service, topic) in [
        ("accounts", "company.kyc_approved"),
        ("applications", "tranche.paid"),
        ("disbursement", "application.approved"),
    ] {
        let pool = platform.database(service).await;
        eventually(&format!("{service} applying a {topic} event"), || async {
            let received: i64 =
                sqlx::query_scalar("select count(*) from inbox_event where topic = $1")
                    .bind(topic)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            (received >= 1).then_some(())
        })
        .await;
        pool.close().await;
    }
    platform.stop().await;
}

async fn company_grant_journey(platform: &Platform) {
    let founder = platform.login("founder1").await;
    let other_founder = platform.login("founder2").await;
    let staff = Staff::login(platform).await;
    let (personal, personal_balance) = current_account(platform, &founder).await;
    // The demo seed approved Aziz Soft's KYC; onboarding's relay delivered the approval to
    // accounts, which opened the company's own account: a legal entity's, in sums.
    let company_id = company_of(platform, &founder).await;
    let (company_number, company_balance) = company_account(platform, &founder).await;
    assert_eq!(company_balance, "0.00");
    assert!(company_number.starts_with("20208000"), "{company_number}");
    assert_ne!(company_number, personal);
    let found = platform
        .get(
            &staff.credit1,
            "accounts",
            &format!("/v1/accounts?company_id={company_id}&kind=company_current"),
        )
        .await
        .ok();
    assert_eq!(found[0]["number"], company_number.as_str(), "{found}");
    assert_eq!(
        found[0]["owner"],
        json!({"kind": "company", "company_id": company_id})
    );
    let seen_by_another = platform
        .get(&other_founder, "accounts", "/v1/me/accounts")
        .await
        .ok();
    assert!(
        seen_by_another
            .as_array()
            .unwrap()
            .iter()
            .all(|account| account["number"] != company_number.as_str()),
        "{seen_by_another}"
    );
    platform
        .get(
            &other_founder,
            "accounts",
            &format!("/v1/accounts/{company_number}"),
        )
        .await
        .refused(404, "not_found");

    let id = approved_grant(platform, &founder, &staff, company_id).await;
    let contract = contract_for(platform, &founder, id.parse().unwrap()).await;
    assert_eq!(contract["company_id"], company_id.to_string(), "{contract}");
    let contract_id = contract["id"].as_str().unwrap().to_owned();
    platform.sign_contract(&founder, &contract_id).await.ok();
    platform
        .post(
            &staff.credit1,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/activate"),
            &json!({}),
        )
        .await
        .ok();
    let tranche = |action: &str| format!("/v1/contracts/{contract_id}/tranches/1/{action}");
    platform
        .post(
            &founder,
            "disbursement",
            &tranche("request"),
            &json!({ "note": "milestone 1: the MVP is live" }),
        )
        .await
        .ok();
    platform
        .post(
            &staff.credit1,
            "disbursement",
            &tranche("approve"),
            &json!({}),
        )
        .await
        .ok();
    let disbursed = platform
        .post(
            &staff.finance1,
            "disbursement",
            &tranche("disburse"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(disbursed["status"], "disbursed", "{disbursed}");

    let (_, company_balance) = company_account(platform, &founder).await;
    assert_eq!(
        company_balance, "25000000.00",
        "the first milestone's money"
    );
    assert_eq!(
        current_account(platform, &founder).await,
        (personal, personal_balance),
        "the founder's own account is untouched"
    );
    platform
        .assert_ledger_holds("a grant paid into a company's account")
        .await;
    platform.assert_every_event_delivered().await;
}

/// The founder uploads a passport scan and submits KYC; kyc1 takes the case, accepts the scan
/// and approves it.
async fn kyc_approved_by_kyc1(platform: &Platform, founder: &Person) {
    case_approved_by_kyc1(platform, founder, None, &["passport_scan"]).await;
}

/// The founder uploads a document of each of `kinds` (for `company_id`'s case, or their own)
/// and submits the case; kyc1 takes it, accepts every document and approves it.
async fn case_approved_by_kyc1(
    platform: &Platform,
    founder: &Person,
    company_id: Option<&str>,
    kinds: &[&str],
) {
    for kind in kinds {
        let company_part = company_id.map_or_else(String::new, |id| {
            format!("--b\r\nContent-Disposition: form-data; name=\"company_id\"\r\n\r\n{id}\r\n")
        });
        let body = format!(
            "{company_part}--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
             --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n\
             Content-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n--b--\r\n"
        );
        let uploaded = platform
            .http
            .post(platform.url("onboarding", "/v1/me/documents"))
            .bearer_auth(founder.token("onboarding"))
            .header("content-type", "multipart/form-data; boundary=b")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            uploaded.status(),
            201,
            "{kind}: {:?}",
            uploaded.text().await
        );
    }
    let case = platform
        .post(
            founder,
            "onboarding",
            "/v1/me/kyc/submit",
            &json!({ "company_id": company_id }),
        )
        .await
        .ok();
    let case_path = format!("/v1/kyc/cases/{}", case["case_id"].as_str().unwrap());
    let officer = platform.login("kyc1").await;
    platform
        .post(
            &officer,
            "onboarding",
            &format!("{case_path}/assign"),
            &json!({}),
        )
        .await
        .ok();
    for document in case["documents"].as_array().unwrap() {
        let document_id = document["document_id"].as_str().unwrap();
        platform
            .post(
                &officer,
                "onboarding",
                &format!("{case_path}/documents/{document_id}/decision"),
                &json!({ "decision": "accepted" }),
            )
            .await
            .ok();
    }
    platform
        .post(
            &officer,
            "onboarding",
            &format!("{case_path}/approve"),
            &json!({}),
        )
        .await
        .ok();
}

/// A youth programme counts every founder of the company, as onboarding lists them: a young
/// applicant whose co-founder is over 30 (known to onboarding only by PINFL) is refused, and
/// told which founder is too old.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_youth_rule_reads_every_founder_of_the_company_from_onboarding() {
    let platform = Platform::start().await;
    let birth_date = imkon_platform::testing::years_from_today(-25);
    let pinfl = Pinfl::compose(birth_date, Sex::Female, 901).unwrap();
    platform
        .call(
            Method::POST,
            None,
            "onboarding",
            "/v1/registrations",
            Some(&json!({
                "username": "young.founder",
                "password": "young.founder-demo-pass",
                "pinfl": pinfl.as_str(),
                "birth_date": birth_date,
                "latin_name": { "surname": "Yusupova", "given_name": "Madina" },
                "passport": { "number": "AC7000901", "issue_date": imkon_platform::testing::years_from_today(-5), "expiry_date": imkon_platform::testing::years_from_today(5) },
                "phone": "998901000901",
                "address": { "region": "Toshkent", "district": "Chilonzor", "street_line": "Bunyodkor 9" }
            })),
            None,
        )
        .await
        .ok();
    let founder = platform.login("young.founder").await;
    kyc_approved_by_kyc1(&platform, &founder).await;
    let partner_born = NaiveDate::from_ymd_opt(1980, 1, 20).unwrap();
    let partner = Pinfl::compose(partner_born, Sex::Male, 902).unwrap();
    let company = platform
        .post(
            &founder,
            "onboarding",
            "/v1/me/companies",
            &json!({
                "stir": "307000901",
                "name": "Madina Labs",
                "legal_form": "llc",
                "registration_date": "2025-02-01",
                "founders": [
                    { "client_id": founder.client_id(), "share_percent": "70" },
                    { "pinfl": partner.as_str(), "share_percent": "30" }
                ]
            }),
        )
        .await
        .ok();
    // Funding needs the company's own KYC approved too.
    case_approved_by_kyc1(
        &platform,
        &founder,
        company["company_id"].as_str(),
        &["company_charter", "registration_certificate"],
    )
    .await;

    let draft = platform
        .post(
            &founder,
            "applications",
            "/v1/applications",
            &json!({
                "programme_id": YOUTH_LOAN_ID,
                "company_id": company["company_id"],
                "requested_amount": "100000000.00",
                "term_months": 12,
                "answers": loan_answers(),
            }),
        )
        .await
        .ok();
    let id = draft["id"].as_str().unwrap();
    let submitted = platform
        .post(
            &founder,
            "applications",
            &format!("/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(
        submitted["state"], "decision",
        "screening proposes a rejection for an approver to confirm: {submitted}"
    );
    let timeline = platform
        .get(
            &founder,
            "applications",
            &format!("/v1/applications/{id}/timeline"),
        )
        .await
        .ok();
    let knockout = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["kind"] == "screening_knocked_out")
        .unwrap_or_else(|| panic!("a knockout on the timeline: {timeline}"));
    let partner_age = today().years_since(partner_born).unwrap();
    assert_eq!(
        knockout["details"]["reason"],
        format!(
            "founder 2 in the company's list is {partner_age}; the programme is for founders up to 30"
        ),
        "the co-founder, and only them, is named with their age and the limit"
    );
    assert_eq!(
        knockout["details"]["knockouts"],
        json!([{
            "code": "founder_too_old",
            "figures": { "number": 2, "age_years": partner_age, "max_age_years": 30 }
        }]),
        "and as a code with its figures, for each reader's language"
    );

    platform.stop().await;
}

/// Issue 14, hole 4: a service's token is worth what the service policy grants it. Scoring and
/// applications hold valid tokens for accounts, yet neither moves money nor opens an overdraft,
/// and only onboarding delivers a KYC approval; disbursement's payouts are covered above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_token_moves_money_or_publishes_a_topic_only_as_the_policy_allows() {
    let platform = Platform::start().await;
    let founder = platform.login("founder1").await;
    let (account, balance) = current_account(&platform, &founder).await;

    let scoring = platform.service_token("scoring", Audience::Accounts);
    let transfer = json!({
        "kind": "adjustment", "reference": "scoring pays", "currency": "UZS",
        "legs": [{"account": account, "side": "debit", "amount": "1.00"},
                 {"account": account, "side": "credit", "amount": "1.00"}],
    });
    let refused = platform
        .call(
            Method::POST,
            Some(&scoring),
            "accounts",
            "/v1/transfers",
            Some(&transfer),
            Some("scoring-moves-money"),
        )
        .await;
    assert_eq!(refused.status, 403, "{refused:?}");

    let applications = platform.service_token("applications", Audience::Accounts);
    let overdraft = json!({
        "owner": {"kind": "client", "client_id": founder.client_id},
        "kind": "client_current", "currency": "UZS", "allow_negative": true,
    });
    let refused = platform
        .call(
            Method::POST,
            Some(&applications),
            "accounts",
            "/v1/accounts",
            Some(&overdraft),
            Some("applications-opens-an-overdraft"),
        )
        .await;
    assert_eq!(refused.status, 403, "{refused:?}");

    let forged_kyc = json!({
        "id": Uuid::now_v7(), "topic": "client.kyc_approved", "occurred_at": Utc::now(),
        "payload": {"client_id": Uuid::now_v7()},
    });
    let refused = platform
        .call(
            Method::POST,
            Some(&applications),
            "accounts",
            "/v1/events",
            Some(&forged_kyc),
            None,
        )
        .await;
    assert_eq!(refused.status, 403, "{refused:?}");

    assert_eq!(current_account(&platform, &founder).await.1, balance);
    platform.stop().await;
}

/// A founder opens a dollar account, exchanges sums into it at the demo's published rates, and
/// is told in their inbox: accounts' outbox relay delivers `account.money_moved` to
/// applications. The ledger balances in each currency afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_between_a_founders_own_accounts_is_booked_and_announced() {
    let platform = Platform::start().await;
    let staff = Staff::login(&platform).await;
    let founder = platform.login("founder1").await;
    let (sums, _) = current_account(&platform, &founder).await;
    let settlement = settlement_account(&platform).await;
    cash_movement(
        &platform,
        &staff.finance1,
        &staff.admin1,
        "deposit",
        &sums,
        &settlement,
        "1269000.00",
    )
    .await;
    let dollars = platform
        .post(
            &founder,
            "accounts",
            "/v1/me/accounts",
            &json!({"currency": "USD", "name": "Travel"}),
        )
        .await
        .ok();
    let dollars = dollars["number"].as_str().unwrap().to_owned();

    // The demo sells dollars at 12 690 sums: 1 269 000 sums buy exactly 100 dollars.
    let quote = platform
        .post(
            &founder,
            "accounts",
            "/v1/me/exchanges/quote",
            &json!({"from_account": sums, "to_account": dollars, "sell_amount": "1269000.00"}),
        )
        .await
        .ok();
    assert_eq!(quote["buy_amount"], "100.00", "{quote}");
    let exchange = platform
        .post(
            &founder,
            "accounts",
            "/v1/me/exchanges/confirm",
            &json!({"quote_id": quote["quote_id"], "confirmation_token": quote["confirmation_token"]}),
        )
        .await
        .ok();
    assert_eq!(exchange["sell_amount"], "1269000.00", "{exchange}");
    let balance = platform
        .get(&founder, "accounts", &format!("/v1/accounts/{dollars}"))
        .await
        .ok();
    assert_eq!(balance["posted_balance"], "100.00");
    platform.assert_ledger_holds("the exchange").await;

    eventually("the founder's notice of the exchange", || async {
        let inbox = platform
            .get(&founder, "applications", "/v1/inbox")
            .await
            .ok();
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["subject"] == "Imkon: currency exchanged")
            .then_some(())
    })
    .await;
    platform.assert_every_event_delivered().await;
    platform.stop().await;
}

#[tokio::test]
async fn a_founder_places_a_term_deposit_and_pays_a_utility_bill_and_is_told_of_each() {
    let platform = Platform::start().await;
    let staff = Staff::login(&platform).await;
    let founder = platform.login("founder1").await;
    let (sums, _) = current_account(&platform, &founder).await;
    let settlement = settlement_account(&platform).await;
    cash_movement(
        &platform,
        &staff.finance1,
        &staff.admin1,
        "deposit",
        &sums,
        &settlement,
        "2000000.00",
    )
    .await;
    let before = amount(
        &platform
            .get(&founder, "accounts", &format!("/v1/accounts/{sums}"))
            .await
            .ok()["posted_balance"],
    );

    let products = platform
        .get(&founder, "accounts", "/v1/deposit-products")
        .await
        .ok();
    let savings = products
        .as_array()
        .unwrap()
        .iter()
        .find(|product| product["currency"] == "UZS" && product["min_amount"] == "1000000.00")
        .expect("the demo's UZS savings product")
        .clone();
    let deposit = platform
        .post(
            &founder,
            "accounts",
            "/v1/me/deposits",
            &json!({"product_id": savings["id"], "from_account": sums, "amount": "1000000.00"}),
        )
        .await
        .ok();
    assert_eq!(deposit["state"], "open", "{deposit}");
    platform.assert_ledger_holds("the deposit's opening").await;

    let invoice = platform
        .get(&founder, "accounts", "/v1/billing/invoices/ELEC-5501-1126")
        .await
        .ok();
    assert_eq!(invoice["status"], "payable");
    let paid = platform
        .post(
            &founder,
            "accounts",
            "/v1/me/bill-payments",
            &json!({"invoice_number": "ELEC-5501-1126", "from_account": sums}),
        )
        .await
        .ok();
    assert_eq!(paid["state"], "paid", "{paid}");
    let receipt = platform
        .get(
            &founder,
            "accounts",
            &format!(
                "/v1/me/bill-payments/{}/receipt.pdf?lang=uz-Cyrl",
                paid["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(receipt.status, reqwest::StatusCode::OK);
    platform.assert_ledger_holds("the bill payment").await;

    let after = amount(
        &platform
            .get(&founder, "accounts", &format!("/v1/accounts/{sums}"))
            .await
            .ok()["posted_balance"],
    );
    assert_eq!(before - after, Decimal::from(1_186_400));
    let statement = platform
        .get(
            &founder,
            "accounts",
            &format!("/v1/accounts/{sums}/statement"),
        )
        .await
        .ok()
        .to_string();
    for kind in ["term_deposit", "bill_payment"] {
        assert!(
            statement.contains(kind),
            "the statement shows the {kind}: {statement}"
        );
    }
    for subject in ["Imkon: your term deposit", "Imkon: invoice paid"] {
        eventually(&format!("the founder's notice \"{subject}\""), || async {
            let inbox = platform
                .get(&founder, "applications", "/v1/inbox")
                .await
                .ok();
            inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|item| item["subject"] == subject)
                .then_some(())
        })
        .await;
    }
    platform.assert_every_event_delivered().await;
    platform.stop().await;
}

/// The accounts service's state for running its clearing run from the test, on the service's
/// database and on `clock`. The service runs the clearing every minute on the real clock, and
/// a payment goes out only at the next half-hour cut-off and settles five minutes after that;
/// rather than wait, the test runs the same run with a clock of its own moved past those
/// instants. The state answers no request, so its token verifier trusts a key of its own.
fn clearing_state(accounts: PgPool, clock: std::sync::Arc<SettableClock>) -> AppState {
    let key = SigningKey::generate(KeyId::parse("e2e-clearing-run").unwrap());
    let verifier = TokenVerifier::new(
        PublicKeySet::new([key.public_key()]).unwrap(),
        imkon_platform::auth_settings::DEFAULT_TOKEN_ISSUER,
        Audience::Accounts,
    )
    .unwrap();
    AppState::with_calendar(
        accounts,
        HttpLimits::default(),
        verifier,
        BankCalendar::with_clock(clock),
    )
}

/// The founder's account as the accounts service shows it: posted and available balance.
async fn balances_of(platform: &Platform, founder: &Person, number: &str) -> (Decimal, Decimal) {
    let account = platform
        .get(founder, "accounts", &format!("/v1/accounts/{number}"))
        .await
        .ok();
    (
        amount(&account["posted_balance"]),
        amount(&account["available_balance"]),
    )
}

/// A founder pays two accounts at another bank (MFO 00440): a company's open account, and the
/// account the demo's clearing house knows to be closed. Each payment's money is held on the
/// founder's current account, so it counts against the available balance while the posted
/// balance stays. At the next half-hour cut-off the clearing run sends both in one batch; when
/// the clearing settles it five minutes later, the first payment is settled (its hold posted,
/// the money gone) and the second returned with the reason `account_closed` (its hold voided,
/// the money free again). The founder is told of each in the inbox, the statement shows the
/// settled payment and nothing of the returned one, and the ledger's invariants hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_founder_pays_another_bank_and_is_told_when_it_settles_or_comes_back() {
    let platform = Platform::start().await;
    let finance1 = platform.login("finance1").await;
    let admin1 = platform.login("admin1").await;
    let founder = platform.login("founder1").await;
    let (sums, _) = current_account(&platform, &founder).await;
    let settlement = settlement_account(&platform).await;
    cash_movement(
        &platform,
        &finance1,
        &admin1,
        "deposit",
        &sums,
        &settlement,
        "1000000.00",
    )
    .await;
    let (before, _) = balances_of(&platform, &founder, &sums).await;

    let payee = AccountNumber::issue(
        BankCode::parse("00440").unwrap(),
        BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
        Currency::Uzs,
        12_345_678,
        1,
    )
    .unwrap()
    .to_string();
    let (closed_bank, closed) = demo_closed_account_at_other_bank();
    let pay = |to_bank: String, to_account: String, amount: &str| {
        let body = json!({
            "from_account": sums,
            "to_bank": to_bank,
            "to_account": to_account,
            "recipient_name": "OOO Silk Road Software",
            "purpose": "Invoice 42 for software development",
            "amount": amount,
        });
        let (platform, founder) = (&platform, &founder);
        async move {
            platform
                .post(founder, "accounts", "/v1/me/interbank-payments", &body)
                .await
                .ok()
        }
    };
    let settling = pay("00440".to_owned(), payee.clone(), "250000.00").await;
    let returning = pay(closed_bank.to_string(), closed.to_string(), "100000.00").await;
    for payment in [&settling, &returning] {
        assert_eq!(payment["state"], "accepted", "{payment}");
    }
    assert_eq!(
        balances_of(&platform, &founder, &sums).await,
        (before, before - Decimal::from(350_000)),
        "both payments held, nothing taken yet"
    );
    platform.assert_ledger_holds("the payments' holds").await;

    let state_of = |payment: &Value| {
        let path = format!(
            "/v1/me/interbank-payments/{}",
            payment["id"].as_str().unwrap()
        );
        let (platform, founder) = (&platform, &founder);
        async move { platform.get(founder, "accounts", &path).await.ok() }
    };
    // A minute after the next cut-off the run sends the batch; the service's own run, on the
    // real clock, reaches no cut-off during the test (and if it did, it would do the same work
    // once, which the run here would then find done).
    let next_cut_off = cut_off_at_or_before(Utc::now()) + std::time::Duration::from_secs(30 * 60);
    let clock = SettableClock::at(next_cut_off + std::time::Duration::from_secs(60));
    let clearing = clearing_state(platform.database("accounts").await, clock.clone());
    run_cycle(&clearing)
        .await
        .expect("the clearing run at the cut-off");
    for payment in [&settling, &returning] {
        assert_eq!(state_of(payment).await["state"], "sent");
    }
    // The clearing settles the batch five minutes after it received it, and the next run posts
    // or voids each payment's hold.
    clock.advance(SIMULATED_SETTLEMENT_DELAY);
    run_cycle(&clearing)
        .await
        .expect("the clearing run once settled");

    let settled = state_of(&settling).await;
    assert_eq!(settled["state"], "settled", "{settled}");
    let returned = state_of(&returning).await;
    assert_eq!(returned["state"], "returned", "{returned}");
    assert_eq!(returned["reason"], "account_closed");
    assert_eq!(
        balances_of(&platform, &founder, &sums).await,
        (
            before - Decimal::from(250_000),
            before - Decimal::from(250_000)
        ),
        "the settled payment left, the returned one's hold is released"
    );
    let batches = platform
        .get(&finance1, "accounts", "/v1/clearing/batches")
        .await
        .ok();
    assert_eq!(batches.as_array().unwrap().len(), 1, "{batches}");
    assert_eq!(batches[0]["state"], "settled");
    assert_eq!(batches[0]["payments"], 2);
    assert_eq!(batches[0]["total"], "350000.00");

    let statement = platform
        .get(
            &founder,
            "accounts",
            &format!("/v1/accounts/{sums}/statement"),
        )
        .await
        .ok();
    let lines = statement["entries"].as_array().unwrap();
    let paid: Vec<&Value> = lines
        .iter()
        .filter(|line| line["reference"].as_str().unwrap().contains(&payee))
        .collect();
    assert_eq!(
        paid.len(),
        1,
        "one line for the settled payment: {statement}"
    );
    assert_eq!(paid[0]["side"], "debit");
    assert_eq!(paid[0]["amount"], "250000.00");
    assert!(
        !statement.to_string().contains(&closed.to_string()),
        "the returned payment moved nothing: {statement}"
    );
    platform
        .assert_ledger_holds("the clearing's settlement")
        .await;

    eventually(
        "the founder's two notices of payments with another bank",
        || async {
            let inbox = platform
                .get(&founder, "applications", "/v1/inbox")
                .await
                .ok();
            let told = inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|item| item["subject"] == "Imkon: payment with another bank")
                .count();
            (told == 2).then_some(())
        },
    )
    .await;
    platform.assert_every_event_delivered().await;
    platform.stop().await;
}

/// The posted balance of the bank's own UZS accounts of `kind` (`loan_loss`, `fee_income`,
/// `penalty_income`), as the accounts service holds it.
async fn bank_balance(platform: &Platform, kind: &str) -> Decimal {
    let pool = platform.database("accounts").await;
    let balance = sqlx::query_scalar(
        "select coalesce(sum(posted_balance), 0) from account
         where kind = $1 and currency = 'UZS' and owner_client_id is null",
    )
    .bind(kind)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    balance
}

async fn loan_losses(platform: &Platform) -> Decimal {
    bank_balance(platform, "loan_loss").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_written_off_loan_paid_back_later_returns_its_money_to_the_bank_losses() {
    let platform = Platform::start().await;
    let founder = platform.login("founder1").await;
    let staff = Staff::login(&platform).await;
    let application_id = approved_start_loan(&platform, &founder, &staff).await;
    let contract_id =
        contract_ready_to_disburse(&platform, &founder, &staff, application_id, today()).await;
    platform
        .post(
            &staff.finance1,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/tranches/1/disburse"),
            &json!({}),
        )
        .await
        .ok();
    let losses_before = loan_losses(&platform).await;

    // A write-off takes two approvers: admin1 makes credit2 the second.
    platform
        .post(
            &staff.admin1,
            "onboarding",
            &format!("/v1/staff/{}/roles", staff.credit2.user_id),
            &json!({"roles": ["approver"]}),
        )
        .await
        .ok();
    let second_approver = platform.login("credit2").await;
    let write_off = format!("/v1/contracts/{contract_id}/write-off");
    platform
        .post(
            &staff.approver1,
            "disbursement",
            &write_off,
            &json!({"reason": "the company stopped trading"}),
        )
        .await
        .ok();
    let written_off = platform
        .post(
            &second_approver,
            "disbursement",
            &format!("{write_off}/confirm"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(written_off["status"], "written_off", "{written_off}");
    assert_eq!(
        written_off["written_off"]["principal_written_off"],
        PRINCIPAL
    );
    let principal: Decimal = PRINCIPAL.parse().unwrap();
    assert_eq!(loan_losses(&platform).await, losses_before + principal);
    platform.assert_ledger_holds("the write-off").await;

    // The founder pays part of it back from the current account the loan was paid into.
    let recoveries = format!("/v1/contracts/{contract_id}/recoveries");
    let part = json!({"amount": "20000000.00"});
    let paid = platform
        .post_with_key(&founder, "disbursement", &recoveries, &part, "recovery-1")
        .await
        .ok();
    let again = platform
        .post_with_key(&founder, "disbursement", &recoveries, &part, "recovery-1")
        .await
        .ok();
    assert_eq!(again, paid, "a retry answers the first payment");
    let (_, balance) = company_account(&platform, &founder).await;
    assert_eq!(balance, "100000000.00");
    let recovered = Decimal::new(20_000_000, 0);
    assert_eq!(
        loan_losses(&platform).await,
        losses_before + principal - recovered
    );
    platform
        .post(
            &founder,
            "disbursement",
            &recoveries,
            &json!({"amount": "100000000.01"}),
        )
        .await
        .refused(422, "validation_failed");
    let standing = platform
        .get(&staff.finance1, "disbursement", &recoveries)
        .await
        .ok();
    assert_eq!(standing["recovered"], "20000000.00");
    assert_eq!(standing["still_owed"], "100000000.00");
    platform.assert_ledger_holds("the recovery").await;
}

/// A loan programme admin1 defines like the start loan, with `changes` to its definition;
/// answers its id.
async fn start_loan_like(platform: &Platform, admin: &Person, changes: Value) -> Uuid {
    let mut definition = platform
        .get(
            admin,
            "applications",
            &format!("/v1/programmes/{SMALL_BUSINESS_START_LOAN_ID}"),
        )
        .await
        .ok();
    let object = definition.as_object_mut().unwrap();
    for derived in [
        "id",
        "committed_amount",
        "available_amount",
        "created_at",
        "updated_at",
        "closed_at",
        "has_submitted_applications",
    ] {
        object.remove(derived);
    }
    for (name, value) in changes.as_object().unwrap() {
        object.insert(name.clone(), value.clone());
    }
    let programme = platform
        .post(admin, "applications", "/v1/programmes", &definition)
        .await
        .ok();
    programme["id"].as_str().unwrap().parse().unwrap()
}

async fn fee_income(platform: &Platform) -> Decimal {
    bank_balance(platform, "fee_income").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_programmes_arrangement_fee_is_kept_back_from_the_payout_into_the_banks_fee_income() {
    let platform = Platform::start().await;
    let founder = platform.login("founder1").await;
    let staff = Staff::login(&platform).await;

    // admin1 defines a programme like the start loan that keeps back 1% of each loan.
    let programme_id = start_loan_like(
        &platform,
        &staff.admin1,
        json!({"arrangement_fee_percent": "1"}),
    )
    .await;
    let application_id = approved_loan(&platform, &founder, &staff, programme_id).await;
    let contract = contract_for(&platform, &founder, application_id).await;
    assert_eq!(
        contract["arrangement_fee"],
        json!({"amount": "1200000.00", "collection": "deducted", "transfer_id": null,
               "refund_transfer_id": null})
    );
    let contract_id =
        contract_ready_to_disburse(&platform, &founder, &staff, application_id, today()).await;
    let (_, before) = company_account(&platform, &founder).await;
    let income_before = fee_income(&platform).await;
    let paid = platform
        .post(
            &staff.finance1,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/tranches/1/disburse"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(paid["status"], "disbursed", "{paid}");

    let (_, after) = company_account(&platform, &founder).await;
    let received = after.parse::<Decimal>().unwrap() - before.parse::<Decimal>().unwrap();
    assert_eq!(received, Decimal::new(118_800_000, 0));
    assert_eq!(
        fee_income(&platform).await - income_before,
        Decimal::new(1_200_000, 0)
    );
    let contract = platform
        .get(
            &founder,
            "disbursement",
            &format!("/v1/contracts/{contract_id}"),
        )
        .await
        .ok();
    assert_eq!(
        contract["arrangement_fee"]["transfer_id"],
        paid["transfer_id"]
    );
    let owed = schedule(&platform, &founder, contract_id).await;
    assert_eq!(
        owed["total_principal"], PRINCIPAL,
        "the loan owes the fee too"
    );
    platform
        .assert_ledger_holds("the payout net of its fee")
        .await;
}

/// The loan book agrees with the ledger: every loan account's balance is the principal the
/// book says is still owed.
async fn assert_book_reconciles(platform: &Platform, officer: &Person, step: &str) {
    let reconciliation = platform
        .get(officer, "disbursement", "/v1/loan-book/reconciliation")
        .await
        .ok();
    assert_eq!(
        reconciliation["unreconciled"], 0,
        "after {step}: {reconciliation}"
    );
    assert!(
        reconciliation["checked"].as_u64().unwrap() >= 1,
        "after {step}: {reconciliation}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loan_with_a_fee_falls_overdue_is_rescheduled_partly_repaid_written_off_and_partly_recovered(
) {
    let platform = Platform::start().await;
    let founder = platform.login("founder1").await;
    let staff = Staff::login(&platform).await;
    let programme_id = start_loan_like(
        &platform,
        &staff.admin1,
        json!({"arrangement_fee_percent": "1"}),
    )
    .await;
    let application_id = approved_loan(&platform, &founder, &staff, programme_id).await;
    // Four months back, so instalments have fallen due.
    let disbursement_date = months_before(today(), 4);
    let contract_id = contract_ready_to_disburse(
        &platform,
        &founder,
        &staff,
        application_id,
        disbursement_date,
    )
    .await;
    let contract_path = format!("/v1/contracts/{contract_id}");

    // The payout keeps back the 1% fee for the bank's fee income.
    let fees_before = fee_income(&platform).await;
    platform
        .post(
            &staff.finance1,
            "disbursement",
            &format!("{contract_path}/tranches/1/disburse"),
            &json!({}),
        )
        .await
        .ok();
    let (current, balance) = company_account(&platform, &founder).await;
    assert_eq!(balance, "118800000.00");
    assert_eq!(
        fee_income(&platform).await - fees_before,
        Decimal::new(1_200_000, 0)
    );
    platform
        .assert_ledger_holds("the payout net of its fee")
        .await;
    assert_book_reconciles(&platform, &staff.credit1, "the payout").await;

    // The founder takes the money out, so the first instalment cannot be collected.
    let settlement = settlement_account(&platform).await;
    cash_movement(
        &platform,
        &staff.finance1,
        &staff.admin1,
        "withdrawal",
        &current,
        &settlement,
        &balance,
    )
    .await;
    forget_the_start_up_run_of_the_daily_job(&platform).await;
    let plan = schedule(&platform, &founder, contract_id).await;
    let first_due = date(&plan["installments"][0]["due_date"]);
    let assessed = run_daily_job(&platform, &staff.admin1, days_after(first_due, 5)).await;
    assert_eq!(
        assessed.last().unwrap()["contracts_overdue"],
        1,
        "{assessed:?}"
    );
    let contract = platform
        .get(&founder, "disbursement", &contract_path)
        .await
        .ok();
    let penalty = amount(&contract["penalty_outstanding"]);
    assert!(penalty > Decimal::ZERO, "a late charge accrued: {contract}");
    platform.assert_ledger_holds("the missed instalment").await;
    assert_book_reconciles(&platform, &staff.credit1, "the missed instalment").await;

    // credit1 proposes a payment holiday of two months; only another approver confirms it.
    let proposed = platform
        .post(
            &staff.credit1,
            "disbursement",
            &format!("{contract_path}/reschedule"),
            &json!({"kind": "payment_holiday", "months": 2, "reason": "sales fell for a season"}),
        )
        .await
        .ok();
    assert_eq!(proposed["status"], "proposed", "{proposed}");
    let rows_before = plan["installments"].as_array().unwrap().len();
    let confirmed = platform
        .post(
            &staff.approver1,
            "disbursement",
            &format!("{contract_path}/reschedule/confirm"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(confirmed["status"], "confirmed", "{confirmed}");
    assert_eq!(date(&confirmed["effective_on"]), today());
    let plan = schedule(&platform, &founder, contract_id).await;
    assert_eq!(
        plan["installments"].as_array().unwrap().len(),
        rows_before + 2
    );
    assert_eq!(plan["total_principal"], PRINCIPAL);
    assert_eq!(
        plan["installments"][0]["status"], "overdue",
        "arrears stay due"
    );
    platform.assert_ledger_holds("the rescheduling").await;
    assert_book_reconciles(&platform, &staff.credit1, "the rescheduling").await;

    // The founder pays part of what is due: the penalty first, then interest, then principal.
    cash_movement(
        &platform,
        &staff.finance1,
        &staff.admin1,
        "deposit",
        &current,
        &settlement,
        "5000000.00",
    )
    .await;
    let penalties_before = bank_balance(&platform, "penalty_income").await;
    let paid = platform
        .post_with_key(
            &founder,
            "disbursement",
            &format!("{contract_path}/repayments"),
            &json!({"amount": "5000000.00"}),
            "part-of-due",
        )
        .await
        .ok();
    assert_eq!(amount(&paid["penalty"]), penalty, "{paid}");
    assert!(amount(&paid["interest"]) > Decimal::ZERO, "{paid}");
    assert_eq!(
        bank_balance(&platform, "penalty_income").await - penalties_before,
        penalty
    );
    let repaid_principal = amount(&paid["principal"]);
    platform.assert_ledger_holds("the part payment").await;
    assert_book_reconciles(&platform, &staff.credit1, "the part payment").await;

    // Two approvers write it off: admin1 makes credit2 the second.
    platform
        .post(
            &staff.admin1,
            "onboarding",
            &format!("/v1/staff/{}/roles", staff.credit2.user_id),
            &json!({"roles": ["approver"]}),
        )
        .await
        .ok();
    let second_approver = platform.login("credit2").await;
    let losses_before = loan_losses(&platform).await;
    platform
        .post(
            &staff.approver1,
            "disbursement",
            &format!("{contract_path}/write-off"),
            &json!({"reason": "the company stopped trading"}),
        )
        .await
        .ok();
    let written_off = platform
        .post(
            &second_approver,
            "disbursement",
            &format!("{contract_path}/write-off/confirm"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(written_off["status"], "written_off", "{written_off}");
    let principal: Decimal = PRINCIPAL.parse().unwrap();
    let written_off_principal = principal - repaid_principal;
    assert_eq!(
        amount(&written_off["written_off"]["principal_written_off"]),
        written_off_principal
    );
    assert_eq!(
        loan_losses(&platform).await - losses_before,
        written_off_principal
    );
    platform.assert_ledger_holds("the write-off").await;
    assert_book_reconciles(&platform, &staff.credit1, "the write-off").await;

    // The founder pays part of it back later.
    cash_movement(
        &platform,
        &staff.finance1,
        &staff.admin1,
        "deposit",
        &current,
        &settlement,
        "10000000.00",
    )
    .await;
    platform
        .post_with_key(
            &founder,
            "disbursement",
            &format!("{contract_path}/recoveries"),
            &json!({"amount": "10000000.00"}),
            "recovery",
        )
        .await
        .ok();
    assert_eq!(
        loan_losses(&platform).await - losses_before,
        written_off_principal - Decimal::new(10_000_000, 0)
    );
    let standing = platform
        .get(
            &staff.credit1,
            "disbursement",
            &format!("{contract_path}/recoveries"),
        )
        .await
        .ok();
    assert_eq!(standing["recovered"], "10000000.00");
    platform.assert_ledger_holds("the recovery").await;
    assert_book_reconciles(&platform, &staff.credit1, "the recovery").await;
}

/// A client signed in at the frontend as a browser would be: the session and CSRF cookies
/// kept by hand (the client follows no redirects).
struct SignedInBrowser {
    client: reqwest::Client,
    site: String,
    cookies: Vec<(String, String)>,
}

impl SignedInBrowser {
    async fn sign_in(site: &str, username: &str) -> SignedInBrowser {
        let mut browser = SignedInBrowser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            site: site.to_owned(),
            cookies: Vec::new(),
        };
        browser.get("/login").await;
        let csrf = browser
            .cookies
            .iter()
            .find(|(name, _)| name == "__Host-imkon_csrf")
            .map(|(_, value)| value.clone())
            .expect("the login page sets a CSRF cookie");
        let password = format!("{username}-demo-pass");
        let response = browser
            .client
            .post(format!("{site}/login"))
            .header("cookie", browser.cookie_header())
            .form(&[
                ("username", username),
                ("password", password.as_str()),
                ("next", ""),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            303,
            "{username} signs in at the frontend"
        );
        browser.remember(&response);
        browser
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&mut self, response: &reqwest::Response) {
        for line in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let line = line.to_str().unwrap();
            let (name, value) = line.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.retain(|(held, _)| held != name);
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    async fn get(&mut self, path: &str) -> reqwest::Response {
        let response = self
            .client
            .get(format!("{}{path}", self.site))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.remember(&response);
        response
    }
}

/// Every event the platform published of a topic a consumer applies is in that consumer's
/// inbox (its primary key holds each id once): applied, and once.
async fn assert_each_event_applied_once(platform: &Platform) {
    use imkon_platform::events::EventHandler;
    let consumers: [(&str, &[&str]); 3] = [
        ("accounts", &["client.kyc_approved", "company.kyc_approved"]),
        (
            "applications",
            imkon_applications::events::ConsumedEvents.topics(),
        ),
        ("disbursement", &["application.approved"]),
    ];
    let mut published: Vec<(Uuid, String)> = Vec::new();
    for (service, _) in SERVICES {
        let pool = platform.database(service).await;
        published.extend(
            sqlx::query_as::<_, (Uuid, String)>("select id, topic from outbox_event")
                .fetch_all(&pool)
                .await
                .unwrap(),
        );
        pool.close().await;
    }
    for (consumer, topics) in consumers {
        let mut expected: Vec<Uuid> = published
            .iter()
            .filter(|(_, topic)| topics.contains(&topic.as_str()))
            .map(|(id, _)| *id)
            .collect();
        expected.sort();
        assert!(!expected.is_empty(), "{consumer} was sent events");
        let pool = platform.database(consumer).await;
        eventually(
            &format!("{consumer} applying every event it was sent"),
            || async {
                let topics: Vec<String> = topics.iter().map(|topic| topic.to_string()).collect();
                let applied: Vec<Uuid> = sqlx::query_scalar(
                    "select event_id from inbox_event where topic = any($1) order by event_id",
                )
                .bind(&topics)
                .fetch_all(&pool)
                .await
                .unwrap();
                (applied == expected).then_some(())
            },
        )
        .await;
        pool.close().await;
    }
}

/// A new client registers with a password, passes KYC, registers a company with themself as
/// its one founder and gets the company's KYC approved (kyc1 decides both): signed in.
async fn registered_founder_with_company(platform: &Platform, username: &str) -> Person {
    let birth_date = NaiveDate::from_ymd_opt(1990, 5, 14).unwrap();
    let pinfl = Pinfl::compose(birth_date, Sex::Male, 903).unwrap();
    platform
        .call(
            Method::POST,
            None,
            "onboarding",
            "/v1/registrations",
            Some(&json!({
                "username": username,
                "password": format!("{username}-demo-pass"),
                "pinfl": pinfl.as_str(),
                "birth_date": birth_date,
                "latin_name": { "surname": "Rahimov", "given_name": "Jasur" },
                "passport": { "number": "AC7000903", "issue_date": imkon_platform::testing::years_from_today(-5), "expiry_date": imkon_platform::testing::years_from_today(5) },
                "phone": "998901000903",
                "address": { "region": "Toshkent", "district": "Yunusobod", "street_line": "Amir Temur 103" }
            })),
            None,
        )
        .await
        .ok();
    let founder = platform.login(username).await;
    kyc_approved_by_kyc1(platform, &founder).await;
    let company = platform
        .post(
            &founder,
            "onboarding",
            "/v1/me/companies",
            &json!({
                "stir": "307000903",
                "name": "Rahimov Cloud",
                "legal_form": "llc",
                "registration_date": "2024-03-01",
                "founders": [{ "client_id": founder.client_id(), "share_percent": "100" }]
            }),
        )
        .await
        .ok();
    case_approved_by_kyc1(
        platform,
        &founder,
        company["company_id"].as_str(),
        &["company_charter", "registration_certificate"],
    )
    .await;
    founder
}

/// Issue 15's proof on this machine: two processes of every service and of the frontend behind
/// haproxy, events through NATS JetStream. One replica of every part is killed with SIGKILL
/// before each stage of a founder's journey (registration and KYC, the loan's decision, its
/// payout, the first repayment) and started again after it; the client's frontend session
/// outlives every frontend process it was served by.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_founder_registers_and_is_lent_paid_and_repays_while_one_replica_of_every_part_is_killed()
{
    let mut platform = Platform::start_replicated().await;
    let staff = Staff::login(&platform).await;

    platform.replicas.as_mut().unwrap().kill_every(1);
    let founder = registered_founder_with_company(&platform, "replica.founder").await;
    let mut browser =
        SignedInBrowser::sign_in(&platform.url("frontend", ""), "replica.founder").await;
    let (_, opening_balance) = company_account(&platform, &founder).await;
    assert_eq!(opening_balance, "0.00", "opened on company.kyc_approved");

    platform.replicas.as_mut().unwrap().restart_every(1).await;
    platform.replicas.as_mut().unwrap().kill_every(0);
    let application_id = approved_start_loan(&platform, &founder, &staff).await;
    let signed_in = browser.get("/accounts").await;
    assert_eq!(
        signed_in.status(),
        200,
        "the session outlived its frontend process"
    );

    platform.replicas.as_mut().unwrap().restart_every(0).await;
    platform.replicas.as_mut().unwrap().kill_every(1);
    let disbursement_date = months_before(today(), 2);
    let contract_id = contract_ready_to_disburse(
        &platform,
        &founder,
        &staff,
        application_id,
        disbursement_date,
    )
    .await;
    let disbursed = platform
        .post(
            &staff.finance1,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/tranches/1/disburse"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(disbursed["status"], "disbursed", "{disbursed}");
    let (_, balance) = company_account(&platform, &founder).await;
    assert_eq!(balance, PRINCIPAL);

    platform.replicas.as_mut().unwrap().restart_every(1).await;
    platform.replicas.as_mut().unwrap().kill_every(0);
    let plan = schedule(&platform, &founder, contract_id).await;
    let first_due = date(&plan["installments"][0]["due_date"]);
    let first_total = amount(&plan["installments"][0]["total"]);
    forget_the_start_up_run_of_the_daily_job(&platform).await;
    run_daily_job(&platform, &staff.admin1, first_due).await;
    let repayments = platform
        .get(
            &founder,
            "disbursement",
            &format!("/v1/contracts/{contract_id}/repayments"),
        )
        .await
        .ok();
    assert_eq!(repayments.as_array().unwrap().len(), 1, "{repayments}");
    let (_, balance) = company_account(&platform, &founder).await;
    assert_eq!(
        amount(&json!(balance)),
        amount(&json!(PRINCIPAL)) - first_total
    );
    let signed_in = browser.get("/accounts").await;
    assert_eq!(
        signed_in.status(),
        200,
        "the session outlived the other frontend process too"
    );

    platform.replicas.as_mut().unwrap().restart_every(0).await;
    platform
        .assert_ledger_holds("a loan paid out and repaid across killed replicas")
        .await;
    platform.assert_every_event_delivered().await;
    assert_each_event_applied_once(&platform).await;
    platform
        .replicas
        .as_ref()
        .unwrap()
        .assert_every_part_exported_traces()
        .await;
    platform.stop().await;
}
