//! Holds over HTTP: a pending transfer reduces the available balance until it is posted (in
//! full or in part) or voided, exactly once.

mod common;

use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::{start, two_legs, Harness};

/// A funded client account with a hold of `held` on it to another client: (payer, payee, hold id).
async fn funded_hold(harness: &Harness, balance: &str, held: &str) -> (String, String, String) {
    let settlement = harness.open_settlement().await;
    let payer = harness.open_client_current(new_id()).await;
    let payee = harness.open_client_current(new_id()).await;
    harness.fund(&settlement, &payer, balance).await;
    let mut body = two_legs(&payer, &payee, held);
    body["hold"] = json!(true);
    let response = harness
        .post(
            "/v1/transfers",
            &harness.service_token(),
            Some("hold-1"),
            &body,
        )
        .await;
    assert_eq!(response.status(), 201);
    let hold: Value = response.json().await.unwrap();
    assert_eq!(hold["status"], "pending");
    assert_eq!(hold["legs"][0]["balance_after"], Value::Null);
    (payer, payee, hold["id"].as_str().unwrap().to_owned())
}

#[sqlx::test(migrations = false)]
async fn a_pending_hold_reduces_the_available_balance_only(pool: PgPool) {
    let harness = start(pool).await;
    let (payer, payee, _) = funded_hold(&harness, "100.00", "30.00").await;
    let account = harness.account(&payer).await;
    assert_eq!(account["posted_balance"], "100.00");
    assert_eq!(account["available_balance"], "70.00");
    assert_eq!(harness.account(&payee).await["posted_balance"], "0.00");

    let spend_held = harness.transfer("spend", &payer, &payee, "70.01").await;
    assert_problem(spend_held, &[422], Some("insufficient_funds")).await;
    let spend_rest = harness.transfer("rest", &payer, &payee, "70.00").await;
    assert_eq!(spend_rest.status(), 201, "what is not held may be spent");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_hold_beyond_the_available_balance_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let payer = harness.open_client_current(new_id()).await;
    let payee = harness.open_client_current(new_id()).await;
    harness.fund(&settlement, &payer, "10.00").await;
    let mut body = two_legs(&payer, &payee, "10.01");
    body["hold"] = json!(true);
    let response = harness
        .post("/v1/transfers", &harness.service_token(), Some("h"), &body)
        .await;
    assert_problem(response, &[422], Some("insufficient_funds")).await;
    assert_eq!(harness.account(&payer).await["available_balance"], "10.00");
}

