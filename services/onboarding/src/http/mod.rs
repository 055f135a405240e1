//! The HTTP API, one module per resource. Only this layer knows JSON.

pub(crate) mod auth;
pub(crate) mod staff;

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
