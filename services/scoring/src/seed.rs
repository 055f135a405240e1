//! The demo scorecards the service seeds on every start: the domain's IT start-up grant and
//! start-up loan scorecards, each as an activated version 1 under a fixed id, so that
//! programmes can name them. Seeding is idempotent: a scorecard that exists is left alone.

use sqlx::PgPool;
use uuid::Uuid;

use crate::db::scorecards as db;
use crate::domain::scorecard::Scorecard;
use crate::domain::seeds::{it_startup_grant_scorecard, startup_loan_scorecard};
use crate::http::definition::ScorecardDefinition;

/// The id of the seeded IT start-up grant scorecard.
pub const GRANT_SCORECARD_ID: Uuid = Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_6b2f_3c4d_5e01);

/// The id of the seeded start-up loan scorecard.
pub const LOAN_SCORECARD_ID: Uuid = Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_6b2f_3c4d_5e02);

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("a seed scorecard cannot be written as JSON: {0}")]
    Definition(#[from] serde_json::Error),
}

/// Inserts the demo scorecards, activated, unless they exist. Safe on every start and from
/// several replicas at once (the insert of an existing id does nothing).
pub async fn seed_demo(pool: &PgPool) -> Result<(), SeedError> {
    seed_one(pool, GRANT_SCORECARD_ID, &it_startup_grant_scorecard()).await?;
    seed_one(pool, LOAN_SCORECARD_ID, &startup_loan_scorecard()).await
}

async fn seed_one(pool: &PgPool, id: Uuid, scorecard: &Scorecard) -> Result<(), SeedError> {
    let definition = serde_json::to_string(&ScorecardDefinition::from_scorecard(scorecard))?;
    let mut transaction = pool.begin().await?;
    if !db::insert_scorecard(&mut transaction, id, scorecard.name(), None).await? {
        return Ok(());
    }
    db::insert_draft(&mut transaction, id, 1, &definition, None).await?;
    db::activate(&mut transaction, id, 1, None).await?;
    transaction.commit().await?;
    tracing::info!(scorecard_id = %id, name = scorecard.name(), "seeded a demo scorecard");
    Ok(())
}
