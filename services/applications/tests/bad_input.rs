//! Bad input is a 422 naming the field.

mod common;

use common::{assert_problem_field, grant_answers, programme_like, Harness};
use imkon_applications::seed::{INNOVATIVE_IDEA_GRANT_ID, MVP_CO_FUNDING_GRANT_ID};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn an_amount_outside_the_limits_negative_or_with_three_decimals_is_refused(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    for (amount, code) in [
        ("100000000.01", "amount_out_of_range"),
        ("-100000000.00", "amount_not_positive"),
        ("100000000.005", "amount_too_many_decimals"),
        ("1e8", "invalid_amount"),
    ] {
        let response = harness
            .post(
                "/v1/applications",
                &founder.token,
                &json!({ "programme_id": INNOVATIVE_IDEA_GRANT_ID, "company_id": founder.company_id,
                         "requested_amount": amount }),
            )
            .await;
        assert_problem_field(response, 422, "requested_amount", code).await;
    }
}

#[sqlx::test(migrations = false)]
async fn an_answer_of_the_wrong_type_is_refused_naming_the_question(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(&founder, INNOVATIVE_IDEA_GRANT_ID, json!({ "answers": {} }))
        .await;
    for (answers, field, code) in [
        (
            json!({ "team_experience_years": "many" }),
            "answers.team_experience_years",
            "wrong_answer_type",
        ),
        (
            json!({ "team_experience_years": true }),
            "answers.team_experience_years",
            "wrong_answer_type",
        ),
        (
            json!({ "team_experience_years": 61 }),
            "answers.team_experience_years",
            "answer_out_of_range",
        ),
        (
            json!({ "product_stage": "unicorn" }),
            "answers.product_stage",
            "invalid_choice",
        ),
        (
            json!({ "monthly_revenue_uzs": 1000 }),
            "answers.monthly_revenue_uzs",
            "wrong_answer_type",
        ),
        (
            json!({ "monthly_revenue_uzs": "-5.00" }),
            "answers.monthly_revenue_uzs",
            "amount_negative",
        ),
        (
            json!({ "pitch_deck": "not-a-document" }),
            "answers.pitch_deck",
            "invalid_document_id",
        ),
        (
            json!({ "favourite_colour": "green" }),
            "answers.favourite_colour",
            "unknown_question",
        ),
    ] {
        let response = harness
            .patch(
                &format!("/v1/applications/{id}"),
                &founder.token,
                &json!({ "answers": answers }),
            )
            .await;
        assert_problem_field(response, 422, field, code).await;
    }
}

#[sqlx::test(migrations = false)]
async fn a_submission_after_the_close_date_is_refused(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let definition = programme_like(
        &harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "opens_on": "2024-01-01", "closes_on": "2024-12-31" }),
    )
    .await;
    let closed = harness.create_programme(&definition).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            closed,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    let response = harness
        .post(
            &format!("/v1/applications/{id}/submit"),
            &founder.token,
            &json!({}),
        )
        .await;
    let problem =
        assert_problem_field(response, 422, "programme.closes_on", "programme_closed").await;
    assert_eq!(problem["code"], "submission_refused");
}

/// A founder whose own KYC is approved but whose company's is not cannot submit: the company's
/// registration date and IT Park residency are not yet checked against its documents. Once
/// a KYC officer approves the company, the same application goes through.
#[sqlx::test(migrations = false)]
async fn a_submission_for_a_company_without_approved_kyc_is_refused(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    harness.set_company_kyc_approved(&founder, false);
    let id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    let path = format!("/v1/applications/{id}/submit");
    let problem = assert_problem_field(
        harness.post(&path, &founder.token, &json!({})).await,
        422,
        "company.kyc_status",
        "company_kyc_not_approved",
    )
    .await;
    assert_eq!(problem["code"], "submission_refused");
    assert_eq!(problem["errors"].as_array().unwrap().len(), 1, "{problem}");

    harness.set_company_kyc_approved(&founder, true);
    let submitted = harness.post(&path, &founder.token, &json!({})).await;
    assert_eq!(
        submitted.status(),
        200,
        "{}",
        submitted.text().await.unwrap()
    );
}

