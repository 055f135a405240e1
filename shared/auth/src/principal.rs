//! Who is calling: a person or a service, with their roles.

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::policy::Scope;
use crate::role::Role;

/// The longest display name a token carries, in characters. Names are for greeting people in
/// the UI; a bound keeps tokens (and headers) small.
pub const NAME_MAX_CHARS: usize = 200;

/// Whether a principal is a person or a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// A person: a founder or a member of staff.
    User,
    /// One Imkon service calling another.
    Service,
}

/// Why a set of claims does not describe a principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrincipalError {
    #[error("roles: a user must hold at least one role")]
    NoRoles,
    #[error("roles: a user can never hold the service role")]
    ServiceRoleOnUser,
    #[error("roles: a service token carries the service role and no other")]
    UserRoleOnService,
    #[error("client_id: a service is not a bank client")]
    ClientIdOnService,
    #[error("scope: a person's token carries roles, never service scopes")]
    ScopeOnUser,
    #[error("scope: {0}")]
    InvalidScope(#[from] crate::policy::InvalidScope),
    #[error("name: must not be blank")]
    BlankName,
    #[error("name: is {length_chars} characters long, the limit is {NAME_MAX_CHARS}")]
    NameTooLong { length_chars: usize },
}

/// An authenticated caller.
///
/// The fields are private so that every `Principal` keeps the platform's central rule: a
/// principal holding [`Role::Service`] is of kind [`PrincipalKind::Service`] and holds no other
/// role, and a user never holds `Service`. Code that asks "is this a person?" can therefore
/// trust [`Principal::kind`] without re-reading the roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    subject: Uuid,
    roles: BTreeSet<Role>,
    client_id: Option<Uuid>,
    name: Option<String>,
    kind: PrincipalKind,
    scopes: BTreeSet<Scope>,
}

/// A principal lacks every role an action allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this action needs one of the roles {}", format_roles(.required))]
pub struct MissingRole {
    /// The roles that would have been accepted.
    pub required: Vec<Role>,
}

fn format_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Principal {
    /// A person, with the roles they hold. `client_id` is their client profile if they are a
    /// bank client (every founder is); `name` is for display only, never for decisions.
    pub fn user(
        subject: Uuid,
        roles: impl IntoIterator<Item = Role>,
        client_id: Option<Uuid>,
        name: Option<String>,
    ) -> Result<Self, PrincipalError> {
        let roles: BTreeSet<Role> = roles.into_iter().collect();
        if roles.is_empty() {
            return Err(PrincipalError::NoRoles);
        }
        if roles.contains(&Role::Service) {
            return Err(PrincipalError::ServiceRoleOnUser);
        }
        Ok(Self {
            subject,
            roles,
            client_id,
            name: parse_name(name)?,
            kind: PrincipalKind::User,
            scopes: BTreeSet::new(),
        })
    }

    /// A service. `subject` identifies the calling service instance or deployment, and `name`
    /// says which service it is (for logs and audit).
    pub fn service(subject: Uuid, name: Option<String>) -> Result<Self, PrincipalError> {
        Ok(Self {
            subject,
            roles: BTreeSet::from([Role::Service]),
            client_id: None,
            name: parse_name(name)?,
            kind: PrincipalKind::Service,
            scopes: BTreeSet::new(),
        })
    }

    /// Rebuilds a principal from a token's claims: the presence of `service` among the roles
    /// decides the kind, and any mixing of service and user roles is refused.
    pub fn from_claims(
        subject: Uuid,
        roles: impl IntoIterator<Item = Role>,
        client_id: Option<Uuid>,
        name: Option<String>,
    ) -> Result<Self, PrincipalError> {
        let roles: BTreeSet<Role> = roles.into_iter().collect();
        if !roles.contains(&Role::Service) {
            return Self::user(subject, roles, client_id, name);
        }
        if roles.len() > 1 {
            return Err(PrincipalError::UserRoleOnService);
        }
        if client_id.is_some() {
            return Err(PrincipalError::ClientIdOnService);
        }
        Self::service(subject, name)
    }

    /// The principal's id: a person's user id or a service's id.
    pub fn subject(&self) -> Uuid {
        self.subject
    }

    /// The roles held, in a fixed order.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = Role> + '_ {
        self.roles.iter().copied()
    }

    /// The client profile of a person who is a bank client.
    pub fn client_id(&self) -> Option<Uuid> {
        self.client_id
    }

    /// A display name, for greetings and audit trails; never an identifier.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    pub fn is_user(&self) -> bool {
        self.kind == PrincipalKind::User
    }

    pub fn is_service(&self) -> bool {
        self.kind == PrincipalKind::Service
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The same service with the operations its token permits (its `scope` claim). Only the
    /// token verifier calls this: a principal's scopes are what a signed token says, never
    /// what a caller asserts. A person holds roles, never scopes.
    pub(crate) fn with_scopes(
        mut self,
        scopes: impl IntoIterator<Item = Scope>,
    ) -> Result<Self, PrincipalError> {
        let scopes: BTreeSet<Scope> = scopes.into_iter().collect();
        if self.is_user() && !scopes.is_empty() {
            return Err(PrincipalError::ScopeOnUser);
        }
        self.scopes = scopes;
        Ok(self)
    }

    /// The operations a service's token permits, in a fixed order; none for a person.
    pub fn scopes(&self) -> impl ExactSizeIterator<Item = &Scope> + '_ {
        self.scopes.iter()
    }

    /// Whether this is a service whose token permits `scope`.
    pub fn has_scope(&self, scope: &Scope) -> bool {
        self.is_service() && self.scopes.contains(scope)
    }

    /// Succeeds if the principal holds at least one of `allowed`. Handlers whose rule is not a
    /// single role (say, a credit officer or an admin) call this and map the error to a 403.
    pub fn require_any(&self, allowed: &[Role]) -> Result<(), MissingRole> {
        if allowed.iter().any(|role| self.has_role(*role)) {
            Ok(())
        } else {
            Err(MissingRole {
                required: allowed.to_vec(),
            })
        }
    }
}

