//! The disbursement service keeps the platform's HTTP contract: health, readiness that follows the
//! database, OpenAPI 3.1, problem+json errors, request ids.

mod support;

use std::sync::Arc;

use imkon_disbursement::ledger::Ledger;
use imkon_disbursement::{app, migrator, AppState};
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
        imkon_platform::testing::test_tokens(imkon_auth::Audience::Disbursement);
    let ledger: Arc<dyn Ledger> = Arc::new(support::TestLedger::create(&pool).await);
    let caller = imkon_platform::testing::service_principal("applications");
    let token =
        imkon_platform::testing::token(&issuer, &caller, imkon_auth::Audience::Disbursement);
    imkon_platform::testing::assert_platform_contract(
        pool,
        |pool| {
            app(AppState {
                pool,
                limits,
                verifier: verifier.clone(),
                ledger: ledger.clone(),
                backdating_window_days:
                    imkon_disbursement::domain::bank_dates::DEFAULT_BACKDATING_WINDOW_DAYS,
                unsigned_cancel_after_days:
                    imkon_disbursement::domain::bank_dates::DEFAULT_UNSIGNED_CANCEL_AFTER_DAYS,
                calendar: imkon_platform::calendar::BankCalendar::default(),
            })
        },
        "/v1/schedules/preview",
        &token,
        limits.body_limit_bytes,
    )
    .await;
}