#[sqlx::test(migrations = false)]
async fn a_submission_without_approved_kyc_or_a_required_answer_is_refused_with_every_reason(
    pool: PgPool,
) {
    let harness = Harness::start(pool).await;
    let founder = harness
        .founder_with(
            12,
            chrono::NaiveDate::from_ymd_opt(1995, 1, 1).unwrap(),
            false,
        )
        .await;
    let mut answers = grant_answers();
    answers.as_object_mut().unwrap().remove("technical_founder");
    let id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": answers }),
        )
        .await;
    let path = format!("/v1/applications/{id}/submit");
    let problem = assert_problem_field(
        harness.post(&path, &founder.token, &json!({})).await,
        422,
        "kyc_status",
        "kyc_not_approved",
    )
    .await;
    let errors = problem["errors"].as_array().unwrap();
    assert!(errors
        .iter()
        .any(|error| error["field"] == "answers.technical_founder"
            && error["code"] == "answer_required"));

    harness.approve_kyc(founder.client_id).await;
    let problem = assert_problem_field(
        harness.post(&path, &founder.token, &json!({})).await,
        422,
        "answers.technical_founder",
        "answer_required",
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 1);

    let without_amount = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    let response = harness
        .post(
            &format!("/v1/applications/{without_amount}/submit"),
            &founder.token,
            &json!({}),
        )
        .await;
    assert_problem_field(response, 422, "requested_amount", "required").await;
}

#[sqlx::test(migrations = false)]
async fn a_co_funded_grant_above_its_share_of_the_project_cost_is_refused(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            MVP_CO_FUNDING_GRANT_ID,
            json!({ "requested_amount": "60000000.00", "project_cost": "100000000.00", "term_months": 12,
                    "answers": grant_answers() }),
        )
        .await;
    let response = harness
        .post(
            &format!("/v1/applications/{id}/submit"),
            &founder.token,
            &json!({}),
        )
        .await;
    assert_problem_field(response, 422, "requested_amount", "co_funding_cap_exceeded").await;
}

#[sqlx::test(migrations = false)]
async fn an_approval_outside_the_programmes_limits_is_refused(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    harness.submit(&founder, id).await;
    for (body, field, code) in [
        (
            json!({ "outcome": "approve", "amount": "200000000.00", "term_months": 12 }),
            "amount",
            "amount_out_of_range",
        ),
        (
            json!({ "outcome": "approve", "amount": "100000000.00", "term_months": 48 }),
            "term_months",
            "term_out_of_range",
        ),
        (
            json!({ "outcome": "approve", "amount": "100000000.00", "term_months": 12, "annual_rate_percent": "20" }),
            "annual_rate_percent",
            "rate_not_applicable",
        ),
        (
            json!({ "outcome": "reject", "reasons": [] }),
            "reasons",
            "reasons_missing",
        ),
        (
            json!({ "outcome": "reject", "reasons": vec!["Too weak."; 21] }),
            "reasons",
            "reasons_missing",
        ),
        (json!({ "outcome": "maybe" }), "outcome", "invalid_outcome"),
    ] {
        let response = harness
            .post(
                &format!("/v1/applications/{id}/decision/proposal"),
                &harness.officer,
                &body,
            )
            .await;
        assert_problem_field(response, 422, field, code).await;
    }
}

#[sqlx::test(migrations = false)]
async fn a_programme_with_a_missing_translation_or_inverted_limits_is_refused(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let mut definition = programme_like(&harness, INNOVATIVE_IDEA_GRANT_ID, json!({})).await;
    definition["name"]["ru"] = json!(" ");
    let response = harness
        .post("/v1/programmes", &harness.admin, &definition)
        .await;
    assert_problem_field(response, 422, "name.ru", "translation_missing").await;

    let inverted = programme_like(
        &harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "min_amount": "200000000.00", "max_amount": "100000000.00" }),
    )
    .await;
    let response = harness
        .post("/v1/programmes", &harness.admin, &inverted)
        .await;
    assert_problem_field(response, 422, "max_amount", "min_greater_than_max").await;

    let loan_terms_on_a_grant = programme_like(
        &harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "annual_rate_min_percent": "10" }),
    )
    .await;
    let response = harness
        .post("/v1/programmes", &harness.admin, &loan_terms_on_a_grant)
        .await;
    assert_problem_field(response, 422, "annual_rate_min_percent", "not_applicable").await;

    let unknown_scoring_input = programme_like(
        &harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "scoring_inputs": ["pitch_deck"] }),
    )
    .await;
    let response = harness
        .post("/v1/programmes", &harness.admin, &unknown_scoring_input)
        .await;
    assert_problem_field(
        response,
        422,
        "scoring_inputs[0]",
        "not_a_scorable_question",
    )
    .await;
}

