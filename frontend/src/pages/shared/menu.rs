//! The menu: one table of every entry, with who sees it. Adding a page to the menu is one line
//! here; the base template only walks the entries the visitor may open.

use crate::clients::onboarding::Person;
use crate::pages::shared::holdings::Holdings;
use crate::pages::shared::Section;

/// Who sees a menu entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every visitor, signed in or not.
    Everyone,
    /// Visitors who have not signed in.
    Anonymous,
    /// Anyone signed in.
    SignedIn,
    /// Those signed in who hold at least one of these roles.
    AnyRole(&'static [&'static str]),
    /// Clients with at least one open account: the pages that move money.
    ClientsWithAccounts,
    /// Clients who applied for funding at least once: the pages of applications and contracts.
    ClientsWithApplications,
}

impl Audience {
    /// Whether the visitor (`None` when no one is signed in), holding `holdings`, sees the
    /// entry.
    pub fn admits(self, person: Option<&Person>, holdings: Holdings) -> bool {
        match (self, person) {
            (Audience::Everyone, _) => true,
            (Audience::Anonymous, person) => person.is_none(),
            (Audience::SignedIn, person) => person.is_some(),
            (Audience::AnyRole(roles), Some(person)) => {
                roles.iter().any(|role| person.has_role(role))
            }
            (Audience::AnyRole(_), None) => false,
            (Audience::ClientsWithAccounts, Some(person)) => {
                person.is_client() && holdings.accounts
            }
            (Audience::ClientsWithApplications, Some(person)) => {
                person.is_client() && holdings.applications
            }
            (Audience::ClientsWithAccounts | Audience::ClientsWithApplications, None) => false,
        }
    }
}

/// One entry of the menu.
#[derive(Clone, Copy, Debug)]
pub struct MenuEntry {
    pub path: &'static str,
    /// The catalogue key of the entry's words.
    pub key: &'static str,
    /// The section whose pages mark the entry as current; `None` for an entry never marked.
    pub section: Option<Section>,
    pub audience: Audience,
}

/// Every registered person: a bank client, with or without a start-up.
const CLIENTS: Audience = Audience::AnyRole(&["client"]);
const CLIENTS_WITH_ACCOUNTS: Audience = Audience::ClientsWithAccounts;
const CLIENTS_WITH_APPLICATIONS: Audience = Audience::ClientsWithApplications;
const CREDIT_STAFF: Audience = Audience::AnyRole(&["credit_officer", "approver"]);
const PORTFOLIO_STAFF: Audience =
    Audience::AnyRole(&["credit_officer", "approver", "finance", "admin"]);
const APPROVERS: Audience = Audience::AnyRole(&["approver"]);
const KYC_OFFICERS: Audience = Audience::AnyRole(&["kyc_officer"]);
/// The staff who read client files (onboarding refuses administrators and founders).
const CLIENT_READERS: Audience =
    Audience::AnyRole(&["kyc_officer", "credit_officer", "approver", "finance"]);
const FINANCE: Audience = Audience::AnyRole(&["finance"]);
const ADMINS: Audience = Audience::AnyRole(&["admin"]);
/// Who records and confirms counter cash deposits: the roles accounts lets decide staff
/// transfers, so an admin can be the second person.
const CASH_DESK: Audience = Audience::AnyRole(&["finance", "admin"]);
const SCORECARD_MANAGERS: Audience = Audience::AnyRole(&["credit_officer", "admin"]);

const fn entry(
    path: &'static str,
    key: &'static str,
    section: Option<Section>,
    audience: Audience,
) -> MenuEntry {
    MenuEntry {
        path,
        key,
        section,
        audience,
    }
}

/// The menu, in the order it is shown: one line per entry.
#[rustfmt::skip]
pub const MENU: &[MenuEntry] = &[
    entry("/", "nav-home", Some(Section::Home), Audience::Everyone),
    entry("/calculator", "nav-calculator", Some(Section::Calculator), Audience::Everyone),
    entry("/programmes", "nav-programmes", Some(Section::Programmes), Audience::SignedIn),
    entry("/accounts", "nav-accounts", Some(Section::Accounts), CLIENTS),
    entry("/exchange", "nav-exchange", Some(Section::Exchange), CLIENTS_WITH_ACCOUNTS),
    entry("/other-banks", "nav-other-banks", Some(Section::OtherBanks), CLIENTS_WITH_ACCOUNTS),
    entry("/payments", "nav-payments", Some(Section::Payments), CLIENTS_WITH_ACCOUNTS),
    entry("/deposits", "nav-deposits", Some(Section::Deposits), CLIENTS_WITH_ACCOUNTS),
    entry("/bills", "nav-bills", Some(Section::Bills), CLIENTS_WITH_ACCOUNTS),
    entry("/applications", "nav-my-applications", Some(Section::Applications), CLIENTS_WITH_APPLICATIONS),
    entry("/contracts", "nav-my-contracts", Some(Section::Contracts), CLIENTS_WITH_APPLICATIONS),
    entry("/profile", "nav-profile", Some(Section::Profile), CLIENTS),
    entry("/kyc", "nav-kyc", Some(Section::Kyc), CLIENTS),
    entry(INBOX_PATH, "nav-inbox", Some(Section::Inbox), CLIENTS),
    entry("/contracts", "nav-contracts", Some(Section::Contracts), PORTFOLIO_STAFF),
    entry("/arrears", "nav-arrears", Some(Section::Arrears), PORTFOLIO_STAFF),
    entry("/portfolio", "nav-portfolio", Some(Section::Portfolio), PORTFOLIO_STAFF),
    entry("/loan-book", "nav-loan-book", Some(Section::LoanBook), PORTFOLIO_STAFF),
    entry("/kyc/cases", "nav-kyc-queue", Some(Section::Kyc), KYC_OFFICERS),
    entry("/kyc/watch-list", "nav-watch-list", Some(Section::WatchList), KYC_OFFICERS),
    entry("/approvals", "nav-approvals", Some(Section::Approvals), APPROVERS),
    entry("/applications", "nav-application-queue", Some(Section::Applications), CREDIT_STAFF),
    entry("/reviews", "nav-reviews", Some(Section::Reviews), CREDIT_STAFF),
    entry("/payouts", "nav-payouts", Some(Section::Payouts), FINANCE),
    entry("/clearing", "nav-clearing", Some(Section::Clearing), FINANCE),
    entry("/cash-deposits", "nav-cash-deposits", Some(Section::CashDeposits), CASH_DESK),
    entry("/fx", "nav-fx", Some(Section::Fx), CASH_DESK),
    entry("/clients", "nav-clients", Some(Section::Clients), CLIENT_READERS),
    entry("/admin", "nav-admin", Some(Section::Admin), ADMINS),
    entry("/admin/staff", "nav-staff-admin", Some(Section::StaffAdmin), ADMINS),
    entry("/admin/programmes", "menu-admin-programmes", Some(Section::AdminProgrammes), ADMINS),
    entry("/admin/deposit-products", "menu-admin-deposit-products", Some(Section::AdminDepositProducts), ADMINS),
    entry("/admin/audit", "menu-admin-audit", Some(Section::AdminAudit), ADMINS),
    entry("/scorecards", "nav-scorecards", Some(Section::Scorecards), SCORECARD_MANAGERS),
    entry("/account/password", "nav-password", Some(Section::Password), Audience::SignedIn),
    entry("/login", "nav-sign-in", Some(Section::SignIn), Audience::Anonymous),
    entry("/register", "nav-register", None, Audience::Anonymous),
];

