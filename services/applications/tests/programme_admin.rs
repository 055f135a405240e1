//! Administering programmes: editing while nothing is submitted, closing and opening, raising
//! and lowering the budget never below what is committed, each change audited before and
//! after and readable through the audit trail by administrators only.

mod common;

use common::{grant_answers, programme_like, Harness};
use imkon_applications::seed::{INNOVATIVE_IDEA_GRANT_ID, SMALL_BUSINESS_START_LOAN_ID};
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

/// A grant programme of `total` in UZS whose applications ask for exactly 100 million.
async fn programme_of(harness: &Harness, total: &str) -> Uuid {
    let definition = programme_like(
        harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "total_budget": total, "min_amount": "100000000.00", "max_amount": "100000000.00" }),
    )
    .await;
    harness.create_programme(&definition).await
}

/// A submitted application to the programme, proposed for approval of 100 million.
async fn proposed_approval(harness: &Harness, programme_id: Uuid) -> Uuid {
    let founder = harness.founder().await;
    let id = harness
        .draft(
            &founder,
            programme_id,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    harness.submit(&founder, id).await;
    harness
        .propose_approval(id, json!({ "amount": "100000000.00", "term_months": 12 }))
        .await;
    id
}

async fn budget(harness: &Harness, programme_id: Uuid) -> (Decimal, Decimal) {
    sqlx::query_as("select total_budget, committed_amount from programme where id = $1")
        .bind(programme_id)
        .fetch_one(&harness.pool)
        .await
        .unwrap()
}

async fn set_budget(harness: &Harness, programme_id: Uuid, total: &str) -> reqwest::Response {
    harness
        .put(
            &format!("/v1/programmes/{programme_id}/budget"),
            &harness.admin,
            &json!({ "total_budget": total }),
        )
        .await
}

#[sqlx::test(migrations = false)]
async fn the_budget_moves_but_never_below_what_is_committed(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let programme_id = programme_of(&harness, "500000000.00").await;
    for _ in 0..3 {
        let id = proposed_approval(&harness, programme_id).await;
        assert_eq!(harness.confirm(id, &harness.approver).await.status(), 200);
    }
    assert_eq!(
        budget(&harness, programme_id).await.1,
        Decimal::new(30_000_000_000, 2)
    );

    let below = set_budget(&harness, programme_id, "299999999.99").await;
    assert_problem(below, &[409], Some("budget_below_committed")).await;
    assert_eq!(
        budget(&harness, programme_id).await.0,
        Decimal::new(50_000_000_000, 2),
        "a refused change leaves the budget as it was"
    );

    let lowered = harness
        .ok(set_budget(&harness, programme_id, "300000000.00").await)
        .await;
    assert_eq!(lowered["total_budget"], "300000000.00");
    assert_eq!(lowered["available_amount"], "0.00");
    let raised = harness
        .ok(set_budget(&harness, programme_id, "800000000.00").await)
        .await;
    assert_eq!(raised["total_budget"], "800000000.00");
    assert_eq!(raised["committed_amount"], "300000000.00");
    assert_eq!(raised["has_submitted_applications"], true);

    let below_one_application = set_budget(&harness, programme_id, "300000000").await;
    assert_eq!(below_one_application.status(), 200);
    for refused in ["lots", "1000000000000000000.00", "100000000.001"] {
        let response = set_budget(&harness, programme_id, refused).await;
        assert_problem(response, &[422], Some("validation_failed")).await;
    }
    let by_officer = harness
        .put(
            &format!("/v1/programmes/{programme_id}/budget"),
            &harness.officer,
            &json!({ "total_budget": "900000000.00" }),
        )
        .await;
    assert_problem(by_officer, &[403], Some("forbidden")).await;

    let changes: Vec<(Value, Value)> = sqlx::query_as(
        "select before, after from audit_record
         where action = 'programme.budget_changed' and subject_id = $1 order by occurred_at, id",
    )
    .bind(programme_id.to_string())
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(changes.len(), 3, "one record per accepted change");
    assert_eq!(changes[0].0["total_budget"], "500000000.00");
    assert_eq!(changes[0].1["total_budget"], "300000000.00");
    assert_eq!(changes[0].1["committed_amount"], "300000000.00");
}

#[sqlx::test(migrations = false)]
async fn lowering_the_budget_while_approvals_commit_it_never_leaves_less_than_committed(
    pool: PgPool,
) {
    let harness = Harness::start(pool).await;
    let programme_id = programme_of(&harness, "1000000000.00").await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(proposed_approval(&harness, programme_id).await);
    }

    let mut requests = JoinSet::new();
    for (index, id) in ids.iter().enumerate() {
        let client = harness.server.client.clone();
        let confirmation = harness
            .server
            .url(&format!("/v1/applications/{id}/decision/confirmation"));
        let approver = harness.approver.clone();
        let budget_url = harness
            .server
            .url(&format!("/v1/programmes/{programme_id}/budget"));
        let admin = harness.admin.clone();
        requests.spawn(async move {
            // Halfway through the approvals, the administrator lowers the budget to 400 million.
            let response = if index == 4 {
                client
                    .put(budget_url)
                    .bearer_auth(admin)
                    .json(&json!({ "total_budget": "400000000.00" }))
                    .send()
                    .await
                    .unwrap()
            } else {
                client
                    .post(confirmation)
                    .bearer_auth(approver)
                    .header("idempotency-key", Uuid::now_v7().to_string())
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap()
            };
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (index == 4, status, body)
        });
    }
    let mut budget_lowered = None;
    let mut approved = 0_i64;
    while let Some(result) = requests.join_next().await {
        let (is_budget, status, body) = result.unwrap();
        match (is_budget, status) {
            (true, 200) => budget_lowered = Some(true),
            (true, 409) => {
                assert_eq!(body["code"], "budget_below_committed", "{body}");
                budget_lowered = Some(false);
            }
            (false, 200) => approved += 1,
            (false, 409) => assert_eq!(body["code"], "budget_exceeded", "{body}"),
            other => panic!("unexpected {other:?}: {body}"),
        }
    }

    let (total, committed) = budget(&harness, programme_id).await;
    assert_eq!(
        committed,
        Decimal::new(10_000_000_000, 2) * Decimal::from(approved)
    );
    assert!(committed <= total, "{committed} committed of {total}");
    match budget_lowered {
        Some(true) => assert_eq!(total, Decimal::new(40_000_000_000, 2)),
        Some(false) => {
            assert_eq!(total, Decimal::new(100_000_000_000, 2));
            assert!(committed > Decimal::new(40_000_000_000, 2));
        }
        None => panic!("the budget change did not answer"),
    }
}

