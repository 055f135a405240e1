//! The structural limits disbursement's request bodies declare with `validator`, shown in the
//! OpenAPI document: a body over a limit gets one 422 `validation_failed` naming the field and
//! the limit's code before any contract is looked up; a caller without the role is refused
//! before the body is read.

mod support;

use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_loan, person, Staffed};
use uuid::Uuid;

/// Asserts a 422 `validation_failed` whose only field error is `field` with `code`.
async fn assert_limit(response: reqwest::Response, field: &str, code: &str) {
    let body = assert_problem(response, &[422], Some("validation_failed")).await;
    let errors = body["errors"].as_array().expect("the fields at fault");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["field"], field, "{body}");
    assert_eq!(errors[0]["code"], code, "{body}");
}

#[sqlx::test(migrations = false)]
async fn bodies_over_their_limits_are_refused_naming_the_field(pool: PgPool) {
    let app = support::start(pool).await;
    let nowhere = Uuid::now_v7();
    let approver = person(&[Role::Approver]);
    let officer = person(&[Role::CreditOfficer]);
    let founder = person(&[Role::Client]);

    let reason = json!({"reason": "r".repeat(2001)});
    let path = format!("/v1/contracts/{nowhere}/write-off");
    assert_limit(
        app.post(&path, Some(&approver), &reason).await,
        "reason",
        "invalid_reason",
    )
    .await;
    assert_problem(app.post(&path, Some(&officer), &reason).await, &[403], None).await;

    let note = json!({"note": "n".repeat(10_001)});
    let path = format!("/v1/contracts/{nowhere}/tranches/1/request");
    assert_limit(
        app.post(&path, Some(&officer), &note).await,
        "note",
        "too_long",
    )
    .await;

    let path = format!("/v1/contracts/{nowhere}/tranches");
    let planned = |count: usize, purpose: &str| {
        json!({"tranches": (0..count)
            .map(|_| json!({"amount": "1.00", "purpose": purpose}))
            .collect::<Vec<_>>()})
    };
    let put = |body: Value| {
        let app = &app;
        let officer = &officer;
        let path = path.clone();
        async move {
            app.server
                .client
                .put(app.url(&path))
                .bearer_auth(app.bearer(officer))
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_limit(
        put(planned(13, "equipment")).await,
        "tranches",
        "tranche_count",
    )
    .await;
    assert_limit(
        put(planned(0, "equipment")).await,
        "tranches",
        "tranche_count",
    )
    .await;
    let long_second = json!({"tranches": [
        {"amount": "1.00", "purpose": "equipment"},
        {"amount": "1.00", "purpose": "p".repeat(201)},
    ]});
    assert_limit(
        put(long_second).await,
        "tranches[1].purpose",
        "invalid_purpose",
    )
    .await;

    let path = format!("/v1/contracts/{nowhere}/sign");
    let short = json!({"document_sha256": "abc", "language": "en"});
    assert_limit(
        app.post(&path, Some(&founder), &short).await,
        "document_sha256",
        "invalid_hash",
    )
    .await;

    let preview = json!({"principal": "1".repeat(41), "currency": "UZS",
        "annual_rate_percent": "10", "term_months": 6, "method": "annuity",
        "disbursement_date": "2024-01-01", "first_due_date": "2024-02-01"});
    let refused = app.post("/v1/schedules/preview", None, &preview).await;
    assert_limit(refused, "principal", "not_a_decimal").await;

    let path = format!("/v1/contracts/{nowhere}/repayments");
    let amount = json!({"amount": "9".repeat(41)});
    let refused = app.post_with_key(&path, &founder, "k", &amount).await;
    assert_limit(refused, "amount", "not_a_decimal").await;

    let path = format!("/v1/contracts/{nowhere}/activate");
    let date = json!({"disbursement_date": "2024-1-1"});
    assert_limit(
        app.post(&path, Some(&officer), &date).await,
        "disbursement_date",
        "not_a_date",
    )
    .await;
}

#[sqlx::test(migrations = false)]
async fn the_longest_accepted_values_pass_and_the_limits_are_in_the_openapi_document(pool: PgPool) {
    let app = support::start(pool).await;
    let who = Staffed::new();
    let loan = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let id = app
        .active_contract(&who.founder, &who.requester, &loan, "2024-01-01")
        .await;
    let proposed = app
        .post(
            &format!("/v1/contracts/{id}/write-off"),
            Some(&person(&[Role::Approver])),
            &json!({"reason": "r".repeat(2000)}),
        )
        .await;
    assert_eq!(proposed.status(), 202);

    let document: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["WriteOffRequest"]["properties"]["reason"]["maxLength"],
        2000
    );
    assert_eq!(
        schemas["TrancheRequestBody"]["properties"]["note"]["maxLength"],
        10_000
    );
    assert_eq!(
        schemas["TranchePlanBody"]["properties"]["tranches"]["maxItems"],
        12
    );
    assert_eq!(
        schemas["PlannedTrancheBody"]["properties"]["purpose"]["maxLength"],
        200
    );
    assert_eq!(
        schemas["SignRequest"]["properties"]["document_sha256"]["minLength"],
        64
    );
}