/// The founder's inbox, whose entry shows how many notifications are unread.
pub const INBOX_PATH: &str = "/inbox";

/// A menu entry as the base template shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuLink {
    pub path: &'static str,
    pub key: &'static str,
    pub current: bool,
    /// A count shown in the entry's words (the inbox's unread notifications), when above zero.
    pub count: Option<i64>,
}

/// The entries `person`, holding `holdings`, sees on a page of `section`.
pub fn menu_for(person: Option<&Person>, holdings: Holdings, section: Section) -> Vec<MenuLink> {
    MENU.iter()
        .filter(|entry| entry.audience.admits(person, holdings))
        .map(|entry| MenuLink {
            path: entry.path,
            key: entry.key,
            current: entry.section == Some(section),
            count: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(roles: &[&str]) -> Person {
        Person {
            id: "p".to_owned(),
            roles: roles.iter().map(|role| (*role).to_owned()).collect(),
            client_id: None,
            name: "P".to_owned(),
            cyrillic_name: None,
        }
    }

    fn paths(person: Option<&Person>) -> Vec<&'static str> {
        menu_for(person, Holdings::default(), Section::None)
            .into_iter()
            .map(|link| link.path)
            .collect()
    }

    #[test]
    fn each_visitor_sees_only_the_entries_of_their_roles() {
        assert_eq!(paths(None), ["/", "/calculator", "/login", "/register"]);
        assert_eq!(
            paths(Some(&person(&["kyc_officer"]))),
            [
                "/",
                "/calculator",
                "/programmes",
                "/kyc/cases",
                "/kyc/watch-list",
                "/clients",
                "/account/password"
            ]
        );
        assert_eq!(
            paths(Some(&person(&["finance"]))),
            [
                "/",
                "/calculator",
                "/programmes",
                "/contracts",
                "/arrears",
                "/portfolio",
                "/loan-book",
                "/payouts",
                "/clearing",
                "/cash-deposits",
                "/fx",
                "/clients",
                "/account/password"
            ]
        );
    }

    #[test]
    fn a_clients_menu_follows_what_the_client_holds() {
        let client = person(&["client"]);
        let holding = |accounts, applications| {
            menu_for(
                Some(&client),
                Holdings {
                    accounts,
                    applications,
                },
                Section::None,
            )
            .into_iter()
            .map(|link| link.path)
            .collect::<Vec<_>>()
        };
        let everyday = [
            "/",
            "/calculator",
            "/programmes",
            "/accounts",
            "/profile",
            "/kyc",
            "/inbox",
            "/account/password",
        ];
        assert_eq!(holding(false, false), everyday);
        assert_eq!(
            holding(true, false),
            [
                "/",
                "/calculator",
                "/programmes",
                "/accounts",
                "/exchange",
                "/other-banks",
                "/payments",
                "/deposits",
                "/bills",
                "/profile",
                "/kyc",
                "/inbox",
                "/account/password"
            ]
        );
        assert_eq!(
            holding(false, true),
            [
                "/",
                "/calculator",
                "/programmes",
                "/accounts",
                "/applications",
                "/contracts",
                "/profile",
                "/kyc",
                "/inbox",
                "/account/password"
            ]
        );
        let finance = paths(Some(&person(&["finance"])));
        for clients_only in ["/accounts", "/profile", "/kyc", "/inbox"] {
            assert!(!finance.contains(&clients_only), "{finance:?}");
        }
    }

    #[test]
    fn the_entry_of_the_pages_section_is_current_and_no_other() {
        let links = menu_for(
            Some(&person(&["credit_officer"])),
            Holdings::default(),
            Section::Reviews,
        );
        let current: Vec<&str> = links
            .iter()
            .filter(|link| link.current)
            .map(|link| link.path)
            .collect();
        assert_eq!(current, ["/reviews"]);
        assert!(menu_for(None, Holdings::default(), Section::None)
            .iter()
            .all(|link| !link.current));
    }
}
