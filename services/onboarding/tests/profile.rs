//! Registration, the founder's own profile, companies, and the summary other services read.

mod common;

use common::{company, date, pinfl_for, registration, spawn};
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn a_founder_registers_logs_in_and_reads_their_profile_in_canonical_form(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;

    let login = app.login("founder1", "founder1-demo-pass").await;
    assert_eq!(login.status(), 200);
    let login: serde_json::Value = login.json().await.unwrap();
    assert_eq!(login["principal"]["roles"], serde_json::json!(["client"]));
    assert_eq!(
        login["principal"]["client_id"],
        founder.client_id.to_string()
    );
    assert_eq!(login["principal"]["name"], "Karimov Aziz Botirovich");
    assert_eq!(
        login["principal"]["cyrillic_name"], "Каримов Азиз Ботирович",
        "the Cyrillic name on file, for pages in uz-Cyrl and ru"
    );

    let profile = app.get("/v1/me/profile", Some(&founder.token)).await;
    assert_eq!(profile.status(), 200);
    let profile: serde_json::Value = profile.json().await.unwrap();
    assert_eq!(profile["phone"], "998901234567");
    assert_eq!(profile["passport"]["number"], "AB0000001");
    assert_eq!(profile["cyrillic_name"]["surname"], "Каримов");
    assert_eq!(profile["birth_date"], "1990-05-15");
    assert_eq!(app.audit_count("client.register").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_second_registration_with_a_taken_username_is_a_conflict(pool: PgPool) {
    let app = spawn(pool).await;
    app.register_founder("founder1", 1).await;

    let mut same_username = registration("founder1", 2);
    same_username["passport"]["number"] = "AB7777777".into();
    let response = app
        .post_json("/v1/registrations", None, &same_username)
        .await;

    assert_problem(response, &[409], Some("username_taken")).await;
    assert_eq!(app.count("person").await, 1);
    assert_eq!(app.count("login_account").await, 1);
}

#[sqlx::test(migrations = false)]
async fn registration_answers_alike_whether_or_not_a_pinfl_or_passport_is_already_a_client(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    app.register_founder("founder1", 1).await;
    let mut same_pinfl = registration("founder2", 3);
    same_pinfl["pinfl"] = pinfl_for(date("1990-05-15"), 1).into();
    let mut same_passport = registration("founder3", 4);
    same_passport["passport"]["number"] = "AB0000001".into();
    let mut unknown_pinfl = registration("founder4", 5);
    unknown_pinfl["pinfl"] = pinfl_for(date("1990-05-15"), 9).into();

    for body in [same_pinfl, same_passport, unknown_pinfl] {
        let response = app.post_json("/v1/registrations", None, &body).await;
        assert_eq!(response.status(), 201, "{body}");
    }
    assert_eq!(app.count("person").await, 4);
}

#[sqlx::test(migrations = false)]
async fn invalid_registrations_are_refused_naming_the_field_and_store_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let valid = registration("founder1", 1);
    let pinfl = valid["pinfl"].as_str().unwrap().to_owned();
    let last_digit = pinfl.as_bytes()[13] - b'0';
    let wrong_check_digit = format!("{}{}", &pinfl[..13], (last_digit + 1) % 10);

    let mut bad_check_digit = valid.clone();
    bad_check_digit["pinfl"] = wrong_check_digit.into();
    let mut other_birth_date = valid.clone();
    other_birth_date["birth_date"] = "1990-05-16".into();
    let mut expired_passport = valid.clone();
    expired_passport["passport"]["issue_date"] = "2010-01-01".into();
    expired_passport["passport"]["expiry_date"] = "2020-01-01".into();
    let mut bad_phone = valid.clone();
    bad_phone["phone"] = "90 123 45 67".into();
    let mut latin_in_cyrillic = valid.clone();
    latin_in_cyrillic["cyrillic_name"]["surname"] = "Karimov".into();
    let mut unknown_language = valid.clone();
    unknown_language["language"] = "de".into();

    for (body, field) in [
        (bad_check_digit, "pinfl"),
        (other_birth_date, "birth_date"),
        (expired_passport, "passport.expiry_date"),
        (bad_phone, "phone"),
        (latin_in_cyrillic, "cyrillic_name.surname"),
        (unknown_language, "language"),
    ] {
        let response = app.post_json("/v1/registrations", None, &body).await;
        let problem = assert_problem(response, &[422], Some("validation_failed")).await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    assert_eq!(app.count("person").await, 0);
    assert_eq!(app.count("login_account").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_profile_change_is_audited_with_before_and_after_and_the_pinfl_cannot_change(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let mut profile = registration("founder1", 1);
    profile["phone"] = "998 93 765 43 21".into();
    let response = app
        .server
        .client
        .put(app.url("/v1/me/profile"))
        .bearer_auth(&founder.token)
        .json(&profile)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "select before, after from audit_record where action = 'client.update_profile'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(before["phone"], "998901234567");
    assert_eq!(after["phone"], "998937654321");

    profile["pinfl"] = pinfl_for(date("1990-05-15"), 2).into();
    let response = app
        .server
        .client
        .put(app.url("/v1/me/profile"))
        .bearer_auth(&founder.token)
        .json(&profile)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "pinfl");
}

#[sqlx::test(migrations = false)]
async fn a_founder_registers_a_company_and_lists_it(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let response = app
        .post_json(
            "/v1/me/companies",
            Some(&founder.token),
            &company(founder.client_id, "301234567"),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.unwrap();
    assert_eq!(created["founders"][1]["share_percent"], "40.00");
    assert_eq!(created["representatives"][0]["role"], "director");
    assert_eq!(
        created["representatives"][0]["client_id"],
        founder.client_id.to_string()
    );

    let listed: serde_json::Value = app
        .get("/v1/me/companies", Some(&founder.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["stir"], "301234567");

    let again = app
        .post_json(
            "/v1/me/companies",
            Some(&founder.token),
            &company(founder.client_id, "301234567"),
        )
        .await;
    assert_problem(again, &[409], Some("stir_taken")).await;
    assert_eq!(app.audit_count("company.register").await, 1);
}

#[sqlx::test(migrations = false)]
async fn founders_shares_over_a_hundred_percent_are_refused_and_nothing_is_stored(pool: PgPool) {
    let app = spawn(pool).await;
    let founder = app.register_founder("founder1", 1).await;
    let mut over = company(founder.client_id, "301234567");
    over["founders"][1]["share_percent"] = "40.01".into();
    let response = app
        .post_json("/v1/me/companies", Some(&founder.token), &over)
        .await;
    let problem = assert_problem(response, &[422], Some("validation_failed")).await;
    assert_eq!(problem["errors"][0]["field"], "founders");

    let mut unknown_founder = company(founder.client_id, "301234567");
    unknown_founder["founders"][0]["client_id"] = uuid::Uuid::now_v7().to_string().into();
    let response = app
        .post_json("/v1/me/companies", Some(&founder.token), &unknown_founder)
        .await;
    let problem = assert_problem(response, &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "founders[0].client_id");
    assert_eq!(app.count("company").await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_language_chosen_at_registration_reaches_the_summary_and_the_profile_can_change_it(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let mut body = registration("founder1", 1);
    body["language"] = "ru".into();
    let founder = app.register_founder_with(&body).await;
    let path = format!("/v1/clients/{}", founder.client_id);
    let summary: serde_json::Value = app
        .get(&path, Some(&app.service_token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        summary["language"], "ru",
        "applications writes notifications in it"
    );

    let mut profile = registration("founder1", 1);
    let put = |profile: serde_json::Value| {
        app.server
            .client
            .put(app.url("/v1/me/profile"))
            .bearer_auth(&founder.token)
            .json(&profile)
            .send()
    };
    assert_eq!(put(profile.clone()).await.unwrap().status(), 200);
    let summary: serde_json::Value = app
        .get(&path, Some(&app.service_token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        summary["language"], "ru",
        "a change that names no language keeps it"
    );

    profile["language"] = "uz-Cyrl".into();
    let changed: serde_json::Value = put(profile.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(changed["language"], "uz-Cyrl");
    profile["language"] = "klingon".into();
    let problem = assert_problem(put(profile).await.unwrap(), &[422], None).await;
    assert_eq!(problem["errors"][0]["field"], "language");
    let summary: serde_json::Value = app
        .get(&path, Some(&app.service_token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(summary["language"], "uz-Cyrl");
}

#[sqlx::test(migrations = false)]
async fn services_and_staff_read_a_client_summary_and_a_founder_only_their_own(pool: PgPool) {
    let app = spawn(pool).await;
    let first = app.register_founder("founder1", 1).await;
    let second = app.register_founder("founder2", 2).await;
    app.post_json(
        "/v1/me/companies",
        Some(&first.token),
        &company(first.client_id, "301234567"),
    )
    .await;
    let path = format!("/v1/clients/{}", first.client_id);

    let summary = app.get(&path, Some(&app.service_token())).await;
    assert_eq!(summary.status(), 200);
    let summary: serde_json::Value = summary.json().await.unwrap();
    assert_eq!(summary["birth_date"], "1990-05-15");
    assert_eq!(summary["kyc_status"], "new");
    assert_eq!(
        summary["email"], "aziz@example.uz",
        "applications mails notifications there"
    );
    assert_eq!(
        summary["language"],
        serde_json::Value::Null,
        "no language was chosen at registration"
    );
    assert_eq!(summary["companies"][0]["registration_date"], "2022-03-01");
    // The founder typed residency dates covering today, but no KYC officer has accepted the
    // company's IT Park certificate yet.
    assert_eq!(summary["companies"][0]["kyc_status"], "new");
    assert_eq!(summary["companies"][0]["it_park_resident"], false);
    assert_eq!(
        summary["companies"][0]["founders"],
        serde_json::json!([
            { "client_id": first.client_id, "birth_date": "1990-05-15", "share_percent": "60.00" },
            { "client_id": null, "birth_date": "1988-02-03", "share_percent": "40.00" }
        ]),
        "each founder's birth date, from the profile or the PINFL, and no PINFL passed on"
    );

    let officer = app.token_for(uuid::Uuid::now_v7(), &[Role::CreditOfficer], None);
    assert_eq!(app.get(&path, Some(&officer)).await.status(), 200);
    assert_eq!(app.get(&path, Some(&first.token)).await.status(), 200);
    assert_problem(app.get(&path, Some(&second.token)).await, &[404], None).await;
    assert_problem(app.get(&path, None).await, &[401], None).await;
}
