//! The accounts service's account listings, as the founder's money pages and the staff's client
//! page read them, the bank's exchange rates in force, which the client's exchange page and
//! the staff's rates page both show, and the term deposit products, which the client's deposit
//! pages offer and the administrators' products page sets up. Statements, transfers and a
//! client's deposits stay with the pages that are their only callers.

use reqwest::Method;
use serde::Deserialize;

use crate::clients::api::{send_json, CallError, ServiceApi};
use crate::web::format::amount_text;
use crate::web::i18n::Translator;

/// An account with its balances; amounts travel as strings so no binary float touches them.
#[derive(Clone, Debug, Deserialize)]
pub struct Account {
    pub number: String,
    pub kind: String,
    pub currency: String,
    pub name: Option<String>,
    pub posted_balance: String,
    pub available_balance: String,
    /// When its owner closed it; absent while it is open.
    #[serde(default)]
    pub closed_at: Option<String>,
    /// Whose it is; a listing that does not say is read as the client's own.
    #[serde(default)]
    pub owner: Option<AccountOwner>,
}

/// Whose an account is: `client`, `company` (with the company's id) or `bank`.
#[derive(Clone, Debug, Deserialize)]
pub struct AccountOwner {
    pub kind: String,
    #[serde(default)]
    pub company_id: Option<String>,
}

/// The currencies a client may hold current accounts in.
pub const CURRENCIES: [&str; 3] = ["UZS", "USD", "EUR"];

impl Account {
    /// Whether the account is open (a closed one keeps its statement but is no longer listed).
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    /// A current account, a person's or a company's: what money is paid from and into.
    pub fn is_current(&self) -> bool {
        self.kind == "client_current" || self.kind == "company_current"
    }

    /// The account as a form's choice shows it: number, available money and, for a company's
    /// account, that it is the company's, so nobody pays from the wrong holder's money.
    pub fn choice_label(&self, translator: &Translator) -> String {
        let available = amount_text(&self.available_balance, &self.currency, translator);
        match self.company_id() {
            Some(_) => format!(
                "{} · {} · {}",
                self.number,
                available,
                translator.t("account-holder-company")
            ),
            None => format!("{} · {}", self.number, available),
        }
    }

    /// The company owning the account, when the client operates it for a company they founded.
    pub fn company_id(&self) -> Option<&str> {
        self.owner
            .as_ref()
            .filter(|owner| owner.kind == "company")
            .and_then(|owner| owner.company_id.as_deref())
    }
}

/// A published exchange rate.
#[derive(Clone, Debug, Deserialize)]
pub struct Rate {
    pub pair: String,
    pub buy_rate: String,
    pub sell_rate: String,
    pub valid_until: chrono::DateTime<chrono::Utc>,
}

/// The bank's rates in force now, one per currency pair.
pub async fn current_rates(api: &ServiceApi, token: &str) -> Result<Vec<Rate>, CallError> {
    send_json(api.authorized(Method::GET, "/v1/fx/rates/current", token)).await
}

/// The signed-in founder's own accounts.
pub async fn own_accounts(api: &ServiceApi, token: &str) -> Result<Vec<Account>, CallError> {
    send_json(api.authorized(Method::GET, "/v1/me/accounts", token)).await
}

/// A client's accounts, for staff (`GET /v1/accounts?client_id=`).
pub async fn client_accounts(
    api: &ServiceApi,
    token: &str,
    client_id: &str,
) -> Result<Vec<Account>, CallError> {
    send_json(
        api.authorized(Method::GET, "/v1/accounts", token)
            .query(&[("client_id", client_id)]),
    )
    .await
}

/// A saved payment template, as the accounts service answers it.
#[derive(Debug, Deserialize)]
pub struct PaymentTemplate {
    pub id: String,
    pub name: String,
    pub from_account: String,
    pub to_account: String,
    pub currency: String,
    pub amount: String,
}

/// The signed-in client's payment templates.
pub async fn own_templates(
    api: &ServiceApi,
    token: &str,
) -> Result<Vec<PaymentTemplate>, CallError> {
    send_json(api.authorized(Method::GET, "/v1/me/payment-templates", token)).await
}

/// A term deposit product, as the accounts service answers it; rates are percent a year.
#[derive(Clone, Debug, Deserialize)]
pub struct DepositProduct {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub term_months: i16,
    pub annual_rate: String,
    pub early_withdrawal_rate: String,
    pub min_amount: String,
    /// `monthly` or `maturity`.
    pub interest_payout: String,
    pub capitalised: bool,
    /// `offered` or `withdrawn`.
    pub state: String,
}

impl DepositProduct {
    pub fn is_offered(&self) -> bool {
        self.state == "offered"
    }
}

/// The term deposit products: those on offer, and to an administrator the withdrawn ones too.
pub async fn deposit_products(
    api: &ServiceApi,
    token: &str,
) -> Result<Vec<DepositProduct>, CallError> {
    send_json(api.authorized(Method::GET, "/v1/deposit-products", token)).await
}
