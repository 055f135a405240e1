//! No time bombs in the demo data: the whole platform started with every service's clock in
//! 2035 seeds its demo data (staff, founders with valid passports and companies, KYC approved
//! on that day, open programmes, scorecards, the bank's accounts), and a founder is offered
//! every demo programme and gets through screening to a real score.

mod support;

use imkon_applications::seed::{
    INNOVATIVE_IDEA_GRANT_ID, MVP_CO_FUNDING_GRANT_ID, SMALL_BUSINESS_START_LOAN_ID, YOUTH_LOAN_ID,
};
use imkon_platform::calendar::SettableClock;
use serde_json::json;
use sqlx::types::chrono::{DateTime, NaiveDate, Utc};
use support::{loan_answers, Platform};
use uuid::Uuid;

#[tokio::test]
async fn a_founder_is_offered_the_demo_programmes_in_2035() {
    let now: DateTime<Utc> = "2035-06-01T12:00:00Z".parse().unwrap();
    let today = NaiveDate::from_ymd_opt(2035, 6, 1).unwrap();
    let platform = Platform::start_reading(SettableClock::at(now)).await;
    let founder = platform.login("founder1").await;

    let programmes = platform
        .get(&founder, "applications", "/v1/programmes")
        .await
        .ok();
    let open: Vec<Uuid> = programmes
        .as_array()
        .unwrap()
        .iter()
        .filter(|programme| {
            let day = |field: &str| programme[field].as_str().unwrap().parse::<NaiveDate>();
            day("opens_on").unwrap() <= today && today <= day("closes_on").unwrap()
        })
        .map(|programme| programme["id"].as_str().unwrap().parse().unwrap())
        .collect();
    for id in [
        INNOVATIVE_IDEA_GRANT_ID,
        MVP_CO_FUNDING_GRANT_ID,
        YOUTH_LOAN_ID,
        SMALL_BUSINESS_START_LOAN_ID,
    ] {
        assert!(open.contains(&id), "{id} is open in 2035: {programmes}");
    }

    let companies = platform
        .get(&founder, "onboarding", "/v1/me/companies")
        .await
        .ok();
    let draft = platform
        .post(
            &founder,
            "applications",
            "/v1/applications",
            &json!({
                "programme_id": SMALL_BUSINESS_START_LOAN_ID,
                "company_id": companies[0]["company_id"],
                "requested_amount": "120000000.00",
                "term_months": 12,
                "answers": loan_answers(),
            }),
        )
        .await
        .ok();
    let id = draft["id"].as_str().unwrap();
    let submitted = platform
        .post(
            &founder,
            "applications",
            &format!("/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await
        .ok();
    assert_eq!(submitted["state"], "in_review", "{submitted}");
    assert!(
        submitted["submitted_at"]
            .as_str()
            .unwrap()
            .starts_with("2035-06-01"),
        "{submitted}"
    );
    assert!(
        submitted["score"]["score"].is_string(),
        "scored by the scoring service: {submitted}"
    );
    platform.stop().await;
}
