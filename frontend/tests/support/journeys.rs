//! A founder's way through the pages to an application, shared by the tests that start from
//! one.

use imkon_applications::seed::MVP_CO_FUNDING_GRANT_ID;
use imkon_platform::testing::TestServer;
use reqwest::StatusCode;
use uuid::Uuid;

use super::browser::{location, Browser};

/// The founder's answers to the grant programme's questions.
pub const GRANT_ANSWERS: [(&str, &str); 8] = [
    ("answers.project_summary", "A marketplace for farm produce."),
    ("answers.team_experience_years", "6"),
    ("answers.technical_founder", "yes"),
    ("answers.product_stage", "mvp"),
    ("answers.monthly_active_users", "1,200"),
    ("answers.target_market", "uzbekistan"),
    ("answers.it_park_resident", "yes"),
    ("answers.jobs_to_be_created", "12"),
];

/// Starts a draft to the co-funding grant through the pages and returns its id.
pub async fn start_grant_draft(frontend: &TestServer, founder: &mut Browser) -> String {
    start_draft(
        frontend,
        founder,
        MVP_CO_FUNDING_GRANT_ID,
        &[
            ("requested_amount", "50,000,000.00"),
            ("term_months", "12"),
            ("project_cost", "200,000,000.00"),
        ],
    )
    .await
}

/// Starts a draft to the programme `programme_id` with the basics `fields`, for the founder's
/// first company, through the pages; returns its id.
pub async fn start_draft(
    frontend: &TestServer,
    founder: &mut Browser,
    programme_id: Uuid,
    fields: &[(&str, &str)],
) -> String {
    let apply_path = format!("/programmes/{programme_id}/apply");
    let form = founder.get(&frontend.url(&apply_path)).await;
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.unwrap();
    let company_id = html
        .split("<option value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the founder's company is offered")
        .to_owned();
    let mut basics = vec![("step", "basics"), ("company_id", company_id.as_str())];
    basics.extend_from_slice(fields);
    let response = founder.post(&frontend.url(&apply_path), &basics).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let next = location(&response);
    let id = next
        .strip_prefix("/applications/")
        .and_then(|rest| rest.split('/').next())
        .expect("the draft's page")
        .to_owned();
    assert_eq!(next, format!("/applications/{id}/edit?step=answers"));
    id
}

/// Answers the questions of the draft `id` and submits it; screening puts it in review.
pub async fn submit_grant_draft(frontend: &TestServer, founder: &mut Browser, id: &str) {
    let mut answers: Vec<(&str, &str)> = vec![("step", "answers")];
    answers.extend(GRANT_ANSWERS);
    let edit = frontend.url(&format!("/applications/{id}/edit"));
    founder.post(&edit, &answers).await;
    let submitted = founder.post(&edit, &[("step", "review")]).await;
    assert_eq!(location(&submitted), format!("/applications/{id}"));
}
