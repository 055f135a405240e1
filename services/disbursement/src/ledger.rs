//! The ledger, as this service needs it: open accounts, find a company's or a client's current
//! account, post a transfer. Production talks to the accounts service over HTTP ([`HttpLedger`]); the trait
//! keeps the money-moving code independent of that transport.
//!
//! Every call carries an idempotency key that this service derives from what the call is for
//! (`tranche:<id>:disburse`, `contract:<id>:loan-account`), never a random one, so a retry after
//! a timeout or a crash asks the ledger for the same effect and the ledger returns the first.

use std::future::Future;
use std::pin::Pin;

use imkon_auth::Audience;
use imkon_platform::client::ServiceClient;
use imkon_platform::money::{Currency, Money};
use imkon_platform::service_tokens::ServiceTokens;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// The answer of a ledger call.
pub type LedgerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LedgerError>> + Send + 'a>>;

/// Why a ledger call did not take effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The ledger answered and refused (insufficient funds, an unknown account...).
    #[error("the ledger refused the call ({status} {code}): {detail}")]
    Refused {
        status: u16,
        code: String,
        detail: String,
    },
    /// The ledger could not be reached or answered something unreadable; the call may or may
    /// not have taken effect, and repeating it with the same key is safe.
    #[error("the ledger is unavailable: {0}")]
    Unavailable(String),
}

/// Whose an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountOwner {
    Client(Uuid),
    Bank,
}

/// The kinds of account this service opens or pays from and into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    ClientCurrent,
    Loan,
    GrantFund,
    InterestIncome,
    PenaltyIncome,
    BankSettlement,
    /// The bank's losses on loans written off, an expense.
    LoanLoss,
    /// The bank's income from fees, such as loans' arrangement fees.
    FeeIncome,
}

impl AccountKind {
    pub fn name(self) -> &'static str {
        match self {
            AccountKind::ClientCurrent => "client_current",
            AccountKind::Loan => "loan",
            AccountKind::GrantFund => "grant_fund",
            AccountKind::InterestIncome => "interest_income",
            AccountKind::PenaltyIncome => "penalty_income",
            AccountKind::BankSettlement => "bank_settlement",
            AccountKind::LoanLoss => "loan_loss",
            AccountKind::FeeIncome => "fee_income",
        }
    }
}

/// A request to open an account, or to find the one opened before under the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAccount {
    pub idempotency_key: String,
    pub owner: AccountOwner,
    pub kind: AccountKind,
    pub currency: Currency,
    pub allow_negative: bool,
    pub name: String,
}

/// One side of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Debit,
    Credit,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }
}

/// One entry of a transfer: an account number (20 digits), a side and an amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub account: String,
    pub side: Side,
    pub amount: Money,
}

/// A balanced transfer to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    pub idempotency_key: String,
    /// `disbursement`, `repayment` or `deposit` (a grant fund receiving its money).
    pub kind: &'static str,
    /// What the transfer is for, as the statement shows it (`tranche:<uuid>`).
    pub reference: String,
    pub currency: Currency,
    pub legs: Vec<Leg>,
}

/// The ledger's side of the calls this service makes.
pub trait Ledger: Send + Sync {
    /// Opens an account, or returns the one opened before under the same idempotency key;
    /// answers its 20-digit number.
    fn open_account(&self, request: OpenAccount) -> LedgerFuture<'_, String>;

    /// The number of the client's current account in `currency`, if the client has one.
    fn client_current_account(
        &self,
        client_id: Uuid,
        currency: Currency,
    ) -> LedgerFuture<'_, Option<String>>;

    /// The number of the company's own current account in `currency`, if the company has one
    /// (accounts opens it when the company's KYC is approved).
    fn company_current_account(
        &self,
        company_id: Uuid,
        currency: Currency,
    ) -> LedgerFuture<'_, Option<String>>;

    /// Posts a transfer, or returns the one posted before under the same key; answers its id.
    fn post_transfer(&self, request: TransferRequest) -> LedgerFuture<'_, Uuid>;

    /// The posted balance of account `number`, in the sign of its normal side: a loan
    /// account's balance is the principal the client still owes.
    fn account_balance(&self, number: String) -> LedgerFuture<'_, Decimal>;
}

/// The accounts service over HTTP, with service tokens for the `accounts` audience.
#[derive(Clone, Debug)]
pub struct HttpLedger {
    client: ServiceClient,
    tokens: ServiceTokens,
    accounts_url: String,
}

#[derive(Deserialize)]
struct AccountBody {
    number: String,
    currency: String,
}

/// A list of accounts: the agreed `{"items": [...]}`, or a bare array, which the accounts
/// service answered while the two were built side by side; both are read.
#[derive(Deserialize)]
#[serde(untagged)]
enum AccountList {
    Page { items: Vec<AccountBody> },
    Bare(Vec<AccountBody>),
}

impl AccountList {
    fn into_items(self) -> Vec<AccountBody> {
        match self {
            AccountList::Page { items } | AccountList::Bare(items) => items,
        }
    }
}

#[derive(Deserialize)]
struct BalanceBody {
    posted_balance: String,
}

