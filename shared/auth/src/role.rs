//! The roles a principal can hold, and the audiences a token can be addressed to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a principal may do. Roles travel in tokens by their snake_case names.
///
/// `Service` is special: it marks a machine caller (one Imkon service calling another), and a
/// token that carries it is never a person's token. See [`crate::Principal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A client of the bank: anyone who registered, with or without a start-up. Applying for
    /// funding is something a client does, not another kind of person, so founders hold this
    /// role too.
    ///
    /// Until December 2026 the role was named `founder`. The old name is still read (in tokens
    /// and in configuration) so that a token issued before the rename keeps working until it
    /// expires; it is never written.
    #[serde(alias = "founder")]
    Client,
    /// Reviews client identity documents and decides KYC cases.
    KycOfficer,
    /// Reviews applications and prepares decisions and contracts.
    CreditOfficer,
    /// A member of the credit committee, who confirms decisions.
    Approver,
    /// Approves and releases tranches, and watches repayments.
    Finance,
    /// Administers programmes, scorecards and staff.
    Admin,
    /// Another Imkon service, calling over HTTP.
    Service,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 7] = [
        Role::Client,
        Role::KycOfficer,
        Role::CreditOfficer,
        Role::Approver,
        Role::Finance,
        Role::Admin,
        Role::Service,
    ];

    /// The role's name on the wire and in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::KycOfficer => "kyc_officer",
            Role::CreditOfficer => "credit_officer",
            Role::Approver => "approver",
            Role::Finance => "finance",
            Role::Admin => "admin",
            Role::Service => "service",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The name [`Role::Client`] had before every registered person became a client.
const LEGACY_CLIENT_ROLE_NAME: &str = "founder";

/// A role name that is not one of the platform's roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a role (expected one of client, kyc_officer, credit_officer, approver, finance, admin, service)")]
pub struct UnknownRole {
    /// The name that was given.
    pub name: String,
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        if name == LEGACY_CLIENT_ROLE_NAME {
            return Ok(Role::Client);
        }
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == name)
            .ok_or_else(|| UnknownRole {
                name: name.to_owned(),
            })
    }
}

/// The service a token is addressed to (its `aud` claim).
///
/// Every token names exactly one audience, so a token stolen from (or leaked by) one service
/// cannot be replayed against another: the scoring service refuses a token minted for accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Onboarding,
    Applications,
    Scoring,
    Disbursement,
    Accounts,
    Frontend,
}

impl Audience {
    /// Every audience, in a fixed order.
    pub const ALL: [Audience; 6] = [
        Audience::Onboarding,
        Audience::Applications,
        Audience::Scoring,
        Audience::Disbursement,
        Audience::Accounts,
        Audience::Frontend,
    ];

    /// The service's name, as it appears in the `aud` claim.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Onboarding => "onboarding",
            Audience::Applications => "applications",
            Audience::Scoring => "scoring",
            Audience::Disbursement => "disbursement",
            Audience::Accounts => "accounts",
            Audience::Frontend => "frontend",
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// An audience name that is not one of the platform's services.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not an audience (expected one of onboarding, applications, scoring, disbursement, accounts, frontend)")]
pub struct UnknownAudience {
    /// The name that was given.
    pub name: String,
}

impl FromStr for Audience {
    type Err = UnknownAudience;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Audience::ALL
            .into_iter()
            .find(|audience| audience.as_str() == name)
            .ok_or_else(|| UnknownAudience {
                name: name.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name_and_its_json() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            let json = serde_json::to_string(&role).expect("a role serialises");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
    }

    #[test]
    fn role_names_are_snake_case() {
        assert_eq!(Role::KycOfficer.to_string(), "kyc_officer");
        assert_eq!(Role::CreditOfficer.to_string(), "credit_officer");
    }

    #[test]
    fn an_unknown_role_name_is_refused() {
        assert_eq!(
            "superuser".parse::<Role>(),
            Err(UnknownRole {
                name: "superuser".to_owned()
            })
        );
        assert!("Founder".parse::<Role>().is_err());
    }

    #[test]
    fn the_old_name_of_the_client_role_is_read_but_never_written() {
        assert_eq!("founder".parse::<Role>(), Ok(Role::Client));
        assert_eq!(
            serde_json::from_str::<Role>("\"founder\"").expect("the old name is read"),
            Role::Client
        );
        assert_eq!(
            serde_json::to_string(&Role::Client).expect("a role serialises"),
            "\"client\""
        );
    }

    #[test]
    fn every_audience_round_trips_through_its_name_and_its_json() {
        for audience in Audience::ALL {
            assert_eq!(audience.as_str().parse::<Audience>(), Ok(audience));
            let json = serde_json::to_string(&audience).expect("an audience serialises");
            assert_eq!(json, format!("\"{}\"", audience.as_str()));
        }
        assert!("ledger".parse::<Audience>().is_err());
    }
}
