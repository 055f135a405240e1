//! Collateral and guarantors: recorded by the founder on a draft loan application, read by
//! its officers, refused on a grant and after submission, and carried by the approval.

mod common;

use common::{loan_answers, Harness};
use imkon_applications::seed::{INNOVATIVE_IDEA_GRANT_ID, SMALL_BUSINESS_START_LOAN_ID};
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn a_founder_secures_a_draft_loan_with_collateral_and_a_guarantor_and_the_approval_carries_them(
    pool: PgPool,
) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            SMALL_BUSINESS_START_LOAN_ID,
            json!({ "requested_amount": "200000000.00", "term_months": 24, "answers": loan_answers() }),
        )
        .await;
    let path = format!("/v1/applications/{id}/securities");
    let flat = json!({
        "kind": "collateral", "collateral_type": "real_estate",
        "description": "Office, 12 Amir Temur street, Tashkent", "value": "350000000.00"
    });
    let added = harness
        .ok(harness.post(&path, &founder.token, &flat).await)
        .await;
    assert_eq!(added["currency"], "UZS");
    assert_eq!(added["value"], "350000000.00");
    let guarantor = json!({
        "kind": "guarantor", "guarantor_name": "Dilshod Karimov",
        "description": "Co-founder's father", "value": "100000000"
    });
    let second = harness
        .ok(harness.post(&path, &founder.token, &guarantor).await)
        .await;
    assert_eq!(second["value"], "100000000.00");

    for (body, field) in [
        (
            json!({"kind": "pledge", "description": "x", "value": "1"}),
            "kind",
        ),
        (
            json!({"kind": "collateral", "collateral_type": "art", "description": "x", "value": "1"}),
            "collateral_type",
        ),
        (
            json!({"kind": "collateral", "collateral_type": "vehicle", "description": "  ", "value": "1"}),
            "description",
        ),
        (
            json!({"kind": "collateral", "collateral_type": "vehicle", "description": "car", "value": "0"}),
            "value",
        ),
        (
            json!({"kind": "collateral", "collateral_type": "vehicle", "description": "car", "value": "1.001"}),
            "value",
        ),
        (
            json!({"kind": "guarantor", "description": "someone", "value": "10"}),
            "guarantor_name",
        ),
        (
            json!({"kind": "collateral", "collateral_type": "vehicle", "description": "car", "value": "10", "guarantor_name": "x"}),
            "guarantor_name",
        ),
    ] {
        let refused = harness.post(&path, &founder.token, &body).await;
        let problem = assert_problem(refused, &[422], None).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
    }

    // Another founder neither reads nor adds; the officers read.
    let stranger = harness.founder().await;
    assert_problem(harness.get(&path, &stranger.token).await, &[404], None).await;
    assert_problem(
        harness.post(&path, &stranger.token, &flat).await,
        &[404],
        None,
    )
    .await;
    let seen: Value = harness.get_ok(&path, &harness.officer).await;
    assert_eq!(seen.as_array().unwrap().len(), 2);
    assert_eq!(seen[0]["collateral_type"], "real_estate");
    assert_eq!(seen[1]["guarantor_name"], "Dilshod Karimov");

    // A grant needs no security.
    let grant = harness
        .draft(&founder, INNOVATIVE_IDEA_GRANT_ID, json!({}))
        .await;
    let refused = harness
        .post(
            &format!("/v1/applications/{grant}/securities"),
            &founder.token,
            &flat,
        )
        .await;
    assert_problem(refused, &[409], Some("not_a_loan")).await;

    // The founder removes one, then submits: the list is fixed from then on.
    let removed = harness
        .server
        .client
        .delete(
            harness
                .server
                .url(&format!("{path}/{}", second["id"].as_str().unwrap())),
        )
        .bearer_auth(&founder.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    harness
        .ok(harness.post(&path, &founder.token, &guarantor).await)
        .await;
    harness.submit(&founder, id).await;
    let late = harness.post(&path, &founder.token, &flat).await;
    assert_problem(late, &[409], Some("not_a_draft")).await;

    harness
        .propose_approval(
            id,
            json!({ "amount": "180000000.00", "term_months": 24, "annual_rate_percent": "26", "grace_months": 0 }),
        )
        .await;
    harness
        .ok(harness.confirm(id, &harness.approver).await)
        .await;
    let event: Value =
        sqlx::query_scalar("select payload from outbox_event where topic = 'application.approved'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        event["securities"],
        json!([
            {"kind": "collateral", "collateral_type": "real_estate",
             "description": "Office, 12 Amir Temur street, Tashkent", "value": "350000000.00",
             "guarantor_name": null, "documents": []},
            {"kind": "guarantor", "collateral_type": null, "description": "Co-founder's father",
             "value": "100000000.00", "guarantor_name": "Dilshod Karimov", "documents": []}
        ])
    );
}
