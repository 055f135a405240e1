//! The HTTP API, one module per resource. Only this layer knows JSON.

pub(crate) mod auth;
pub(crate) mod client_file;
pub(crate) mod clients;
pub(crate) mod companies;
pub(crate) mod documents;
pub(crate) mod external_login;
pub(crate) mod kyc;
pub(crate) mod passwords;
pub(crate) mod profile;
pub(crate) mod second_factor;
pub(crate) mod staff;
pub(crate) mod token_signing_keys;

use std::net::SocketAddr;

use imkon_auth::{Principal, Role};
use imkon_platform::audit::AuditEntry;

use crate::error::OnboardingError;

/// The caller's address as the connection shows it. Forwarded-for headers are not trusted:
/// anyone can write them, and the rate limit per address would be trivially dodged.
pub fn source_address(peer: SocketAddr) -> String {
    peer.ip().to_string()
}

/// An audit entry acted by `principal`.
pub fn audit_by<'a>(
    principal: &Principal,
    action: &'a str,
    subject_type: &'a str,
    subject_id: String,
) -> AuditEntry<'a> {
    AuditEntry {
        actor_id: Some(principal.subject()),
        actor_roles: principal
            .roles()
            .map(|role| role.as_str().to_owned())
            .collect(),
        action,
        subject_type,
        subject_id,
        before: None,
        after: None,
        source_address: None,
    }
}

/// Parses role names from a request; `field` is the JSON array's name.
pub fn parse_roles(field: &str, names: &[String]) -> Result<Vec<Role>, OnboardingError> {
    names
        .iter()
        .enumerate()
        .map(|(index, name)| {
            name.parse::<Role>().map_err(|error| {
                OnboardingError::invalid(format!("{field}[{index}]"), "unknown_role", &error)
            })
        })
        .collect()
}

/// Any authenticated caller: a service or a person. Handlers decide what each may see.
pub struct AnyCaller(pub Principal);

impl<S> axum::extract::FromRequestParts<S> for AnyCaller
where
    imkon_auth::TokenVerifier: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = imkon_auth::extract::AuthRejection;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        use imkon_auth::extract::{AuthRejection, AuthenticatedUser, ServiceCaller};
        match ServiceCaller::from_request_parts(parts, state).await {
            Ok(caller) => Ok(AnyCaller(caller.into_principal())),
            Err(AuthRejection::UserNotAllowed) => {
                AuthenticatedUser::from_request_parts(parts, state)
                    .await
                    .map(|user| AnyCaller(user.into_principal()))
            }
            Err(other) => Err(other),
        }
    }
}

/// Whether `caller` may read the client `client_id`: services and staff may read any client,
/// a founder only their own. Callers answer 404 otherwise, so ids cannot be probed.
pub fn may_read_client(caller: &Principal, client_id: uuid::Uuid) -> bool {
    caller.is_service()
        || caller
            .require_any(
                <imkon_auth::extract::Staff as imkon_auth::extract::RoleRequirement>::ALLOWED,
            )
            .is_ok()
        || caller.client_id() == Some(client_id)
}
