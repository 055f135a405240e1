//! Whole lifecycles over HTTP: a grant and a loan from draft to approval, and a screening
//! knock-out to rejection.

mod common;

use common::{grant_answers, loan_answers, Harness};
use imkon_applications::seed::{
    INNOVATIVE_IDEA_GRANT_ID, SMALL_BUSINESS_START_LOAN_ID, YOUTH_LOAN_ID,
};
use imkon_auth::Role;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

async fn approved_events(pool: &PgPool) -> Vec<Value> {
    sqlx::query_scalar(
        "select payload from outbox_event where topic = 'application.approved' order by created_at",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

fn kinds(timeline: &Value) -> Vec<String> {
    timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_grant_goes_from_draft_through_review_to_approval(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;

    let id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "answers": { "project_summary": "A payments app" } }),
        )
        .await;
    let saved = harness
        .ok(harness
            .patch(
                &format!("/v1/applications/{id}"),
                &founder.token,
                &json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
            )
            .await)
        .await;
    assert_eq!(saved["state"], "draft");
    assert_eq!(saved["answers"]["team_experience_years"], 4);

    let submitted = harness.submit(&founder, id).await;
    assert_eq!(submitted["state"], "in_review", "{submitted}");
    assert_eq!(submitted["score"]["band"], "B");
    assert_eq!(submitted["score"]["recommendation"], "approve");
    let characteristics = submitted["score"]["characteristics"].as_array().unwrap();
    assert!(characteristics
        .iter()
        .any(|scored| scored["characteristic"] == "technical_founder"
            && scored["reason_code"] == "TECHNICAL_FOUNDER_PRESENT"));

    let reviewer_id = Uuid::now_v7();
    let reviewer = harness.staff(reviewer_id, &[Role::KycOfficer]);
    harness
        .post_ok(
            &format!("/v1/applications/{id}/reviewers"),
            &harness.officer,
            &json!({ "reviewer_id": reviewer_id }),
        )
        .await;
    let before_declaring = harness
        .get(&format!("/v1/review-assignments/{id}"), &reviewer)
        .await;
    imkon_platform::testing::assert_problem(
        before_declaring,
        &[403],
        Some("conflict_declaration_missing"),
    )
    .await;
    harness
        .post_ok(
            &format!("/v1/review-assignments/{id}/declaration"),
            &reviewer,
            &json!({ "has_conflict": false }),
        )
        .await;
    let seen = harness
        .get_ok(&format!("/v1/review-assignments/{id}"), &reviewer)
        .await;
    assert_eq!(seen["id"], id.to_string());
    let review = harness
        .post_ok(
            &format!("/v1/review-assignments/{id}/review"),
            &reviewer,
            &json!({ "scores": { "innovation": 5, "team": 4, "market": 3, "impact": 4 },
                     "recommendation": "yes", "comment": "Strong team." }),
        )
        .await;
    // (3·5 + 2·4 + 2·3 + 1·4) / 8 = 4.125, rounded half to even.
    assert_eq!(review["weighted_total"], "4.12");

    let asked = harness
        .post_ok(
            &format!("/v1/applications/{id}/info-requests"),
            &harness.officer,
            &json!({ "message": "Please attach your pitch deck." }),
        )
        .await;
    assert_eq!(asked["state"], "info_requested");
    let answered = harness
        .post_ok(
            &format!("/v1/applications/{id}/info-responses"),
            &founder.token,
            &json!({ "message": "Attached to the company profile." }),
        )
        .await;
    assert_eq!(answered["state"], "in_review");
    let noted = harness
        .post(
            &format!("/v1/applications/{id}/notes"),
            &harness.officer,
            &json!({ "message": "Founder seemed evasive about churn." }),
        )
        .await;
    assert_eq!(noted.status(), 204);

    let proposed = harness
        .propose_approval(id, json!({ "amount": "100000000.00", "term_months": 12 }))
        .await;
    assert_eq!(proposed["state"], "decision");
    let approved = harness
        .ok(harness.confirm(id, &harness.approver).await)
        .await;
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["decision"]["amount"], "100000000.00");

    let programme = harness
        .get_ok(
            &format!("/v1/programmes/{INNOVATIVE_IDEA_GRANT_ID}"),
            &harness.admin,
        )
        .await;
    assert_eq!(programme["committed_amount"], "100000000.00");
    let events = approved_events(&pool).await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["application_id"], id.to_string());
    assert_eq!(event["programme_id"], INNOVATIVE_IDEA_GRANT_ID.to_string());
    assert_eq!(event["programme_kind"], "grant");
    assert_eq!(event["client_id"], founder.client_id.to_string());
    assert_eq!(event["company_id"], founder.company_id.to_string());
    assert_eq!(event["currency"], "UZS");
    assert_eq!(event["amount"], "100000000.00");
    assert_eq!(event["term_months"], 12);
    assert_eq!(event["annual_rate_percent"], Value::Null);
    assert_eq!(event["repayment_method"], Value::Null);
    assert_eq!(event["grace_months"], 0);
    assert_eq!(event["penalty_rate_percent"], Value::Null);
    assert!(chrono::DateTime::parse_from_rfc3339(event["approved_at"].as_str().unwrap()).is_ok());

    let officer_timeline = harness
        .get_ok(&format!("/v1/applications/{id}/timeline"), &harness.officer)
        .await;
    let officer_kinds = kinds(&officer_timeline);
    for kind in [
        "internal_note",
        "conflict_declared",
        "decision_proposed",
        "decision_confirmed",
    ] {
        assert!(
            officer_kinds.contains(&kind.to_owned()),
            "{kind} missing in {officer_kinds:?}"
        );
    }
    let founder_timeline = harness
        .get_ok(&format!("/v1/applications/{id}/timeline"), &founder.token)
        .await;
    let founder_kinds = kinds(&founder_timeline);
    for hidden in ["internal_note", "conflict_declared", "decision_proposed"] {
        assert!(
            !founder_kinds.contains(&hidden.to_owned()),
            "{hidden} shown to the founder"
        );
    }
    assert!(!founder_timeline.to_string().contains("evasive"));
    assert!(!founder_timeline
        .to_string()
        .contains(&reviewer_id.to_string()));
    assert!(founder_kinds.contains(&"review_submitted".to_owned()));
    assert!(founder_kinds.contains(&"info_requested".to_owned()));
    let states: Vec<&str> = founder_timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "state_changed")
        .map(|entry| entry["details"]["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "submitted",
            "screening",
            "in_review",
            "info_requested",
            "in_review",
            "decision",
            "approved"
        ]
    );

    let notifications = harness.get_ok("/v1/notifications", &founder.token).await;
    let about_the_application = notifications
        .as_array()
        .unwrap()
        .iter()
        .filter(|notification| !notification["application_id"].is_null())
        .count();
    assert_eq!(about_the_application, states.len());
}

