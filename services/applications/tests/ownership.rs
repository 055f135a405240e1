//! Who sees what: a founder only their own applications, a reviewer only those assigned to
//! them, and nobody reviews an application of their own people.

mod common;

use common::{grant_answers, Harness};
use imkon_applications::seed::INNOVATIVE_IDEA_GRANT_ID;
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

async fn submitted(harness: &Harness, founder: &common::Founder) -> Uuid {
    let id = harness
        .draft(
            founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    harness.submit(founder, id).await;
    id
}

#[sqlx::test(migrations = false)]
async fn a_founder_sees_only_their_own_applications(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let alice = harness.founder().await;
    let bob = harness.founder().await;
    let alices = submitted(&harness, &alice).await;
    let bobs = submitted(&harness, &bob).await;

    for path in [
        format!("/v1/applications/{alices}"),
        format!("/v1/applications/{alices}/timeline"),
    ] {
        assert_problem(harness.get(&path, &bob.token).await, &[404], None).await;
    }
    for action in ["withdraw", "submit"] {
        let response = harness
            .post(
                &format!("/v1/applications/{alices}/{action}"),
                &bob.token,
                &json!({}),
            )
            .await;
        assert_problem(response, &[404], None).await;
    }
    let patch = harness
        .patch(
            &format!("/v1/applications/{alices}"),
            &bob.token,
            &json!({ "term_months": 12 }),
        )
        .await;
    assert_problem(patch, &[404], None).await;

    let bobs_list = harness.get_ok("/v1/applications", &bob.token).await;
    let ids: Vec<&str> = bobs_list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [bobs.to_string()]);
    let bobs_notifications = harness.get_ok("/v1/notifications", &bob.token).await;
    assert!(bobs_notifications
        .as_array()
        .unwrap()
        .iter()
        .all(
            |notification| notification["application_id"] == bobs.to_string()
                || notification["application_id"].is_null()
        ));

    let someone_elses_company = harness
        .post(
            "/v1/applications",
            &bob.token,
            &json!({ "programme_id": INNOVATIVE_IDEA_GRANT_ID, "company_id": alice.company_id }),
        )
        .await;
    common::assert_problem_field(someone_elses_company, 422, "company_id", "not_your_company")
        .await;
}

#[sqlx::test(migrations = false)]
async fn a_reviewer_sees_only_the_applications_assigned_to_them(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let assigned = submitted(&harness, &founder).await;
    let other = submitted(&harness, &founder).await;
    let reviewer_id = Uuid::now_v7();
    let reviewer = harness.staff(reviewer_id, &[Role::Finance]);
    harness
        .post_ok(
            &format!("/v1/applications/{assigned}/reviewers"),
            &harness.officer,
            &json!({ "reviewer_id": reviewer_id }),
        )
        .await;
    harness
        .post_ok(
            &format!("/v1/review-assignments/{assigned}/declaration"),
            &reviewer,
            &json!({ "has_conflict": false }),
        )
        .await;

    let mine = harness.get_ok("/v1/review-assignments", &reviewer).await;
    let ids: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|assignment| assignment["application_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [assigned.to_string()]);
    harness
        .get_ok(&format!("/v1/review-assignments/{assigned}"), &reviewer)
        .await;
    assert_problem(
        harness
            .get(&format!("/v1/review-assignments/{other}"), &reviewer)
            .await,
        &[404],
        None,
    )
    .await;
    let reviewing_other = harness
        .post(
            &format!("/v1/review-assignments/{other}/review"),
            &reviewer,
            &json!({ "scores": {}, "recommendation": "yes", "comment": "Fine." }),
        )
        .await;
    assert_problem(reviewing_other, &[404], None).await;
    assert_problem(
        harness
            .get(&format!("/v1/applications/{other}"), &reviewer)
            .await,
        &[403],
        None,
    )
    .await;
    assert_problem(
        harness.get("/v1/applications", &reviewer).await,
        &[403],
        None,
    )
    .await;
}

#[sqlx::test(migrations = false)]
async fn a_reviewer_who_declares_a_conflict_is_recused(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = submitted(&harness, &founder).await;
    let reviewer_id = Uuid::now_v7();
    let reviewer = harness.staff(reviewer_id, &[Role::CreditOfficer]);
    harness
        .post_ok(
            &format!("/v1/applications/{id}/reviewers"),
            &harness.officer,
            &json!({ "reviewer_id": reviewer_id }),
        )
        .await;
    let twice = harness
        .post(
            &format!("/v1/applications/{id}/reviewers"),
            &harness.officer,
            &json!({ "reviewer_id": reviewer_id }),
        )
        .await;
    assert_problem(twice, &[409], Some("already_assigned")).await;
    harness
        .post_ok(
            &format!("/v1/review-assignments/{id}/declaration"),
            &reviewer,
            &json!({ "has_conflict": true }),
        )
        .await;
    assert_problem(
        harness
            .get(&format!("/v1/review-assignments/{id}"), &reviewer)
            .await,
        &[403],
        Some("reviewer_recused"),
    )
    .await;
    let changing_their_mind = harness
        .post(
            &format!("/v1/review-assignments/{id}/declaration"),
            &reviewer,
            &json!({ "has_conflict": false }),
        )
        .await;
    assert_problem(
        changing_their_mind,
        &[409],
        Some("conflict_already_declared"),
    )
    .await;
}

#[sqlx::test(migrations = false)]
async fn the_applicants_own_people_cannot_be_assigned_as_reviewers(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = submitted(&harness, &founder).await;
    let response = harness
        .post(
            &format!("/v1/applications/{id}/reviewers"),
            &harness.officer,
            &json!({ "reviewer_id": founder.client_id }),
        )
        .await;
    common::assert_problem_field(response, 422, "reviewer_id", "reviewer_linked_to_applicant")
        .await;
}

#[sqlx::test(migrations = false)]
async fn a_review_must_score_every_criterion_from_zero_to_five(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = submitted(&harness, &founder).await;
    let reviewer_id = Uuid::now_v7();
    let reviewer = harness.staff(reviewer_id, &[Role::CreditOfficer]);
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
    let response = harness
        .post(
            &format!("/v1/review-assignments/{id}/review"),
            &reviewer,
            &json!({ "scores": { "innovation": 6, "team": 4, "market": 3 }, "recommendation": "maybe", "comment": "Hm." }),
        )
        .await;
    let problem =
        common::assert_problem_field(response, 422, "scores.innovation", "score_out_of_range")
            .await;
    assert!(problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|error| error["field"] == "scores.impact" && error["code"] == "criterion_not_scored"));
}

