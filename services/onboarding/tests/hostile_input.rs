//! Text PostgreSQL cannot store, sent by an anonymous caller or a founder, is refused at the
//! boundary with a 422 naming where it is, never a 500 from the database. Every request body
//! over one of the limits its DTO declares is refused the same way, naming the field by its
//! JSON path with the limit's code, before any work; the OpenAPI document shows the limits.

mod common;

use common::{company, pdf_bytes, registration, spawn, TestApp};
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// Asserts a 422 `validation_failed` whose only error names `field` with `code`.
async fn assert_limit(response: reqwest::Response, field: &str, code: &str) {
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    let errors = problem["errors"].as_array().expect("the fields at fault");
    assert_eq!(errors.len(), 1, "{problem}");
    assert_eq!(errors[0]["field"], field, "{problem}");
    assert_eq!(errors[0]["code"], code, "{problem}");
}

fn token(app: &TestApp, role: Role) -> String {
    app.token_for(Uuid::now_v7(), &[role], None)
}

#[sqlx::test(migrations = false)]
async fn a_nul_in_the_username_of_a_password_sign_in_is_refused_naming_the_username(pool: PgPool) {
    let app = spawn(pool).await;
    let response = app.login("founder\u{0}1", "any-password-at-all").await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "/username");
    assert_eq!(problem["errors"][0]["code"], "control_character");
}

#[sqlx::test(migrations = false)]
async fn a_nul_in_a_nested_field_of_an_anonymous_registration_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let mut body = registration("aziz", 11);
    body["address"]["street_line"] = "Amir Temur 1\u{0}".into();
    let response = app.post_json("/v1/registrations", None, &body).await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "/address/street_line");
    assert_eq!(app.count("login_account").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_nul_in_a_query_parameter_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("aziz", 12).await;
    let response = app
        .get("/v1/staff?role=kyc_officer%00", Some(&founder.token))
        .await;
    assert_problem(response, &[422], Some("validation_failed")).await;
}

#[sqlx::test(migrations = false)]
async fn an_upload_whose_file_name_holds_a_control_character_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("aziz", 13).await;
    let response = app
        .upload(
            &founder.token,
            "passport_scan",
            "pass\u{85}port.pdf",
            &pdf_bytes("x"),
            None,
        )
        .await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "file");
    assert_eq!(app.count("document").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_company_over_its_declared_limits_is_refused_naming_each_field(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("aziz", 21).await;
    let valid = company(founder.client_id, "301234567");

    let mut long_name = valid.clone();
    long_name["name"] = "x".repeat(201).into();
    let mut long_certificate = valid.clone();
    long_certificate["it_park_residency"]["certificate_number"] = "1".repeat(33).into();
    let mut too_many_founders = valid.clone();
    too_many_founders["founders"] = json!(vec![
        json!({ "client_id": founder.client_id, "share_percent": "1" });
        101
    ]);
    let mut too_many_representatives = valid.clone();
    too_many_representatives["representatives"] = json!(vec![
        json!({ "client_id": founder.client_id, "role": "director" });
        101
    ]);
    let mut both_identities = valid.clone();
    both_identities["founders"][1]["client_id"] = founder.client_id.to_string().into();
    let mut no_identity = valid.clone();
    no_identity["founders"][1]
        .as_object_mut()
        .unwrap()
        .remove("pinfl");

    for (body, field, code) in [
        (long_name, "name", "invalid_company"),
        (
            long_certificate,
            "it_park_residency.certificate_number",
            "invalid_company",
        ),
        (too_many_founders, "founders", "too_many"),
        (too_many_representatives, "representatives", "too_many"),
        (both_identities, "founders[1]", "founder_identity"),
        (no_identity, "founders[1]", "founder_identity"),
    ] {
        let response = app
            .post_json("/v1/me/companies", Some(&founder.token), &body)
            .await;
        assert_limit(response, field, code).await;
    }
    assert_eq!(app.count("company").await, 0);

    let anonymous = app
        .post_json(
            "/v1/me/companies",
            None,
            &json!({ "name": "x".repeat(201) }),
        )
        .await;
    assert_problem(anonymous, &[401], None).await;
}

#[sqlx::test(migrations = false)]
async fn a_registration_or_profile_over_its_declared_lengths_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let valid = registration("aziz", 22);
    let mut long_given_name = valid.clone();
    long_given_name["latin_name"]["given_name"] = "a".repeat(61).into();
    let mut long_patronymic = valid.clone();
    long_patronymic["cyrillic_name"]["patronymic"] = "б".repeat(61).into();
    let mut long_street = valid.clone();
    long_street["address"]["street_line"] = "x".repeat(201).into();
    let mut long_region = valid.clone();
    long_region["address"]["region"] = "x".repeat(101).into();
    let mut long_email = valid.clone();
    long_email["email"] = format!("{}@mail.uz", "a".repeat(250)).into();
    for (body, field, code) in [
        (long_given_name, "latin_name.given_name", "invalid_name"),
        (long_patronymic, "cyrillic_name.patronymic", "invalid_name"),
        (long_street, "address.street_line", "invalid_address"),
        (long_region, "address.region", "invalid_address"),
        (long_email.clone(), "email", "invalid_email"),
    ] {
        let response = app.post_json("/v1/registrations", None, &body).await;
        assert_limit(response, field, code).await;
    }
    assert_eq!(app.count("login_account").await, 0);

    let founder = app.register_founder("aziz", 22).await;
    let mut profile = long_email;
    profile.as_object_mut().unwrap().remove("username");
    profile.as_object_mut().unwrap().remove("password");
    let response = app
        .server
        .client
        .put(app.url("/v1/me/profile"))
        .bearer_auth(&founder.token)
        .json(&profile)
        .send()
        .await
        .unwrap();
    assert_limit(response, "email", "invalid_email").await;
}