#[sqlx::test(migrations = false)]
async fn a_message_over_its_declared_length_is_refused_and_the_limit_is_in_the_openapi_schema(
    pool: PgPool,
) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    let note = format!("/v1/applications/{id}/notes");
    for message in ["x".repeat(5_001), String::new(), "   ".to_owned()] {
        let response = harness
            .post(&note, &harness.officer, &json!({ "message": message }))
            .await;
        assert_problem_field(response, 422, "message", "message_length_out_of_range").await;
    }
    // Five thousand characters, each two bytes in UTF-8, are within the limit.
    let response = harness
        .post(
            &note,
            &harness.officer,
            &json!({ "message": "ж".repeat(5_000) }),
        )
        .await;
    assert_eq!(response.status(), 204);

    let document = harness.get_ok("/openapi.json", &harness.officer).await;
    let message = &document["components"]["schemas"]["MessageInput"]["properties"]["message"];
    assert_eq!(message["maxLength"], 5_000, "{message}");
    assert_eq!(message["minLength"], 1, "{message}");
    let reason = &document["components"]["schemas"]["SendBackInput"]["properties"]["reason"];
    assert_eq!(reason["maxLength"], 2_000, "{reason}");
    assert_eq!(reason["minLength"], 1, "{reason}");
    let reasons = &document["components"]["schemas"]["ProposalInput"]["properties"]["reasons"];
    assert_eq!(reasons["maxItems"], 20, "{reasons}");
}

