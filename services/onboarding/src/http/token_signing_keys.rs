//! The token signing keys, administered by admins only: list them, generate a new one (it is
//! published at once, so verifiers learn it before it signs), make one the signer, retire one.
//! Every change is audited, takes effect in this replica at once and in the others within
//! `token_keys::KEY_RELOAD_INTERVAL`; no service restarts.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use imkon_auth::extract::{Admin, RequireRole};
use imkon_auth::{KeyId, SigningKey};
use imkon_platform::audit;
use imkon_platform::problem::JsonBody;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use crate::db;
use crate::domain::token_keys::{keyring, StoredKey};
use crate::error::OnboardingError;
use crate::http::{audit_by, source_address};
use crate::token_keys::{reload, TokenKeysError};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/token-signing-keys", get(list_keys).post(generate_key))
        .route("/v1/token-signing-keys/{kid}/activate", post(activate_key))
        .route("/v1/token-signing-keys/{kid}/retire", post(retire_key))
}

#[derive(Deserialize, ToSchema)]
pub struct NewKeyRequest {
    /// The new key's id: 1 to 64 of `A-Z a-z 0-9 . _ -`, such as `onboarding-2025-06`.
    kid: String,
}

/// A key as administrators see it; never its private half.
#[derive(Serialize, ToSchema)]
pub struct KeyView {
    kid: String,
    /// `signing` (the one tokens are signed with now), `published` (trusted, not signing) or
    /// `retired` (neither).
    state: &'static str,
    /// Whether its private half is only in the configuration (`token_signing_key`).
    configured: bool,
    created_at: DateTime<Utc>,
    activated_at: Option<DateTime<Utc>>,
    retired_at: Option<DateTime<Utc>>,
}

fn view(key: &StoredKey, signer: &SigningKey) -> KeyView {
    let state = if key.retired_at.is_some() {
        "retired"
    } else if signer.public_key() == key.public_key {
        "signing"
    } else {
        "published"
    };
    KeyView {
        kid: key.kid().to_string(),
        state,
        configured: key.sealed_seed.is_none(),
        created_at: key.created_at,
        activated_at: key.activated_at,
        retired_at: key.retired_at,
    }
}

impl From<TokenKeysError> for OnboardingError {
    fn from(error: TokenKeysError) -> Self {
        match error {
            TokenKeysError::Database(error) => OnboardingError::Database(error),
            other => OnboardingError::Internal(other.to_string()),
        }
    }
}

fn parse_kid(kid: &str) -> Result<KeyId, OnboardingError> {
    KeyId::parse(kid)
        .map_err(|error| OnboardingError::invalid("kid".to_owned(), "invalid_kid", &error))
}

/// The keys and their states, as the database holds them after the change in `connection`;
/// refuses a change that would leave no key to sign with.
async fn views_after_change(
    connection: &mut PgConnection,
    state: &AppState,
) -> Result<Vec<KeyView>, OnboardingError> {
    let stored = db::token_signing_keys::all(connection).await?;
    let (keyring, _) = keyring(
        &stored,
        Some(&state.token_keys.configured),
        state.token_keys.sealing.as_ref(),
    )
    .map_err(|error| OnboardingError::Conflict {
        code: "no_signing_key",
        detail: format!("the change would leave no key to sign with: {error}"),
    })?;
    Ok(stored
        .iter()
        .map(|key| view(key, &keyring.signer))
        .collect())
}

/// Installs the committed change in this replica; the others read it within seconds.
async fn install(state: &AppState) -> Result<(), OnboardingError> {
    reload(state).await.map_err(OnboardingError::from)
}

/// The token signing keys, oldest first.
#[utoipa::path(get, path = "/v1/token-signing-keys", tag = "token-signing-keys",
    security(("bearer" = ["admin"])),
    responses((status = 200, body = [KeyView]), (status = 401), (status = 403)))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject()))]
async fn list_keys(
    State(state): State<AppState>,
    admin: RequireRole<Admin>,
) -> Result<Json<Vec<KeyView>>, OnboardingError> {
    let mut connection = state.pool.acquire().await?;
    Ok(Json(views_after_change(&mut connection, &state).await?))
}

/// Generates a key and publishes it; it signs nothing until activated. Its private half is
/// sealed with `token_key_sealing_key` before it is stored.
#[utoipa::path(post, path = "/v1/token-signing-keys", tag = "token-signing-keys",
    request_body = NewKeyRequest, security(("bearer" = ["admin"])),
    responses((status = 201, body = [KeyView]), (status = 401), (status = 403),
              (status = 409, description = "kid_taken, key_sealing_not_configured"),
              (status = 422, description = "invalid_kid")))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject()))]
