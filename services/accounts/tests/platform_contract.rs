//! The accounts service keeps the platform's HTTP contract: health, readiness that follows the
//! database, OpenAPI 3.1, problem+json errors, request ids.

use imkon_accounts::{app, migrator, AppState};
use imkon_platform::config::HttpLimits;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn the_service_keeps_the_platform_contract(pool: PgPool) {
    migrator()
        .run(&pool)
        .await
        .expect("migrations apply to a fresh database");
    let limits = HttpLimits::default();
    let (issuer, verifier) = imkon_platform::testing::test_tokens(imkon_auth::Audience::Accounts);
    let caller = imkon_platform::testing::service_principal("disbursement");
    let token = imkon_platform::testing::token(&issuer, &caller, imkon_auth::Audience::Accounts);
    imkon_platform::testing::assert_platform_contract(
        pool,
        |pool| app(AppState::new(pool, limits, verifier.clone())),
        "/v1/events",
        &token,
        limits.body_limit_bytes,
    )
    .await;
}
