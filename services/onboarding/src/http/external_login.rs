//! Logging in through an external identity provider: OneID for citizens, the bank's OpenID
//! Connect provider for staff.
//!
//! 1. `GET /v1/auth/external/{provider}/start?redirect_uri=&state=`: the redirect URI must be
//!    one of the configured ones exactly (else 400, never a redirect). A one-time attempt is
//!    stored (our state by hash, PKCE verifier, nonce, the frontend's redirect URI and state)
//!    and the browser is sent to the provider.
//! 2. `GET /v1/auth/external/{provider}/callback?code=&state=` (or `error=`): the state is
//!    consumed (unknown, used or expired: 400 `invalid_state`), the code exchanged, the person
//!    read; the account is found (or, for a citizen's first OneID login, created with their
//!    profile) and the browser goes back to the frontend with a one-time code of onboarding's
//!    own, which the frontend trades at `POST /v1/oauth/token`.
//! 3. `POST /v1/auth/external/{provider}/link` (a founder signed in with their password): like
//!    `start`, but the callback links the OneID identity to the caller's account, and only if
//!    OneID's person has the PINFL and birth date of the account's profile.
//!
//! Roles never come from a provider: a staff subject works only once an admin has linked it
//! to a staff account, and a citizen gets the founder role, as registration gives it.
//!
//! A PINFL typed at registration is a claim anyone can make, so a OneID login never lands in
//! an account merely because its profile states the same PINFL: that would hand the citizen's
//! first login to whoever registered their PINFL before them. A OneID subject reaches only
//! the account it is linked to: the one its first login created, or the password account
//! whose owner proved control by signing in and then linking. Any other profile stating the
//! same PINFL stays separate, and the KYC duplicates check shows staff the pair.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use imkon_auth::extract::{BankClient, RequireRole};
use imkon_auth::Role;
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::{new_id, now_utc};
use imkon_platform::problem::{ValidatedJson, ValidatedQuery};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::config::{ProviderKind, ProviderSettings};
use crate::db;
use crate::domain::contact::{Address, Email, Phone};
use crate::domain::passport::{IdentityDocument, PassportNumber};
use crate::domain::person::{NewPerson, Person};
use crate::domain::person_name::{PersonName, Script};
use crate::domain::pinfl::Pinfl;
use crate::error::OnboardingError;
use crate::http::profile::parse_date;
use crate::http::source_address;
use crate::identity_providers::{self, OneIdPerson};
use crate::AppState;

/// How long the browser has to come back from the provider.
pub const LOGIN_ATTEMPT_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);
/// How long the frontend has to trade onboarding's code.
pub const AUTHORIZATION_CODE_LIFETIME: chrono::Duration = chrono::Duration::seconds(60);
/// The longest frontend state echoed back, in characters (the database holds the same limit).
pub const CLIENT_STATE_MAX_CHARS: u64 = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/external/{provider}/start", get(start_login))
        .route("/v1/auth/external/{provider}/callback", get(finish_login))
        .route(
            "/v1/auth/external/{provider}/link",
            axum::routing::post(start_linking),
        )
}

/// A random 32-byte value, base64url: states, nonces and codes.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn invalid_state() -> OnboardingError {
    OnboardingError::BadRequest {
        code: "invalid_state",
        detail: "This login is unknown, was already used or has expired; start again.".to_owned(),
    }
}

fn missing_oidc_secrets() -> OnboardingError {
    OnboardingError::Internal("a standard login attempt without PKCE verifier or nonce".into())
}

fn redirect_to(location: &url::Url) -> Response {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location.as_str().to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

fn provider_settings<'a>(
    state: &'a AppState,
    provider: &str,
) -> Result<(&'a ProviderSettings, String), OnboardingError> {
    let settings =
        state
            .external
            .settings
            .providers
            .get(provider)
            .ok_or(OnboardingError::NotFound {
                what: "identity provider",
            })?;
    let callback_url = state
        .external
        .settings
        .callback_url(provider)
        .ok_or_else(|| {
            OnboardingError::Internal("a provider is configured without public_url".into())
        })?;
    Ok((settings, callback_url))
}