#[sqlx::test(migrations = false)]
async fn a_programme_is_edited_only_until_an_application_is_submitted(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let programme_id = programme_of(&harness, "500000000.00").await;
    let founder = harness.founder().await;
    let draft = harness
        .draft(
            &founder,
            programme_id,
            json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() }),
        )
        .await;
    let mut definition = programme_like(&harness, programme_id, json!({})).await;
    definition["name"]["en"] = json!("Innovative idea, second round");
    definition["eligibility"]["min_company_age_months"] = json!(3);

    let edited = harness
        .put(
            &format!("/v1/programmes/{programme_id}"),
            &harness.admin,
            &definition,
        )
        .await;
    let edited = harness.ok(edited).await;
    assert_eq!(edited["name"]["en"], "Innovative idea, second round");
    assert_eq!(edited["eligibility"]["min_company_age_months"], 3);
    assert_eq!(edited["has_submitted_applications"], false);
    let (before, after): (Value, Value) = sqlx::query_as(
        "select before, after from audit_record where action = 'programme.edited' and subject_id = $1",
    )
    .bind(programme_id.to_string())
    .fetch_one(&harness.pool)
    .await
    .unwrap();
    assert_ne!(before["name"]["en"], "Innovative idea, second round");
    assert_eq!(after["name"]["en"], "Innovative idea, second round");

    harness.submit(&founder, draft).await;
    definition["name"]["en"] = json!("Innovative idea, third round");
    let refused = harness
        .put(
            &format!("/v1/programmes/{programme_id}"),
            &harness.admin,
            &definition,
        )
        .await;
    assert_problem(refused, &[409], Some("programme_has_submissions")).await;
    let unchanged = harness
        .get_ok(&format!("/v1/programmes/{programme_id}"), &harness.admin)
        .await;
    assert_eq!(unchanged["name"]["en"], "Innovative idea, second round");
    assert_eq!(unchanged["has_submitted_applications"], true);
    let by_officer = harness
        .put(
            &format!("/v1/programmes/{programme_id}"),
            &harness.officer,
            &definition,
        )
        .await;
    assert_problem(by_officer, &[403], Some("forbidden")).await;
}