#[sqlx::test(migrations = false)]
async fn a_loan_is_approved_with_its_rate_grace_and_repayment_method(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            SMALL_BUSINESS_START_LOAN_ID,
            json!({ "requested_amount": "200000000.00", "term_months": 24, "answers": loan_answers() }),
        )
        .await;
    let submitted = harness.submit(&founder, id).await;
    assert_eq!(submitted["state"], "in_review", "{submitted}");
    assert!(submitted["score"]["score"].is_string());

    let out_of_range = harness
        .post(
            &format!("/v1/applications/{id}/decision/proposal"),
            &harness.officer,
            &json!({ "outcome": "approve", "amount": "200000000.00", "term_months": 24,
                     "annual_rate_percent": "30", "grace_months": 3 }),
        )
        .await;
    common::assert_problem_field(
        out_of_range,
        422,
        "annual_rate_percent",
        "rate_out_of_range",
    )
    .await;
    harness
        .propose_approval(
            id,
            json!({ "amount": "180000000.00", "term_months": 24, "annual_rate_percent": "26", "grace_months": 3 }),
        )
        .await;
    let approved = harness
        .ok(harness.confirm(id, &harness.approver).await)
        .await;
    assert_eq!(approved["state"], "approved");

    let events = approved_events(&pool).await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["programme_kind"], "loan");
    assert_eq!(event["amount"], "180000000.00");
    assert_eq!(event["term_months"], 24);
    assert_eq!(event["annual_rate_percent"], "26");
    assert_eq!(event["repayment_method"], "equal_principal");
    assert_eq!(event["grace_months"], 3);
    assert_eq!(event["penalty_rate_percent"], "12");
    assert_eq!(event["day_count"], "30/360");
    assert_eq!(event["interest_method"], "declining_balance");
}

