//! Contracts made from `application.approved`, signed by the founder, activated by an officer.

mod support;

use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use support::{approved_grant, approved_loan, pdf_text, person, Staffed};
use uuid::Uuid;

async fn contract_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from contract")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn an_approval_delivered_three_times_makes_one_contract(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let payload = approved_loan(founder.client_id().unwrap(), "1000.00");
    let event_id = Uuid::now_v7();
    let deliveries = (0..3).map(|_| app.deliver(event_id, "application.approved", &payload));
    let outcomes: Vec<Value> = futures_outcomes(deliveries).await;
    let applied = outcomes
        .iter()
        .filter(|o| o["outcome"] == "applied")
        .count();
    let duplicates = outcomes
        .iter()
        .filter(|o| o["outcome"] == "duplicate")
        .count();
    assert_eq!((applied, duplicates), (1, 2), "{outcomes:?}");
    let again = app
        .deliver(Uuid::now_v7(), "application.approved", &payload)
        .await;
    assert_eq!(
        again.status(),
        200,
        "a second event about the same application is a no-op"
    );
    assert_eq!(contract_count(&app.pool).await, 1);
    let page: Value = app
        .get("/v1/me/contracts", Some(&founder))
        .await
        .json()
        .await
        .unwrap();
    let contract = &page["items"][0];
    assert_eq!(contract["status"], "draft");
    assert_eq!(contract["principal"], "1000.00");
    assert_eq!(contract["annual_rate_percent"], "9.4822");
    assert_eq!(contract["tranches"].as_array().unwrap().len(), 1);
    assert_eq!(contract["tranches"][0]["amount"], "1000.00");
    assert_eq!(contract["tranches"][0]["status"], "planned");
}

async fn futures_outcomes(
    deliveries: impl Iterator<Item = impl std::future::Future<Output = reqwest::Response>>,
) -> Vec<Value> {
    let handles: Vec<_> = deliveries.collect();
    let mut outcomes = Vec::new();
    for response in futures::future::join_all(handles).await {
        assert_eq!(response.status(), 200);
        outcomes.push(response.json().await.unwrap());
    }
    outcomes
}

#[sqlx::test(migrations = false)]
async fn a_grant_is_two_milestones_without_interest(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let id = app
        .contract_from(
            &founder,
            &approved_grant(founder.client_id().unwrap(), "1000.01"),
        )
        .await;
    let contract: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contract["programme_kind"], "grant");
    assert_eq!(contract["annual_rate_percent"], Value::Null);
    assert_eq!(
        contract["penalty_rate_percent"], "0.1",
        "the default penalty rate"
    );
    let amounts: Vec<&str> = contract["tranches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tranche| tranche["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["500.00", "500.01"]);
}

