//! The client's file and the client search for staff: who may read them, what each reader
//! sees (the PINFL masked for all but KYC officers), the audit of each opening, and search by
//! name in either script, identifiers, phone and company.

mod common;

use common::{company, pdf_bytes, registration, spawn, RegisteredFounder, TestApp};
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

fn staff(app: &TestApp, role: Role) -> (Uuid, String) {
    let id = Uuid::now_v7();
    (id, app.token_for(id, &[role], None))
}

/// founder1 (Karimov Aziz Botirovich) with a company and a submitted case, and founder2
/// (Karimov Husayn Botirovich, Ҳусайн in Cyrillic).
async fn two_founders(app: &TestApp) -> (RegisteredFounder, RegisteredFounder) {
    let founder1 = app.register_founder("founder1", 1).await;
    let created = app
        .post_json(
            "/v1/me/companies",
            Some(&founder1.token),
            &company(founder1.client_id, "301234567"),
        )
        .await;
    assert_eq!(created.status(), 201);
    let upload = app
        .upload(
            &founder1.token,
            "passport_scan",
            "scan.pdf",
            &pdf_bytes("scan"),
            None,
        )
        .await;
    assert_eq!(upload.status(), 201);
    let submitted = app
        .post_json("/v1/me/kyc/submit", Some(&founder1.token), &json!({}))
        .await;
    assert_eq!(submitted.status(), 200);
    let mut body = registration("founder2", 2);
    body["latin_name"]["given_name"] = json!("Husayn");
    body["cyrillic_name"]["given_name"] = json!("Ҳусайн");
    body["phone"] = json!("+998 91 765 43 21");
    let founder2 = app.register_founder_with(&body).await;
    (founder1, founder2)
}

async fn file(app: &TestApp, token: &str, client_id: Uuid) -> reqwest::Response {
    app.get(&format!("/v1/staff/clients/{client_id}"), Some(token))
        .await
}

