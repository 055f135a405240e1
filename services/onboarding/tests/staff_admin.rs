//! Staff administration over HTTP: revoking roles, disabling and enabling accounts, unlocking
//! them and one-time passwords, with every refusal an admin can meet.

mod common;

use common::{spawn, TestApp};
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use sqlx::PgPool;
use uuid::Uuid;

const PASSWORD: &str = "officer-demo-pass";

async fn admin(app: &TestApp, username: &str) -> (Uuid, String) {
    let id = app.create_account(username, PASSWORD, &[Role::Admin]).await;
    (id, app.token_for(id, &[Role::Admin], None))
}

async fn post(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.post_json(path, Some(token), &serde_json::json!({}))
        .await
}

#[sqlx::test(migrations = false)]
async fn an_admin_grants_and_revokes_a_role_with_before_and_after_audited(pool: PgPool) {
    let app = spawn(pool).await;
    let (_, token) = admin(&app, "admin1").await;
    let officer = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let granted = app
        .post_json(
            &format!("/v1/staff/{officer}/roles"),
            Some(&token),
            &serde_json::json!({ "roles": ["credit_officer"] }),
        )
        .await;
    assert_eq!(granted.status(), 200);
    let revoked = app
        .post_json(
            &format!("/v1/staff/{officer}/roles/revoke"),
            Some(&token),
            &serde_json::json!({ "roles": ["credit_officer"] }),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    let body: serde_json::Value = revoked.json().await.unwrap();
    assert_eq!(body["roles"], serde_json::json!(["kyc_officer"]));
    assert_eq!(body["disabled"], false);
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "select before, after from audit_record where action = 'staff.revoke_roles'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        before["roles"],
        serde_json::json!(["kyc_officer", "credit_officer"])
    );
    assert_eq!(after["roles"], serde_json::json!(["kyc_officer"]));
}

