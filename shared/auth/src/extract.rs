//! axum extractors that turn a bearer token into a [`Principal`], or refuse the request.
//!
//! Each extractor finds the service's [`TokenVerifier`] through [`FromRef`] on the router state,
//! so a service puts one `TokenVerifier` (cheap to clone) in its state and implements
//! `FromRef<AppState> for TokenVerifier`, or uses the verifier itself as the state.
//!
//! - [`AuthenticatedUser`]: any person with a valid token.
//! - [`RequireRole<R>`]: a person holding one of the roles of `R` ([`KycOfficer`],
//!   [`CreditOfficer`], [`Approver`], [`Finance`], [`Admin`], [`BankClient`], [`Staff`], or a
//!   requirement of the service's own). For rules that depend on the request, take an
//!   `AuthenticatedUser` and call [`Principal::require_any`]; its error converts into
//!   [`AuthRejection`].
//! - [`ServiceCaller`]: another Imkon service.
//! - [`MaybeUser`]: a person or nobody. A request without an `Authorization` header is
//!   anonymous, but a request whose token is bad is refused: presenting a broken credential is
//!   never the same as presenting none.
//!
//! Refusals follow RFC 6750 and speak the platform's problem details (RFC 9457):
//! 401 with `WWW-Authenticate: Bearer realm="imkon"` when no token was sent (code
//! `unauthenticated`), 401 with `error="invalid_token"` when the token or the header is bad (code
//! `invalid_token`), and 403 (code `forbidden`) when a valid token does not grant the request.
//! A valid *service* token on an endpoint for people, or a person's token on an endpoint for
//! services, is a 403: the caller is authenticated, just not the kind of caller the endpoint
//! serves, and no other token would help the same caller. No response ever repeats the token.

use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::principal::{MissingRole, Principal};
use crate::role::Role;
use crate::token::{TokenVerifier, VerifyError};

/// The realm every Imkon service names in `WWW-Authenticate`.
pub const REALM: &str = "imkon";

const CHALLENGE: &str = r#"Bearer realm="imkon""#;
const CHALLENGE_INVALID_TOKEN: &str = r#"Bearer realm="imkon", error="invalid_token""#;

/// Why a request was refused by an extractor of this module.
///
/// The variants keep the precise cause (for logs and tests); [`IntoResponse`] turns each into
/// the problem details a client is allowed to see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthRejection {
    #[error("the request carries no bearer token")]
    MissingToken,
    #[error("the Authorization header is not a single `Bearer <token>`")]
    MalformedAuthorizationHeader,
    #[error(transparent)]
    InvalidToken(#[from] VerifyError),
    #[error("a service token was presented to an endpoint for people")]
    ServiceNotAllowed,
    #[error("a person's token was presented to an endpoint for services")]
    UserNotAllowed,
    #[error(transparent)]
    MissingRole(#[from] MissingRole),
}

/// The problem-details fields of a refusal.
struct Problem {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    challenge: Option<&'static str>,
}

impl AuthRejection {
    fn problem(&self) -> Problem {
        let invalid_token = |detail: &str| Problem {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_token",
            title: "Invalid access token",
            detail: detail.to_owned(),
            challenge: Some(CHALLENGE_INVALID_TOKEN),
        };
        let forbidden = |detail: String| Problem {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            title: "Forbidden",
            detail,
            challenge: None,
        };
        match self {
            AuthRejection::MissingToken => Problem {
                status: StatusCode::UNAUTHORIZED,
                code: "unauthenticated",
                title: "Authentication required",
                detail:
                    "this endpoint needs an access token, sent as `Authorization: Bearer <token>`"
                        .to_owned(),
                challenge: Some(CHALLENGE),
            },
            AuthRejection::MalformedAuthorizationHeader => {
                invalid_token("the Authorization header must be a single `Bearer <token>`")
            }
            AuthRejection::InvalidToken(cause) => invalid_token(match cause {
                VerifyError::Malformed(_) => "the access token is malformed",
                VerifyError::UnsupportedAlgorithm => "the access token is not signed with EdDSA",
                VerifyError::UnknownKey { .. } => {
                    "the access token is signed by a key this service does not trust"
                }
                VerifyError::SignatureMismatch => {
                    "the access token's signature does not match its contents"
                }
                VerifyError::WrongIssuer => {
                    "the access token was not issued by the issuer this service trusts"
                }
                VerifyError::WrongAudience => "the access token is addressed to another service",
                VerifyError::LifetimeTooLong => {
                    "the access token claims a lifetime longer than 15 minutes"
                }
                VerifyError::Expired => "the access token has expired",
                VerifyError::NotYetValid => "the access token is not valid yet",
                VerifyError::InvalidPrincipal(_) => {
                    "the access token's roles or scopes are inconsistent"
                }
            }),
            AuthRejection::ServiceNotAllowed => {
                forbidden("this endpoint serves people; service tokens are not accepted".to_owned())
            }
            AuthRejection::UserNotAllowed => {
                forbidden("this endpoint serves Imkon services only".to_owned())
            }
            AuthRejection::MissingRole(missing) => forbidden(missing.to_string()),
        }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let body = serde_json::json!({
            "type": format!("https://imkon.uz/problems/{}", problem.code),
            "title": problem.title,
            "status": problem.status.as_u16(),
            "detail": problem.detail,
            "code": problem.code,
        });
        let mut response = (problem.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(challenge) = problem.challenge {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        response
    }
}

/// The bearer token of a request: `Ok(None)` without an `Authorization` header, an error when
/// the header is there but is not exactly one `Bearer <token>` (scheme matched without regard
/// to case, as RFC 9110 asks).
fn bearer_token(parts: &Parts) -> Result<Option<&str>, AuthRejection> {
    let mut values = parts.headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthRejection::MalformedAuthorizationHeader);
    }
    let value = value
        .to_str()
        .map_err(|_| AuthRejection::MalformedAuthorizationHeader)?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(AuthRejection::MalformedAuthorizationHeader)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthRejection::MalformedAuthorizationHeader);
    }
    Ok(Some(token))
}

