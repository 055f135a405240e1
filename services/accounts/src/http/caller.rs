//! Who is calling, and what each kind of caller may do here.
//!
//! Several endpoints serve both people and services (an account's details serve staff, the
//! disbursement service and the account's owner), so this extractor accepts any valid token
//! and the handlers decide with the rules below. The token is verified by the shared
//! extractors' code, so a key rotated in at the issuer is fetched here too.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use imkon_auth::extract::{require_principal, AuthRejection};
use imkon_auth::policy::{ACCOUNTS_OPEN, ACCOUNTS_READ, ACCOUNTS_TRANSFER};
use imkon_auth::{Principal, Role, Scope, TokenVerifier};
use imkon_platform::problem::Problem;
use std::marker::PhantomData;
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
        Ok(Caller(require_principal(parts, state).await?))
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

    /// Whether the caller is a service whose token permits `scope`. A service token proves
    /// only which service is calling; what it may do here is the scope the policy gave it, so
    /// a compromised scoring or applications service cannot move money.
    fn service_may(&self, scope: &Scope) -> bool {
        self.0.has_scope(scope)
    }

    /// Staff, and services allowed `accounts:read`, see every account; founders only their own.
    pub fn sees_every_account(&self) -> bool {
        self.service_may(&ACCOUNTS_READ) || STAFF_ROLES.iter().any(|role| self.0.has_role(*role))
    }

    /// Whether the caller may see an account of this owner: another client's account is
    /// reported as missing (404), never as forbidden, so numbers cannot be probed.
    pub fn may_see(&self, owner_client_id: Option<Uuid>) -> bool {
        self.sees_every_account()
            || (self.0.has_role(Role::Client)
                && owner_client_id.is_some()
                && owner_client_id == self.0.client_id())
    }

    /// Opening accounts is the bank's side: admins and services allowed `accounts:open`.
    pub fn require_account_opener(&self) -> Result<(), AccountsError> {
        if self.service_may(&ACCOUNTS_OPEN) || self.0.has_role(Role::Admin) {
            Ok(())
        } else {
            Err(forbidden(
                "opening accounts needs an admin or a service token with the accounts:open scope",
            ))
        }
    }

    /// Moving the bank's money: services allowed `accounts:transfer` (disbursement) and admin
    /// or finance staff.
    pub fn require_ledger_operator(&self) -> Result<(), AccountsError> {
        if self.service_may(&ACCOUNTS_TRANSFER)
            || self.0.has_role(Role::Admin)
            || self.0.has_role(Role::Finance)
        {
            Ok(())
        } else {
            Err(forbidden(
                "moving money needs a service token with the accounts:transfer scope or the admin or finance role",
            ))
        }
    }

    /// Deciding on a member of staff's transfer proposal: admin or finance staff, never a
    /// service (a service books directly and has nothing to confirm).
    pub fn require_ledger_staff(&self) -> Result<(), AccountsError> {
        if !self.0.is_service() && (self.0.has_role(Role::Admin) || self.0.has_role(Role::Finance))
        {
            Ok(())
        } else {
            Err(forbidden(
                "deciding on a transfer proposal needs the admin or finance role",
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

/// What a handler demands of its caller before it reads the query or the body, so that a caller
/// without the role learns 403 and nothing about how the request must look.
pub trait CallerRequirement {
    fn check(caller: &Caller) -> Result<(), AccountsError>;
}

/// A caller who met the requirement `R`; extracted before the handler's other arguments.
#[derive(Debug)]
pub struct Allowed<R> {
    caller: Caller,
    requirement: PhantomData<fn() -> R>,
}

impl<R> Allowed<R> {
    pub fn subject(&self) -> Uuid {
        self.caller.subject()
    }

    pub fn into_caller(self) -> Caller {
        self.caller
    }
}

impl<S, R> FromRequestParts<S> for Allowed<R>
where
    TokenVerifier: FromRef<S>,
    S: Send + Sync,
    R: CallerRequirement,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        R::check(&caller).map_err(IntoResponse::into_response)?;
        Ok(Allowed {
            caller,
            requirement: PhantomData,
        })
    }
}

/// Services allowed `accounts:transfer`, and admin or finance staff.
pub enum LedgerOperator {}

impl CallerRequirement for LedgerOperator {
    fn check(caller: &Caller) -> Result<(), AccountsError> {
        caller.require_ledger_operator()
    }
}

/// Admin or finance staff, people only.
pub enum LedgerStaff {}

impl CallerRequirement for LedgerStaff {
    fn check(caller: &Caller) -> Result<(), AccountsError> {
        caller.require_ledger_staff()
    }
}

/// Admins and services allowed `accounts:open`.
pub enum AccountOpener {}

impl CallerRequirement for AccountOpener {
    fn check(caller: &Caller) -> Result<(), AccountsError> {
        caller.require_account_opener()
    }
}

/// Staff and services allowed `accounts:read`.
pub enum StaffOrService {}

impl CallerRequirement for StaffOrService {
    fn check(caller: &Caller) -> Result<(), AccountsError> {
        caller.require_staff_or_service()
    }
}
