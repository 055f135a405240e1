//! Who is calling, and what each kind of caller may do here.
//!
//! Several endpoints serve both people and services (an account's details serve staff, the
//! disbursement service and the account's owner), so this extractor accepts any valid token
//! and the handlers decide with the rules below.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use imkon_auth::extract::AuthRejection;
use imkon_auth::{Principal, Role, TokenVerifier};
use imkon_platform::problem::Problem;
use uuid::Uuid;

use crate::error::AccountsError;

/// A person or a service with a valid token for this service.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S> FromRequestParts<S> for Caller
where
    TokenVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all(AUTHORIZATION).iter();
        let value = values.next().ok_or(AuthRejection::MissingToken)?;
        if values.next().is_some() {
            return Err(AuthRejection::MalformedAuthorizationHeader);
        }
        let token = value
            .to_str()
            .ok()
            .and_then(|text| text.split_once(' '))
            .filter(|(scheme, token)| {
                scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()
            })
            .map(|(_, token)| token.trim())
            .ok_or(AuthRejection::MalformedAuthorizationHeader)?;
        let principal = TokenVerifier::from_ref(state)
            .verify(token)?
            .into_principal();
        Ok(Caller(principal))
    }
}

const STAFF_ROLES: [Role; 5] = [
    Role::KycOfficer,
    Role::CreditOfficer,
    Role::Approver,
    Role::Finance,
    Role::Admin,
];

fn forbidden(detail: &str) -> AccountsError {
    AccountsError::Problem(Problem::forbidden("forbidden", detail))
}

impl Caller {
    pub fn principal(&self) -> &Principal {
        &self.0
    }

    pub fn subject(&self) -> Uuid {
        self.0.subject()
    }

    pub fn role_names(&self) -> Vec<String> {
        self.0
            .roles()
            .map(|role| role.as_str().to_owned())
            .collect()
    }

    /// Services and staff see every account; founders only their own.
    pub fn sees_every_account(&self) -> bool {
        self.0.is_service() || STAFF_ROLES.iter().any(|role| self.0.has_role(*role))
    }

    /// Whether the caller may see an account of this owner: another client's account is
    /// reported as missing (404), never as forbidden, so numbers cannot be probed.
    pub fn may_see(&self, owner_client_id: Option<Uuid>) -> bool {
        self.sees_every_account()
            || (self.0.has_role(Role::Founder)
                && owner_client_id.is_some()
                && owner_client_id == self.0.client_id())
    }

    /// Opening accounts is the bank's side: admins and services.
    pub fn require_account_opener(&self) -> Result<(), AccountsError> {
        if self.0.is_service() || self.0.has_role(Role::Admin) {
            Ok(())
        } else {
            Err(forbidden(
                "opening accounts needs an admin or a service token",
            ))
        }
    }

    /// Moving the bank's money: services (disbursement) and admin or finance staff.
    pub fn require_ledger_operator(&self) -> Result<(), AccountsError> {
        if self.0.is_service() || self.0.has_role(Role::Admin) || self.0.has_role(Role::Finance) {
            Ok(())
        } else {
            Err(forbidden(
                "moving money needs a service token or the admin or finance role",
            ))
        }
    }

    /// Listing accounts across clients: staff and services.
    pub fn require_staff_or_service(&self) -> Result<(), AccountsError> {
        if self.sees_every_account() {
            Ok(())
        } else {
            Err(forbidden("this needs a staff or service token"))
        }
    }
}
