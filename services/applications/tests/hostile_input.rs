//! Text PostgreSQL cannot store, deep in an application's answers, is a 422 naming where it
//! is; text with line breaks is still an answer.

mod common;

use common::{grant_answers, Harness};
use imkon_applications::seed::INNOVATIVE_IDEA_GRANT_ID;
use imkon_platform::testing::assert_problem;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn a_nul_in_a_nested_answer_is_refused_naming_its_pointer(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let mut answers = grant_answers();
    answers["project_summary"] = "A payments app\u{0} for bazaars".into();
    let response = harness
        .post(
            "/v1/applications",
            &founder.token,
            &json!({ "programme_id": INNOVATIVE_IDEA_GRANT_ID, "company_id": founder.company_id,
                     "answers": answers }),
        )
        .await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "/answers/project_summary");
    assert_eq!(problem["errors"][0]["code"], "control_character");
}

#[sqlx::test(migrations = false)]
async fn an_answer_over_several_lines_is_still_accepted(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let mut answers = grant_answers();
    answers["project_summary"] = "A payments app for bazaars.\r\n\tStalls pay by QR code.\n".into();
    let response = harness
        .post(
            "/v1/applications",
            &founder.token,
            &json!({ "programme_id": INNOVATIVE_IDEA_GRANT_ID, "company_id": founder.company_id,
                     "answers": answers }),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}
