//! Scorecards and their versions.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::version::VersionStatus;

/// A scorecard row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScorecardRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub active_version: Option<i32>,
}

/// A version row; `definition` is the JSON text of the definition.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub version: i32,
    pub status: String,
    pub definition: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    /// Who created the version and who last revised it: neither may activate it.
    pub created_by: Option<Uuid>,
    pub revised_by: Option<Uuid>,
    /// Who proposed activating the draft, and when; the proposer may not confirm.
    pub proposed_by: Option<Uuid>,
    pub proposed_at: Option<DateTime<Utc>>,
    pub activated_by: Option<Uuid>,
}

impl VersionRow {
    /// The status as the domain knows it; the table's check constraint admits only these two.
    pub fn status(&self) -> VersionStatus {
        if self.status == "active" {
            VersionStatus::Active
        } else {
            VersionStatus::Draft
        }
    }
}

/// A scorecard in a list: its row and its latest version number.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScorecardListRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub active_version: Option<i32>,
    pub latest_version: i32,
}

/// Scorecards in id order (ids are time-ordered, so oldest first), after the cursor.
#[tracing::instrument(skip_all, fields(limit))]
pub async fn list_scorecards(
    pool: &PgPool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ScorecardListRow>, sqlx::Error> {
    sqlx::query_as(
        "select s.id, s.name, s.created_at, s.active_version,
                (select max(v.version) from scorecard_version v where v.scorecard_id = s.id)
                    as latest_version
         from scorecard s
         where $1::uuid is null or s.id > $1
         order by s.id
         limit $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Inserts a scorecard; false when one with this id exists already.
#[tracing::instrument(skip_all, fields(scorecard_id = %id))]
pub async fn insert_scorecard(
    connection: &mut PgConnection,
    id: Uuid,
    name: &str,
    created_by: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into scorecard (id, name, created_by) values ($1, $2, $3)
         on conflict (id) do nothing",
    )
    .bind(id)
    .bind(name)
    .bind(created_by)
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Inserts a draft version.
#[tracing::instrument(skip_all, fields(scorecard_id = %scorecard_id, version))]
pub async fn insert_draft(
    connection: &mut PgConnection,
    scorecard_id: Uuid,
    version: i32,
    definition_json: &str,
    created_by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into scorecard_version (scorecard_id, version, status, definition, created_by)
         values ($1, $2, 'draft', $3::jsonb, $4)",
    )
    .bind(scorecard_id)
    .bind(version)
    .bind(definition_json)
    .bind(created_by)
    .execute(connection)
    .await?;
    Ok(())
}

/// The scorecard, locked until the transaction ends so that version numbers and activation
/// are decided one request at a time.
#[tracing::instrument(skip_all, fields(scorecard_id = %id))]
pub async fn lock_scorecard(
    connection: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ScorecardRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, created_at, active_version from scorecard where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(connection)
    .await
}

#[tracing::instrument(skip_all, fields(scorecard_id = %id))]
pub async fn find_scorecard(
    connection: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ScorecardRow>, sqlx::Error> {
    sqlx::query_as("select id, name, created_at, active_version from scorecard where id = $1")
        .bind(id)
        .fetch_optional(connection)
        .await
}

const VERSION_COLUMNS: &str =
    "version, status, definition::text as definition, created_at, updated_at, activated_at,
     created_by, revised_by, proposed_by, proposed_at, activated_by";

#[tracing::instrument(skip_all, fields(scorecard_id = %scorecard_id))]
pub async fn list_versions(
    pool: &PgPool,
    scorecard_id: Uuid,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {VERSION_COLUMNS} from scorecard_version where scorecard_id = $1 order by version"
    ))
    .bind(scorecard_id)
    .fetch_all(pool)
    .await
}

#[tracing::instrument(skip_all, fields(scorecard_id = %scorecard_id, version))]
pub async fn find_version(
    connection: &mut PgConnection,
    scorecard_id: Uuid,
    version: i32,
) -> Result<Option<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {VERSION_COLUMNS} from scorecard_version where scorecard_id = $1 and version = $2"
    ))
    .bind(scorecard_id)
    .bind(version)
    .fetch_optional(connection)
    .await
}

/// The highest version number of a scorecard (0 when it has none).
#[tracing::instrument(skip_all, fields(scorecard_id = %scorecard_id))]
pub async fn latest_version_number(
    connection: &mut PgConnection,
    scorecard_id: Uuid,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar(
        "select coalesce(max(version), 0) from scorecard_version where scorecard_id = $1",
    )
    .bind(scorecard_id)
    .fetch_one(connection)
    .await
}

/// Replaces a draft's definition. The caller has checked it is a draft; the table's trigger
/// refuses the update of an active version all the same.
#[tracing::instrument(skip_all, fields(scorecard_id = %scorecard_id, version))]
pub async fn update_draft(
    connection: &mut PgConnection,
    scorecard_id: Uuid,
    version: i32,
    definition_json: &str,
    revised_by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update scorecard_version set definition = $3::jsonb, revised_by = $4, updated_at = now(),
            proposed_by = null, proposed_at = null
         where scorecard_id = $1 and version = $2 and status = 'draft'",
    )
    .bind(scorecard_id)
    .bind(version)
    .bind(definition_json)
    .bind(revised_by)
    .execute(connection)
    .await?;
    Ok(())
}

/// Records a proposal to activate a draft version.
#[tracing::instrument(skip_all, fields(scorecard_id = %scorecard_id, version))]
pub async fn propose(
    connection: &mut PgConnection,
    scorecard_id: Uuid,
    version: i32,
    proposed_by: Uuid,
) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar(
        "update scorecard_version set proposed_by = $3, proposed_at = now()
         where scorecard_id = $1 and version = $2 and status = 'draft'
         returning proposed_at",
    )
    .bind(scorecard_id)
    .bind(version)
    .bind(proposed_by)
    .fetch_one(connection)
    .await
}

/// Freezes a version and makes it the one evaluations use.
#[tracing::instrument(skip_all, fields(scorecard_id = %scorecard_id, version))]
pub async fn activate(
    connection: &mut PgConnection,
    scorecard_id: Uuid,
    version: i32,
    activated_by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update scorecard_version set status = 'active', activated_at = now(), activated_by = $3
         where scorecard_id = $1 and version = $2 and status = 'draft'",
    )
    .bind(scorecard_id)
    .bind(version)
    .bind(activated_by)
    .execute(&mut *connection)
    .await?;
    sqlx::query("update scorecard set active_version = $2 where id = $1")
        .bind(scorecard_id)
        .bind(version)
        .execute(connection)
        .await?;
    Ok(())
}

/// The version an evaluation uses: the one named, or else the scorecard's active one.
/// `None` for an unknown scorecard; `Some((scorecard, None))` when there is no such version.
#[tracing::instrument(skip_all, fields(scorecard_id = %scorecard_id))]
pub async fn version_for_evaluation(
    pool: &PgPool,
    scorecard_id: Uuid,
    version: Option<i32>,
) -> Result<Option<(ScorecardRow, Option<VersionRow>)>, sqlx::Error> {
    let mut connection = pool.acquire().await?;
    let Some(scorecard) = find_scorecard(&mut connection, scorecard_id).await? else {
        return Ok(None);
    };
    let Some(version) = version.or(scorecard.active_version) else {
        return Ok(Some((scorecard, None)));
    };
    let row = find_version(&mut connection, scorecard_id, version).await?;
    Ok(Some((scorecard, row)))
}
