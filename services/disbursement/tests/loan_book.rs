//! The loan book: totals per currency and programme with the portfolio at risk, each loan's
//! line as JSON and CSV, the money moved per month, and the reconciliation of every loan's
//! outstanding principal with its loan account at the ledger.

mod support;

use chrono::Days;
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_loan, person, Staffed, TestApp};
use uuid::Uuid;

fn amount(value: &Value) -> Decimal {
    value.as_str().unwrap().parse().unwrap()
}

async fn read(app: &TestApp, path: &str, reader: &imkon_auth::Principal) -> Value {
    let response = app.get(path, Some(reader)).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn loan_account(app: &TestApp, id: Uuid) -> String {
    sqlx::query_scalar("select loan_account_number from contract where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Two loans: one paid out in January 2024 and long overdue, partly repaid; one paid out ten
/// days ago with nothing due yet. Returns their ids and the partial repayment.
async fn two_loans(app: &TestApp) -> (Uuid, Uuid, Value) {
    let late = Staffed::new();
    let payload = approved_loan(late.founder.client_id().unwrap(), "100.00");
    let (late_id, _) = app
        .disbursed_loan(&late, &payload, "2024-01-01", "50.00")
        .await;
    let repaid = app
        .post_with_key(
            &format!("/v1/contracts/{late_id}/repayments"),
            &late.founder,
            "part",
            &json!({"amount": "30.00"}),
        )
        .await;
    assert_eq!(repaid.status(), 201, "{}", repaid.text().await.unwrap());
    let repaid: Value = repaid.json().await.unwrap();

    let recent = Staffed::new();
    let payload = approved_loan(recent.founder.client_id().unwrap(), "300.00");
    let ten_days_ago = (app.today() - Days::new(10)).to_string();
    let (recent_id, _) = app
        .disbursed_loan(&recent, &payload, &ten_days_ago, "0.00")
        .await;
    (late_id, recent_id, repaid)
}

#[sqlx::test(migrations = false)]
async fn the_book_sums_what_is_owed_with_the_portfolio_at_risk_and_each_loan(pool: PgPool) {
    let app = support::start(pool).await;
    let (late_id, recent_id, repaid) = two_loans(&app).await;
    let reader = person(&[Role::CreditOfficer]);

    let late_principal = Decimal::from(100) - amount(&repaid["principal"]);
    let schedule = read(&app, &format!("/v1/contracts/{late_id}/schedule"), &reader).await;
    let scheduled_interest: Decimal = schedule["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| amount(&row["interest"]))
        .sum();
    let late_interest_due = scheduled_interest - amount(&repaid["interest"]);
    let outstanding = late_principal + Decimal::from(300);

    let book = read(&app, "/v1/loan-book", &reader).await;
    assert_eq!(book["as_of"], app.today().to_string());
    let currencies = book["currencies"].as_array().unwrap();
    assert_eq!(currencies.len(), 1);
    let uzs = &currencies[0];
    assert_eq!(uzs["currency"], "UZS");
    assert_eq!(uzs["active_contracts"], 2);
    assert_eq!(amount(&uzs["outstanding_principal"]), outstanding);
    assert_eq!(amount(&uzs["interest_due"]), late_interest_due);
    assert_eq!(amount(&uzs["penalty_outstanding"]), Decimal::ZERO);
    assert_eq!(amount(&uzs["par30_principal"]), late_principal);
    assert_eq!(amount(&uzs["par90_principal"]), late_principal);
    let share = (late_principal * Decimal::ONE_HUNDRED / outstanding).round_dp(2);
    assert_eq!(uzs["par90_percent"], format!("{share:.2}"));
    assert_eq!(uzs["written_off_contracts"], 0);
    assert_eq!(uzs["arrangement_fees_collected"], "0.00");
    assert_eq!(uzs["late_charges_applied"], "0.00");
    assert_eq!(
        book["programmes"].as_array().unwrap().len(),
        2,
        "one per programme"
    );

    let month = app.today().format("%Y-%m").to_string();
    assert_eq!(
        book["months"],
        json!([{
            "month": month, "currency": "UZS", "disbursed": "400.00",
            "repaid_principal": repaid["principal"], "repaid_interest": repaid["interest"],
            "repaid_penalty": "0.00"
        }])
    );

    let first = read(&app, "/v1/loan-book/contracts?limit=1", &reader).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = read(
        &app,
        &format!("/v1/loan-book/contracts?limit=1&cursor={cursor}"),
        &reader,
    )
    .await;
    let lines: Vec<&Value> = [&first, &second]
        .iter()
        .flat_map(|page| page["items"].as_array().unwrap())
        .collect();
    let line = |id: Uuid| {
        *lines
            .iter()
            .find(|line| line["contract_id"] == id.to_string())
            .unwrap()
    };
    assert!(line(late_id)["days_past_due"].as_i64().unwrap() > 90);
    assert_eq!(
        amount(&line(late_id)["outstanding_principal"]),
        late_principal
    );
    assert_eq!(line(recent_id)["days_past_due"], 0);
    assert_eq!(line(recent_id)["outstanding_principal"], "300.00");
    assert_eq!(line(recent_id)["interest_due"], "0.00");
    assert_eq!(line(recent_id)["arrangement_fee_collected"], "0.00");
    assert_eq!(line(late_id)["late_charges_applied"], "0.00");

    let csv = app.get("/v1/loan-book/contracts.csv", Some(&reader)).await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "a header and a row per loan: {csv}");
    assert!(rows[0].starts_with("contract_id,client_id,programme_id,currency,status"));
    assert!(rows[0].ends_with(",days_past_due,arrangement_fee_collected,late_charges_applied"));
    assert!(rows
        .iter()
        .any(|row| row.starts_with(&recent_id.to_string())
            && row.contains(",300.00,0.00,300.00,")
            && row.ends_with(",0,0.00,0.00")));
}

#[sqlx::test(migrations = false)]
async fn the_book_shows_the_fees_collected_and_the_late_charges_within_the_penalties(pool: PgPool) {
    let app = support::start(pool).await;
    let charged = Staffed::new();
    let mut payload = approved_loan(charged.founder.client_id().unwrap(), "100.00");
    payload["arrangement_fee_fixed"] = json!("10.00");
    payload["late_charge"] = json!("5.00");
    let charged_programme = payload["programme_id"].clone();
    let (charged_id, current) = app
        .disbursed_loan(&charged, &payload, "2024-01-01", "0.00")
        .await;
    // The founder spends the payout (the fee kept back), so February's instalment goes unpaid.
    app.ledger
        .move_cash(&current, "90.00", false, "spent")
        .await;
    let plain = Staffed::new();
    let payload = approved_loan(plain.founder.client_id().unwrap(), "300.00");
    let plain_programme = payload["programme_id"].clone();
    let (plain_id, _) = app
        .disbursed_loan(&plain, &payload, "2024-02-01", "0.00")
        .await;

    // On 5 February the first loan's instalment is three days late: one charge and a penalty.
    app.clock.set("2024-02-05T12:00:00Z".parse().unwrap());
    let run = app
        .post(
            "/v1/arrears/run?as_of=2024-02-05",
            Some(&person(&[Role::Admin])),
            &json!({}),
        )
        .await;
    assert_eq!(run.status(), 200);
    let reader = person(&[Role::Approver]);
    let contract = read(&app, &format!("/v1/contracts/{charged_id}"), &reader).await;
    let penalty = amount(&contract["penalty_outstanding"]);
    assert!(
        penalty > Decimal::new(500, 2),
        "the charge and a daily penalty"
    );

    let book = read(&app, "/v1/loan-book", &reader).await;
    assert_eq!(book["as_of"], "2024-02-05");
    let uzs = &book["currencies"][0];
    assert_eq!(uzs["arrangement_fees_collected"], "10.00");
    assert_eq!(uzs["late_charges_applied"], "5.00");
    assert_eq!(
        amount(&uzs["penalty_outstanding"]),
        penalty,
        "the late charge is counted once, within the penalties"
    );
    assert_eq!(
        uzs["outstanding_principal"], "400.00",
        "the fee is not principal"
    );
    let programme = |id: &Value| {
        book["programmes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|programme| programme["programme_id"] == *id)
            .unwrap()["totals"]
            .clone()
    };
    assert_eq!(
        programme(&charged_programme)["arrangement_fees_collected"],
        "10.00"
    );
    assert_eq!(
        programme(&charged_programme)["late_charges_applied"],
        "5.00"
    );
    assert_eq!(
        programme(&plain_programme)["arrangement_fees_collected"],
        "0.00"
    );
    assert_eq!(programme(&plain_programme)["late_charges_applied"], "0.00");

    let page = read(&app, "/v1/loan-book/contracts", &reader).await;
    let line = |id: Uuid| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|line| line["contract_id"] == id.to_string())
            .unwrap()
            .clone()
    };
    assert_eq!(line(charged_id)["arrangement_fee_collected"], "10.00");
    assert_eq!(line(charged_id)["late_charges_applied"], "5.00");
    assert_eq!(line(charged_id)["disbursed"], "100.00");
    assert_eq!(line(plain_id)["arrangement_fee_collected"], "0.00");
    assert_eq!(line(plain_id)["late_charges_applied"], "0.00");

    let csv = app
        .get("/v1/loan-book/contracts.csv", Some(&reader))
        .await
        .text()
        .await
        .unwrap();
    let row = |id: Uuid| {
        csv.lines()
            .find(|row| row.starts_with(&id.to_string()))
            .unwrap()
            .to_owned()
    };
    assert!(row(charged_id).ends_with(",10.00,5.00"), "{csv}");
    assert!(row(plain_id).ends_with(",0,0.00,0.00"), "{csv}");

    // Neither figure is principal: every loan still agrees with its loan account.
    let reconciliation = read(&app, "/v1/loan-book/reconciliation", &reader).await;
    assert_eq!(reconciliation["checked"], 2);
    assert_eq!(reconciliation["unreconciled"], 0);
}

#[sqlx::test(migrations = false)]
async fn every_loan_reconciles_with_its_loan_account_and_a_stray_posting_shows(pool: PgPool) {
    let app = support::start(pool).await;
    let (late_id, _, _) = two_loans(&app).await;
    let finance = person(&[Role::Finance]);

    let agreed = read(&app, "/v1/loan-book/reconciliation", &finance).await;
    assert_eq!(agreed["checked"], 2);
    assert_eq!(agreed["unreconciled"], 0);
    for item in agreed["items"].as_array().unwrap() {
        assert_eq!(item["book_principal"], item["ledger_principal"]);
        assert_eq!(item["difference"], "0.00");
        assert_eq!(item["reconciled"], true);
    }

    // Money put on a loan account past this service shows as a difference on that loan alone.
    let account = loan_account(&app, late_id).await;
    app.ledger.move_cash(&account, "5.00", false, "stray").await;
    let stray = read(&app, "/v1/loan-book/reconciliation", &finance).await;
    assert_eq!(stray["checked"], 2);
    assert_eq!(stray["unreconciled"], 1);
    let late = stray["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["contract_id"] == late_id.to_string())
        .unwrap();
    assert_eq!(late["reconciled"], false);
    assert_eq!(amount(&late["difference"]).abs(), Decimal::new(500, 2));
}

#[sqlx::test(migrations = false)]
async fn a_written_off_loan_is_counted_apart_and_its_principal_moves_to_the_bank_losses(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let (late_id, _, repaid) = two_loans(&app).await;
    write_off(&app, late_id).await;
    let path = format!("/v1/contracts/{late_id}/write-off");
    let approver = person(&[Role::Approver]);
    let book = read(&app, "/v1/loan-book", &approver).await;
    let uzs = &book["currencies"][0];
    assert_eq!(uzs["active_contracts"], 1);
    assert_eq!(uzs["outstanding_principal"], "300.00");
    assert_eq!(uzs["par30_principal"], "0.00");
    assert_eq!(uzs["par90_percent"], "0.00");
    assert_eq!(uzs["written_off_contracts"], 1);
    assert_eq!(
        amount(&uzs["written_off_principal"]),
        Decimal::from(100) - amount(&repaid["principal"])
    );
    let written_off = Decimal::from(100) - amount(&repaid["principal"]);
    let account = loan_account(&app, late_id).await;
    assert_eq!(app.ledger.balance(&account).await, Decimal::ZERO);
    let losses = app.ledger.entries_of_kind("write_off").await;
    assert_eq!(
        losses.len(),
        2,
        "a debit to the losses, a credit to the loan: {losses:?}"
    );
    assert!(losses.iter().all(|(_, _, leg)| *leg == written_off));

    // A second confirmation finds no proposal and books nothing again.
    let again = app
        .post(
            &format!("{path}/confirm"),
            Some(&person(&[Role::Approver])),
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 409);
    assert_eq!(app.ledger.entries_of_kind("write_off").await.len(), 2);

    let reconciliation = read(&app, "/v1/loan-book/reconciliation", &approver).await;
    assert_eq!(reconciliation["checked"], 2);
    assert_eq!(reconciliation["unreconciled"], 0);
}

#[sqlx::test(migrations = false)]
async fn only_lending_and_finance_staff_read_the_loan_book(pool: PgPool) {
    let app = support::start(pool).await;
    two_loans(&app).await;
    let founder = person(&[Role::Client]);
    let kyc = person(&[Role::KycOfficer]);
    for path in [
        "/v1/loan-book",
        "/v1/loan-book/contracts",
        "/v1/loan-book/contracts.csv",
        "/v1/loan-book/reconciliation",
    ] {
        assert_problem(app.get(path, None).await, &[401], None).await;
        for outsider in [&founder, &kyc] {
            assert_problem(app.get(path, Some(outsider)).await, &[403], None).await;
        }
        for reader in [
            Role::CreditOfficer,
            Role::Approver,
            Role::Finance,
            Role::Admin,
        ] {
            let response = app.get(path, Some(&person(&[reader]))).await;
            assert_eq!(response.status(), 200, "{reader:?} reads {path}");
        }
    }
    let refused = app
        .get(
            "/v1/loan-book/contracts?cursor=not-a-uuid",
            Some(&person(&[Role::Finance])),
        )
        .await;
    assert_eq!(refused.status(), 400);
}

/// Proposes and confirms the write-off of `id` by two approvers.
async fn write_off(app: &TestApp, id: Uuid) {
    let path = format!("/v1/contracts/{id}/write-off");
    let proposed = app
        .post(
            &path,
            Some(&person(&[Role::Approver])),
            &json!({"reason": "the company stopped trading"}),
        )
        .await;
    assert_eq!(proposed.status(), 202);
    let confirmed = app
        .post(
            &format!("{path}/confirm"),
            Some(&person(&[Role::Approver])),
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn a_written_off_loan_paid_back_later_reduces_the_loss_up_to_what_was_written_off(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let late = Staffed::new();
    let payload = approved_loan(late.founder.client_id().unwrap(), "100.00");
    let (id, current) = app
        .disbursed_loan(&late, &payload, "2024-01-01", "50.00")
        .await;
    let path = format!("/v1/contracts/{id}/recoveries");
    let pay = |key: &'static str, amount: &'static str| {
        let path = path.clone();
        let founder = late.founder.clone();
        let app = &app;
        async move {
            app.post_with_key(&path, &founder, key, &json!({"amount": amount}))
                .await
        }
    };
    // An active loan is repaid, not recovered.
    assert_problem(
        pay("too-early", "10.00").await,
        &[409],
        Some("contract_not_written_off"),
    )
    .await;

    write_off(&app, id).await;
    let loss = app
        .ledger
        .entries_of_kind("write_off")
        .await
        .into_iter()
        .find(|(_, side, _)| side == "debit")
        .map(|(account, _, _)| account)
        .unwrap();
    assert_eq!(app.ledger.balance(&loss).await, Decimal::new(10000, 2));
    let contract = read(&app, &format!("/v1/contracts/{id}"), &late.founder).await;
    assert_eq!(
        contract["written_off"],
        json!({"principal_written_off": "100.00", "recovered": "0.00", "still_owed": "100.00"})
    );

    // Nobody but the founder pays from the founder's account, and nothing invalid is taken.
    let stranger = person(&[Role::Client]);
    let theirs = app
        .post_with_key(&path, &stranger, "stranger", &json!({"amount": "1.00"}))
        .await;
    assert_problem(theirs, &[404], None).await;
    let officer = person(&[Role::CreditOfficer]);
    let staff = app
        .post_with_key(&path, &officer, "officer", &json!({"amount": "1.00"}))
        .await;
    assert_problem(staff, &[403], None).await;
    for (amount, code) in [
        ("0.00", "not_positive"),
        ("-5.00", "not_positive"),
        ("1.234", "too_many_decimals"),
        ("ten", "not_a_decimal"),
        ("100.01", "exceeds_outstanding"),
    ] {
        let refused = pay("invalid", amount).await;
        let problem = assert_problem(refused, &[422], None).await;
        assert_eq!(problem["errors"][0]["code"], code, "{amount}: {problem}");
    }
    assert_eq!(app.ledger.balance(&current).await, Decimal::new(15000, 2));

    // A part comes back, once however often the request is retried.
    let first = pay("first", "40.00").await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let retried: Value = pay("first", "40.00").await.json().await.unwrap();
    assert_eq!(retried, first, "the retry answers the first payment");
    assert_eq!(app.ledger.balance(&current).await, Decimal::new(11000, 2));
    assert_eq!(app.ledger.balance(&loss).await, Decimal::new(6000, 2));

    assert_problem(pay("too-much", "60.01").await, &[422], None).await;
    assert_eq!(pay("rest", "60.00").await.status(), 201);
    assert_eq!(app.ledger.balance(&loss).await, Decimal::ZERO);
    assert_eq!(app.ledger.balance(&current).await, Decimal::new(5000, 2));
    let problem = assert_problem(pay("beyond", "0.01").await, &[422], None).await;
    assert_eq!(problem["errors"][0]["code"], "exceeds_outstanding");

    let officer_view = read(&app, &path, &officer).await;
    assert_eq!(officer_view["principal_written_off"], "100.00");
    assert_eq!(officer_view["recovered"], "100.00");
    assert_eq!(officer_view["still_owed"], "0.00");
    let amounts: Vec<&str> = officer_view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["40.00", "60.00"]);
    assert_problem(app.get(&path, Some(&stranger)).await, &[404], None).await;

    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_record
         where subject_id = $1 and action = 'contract.recovery_received'",
    )
    .bind(id.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
    let book = read(&app, "/v1/loan-book", &officer).await;
    assert_eq!(book["currencies"][0]["written_off_principal"], "100.00");
    assert_eq!(book["currencies"][0]["recovered"], "100.00");
    let reconciliation = read(&app, "/v1/loan-book/reconciliation", &officer).await;
    assert_eq!(reconciliation["unreconciled"], 0);
}