/// Where a login returns to. The state's presence and length are declared here; whether the
/// redirect URI is a registered one is checked against the configuration.
#[derive(Deserialize, IntoParams, Validate)]
pub struct StartQuery {
    /// Where the browser returns: one of the configured redirect URIs, exactly.
    redirect_uri: Option<String>,
    /// The frontend's own state, echoed back untouched.
    #[validate(
        required(code = "invalid_request"),
        length(min = 1, max = CLIENT_STATE_MAX_CHARS, code = "invalid_request")
    )]
    #[param(required = true, min_length = 1, max_length = 500)]
    state: Option<String>,
}

/// Starts a login at an external provider: 302 to the provider's authorization page.
#[utoipa::path(get, path = "/v1/auth/external/{provider}/start", tag = "auth",
    params(("provider" = String, Path, description = "A configured provider, such as oneid"), StartQuery),
    security(()),
    responses((status = 302, description = "To the provider"),
              (status = 400, description = "invalid_redirect_uri"),
              (status = 404, description = "No such provider"),
              (status = 422, description = "invalid_request: state missing or too long, named")))]
#[tracing::instrument(skip_all, fields(provider = %provider))]
async fn start_login(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    ValidatedQuery(query): ValidatedQuery<StartQuery>,
) -> Result<Response, OnboardingError> {
    let client_state = query.state.unwrap_or_default();
    let location = begin_attempt(&state, &provider, query.redirect_uri, client_state, None).await?;
    Ok(redirect_to(&location))
}

/// Checks the frontend's redirect URI, stores a one-time attempt with the frontend's state (its
/// length checked at the edge) and returns the provider's authorization URL. `link_account_id`
/// makes it a linking login.
async fn begin_attempt(
    state: &AppState,
    provider: &str,
    redirect_uri: Option<String>,
    client_state: String,
    link_account_id: Option<Uuid>,
) -> Result<url::Url, OnboardingError> {
    let (settings, callback_url) = provider_settings(state, provider)?;
    let redirect_uri = redirect_uri
        .filter(|uri| state.external.settings.redirect_uris.contains(uri))
        .ok_or_else(|| OnboardingError::BadRequest {
            code: "invalid_redirect_uri",
            detail: "redirect_uri is not one of the registered redirect URIs.".to_owned(),
        })?;
    let own_state = random_secret();
    let (location, pkce_verifier, nonce) = match settings.kind {
        ProviderKind::Oidc => {
            let nonce = random_secret();
            let authorization =
                identity_providers::oidc_authorization(settings, &callback_url, &own_state, &nonce)
                    .map_err(|error| OnboardingError::Internal(error.to_string()))?;
            (
                authorization.url,
                Some(authorization.pkce_verifier),
                Some(nonce),
            )
        }
        ProviderKind::OneId => (
            identity_providers::oneid_authorization_url(settings, &callback_url, &own_state),
            None,
            None,
        ),
    };
    let now = now_utc();
    let mut connection = state.pool.acquire().await?;
    // Anyone may start a login, so finished and abandoned attempts are swept here, keeping
    // the table as small as the logins in progress.
    db::external_login::delete_expired(&mut connection, now).await?;
    db::external_login::insert_attempt(
        &mut connection,
        &db::external_login::NewLoginAttempt {
            provider,
            state_sha256: &secret_hash(&own_state),
            pkce_verifier: pkce_verifier.as_deref(),
            nonce: nonce.as_deref(),
            redirect_uri: &redirect_uri,
            client_state: &client_state,
            link_account_id,
            created_at: now,
            expires_at: now + LOGIN_ATTEMPT_LIFETIME,
        },
    )
    .await?;
    Ok(location)
}

/// What the frontend sends to start linking a OneID identity to the signed-in account; its
/// limits are a login start's.
#[derive(Deserialize, ToSchema, Validate)]
pub struct LinkRequest {
    /// Where the browser returns: one of the configured redirect URIs, exactly.
    redirect_uri: Option<String>,
    /// The frontend's own state, echoed back untouched.
    #[validate(
        required(code = "invalid_request"),
        length(min = 1, max = CLIENT_STATE_MAX_CHARS, code = "invalid_request")
    )]
    #[schema(required = true, min_length = 1, max_length = 500)]
    state: Option<String>,
}