#[sqlx::test(migrations = false)]
async fn an_approval_with_bad_terms_is_refused_naming_the_field(pool: PgPool) {
    let app = support::start(pool).await;
    let mut payload = approved_loan(Uuid::now_v7(), "1000.00");
    payload["annual_rate_percent"] = Value::Null;
    let response = app
        .deliver(Uuid::now_v7(), "application.approved", &payload)
        .await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "annual_rate_percent");
    let mut payload = approved_loan(Uuid::now_v7(), "1000.00");
    payload["grace_months"] = json!(6);
    let response = app
        .deliver(Uuid::now_v7(), "application.approved", &payload)
        .await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "grace_months");
    assert_eq!(contract_count(&app.pool).await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_contract_counts_days_as_the_programme_does(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    for day_count in ["actual/365", "actual/actual-isda"] {
        let mut payload = approved_loan(founder.client_id().unwrap(), "1000.00");
        payload["day_count"] = json!(day_count);
        let id = app.contract_from(&founder, &payload).await;
        let contract: Value = app
            .get(&format!("/v1/contracts/{id}"), Some(&founder))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(contract["day_count"], day_count);
    }

    let unstated = app
        .contract_from(
            &founder,
            &approved_loan(founder.client_id().unwrap(), "1000.00"),
        )
        .await;
    let contract: Value = app
        .get(&format!("/v1/contracts/{unstated}"), Some(&founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        contract["day_count"], "30/360",
        "an approval sent before programmes chose keeps 30/360"
    );

    let mut unknown = approved_loan(Uuid::now_v7(), "1000.00");
    unknown["day_count"] = json!("actual/360");
    let response = app
        .deliver(Uuid::now_v7(), "application.approved", &unknown)
        .await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "day_count");
}

#[sqlx::test(migrations = false)]
async fn a_flat_programme_gives_a_contract_whose_schedule_charges_the_whole_principal(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let staffed = Staffed::new();
    let mut payload = approved_loan(staffed.founder.client_id().unwrap(), "1200.00");
    payload["annual_rate_percent"] = json!("12");
    payload["interest_method"] = json!("flat");
    let (id, _) = app
        .disbursed_loan(&staffed, &payload, "2024-01-01", "0.00")
        .await;
    let contract: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&staffed.founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contract["interest_method"], "flat");
    let schedule: Value = app
        .get(
            &format!("/v1/contracts/{id}/schedule"),
            Some(&staffed.founder),
        )
        .await
        .json()
        .await
        .unwrap();
    let interest: Vec<&str> = schedule["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["interest"].as_str().unwrap())
        .collect();
    assert_eq!(interest, ["12.00"; 6], "1200 × 12% / 12 every month");

    let unstated = app
        .contract_from(
            &staffed.founder,
            &approved_loan(staffed.founder.client_id().unwrap(), "1000.00"),
        )
        .await;
    let contract: Value = app
        .get(&format!("/v1/contracts/{unstated}"), Some(&staffed.founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        contract["interest_method"], "declining_balance",
        "an approval sent before programmes chose keeps the declining balance"
    );

    let mut unknown = approved_loan(Uuid::now_v7(), "1000.00");
    unknown["interest_method"] = json!("add_on");
    let response = app
        .deliver(Uuid::now_v7(), "application.approved", &unknown)
        .await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "interest_method");
}

#[sqlx::test(migrations = false)]
async fn only_a_service_may_deliver_events(pool: PgPool) {
    let app = support::start(pool).await;
    let officer = person(&[Role::CreditOfficer]);
    let response = app
        .server
        .client
        .post(app.url("/v1/events"))
        .bearer_auth(app.bearer(&officer))
        .json(&json!({"id": Uuid::now_v7(), "topic": "application.approved",
            "occurred_at": "2024-01-01T00:00:00Z", "payload": approved_loan(Uuid::now_v7(), "1.00")}))
        .send()
        .await
        .unwrap();
    assert_problem(response, &[403], Some("forbidden")).await;
}

#[sqlx::test(migrations = false)]
async fn a_founder_sees_only_their_own_contracts_and_staff_see_all(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let stranger = person(&[Role::Client]);
    let officer = person(&[Role::CreditOfficer]);
    let id = app
        .contract_from(
            &founder,
            &approved_loan(founder.client_id().unwrap(), "500.00"),
        )
        .await;
    let path = format!("/v1/contracts/{id}");
    assert_eq!(app.get(&path, Some(&founder)).await.status(), 200);
    assert_eq!(app.get(&path, Some(&officer)).await.status(), 200);
    assert_problem(
        app.get(&path, Some(&stranger)).await,
        &[404],
        Some("contract_not_found"),
    )
    .await;
    assert_problem(app.get(&path, None).await, &[401], Some("unauthenticated")).await;
    let theirs: Value = app
        .get("/v1/me/contracts", Some(&stranger))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["items"], json!([]));
    let all: Value = app
        .get("/v1/contracts?status=draft", Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"][0]["id"], id.to_string());
    assert_problem(
        app.get("/v1/contracts", Some(&founder)).await,
        &[403],
        Some("forbidden"),
    )
    .await;
    let unknown = app
        .get("/v1/contracts?status=pending", Some(&officer))
        .await;
    let problem = assert_problem(unknown, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "status");
}

#[sqlx::test(migrations = false)]
async fn the_founder_signs_and_an_officer_activates_with_the_dates(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let stranger = person(&[Role::Client]);
    let officer = person(&[Role::CreditOfficer]);
    let id = app
        .contract_from(
            &founder,
            &approved_loan(founder.client_id().unwrap(), "500.00"),
        )
        .await;
    let sign = format!("/v1/contracts/{id}/sign");
    let activate = format!("/v1/contracts/{id}/activate");
    let early = app.post(&activate, Some(&officer), &json!({})).await;
    assert_problem(early, &[409], Some("contract_wrong_state")).await;
    let body = app.sign_body(id, &founder, "uz-Latn").await;
    assert_problem(app.post(&sign, Some(&stranger), &body).await, &[404], None).await;
    assert_problem(app.post(&sign, Some(&officer), &body).await, &[403], None).await;
    let signed: Value = app
        .post(&sign, Some(&founder), &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(signed["status"], "signed");
    let twice = app.post(&sign, Some(&founder), &body).await;
    assert_problem(twice, &[409], Some("contract_wrong_state")).await;
    assert_problem(
        app.post(&activate, Some(&founder), &json!({})).await,
        &[403],
        None,
    )
    .await;
    let future = app
        .post(
            &activate,
            Some(&officer),
            &json!({"disbursement_date": "2999-01-01"}),
        )
        .await;
    let problem = assert_problem(future, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "disbursement_date");
    let bad_due = app
        .post(
            &activate,
            Some(&officer),
            &json!({"disbursement_date": "2024-01-10", "first_due_date": "2024-01-05"}),
        )
        .await;
    let problem = assert_problem(bad_due, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "first_due_date");
    let active: Value = app
        .post(
            &activate,
            Some(&officer),
            &json!({"disbursement_date": "2024-01-31"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(active["status"], "active");
    assert_eq!(active["disbursement_date"], "2024-01-31");
    assert_eq!(
        active["first_due_date"], "2024-02-29",
        "one month later, clamped"
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_record where subject_id = $1 and action in ('contract.signed', 'contract.activated')",
    )
    .bind(id.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
}

#[sqlx::test(migrations = false)]
async fn the_committee_writes_off_an_active_contract_with_a_reason(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let officer = person(&[Role::CreditOfficer]);
    let committee = person(&[Role::Approver]);
    let payload = approved_loan(founder.client_id().unwrap(), "500.00");
    let draft = app.contract_from(&founder, &payload).await;
    let path = format!("/v1/contracts/{draft}/write-off");
    let reason = json!({"reason": "the company was liquidated"});
    let early = app.post(&path, Some(&committee), &reason).await;
    assert_problem(early, &[409], Some("contract_wrong_state")).await;
    let id = app
        .active_contract(
            &founder,
            &officer,
            &approved_loan(founder.client_id().unwrap(), "500.00"),
            "2024-01-01",
        )
        .await;
    let path = format!("/v1/contracts/{id}/write-off");
    assert_problem(app.post(&path, Some(&officer), &reason).await, &[403], None).await;
    let blank = app
        .post(&path, Some(&committee), &json!({"reason": " "}))
        .await;
    let problem = assert_problem(blank, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "reason");
    let proposed = app.post(&path, Some(&committee), &reason).await;
    assert_eq!(proposed.status(), 202);
    let proposed: Value = proposed.json().await.unwrap();
    assert_eq!(
        proposed["status"], "active",
        "a proposal alone writes nothing off"
    );
    assert_eq!(
        proposed["write_off_proposal"]["proposed_by"],
        committee.subject().to_string()
    );
    let second = person(&[Role::Approver]);
    let written_off: Value = app
        .post(&format!("{path}/confirm"), Some(&second), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(written_off["status"], "written_off");
    assert_eq!(
        written_off["write_off_proposal"]["confirmed_by"],
        second.subject().to_string()
    );
    let twice = app.post(&path, Some(&committee), &reason).await;
    assert_problem(twice, &[409], Some("contract_wrong_state")).await;
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[sqlx::test(migrations = false)]
async fn the_founder_reads_the_contract_in_their_language_and_signs_exactly_that_document(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let stranger = person(&[Role::Client]);
    let finance = person(&[Role::Finance]);
    let id = app
        .contract_from(
            &founder,
            &approved_loan(founder.client_id().unwrap(), "1200000.00"),
        )
        .await;
    let document_path = format!("/v1/contracts/{id}/document.pdf");

    let draft = app
        .get(&format!("{document_path}?lang=ru"), Some(&founder))
        .await;
    assert_eq!(draft.status(), 200);
    assert_eq!(draft.headers()["content-type"], "application/pdf");
    let shown = draft.headers()["x-document-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let draft = draft.bytes().await.unwrap();
    assert_eq!(sha256_hex(&draft), shown, "the header is the body's hash");
    let text = pdf_text(&draft);
    for words in [
        "Кредитный договор",
        "Стороны",
        "1 200 000,00 сум",
        "9,4822 %",
        "6 мес.",
        "Комиссии",
        "Транши",
        "Кредит",
        "График платежей",
        "Обязательства клиента",
        "При просрочке",
        "36,5 %",
        "Страница 1 из",
    ] {
        assert!(
            text.contains(words) || text.contains(&words.replace(' ', "\u{a0}")),
            "{words} in {text}"
        );
    }
    let uz_cyrl = pdf_text(
        &app.get(&format!("{document_path}?lang=uz-Cyrl"), Some(&founder))
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert!(uz_cyrl.contains("Кредит шартномаси") && uz_cyrl.contains("Тўлов жадвали"));

    let foreign = app.get(&document_path, Some(&stranger)).await;
    assert_problem(foreign, &[404], None).await;
    assert_problem(app.get(&document_path, None).await, &[401], None).await;
    let unknown = app
        .get(&format!("{document_path}?lang=de"), Some(&founder))
        .await;
    assert_problem(unknown, &[422], Some("validation_failed")).await;

    let sign = format!("/v1/contracts/{id}/sign");
    let other_language = app
        .post(
            &sign,
            Some(&founder),
            &json!({"document_sha256": shown, "language": "en"}),
        )
        .await;
    assert_problem(other_language, &[409], Some("document_mismatch")).await;
    let altered = app
        .post(
            &sign,
            Some(&founder),
            &json!({"document_sha256": "0".repeat(64), "language": "ru"}),
        )
        .await;
    assert_problem(altered, &[409], Some("document_mismatch")).await;
    for body in [
        json!({"document_sha256": "abc", "language": "ru"}),
        json!({"document_sha256": shown, "language": "de"}),
        json!({}),
    ] {
        let refused = app.post(&sign, Some(&founder), &body).await;
        assert_problem(refused, &[422, 400], None).await;
    }
    let still_draft: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still_draft["status"], "draft");
    assert_eq!(still_draft["document_sha256"], Value::Null);

    let signed: Value = app
        .post(
            &sign,
            Some(&founder),
            &json!({"document_sha256": shown.to_uppercase(), "language": "ru"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(signed["status"], "signed");
    assert_eq!(signed["document_sha256"], shown);
    assert_eq!(signed["document_language"], "ru");

    for who in [&founder, &finance] {
        let kept = app
            .get(&format!("{document_path}?lang=en"), Some(who))
            .await;
        assert_eq!(kept.status(), 200);
        assert_eq!(kept.headers()["x-document-sha256"], shown.as_str());
        assert_eq!(
            kept.bytes().await.unwrap(),
            draft,
            "the signed document, in the language signed, whatever is asked"
        );
    }
    let recorded: String = sqlx::query_scalar(
        "select after ->> 'document_sha256' from audit_record where action = 'contract.signed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(recorded, shown);
}

async fn cancelled_events(pool: &PgPool) -> Vec<Value> {
    sqlx::query_scalar("select payload from outbox_event where topic = 'contract.cancelled'")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_founder_cancels_their_unsigned_contract_once_and_the_budget_is_told(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let stranger = person(&[Role::Client]);
    let payload = approved_loan(founder.client_id().unwrap(), "1000.00");
    let id = app.contract_from(&founder, &payload).await;
    let path = format!("/v1/contracts/{id}/cancel");

    let blank = app
        .post(&path, Some(&founder), &json!({"reason": "  "}))
        .await;
    let problem = assert_problem(blank, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "reason");
    let theirs = app
        .post(&path, Some(&stranger), &json!({"reason": "not mine"}))
        .await;
    assert_problem(theirs, &[404], Some("contract_not_found")).await;
    assert_problem(
        app.post(&path, None, &json!({"reason": "anonymous"})).await,
        &[401],
        None,
    )
    .await;
    assert!(cancelled_events(&app.pool).await.is_empty());

    let cancelled: Value = app
        .post(
            &path,
            Some(&founder),
            &json!({"reason": "We found other funding."}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    let again = app
        .post(&path, Some(&founder), &json!({"reason": "twice"}))
        .await;
    assert_problem(again, &[409], Some("contract_wrong_state")).await;
    let events = cancelled_events(&app.pool).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["contract_id"], id.to_string());
    assert_eq!(events[0]["application_id"], payload["application_id"]);
    assert_eq!(events[0]["amount"], "1000.00");
    let signing = app
        .post(
            &format!("/v1/contracts/{id}/sign"),
            Some(&founder),
            &json!({"document_sha256": "0".repeat(64), "language": "en"}),
        )
        .await;
    assert_problem(signing, &[409], Some("contract_wrong_state")).await;
    let (reason, audited): (String, i64) = sqlx::query_as(
        "select c.cancel_reason,
            (select count(*) from audit_record where action = 'contract.cancelled')
         from contract c where c.id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((reason.as_str(), audited), ("We found other funding.", 1));
}

#[sqlx::test(migrations = false)]
async fn staff_cancel_an_unsigned_contract_only_after_the_configured_wait(pool: PgPool) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let officer = person(&[Role::CreditOfficer]);
    let finance = person(&[Role::Finance]);
    let reason = json!({"reason": "Not signed within the month."});

    let mut recent = approved_loan(founder.client_id().unwrap(), "1000.00");
    recent["approved_at"] = json!(chrono::Utc::now() - chrono::Duration::days(29));
    let fresh = app.contract_from(&founder, &recent).await;
    let early = app
        .post(
            &format!("/v1/contracts/{fresh}/cancel"),
            Some(&officer),
            &reason,
        )
        .await;
    assert_problem(early, &[403], Some("cancel_too_early")).await;
    let not_credit_staff = app
        .post(
            &format!("/v1/contracts/{fresh}/cancel"),
            Some(&finance),
            &reason,
        )
        .await;
    assert_problem(not_credit_staff, &[403], None).await;

    let mut old = approved_loan(founder.client_id().unwrap(), "1000.00");
    old["approved_at"] = json!(chrono::Utc::now() - chrono::Duration::days(31));
    let waited = app.contract_from(&founder, &old).await;
    let cancelled = app
        .post(
            &format!("/v1/contracts/{waited}/cancel"),
            Some(&officer),
            &reason,
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    assert_eq!(cancelled_events(&app.pool).await.len(), 1);

    let who = support::Staffed::new();
    let paid_out = approved_loan(who.founder.client_id().unwrap(), "100.00");
    let (active, _) = app
        .disbursed_loan(&who, &paid_out, "2024-01-01", "10.00")
        .await;
    let refused = app
        .post(
            &format!("/v1/contracts/{active}/cancel"),
            Some(&who.founder),
            &reason,
        )
        .await;
    assert_problem(refused, &[409], Some("contract_wrong_state")).await;
    assert_eq!(cancelled_events(&app.pool).await.len(), 1);
}

#[sqlx::test(migrations = false)]
async fn the_collateral_and_guarantors_of_the_application_are_on_the_contract_and_its_document(
    pool: PgPool,
) {
    let app = support::start(pool).await;
    let founder = person(&[Role::Client]);
    let mut payload = approved_loan(founder.client_id().unwrap(), "1200000.00");
    // The documents that backed a security on the application are kept by reference.
    let (valuation_id, registration_id) = (Uuid::now_v7(), Uuid::now_v7());
    payload["securities"] = json!([
        {"kind": "collateral", "collateral_type": "vehicle", "description": "Chevrolet Cobalt 2022",
         "value": "150000000.00", "guarantor_name": null, "documents": [
            {"document_id": valuation_id, "kind": "valuation_report",
             "content_type": "application/pdf", "sha256": "ab".repeat(32)},
            {"document_id": registration_id, "kind": "title_deed",
             "content_type": "image/png", "sha256": "cd".repeat(32)}
         ]},
        {"kind": "guarantor", "collateral_type": null, "description": "The director's brother",
         "value": "50000000.00", "guarantor_name": "Aziz Rahimov"}
    ]);
    let id = app.contract_from(&founder, &payload).await;
    let contract: Value = app
        .get(&format!("/v1/contracts/{id}"), Some(&founder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contract["securities"][0]["collateral_type"], "vehicle");
    assert_eq!(contract["securities"][0]["value"], "150000000.00");
    assert_eq!(contract["securities"][1]["guarantor_name"], "Aziz Rahimov");
    assert_eq!(
        contract["securities"][0]["documents"],
        json!([
            {"document_id": valuation_id, "kind": "valuation_report",
             "content_type": "application/pdf", "sha256": "ab".repeat(32)},
            {"document_id": registration_id, "kind": "title_deed",
             "content_type": "image/png", "sha256": "cd".repeat(32)}
        ])
    );
    assert_eq!(contract["securities"][1]["documents"], json!([]));
    let document = app
        .get(
            &format!("/v1/contracts/{id}/document.pdf?lang=en"),
            Some(&founder),
        )
        .await
        .bytes()
        .await
        .unwrap();
    let text = pdf_text(&document);
    for words in [
        "Security",
        "Vehicle",
        "UZS 150,000,000.00, Chevrolet Cobalt 2022",
        "Guarantor: Aziz Rahimov",
    ] {
        assert!(text.contains(words), "{words} in {text}");
    }

    let mut broken = approved_loan(founder.client_id().unwrap(), "1200000.00");
    broken["securities"] = json!([{"kind": "promise", "description": "x", "value": "1.00"}]);
    let refused = app
        .deliver(Uuid::now_v7(), "application.approved", &broken)
        .await;
    let problem = assert_problem(refused, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "securities");
    broken["securities"] = json!([{"kind": "collateral", "collateral_type": "vehicle",
    "description": "x", "value": "1.00", "documents": [
        {"document_id": Uuid::now_v7(), "kind": "valuation_report",
         "content_type": "text/html", "sha256": "ab".repeat(32)}
    ]}]);
    let refused = app
        .deliver(Uuid::now_v7(), "application.approved", &broken)
        .await;
    let problem = assert_problem(refused, &[422], None).await;
    assert_eq!(problem["errors"][0]["code"], "invalid_security_document");
}
