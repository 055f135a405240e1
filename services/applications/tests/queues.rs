//! Officers' queues, CSV exports and the demo seed.

mod common;

use common::{grant_answers, loan_answers, Harness};
use imkon_applications::seed::{INNOVATIVE_IDEA_GRANT_ID, SMALL_BUSINESS_START_LOAN_ID};
use imkon_auth::Role;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn officers_filter_sort_and_page_the_queue(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let founder = harness.founder().await;
    let draft = harness
        .draft(
            &founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "answers": grant_answers() }),
        )
        .await;
    let mut weaker_answers = grant_answers();
    weaker_answers["technical_founder"] = json!("no");
    let mut in_review = Vec::new();
    for answers in [grant_answers(), weaker_answers] {
        let id = harness
            .draft(
                &founder,
                INNOVATIVE_IDEA_GRANT_ID,
                json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": answers }),
            )
            .await;
        harness.submit(&founder, id).await;
        in_review.push(id.to_string());
    }
    let loan = harness
        .draft(
            &founder,
            SMALL_BUSINESS_START_LOAN_ID,
            json!({ "requested_amount": "200000000.00", "term_months": 24, "answers": loan_answers() }),
        )
        .await;
    harness.submit(&founder, loan).await;

    let by_state = harness
        .get_ok(
            &format!("/v1/applications?state=in_review&programme_id={INNOVATIVE_IDEA_GRANT_ID}&sort=-score"),
            &harness.officer,
        )
        .await;
    assert_eq!(ids(&by_state), in_review, "the stronger application first");
    let drafts = harness
        .get_ok("/v1/applications?state=draft", &harness.approver)
        .await;
    assert_eq!(ids(&drafts), [draft.to_string()]);
    let band_b = harness
        .get_ok("/v1/applications?band=B", &harness.officer)
        .await;
    assert!(ids(&band_b).contains(&in_review[0]));
    assert!(!ids(&band_b).contains(&in_review[1]));

    let first_page = harness
        .get_ok("/v1/applications?limit=2", &harness.officer)
        .await;
    assert_eq!(ids(&first_page).len(), 2);
    assert_eq!(first_page["next_offset"], 2);
    let second_page = harness
        .get_ok("/v1/applications?limit=2&offset=2", &harness.officer)
        .await;
    assert_eq!(ids(&second_page).len(), 2);
    assert!(ids(&second_page)
        .iter()
        .all(|id| !ids(&first_page).contains(id)));

    let reviewer_id = Uuid::now_v7();
    harness
        .post_ok(
            &format!("/v1/applications/{}/reviewers", in_review[1]),
            &harness.officer,
            &json!({ "reviewer_id": reviewer_id }),
        )
        .await;
    let assigned = harness
        .get_ok(
            &format!("/v1/applications?assignee={reviewer_id}"),
            &harness.officer,
        )
        .await;
    assert_eq!(ids(&assigned), [in_review[1].clone()]);

    let other_founder = harness.founder().await;
    let others = harness
        .draft(
            &other_founder,
            INNOVATIVE_IDEA_GRANT_ID,
            json!({ "answers": grant_answers() }),
        )
        .await;
    let of_client = harness
        .get_ok(
            &format!("/v1/applications?client_id={}&limit=50", founder.client_id),
            &harness.officer,
        )
        .await;
    let mut expected = in_review.clone();
    expected.extend([draft.to_string(), loan.to_string()]);
    let mut found = ids(&of_client);
    found.sort();
    expected.sort();
    assert_eq!(
        found, expected,
        "the client's own applications, no one else's"
    );
    let of_other = harness
        .get_ok(
            &format!("/v1/applications?client_id={}", other_founder.client_id),
            &harness.approver,
        )
        .await;
    assert_eq!(ids(&of_other), [others.to_string()]);
    let own = harness
        .get_ok(
            &format!("/v1/applications?client_id={}", founder.client_id),
            &other_founder.token,
        )
        .await;
    assert_eq!(
        ids(&own),
        [others.to_string()],
        "a founder's list stays their own whatever client they name"
    );
    let bad_client = harness
        .get("/v1/applications?client_id=someone", &harness.officer)
        .await;
    assert_eq!(bad_client.status(), 400);

    let bad_sort = harness
        .get("/v1/applications?sort=colour", &harness.officer)
        .await;
    common::assert_problem_field(bad_sort, 422, "sort", "unknown_sort").await;
    let bad_state = harness
        .get("/v1/applications?state=pending", &harness.officer)
        .await;
    common::assert_problem_field(bad_state, 422, "state", "unknown_state").await;
}

#[sqlx::test(migrations = false)]
async fn officers_export_a_programmes_applications_and_reviews_as_csv(pool: PgPool) {
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
    harness
        .post_ok(
            &format!("/v1/review-assignments/{id}/review"),
            &reviewer,
            &json!({ "scores": { "innovation": 4, "team": 4, "market": 4, "impact": 4 },
                     "recommendation": "yes", "comment": "Solid, \"well\" argued." }),
        )
        .await;

    let response = harness
        .get(
            &format!("/v1/programmes/{INNOVATIVE_IDEA_GRANT_ID}/applications.csv"),
            &harness.officer,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "application_id");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], id.to_string());
    assert_eq!(&rows[0][1], "in_review");
    assert_eq!(&rows[0][8], "B");
    assert_eq!(&rows[0][10], "4.00");

    let reviews = harness
        .get(
            &format!("/v1/programmes/{INNOVATIVE_IDEA_GRANT_ID}/reviews.csv"),
            &harness.approver,
        )
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(reviews.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][1], reviewer_id.to_string());
    assert_eq!(&rows[0][5], "Solid, \"well\" argued.");

    let founder_export = harness
        .get(
            &format!("/v1/programmes/{INNOVATIVE_IDEA_GRANT_ID}/reviews.csv"),
            &founder.token,
        )
        .await;
    imkon_platform::testing::assert_problem(founder_export, &[403], None).await;
}

#[sqlx::test(migrations = false)]
async fn the_demo_programmes_are_seeded_once(pool: PgPool) {
    let harness = Harness::start(pool.clone()).await;
    imkon_applications::seed::seed_demo(&pool, &harness.calendar)
        .await
        .unwrap();
    let programmes = harness.get_ok("/v1/programmes", &harness.admin).await;
    let names: Vec<&str> = programmes
        .as_array()
        .unwrap()
        .iter()
        .map(|programme| programme["name"]["en"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 4);
    for name in [
        "National innovative-idea grant",
        "MVP co-funding grant",
        "Youth entrepreneurship loan",
        "Small-business start loan",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let loan = harness
        .get_ok(
            &format!("/v1/programmes/{SMALL_BUSINESS_START_LOAN_ID}"),
            &harness.admin,
        )
        .await;
    assert_eq!(loan["repayment_method"], "equal_principal");
    assert_eq!(loan["max_grace_months"], 6);
    assert_eq!(loan["name"]["uz-Cyrl"], "Кичик бизнесни бошлаш кредити");
}
