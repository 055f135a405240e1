//! The `client.kyc_approved` event opens the founder's current account in sums, once.

mod common;

use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;

use common::start;

fn kyc_approved(event_id: uuid::Uuid, payload: Value) -> Value {
    json!({
        "id": event_id,
        "topic": "client.kyc_approved",
        "occurred_at": "2026-11-26T10:00:00Z",
        "payload": payload,
    })
}

#[sqlx::test(migrations = false)]
async fn an_approved_kyc_opens_one_current_account_in_sums(pool: PgPool) {
    let harness = start(pool).await;
    let client_id = new_id();
    let event = kyc_approved(
        new_id(),
        json!({"client_id": client_id, "case_id": new_id()}),
    );
    let relay = harness.service_token_of("onboarding");
    let delivery = |event: Value| {
        let (harness, relay) = (&harness, &relay);
        async move {
            let response = harness.post("/v1/events", relay, None, &event).await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()["outcome"].clone()
        }
    };
    assert_eq!(delivery(event.clone()).await, "applied");
    assert_eq!(delivery(event).await, "duplicate");
    let another_event = kyc_approved(new_id(), json!({"client_id": client_id}));
    assert_eq!(delivery(another_event).await, "applied");

    let accounts: Value = harness
        .get("/v1/me/accounts", &harness.founder_token(client_id))
        .await
        .json()
        .await
        .unwrap();
    let accounts = accounts.as_array().unwrap();
    assert_eq!(
        accounts.len(),
        1,
        "one account however often the event arrives"
    );
    assert_eq!(accounts[0]["kind"], "client_current");
    assert_eq!(accounts[0]["currency"], "UZS");
    assert_eq!(accounts[0]["allow_negative"], false);
    assert_eq!(accounts[0]["posted_balance"], "0.00");

    let handled_events: i64 = sqlx::query_scalar("select count(*) from inbox_event")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(handled_events, 2);
    let openings: i64 = sqlx::query_scalar(
        "select count(*) from audit_record where action = 'account.opened' and actor_id is null",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(openings, 1, "the opening is in the audit trail once");
    let staff_view = harness
        .get(
            &format!("/v1/accounts?client_id={client_id}"),
            &harness.staff_token(Role::KycOfficer),
        )
        .await;
    assert_eq!(staff_view.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn an_approval_without_a_client_id_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let response = harness
        .post(
            "/v1/events",
            &harness.service_token_of("onboarding"),
            None,
            &kyc_approved(new_id(), json!({"case_id": new_id()})),
        )
        .await;
    let body = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(body["errors"][0]["field"], "payload.client_id");
}

#[sqlx::test(migrations = false)]
async fn the_demo_seed_opens_the_banks_accounts_once(pool: PgPool) {
    let harness = start(pool).await;
    imkon_accounts::seed_demo(&harness.pool, &harness.calendar)
        .await
        .unwrap();
    imkon_accounts::seed_demo(&harness.pool, &harness.calendar)
        .await
        .unwrap();
    let kinds: Vec<(String, String)> = sqlx::query_as(
        "select kind, currency from account where owner_client_id is null order by kind",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    let expected = [
        ("bank_settlement", "UZS"),
        ("interest_income", "UZS"),
        ("penalty_income", "UZS"),
    ];
    assert_eq!(
        kinds,
        expected.map(|(kind, currency)| (kind.to_owned(), currency.to_owned()))
    );
}

#[sqlx::test(migrations = false)]
async fn only_a_service_may_deliver_an_event(pool: PgPool) {
    let harness = start(pool).await;
    let event = kyc_approved(new_id(), json!({"client_id": new_id()}));
    let anonymous = harness
        .server
        .client
        .post(harness.server.url("/v1/events"))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, &[401], None).await;
    let person = harness
        .post(
            "/v1/events",
            &harness.staff_token(Role::Admin),
            None,
            &event,
        )
        .await;
    assert_problem(person, &[403], None).await;
}