#[sqlx::test(migrations = false)]
async fn kyc_events_come_only_from_services_and_are_applied_once(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let event = json!({
        "id": Uuid::now_v7(),
        "topic": "client.kyc_approved",
        "occurred_at": chrono::Utc::now(),
        "payload": { "client_id": founder.client_id, "approved_at": chrono::Utc::now() },
    });
    let first = harness
        .post_ok("/v1/events", &harness.service_token(), &event)
        .await;
    assert_eq!(first["outcome"], "applied");
    let again = harness
        .post_ok("/v1/events", &harness.service_token(), &event)
        .await;
    assert_eq!(again["outcome"], "duplicate");
    let from_a_person = harness.post("/v1/events", &founder.token, &event).await;
    assert_problem(from_a_person, &[401, 403], None).await;

    // The founder is told once, in an inbox row tied to no application, whose kind lets the
    // mailer write the email in their language.
    let told: Vec<(Option<Uuid>, String, Option<String>)> =
        sqlx::query_as("select application_id, body, kind from notification where id = $1")
            .bind(event["id"].as_str().unwrap().parse::<Uuid>().unwrap())
            .fetch_all(&harness.pool)
            .await
            .unwrap();
    assert_eq!(
        told,
        vec![(
            None,
            "Your identity check is approved: you can apply for financing.".to_owned(),
            Some("kyc:approved".to_owned())
        )]
    );
    let inbox = harness.get_ok("/v1/inbox", &founder.token).await;
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["application_id"].is_null()
                && item["subject"] == "Imkon: identity check passed"),
        "{inbox}"
    );
    let rejected = json!({
        "id": Uuid::now_v7(),
        "topic": "client.kyc_rejected",
        "occurred_at": chrono::Utc::now(),
        "payload": { "client_id": founder.client_id },
    });
    harness
        .post_ok("/v1/events", &harness.service_token(), &rejected)
        .await;
    let kind: String = sqlx::query_scalar("select kind from notification where id = $1")
        .bind(rejected["id"].as_str().unwrap().parse::<Uuid>().unwrap())
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(kind, "kyc:rejected");
}

#[sqlx::test(migrations = false)]
async fn an_overdue_loan_from_disbursement_tells_the_founder_once(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let application_id = submitted(&harness, &founder).await;
    let event = json!({
        "id": Uuid::now_v7(),
        "topic": "loan.overdue",
        "occurred_at": chrono::Utc::now(),
        "payload": {
            "contract_id": Uuid::now_v7(), "application_id": application_id,
            "client_id": founder.client_id, "days_past_due": 1, "bucket": "1-30",
        },
    });
    let not_disbursement = harness
        .post("/v1/events", &harness.service_token(), &event)
        .await;
    assert_problem(not_disbursement, &[403], None).await;
    let disbursement = imkon_platform::testing::token(
        &harness.issuer,
        &imkon_platform::testing::service_principal("disbursement"),
        imkon_auth::Audience::Applications,
    );
    for outcome in ["applied", "duplicate"] {
        let receipt = harness.post_ok("/v1/events", &disbursement, &event).await;
        assert_eq!(receipt["outcome"], outcome);
    }
    let told: Vec<(Option<Uuid>, String, Option<String>)> = sqlx::query_as(
        "select application_id, subject, kind from notification where client_id = $1
         and kind = 'loan:overdue'",
    )
    .bind(founder.client_id)
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(
        told,
        vec![(
            Some(application_id),
            "Imkon: instalment overdue".to_owned(),
            Some("loan:overdue".to_owned())
        )]
    );
}

