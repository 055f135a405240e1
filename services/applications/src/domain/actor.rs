//! Who acts on an application.

use uuid::Uuid;

/// The roles that may act on an application. Ownership (that a founder acts only on their own
/// application) is checked where the application is loaded, not here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActorRole {
    /// The applicant's founder, acting for the company.
    Founder,
    /// A bank officer who screens, requests information and proposes decisions.
    CreditOfficer,
    /// A committee member who confirms or sends back a proposed decision.
    Approver,
    /// A platform administrator, who configures programmes.
    Admin,
    /// Another service acting with its own token, such as automated screening.
    Service,
}

impl ActorRole {
    pub const ALL: [ActorRole; 5] = [
        ActorRole::Founder,
        ActorRole::CreditOfficer,
        ActorRole::Approver,
        ActorRole::Admin,
        ActorRole::Service,
    ];

    /// The stable name stored in the database and in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorRole::Founder => "founder",
            ActorRole::CreditOfficer => "credit_officer",
            ActorRole::Approver => "approver",
            ActorRole::Admin => "admin",
            ActorRole::Service => "service",
        }
    }
}

/// A person (or service account) acting in one role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Actor {
    pub person_id: Uuid,
    pub role: ActorRole,
}

impl Actor {
    pub fn new(person_id: Uuid, role: ActorRole) -> Actor {
        Actor { person_id, role }
    }
}