/// The principal of a request, if it sent a token; a bad token is an error, never `None`.
async fn authenticate<S>(parts: &Parts, state: &S) -> Result<Option<Principal>, AuthRejection>
where
    TokenVerifier: FromRef<S>,
{
    let Some(token) = bearer_token(parts)? else {
        return Ok(None);
    };
    let verifier = TokenVerifier::from_ref(state);
    Ok(Some(
        verifier.verify_refreshing(token).await?.into_principal(),
    ))
}

/// The principal of a request that must carry a token, a person's or a service's: for a
/// service's own extractor over both kinds of caller. The token is verified as every extractor
/// here verifies it, fetching the issuer's keys again on an unknown key id (key rotation).
pub async fn require_principal<S>(parts: &Parts, state: &S) -> Result<Principal, AuthRejection>
where
    TokenVerifier: FromRef<S>,
{
    authenticate(parts, state)
        .await?
        .ok_or(AuthRejection::MissingToken)
}

fn require_user(principal: Principal) -> Result<Principal, AuthRejection> {
    if principal.is_service() {
        return Err(AuthRejection::ServiceNotAllowed);
    }
    Ok(principal)
}

/// A person with a valid token for this service.
#[derive(Debug, Clone)]
pub struct AuthenticatedUser(Principal);

impl AuthenticatedUser {
    pub fn principal(&self) -> &Principal {
        &self.0
    }

    pub fn into_principal(self) -> Principal {
        self.0
    }
}

impl Deref for AuthenticatedUser {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<S> FromRequestParts<S> for AuthenticatedUser
where
    TokenVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = authenticate(parts, state)
            .await?
            .ok_or(AuthRejection::MissingToken)?;
        Ok(Self(require_user(principal)?))
    }
}

/// Another Imkon service with a valid service token for this service.
#[derive(Debug, Clone)]
pub struct ServiceCaller(Principal);

impl ServiceCaller {
    pub fn principal(&self) -> &Principal {
        &self.0
    }

    pub fn into_principal(self) -> Principal {
        self.0
    }
}

impl Deref for ServiceCaller {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<S> FromRequestParts<S> for ServiceCaller
where
    TokenVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = authenticate(parts, state)
            .await?
            .ok_or(AuthRejection::MissingToken)?;
        if !principal.is_service() {
            return Err(AuthRejection::UserNotAllowed);
        }
        Ok(Self(principal))
    }
}