#[sqlx::test(migrations = false)]
async fn a_flat_loan_programme_counting_actual_days_with_a_fee_passes_its_choices_to_the_approval(
    pool: PgPool,
) {
    let harness = Harness::start(pool.clone()).await;
    let definition = common::programme_like(
        &harness,
        SMALL_BUSINESS_START_LOAN_ID,
        json!({
            "day_count": "actual/365",
            "interest_method": "flat",
            "arrangement_fee_percent": "1.25",
            "arrangement_fee_collection": "upfront",
            "late_charge_fixed": "50000"
        }),
    )
    .await;
    let programme_id = harness.create_programme(&definition).await;
    let stored = harness
        .get_ok(&format!("/v1/programmes/{programme_id}"), &harness.admin)
        .await;
    assert_eq!(stored["day_count"], "actual/365");
    assert_eq!(stored["interest_method"], "flat");
    assert_eq!(stored["arrangement_fee_percent"], "1.25");
    assert_eq!(stored["arrangement_fee_fixed"], Value::Null);
    assert_eq!(stored["arrangement_fee_collection"], "upfront");
    assert_eq!(stored["late_charge_fixed"], "50000.00");

    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            programme_id,
            json!({ "requested_amount": "200000000.00", "term_months": 24, "answers": loan_answers() }),
        )
        .await;
    harness.submit(&founder, id).await;
    harness
        .propose_approval(
            id,
            json!({ "amount": "180000000.00", "term_months": 24, "annual_rate_percent": "26", "grace_months": 0 }),
        )
        .await;
    harness
        .ok(harness.confirm(id, &harness.approver).await)
        .await;
    let events = approved_events(&pool).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["day_count"], "actual/365");
    assert_eq!(events[0]["interest_method"], "flat");
    assert_eq!(events[0]["arrangement_fee_percent"], "1.25");
    assert_eq!(events[0]["arrangement_fee_fixed"], Value::Null);
    assert_eq!(events[0]["arrangement_fee_collection"], "upfront");
    assert_eq!(events[0]["late_charge"], "50000.00");
}

#[sqlx::test(migrations = false)]
async fn a_founder_over_the_youth_age_limit_is_knocked_out_and_rejected_with_the_reason(
    pool: PgPool,
) {
    let harness = Harness::start(pool).await;
    let founder = harness
        .founder_with(24, harness.months_ago(12 * 35), true)
        .await;
    let id = harness
        .draft(
            &founder,
            YOUTH_LOAN_ID,
            json!({ "requested_amount": "300000000.00", "term_months": 36, "answers": loan_answers() }),
        )
        .await;
    let submitted = harness.submit(&founder, id).await;
    assert_eq!(submitted["state"], "decision", "{submitted}");
    assert_eq!(
        submitted["score"],
        Value::Null,
        "ineligible applications are not scored"
    );

    let rejected = harness
        .ok(harness.confirm(id, &harness.approver).await)
        .await;
    assert_eq!(rejected["state"], "rejected");
    assert!(rejected["decision"]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("up to 30"));
    let founder_timeline = harness
        .get_ok(&format!("/v1/applications/{id}/timeline"), &founder.token)
        .await;
    let knocked_out = founder_timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["kind"] == "screening_knocked_out")
        .expect("the knock-out is on the founder's timeline");
    assert!(knocked_out["details"]["reason"]
        .as_str()
        .unwrap()
        .contains("up to 30"));
}

