//! The demo data: complete, idempotent, and usable through the API.

mod common;

use common::spawn;
use imkon_auth::Role;
use imkon_onboarding::seed_demo;
use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn seeding_twice_creates_everything_once_and_the_demo_logins_work(pool: PgPool) {
    let app = spawn(pool).await;
    let first = seed_demo(&app.pool, &app.second_factor_key, &app.calendar)
        .await
        .expect("the first seeding works");
    let second = seed_demo(&app.pool, &app.second_factor_key, &app.calendar)
        .await
        .expect("seeding again works");
    assert_eq!(first, second);
    assert_eq!(first.0.len(), 10);
    for role in [
        Role::KycOfficer,
        Role::CreditOfficer,
        Role::Approver,
        Role::Finance,
        Role::Admin,
        Role::Client,
    ] {
        assert!(
            first.0.iter().any(|login| login.roles.contains(&role)),
            "{role}"
        );
    }
    assert_eq!(app.count("login_account").await, 10);
    assert_eq!(app.count("person").await, 4);
    assert_eq!(app.count("company").await, 2);

    for login in &first.0 {
        let body = app.full_login(login.username, login.password).await;
        assert!(body["refresh_token"].is_string(), "{}", login.username);
        assert_eq!(login.totp_secret.is_some(), login.roles != [Role::Client]);
    }

    let founder1: Value = app
        .login("founder1", "founder1-demo-pass")
        .await
        .json()
        .await
        .unwrap();
    let client_id = founder1["principal"]["client_id"].as_str().unwrap();
    let kyc: Value = app
        .get(
            &format!("/v1/clients/{client_id}/kyc"),
            Some(&app.service_token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kyc["status"], "approved");
    assert_eq!(kyc["companies"][0]["status"], "approved");
    let summary: Value = app
        .get(
            &format!("/v1/clients/{client_id}"),
            Some(&app.service_token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(summary["kyc_status"], "approved");
    assert_eq!(summary["companies"][0]["kyc_status"], "approved");
    assert_eq!(summary["companies"][0]["it_park_resident"], true);

    let officer = app.token_for(uuid::Uuid::now_v7(), &[Role::KycOfficer], None);
    let pending: Value = app
        .get("/v1/kyc/cases?status=pending_review", Some(&officer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 1);
    // founder3 (Qodirov Timur Sanjarovich) nearly matches the demo list's Cyrillic entry, so
    // the hit workflow can be seen; the approved founders match nothing.
    let hits = pending[0]["screening_hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{pending}");
    assert_eq!(hits[0]["entry_full_name"], "Кодиров Тимур Санжарович");
    assert_eq!(hits[0]["screened_name"], "Qodirov Timur Sanjarovich");
    assert!(hits[0]["resolution"].is_null());
    assert_eq!(app.count("watch_list_import").await, 1);
    assert_eq!(app.count("screening_hit").await, 1);

    let approvals: i64 = sqlx::query_scalar(
        "select count(*) from outbox_event where topic in ('client.kyc_approved', 'company.kyc_approved')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // founder1's and founder2's person and company, and client1's person.
    assert_eq!(approvals, 5);
}