#[derive(Deserialize)]
struct TransferBody {
    id: Uuid,
}

#[derive(Deserialize)]
struct ProblemBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    detail: String,
}

impl HttpLedger {
    pub fn new(client: ServiceClient, tokens: ServiceTokens, accounts_url: &str) -> HttpLedger {
        HttpLedger {
            client,
            tokens,
            accounts_url: accounts_url.trim_end_matches('/').to_owned(),
        }
    }

    async fn bearer(&self) -> Result<String, LedgerError> {
        self.tokens
            .token_for(Audience::Accounts)
            .await
            .map_err(|error| LedgerError::Unavailable(error.to_string()))
    }

    /// Reads a success body, or turns a refusal into [`LedgerError::Refused`].
    async fn answer<T: for<'de> Deserialize<'de>>(
        response: reqwest::Response,
    ) -> Result<T, LedgerError> {
        let status = response.status();
        if status.is_success() {
            return response
                .json::<T>()
                .await
                .map_err(|error| LedgerError::Unavailable(error.to_string()));
        }
        if status.is_server_error() {
            return Err(LedgerError::Unavailable(format!(
                "the ledger answered {status}"
            )));
        }
        let problem = response.json::<ProblemBody>().await.unwrap_or(ProblemBody {
            code: String::new(),
            detail: String::new(),
        });
        Err(LedgerError::Refused {
            status: status.as_u16(),
            code: problem.code,
            detail: problem.detail,
        })
    }

    /// The number of the first account in `currency` that `GET /v1/accounts?<query>` lists.
    async fn first_account_in(
        &self,
        query: String,
        currency: Currency,
    ) -> Result<Option<String>, LedgerError> {
        let response = self
            .client
            .get(&format!("{}/v1/accounts?{query}", self.accounts_url))
            .bearer_auth(self.bearer().await?)
            .send()
            .await
            .map_err(unavailable)?;
        let list: AccountList = Self::answer(response).await?;
        Ok(list
            .into_items()
            .into_iter()
            .find(|account| account.currency == currency.code())
            .map(|account| account.number))
    }
}

fn unavailable(error: reqwest::Error) -> LedgerError {
    LedgerError::Unavailable(error.to_string())
}

impl Ledger for HttpLedger {
    fn open_account(&self, request: OpenAccount) -> LedgerFuture<'_, String> {
        Box::pin(async move {
            let owner = match request.owner {
                AccountOwner::Client(client_id) => {
                    json!({"kind": "client", "client_id": client_id})
                }
                AccountOwner::Bank => json!({"kind": "bank"}),
            };
            let body = json!({
                "owner": owner,
                "kind": request.kind.name(),
                "currency": request.currency.code(),
                "allow_negative": request.allow_negative,
                "name": request.name,
            });
            let response = self
                .client
                .post(&format!("{}/v1/accounts", self.accounts_url))
                .bearer_auth(self.bearer().await?)
                .header("idempotency-key", &request.idempotency_key)
                .json(&body)
                .send()
                .await
                .map_err(unavailable)?;
            let account: AccountBody = Self::answer(response).await?;
            Ok(account.number)
        })
    }

    fn client_current_account(
        &self,
        client_id: Uuid,
        currency: Currency,
    ) -> LedgerFuture<'_, Option<String>> {
        Box::pin(self.first_account_in(
            format!("client_id={client_id}&kind=client_current"),
            currency,
        ))
    }

    fn company_current_account(
        &self,
        company_id: Uuid,
        currency: Currency,
    ) -> LedgerFuture<'_, Option<String>> {
        Box::pin(self.first_account_in(
            format!("company_id={company_id}&kind=company_current"),
            currency,
        ))
    }

    fn post_transfer(&self, request: TransferRequest) -> LedgerFuture<'_, Uuid> {
        Box::pin(async move {
            let legs: Vec<_> = request
                .legs
                .iter()
                .map(|leg| {
                    json!({
                        "account": leg.account,
                        "side": leg.side.name(),
                        "amount": leg.amount.amount().to_string(),
                    })
                })
                .collect();
            let body = json!({
                "kind": request.kind,
                "reference": request.reference,
                "currency": request.currency.code(),
                "legs": legs,
            });
            let response = self
                .client
                .post(&format!("{}/v1/transfers", self.accounts_url))
                .bearer_auth(self.bearer().await?)
                .header("idempotency-key", &request.idempotency_key)
                .json(&body)
                .send()
                .await
                .map_err(unavailable)?;
            let transfer: TransferBody = Self::answer(response).await?;
            Ok(transfer.id)
        })
    }

    fn account_balance(&self, number: String) -> LedgerFuture<'_, Decimal> {
        Box::pin(async move {
            let response = self
                .client
                .get(&format!("{}/v1/accounts/{number}", self.accounts_url))
                .bearer_auth(self.bearer().await?)
                .send()
                .await
                .map_err(unavailable)?;
            let account: BalanceBody = Self::answer(response).await?;
            account.posted_balance.parse().map_err(|_| {
                LedgerError::Unavailable(format!(
                    "the ledger answered a balance that is not a number: {}",
                    account.posted_balance
                ))
            })
        })
    }
}