/// Where to send the browser to prove the OneID identity being linked.
#[derive(Serialize, ToSchema)]
pub struct LinkAnswer {
    authorization_url: String,
}

/// A founder who signed in with their password links their OneID identity: the answer is the
/// provider's page to send the browser to. The callback links the identity to this account
/// only when OneID's person has the profile's PINFL and birth date (else 403
/// `identity_mismatch`); later OneID logins then land in this account.
#[utoipa::path(post, path = "/v1/auth/external/{provider}/link", tag = "auth",
    params(("provider" = String, Path, description = "A configured citizens' provider, such as oneid")),
    request_body = LinkRequest,
    responses((status = 200, body = LinkAnswer),
              (status = 400, description = "invalid_redirect_uri, or invalid_request: a provider that does not link citizens"),
              (status = 422, description = "invalid_request: state missing or too long, named"),
              (status = 401), (status = 403),
              (status = 404, description = "No such provider")),
    security(("bearer" = ["client"])))]
#[tracing::instrument(skip_all, fields(provider = %provider, founder = %founder.subject()))]
async fn start_linking(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    founder: RequireRole<BankClient>,
    ValidatedJson(request): ValidatedJson<LinkRequest>,
) -> Result<axum::Json<LinkAnswer>, OnboardingError> {
    let (settings, _) = provider_settings(&state, &provider)?;
    if settings.kind != ProviderKind::OneId {
        return Err(OnboardingError::BadRequest {
            code: "invalid_request",
            detail: "Only a citizens' identity provider is linked this way; an administrator links staff identities.".to_owned(),
        });
    }
    let location = begin_attempt(
        &state,
        &provider,
        request.redirect_uri,
        request.state.unwrap_or_default(),
        Some(founder.subject()),
    )
    .await?;
    Ok(axum::Json(LinkAnswer {
        authorization_url: location.into(),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    /// Set instead of `code` when the person did not consent, such as `access_denied`.
    error: Option<String>,
}

/// The provider sends the browser back here; 302 to the frontend with onboarding's code.
#[utoipa::path(get, path = "/v1/auth/external/{provider}/callback", tag = "auth",
    params(("provider" = String, Path, description = "A configured provider"), CallbackQuery),
    security(()),
    responses((status = 302, description = "To the frontend's redirect URI, with code or error"),
              (status = 400, description = "invalid_state or invalid_request"),
              (status = 403, description = "not_provisioned: a staff subject no admin has linked"),
              (status = 422, description = "invalid_identity: the provider's person does not parse"),
              (status = 502, description = "identity_provider_failed")))]
#[tracing::instrument(skip_all, fields(provider = %provider))]
async fn finish_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(provider): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, OnboardingError> {
    let (settings, callback_url) = provider_settings(&state, &provider)?;
    let own_state = query.state.as_deref().ok_or_else(invalid_state)?;
    let now = now_utc();
    let attempt = {
        let mut connection = state.pool.acquire().await?;
        db::external_login::consume_attempt(
            &mut connection,
            &provider,
            &secret_hash(own_state),
            now,
        )
        .await?
        .ok_or_else(invalid_state)?
    };
    let frontend_redirect = |pairs: &[(&str, &str)]| -> Result<Response, OnboardingError> {
        let mut location = url::Url::parse(&attempt.redirect_uri).map_err(|error| {
            OnboardingError::Internal(format!("a stored redirect URI does not parse: {error}"))
        })?;
        location
            .query_pairs_mut()
            .extend_pairs(pairs)
            .append_pair("state", &attempt.client_state);
        Ok(redirect_to(&location))
    };
    if let Some(error) = query.error.as_deref() {
        let reported = if error == "access_denied" {
            "access_denied"
        } else {
            "server_error"
        };
        tracing::info!(provider_error = %error, "the provider sent the person back without a code");
        return frontend_redirect(&[("error", reported)]);
    }
    let code = query
        .code
        .as_deref()
        .ok_or_else(|| OnboardingError::BadRequest {
            code: "invalid_request",
            detail: "code or error is required".to_owned(),
        })?;
    let address = source_address(peer);
    let account_id = match settings.kind {
        ProviderKind::Oidc => {
            let identity = identity_providers::oidc_identify(
                &state.external.http,
                settings,
                &callback_url,
                code,
                attempt
                    .pkce_verifier
                    .as_deref()
                    .ok_or_else(missing_oidc_secrets)?,
                attempt.nonce.as_deref().ok_or_else(missing_oidc_secrets)?,
            )
            .await?;
            find_staff_account(&state, &provider, &identity.subject, &address).await?
        }
        ProviderKind::OneId => {
            let person = identity_providers::oneid_identify(
                &state.external.http,
                settings,
                &callback_url,
                code,
            )
            .await?;
            match attempt.link_account_id {
                Some(account_id) => {
                    link_citizen(&state, &provider, &person, account_id, &address).await?
                }
                None => find_or_create_citizen(&state, &provider, &person, &address).await?,
            }
        }
    };
    let own_code = random_secret();
    let mut connection = state.pool.acquire().await?;
    db::external_login::insert_authorization_code(
        &mut connection,
        &secret_hash(&own_code),
        account_id,
        &attempt.redirect_uri,
        now,
        now + AUTHORIZATION_CODE_LIFETIME,
    )
    .await?;
    frontend_redirect(&[("code", &own_code)])
}

fn external_login_audit<'a>(
    account_id: Option<Uuid>,
    action: &'a str,
    provider: &str,
    subject: &str,
    address: &str,
    outcome: &str,
) -> AuditEntry<'a> {
    AuditEntry {
        actor_id: account_id,
        actor_roles: Vec::new(),
        action,
        subject_type: "external_identity",
        subject_id: format!("{provider}:{subject}"),
        before: None,
        after: Some(serde_json::json!({ "outcome": outcome })),
        source_address: Some(address.to_owned()),
    }
}

