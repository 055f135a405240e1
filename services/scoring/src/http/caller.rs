//! Who may call what: credit officers and admins manage scorecards; they and other Imkon
//! services (the applications service scores every application it screens) may evaluate.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use imkon_auth::extract::{AuthRejection, RequireRole, RoleRequirement, ServiceCaller};
use imkon_auth::{Principal, Role, TokenVerifier};

/// Credit officers and admins: the people who build and activate scorecards.
#[derive(Debug)]
pub enum CreditOfficerOrAdmin {}

impl RoleRequirement for CreditOfficerOrAdmin {
    const ALLOWED: &'static [Role] = &[Role::CreditOfficer, Role::Admin];
}

/// A credit officer or an admin.
pub type ScorecardManager = RequireRole<CreditOfficerOrAdmin>;

/// A credit officer, an admin, or another Imkon service: who may evaluate and read results.
#[derive(Debug, Clone)]
pub struct Scorer(Principal);

impl Scorer {
    pub fn principal(&self) -> &Principal {
        &self.0
    }
}

impl<S> FromRequestParts<S> for Scorer
where
    TokenVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match ServiceCaller::from_request_parts(parts, state).await {
            Ok(service) => Ok(Scorer(service.into_principal())),
            // A person's token: the person must hold one of the managing roles.
            Err(AuthRejection::UserNotAllowed) => {
                let person = ScorecardManager::from_request_parts(parts, state).await?;
                Ok(Scorer(person.into_principal()))
            }
            Err(other) => Err(other),
        }
    }
}

/// The roles of a principal as the audit trail records them.
pub fn role_names(principal: &Principal) -> Vec<String> {
    principal
        .roles()
        .map(|role| role.as_str().to_owned())
        .collect()
}

/// The peer address of the connection, for the audit trail; absent when the app is driven
/// without a socket.
#[derive(Debug, Clone)]
pub struct SourceAddress(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SourceAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(SourceAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(address)| address.ip().to_string()),
        ))
    }
}
