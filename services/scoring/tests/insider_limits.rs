//! Insider limits: no scorecard decides applications on one person's word.

mod common;

use common::{definition_json, Harness};
use imkon_platform::testing::assert_problem;
use imkon_scoring::domain::seeds::synthetic_scorecard;
use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn the_officer_who_wrote_a_scorecard_cannot_activate_it(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let author = harness.officer();
    let created = harness
        .post(
            "/v1/scorecards",
            Some(&author),
            &definition_json(&synthetic_scorecard()),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap();

    let alone = harness
        .post(&format!("/v1/scorecards/{id}/activate"), Some(&author), "")
        .await;

    assert_problem(alone, &[403], Some("four_eyes_violation")).await;
    let active: Option<i32> =
        sqlx::query_scalar("select active_version from scorecard where id = $1::uuid")
            .bind(id)
            .fetch_one(&harness.pool)
            .await
            .unwrap();
    assert_eq!(active, None, "nothing was activated");
    let second = harness
        .post(
            &format!("/v1/scorecards/{id}/activate"),
            Some(&harness.officer()),
            "",
        )
        .await;
    assert_eq!(second.status(), 200, "another officer activates it");
}