#[sqlx::test(migrations = false)]
async fn a_scorecard_knockout_sends_the_application_to_decision(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let mut answers = loan_answers();
    answers["collateral_coverage_percent"] = json!(100);
    let id = harness
        .draft(
            &founder,
            SMALL_BUSINESS_START_LOAN_ID,
            json!({ "requested_amount": "200000000.00", "term_months": 24, "answers": answers }),
        )
        .await;
    let submitted = harness.submit(&founder, id).await;
    assert_eq!(submitted["state"], "decision", "{submitted}");
    assert_eq!(submitted["score"]["recommendation"], "decline");
    assert_eq!(
        submitted["score"]["knockouts"][0]["reason_code"],
        "COLLATERAL_BELOW_BANK_FLOOR"
    );
}

#[sqlx::test(migrations = false)]
async fn screening_left_unfinished_by_an_outage_is_restarted_by_an_officer(pool: PgPool) {
    let harness =
        Harness::start_with(pool, std::sync::Arc::new(common::FlakyScorer::down_for(1))).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    let submitted = harness.submit(&founder, id).await;
    assert_eq!(submitted["state"], "screening");
    assert_eq!(
        submitted["screening_error"],
        Value::Null,
        "the founder is not shown internals"
    );
    let seen_by_officer = harness
        .get_ok(&format!("/v1/applications/{id}"), &harness.officer)
        .await;
    assert!(seen_by_officer["screening_error"]
        .as_str()
        .unwrap()
        .contains("unreachable"));

    let by_founder = harness
        .post(
            &format!("/v1/applications/{id}/screening"),
            &founder.token,
            &json!({}),
        )
        .await;
    imkon_platform::testing::assert_problem(by_founder, &[403], None).await;
    let screened = harness
        .post_ok(
            &format!("/v1/applications/{id}/screening"),
            &harness.officer,
            &json!({}),
        )
        .await;
    assert_eq!(screened["state"], "in_review");
    assert_eq!(screened["screening_error"], Value::Null);
    assert_eq!(screened["score"]["band"], "B");
    let again = harness
        .post(
            &format!("/v1/applications/{id}/screening"),
            &harness.officer,
            &json!({}),
        )
        .await;
    imkon_platform::testing::assert_problem(again, &[409], Some("transition_not_allowed")).await;
}

#[sqlx::test(migrations = false)]
async fn a_founder_with_an_overdue_loan_is_knocked_out_of_loans_until_it_is_repaid(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    harness.directory.set_overdue(founder.client_id, true);
    let loan =
        json!({ "requested_amount": "300000000.00", "term_months": 36, "answers": loan_answers() });

    let knocked_out_id = harness.draft(&founder, YOUTH_LOAN_ID, loan.clone()).await;
    let submitted = harness.submit(&founder, knocked_out_id).await;
    assert_eq!(submitted["state"], "decision", "{submitted}");
    assert_eq!(submitted["score"], Value::Null);
    let timeline = harness
        .get_ok(
            &format!("/v1/applications/{knocked_out_id}/timeline"),
            &founder.token,
        )
        .await;
    let knocked_out = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["kind"] == "screening_knocked_out")
        .expect("the knock-out is on the founder's timeline");
    assert_eq!(
        knocked_out["details"]["knockouts"],
        json!([{ "code": "overdue_loan" }]),
        "the code the founder's page words in their language"
    );

    // A grant programme has no such rule: the same founder is screened and scored.
    let grant_id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    assert_eq!(
        harness.submit(&founder, grant_id).await["state"],
        "in_review"
    );

    harness.directory.set_overdue(founder.client_id, false);
    let eligible_id = harness.draft(&founder, YOUTH_LOAN_ID, loan).await;
    let submitted = harness.submit(&founder, eligible_id).await;
    assert_eq!(submitted["state"], "in_review", "{submitted}");
}
