//! The applications service keeps the platform's HTTP contract: health, readiness that follows the
//! database, OpenAPI 3.1, problem+json errors, request ids.

mod common;

use std::sync::Arc;

use common::{FixedDirectory, InProcessScorer};
use imkon_applications::{app, migrator, AppState};
use imkon_platform::config::HttpLimits;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn the_service_keeps_the_platform_contract(pool: PgPool) {
    migrator()
        .run(&pool)
        .await
        .expect("migrations apply to a fresh database");
    let limits = HttpLimits::default();
    let (issuer, verifier) =
        imkon_platform::testing::test_tokens(imkon_auth::Audience::Applications);
    let caller = imkon_platform::testing::service_principal("applications");
    let token =
        imkon_platform::testing::token(&issuer, &caller, imkon_auth::Audience::Applications);
    imkon_platform::testing::assert_platform_contract(
        pool,
        |pool| {
            app(AppState {
                pool,
                limits,
                verifier: verifier.clone(),
                kyc: Arc::new(FixedDirectory::default()),
                scorer: Arc::new(InProcessScorer::default()),
                loans: Arc::new(FixedDirectory::default()),
                calendar: imkon_platform::calendar::BankCalendar::default(),
            })
        },
        "/v1/events",
        &token,
        limits.body_limit_bytes,
    )
    .await;
}