/// The staff account an admin linked to this subject; 403 `not_provisioned` when none is.
async fn find_staff_account(
    state: &AppState,
    provider: &str,
    subject: &str,
    address: &str,
) -> Result<Uuid, OnboardingError> {
    let mut transaction = state.pool.begin().await?;
    let account_id =
        db::external_login::find_linked_account(&mut transaction, provider, subject).await?;
    let outcome = if account_id.is_some() {
        "succeeded"
    } else {
        "not_provisioned"
    };
    audit::record(
        &mut transaction,
        external_login_audit(
            account_id,
            "login.external",
            provider,
            subject,
            address,
            outcome,
        ),
    )
    .await?;
    transaction.commit().await?;
    account_id.ok_or_else(|| {
        OnboardingError::forbidden(
            "not_provisioned",
            "This identity is not linked to a staff account; ask an administrator.",
        )
    })
}

fn invalid_identity(field: &str, error: &dyn std::fmt::Display) -> OnboardingError {
    OnboardingError::InvalidField {
        field: format!("oneid.{field}"),
        code: "invalid_identity",
        message: error.to_string(),
    }
}

fn required<'a>(field: &str, value: Option<&'a str>) -> Result<&'a str, OnboardingError> {
    value
        .filter(|text| !text.trim().is_empty())
        .ok_or_else(|| invalid_identity(field, &"OneID did not provide it"))
}