#[sqlx::test(migrations = false)]
async fn a_kyc_officer_reads_the_whole_file_and_the_opening_is_audited(pool: PgPool) {
    let app = spawn(pool).await;
    let (founder1, _) = two_founders(&app).await;
    let (officer_id, officer) = staff(&app, Role::KycOfficer);

    let response = file(&app, &officer, founder1.client_id).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let pinfl = registration("founder1", 1)["pinfl"].clone();
    assert_eq!(body["pinfl"], pinfl);
    assert_eq!(body["pinfl_masked"], false);
    assert_eq!(body["latin_name"]["full_name"], "Karimov Aziz Botirovich");
    assert_eq!(body["cyrillic_name"]["full_name"], "Каримов Азиз Ботирович");
    assert_eq!(body["birth_date"], "1990-05-15");
    assert_eq!(body["passport"]["number"], "AB0000001");
    assert_eq!(
        body["passport"]["expiry_date"],
        registration("founder1", 1)["passport"]["expiry_date"]
    );
    assert_eq!(body["passport"]["valid_today"], true);
    assert_eq!(body["phone"], "998901234567");
    assert_eq!(body["email"], "aziz@example.uz");
    assert_eq!(body["kyc_status"], "pending_review");
    assert_eq!(body["kyc_history"][0]["action"], "kyc.submit");
    assert_eq!(body["kyc_history"][0]["status_after"], "pending_review");
    let company = &body["companies"][0];
    assert_eq!(company["stir"], "301234567");
    assert_eq!(company["kyc_status"], "new");
    assert_eq!(
        company["founders"][0]["full_name"],
        "Karimov Aziz Botirovich"
    );
    assert_eq!(company["founders"][0]["share_percent"], "60.00");
    assert_eq!(company["founders"][1]["share_percent"], "40.00");
    assert_eq!(company["founders"][1]["pinfl"].as_str().unwrap().len(), 14);
    assert_eq!(body["documents"][0]["kind"], "passport_scan");

    let (actor, subject): (Option<Uuid>, String) = sqlx::query_as(
        "select actor_id, subject_id from audit_record where action = 'client.open_file'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, Some(officer_id));
    assert_eq!(subject, founder1.client_id.to_string());
}

#[sqlx::test(migrations = false)]
async fn other_staff_see_the_pinfl_masked_but_for_its_last_four_digits(pool: PgPool) {
    let app = spawn(pool).await;
    let (founder1, _) = two_founders(&app).await;
    let pinfl = registration("founder1", 1)["pinfl"]
        .as_str()
        .unwrap()
        .to_owned();
    let masked = format!("**********{}", &pinfl[10..]);
    for role in [Role::CreditOfficer, Role::Approver, Role::Finance] {
        let (_, token) = staff(&app, role);
        let response = file(&app, &token, founder1.client_id).await;
        assert_eq!(response.status(), 200, "{role}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["pinfl"], masked, "{role}");
        assert_eq!(body["pinfl_masked"], true);
        let founder_pinfl = body["companies"][0]["founders"][1]["pinfl"]
            .as_str()
            .unwrap();
        assert!(founder_pinfl.starts_with("**********"), "{founder_pinfl}");
        assert!(!body.to_string().contains(&pinfl), "{role} saw the PINFL");

        let found: Value = app
            .get("/v1/staff/clients?q=Aziz", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(found["clients"][0]["pinfl"], masked);
    }
    assert_eq!(app.audit_count("client.open_file").await, 3);
}

#[sqlx::test(migrations = false)]
async fn founders_admins_and_strangers_are_refused_and_nothing_is_audited(pool: PgPool) {
    let app = spawn(pool).await;
    let (founder1, founder2) = two_founders(&app).await;
    let (_, admin) = staff(&app, Role::Admin);
    for token in [&founder1.token, &founder2.token, &admin] {
        assert_problem(file(&app, token, founder1.client_id).await, &[403], None).await;
        let search = app.get("/v1/staff/clients?q=Karimov", Some(token)).await;
        assert_problem(search, &[403], None).await;
    }
    let anonymous = app
        .get(&format!("/v1/staff/clients/{}", founder1.client_id), None)
        .await;
    assert_problem(anonymous, &[401], None).await;
    let (_, officer) = staff(&app, Role::KycOfficer);
    assert_problem(file(&app, &officer, Uuid::now_v7()).await, &[404], None).await;
    assert_eq!(app.audit_count("client.open_file").await, 0);
}

async fn found(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let response = app
        .server
        .client
        .get(app.url("/v1/staff/clients"))
        .query(&[("q", query)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    let body: Value = response.json().await.unwrap();
    body["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|client| client["latin_full_name"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn clients_are_found_by_name_in_either_script_identifiers_phone_and_company(pool: PgPool) {
    let app = spawn(pool).await;
    two_founders(&app).await;
    let (_, token) = staff(&app, Role::CreditOfficer);
    let aziz = vec!["Karimov Aziz Botirovich".to_owned()];
    let husayn = vec!["Karimov Husayn Botirovich".to_owned()];
    let both = vec![aziz[0].clone(), husayn[0].clone()];

    assert_eq!(found(&app, &token, "karimov").await, both);
    assert_eq!(found(&app, &token, "AZIZ karimov").await, aziz);
    assert_eq!(found(&app, &token, "КАРИМОВ азиз").await, aziz);
    // "й" typed as "и" followed by a combining breve finds the composed name on file.
    assert_eq!(found(&app, &token, "Ҳусаи\u{0306}н").await, husayn);
    let pinfl = registration("founder2", 2)["pinfl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(found(&app, &token, &pinfl).await, husayn);
    assert_eq!(found(&app, &token, "ab 0000001").await, aziz);
    assert_eq!(found(&app, &token, "91 765 43 21").await, husayn);
    assert_eq!(found(&app, &token, "imkon LABS").await, aziz);
    assert_eq!(found(&app, &token, "301234567").await, aziz);
    assert!(found(&app, &token, "Toshmatov").await.is_empty());
    // A LIKE wildcard is a character like any other.
    assert!(found(&app, &token, "%%").await.is_empty());
}

#[sqlx::test(migrations = false)]
async fn the_search_is_paged_and_refuses_a_too_short_query_or_too_large_page(pool: PgPool) {
    let app = spawn(pool).await;
    two_founders(&app).await;
    let (_, token) = staff(&app, Role::KycOfficer);
    let page: Value = app
        .get(
            "/v1/staff/clients?q=karimov&page=2&page_size=1",
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 2);
    assert_eq!(page["page"], 2);
    assert_eq!(page["clients"].as_array().unwrap().len(), 1);
    assert_eq!(
        page["clients"][0]["latin_full_name"],
        "Karimov Husayn Botirovich"
    );
    let short = app.get("/v1/staff/clients?q=%20k%20", Some(&token)).await;
    let problem = assert_problem(short, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "q");
    let large = app
        .get("/v1/staff/clients?q=karimov&page_size=100000", Some(&token))
        .await;
    let problem = assert_problem(large, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "page_size");
    let zero = app
        .get("/v1/staff/clients?q=karimov&page=0", Some(&token))
        .await;
    assert_problem(zero, &[422], None).await;
}

#[sqlx::test(migrations = false)]
async fn staff_name_many_clients_in_both_scripts_with_one_call(pool: PgPool) {
    let app = spawn(pool).await;
    let (founder1, founder2) = two_founders(&app).await;
    let stranger = Uuid::now_v7();
    for role in [
        Role::KycOfficer,
        Role::CreditOfficer,
        Role::Approver,
        Role::Finance,
    ] {
        let (_, token) = staff(&app, role);
        let ids = json!({ "client_ids": [founder2.client_id, founder1.client_id, stranger, founder1.client_id] });
        let response = app
            .post_json("/v1/staff/clients/names", Some(&token), &ids)
            .await;
        assert_eq!(response.status(), 200, "{role}");
        let body: Value = response.json().await.unwrap();
        let names = body["names"].as_array().unwrap();
        assert_eq!(names.len(), 2, "{role}: {body}");
        let aziz = names
            .iter()
            .find(|name| name["client_id"] == founder1.client_id.to_string())
            .unwrap();
        assert_eq!(aziz["latin_full_name"], "Karimov Aziz Botirovich");
        assert_eq!(aziz["cyrillic_full_name"], "Каримов Азиз Ботирович");
        let husayn = names
            .iter()
            .find(|name| name["client_id"] == founder2.client_id.to_string())
            .unwrap();
        assert_eq!(husayn["cyrillic_full_name"], "Каримов Ҳусайн Ботирович");
        assert!(!body.to_string().contains("pinfl"), "{role}: {body}");
    }
    assert_eq!(app.audit_count("client.open_file").await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_names_lookup_refuses_founders_admins_strangers_and_too_many_ids(pool: PgPool) {
    let app = spawn(pool).await;
    let (founder1, founder2) = two_founders(&app).await;
    let (_, admin) = staff(&app, Role::Admin);
    let ids = json!({ "client_ids": [founder1.client_id] });
    for token in [&founder1.token, &founder2.token, &admin] {
        let response = app
            .post_json("/v1/staff/clients/names", Some(token), &ids)
            .await;
        assert_problem(response, &[403], None).await;
    }
    let anonymous = app.post_json("/v1/staff/clients/names", None, &ids).await;
    assert_problem(anonymous, &[401], None).await;

    let (_, officer) = staff(&app, Role::CreditOfficer);
    let too_many: Vec<Uuid> = (0..201).map(|_| Uuid::now_v7()).collect();
    let response = app
        .post_json(
            "/v1/staff/clients/names",
            Some(&officer),
            &json!({ "client_ids": too_many }),
        )
        .await;
    let problem = assert_problem(response, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "client_ids");
    // Two hundred distinct ids, with one repeated, are within the bound.
    let mut at_the_bound: Vec<Uuid> = (0..199).map(|_| Uuid::now_v7()).collect();
    at_the_bound.extend([founder1.client_id, founder1.client_id]);
    let response = app
        .post_json(
            "/v1/staff/clients/names",
            Some(&officer),
            &json!({ "client_ids": at_the_bound }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let malformed = app
        .post_json(
            "/v1/staff/clients/names",
            Some(&officer),
            &json!({ "client_ids": ["not-a-uuid"] }),
        )
        .await;
    assert_problem(malformed, &[400, 422], None).await;
}