#[sqlx::test(migrations = false)]
async fn an_admin_may_not_grant_or_revoke_their_own_roles(pool: PgPool) {
    let app = spawn(pool).await;
    let (me, token) = admin(&app, "admin1").await;
    for path in ["roles", "roles/revoke"] {
        let refused = app
            .post_json(
                &format!("/v1/staff/{me}/{path}"),
                Some(&token),
                &serde_json::json!({ "roles": ["approver"] }),
            )
            .await;
        assert_problem(refused, &[403], Some("own_roles")).await;
    }
    assert_eq!(app.count("account_role where role = 'approver'").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_staff_role_is_never_granted_to_a_client_account(pool: PgPool) {
    let app = spawn(pool).await;
    let (_, token) = admin(&app, "admin1").await;
    let founder = app.register_founder("founder1", 1).await;
    let refused = app
        .post_json(
            &format!("/v1/staff/{}/roles", founder.account_id),
            Some(&token),
            &serde_json::json!({ "roles": ["approver"] }),
        )
        .await;
    assert_problem(refused, &[409], Some("not_a_staff_account")).await;
    assert_eq!(app.count("account_role where role = 'approver'").await, 0);
    let not_disabled = post(
        &app,
        &format!("/v1/staff/{}/disable", founder.account_id),
        &token,
    )
    .await;
    assert_problem(not_disabled, &[409], Some("not_a_staff_account")).await;
}

#[sqlx::test(migrations = false)]
async fn only_admins_administer_staff(pool: PgPool) {
    let app = spawn(pool).await;
    let officer = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let other = app
        .create_account("credit1", PASSWORD, &[Role::CreditOfficer])
        .await;
    let token = app.token_for(officer, &[Role::KycOfficer], None);
    for path in ["disable", "enable", "unlock", "one-time-password"] {
        let refused = post(&app, &format!("/v1/staff/{other}/{path}"), &token).await;
        assert_eq!(refused.status(), 403, "{path}");
    }
    let unsigned = app
        .post_json(
            &format!("/v1/staff/{other}/disable"),
            None,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(unsigned.status(), 401);
    assert_eq!(
        app.count("login_account where disabled_at is not null")
            .await,
        0
    );
}

#[sqlx::test(migrations = false)]
async fn a_disabled_account_cannot_sign_in_or_refresh_until_enabled_again(pool: PgPool) {
    let app = spawn(pool).await;
    let (_, token) = admin(&app, "admin1").await;
    let officer = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let login = app.full_login("kyc1", PASSWORD).await;
    let refresh_token = login["refresh_token"].as_str().unwrap().to_owned();

    let disabled = post(&app, &format!("/v1/staff/{officer}/disable"), &token).await;
    assert_eq!(disabled.status(), 200);
    let body: serde_json::Value = disabled.json().await.unwrap();
    assert_eq!(body["disabled"], true);

    assert_problem(
        app.login("kyc1", PASSWORD).await,
        &[403],
        Some("account_disabled"),
    )
    .await;
    let refreshed = app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("audience", "onboarding"),
        ])
        .await;
    assert_eq!(refreshed.status(), 400, "the session ended when disabled");
    let after: serde_json::Value =
        sqlx::query_scalar("select after from audit_record where action = 'staff.disable'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(after["disabled"], true);
    assert_eq!(after["sessions_ended"], 1);

    let enabled = post(&app, &format!("/v1/staff/{officer}/enable"), &token).await;
    assert_eq!(enabled.status(), 200);
    app.full_login("kyc1", PASSWORD).await;
}

#[sqlx::test(migrations = false)]
async fn the_last_enabled_admin_is_never_disabled_nor_loses_the_role(pool: PgPool) {
    let app = spawn(pool).await;
    let (first, first_token) = admin(&app, "admin1").await;
    let (second, second_token) = admin(&app, "admin2").await;
    assert_problem(
        post(&app, &format!("/v1/staff/{first}/disable"), &first_token).await,
        &[403],
        Some("own_account"),
    )
    .await;
    assert_eq!(
        post(&app, &format!("/v1/staff/{second}/disable"), &first_token)
            .await
            .status(),
        200
    );
    // admin1 is the last enabled admin now. admin2's access token still works until it
    // expires (only refresh tokens are revoked), and cannot take admin1 away either.
    assert_problem(
        post(&app, &format!("/v1/staff/{first}/disable"), &second_token).await,
        &[409],
        Some("last_admin"),
    )
    .await;
    let revoked = app
        .post_json(
            &format!("/v1/staff/{first}/roles/revoke"),
            Some(&second_token),
            &serde_json::json!({ "roles": ["admin"] }),
        )
        .await;
    assert_problem(revoked, &[409], Some("last_admin")).await;
    assert_eq!(
        app.count("login_account where disabled_at is null").await,
        1,
        "admin1 stays enabled"
    );
}

#[sqlx::test(migrations = false)]
async fn two_admins_disabling_each_other_at_once_leave_one_enabled(pool: PgPool) {
    let app = spawn(pool).await;
    let (first, first_token) = admin(&app, "admin1").await;
    let (second, second_token) = admin(&app, "admin2").await;
    let disable_second = format!("/v1/staff/{second}/disable");
    let disable_first = format!("/v1/staff/{first}/disable");
    for _ in 0..3 {
        let (one, two) = tokio::join!(
            post(&app, &disable_second, &first_token),
            post(&app, &disable_first, &second_token),
        );
        let statuses = [one.status().as_u16(), two.status().as_u16()];
        let enabled_admins: i64 = sqlx::query_scalar(
            "select count(*) from login_account a join account_role r on r.account_id = a.id
             where r.role = 'admin' and a.disabled_at is null",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(enabled_admins, 1, "{statuses:?}");
        assert!(statuses.contains(&409), "{statuses:?}");
        sqlx::query("update login_account set disabled_at = null")
            .execute(&app.pool)
            .await
            .unwrap();
    }
}

#[sqlx::test(migrations = false)]
async fn an_admin_unlocks_an_account_that_failures_locked(pool: PgPool) {
    let app = spawn(pool).await;
    let (_, token) = admin(&app, "admin1").await;
    let officer = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    for _ in 0..5 {
        assert_eq!(app.login("kyc1", "wrong-password-1").await.status(), 401);
    }
    assert_eq!(app.login("kyc1", PASSWORD).await.status(), 429);
    let page: serde_json::Value = app
        .get("/v1/staff", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let listed = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["id"] == officer.to_string())
        .unwrap()
        .clone();
    assert!(listed["locked_until"].is_string(), "{listed}");

    let unlocked = post(&app, &format!("/v1/staff/{officer}/unlock"), &token).await;
    assert_eq!(unlocked.status(), 200);
    let body: serde_json::Value = unlocked.json().await.unwrap();
    assert!(body["locked_until"].is_null(), "{body}");
    app.full_login("kyc1", PASSWORD).await;
    assert_eq!(app.audit_count("staff.unlock").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_one_time_password_must_be_changed_at_the_next_sign_in(pool: PgPool) {
    let app = spawn(pool).await;
    let (_, token) = admin(&app, "admin1").await;
    let officer = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let issued = post(
        &app,
        &format!("/v1/staff/{officer}/one-time-password"),
        &token,
    )
    .await;
    assert_eq!(issued.status(), 200);
    let issued: serde_json::Value = issued.json().await.unwrap();
    let one_time = issued["password"].as_str().unwrap().to_owned();
    assert_eq!(
        app.login("kyc1", PASSWORD).await.status(),
        401,
        "the old one is gone"
    );

    let step = app.login("kyc1", &one_time).await;
    assert_eq!(step.status(), 202);
    let step: serde_json::Value = step.json().await.unwrap();
    assert_eq!(step["step"], "change_password");
    assert!(step.get("refresh_token").is_none(), "no tokens yet: {step}");
    let ticket = step["ticket"].as_str().unwrap();

    let changed = app
        .post_json(
            "/v1/password-resets/complete",
            None,
            &serde_json::json!({ "ticket": ticket, "new_password": "a-new-officer-pass" }),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(app.login("kyc1", &one_time).await.status(), 401);
    app.full_login("kyc1", "a-new-officer-pass").await;
    let audited: serde_json::Value = sqlx::query_scalar(
        "select after from audit_record where action = 'staff.one_time_password'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        !audited.to_string().contains(&one_time),
        "never the password itself"
    );
}
