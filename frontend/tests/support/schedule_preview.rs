//! The disbursement service's real `POST /v1/schedules/preview`, for the pages that need only
//! the loan calculator: the service's own router, so the frontend is tested against its real
//! schedules, refusals and wire format.
//!
//! The preview reads no database and moves no money, so the service runs over a pool that can
//! never connect and a ledger at an address where nothing listens: were the preview ever to
//! touch either, these tests would fail loudly instead of passing against a stand-in.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use imkon_auth::Audience;
use imkon_disbursement::ledger::HttpLedger;
use imkon_platform::calendar::BankCalendar;
use imkon_platform::client::ServiceClient;
use imkon_platform::config::HttpLimits;
use imkon_platform::service_tokens::ServiceTokens;
use imkon_platform::testing::{service_principal, test_tokens};
use sqlx::postgres::PgPoolOptions;

/// Nothing listens here: port 1 on the loopback interface.
const NOWHERE: &str = "postgres://nobody@127.0.0.1:1/nothing";

/// The disbursement service's complete router.
pub fn router() -> Router {
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy(NOWHERE)
        .expect("a well-formed database URL");
    let (issuer, verifier) = test_tokens(Audience::Disbursement);
    let ledger = HttpLedger::new(
        ServiceClient::new(Duration::from_secs(1)).expect("an HTTP client"),
        ServiceTokens::local(issuer, service_principal("disbursement")),
        "http://127.0.0.1:1",
    );
    imkon_disbursement::app(imkon_disbursement::AppState {
        pool,
        limits: HttpLimits::default(),
        verifier,
        ledger: Arc::new(ledger),
        backdating_window_days:
            imkon_disbursement::domain::bank_dates::DEFAULT_BACKDATING_WINDOW_DAYS,
        unsigned_cancel_after_days:
            imkon_disbursement::domain::bank_dates::DEFAULT_UNSIGNED_CANCEL_AFTER_DAYS,
        calendar: BankCalendar::default(),
    })
}