/// Parses OneID's description of a person with the domain's types. OneID gives the address
/// as one line; its first two comma-separated parts are the region and district.
pub fn parse_oneid_person(
    person: &OneIdPerson,
    today: chrono::NaiveDate,
) -> Result<Person, OnboardingError> {
    let pinfl = Pinfl::parse(&person.pin).map_err(|error| invalid_identity("pin", &error))?;
    let birth_date = parse_date("birth_date", &person.birth_date)
        .map_err(|error| invalid_identity("birth_date", &error))?;
    let latin_name = PersonName::parse(
        Script::Latin,
        &person.sur_name,
        &person.first_name,
        person.mid_name.as_deref(),
    )
    .map_err(|error| invalid_identity("sur_name, first_name, mid_name", &error))?;
    let passport_number = PassportNumber::parse(&person.pport_no)
        .map_err(|error| invalid_identity("pport_no", &error))?;
    let issue_date = parse_date(
        "pport_issue_date",
        required("pport_issue_date", person.pport_issue_date.as_deref())?,
    )
    .map_err(|error| invalid_identity("pport_issue_date", &error))?;
    let expiry_date = parse_date(
        "pport_expr_date",
        required("pport_expr_date", person.pport_expr_date.as_deref())?,
    )
    .map_err(|error| invalid_identity("pport_expr_date", &error))?;
    let passport = IdentityDocument::new(passport_number, issue_date, expiry_date, today).map_err(
        |error| {
            let field = match error.field().as_str() {
                "passport.issue_date" => "pport_issue_date",
                "passport.expiry_date" => "pport_expr_date",
                _ => "pport_no",
            };
            invalid_identity(field, &error)
        },
    )?;
    let phone = Phone::parse(required("mob_phone_no", person.mob_phone_no.as_deref())?)
        .map_err(|error| invalid_identity("mob_phone_no", &error))?;
    let email = person
        .email
        .as_deref()
        .filter(|text| !text.trim().is_empty())
        .map(Email::parse)
        .transpose()
        .map_err(|error| invalid_identity("email", &error))?;
    let address_line = required("per_adr", person.per_adr.as_deref())?;
    let mut parts = address_line.splitn(3, ',');
    let address = Address::parse(
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    )
    .map_err(|error| invalid_identity("per_adr", &error))?;
    Person::new(NewPerson {
        pinfl,
        birth_date,
        latin_name,
        cyrillic_name: None,
        passport,
        phone,
        email,
        address,
    })
    .map_err(|error| {
        // The rules left to break here tie the PINFL to the birth date; the domain names
        // which of the two it blames.
        let field = if error.field() == "pinfl" {
            "pin"
        } else {
            "birth_date"
        };
        invalid_identity(field, &error)
    })
}

/// The citizen's account: the one their OneID subject (the PINFL) is linked to; on their
/// first login a new client profile and founder account are created from OneID's fields and
/// linked. A profile someone registered with the same PINFL is never taken over: it stays a
/// separate client, and the KYC duplicates check shows staff both.
async fn find_or_create_citizen(
    state: &AppState,
    provider: &str,
    oneid_person: &OneIdPerson,
    address: &str,
) -> Result<Uuid, OnboardingError> {
    let person = parse_oneid_person(oneid_person, state.calendar.today())?;
    let pinfl = person.pinfl().as_str();
    let mut transaction = state.pool.begin().await?;
    // Two first logins of one person at once must not both create a profile: serialise on
    // the PINFL for the rest of the transaction.
    db::external_login::lock_subject(&mut transaction, pinfl).await?;
    let linked = db::external_login::find_linked_account(&mut transaction, provider, pinfl).await?;
    let (account_id, outcome) = match linked {
        Some(account_id) => (account_id, "succeeded"),
        None => {
            let client_id = new_id();
            db::clients::insert_person(&mut transaction, client_id, &person).await?;
            let account_id = new_id();
            db::accounts::insert(
                &mut transaction,
                &db::accounts::NewAccountRecord {
                    id: account_id,
                    username: None,
                    password_hash: None,
                    display_name: &person.latin_name().full_name(),
                    client_id: Some(client_id),
                },
            )
            .await?;
            db::accounts::grant_roles(&mut transaction, account_id, &[Role::Client], None).await?;
            db::external_login::link_identity(&mut transaction, provider, pinfl, account_id)
                .await?;
            let sharing = db::kyc::people_sharing_identity(
                &mut transaction,
                client_id,
                pinfl,
                person.passport().number().as_str(),
            )
            .await?;
            if sharing == 0 {
                (account_id, "client_created")
            } else {
                tracing::warn!(
                    %client_id,
                    sharing,
                    "a OneID login created a profile whose PINFL or passport another profile states"
                );
                (account_id, "client_created_duplicate_identity")
            }
        }
    };
    let mut entry = external_login_audit(
        Some(account_id),
        "login.external",
        provider,
        pinfl,
        address,
        outcome,
    );
    entry.actor_roles = vec![Role::Client.as_str().to_owned()];
    audit::record(&mut transaction, entry).await?;
    transaction.commit().await?;
    Ok(account_id)
}

