//! For other crates' tests (feature `testing`): the second-factor code a staff login needs.
//!
//! Tests sign the same person in several times within one 30-second step, and onboarding
//! accepts each step's code once; so the code given is the next one onboarding has not
//! accepted yet, read from its database, as an authenticator would show a little later.

use std::time::Duration;

use sqlx::PgPool;

use crate::domain::totp::TotpSecret;
use crate::seed::demo_totp_secret;

/// A code of `secret` that onboarding (on `pool`) has not accepted yet for `username`;
/// waits for the next time step when every open step is used.
pub async fn unused_code(pool: &PgPool, username: &str, secret: &TotpSecret) -> String {
    loop {
        let last_used_step: i64 = sqlx::query_scalar(
            "select coalesce(max(f.last_used_step), 0) from second_factor f
             join login_account a on a.id = f.account_id where a.username = $1",
        )
        .bind(username.trim().to_ascii_lowercase())
        .fetch_one(pool)
        .await
        .expect("onboarding's database answers");
        let now = u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970");
        if let Some(code) = secret.next_code(now, last_used_step) {
            return code;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// [`unused_code`] for a demo login (or an account enrolled with the demo secret of its
/// username).
pub async fn demo_unused_code(pool: &PgPool, username: &str) -> String {
    unused_code(pool, username, &demo_totp_secret(username)).await
}
