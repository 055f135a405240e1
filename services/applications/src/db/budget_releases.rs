//! Budget given back to programmes when an approved application's contract was cancelled.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// One release, keyed by the application it came from.
#[derive(Debug, Clone)]
pub struct BudgetRelease {
    pub application_id: Uuid,
    pub programme_id: Uuid,
    pub contract_id: Uuid,
    pub amount: Decimal,
    pub released_at: DateTime<Utc>,
    pub event_id: Uuid,
}

/// Records the release; false when the application's budget was released already, which the
/// caller then leaves as it is.
pub async fn insert(
    connection: &mut PgConnection,
    release: &BudgetRelease,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "insert into budget_release
            (application_id, programme_id, contract_id, amount, released_at, event_id)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (application_id) do nothing",
        release.application_id,
        release.programme_id,
        release.contract_id,
        release.amount,
        release.released_at,
        release.event_id,
    )
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