async fn generate_key(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    JsonBody(request): JsonBody<NewKeyRequest>,
) -> Result<(StatusCode, Json<Vec<KeyView>>), OnboardingError> {
    let kid = parse_kid(&request.kid)?;
    let sealing = state
        .token_keys
        .sealing
        .as_ref()
        .ok_or(OnboardingError::Conflict {
            code: "key_sealing_not_configured",
            detail: "token_key_sealing_key is not set, so no key can be stored".to_owned(),
        })?;
    let key = SigningKey::generate(kid);
    let sealed = sealing
        .seal(&key)
        .map_err(|error| OnboardingError::Internal(error.to_string()))?;
    let mut transaction = state.pool.begin().await?;
    db::token_signing_keys::lock(&mut transaction).await?;
    if !db::token_signing_keys::insert_generated(&mut transaction, &key, &sealed).await? {
        return Err(OnboardingError::Conflict {
            code: "kid_taken",
            detail: format!("a key named {} exists", key.kid()),
        });
    }
    let views = views_after_change(&mut transaction, &state).await?;
    audit_key_change(
        &mut transaction,
        &admin,
        peer,
        "token_signing_key.generate",
        key.kid(),
    )
    .await?;
    transaction.commit().await?;
    install(&state).await?;
    Ok((StatusCode::CREATED, Json(views)))
}

/// Makes a published key the signer. Publish it first and wait for the verifiers' caches
/// (`Cache-Control: max-age` of the JWKS) before activating it; a verifier that has not yet
/// seen it fetches the set once on its first token anyway.
#[utoipa::path(post, path = "/v1/token-signing-keys/{kid}/activate", tag = "token-signing-keys",
    params(("kid" = String, Path, description = "The key")),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = [KeyView]), (status = 401), (status = 403), (status = 404),
              (status = 409, description = "key_unusable: its private half is not at hand")))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject(), kid = %kid))]
async fn activate_key(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    Path(kid): Path<String>,
) -> Result<Json<Vec<KeyView>>, OnboardingError> {
    let kid = parse_kid(&kid)?;
    let mut transaction = state.pool.begin().await?;
    db::token_signing_keys::lock(&mut transaction).await?;
    if !db::token_signing_keys::activate(&mut transaction, &kid).await? {
        return Err(OnboardingError::NotFound {
            what: "token signing key",
        });
    }
    let views = views_after_change(&mut transaction, &state).await?;
    let signs = views
        .iter()
        .any(|view| view.kid == kid.as_str() && view.state == "signing");
    if !signs {
        return Err(OnboardingError::Conflict {
            code: "key_unusable",
            detail: format!("the private half of {kid} is not at hand in this replica"),
        });
    }
    audit_key_change(
        &mut transaction,
        &admin,
        peer,
        "token_signing_key.activate",
        &kid,
    )
    .await?;
    transaction.commit().await?;
    install(&state).await?;
    Ok(Json(views))
}

/// Retires a key: it is no longer published, so its tokens stop verifying once the verifiers
/// refresh. The signing key cannot be retired; activate another first and wait for the last
/// token of this one to expire (15 minutes).
#[utoipa::path(post, path = "/v1/token-signing-keys/{kid}/retire", tag = "token-signing-keys",
    params(("kid" = String, Path, description = "The key")),
    security(("bearer" = ["admin"])),
    responses((status = 200, body = [KeyView]), (status = 401), (status = 403), (status = 404),
              (status = 409, description = "key_signing")))]
#[tracing::instrument(skip_all, fields(admin = %admin.subject(), kid = %kid))]
async fn retire_key(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    admin: RequireRole<Admin>,
    Path(kid): Path<String>,
) -> Result<Json<Vec<KeyView>>, OnboardingError> {
    let kid = parse_kid(&kid)?;
    let mut transaction = state.pool.begin().await?;
    db::token_signing_keys::lock(&mut transaction).await?;
    let before = views_after_change(&mut transaction, &state).await?;
    if before
        .iter()
        .any(|view| view.kid == kid.as_str() && view.state == "signing")
    {
        return Err(OnboardingError::Conflict {
            code: "key_signing",
            detail: format!("{kid} signs tokens now; activate another key first"),
        });
    }
    if !db::token_signing_keys::retire(&mut transaction, &kid).await? {
        return Err(OnboardingError::NotFound {
            what: "token signing key",
        });
    }
    let views = views_after_change(&mut transaction, &state).await?;
    audit_key_change(
        &mut transaction,
        &admin,
        peer,
        "token_signing_key.retire",
        &kid,
    )
    .await?;
    transaction.commit().await?;
    install(&state).await?;
    Ok(Json(views))
}

async fn audit_key_change(
    connection: &mut PgConnection,
    admin: &RequireRole<Admin>,
    peer: SocketAddr,
    action: &str,
    kid: &KeyId,
) -> Result<(), OnboardingError> {
    let mut entry = audit_by(admin, action, "token_signing_key", kid.to_string());
    entry.source_address = Some(source_address(peer));
    audit::record(connection, entry).await?;
    Ok(())
}