#[sqlx::test(migrations = false)]
async fn a_closed_programme_takes_no_new_applications_but_continues_the_submitted(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let programme_id = programme_of(&harness, "500000000.00").await;
    let founder = harness.founder().await;
    let fields = json!({ "requested_amount": "100000000.00", "term_months": 12, "answers": grant_answers() });
    let submitted = harness.draft(&founder, programme_id, fields.clone()).await;
    harness.submit(&founder, submitted).await;
    let unsubmitted = harness.draft(&founder, programme_id, fields.clone()).await;

    let closed = harness
        .post_ok(
            &format!("/v1/programmes/{programme_id}/close"),
            &harness.admin,
            &json!({}),
        )
        .await;
    assert!(closed["closed_at"].is_string(), "{closed}");

    let new_draft = harness
        .post(
            "/v1/applications",
            &founder.token,
            &json!({ "programme_id": programme_id, "company_id": founder.company_id, "requested_amount": "100000000.00" }),
        )
        .await;
    assert_problem(new_draft, &[409], Some("programme_closed")).await;
    let late_submission = harness
        .post(
            &format!("/v1/applications/{unsubmitted}/submit"),
            &founder.token,
            &json!({}),
        )
        .await;
    assert_problem(late_submission, &[409], Some("programme_closed")).await;
    harness
        .propose_approval(
            submitted,
            json!({ "amount": "100000000.00", "term_months": 12 }),
        )
        .await;
    assert_eq!(
        harness.confirm(submitted, &harness.approver).await.status(),
        200,
        "the application submitted before the closing is decided"
    );

    let opened = harness
        .post_ok(
            &format!("/v1/programmes/{programme_id}/open"),
            &harness.admin,
            &json!({}),
        )
        .await;
    assert!(opened["closed_at"].is_null(), "{opened}");
    harness.submit(&founder, unsubmitted).await;
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_record where subject_type = 'programme' and subject_id = $1
         order by occurred_at, id",
    )
    .bind(programme_id.to_string())
    .fetch_all(&harness.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["programme.create", "programme.closed", "programme.opened"]
    );
}