/// A person, or nobody: for pages that show more to someone signed in.
#[derive(Debug, Clone)]
pub struct MaybeUser(Option<Principal>);

impl MaybeUser {
    pub fn principal(&self) -> Option<&Principal> {
        self.0.as_ref()
    }

    pub fn into_principal(self) -> Option<Principal> {
        self.0
    }
}

impl<S> FromRequestParts<S> for MaybeUser
where
    TokenVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match authenticate(parts, state).await? {
            None => Ok(Self(None)),
            Some(principal) => Ok(Self(Some(require_user(principal)?))),
        }
    }
}

/// The roles that satisfy a [`RequireRole`]: holding any one of them is enough.
///
/// A service whose endpoint needs its own combination declares an uninhabited type:
///
/// ```
/// use imkon_auth::extract::RoleRequirement;
/// use imkon_auth::Role;
///
/// enum CreditOfficerOrAdmin {}
///
/// impl RoleRequirement for CreditOfficerOrAdmin {
///     const ALLOWED: &'static [Role] = &[Role::CreditOfficer, Role::Admin];
/// }
/// ```
pub trait RoleRequirement {
    const ALLOWED: &'static [Role];
}

macro_rules! single_role_requirement {
    ($(#[$doc:meta] $marker:ident => $role:expr;)*) => {
        $(
            #[$doc]
            #[derive(Debug)]
            pub enum $marker {}

            impl RoleRequirement for $marker {
                const ALLOWED: &'static [Role] = &[$role];
            }
        )*
    };
}

single_role_requirement! {
    /// Requires [`Role::Client`].
    BankClient => Role::Client;
    /// Requires [`Role::KycOfficer`].
    KycOfficer => Role::KycOfficer;
    /// Requires [`Role::CreditOfficer`].
    CreditOfficer => Role::CreditOfficer;
    /// Requires [`Role::Approver`].
    Approver => Role::Approver;
    /// Requires [`Role::Finance`].
    Finance => Role::Finance;
    /// Requires [`Role::Admin`].
    Admin => Role::Admin;
}

/// Requires any role of the bank's staff (everyone but founders and services).
#[derive(Debug)]
pub enum Staff {}

impl RoleRequirement for Staff {
    const ALLOWED: &'static [Role] = &[
        Role::KycOfficer,
        Role::CreditOfficer,
        Role::Approver,
        Role::Finance,
        Role::Admin,
    ];
}

/// A person holding at least one of the roles of `R`; otherwise 401 (no or bad token) or 403.
///
/// ```
/// use imkon_auth::extract::{KycOfficer, RequireRole};
///
/// async fn kyc_queue(officer: RequireRole<KycOfficer>) -> String {
///     format!("cases assigned to {}", officer.subject())
/// }
/// ```
pub struct RequireRole<R> {
    principal: Principal,
    requirement: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for RequireRole<R> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_tuple("RequireRole")
            .field(&self.principal)
            .finish()
    }
}

impl<R> RequireRole<R> {
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn into_principal(self) -> Principal {
        self.principal
    }
}

