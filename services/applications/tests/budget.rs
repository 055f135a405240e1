//! Approvals commit the programme's budget; concurrent approvals never commit more than it.

mod common;

use common::{grant_answers, programme_like, Harness};
use imkon_applications::seed::INNOVATIVE_IDEA_GRANT_ID;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

/// A grant programme with a budget of a billion whose every grant is 100 million: ten fit.
async fn budget_for_ten(harness: &Harness) -> Uuid {
    let definition = programme_like(
        harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "total_budget": "1000000000.00", "min_amount": "100000000.00", "max_amount": "100000000.00" }),
    )
    .await;
    harness.create_programme(&definition).await
}

#[sqlx::test(migrations = false)]
async fn twenty_parallel_approvals_against_a_budget_for_ten_approve_exactly_ten(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let programme_id = budget_for_ten(&harness).await;
    let founder = harness.founder().await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        let id = harness
            .draft(
                &founder,
                programme_id,
                json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
            )
            .await;
        harness.submit(&founder, id).await;
        harness
            .propose_approval(id, json!({ "amount": "100000000.00", "term_months": 12 }))
            .await;
        ids.push(id);
    }

    let mut confirmations = JoinSet::new();
    for id in &ids {
        let client = harness.server.client.clone();
        let url = harness
            .server
            .url(&format!("/v1/applications/{id}/decision/confirmation"));
        let token = harness.approver.clone();
        confirmations.spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", Uuid::now_v7().to_string())
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, body)
        });
    }
    let mut approved = 0;
    let mut refused = 0;
    while let Some(result) = confirmations.join_next().await {
        let (status, body) = result.unwrap();
        match status {
            200 => approved += 1,
            409 => {
                assert_eq!(body["code"], "budget_exceeded", "{body}");
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((approved, refused), (10, 10));

    let (total, committed): (Decimal, Decimal) =
        sqlx::query_as("select total_budget, committed_amount from programme where id = $1")
            .bind(programme_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    let approved_sum: Decimal = sqlx::query_scalar(
        "select coalesce(sum(d.amount), 0) from application_decision d
         join application a on a.id = d.application_id
         where a.programme_id = $1 and d.status = 'confirmed' and a.state = 'approved'",
    )
    .bind(programme_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(committed, approved_sum);
    assert!(committed <= total);
    let events: i64 = sqlx::query_scalar(
        "select count(*) from outbox_event where topic = 'application.approved'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(events, 10);
    let still_deciding: i64 = sqlx::query_scalar(
        "select count(*) from application where programme_id = $1 and state = 'decision'",
    )
    .bind(programme_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        still_deciding, 10,
        "refused approvals stay awaiting a decision"
    );
}

#[sqlx::test(migrations = false)]
async fn the_database_refuses_committing_beyond_the_budget(pool: PgPool) {
    let _harness = Harness::start(pool.clone()).await;
    let error =
        sqlx::query("update programme set committed_amount = total_budget + 0.01 where id = $1")
            .bind(INNOVATIVE_IDEA_GRANT_ID)
            .execute(&pool)
            .await
            .unwrap_err();
    assert_eq!(
        error.as_database_error().unwrap().constraint(),
        Some("programme_committed_within_budget")
    );
    let unknown: Option<Uuid> =
        sqlx::query_scalar("select id from programme where committed_amount > total_budget")
            .fetch_optional(&pool)
            .await
            .unwrap();
    assert_eq!(unknown, None);
}

fn disbursement_token(harness: &Harness) -> String {
    imkon_platform::testing::token(
        &harness.issuer,
        &imkon_platform::testing::service_principal("disbursement"),
        imkon_auth::Audience::Applications,
    )
}

async fn committed(harness: &Harness, programme_id: Uuid) -> Decimal {
    sqlx::query_scalar("select committed_amount from programme where id = $1")
        .bind(programme_id)
        .fetch_one(&harness.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_cancelled_contract_gives_its_budget_back_once_however_often_it_is_told(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let programme_id = budget_for_ten(&harness).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            programme_id,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    harness.submit(&founder, id).await;
    harness
        .propose_approval(id, json!({ "amount": "100000000.00", "term_months": 12 }))
        .await;
    harness
        .ok(harness.confirm(id, &harness.approver).await)
        .await;
    assert_eq!(committed(&harness, programme_id).await, dec!(100000000.00));

    let contract_id = Uuid::now_v7();
    // The event claims more than was approved: the release is this service's own figure.
    let payload = json!({
        "contract_id": contract_id, "application_id": id, "programme_id": programme_id,
        "client_id": founder.client_id, "currency": "UZS", "amount": "999999999.00",
        "cancelled_at": chrono::Utc::now(),
    });
    let event = |payload: &serde_json::Value| {
        json!({ "id": Uuid::now_v7(), "topic": "contract.cancelled",
                "occurred_at": chrono::Utc::now(), "payload": payload })
    };
    let not_disbursement = harness
        .post("/v1/events", &harness.service_token(), &event(&payload))
        .await;
    assert_eq!(not_disbursement.status(), 403);
    assert_eq!(committed(&harness, programme_id).await, dec!(100000000.00));

    let disbursement = disbursement_token(&harness);
    let first = event(&payload);
    let receipt = harness.post_ok("/v1/events", &disbursement, &first).await;
    assert_eq!(receipt["outcome"], "applied");
    assert_eq!(committed(&harness, programme_id).await, Decimal::ZERO);
    let (state, changes): (String, i64) = sqlx::query_as(
        "select a.state, (select count(*) from application_event e
                          where e.application_id = a.id and e.kind = 'state_changed'
                            and e.details->>'to' = 'cancelled' and e.actor_role = 'service')
         from application a where a.id = $1",
    )
    .bind(id)
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(
        (state.as_str(), changes),
        ("cancelled", 1),
        "the application no longer reads as approved, and its timeline says why"
    );
    let receipt = harness.post_ok("/v1/events", &disbursement, &first).await;
    assert_eq!(receipt["outcome"], "duplicate");
    // A second event about the same contract, with an id of its own, releases nothing more.
    let receipt = harness
        .post_ok("/v1/events", &disbursement, &event(&payload))
        .await;
    assert_eq!(receipt["outcome"], "applied");
    assert_eq!(committed(&harness, programme_id).await, Decimal::ZERO);

    let released: (Uuid, Decimal) =
        sqlx::query_as("select contract_id, amount from budget_release where application_id = $1")
            .bind(id)
            .fetch_one(&harness.pool)
            .await
            .unwrap();
    assert_eq!(released, (contract_id, dec!(100000000.00)));
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_record where action = 'programme.budget_released'",
    )
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // The founder is told once, about their application.
    let notices: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(
        "select client_id, application_id from notification where kind = 'contract:cancelled'",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(notices, vec![(founder.client_id, Some(id))]);

    let unknown = json!({ "contract_id": Uuid::now_v7(), "application_id": Uuid::now_v7(),
                          "client_id": founder.client_id });
    let refused = harness
        .post("/v1/events", &disbursement, &event(&unknown))
        .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        refused.json::<serde_json::Value>().await.unwrap()["code"],
        "unknown_application"
    );
}
