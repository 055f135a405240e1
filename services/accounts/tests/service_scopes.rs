//! A service token is worth only the operations its scope names: services other than
//! disbursement cannot open accounts, move money or read every account, however valid their
//! token (issue 14, hole 4).

mod common;

use imkon_platform::id::new_id;
use imkon_platform::testing::assert_problem;
use serde_json::json;
use sqlx::PgPool;

use common::{start, two_legs, Harness};

/// A validly signed token for accounts in the name of `service`: what a compromised service
/// holds when its own credentials are used against accounts.
fn token_of(harness: &Harness, service: &str) -> String {
    harness.service_token_of(service)
}

#[sqlx::test(migrations = false)]
async fn a_scoring_service_token_cannot_post_a_transfer(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    let scoring = token_of(&harness, "scoring");

    let refused = harness
        .post(
            "/v1/transfers",
            &scoring,
            Some("scoring-pays-itself"),
            &two_legs(&settlement, &client, "1000000.00"),
        )
        .await;
    assert_problem(refused, &[403], Some("forbidden")).await;
    assert_eq!(harness.account(&client).await["posted_balance"], "0.00");
}

#[sqlx::test(migrations = false)]
async fn the_applications_service_cannot_open_an_overdraft_or_move_money(pool: PgPool) {
    let harness = start(pool).await;
    let applications = token_of(&harness, "applications");
    let client_id = new_id();

    let overdraft = harness
        .post(
            "/v1/accounts",
            &applications,
            Some(&new_id().to_string()),
            &json!({"owner": {"kind": "client", "client_id": client_id},
                    "kind": "client_current", "currency": "UZS", "allow_negative": true}),
        )
        .await;
    assert_problem(overdraft, &[403], Some("forbidden")).await;

    let settlement = harness.open_settlement().await;
    let payer = harness.open_client_current(client_id).await;
    let payee = harness.open_client_current(new_id()).await;
    harness.fund(&settlement, &payer, "100.00").await;
    let moved = harness
        .post(
            "/v1/transfers",
            &applications,
            Some("applications-moves"),
            &two_legs(&payer, &payee, "100.00"),
        )
        .await;
    assert_problem(moved, &[403], Some("forbidden")).await;

    let mut held = two_legs(&payer, &payee, "40.00");
    held["hold"] = json!(true);
    let hold = harness
        .post(
            "/v1/transfers",
            &harness.service_token(),
            Some("hold"),
            &held,
        )
        .await;
    assert_eq!(hold.status(), 201);
    let hold_id = hold.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for action in ["post", "void"] {
        let refused = harness
            .post(
                &format!("/v1/holds/{hold_id}/{action}"),
                &applications,
                None,
                &json!({}),
            )
            .await;
        assert_problem(refused, &[403], Some("forbidden")).await;
    }
    assert_eq!(harness.account(&payer).await["available_balance"], "60.00");
    harness.assert_invariants().await;
}

#[sqlx::test(migrations = false)]
async fn onboardings_event_token_cannot_read_the_accounts_of_any_client(pool: PgPool) {
    let harness = start(pool).await;
    let client_id = new_id();
    let number = harness.open_client_current(client_id).await;
    let onboarding = token_of(&harness, "onboarding");

    let listed = harness
        .get(&format!("/v1/accounts?client_id={client_id}"), &onboarding)
        .await;
    assert_problem(listed, &[403], Some("forbidden")).await;
    let read = harness
        .get(&format!("/v1/accounts/{number}"), &onboarding)
        .await;
    assert_eq!(
        read.status(),
        404,
        "another client's account is reported missing"
    );
}

#[sqlx::test(migrations = false)]
async fn the_disbursement_service_still_opens_accounts_and_moves_money(pool: PgPool) {
    let harness = start(pool).await;
    let settlement = harness.open_settlement().await;
    let client_id = new_id();
    let client = harness.open_client_current(client_id).await;
    harness.fund(&settlement, &client, "250.00").await;
    let listed = harness
        .get(
            &format!("/v1/accounts?client_id={client_id}"),
            &harness.service_token(),
        )
        .await;
    assert_eq!(listed.status(), 200);
    assert_eq!(harness.account(&client).await["posted_balance"], "250.00");
}