fn parse_name(name: Option<String>) -> Result<Option<String>, PrincipalError> {
    let Some(name) = name else {
        return Ok(None);
    };
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(PrincipalError::BlankName);
    }
    let length_chars = trimmed.chars().count();
    if length_chars > NAME_MAX_CHARS {
        return Err(PrincipalError::NameTooLong { length_chars });
    }
    Ok(Some(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> Uuid {
        Uuid::now_v7()
    }

    #[test]
    fn a_user_keeps_their_roles_in_a_fixed_order_without_repeats() {
        let user = Principal::user(
            subject(),
            [Role::Approver, Role::CreditOfficer, Role::Approver],
            None,
            Some("  Dilnoza Karimova ".to_owned()),
        )
        .expect("a valid user");
        assert_eq!(
            user.roles().collect::<Vec<_>>(),
            vec![Role::CreditOfficer, Role::Approver]
        );
        assert_eq!(user.kind(), PrincipalKind::User);
        assert_eq!(user.name(), Some("Dilnoza Karimova"));
    }

    #[test]
    fn a_user_can_never_hold_the_service_role() {
        assert_eq!(
            Principal::user(subject(), [Role::Admin, Role::Service], None, None),
            Err(PrincipalError::ServiceRoleOnUser)
        );
    }

    #[test]
    fn a_user_without_roles_is_refused() {
        assert_eq!(
            Principal::user(subject(), [], None, None),
            Err(PrincipalError::NoRoles)
        );
    }

    #[test]
    fn claims_with_the_service_role_make_a_service_principal() {
        let caller = Principal::from_claims(subject(), [Role::Service], None, None)
            .expect("a valid service");
        assert!(caller.is_service());
        assert!(!caller.is_user());
    }

    #[test]
    fn claims_mixing_service_and_user_roles_are_refused() {
        assert_eq!(
            Principal::from_claims(subject(), [Role::Service, Role::Admin], None, None),
            Err(PrincipalError::UserRoleOnService)
        );
    }

    #[test]
    fn a_service_with_a_client_profile_is_refused() {
        assert_eq!(
            Principal::from_claims(subject(), [Role::Service], Some(subject()), None),
            Err(PrincipalError::ClientIdOnService)
        );
    }

    #[test]
    fn blank_and_overlong_names_are_refused() {
        assert_eq!(
            Principal::user(subject(), [Role::Client], None, Some("   ".to_owned())),
            Err(PrincipalError::BlankName)
        );
        assert_eq!(
            Principal::user(subject(), [Role::Client], None, Some("a".repeat(201))),
            Err(PrincipalError::NameTooLong { length_chars: 201 })
        );
    }

    #[test]
    fn require_any_passes_on_one_matching_role_and_names_the_roles_otherwise() {
        let officer =
            Principal::user(subject(), [Role::CreditOfficer], None, None).expect("a valid user");
        assert_eq!(
            officer.require_any(&[Role::Admin, Role::CreditOfficer]),
            Ok(())
        );
        let refusal = officer
            .require_any(&[Role::Admin, Role::Finance])
            .expect_err("a credit officer is neither admin nor finance");
        assert_eq!(
            refusal.to_string(),
            "this action needs one of the roles admin, finance"
        );
    }
}
