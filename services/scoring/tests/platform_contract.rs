//! The scoring service keeps the platform's HTTP contract: health, readiness that follows the
//! database, OpenAPI 3.1, problem+json errors, request ids.

use imkon_platform::config::HttpLimits;
use imkon_scoring::{app, migrator, AppState};
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn the_service_keeps_the_platform_contract(pool: PgPool) {
    migrator()
        .run(&pool)
        .await
        .expect("migrations apply to a fresh database");
    let limits = HttpLimits::default();
    let (issuer, verifier) = imkon_platform::testing::test_tokens(imkon_auth::Audience::Scoring);
    let caller = imkon_auth::Principal::user(
        imkon_platform::id::new_id(),
        [imkon_auth::Role::Admin],
        None,
        None,
    )
    .expect("an admin principal");
    let token = imkon_platform::testing::token(&issuer, &caller, imkon_auth::Audience::Scoring);
    imkon_platform::testing::assert_platform_contract(
        pool,
        |pool| {
            app(AppState {
                pool,
                limits,
                verifier: verifier.clone(),
            })
        },
        "/v1/scorecards",
        &token,
        limits.body_limit_bytes,
    )
    .await;
}
