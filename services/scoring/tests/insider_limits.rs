//! Insider limits: no scorecard decides applications on one person's word. Activation takes
//! two people: one proposes a version, another confirms it, and neither the proposer nor an
//! author of the version may confirm.

mod common;

use common::{definition_json, Harness};
use imkon_platform::testing::assert_problem;
use imkon_scoring::domain::seeds::synthetic_scorecard;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// A new scorecard written by `author`.
async fn written_by(harness: &Harness, author: &str) -> Uuid {
    let created = harness
        .post(
            "/v1/scorecards",
            Some(author),
            &definition_json(&synthetic_scorecard()),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    created["id"].as_str().unwrap().parse().unwrap()
}

async fn confirm(harness: &Harness, id: Uuid, token: &str) -> reqwest::Response {
    harness
        .post(&format!("/v1/scorecards/{id}/activate"), Some(token), "")
        .await
}

async fn active_version(harness: &Harness, id: Uuid) -> Option<i32> {
    sqlx::query_scalar("select active_version from scorecard where id = $1")
        .bind(id)
        .fetch_one(&harness.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_version_nobody_proposed_cannot_be_activated(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let id = written_by(&harness, &harness.officer()).await;

    let unproposed = confirm(&harness, id, &harness.officer()).await;

    assert_problem(unproposed, &[409], Some("activation_not_proposed")).await;
    assert_eq!(active_version(&harness, id).await, None);
}

#[sqlx::test(migrations = false)]
async fn the_proposer_cannot_confirm_their_own_proposal(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let id = written_by(&harness, &harness.officer()).await;
    let proposer = harness.officer();
    assert_eq!(harness.propose(id, 1, &proposer).await.status(), 200);

    let alone = confirm(&harness, id, &proposer).await;

    assert_problem(alone, &[403], Some("own_proposal")).await;
    assert_eq!(
        active_version(&harness, id).await,
        None,
        "nothing was activated"
    );
    let someone_else = harness.officer();
    let again = harness.propose(id, 1, &someone_else).await;
    assert_problem(again, &[409], Some("already_proposed")).await;
    let second = confirm(&harness, id, &someone_else).await;
    assert_eq!(second.status(), 200, "another officer confirms it");
    assert_eq!(active_version(&harness, id).await, Some(1));
}

#[sqlx::test(migrations = false)]
async fn the_author_cannot_confirm_a_proposal_of_their_own_version(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let author = harness.officer();
    let id = written_by(&harness, &author).await;
    assert_eq!(
        harness
            .propose(id, 1, &harness.person(imkon_auth::Role::Admin))
            .await
            .status(),
        200
    );

    let by_author = confirm(&harness, id, &author).await;

    assert_problem(by_author, &[403], Some("four_eyes_violation")).await;
    assert_eq!(
        active_version(&harness, id).await,
        None,
        "nothing was activated"
    );
    assert_eq!(
        confirm(&harness, id, &harness.officer()).await.status(),
        200
    );
}

#[sqlx::test(migrations = false)]
async fn revising_a_draft_withdraws_its_proposal(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let author = harness.officer();
    let id = written_by(&harness, &author).await;
    assert_eq!(harness.propose(id, 1, &author).await.status(), 200);
    let revised = harness
        .put(
            &format!("/v1/scorecards/{id}/versions/1"),
            &author,
            &definition_json(&synthetic_scorecard()),
        )
        .await;
    assert_eq!(revised.status(), 200);

    let confirmation = confirm(&harness, id, &harness.officer()).await;

    assert_problem(confirmation, &[409], Some("activation_not_proposed")).await;
}