#[sqlx::test(migrations = false)]
async fn posting_a_hold_in_part_books_that_part_and_releases_the_rest(pool: PgPool) {
    let harness = start(pool).await;
    let (payer, payee, hold) = funded_hold(&harness, "100.00", "30.00").await;
    let response = harness
        .post(
            &format!("/v1/holds/{hold}/post"),
            &harness.service_token(),
            None,
            &json!({"amount": "12.50"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let posted: Value = response.json().await.unwrap();
    assert_eq!(posted["id"], hold.as_str());
    assert_eq!(posted["status"], "posted");
    assert_eq!(posted["legs"][0]["amount"], "12.50");
    assert_eq!(posted["legs"][0]["balance_after"], "87.50");
    let account = harness.account(&payer).await;
    assert_eq!(account["posted_balance"], "87.50");
    assert_eq!(account["available_balance"], "87.50");
    assert_eq!(harness.account(&payee).await["posted_balance"], "12.50");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_hold_posted_twice_is_a_conflict(pool: PgPool) {
    let harness = start(pool).await;
    let (payer, _, hold) = funded_hold(&harness, "100.00", "30.00").await;
    let path = format!("/v1/holds/{hold}/post");
    let token = harness.service_token();
    let first = harness
        .server
        .client
        .post(harness.server.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200, "an empty body posts the whole hold");
    let second = harness.post(&path, &token, None, &json!({})).await;
    assert_problem(second, &[409], Some("hold_already_posted")).await;
    let void = harness
        .post(&format!("/v1/holds/{hold}/void"), &token, None, &json!({}))
        .await;
    assert_problem(void, &[409], Some("hold_already_posted")).await;
    assert_eq!(harness.account(&payer).await["posted_balance"], "70.00");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn staff_settle_a_hold_only_when_a_second_member_of_staff_confirms(pool: PgPool) {
    let harness = start(pool).await;
    let (payer, payee, hold) = funded_hold(&harness, "100.00", "30.00").await;
    let finance = harness.staff_token(Role::Finance);

    let proposed = harness
        .post(
            &format!("/v1/holds/{hold}/post"),
            &finance,
            None,
            &json!({"amount": "20.00"}),
        )
        .await;

    assert_eq!(proposed.status(), 202, "{}", proposed.text().await.unwrap());
    let too_much = harness
        .post(
            &format!("/v1/holds/{hold}/post"),
            &finance,
            None,
            &json!({"amount": "30.01"}),
        )
        .await;
    assert_problem(too_much, &[422], Some("post_exceeds_hold")).await;
    let proposal: Value = proposed.json().await.unwrap();
    assert_eq!(proposal["action"], "hold_post");
    assert_eq!(harness.account(&payee).await["posted_balance"], "0.00");
    let confirm = format!(
        "/v1/transfer-proposals/{}/confirm",
        proposal["id"].as_str().unwrap()
    );
    let own = harness
        .post(&confirm, &finance, Some("c"), &json!({}))
        .await;
    assert_problem(own, &[403], Some("four_eyes_violation")).await;
    let admin = harness.staff_token(Role::Admin);
    let confirmed = harness.post(&confirm, &admin, Some("c"), &json!({})).await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    let retried = harness.post(&confirm, &admin, Some("c"), &json!({})).await;
    assert_eq!(retried.status(), 200);
    assert_eq!(retried.headers()["idempotent-replayed"], "true");
    assert_eq!(harness.account(&payee).await["posted_balance"], "20.00");
    assert_eq!(harness.account(&payer).await["posted_balance"], "80.00");
    let void = harness
        .post(
            &format!("/v1/holds/{hold}/void"),
            &finance,
            None,
            &json!({}),
        )
        .await;
    assert_problem(void, &[409], Some("hold_already_posted")).await;
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn a_voided_hold_releases_everything_and_cannot_be_posted(pool: PgPool) {
    let harness = start(pool).await;
    let (payer, payee, hold) = funded_hold(&harness, "100.00", "30.00").await;
    let token = harness.service_token();
    let void = harness
        .post(&format!("/v1/holds/{hold}/void"), &token, None, &json!({}))
        .await;
    assert_eq!(void.status(), 200);
    let voided: Value = void.json().await.unwrap();
    assert_eq!(voided["status"], "voided");
    assert_eq!(harness.account(&payer).await["available_balance"], "100.00");
    assert_eq!(harness.account(&payee).await["posted_balance"], "0.00");
    let post = harness
        .post(&format!("/v1/holds/{hold}/post"), &token, None, &json!({}))
        .await;
    assert_problem(post, &[409], Some("hold_already_voided")).await;
    let again = harness
        .post(&format!("/v1/holds/{hold}/void"), &token, None, &json!({}))
        .await;
    assert_problem(again, &[409], Some("hold_already_voided")).await;
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn posting_more_than_is_held_or_an_unknown_hold_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let (_, _, hold) = funded_hold(&harness, "100.00", "30.00").await;
    let token = harness.service_token();
    let path = format!("/v1/holds/{hold}/post");
    let too_much = harness
        .post(&path, &token, None, &json!({"amount": "30.01"}))
        .await;
    let body = assert_problem(too_much, &[422], Some("post_exceeds_hold")).await;
    assert_eq!(body["errors"][0]["field"], "amount");
    let precise = harness
        .post(&path, &token, None, &json!({"amount": "1.001"}))
        .await;
    assert_problem(precise, &[422], Some("too_many_decimals")).await;
    let unknown = harness
        .post(
            &format!("/v1/holds/{}/post", new_id()),
            &token,
            None,
            &json!({}),
        )
        .await;
    assert_problem(unknown, &[404], Some("not_found")).await;
    let founder = harness
        .post(&path, &harness.founder_token(new_id()), None, &json!({}))
        .await;
    assert_problem(founder, &[403], Some("forbidden")).await;
    let still_pending = harness
        .post(&path, &token, None, &json!({"amount": "30.00"}))
        .await;
    assert_eq!(
        still_pending.status(),
        200,
        "refusals left the hold pending"
    );
}