#[sqlx::test(migrations = false)]
async fn only_administrators_read_the_audit_trail(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let programme_id = programme_of(&harness, "500000000.00").await;
    assert_eq!(
        set_budget(&harness, programme_id, "600000000.00")
            .await
            .status(),
        200
    );
    for role in [
        Role::CreditOfficer,
        Role::Approver,
        Role::KycOfficer,
        Role::Finance,
    ] {
        let token = harness.staff(Uuid::now_v7(), &[role]);
        for path in ["/v1/audit", "/v1/audit.csv"] {
            let refused = harness.get(path, &token).await;
            assert_problem(refused, &[403], Some("forbidden")).await;
        }
    }
    let anonymous = harness
        .server
        .client
        .get(harness.server.url("/v1/audit"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, &[401], Some("unauthenticated")).await;

    let page = harness
        .get_ok(
            &format!("/v1/audit?subject_type=programme&subject_id={programme_id}"),
            &harness.admin,
        )
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    assert_eq!(items[0]["action"], "programme.budget_changed");
    assert_eq!(items[0]["before"]["total_budget"], "500000000.00");
    assert_eq!(items[0]["after"]["total_budget"], "600000000.00");
    assert_eq!(items[0]["actor_roles"], json!(["admin"]));
    assert_eq!(items[1]["action"], "programme.create");
    assert!(page["next_cursor"].is_null());
}

#[sqlx::test(migrations = false)]
async fn the_audit_trail_pages_newest_first_and_exports_csv(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let programme_id = programme_of(&harness, "500000000.00").await;
    for total in [
        "510000000.00",
        "520000000.00",
        "530000000.00",
        "540000000.00",
    ] {
        assert_eq!(
            set_budget(&harness, programme_id, total).await.status(),
            200
        );
    }
    let filter = format!("subject_type=programme&subject_id={programme_id}");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor
            .as_ref()
            .map(|cursor| format!("&cursor={cursor}"))
            .unwrap_or_default();
        let page = harness
            .get_ok(
                &format!("/v1/audit?{filter}&limit=2{after}"),
                &harness.admin,
            )
            .await;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["after"]["total_budget"].as_str().map(str::to_owned));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let expected: Vec<Option<String>> = [
        "540000000.00",
        "530000000.00",
        "520000000.00",
        "510000000.00",
    ]
    .into_iter()
    .map(|total| Some(total.to_owned()))
    .chain([Some("500000000.00".to_owned())])
    .collect();
    assert_eq!(seen, expected, "every record once, newest first");

    for bad in ["limit=0", "limit=201", "cursor=nonsense"] {
        let refused = harness
            .get(&format!("/v1/audit?{bad}"), &harness.admin)
            .await;
        assert_problem(refused, &[422], Some("validation_failed")).await;
    }

    let export = harness
        .get(&format!("/v1/audit.csv?{filter}&limit=3"), &harness.admin)
        .await;
    assert_eq!(export.status(), 200);
    assert!(export.headers().contains_key("imkon-next-cursor"));
    let csv = export.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three records: {csv}");
    assert!(lines[0].starts_with("id,occurred_at,actor_id,actor_roles,action"));
    assert!(lines[1].contains("programme.budget_changed"));
    assert!(
        lines[1].contains("\"{\"\"committed_amount\"\":\"\"0.00\"\""),
        "{csv}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_day_count_is_one_of_the_three_conventions_and_only_for_loans(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let unknown = programme_like(
        &harness,
        SMALL_BUSINESS_START_LOAN_ID,
        json!({ "day_count": "actual/360" }),
    )
    .await;
    let response = harness
        .post("/v1/programmes", &harness.admin, &unknown)
        .await;
    common::assert_problem_field(response, 422, "day_count", "invalid_day_count").await;

    let for_a_grant = programme_like(
        &harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "day_count": "actual/365" }),
    )
    .await;
    let response = harness
        .post("/v1/programmes", &harness.admin, &for_a_grant)
        .await;
    let problem = assert_problem(response, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "day_count", "{problem}");

    let mut unstated = programme_like(&harness, SMALL_BUSINESS_START_LOAN_ID, json!({})).await;
    unstated.as_object_mut().unwrap().remove("day_count");
    let id = harness.create_programme(&unstated).await;
    let stored = harness
        .get_ok(&format!("/v1/programmes/{id}"), &harness.admin)
        .await;
    assert_eq!(
        stored["day_count"], "30/360",
        "a loan programme that states none counts 30/360"
    );

    let isda = programme_like(
        &harness,
        SMALL_BUSINESS_START_LOAN_ID,
        json!({ "day_count": "actual/actual-isda" }),
    )
    .await;
    let id = harness.create_programme(&isda).await;
    let stored = harness
        .get_ok(&format!("/v1/programmes/{id}"), &harness.admin)
        .await;
    assert_eq!(stored["day_count"], "actual/actual-isda");
}

#[sqlx::test(migrations = false)]
async fn an_interest_method_is_declining_balance_or_flat_and_only_for_loans(pool: PgPool) {
    let harness = Harness::start(pool).await;
    let unknown = programme_like(
        &harness,
        SMALL_BUSINESS_START_LOAN_ID,
        json!({ "interest_method": "add_on" }),
    )
    .await;
    let response = harness
        .post("/v1/programmes", &harness.admin, &unknown)
        .await;
    common::assert_problem_field(response, 422, "interest_method", "invalid_interest_method").await;

    let for_a_grant = programme_like(
        &harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "interest_method": "flat" }),
    )
    .await;
    let response = harness
        .post("/v1/programmes", &harness.admin, &for_a_grant)
        .await;
    let problem = assert_problem(response, &[422], None).await;
    assert_eq!(
        problem["errors"][0]["field"], "interest_method",
        "{problem}"
    );

    let mut unstated = programme_like(&harness, SMALL_BUSINESS_START_LOAN_ID, json!({})).await;
    unstated.as_object_mut().unwrap().remove("interest_method");
    let id = harness.create_programme(&unstated).await;
    let stored = harness
        .get_ok(&format!("/v1/programmes/{id}"), &harness.admin)
        .await;
    assert_eq!(
        stored["interest_method"], "declining_balance",
        "a loan programme that states none charges the declining balance"
    );

    let flat = programme_like(
        &harness,
        SMALL_BUSINESS_START_LOAN_ID,
        json!({ "interest_method": "flat" }),
    )
    .await;
    let id = harness.create_programme(&flat).await;
    let stored = harness
        .get_ok(&format!("/v1/programmes/{id}"), &harness.admin)
        .await;
    assert_eq!(stored["interest_method"], "flat");
}

