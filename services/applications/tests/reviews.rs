//! `GET /v1/applications/{id}/reviews`: the officers deciding an application read every
//! reviewer's scores, recommendation and comment; nobody else reads them.

mod common;

use common::{grant_answers, Harness};
use imkon_applications::seed::INNOVATIVE_IDEA_GRANT_ID;
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test(migrations = false)]
async fn officers_read_an_applications_reviews_and_nobody_else_does(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    assert_eq!(harness.submit(&founder, id).await["state"], "in_review");
    let path = format!("/v1/applications/{id}/reviews");
    assert_eq!(
        harness.get_ok(&path, &harness.officer).await,
        json!([]),
        "no review yet"
    );

    let reviewer_id = Uuid::now_v7();
    let reviewer = harness.staff(reviewer_id, &[Role::KycOfficer]);
    harness
        .post_ok(
            &format!("/v1/applications/{id}/reviewers"),
            &harness.officer,
            &json!({ "reviewer_id": reviewer_id }),
        )
        .await;
    harness
        .post_ok(
            &format!("/v1/review-assignments/{id}/declaration"),
            &reviewer,
            &json!({ "has_conflict": false }),
        )
        .await;
    harness
        .post_ok(
            &format!("/v1/review-assignments/{id}/review"),
            &reviewer,
            &json!({ "scores": { "innovation": 5, "team": 4, "market": 3, "impact": 4 },
                     "recommendation": "yes", "comment": "Strong team." }),
        )
        .await;

    for officer in [&harness.officer, &harness.approver] {
        let reviews = harness.get_ok(&path, officer).await;
        let reviews = reviews.as_array().unwrap();
        assert_eq!(reviews.len(), 1, "{reviews:?}");
        let review = &reviews[0];
        assert_eq!(review["application_id"], id.to_string());
        assert_eq!(review["reviewer_id"], reviewer_id.to_string());
        assert_eq!(review["recommendation"], "yes");
        assert_eq!(review["comment"], "Strong team.");
        assert_eq!(review["weighted_total"], "4.12");
        assert_eq!(review["scores"]["innovation"], 5);
    }

    for (who, token) in [
        ("the applicant", &founder.token),
        ("the reviewer", &reviewer),
    ] {
        let refused = harness.get(&path, token).await;
        assert_eq!(refused.status(), 403, "{who}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["status"], 403, "{who}: {body}");
    }
    let anonymous = harness
        .server
        .client
        .get(harness.server.url(&path))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, &[401], None).await;
    let unknown = harness
        .get(
            &format!("/v1/applications/{}/reviews", Uuid::now_v7()),
            &harness.officer,
        )
        .await;
    assert_problem(unknown, &[404], None).await;
}