impl<R> Deref for RequireRole<R> {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<S, R> FromRequestParts<S> for RequireRole<R>
where
    TokenVerifier: FromRef<S>,
    S: Send + Sync,
    R: RoleRequirement,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = authenticate(parts, state)
            .await?
            .ok_or(AuthRejection::MissingToken)?;
        let principal = require_user(principal)?;
        principal.require_any(R::ALLOWED)?;
        Ok(Self {
            principal,
            requirement: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use axum::Router;
    use chrono::Utc;
    use tower::ServiceExt as _;
    use uuid::Uuid;

    use super::*;
    use crate::keys::{KeyId, PublicKeySet, SigningKey};
    use crate::role::Audience;
    use crate::token::TokenIssuer;

    const ISSUER: &str = "imkon-onboarding";

    /// A state shaped like a real service's, to prove the extractors reach the verifier
    /// through `FromRef` rather than needing it to be the whole state.
    #[derive(Clone)]
    struct AppState {
        verifier: TokenVerifier,
    }

    impl FromRef<AppState> for TokenVerifier {
        fn from_ref(state: &AppState) -> Self {
            state.verifier.clone()
        }
    }

    struct Fixture {
        issuer: TokenIssuer,
        router: Router,
    }

    fn fixture() -> Fixture {
        let key = SigningKey::generate(KeyId::parse("k1").expect("a valid key id"));
        let keys = PublicKeySet::new([key.public_key()]).expect("one key");
        let verifier =
            TokenVerifier::new(keys, ISSUER, Audience::Scoring).expect("a valid verifier");
        let router = Router::new()
            .route(
                "/me",
                get(|user: AuthenticatedUser| async move { user.subject().to_string() }),
            )
            .route(
                "/kyc-queue",
                get(
                    |officer: RequireRole<KycOfficer>| async move { officer.subject().to_string() },
                ),
            )
            .route(
                "/internal",
                get(|caller: ServiceCaller| async move { caller.subject().to_string() }),
            )
            .route(
                "/programmes",
                get(|viewer: MaybeUser| async move {
                    viewer
                        .principal()
                        .map_or("anonymous".to_owned(), |user| user.subject().to_string())
                }),
            )
            .with_state(AppState { verifier });
        Fixture {
            issuer: TokenIssuer::new(key, ISSUER).expect("a valid issuer"),
            router,
        }
    }

    fn user(role: Role) -> Principal {
        Principal::user(Uuid::now_v7(), [role], None, None).expect("a valid user")
    }

    fn service() -> Principal {
        Principal::service(Uuid::now_v7(), Some("applications".to_owned()))
            .expect("a valid service")
    }

    impl Fixture {
        fn token(&self, principal: &Principal, audience: Audience) -> String {
            self.issuer
                .issue(principal, audience, Duration::from_secs(300))
                .expect("five minutes is allowed")
                .into_string()
        }

        async fn get(&self, path: &str, authorization: Option<&str>) -> TestResponse {
            let mut request = Request::get(path);
            if let Some(value) = authorization {
                request = request.header(AUTHORIZATION, value);
            }
            let response = self
                .router
                .clone()
                .oneshot(request.body(Body::empty()).expect("a valid request"))
                .await
                .expect("routers are infallible");
            let status = response.status();
            let headers = response.headers().clone();
            let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
                .await
                .expect("a small body");
            TestResponse {
                status,
                headers,
                body: String::from_utf8(body.to_vec()).expect("a UTF-8 body"),
            }
        }
    }

    struct TestResponse {
        status: StatusCode,
        headers: axum::http::HeaderMap,
        body: String,
    }

    impl TestResponse {
        fn problem(&self) -> serde_json::Value {
            assert_eq!(
                self.headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes),
                Some("application/problem+json".as_bytes())
            );
            serde_json::from_str(&self.body).expect("a JSON problem")
        }

        fn challenge(&self) -> Option<&str> {
            self.headers
                .get(WWW_AUTHENTICATE)
                .map(|value| value.to_str().expect("an ASCII challenge"))
        }
    }

    #[tokio::test]
    async fn a_founder_on_an_officer_route_is_forbidden() {
        let fixture = fixture();
        let token = fixture.token(&user(Role::Client), Audience::Scoring);
        let response = fixture
            .get("/kyc-queue", Some(&format!("Bearer {token}")))
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN);
        assert_eq!(response.challenge(), None);
        assert_eq!(
            response.problem(),
            serde_json::json!({
                "type": "https://imkon.uz/problems/forbidden",
                "title": "Forbidden",
                "status": 403,
                "detail": "this action needs one of the roles kyc_officer",
                "code": "forbidden",
            })
        );
    }