#[sqlx::test(migrations = false)]
async fn a_draft_over_its_declared_limits_is_refused_and_the_limits_are_in_the_openapi_schema(
    pool: PgPool,
) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let too_many_answers: serde_json::Map<String, serde_json::Value> = (0..201)
        .map(|index| (format!("question_{index}"), json!("an answer")))
        .collect();
    for (changes, field, code) in [
        (
            json!({ "term_months": 361 }),
            "term_months",
            "term_out_of_range",
        ),
        (
            json!({ "term_months": 0 }),
            "term_months",
            "term_out_of_range",
        ),
        (
            json!({ "answers": too_many_answers }),
            "answers",
            "unknown_question",
        ),
    ] {
        let mut body = json!({ "programme_id": INNOVATIVE_IDEA_GRANT_ID,
                               "company_id": founder.company_id });
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        let response = harness
            .post("/v1/applications", &founder.token, &body)
            .await;
        let problem = assert_problem_field(response, 422, field, code).await;
        assert_eq!(problem["code"], "validation_failed", "{problem}");
    }

    let id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    let draft = format!("/v1/applications/{id}");
    let response = harness
        .patch(&draft, &founder.token, &json!({ "term_months": 361 }))
        .await;
    assert_problem_field(response, 422, "term_months", "term_out_of_range").await;
    let response = harness
        .patch(
            &draft,
            &founder.token,
            &json!({ "answers": too_many_answers }),
        )
        .await;
    assert_problem_field(response, 422, "answers", "unknown_question").await;
    // An officer is refused before the body is read: the limits are no way round the roles.
    let response = harness
        .patch(&draft, &harness.officer, &json!({ "term_months": 361 }))
        .await;
    assert_eq!(response.status(), 403);

    let document = harness.get_ok("/openapi.json", &harness.officer).await;
    for schema in ["CreateDraft", "UpdateDraft"] {
        let properties = &document["components"]["schemas"][schema]["properties"];
        assert_eq!(
            properties["term_months"]["minimum"], 1,
            "{schema}: {properties}"
        );
        assert_eq!(
            properties["term_months"]["maximum"], 360,
            "{schema}: {properties}"
        );
        assert_eq!(
            properties["answers"]["maxProperties"], 200,
            "{schema}: {properties}"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn a_programme_over_its_declared_limits_is_refused_and_the_limits_are_in_the_openapi_schema(
    pool: PgPool,
) {
    let harness = Harness::start(pool).await;
    let definition = programme_like(&harness, INNOVATIVE_IDEA_GRANT_ID, json!({})).await;
    let question = definition["questions"][0].clone();
    let too_many_questions: Vec<serde_json::Value> = (0..201)
        .map(|index| {
            let mut question = question.clone();
            question["key"] = json!(format!("question_{index}"));
            question
        })
        .collect();
    for (changes, field, code) in [
        (
            json!({ "questions": too_many_questions }),
            "questions",
            "too_many_questions",
        ),
        (
            json!({ "rubric": [] }),
            "rubric",
            "criteria_count_out_of_range",
        ),
        (
            json!({ "min_term_months": 0 }),
            "min_term_months",
            "not_positive",
        ),
        (
            json!({ "max_term_months": 361 }),
            "max_term_months",
            "term_too_long",
        ),
    ] {
        let body = programme_like(&harness, INNOVATIVE_IDEA_GRANT_ID, changes).await;
        let response = harness.post("/v1/programmes", &harness.admin, &body).await;
        assert_problem_field(response, 422, field, code).await;
        let response = harness
            .put(
                &format!("/v1/programmes/{INNOVATIVE_IDEA_GRANT_ID}"),
                &harness.admin,
                &body,
            )
            .await;
        assert_problem_field(response, 422, field, code).await;
    }
    // Someone who is not an administrator is refused before the body is read.
    let over = programme_like(&harness, INNOVATIVE_IDEA_GRANT_ID, json!({ "rubric": [] })).await;
    let response = harness
        .post("/v1/programmes", &harness.officer, &over)
        .await;
    assert_eq!(response.status(), 403);

    let document = harness.get_ok("/openapi.json", &harness.admin).await;
    let properties = &document["components"]["schemas"]["ProgrammeInput"]["properties"];
    assert_eq!(properties["questions"]["maxItems"], 200, "{properties}");
    assert_eq!(properties["rubric"]["minItems"], 1, "{properties}");
    assert_eq!(properties["rubric"]["maxItems"], 50, "{properties}");
    assert_eq!(properties["min_term_months"]["minimum"], 1, "{properties}");
    assert_eq!(
        properties["max_term_months"]["maximum"], 360,
        "{properties}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_review_over_its_declared_limits_is_refused_and_the_limits_are_in_the_openapi_schema(
    pool: PgPool,
) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    harness.submit(&founder, id).await;
    let reviewer_id = uuid::Uuid::now_v7();
    let reviewer = harness.staff(reviewer_id, &[imkon_auth::Role::KycOfficer]);
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
    let scores = json!({ "innovation": 5, "team": 4, "market": 3, "impact": 4 });
    let too_many_scores: serde_json::Map<String, serde_json::Value> = (0..51)
        .map(|index| (format!("criterion_{index}"), json!(3)))
        .collect();
    let review = format!("/v1/review-assignments/{id}/review");
    for (body, field, code) in [
        (
            json!({ "scores": scores, "recommendation": "yes", "comment": "x".repeat(10_001) }),
            "comment",
            "comment_too_long",
        ),
        (
            json!({ "scores": too_many_scores, "recommendation": "yes", "comment": "Fine." }),
            "scores",
            "unknown_criterion",
        ),
    ] {
        let response = harness.post(&review, &reviewer, &body).await;
        assert_problem_field(response, 422, field, code).await;
    }
    // Ten thousand characters, each two bytes in UTF-8, are within the limit.
    let response = harness
        .post(
            &review,
            &reviewer,
            &json!({ "scores": scores, "recommendation": "yes", "comment": "ж".repeat(10_000) }),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let document = harness.get_ok("/openapi.json", &harness.officer).await;
    let properties = &document["components"]["schemas"]["ReviewInput"]["properties"];
    assert_eq!(properties["comment"]["maxLength"], 10_000, "{properties}");
    assert_eq!(properties["scores"]["maxProperties"], 50, "{properties}");
}
