//! The staff directory: who may read it, the role filter, and its pages.

mod common;

use common::{spawn, spawn_with_limits};
use imkon_auth::Role;
use imkon_onboarding::config::LoginSettings;
use imkon_platform::config::HttpLimits;
use imkon_platform::testing::assert_problem;
use sqlx::PgPool;

const PASSWORD: &str = "officer-demo-pass";

fn usernames(page: &serde_json::Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("a page has items")
        .iter()
        .map(|account| account["username"].as_str().expect("a local username"))
        .collect()
}

#[sqlx::test(migrations = false)]
async fn any_staff_member_lists_the_credit_officers_with_their_names_and_roles(pool: PgPool) {
    let app = spawn(pool).await;
    let kyc = app
        .create_account("kyc1", PASSWORD, &[Role::KycOfficer])
        .await;
    let second = app
        .create_account("credit2", PASSWORD, &[Role::CreditOfficer])
        .await;
    app.create_account("credit1", PASSWORD, &[Role::CreditOfficer, Role::Approver])
        .await;
    app.create_account("approver1", PASSWORD, &[Role::Approver])
        .await;
    let founder = app.register_founder("founder1", 1).await;
    let founder_account = founder.account_id;

    let token = app.token_for(kyc, &[Role::KycOfficer], None);
    let response = app.get("/v1/staff?role=credit_officer", Some(&token)).await;
    assert_eq!(response.status(), 200);
    let page: serde_json::Value = response.json().await.unwrap();
    assert_eq!(usernames(&page), ["credit1", "credit2"], "by display name");
    let second_view = &page["items"][1];
    assert_eq!(second_view["id"], second.to_string());
    assert_eq!(second_view["display_name"], "credit2");
    assert_eq!(second_view["roles"], serde_json::json!(["credit_officer"]));
    assert_eq!(
        page["items"][0]["roles"],
        serde_json::json!(["credit_officer", "approver"])
    );
    assert!(page.get("next_offset").is_some_and(|next| next.is_null()));

    let everyone = app.get("/v1/staff", Some(&token)).await;
    let everyone: serde_json::Value = everyone.json().await.unwrap();
    let listed = usernames(&everyone);
    assert_eq!(listed.len(), 4, "every staff account: {listed:?}");
    let document: serde_json::Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert!(
        document["paths"]["/v1/staff"]["get"].is_object(),
        "the directory is documented"
    );
    assert!(
        !everyone["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|account| account["id"] == founder_account.to_string()),
        "a founder is not staff"
    );
}

#[sqlx::test(migrations = false)]
async fn founders_and_strangers_may_not_read_the_staff_directory(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_account("credit1", PASSWORD, &[Role::CreditOfficer])
        .await;
    let founder = app.register_founder("founder1", 1).await;
    let refused = app
        .get("/v1/staff?role=credit_officer", Some(&founder.token))
        .await;
    assert_problem(refused, &[403], Some("forbidden")).await;
    assert_problem(app.get("/v1/staff", None).await, &[401], None).await;
    let service = app.service_token();
    assert_problem(app.get("/v1/staff", Some(&service)).await, &[403], None).await;
}

#[sqlx::test(migrations = false)]
async fn the_directory_refuses_a_role_that_is_unknown_or_not_staff(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = app.create_account("admin1", PASSWORD, &[Role::Admin]).await;
    let token = app.token_for(admin, &[Role::Admin], None);
    for (role, code) in [("wizard", "unknown_role"), ("client", "not_a_staff_role")] {
        let refused = assert_problem(
            app.get(&format!("/v1/staff?role={role}"), Some(&token))
                .await,
            &[422],
            Some("validation_failed"),
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "role", "{role}");
        assert_eq!(refused["errors"][0]["code"], code, "{role}");
    }
}

#[sqlx::test(migrations = false)]
async fn the_directory_comes_in_pages_no_larger_than_the_services_page_size(pool: PgPool) {
    let limits = HttpLimits {
        max_page_size: 3,
        ..HttpLimits::default()
    };
    let app = spawn_with_limits(pool, LoginSettings::default(), limits).await;
    let admin = app.create_account("admin1", PASSWORD, &[Role::Admin]).await;
    for name in ["credit1", "credit2", "credit3"] {
        app.create_account(name, PASSWORD, &[Role::CreditOfficer])
            .await;
    }
    let token = app.token_for(admin, &[Role::Admin], None);
    let first: serde_json::Value = app
        .get("/v1/staff?role=credit_officer&limit=2", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(usernames(&first), ["credit1", "credit2"]);
    assert_eq!(first["next_offset"], 2);
    let second: serde_json::Value = app
        .get(
            "/v1/staff?role=credit_officer&limit=2&offset=2",
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(usernames(&second), ["credit3"]);
    assert!(second["next_offset"].is_null());

    // A limit of zero is raised to one, and one above the page size (three here) is lowered
    // to it.
    let one: serde_json::Value = app
        .get("/v1/staff?limit=0", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(usernames(&one).len(), 1);
    let capped: serde_json::Value = app
        .get("/v1/staff?limit=1000000", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(usernames(&capped), ["admin1", "credit1", "credit2"]);
    assert_eq!(capped["next_offset"], 3);
}