#[sqlx::test(migrations = false)]
async fn a_client_search_or_names_lookup_over_its_limits_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let officer = token(&app, Role::CreditOfficer);
    let long = "k".repeat(201);
    for (path, field, code) in [
        (format!("/v1/staff/clients?q={long}"), "q", "invalid_query"),
        (
            "/v1/staff/clients?q=karimov&page=0".to_owned(),
            "page",
            "invalid_page",
        ),
        (
            "/v1/staff/clients?q=karimov&page_size=0".to_owned(),
            "page_size",
            "invalid_page_size",
        ),
    ] {
        assert_limit(app.get(&path, Some(&officer)).await, field, code).await;
    }
    let unreadable = app
        .get("/v1/staff/clients?q=karimov&page=-1", Some(&officer))
        .await;
    assert_problem(unreadable, &[400], Some("malformed_query")).await;
    let founder = app.register_founder("aziz", 23).await;
    let refused = app
        .get(&format!("/v1/staff/clients?q={long}"), Some(&founder.token))
        .await;
    assert_problem(refused, &[403], None).await;

    let too_many: Vec<Uuid> = (0..201).map(|_| Uuid::now_v7()).collect();
    let response = app
        .post_json(
            "/v1/staff/clients/names",
            Some(&officer),
            &json!({ "client_ids": too_many }),
        )
        .await;
    assert_limit(response, "client_ids", "too_many_client_ids").await;
}

#[sqlx::test(migrations = false)]
async fn staff_administration_over_its_declared_limits_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = token(&app, Role::Admin);
    let new_staff = |display_name: String, roles: Value| {
        json!({
            "username": "credit9",
            "password": "a-long-enough-password",
            "display_name": display_name,
            "roles": roles,
        })
    };
    let long_name = new_staff("x".repeat(201), json!(["credit_officer"]));
    let response = app.post_json("/v1/staff", Some(&admin), &long_name).await;
    assert_limit(response, "display_name", "invalid_display_name").await;
    let no_roles = new_staff("Credit Nine".to_owned(), json!([]));
    let response = app.post_json("/v1/staff", Some(&admin), &no_roles).await;
    assert_limit(response, "roles", "no_roles").await;
    let founder = app.register_founder("aziz", 24).await;
    let refused = app
        .post_json("/v1/staff", Some(&founder.token), &long_name)
        .await;
    assert_problem(refused, &[403], None).await;

    let account = Uuid::now_v7();
    let response = app
        .post_json(
            &format!("/v1/staff/{account}/roles"),
            Some(&admin),
            &json!({ "roles": [] }),
        )
        .await;
    assert_limit(response, "roles", "no_roles").await;
    let response = app
        .post_json(
            &format!("/v1/staff/{account}/external-identities"),
            Some(&admin),
            &json!({ "provider": "staff", "subject": "s".repeat(256) }),
        )
        .await;
    assert_limit(response, "subject", "invalid_subject").await;
}