    #[tokio::test]
    async fn a_kyc_officer_on_an_officer_route_is_let_through() {
        let fixture = fixture();
        let officer = user(Role::KycOfficer);
        let token = fixture.token(&officer, Audience::Scoring);
        let response = fixture
            .get("/kyc-queue", Some(&format!("Bearer {token}")))
            .await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.body, officer.subject().to_string());
    }

    #[tokio::test]
    async fn a_request_without_a_token_is_unauthenticated_with_a_bearer_challenge() {
        let fixture = fixture();
        for path in ["/me", "/kyc-queue", "/internal"] {
            let response = fixture.get(path, None).await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(response.challenge(), Some(r#"Bearer realm="imkon""#));
            let problem = response.problem();
            assert_eq!(problem["code"], "unauthenticated");
            assert_eq!(problem["type"], "https://imkon.uz/problems/unauthenticated");
            assert_eq!(problem["status"], 401);
        }
    }

    #[tokio::test]
    async fn a_service_token_on_a_user_route_is_forbidden() {
        let fixture = fixture();
        let token = fixture.token(&service(), Audience::Scoring);
        for path in ["/me", "/kyc-queue", "/programmes"] {
            let response = fixture.get(path, Some(&format!("Bearer {token}"))).await;
            assert_eq!(response.status, StatusCode::FORBIDDEN, "{path}");
            assert_eq!(response.problem()["code"], "forbidden");
        }
    }

    #[tokio::test]
    async fn only_a_service_token_reaches_a_service_route() {
        let fixture = fixture();
        let caller = service();
        let service_token = fixture.token(&caller, Audience::Scoring);
        let response = fixture
            .get("/internal", Some(&format!("Bearer {service_token}")))
            .await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.body, caller.subject().to_string());

        let admin_token = fixture.token(&user(Role::Admin), Audience::Scoring);
        let response = fixture
            .get("/internal", Some(&format!("Bearer {admin_token}")))
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn a_token_for_accounts_is_refused_by_scoring_without_echoing_it() {
        let fixture = fixture();
        let token = fixture.token(&user(Role::Client), Audience::Accounts);
        let response = fixture.get("/me", Some(&format!("Bearer {token}"))).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.challenge(),
            Some(r#"Bearer realm="imkon", error="invalid_token""#)
        );
        let problem = response.problem();
        assert_eq!(problem["code"], "invalid_token");
        assert_eq!(
            problem["detail"],
            "the access token is addressed to another service"
        );
        for segment in token.split('.') {
            assert!(!response.body.contains(segment));
        }
    }

    #[tokio::test]
    async fn an_expired_token_is_refused_as_expired() {
        let fixture = fixture();
        let issued_long_ago = fixture
            .issuer
            .issue_at(
                &user(Role::Client),
                Audience::Scoring,
                Duration::from_secs(60),
                Utc::now() - chrono::Duration::minutes(10),
            )
            .expect("one minute is allowed");
        let response = fixture
            .get("/me", Some(&format!("Bearer {}", issued_long_ago.as_str())))
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert_eq!(response.problem()["detail"], "the access token has expired");
    }

    #[tokio::test]
    async fn maybe_user_without_a_header_is_anonymous() {
        let response = fixture().get("/programmes", None).await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.body, "anonymous");
    }

    #[tokio::test]
    async fn maybe_user_with_a_garbage_token_is_refused_not_anonymous() {
        let response = fixture()
            .get("/programmes", Some("Bearer not-a-token"))
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.challenge(),
            Some(r#"Bearer realm="imkon", error="invalid_token""#)
        );
        assert_eq!(response.problem()["code"], "invalid_token");
    }

    #[tokio::test]
    async fn maybe_user_with_a_valid_token_is_that_user() {
        let fixture = fixture();
        let founder = user(Role::Client);
        let token = fixture.token(&founder, Audience::Scoring);
        let response = fixture
            .get("/programmes", Some(&format!("bearer {token}")))
            .await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.body, founder.subject().to_string());
    }

    #[tokio::test]
    async fn an_authorization_header_that_is_not_a_bearer_token_is_an_invalid_token() {
        let fixture = fixture();
        for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "token"] {
            let response = fixture.get("/programmes", Some(header)).await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{header}");
            assert_eq!(response.problem()["code"], "invalid_token", "{header}");
        }
    }

    #[test]
    fn staff_covers_every_role_but_founder_and_service() {
        let expected: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|role| !matches!(role, Role::Client | Role::Service))
            .collect();
        assert_eq!(Staff::ALLOWED, expected.as_slice());
    }

    #[test]
    fn require_any_errors_become_forbidden_problems() {
        let refusal: AuthRejection = user(Role::Client)
            .require_any(&[Role::CreditOfficer, Role::Admin])
            .expect_err("a founder is neither")
            .into();
        let response = refusal.into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
}
