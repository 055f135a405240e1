//! What each service may do to the others: the one table onboarding issues service tokens by
//! and every service checks them against.
//!
//! A service's client credentials are worth exactly what this table grants them. Onboarding
//! refuses a client-credentials token for an audience the client is not listed for, and every
//! service token carries a `scope` claim with the operations its holder may perform at that
//! audience (see [`granted_scopes`]). A service then checks the scope on its service-only
//! routes, so a compromised scoring service, whose credentials buy no accounts token and whose
//! tokens carry no money scope, cannot move money, and a service can deliver only the events
//! of the topics it owns.
//!
//! The table is code, not configuration, on purpose: a deployment cannot widen a service's
//! powers by editing a setting, and a change to who may move money is a reviewed commit.

use std::borrow::Cow;
use std::fmt;

use crate::principal::Principal;
use crate::role::Audience;

/// The longest scope name, in bytes.
pub const SCOPE_MAX_BYTES: usize = 100;

/// An operation a service token permits, such as `accounts:transfer` or
/// `events:publish:client.kyc_approved`.
///
/// A scope is a token in the sense of RFC 6749, section 3.3, limited to lowercase letters,
/// digits and `:._-`, so that the space-separated `scope` claim always splits back into the
/// same scopes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope(Cow<'static, str>);

/// A scope name with a character outside the allowed set, or of the wrong length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a scope (1 to {SCOPE_MAX_BYTES} of a-z, 0-9 and `:._-`)")]
pub struct InvalidScope {
    /// The name that was given.
    pub name: String,
}

fn is_scope_character(character: u8) -> bool {
    character.is_ascii_lowercase()
        || character.is_ascii_digit()
        || matches!(character, b':' | b'.' | b'_' | b'-')
}

impl Scope {
    /// Parses a scope name, as read from a token's `scope` claim.
    pub fn parse(name: &str) -> Result<Scope, InvalidScope> {
        if name.is_empty() || name.len() > SCOPE_MAX_BYTES || !name.bytes().all(is_scope_character)
        {
            return Err(InvalidScope {
                name: name.to_owned(),
            });
        }
        Ok(Scope(Cow::Owned(name.to_owned())))
    }