/// Links the citizen's OneID subject to the founder account that started the linking login,
/// which proved control of the account (its password) before leaving for OneID. OneID's
/// person must have the PINFL and birth date of the account's profile: 403
/// `identity_mismatch` otherwise. A subject already linked to another account is a 409
/// `identity_already_linked`; linking the same account again is harmless.
async fn link_citizen(
    state: &AppState,
    provider: &str,
    oneid_person: &OneIdPerson,
    account_id: Uuid,
    address: &str,
) -> Result<Uuid, OnboardingError> {
    let person = parse_oneid_person(oneid_person, state.calendar.today())?;
    let pinfl = person.pinfl().as_str();
    let mut transaction = state.pool.begin().await?;
    db::external_login::lock_subject(&mut transaction, pinfl).await?;
    let profile = match db::accounts::find_by_id(&mut transaction, account_id).await? {
        Some(account) => match account.client_id {
            Some(client_id) => db::clients::find_person(&mut transaction, client_id).await?,
            None => None,
        },
        None => None,
    };
    let same_person = profile
        .as_ref()
        .is_some_and(|profile| profile.pinfl == pinfl && profile.birth_date == person.birth_date());
    let linked = db::external_login::find_linked_account(&mut transaction, provider, pinfl).await?;
    let outcome = match linked {
        _ if !same_person => "identity_mismatch",
        Some(existing) if existing != account_id => "identity_already_linked",
        Some(_) => "succeeded",
        None => {
            db::external_login::link_identity(&mut transaction, provider, pinfl, account_id)
                .await?;
            "linked"
        }
    };
    let mut entry = external_login_audit(
        Some(account_id),
        "login.external_link",
        provider,
        pinfl,
        address,
        outcome,
    );
    entry.actor_roles = vec![Role::Client.as_str().to_owned()];
    audit::record(&mut transaction, entry).await?;
    transaction.commit().await?;
    match outcome {
        "identity_mismatch" => Err(OnboardingError::forbidden(
            "identity_mismatch",
            "OneID identified someone other than the person this account's profile describes.",
        )),
        "identity_already_linked" => Err(OnboardingError::conflict(
            "identity_already_linked",
            "This OneID identity already signs in to another account.",
        )),
        _ => Ok(account_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev_identity_provider::DevIdentityProvider;

    fn demo_person() -> OneIdPerson {
        DevIdentityProvider::new("client", "secret", "http://127.0.0.1/callback").citizens()[0]
            .clone()
    }

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    fn refused_field(person: &OneIdPerson) -> String {
        match parse_oneid_person(person, today()) {
            Err(OnboardingError::InvalidField { field, code, .. }) => {
                assert_eq!(code, "invalid_identity");
                field
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_oneid_person_parses_into_the_domains_person_with_the_address_split() {
        let person = parse_oneid_person(&demo_person(), today()).unwrap();
        assert_eq!(person.pinfl().as_str(), demo_person().pin);
        assert_eq!(person.address().region(), "Toshkent shahri");
        assert_eq!(person.address().district(), "Yunusobod tumani");
        assert_eq!(person.address().street_line(), "Amir Temur ko'chasi 108");
    }

    #[test]
    fn a_oneid_address_without_region_and_district_is_refused_naming_per_adr() {
        let mut person = demo_person();
        person.per_adr = Some("Amir Temur ko'chasi 108".to_owned());
        assert_eq!(refused_field(&person), "oneid.per_adr");
    }

    #[test]
    fn a_oneid_person_without_a_phone_is_refused_naming_mob_phone_no() {
        let mut person = demo_person();
        person.mob_phone_no = None;
        assert_eq!(refused_field(&person), "oneid.mob_phone_no");
    }

    #[test]
    fn an_expired_oneid_passport_is_refused_naming_pport_expr_date() {
        let mut person = demo_person();
        person.pport_expr_date = Some("2025-01-01".to_owned());
        assert_eq!(refused_field(&person), "oneid.pport_expr_date");
    }

    #[test]
    fn a_birth_date_that_disagrees_with_the_pinfl_is_refused_naming_birth_date() {
        let mut person = demo_person();
        person.birth_date = "1992-04-16".to_owned();
        assert_eq!(refused_field(&person), "oneid.birth_date");
    }
}
