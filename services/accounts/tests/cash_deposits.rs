//! Cash paid in at a counter: recorded by one member of staff with its receipt, booked only when
//! a second confirms it, each receipt number used once.

mod common;

use common::start;
use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;

fn deposit(account: &str, amount: &str, receipt: &str) -> Value {
    json!({"account": account, "amount": amount, "receipt_number": receipt})
}

/// Asserts a 422 that names `field` with `code`.
async fn assert_refused_field(response: reqwest::Response, field: &str, code: &str) {
    let body = assert_problem(response, &[422], None).await;
    let named = body["errors"].as_array().is_some_and(|errors| {
        errors
            .iter()
            .any(|error| error["field"] == field && error["code"] == code)
    });
    assert!(named, "{field} refused with {code}: {body}");
}

async fn record(
    harness: &common::Harness,
    token: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    harness
        .post("/v1/cash-deposits", token, Some(key), body)
        .await
}

#[sqlx::test(migrations = false)]
async fn cash_is_credited_only_when_a_second_member_of_staff_confirms_it(pool: PgPool) {
    let harness = start(pool).await;
    let client_id = new_id();
    let client = harness.open_client_current(client_id).await;
    let cashier = harness.staff_token(Role::Finance);
    let key = new_id().to_string();
    let body = deposit(&client, "1500000.00", "R-2026-000123");

    let recorded = record(&harness, &cashier, &key, &body).await;
    assert_eq!(recorded.status(), 202, "{}", recorded.text().await.unwrap());
    let proposal: Value = recorded.json().await.unwrap();
    assert_eq!(proposal["status"], "pending");
    assert_eq!(proposal["transfer"]["kind"], "deposit");
    assert_eq!(
        proposal["transfer"]["reference"],
        "cash-receipt:R-2026-000123"
    );
    assert_eq!(harness.account(&client).await["posted_balance"], "0.00");
    let replay = record(&harness, &cashier, &key, &body).await;
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replayed: Value = replay.json().await.unwrap();
    assert_eq!(replayed["id"], proposal["id"]);

    let id = proposal["id"].as_str().unwrap();
    let confirm = format!("/v1/transfer-proposals/{id}/confirm");
    let alone = harness
        .post(&confirm, &cashier, Some(&new_id().to_string()), &json!({}))
        .await;
    assert_problem(alone, &[403], Some("four_eyes_violation")).await;
    assert_eq!(harness.account(&client).await["posted_balance"], "0.00");

    let second = harness.staff_token(Role::Finance);
    let confirmed = harness
        .post(&confirm, &second, Some(&new_id().to_string()), &json!({}))
        .await;
    let status = confirmed.status();
    let transfer: Value = serde_json::from_str(&confirmed.text().await.unwrap()).unwrap();
    assert_eq!(status, 201, "{transfer}");
    assert_eq!(
        harness.account(&client).await["posted_balance"],
        "1500000.00"
    );
    // The client is told once, in the confirming transaction, however often it is confirmed.
    let again = harness
        .post(&confirm, &second, Some(&new_id().to_string()), &json!({}))
        .await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let announced: Vec<Value> = sqlx::query_scalar(
        "select payload from outbox_event where topic = 'account.money_moved' order by id",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(
        announced,
        vec![
            json!({"client_id": client_id, "movement": "cash_deposit", "transfer_id": transfer["id"]})
        ]
    );
    let till: String = sqlx::query_scalar(
        "select posted_balance::text from account where kind = 'bank_cash' and currency = 'UZS'",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(till, "1500000.00", "the bank's cash grew by the deposit");
    let receipt: (String, String) =
        sqlx::query_as("select receipt_number, proposal_id::text from cash_receipt")
            .fetch_one(&harness.pool)
            .await
            .unwrap();
    assert_eq!(receipt, ("R-2026-000123".to_owned(), id.to_owned()));
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_record
         where action in ('transfer_proposal.proposed', 'transfer_proposal.confirmed')
           and subject_id = $1",
    )
    .bind(id)
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2, "both people are in the audit trail");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_receipt_number_is_used_once_even_after_its_deposit_was_rejected(pool: PgPool) {
    let harness = start(pool).await;
    let client = harness.open_client_current(new_id()).await;
    let cashier = harness.staff_token(Role::Finance);
    let first = record(
        &harness,
        &cashier,
        &new_id().to_string(),
        &deposit(&client, "100.00", "R-1"),
    )
    .await;
    assert_refused_field(first, "receipt_number", "invalid_receipt_number").await;
    let first = record(
        &harness,
        &cashier,
        &new_id().to_string(),
        &deposit(&client, "100.00", "R-0001"),
    )
    .await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    let rejected = harness
        .post(
            &format!(
                "/v1/transfer-proposals/{}/reject",
                first["id"].as_str().unwrap()
            ),
            &harness.staff_token(Role::Admin),
            Some(&new_id().to_string()),
            &json!({}),
        )
        .await;
    assert!(
        rejected.status().is_success(),
        "{}",
        rejected.text().await.unwrap()
    );

    for token in [&cashier, &harness.staff_token(Role::Finance)] {
        let again = record(
            &harness,
            token,
            &new_id().to_string(),
            &deposit(&client, "200.00", "R-0001"),
        )
        .await;
        assert_problem(again, &[409], Some("receipt_already_used")).await;
    }
    let proposals: i64 = sqlx::query_scalar("select count(*) from transfer_proposal")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(proposals, 1, "a refused deposit leaves no proposal behind");
}

#[sqlx::test(migrations = false)]
async fn cash_deposits_are_refused_to_the_wrong_people_and_for_the_wrong_accounts(pool: PgPool) {
    let harness = start(pool).await;
    let client_id = new_id();
    let client = harness.open_client_current(client_id).await;
    let settlement = harness.open_settlement().await;
    let finance = harness.staff_token(Role::Finance);
    let body = deposit(&client, "100.00", "R-0002");
    let key = new_id().to_string();

    for role in [
        Role::Client,
        Role::CreditOfficer,
        Role::KycOfficer,
        Role::Approver,
    ] {
        let refused = record(&harness, &harness.staff_token(role), &key, &body).await;
        assert_problem(refused, &[403], None).await;
    }
    let service = record(&harness, &harness.service_token(), &key, &body).await;
    assert_problem(service, &[403], None).await;
    let anonymous = harness
        .server
        .client
        .post(harness.server.url("/v1/cash-deposits"))
        .header("idempotency-key", &key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let unkeyed = harness
        .post("/v1/cash-deposits", &finance, None, &body)
        .await;
    assert_eq!(unkeyed.status(), 400);

    let insider = harness.token_for(
        &imkon_auth::Principal::user(new_id(), [Role::Finance], Some(client_id), None).unwrap(),
    );
    let own = record(&harness, &insider, &key, &body).await;
    assert_problem(own, &[403], Some("own_account")).await;

    let cases = [
        (
            deposit(&settlement, "100.00", "R-0003"),
            "account",
            "not_a_current_account",
        ),
        (deposit(&client, "0.00", "R-0004"), "amount", "not_positive"),
        (
            deposit(&client, "-5.00", "R-0005"),
            "amount",
            "not_positive",
        ),
        (
            deposit(&client, "1.001", "R-0006"),
            "amount",
            "too_many_decimals",
        ),
        (
            deposit(&client, "100.00", "r-0007"),
            "receipt_number",
            "invalid_receipt_number",
        ),
        (
            deposit(&client, "100.00", "R-0008-"),
            "receipt_number",
            "invalid_receipt_number",
        ),
    ];
    for (body, field, code) in cases {
        let refused = record(&harness, &finance, &new_id().to_string(), &body).await;
        assert_refused_field(refused, field, code).await;
    }
    assert_eq!(harness.account(&client).await["posted_balance"], "0.00");
    let proposals: i64 = sqlx::query_scalar("select count(*) from transfer_proposal")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(proposals, 0);
}