    /// The scope that lets a service deliver events of `topic` to `/v1/events`.
    pub fn publish(topic: &str) -> Result<Scope, InvalidScope> {
        Scope::parse(&format!("{EVENTS_PUBLISH_PREFIX}{topic}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The audience an operation scope belongs to (`accounts` for `accounts:transfer`); `None`
    /// for the event scopes, which every receiving service checks.
    fn audience(&self) -> Option<Audience> {
        let (service, _) = self.0.split_once(':')?;
        service.parse().ok()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

const EVENTS_PUBLISH_PREFIX: &str = "events:publish:";

/// Reading any account, its statement and the list of a client's accounts.
pub const ACCOUNTS_READ: Scope = Scope(Cow::Borrowed("accounts:read"));
/// Opening an account, for a client or for the bank.
pub const ACCOUNTS_OPEN: Scope = Scope(Cow::Borrowed("accounts:open"));
/// Posting a transfer, and posting or voiding a held one: moving money.
pub const ACCOUNTS_TRANSFER: Scope = Scope(Cow::Borrowed("accounts:transfer"));

/// What one service's client credentials may buy.
#[derive(Debug, Clone, Copy)]
pub struct ServiceClientPolicy {
    /// The client id: the service's name.
    pub client: &'static str,
    /// The services it may call, which onboarding issues its tokens for.
    pub audiences: &'static [Audience],
    /// The operations it may perform there; each token carries those of its audience.
    pub operations: &'static [Scope],
}

/// Every service that may use the client-credentials grant, and what it may do. A client that
/// is not listed (the frontend among them) gets no service token at all.
///
/// - onboarding delivers its KYC events to accounts (a person's approval opens their current
///   account, a company's approval the company's) and to applications;
/// - applications reads clients at onboarding, asks scoring for scores, delivers approvals
///   to disbursement and asks it whether a client has an overdue loan;
/// - disbursement, with the daily collection and arrears job that runs inside it, is the one
///   service that opens accounts and moves money at accounts, and delivers its events for the
///   founder (`contract.ready_to_sign`, `tranche.paid`, `loan.instalment_due`, `loan.overdue`)
///   and of a cancelled contract's budget (`contract.cancelled`) to applications;
/// - accounts delivers its news of a client's money (`account.money_moved`: an exchange, a
///   transfer sent or received) to applications, which tells the client;
/// - scoring calls no other service.
pub const SERVICE_CLIENTS: &[ServiceClientPolicy] = &[
    ServiceClientPolicy {
        client: "onboarding",
        audiences: &[Audience::Accounts, Audience::Applications],
        operations: &[],
    },
    ServiceClientPolicy {
        client: "applications",
        audiences: &[
            Audience::Onboarding,
            Audience::Scoring,
            Audience::Disbursement,
        ],
        operations: &[],
    },
    ServiceClientPolicy {
        client: "disbursement",
        // Applications receives its events about a founder's loan, to tell the founder.
        audiences: &[Audience::Accounts, Audience::Applications],
        operations: &[ACCOUNTS_READ, ACCOUNTS_OPEN, ACCOUNTS_TRANSFER],
    },
    ServiceClientPolicy {
        client: "scoring",
        audiences: &[],
        operations: &[],
    },
    ServiceClientPolicy {
        client: "accounts",
        // Applications keeps the clients' inbox, where a money movement is announced.
        audiences: &[Audience::Applications],
        operations: &[],
    },
];

/// Every event topic and the one service that may publish it. A receiver refuses a topic from
/// anyone else, and a topic that is not listed from everyone.
pub const TOPIC_PUBLISHERS: &[(&str, &str)] = &[
    ("client.kyc_approved", "onboarding"),
    ("client.kyc_rejected", "onboarding"),
    ("company.kyc_approved", "onboarding"),
    ("company.kyc_rejected", "onboarding"),
    ("application.approved", "applications"),
    ("loan.overdue", "disbursement"),
    ("contract.ready_to_sign", "disbursement"),
    ("tranche.paid", "disbursement"),
    ("loan.instalment_due", "disbursement"),
    ("contract.cancelled", "disbursement"),
    ("account.money_moved", "accounts"),
];

/// The policy of the client `client`, if it may use the client-credentials grant.
pub fn service_client(client: &str) -> Option<&'static ServiceClientPolicy> {
    SERVICE_CLIENTS
        .iter()
        .find(|policy| policy.client == client)
}

/// The one service that may publish `topic`, if the topic is known.
pub fn topic_publisher(topic: &str) -> Option<&'static str> {
    TOPIC_PUBLISHERS
        .iter()
        .find(|(known, _)| *known == topic)
        .map(|(_, publisher)| *publisher)
}

impl ServiceClientPolicy {
    /// Whether this client may have tokens for `audience`.
    pub fn may_call(&self, audience: Audience) -> bool {
        self.audiences.contains(&audience)
    }
}

/// The scopes a token of `principal` for `audience` carries: for a service listed in
/// [`SERVICE_CLIENTS`] and allowed that audience, its operations at that audience and the
/// publishing of its own topics; for anyone else, none.
pub fn granted_scopes(principal: &Principal, audience: Audience) -> Vec<Scope> {
    let Some(policy) = principal
        .is_service()
        .then(|| principal.name().and_then(service_client))
        .flatten()
        .filter(|policy| policy.may_call(audience))
    else {
        return Vec::new();
    };
    let operations = policy
        .operations
        .iter()
        .filter(|scope| scope.audience() == Some(audience))
        .cloned();
    let publishing = TOPIC_PUBLISHERS
        .iter()
        .filter(|(_, publisher)| *publisher == policy.client)
        .filter_map(|(topic, _)| Scope::publish(topic).ok());
    operations.chain(publishing).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn service(name: &str) -> Principal {
        Principal::service(Uuid::now_v7(), Some(name.to_owned())).expect("a valid service")
    }

    fn names(scopes: &[Scope]) -> Vec<&str> {
        scopes.iter().map(Scope::as_str).collect()
    }

    #[test]
    fn only_disbursement_is_granted_the_money_operations_of_accounts() {
        assert_eq!(
            names(&granted_scopes(
                &service("disbursement"),
                Audience::Accounts
            )),
            [
                "accounts:read",
                "accounts:open",
                "accounts:transfer",
                "events:publish:loan.overdue",
                "events:publish:contract.ready_to_sign",
                "events:publish:tranche.paid",
                "events:publish:loan.instalment_due",
                "events:publish:contract.cancelled"
            ]
        );
        for client in [
            "onboarding",
            "applications",
            "scoring",
            "accounts",
            "frontend",
        ] {
            let scopes = granted_scopes(&service(client), Audience::Accounts);
            assert!(
                !scopes.contains(&ACCOUNTS_TRANSFER) && !scopes.contains(&ACCOUNTS_OPEN),
                "{client}: {scopes:?}"
            );
        }
    }

    #[test]
    fn onboarding_may_deliver_a_persons_and_a_companys_kyc_approval_to_accounts() {
        let scopes = granted_scopes(&service("onboarding"), Audience::Accounts);
        for topic in ["client.kyc_approved", "company.kyc_approved"] {
            assert!(
                scopes.contains(&Scope::publish(topic).unwrap()),
                "{topic}: {scopes:?}"
            );
        }
        assert!(
            !granted_scopes(&service("applications"), Audience::Accounts)
                .contains(&Scope::publish("company.kyc_approved").unwrap())
        );
    }

    #[test]
    fn a_service_gets_no_scope_for_an_audience_it_may_not_call() {
        assert!(granted_scopes(&service("scoring"), Audience::Accounts).is_empty());
        assert!(granted_scopes(&service("applications"), Audience::Accounts).is_empty());
        assert!(granted_scopes(&service("made-up"), Audience::Accounts).is_empty());
    }

    #[test]
    fn a_person_is_never_granted_a_scope() {
        let admin = Principal::user(Uuid::now_v7(), [crate::Role::Admin], None, None)
            .expect("a valid admin");
        assert!(granted_scopes(&admin, Audience::Accounts).is_empty());
    }

    #[test]
    fn each_topic_is_published_by_one_listed_service_and_only_it_holds_the_scope() {
        for (topic, publisher) in TOPIC_PUBLISHERS {
            assert!(service_client(publisher).is_some(), "{publisher}");
            let scope = Scope::publish(topic).expect("a topic makes a valid scope");
            for policy in SERVICE_CLIENTS {
                for audience in policy.audiences {
                    let holds = granted_scopes(&service(policy.client), *audience).contains(&scope);
                    assert_eq!(holds, policy.client == *publisher, "{topic} {policy:?}");
                }
            }
        }
        assert_eq!(
            topic_publisher("application.approved"),
            Some("applications")
        );
        assert_eq!(topic_publisher("client.deposited"), None);
    }

    #[test]
    fn scope_names_are_restricted_to_a_safe_alphabet() {
        assert!(Scope::parse("accounts:transfer").is_ok());
        for bad in ["", "Accounts", "a b", "a\"b", &"a".repeat(101)] {
            assert!(Scope::parse(bad).is_err(), "{bad:?}");
        }
    }
}
