//! Approvals commit the programme's budget; concurrent approvals never commit more than it.

mod common;

use common::{grant_answers, programme_like, Harness};
use imkon_applications::seed::INNOVATIVE_IDEA_GRANT_ID;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

#[sqlx::test(migrations = false)]
async fn twenty_parallel_approvals_against_a_budget_for_ten_approve_exactly_ten(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let definition = programme_like(
        &harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "total_budget": "1000000000.00", "min_amount": "100000000.00", "max_amount": "100000000.00" }),
    )
    .await;
    let programme_id = harness.create_programme(&definition).await;
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