#[sqlx::test(migrations = false)]
async fn an_arrangement_fee_is_a_fixed_amount_below_the_smallest_loan_or_a_percent_and_a_late_charge_positive(
    pool: PgPool,
) {
    let harness = Harness::start(pool).await;
    // The small-business loan lends from 100 000 000.00.
    for (fee, field, code) in [
        (
            json!({"arrangement_fee_fixed": "500000", "arrangement_fee_percent": "1"}),
            "arrangement_fee_percent",
            "fee_fixed_and_percent",
        ),
        (
            json!({"arrangement_fee_fixed": "100000000.00"}),
            "arrangement_fee_fixed",
            "fee_not_below_min_amount",
        ),
        (
            json!({"arrangement_fee_fixed": "0"}),
            "arrangement_fee_fixed",
            "not_positive",
        ),
        (
            json!({"arrangement_fee_fixed": "10.001"}),
            "arrangement_fee_fixed",
            "invalid_amount",
        ),
        (
            json!({"arrangement_fee_percent": "0"}),
            "arrangement_fee_percent",
            "percent_out_of_range",
        ),
        (
            json!({"arrangement_fee_percent": "100"}),
            "arrangement_fee_percent",
            "percent_out_of_range",
        ),
        (
            json!({"arrangement_fee_percent": "2", "arrangement_fee_collection": "monthly"}),
            "arrangement_fee_collection",
            "invalid_fee_collection",
        ),
        (
            json!({"arrangement_fee_collection": "upfront"}),
            "arrangement_fee_collection",
            "not_applicable",
        ),
        (
            json!({"late_charge_fixed": "0"}),
            "late_charge_fixed",
            "not_positive",
        ),
        (
            json!({"late_charge_fixed": "five"}),
            "late_charge_fixed",
            "invalid_amount",
        ),
    ] {
        let definition = programme_like(&harness, SMALL_BUSINESS_START_LOAN_ID, fee.clone()).await;
        let response = harness
            .post("/v1/programmes", &harness.admin, &definition)
            .await;
        let problem = assert_problem(response, &[422], None).await;
        assert_eq!(problem["errors"][0]["field"], field, "{fee}: {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{fee}: {problem}");
    }

    let for_a_grant = programme_like(
        &harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "arrangement_fee_percent": "1" }),
    )
    .await;
    let response = harness
        .post("/v1/programmes", &harness.admin, &for_a_grant)
        .await;
    common::assert_problem_field(response, 422, "arrangement_fee_percent", "not_applicable").await;
    let charged_grant = programme_like(
        &harness,
        INNOVATIVE_IDEA_GRANT_ID,
        json!({ "late_charge_fixed": "1000" }),
    )
    .await;
    let response = harness
        .post("/v1/programmes", &harness.admin, &charged_grant)
        .await;
    common::assert_problem_field(response, 422, "late_charge_fixed", "not_applicable").await;

    let fixed = programme_like(
        &harness,
        SMALL_BUSINESS_START_LOAN_ID,
        json!({ "arrangement_fee_fixed": "750000" }),
    )
    .await;
    let id = harness.create_programme(&fixed).await;
    let stored = harness
        .get_ok(&format!("/v1/programmes/{id}"), &harness.admin)
        .await;
    assert_eq!(stored["arrangement_fee_fixed"], "750000.00");
    assert_eq!(stored["arrangement_fee_percent"], Value::Null);
    assert_eq!(
        stored["arrangement_fee_collection"], "deducted",
        "a fee that states no collection is kept back from the first payout"
    );
}
