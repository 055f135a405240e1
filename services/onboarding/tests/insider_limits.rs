//! Insider limits: what a member of staff may not do to their own account.

mod common;

use common::spawn;
use imkon_auth::Role;
use imkon_platform::testing::assert_problem;
use sqlx::PgPool;

const PASSWORD: &str = "officer-demo-pass";

#[sqlx::test(migrations = false)]
async fn an_admin_cannot_grant_themselves_a_role(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = app.create_account("admin1", PASSWORD, &[Role::Admin]).await;
    let token = app.token_for(admin, &[Role::Admin], None);

    let response = app
        .post_json(
            &format!("/v1/staff/{admin}/roles"),
            Some(&token),
            &serde_json::json!({ "roles": ["approver"] }),
        )
        .await;

    assert_problem(response, &[403], Some("own_roles")).await;
    let roles: Vec<String> =
        sqlx::query_scalar("select role from account_role where account_id = $1")
            .bind(admin)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(roles, ["admin"], "the roles stay as they were");
}

#[sqlx::test(migrations = false)]
async fn an_admin_still_grants_roles_to_another_member_of_staff(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = app.create_account("admin1", PASSWORD, &[Role::Admin]).await;
    let officer = app
        .create_account("credit1", PASSWORD, &[Role::CreditOfficer])
        .await;
    let token = app.token_for(admin, &[Role::Admin], None);

    let response = app
        .post_json(
            &format!("/v1/staff/{officer}/roles"),
            Some(&token),
            &serde_json::json!({ "roles": ["approver"] }),
        )
        .await;

    assert_eq!(response.status(), 200);
}