#[sqlx::test(migrations = false)]
async fn staff_who_are_the_applicant_act_on_nothing_of_their_own(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let id = submitted(&harness, &founder).await;
    let own_officer = harness.staff_who_is_client(&[Role::CreditOfficer], founder.client_id);
    let own_approver = harness.staff_who_is_client(&[Role::Approver], founder.client_id);

    let proposal = json!({ "outcome": "reject", "reasons": ["weak team"] });
    let message = json!({ "message": "Please send the budget." });
    for (path, token, body) in [
        (
            format!("/v1/applications/{id}/decision/proposal"),
            &own_officer,
            &proposal,
        ),
        (
            format!("/v1/applications/{id}/info-requests"),
            &own_officer,
            &message,
        ),
        (
            format!("/v1/applications/{id}/notes"),
            &own_officer,
            &message,
        ),
        (
            format!("/v1/applications/{id}/screening"),
            &own_officer,
            &json!({}),
        ),
    ] {
        assert_problem(
            harness.post(&path, token, body).await,
            &[403],
            Some("own_application"),
        )
        .await;
    }

    harness
        .post_ok(
            &format!("/v1/applications/{id}/decision/proposal"),
            &harness.officer,
            &proposal,
        )
        .await;
    assert_problem(
        harness.confirm(id, &own_approver).await,
        &[403],
        Some("own_application"),
    )
    .await;
    let confirmed = harness.confirm(id, &harness.approver).await;
    assert_eq!(confirmed.status(), 200, "another approver still decides");
}

#[sqlx::test(migrations = false)]
async fn a_founder_opens_only_their_own_notifications_and_opening_marks_one_read(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let alice = harness.founder().await;
    let bob = harness.founder().await;
    submitted(&harness, &alice).await;
    submitted(&harness, &alice).await;
    submitted(&harness, &bob).await;

    let inbox = harness.get_ok("/v1/inbox", &alice.token).await;
    let items = inbox["items"].as_array().unwrap();
    let total = items.len();
    assert!(total >= 2, "each submission notifies the founder: {inbox}");
    assert_eq!(inbox["unread"], json!(total));
    assert!(items.iter().all(|item| item["read_at"].is_null()));
    let times: Vec<&str> = items
        .iter()
        .map(|item| item["created_at"].as_str().unwrap())
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);

    let first_page = harness.get_ok("/v1/inbox?limit=1", &alice.token).await;
    assert_eq!(first_page["items"].as_array().unwrap().len(), 1);
    assert_eq!(first_page["next_offset"], json!(1));
    let last_page = harness
        .get_ok(
            &format!("/v1/inbox?limit=1&offset={}", total - 1),
            &alice.token,
        )
        .await;
    assert!(last_page["next_offset"].is_null());

    let alices = items[0]["id"].as_str().unwrap().to_owned();
    let open = format!("/v1/inbox/{alices}/open");
    assert_problem(
        harness.post(&open, &bob.token, &json!({})).await,
        &[404],
        None,
    )
    .await;
    let officer = harness.staff(Uuid::now_v7(), &[Role::CreditOfficer]);
    for path in ["/v1/inbox", "/v1/inbox/unread"] {
        assert_problem(harness.get(path, &officer).await, &[403], None).await;
    }
    assert_problem(
        harness.post(&open, &officer, &json!({})).await,
        &[403],
        None,
    )
    .await;
    let still_unread = harness.get_ok("/v1/inbox/unread", &alice.token).await;
    assert_eq!(still_unread["unread"], json!(total));

    let opened = harness.post_ok(&open, &alice.token, &json!({})).await;
    assert_eq!(opened["id"], json!(alices));
    let read_at = opened["read_at"].as_str().unwrap().to_owned();
    let again = harness.post_ok(&open, &alice.token, &json!({})).await;
    assert_eq!(again["read_at"], json!(read_at));
    let unread = harness.get_ok("/v1/inbox/unread", &alice.token).await;
    assert_eq!(unread["unread"], json!(total - 1));
    let bobs_unread = harness.get_ok("/v1/inbox/unread", &bob.token).await;
    assert!(bobs_unread["unread"].as_i64().unwrap() >= 1);
}