#[sqlx::test(migrations = false)]
async fn kyc_notes_and_reasons_over_their_declared_length_are_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let officer = token(&app, Role::KycOfficer);
    let case = Uuid::now_v7();
    let document = Uuid::now_v7();
    let hit = Uuid::now_v7();
    let long = "n".repeat(2001);
    for (path, body, field, code) in [
        (
            format!("/v1/kyc/cases/{case}/request-revision"),
            json!({ "note": long }),
            "note",
            "invalid_note",
        ),
        (
            format!("/v1/kyc/cases/{case}/documents/{document}/decision"),
            json!({ "decision": "revision_requested", "note": long }),
            "note",
            "invalid_note",
        ),
        (
            format!("/v1/kyc/cases/{case}/screening-hits/{hit}/resolution"),
            json!({ "resolution": "false_positive", "reason": long }),
            "reason",
            "invalid_reason",
        ),
    ] {
        assert_limit(
            app.post_json(&path, Some(&officer), &body).await,
            field,
            code,
        )
        .await;
    }
    let founder = app.register_founder("aziz", 25).await;
    let refused = app
        .post_json(
            &format!("/v1/kyc/cases/{case}/request-revision"),
            Some(&founder.token),
            &json!({ "note": long }),
        )
        .await;
    assert_problem(refused, &[403], None).await;
}

#[sqlx::test(migrations = false)]
async fn a_reset_request_or_an_external_login_over_its_limits_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let long_email = format!("{}@mail.uz", "a".repeat(320));
    let response = app
        .post_json("/v1/password-resets", None, &json!({ "email": long_email }))
        .await;
    assert_limit(response, "email", "invalid_email").await;

    let start = "/v1/auth/external/oneid/start?redirect_uri=http%3A%2F%2Flocalhost%2Fback";
    assert_limit(app.get(start, None).await, "state", "invalid_request").await;
    let long_state = format!("{start}&state={}", "s".repeat(501));
    assert_limit(app.get(&long_state, None).await, "state", "invalid_request").await;

    let founder = app.register_founder("aziz", 26).await;
    let response = app
        .post_json(
            "/v1/auth/external/oneid/link",
            Some(&founder.token),
            &json!({ "redirect_uri": "http://localhost/back" }),
        )
        .await;
    assert_limit(response, "state", "invalid_request").await;
    let anonymous = app
        .post_json("/v1/auth/external/oneid/link", None, &json!({}))
        .await;
    assert_problem(anonymous, &[401], None).await;
}

#[sqlx::test(migrations = false)]
async fn the_openapi_document_carries_the_declared_limits(pool: PgPool) {
    let app = spawn(pool).await;
    let document: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let schemas = &document["components"]["schemas"];
    let company = &schemas["CompanyRequest"]["properties"];
    assert_eq!(
        company["name"]["maxLength"],
        imkon_onboarding::domain::company::COMPANY_NAME_MAX_CHARS,
        "{company}"
    );
    assert_eq!(company["founders"]["maxItems"], 100, "{company}");
    let residency = &schemas["ItParkResidencyDto"]["properties"];
    assert_eq!(
        residency["certificate_number"]["maxLength"],
        imkon_onboarding::domain::company::CERTIFICATE_NUMBER_MAX_CHARS
    );
    let staff = &schemas["NewStaffRequest"]["properties"];
    assert_eq!(staff["display_name"]["maxLength"], 200, "{staff}");
    assert_eq!(staff["roles"]["minItems"], 1);
    let address = &schemas["AddressDto"]["properties"];
    assert_eq!(
        address["street_line"]["maxLength"],
        imkon_onboarding::domain::contact::ADDRESS_STREET_LINE_MAX_CHARS
    );
    assert_eq!(
        schemas["NameDto"]["properties"]["surname"]["maxLength"],
        imkon_onboarding::domain::person_name::NAME_PART_MAX_CHARS
    );
    assert_eq!(
        schemas["HitResolutionRequest"]["properties"]["reason"]["maxLength"],
        imkon_onboarding::domain::kyc::REVIEW_NOTE_MAX_CHARS
    );
    let search = document["paths"]["/v1/staff/clients"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|parameter| parameter["name"] == "q")
        .cloned()
        .unwrap();
    assert_eq!(search["schema"]["maxLength"], 200, "{search}");
    assert_eq!(search["schema"]["minLength"], 2, "{search}");
}
