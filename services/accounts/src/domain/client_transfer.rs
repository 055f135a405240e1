//! A client moving their own money: rules, the daily limit, and a two-step confirmation.
//!
//! Step one, the quote: the client names the source account (theirs), the destination by
//! number, and the amount. The rules are checked and the client is shown the fee (zero today)
//! and the total, with a one-time confirmation token that expires. Step two, the confirmation:
//! the client presents the token before it expires; the rules are checked again (the day's
//! total may have grown meanwhile) and the transfer is built. Whether the source has the money
//! is decided by the ledger when the transfer is booked, under lock, not here.

use chrono::{DateTime, Duration, Utc};
use imkon_platform::money::{Currency, Money};
use rust_decimal::Decimal;

use super::account::{Account, AccountId, AccountOwner, ClientId, CompanyId};
use super::transfer::{IdempotencyKey, Transfer, TransferKind, TransferReference};

/// The bank's limits on clients' own transfers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientTransferPolicy {
    daily_limits: Vec<Money>,
    quote_validity: Duration,
}

impl ClientTransferPolicy {
    /// The standard policy: 50 000 000.00 sum, 5 000.00 dollars or euros per client per day, and
    /// five minutes to confirm a quote.
    pub fn standard() -> ClientTransferPolicy {
        let limit = |amount: i64, currency| {
            Money::new(Decimal::new(amount, 2), currency).expect("the limits have two decimals")
        };
        ClientTransferPolicy {
            daily_limits: vec![
                limit(5_000_000_000, Currency::Uzs),
                limit(500_000, Currency::Usd),
                limit(500_000, Currency::Eur),
            ],
            quote_validity: Duration::minutes(5),
        }
    }

    /// The same policy with another daily limit for the limit's currency.
    pub fn with_daily_limit(mut self, limit: Money) -> ClientTransferPolicy {
        self.daily_limits
            .retain(|existing| existing.currency() != limit.currency());
        self.daily_limits.push(limit);
        self
    }

    /// How much one client may send per day in `currency`; zero for a currency with no limit
    /// configured, so a forgotten currency is closed rather than unlimited.
    pub fn daily_limit(&self, currency: Currency) -> Money {
        self.daily_limits
            .iter()
            .copied()
            .find(|limit| limit.currency() == currency)
            .unwrap_or_else(|| Money::zero(currency))
    }

    pub fn quote_validity(&self) -> Duration {
        self.quote_validity
    }
}

/// A one-time secret that ties a confirmation to its quote: 32 random bytes as 64 lowercase
/// hexadecimal characters. The caller supplies the randomness; the domain does no I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfirmationToken(String);

impl ConfirmationToken {
    pub fn from_random_bytes(bytes: [u8; 32]) -> ConfirmationToken {
        ConfirmationToken(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    pub fn parse(text: &str) -> Result<ConfirmationToken, ClientTransferError> {
        let well_formed = text.len() == 64
            && text
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if !well_formed {
            return Err(ClientTransferError::MalformedToken);
        }
        Ok(ConfirmationToken(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares in time independent of where the tokens differ, so response timing does not
    /// reveal how much of a guess was right.
    pub(crate) fn matches(&self, presented: &ConfirmationToken) -> bool {
        self.0.len() == presented.0.len()
            && self
                .0
                .bytes()
                .zip(presented.0.bytes())
                .fold(0u8, |difference, (a, b)| difference | (a ^ b))
                == 0
    }
}

/// What a client asks: move `amount` from `from` (theirs) to `to`.
#[derive(Clone, Copy, Debug)]
pub struct ClientTransferRequest<'a> {
    pub client: ClientId,
    /// The company the client pays for as its founder, when `from` is the company's account;
    /// none when they pay from their own.
    pub acting_for: Option<CompanyId>,
    pub from: &'a Account,
    pub to: &'a Account,
    pub amount: Money,
}

/// What the client is shown and must confirm. The HTTP layer stores it with the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferQuote {
    pub client: ClientId,
    pub from_account: AccountId,
    pub to_account: AccountId,
    pub amount: Money,
    pub fee: Money,
    /// What leaves the source account: the amount plus the fee.
    pub total_debit: Money,
    pub token: ConfirmationToken,
    pub expires_at: DateTime<Utc>,
}

/// Why a client's transfer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientTransferError {
    #[error("the source account does not belong to the client")]
    NotAccountOwner,
    #[error("money is sent only from a current account")]
    SourceNotCurrentAccount,
    #[error("money is sent only to a current account")]
    DestinationNotCurrentAccount,
    #[error("the source and destination are the same account")]
    SameAccount,
    #[error("the destination is in {destination}, the source in {source_currency}")]
    CurrencyMismatch {
        source_currency: Currency,
        destination: Currency,
    },
    #[error("the amount is in {amount}, the source account in {account}")]
    AmountCurrencyMismatch { amount: Currency, account: Currency },
    #[error("the amount must be positive")]
    AmountNotPositive,
    #[error("the daily limit is {limit}; {spent_today} was already sent today")]
    DailyLimitExceeded {
        limit: Money,
        spent_today: Money,
        requested: Money,
    },
    #[error("the quote has expired; ask for a new one")]
    QuoteExpired,
    #[error("the confirmation token does not match the quote")]
    TokenMismatch,
    #[error("a confirmation token is 64 lowercase hexadecimal characters")]
    MalformedToken,
    #[error("the request differs from the quote it confirms")]
    QuoteMismatch,
}

impl ClientTransferError {
    pub fn code(&self) -> &'static str {
        match self {
            ClientTransferError::NotAccountOwner => "not_account_owner",
            ClientTransferError::SourceNotCurrentAccount => "source_not_current_account",
            ClientTransferError::DestinationNotCurrentAccount => "destination_not_current_account",
            ClientTransferError::SameAccount => "same_account",
            ClientTransferError::CurrencyMismatch { .. }
            | ClientTransferError::AmountCurrencyMismatch { .. } => "currency_mismatch",
            ClientTransferError::AmountNotPositive => "amount_not_positive",
            ClientTransferError::DailyLimitExceeded { .. } => "daily_limit_exceeded",
            ClientTransferError::QuoteExpired => "quote_expired",
            ClientTransferError::TokenMismatch => "confirmation_token_mismatch",
            ClientTransferError::MalformedToken => "confirmation_token_malformed",
            ClientTransferError::QuoteMismatch => "quote_mismatch",
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            ClientTransferError::NotAccountOwner | ClientTransferError::SourceNotCurrentAccount => {
                "from_account"
            }
            ClientTransferError::DestinationNotCurrentAccount
            | ClientTransferError::SameAccount
            | ClientTransferError::CurrencyMismatch { .. } => "to_account",
            ClientTransferError::AmountCurrencyMismatch { .. }
            | ClientTransferError::AmountNotPositive
            | ClientTransferError::DailyLimitExceeded { .. } => "amount",
            ClientTransferError::QuoteExpired
            | ClientTransferError::TokenMismatch
            | ClientTransferError::MalformedToken
            | ClientTransferError::QuoteMismatch => "confirmation_token",
        }
    }
}

/// The fee for a client's own transfer. Zero today; one place to change when tariffs arrive.
fn fee_for(amount: Money) -> Money {
    Money::zero(amount.currency())
}

/// Checks the rules that hold at quote and at confirmation alike.
fn check_rules(
    request: &ClientTransferRequest<'_>,
    spent_today: Money,
    policy: &ClientTransferPolicy,
) -> Result<(), ClientTransferError> {
    let ClientTransferRequest {
        client,
        acting_for,
        from,
        to,
        amount,
    } = *request;
    let holds_it = match from.owner() {
        AccountOwner::Client(owner) => owner == client,
        AccountOwner::Company(company) => acting_for == Some(company),
        AccountOwner::Bank => false,
    };
    if !holds_it {
        return Err(ClientTransferError::NotAccountOwner);
    }
    if !from.kind().is_current() {
        return Err(ClientTransferError::SourceNotCurrentAccount);
    }
    if !to.kind().is_current() {
        return Err(ClientTransferError::DestinationNotCurrentAccount);
    }
    if from.id() == to.id() {
        return Err(ClientTransferError::SameAccount);
    }
    if from.currency() != to.currency() {
        return Err(ClientTransferError::CurrencyMismatch {
            source_currency: from.currency(),
            destination: to.currency(),
        });
    }
    if amount.currency() != from.currency() {
        return Err(ClientTransferError::AmountCurrencyMismatch {
            amount: amount.currency(),
            account: from.currency(),
        });
    }
    if !amount.is_positive() {
        return Err(ClientTransferError::AmountNotPositive);
    }
    let limit = policy.daily_limit(amount.currency());
    let exceeded = || ClientTransferError::DailyLimitExceeded {
        limit,
        spent_today,
        requested: amount,
    };
    let total_today = spent_today.checked_add(&amount).map_err(|_| exceeded())?;
    if total_today.amount() > limit.amount() {
        return Err(exceeded());
    }
    Ok(())
}

/// Step one: checks the rules and prices the transfer. `spent_today` is what the client has
/// already sent on the bank's today in the amount's currency.
pub fn quote_client_transfer(
    request: &ClientTransferRequest<'_>,
    spent_today: Money,
    policy: &ClientTransferPolicy,
    now: DateTime<Utc>,
    token: ConfirmationToken,
) -> Result<TransferQuote, ClientTransferError> {
    check_rules(request, spent_today, policy)?;
    let fee = fee_for(request.amount);
    let total_debit = request
        .amount
        .checked_add(&fee)
        .expect("the fee is in the amount's currency and small enough to add");
    Ok(TransferQuote {
        client: request.client,
        from_account: request.from.id(),
        to_account: request.to.id(),
        amount: request.amount,
        fee,
        total_debit,
        token,
        expires_at: now + policy.quote_validity(),
    })
}

/// Step two: checks the token and the expiry, checks the rules again against today's total
/// now, and builds the transfer to book. The expiry instant itself is already too late.
#[allow(clippy::too_many_arguments)]
pub fn confirm_client_transfer(
    quote: &TransferQuote,
    presented_token: &ConfirmationToken,
    request: &ClientTransferRequest<'_>,
    spent_today: Money,
    policy: &ClientTransferPolicy,
    now: DateTime<Utc>,
    idempotency_key: IdempotencyKey,
    reference: TransferReference,
) -> Result<Transfer, ClientTransferError> {
    if !quote.token.matches(presented_token) {
        return Err(ClientTransferError::TokenMismatch);
    }
    if now >= quote.expires_at {
        return Err(ClientTransferError::QuoteExpired);
    }
    let same_request = quote.client == request.client
        && quote.from_account == request.from.id()
        && quote.to_account == request.to.id()
        && quote.amount == request.amount;
    if !same_request {
        return Err(ClientTransferError::QuoteMismatch);
    }
    check_rules(request, spent_today, policy)?;
    Ok(Transfer::two_legs(
        idempotency_key,
        TransferKind::ClientTransfer,
        reference,
        request.from.id(),
        request.to.id(),
        request.amount,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{AccountKind, Side};
    use crate::domain::account_number::{AccountNumber, BalanceAccountCode, BankCode};
    use chrono::TimeZone;
    use rust_decimal_macros::dec;
    use uuid::Uuid;

    fn sums(amount: Decimal) -> Money {
        Money::new(amount, Currency::Uzs).unwrap()
    }

    fn client(n: u128) -> ClientId {
        ClientId::from_uuid(Uuid::from_u128(n))
    }

    fn current_account(id: u128, owner: u128, currency: Currency) -> Account {
        let number = AccountNumber::issue(
            BankCode::parse("00873").unwrap(),
            BalanceAccountCode::CURRENT_ACCOUNT_OF_INDIVIDUAL,
            currency,
            owner as u32,
            id as u16,
        )
        .unwrap();
        Account::open(
            AccountId::from_uuid(Uuid::from_u128(id)),
            number,
            AccountKind::ClientCurrent,
            AccountOwner::Client(client(owner)),
            currency,
            false,
        )
        .unwrap()
    }

    fn company_account(id: u128, company: CompanyId) -> Account {
        let number = AccountNumber::issue(
            BankCode::parse("00873").unwrap(),
            BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
            Currency::Uzs,
            900,
            id as u16,
        )
        .unwrap();
        Account::open(
            AccountId::from_uuid(Uuid::from_u128(id)),
            number,
            AccountKind::CompanyCurrent,
            AccountOwner::Company(company),
            Currency::Uzs,
            false,
        )
        .unwrap()
    }

    #[test]
    fn a_founder_pays_from_a_companys_account_only_acting_for_that_company() {
        let company = CompanyId::from_uuid(Uuid::from_u128(77));
        let theirs = company_account(5, company);
        let supplier = current_account(2, 20, Currency::Uzs);
        let acting = |acting_for| ClientTransferRequest {
            client: client(10),
            acting_for,
            from: &theirs,
            to: &supplier,
            amount: sums(dec!(1000)),
        };
        assert!(quote_for(&acting(Some(company))).is_ok());
        assert_eq!(
            quote_for(&acting(None)).unwrap_err(),
            ClientTransferError::NotAccountOwner
        );
        let another_company = CompanyId::from_uuid(Uuid::from_u128(78));
        assert_eq!(
            quote_for(&acting(Some(another_company))).unwrap_err(),
            ClientTransferError::NotAccountOwner
        );
        let mine = current_account(1, 10, Currency::Uzs);
        let into_the_company = ClientTransferRequest {
            client: client(10),
            acting_for: None,
            from: &mine,
            to: &theirs,
            amount: sums(dec!(1000)),
        };
        assert!(
            quote_for(&into_the_company).is_ok(),
            "a company's account is paid into like a person's"
        );
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
    }

    fn token() -> ConfirmationToken {
        ConfirmationToken::from_random_bytes([7; 32])
    }

    fn quote_for(
        request: &ClientTransferRequest<'_>,
    ) -> Result<TransferQuote, ClientTransferError> {
        quote_client_transfer(
            request,
            sums(dec!(0)),
            &ClientTransferPolicy::standard(),
            now(),
            token(),
        )
    }

    #[test]
    fn a_client_gets_a_quote_with_no_fee_and_an_expiry() {
        let (mine, theirs) = (
            current_account(1, 10, Currency::Uzs),
            current_account(2, 20, Currency::Uzs),
        );
        let request = ClientTransferRequest {
            client: client(10),
            acting_for: None,
            from: &mine,
            to: &theirs,
            amount: sums(dec!(250000)),
        };
        let quote = quote_for(&request).unwrap();
        assert_eq!(quote.fee, sums(dec!(0)));
        assert_eq!(quote.total_debit, sums(dec!(250000)));
        assert_eq!(quote.expires_at, now() + Duration::minutes(5));
        assert_eq!(quote.token.as_str().len(), 64);
    }

    #[test]
    fn the_rules_refuse_with_precise_codes() {
        let mine = current_account(1, 10, Currency::Uzs);
        let theirs = current_account(2, 20, Currency::Uzs);
        let dollars = current_account(3, 20, Currency::Usd);
        let cases = [
            (
                client(20),
                &mine,
                &theirs,
                sums(dec!(1)),
                "not_account_owner",
            ),
            (client(10), &mine, &mine, sums(dec!(1)), "same_account"),
            (
                client(10),
                &mine,
                &dollars,
                sums(dec!(1)),
                "currency_mismatch",
            ),
            (
                client(10),
                &mine,
                &theirs,
                Money::new(dec!(1), Currency::Usd).unwrap(),
                "currency_mismatch",
            ),
            (
                client(10),
                &mine,
                &theirs,
                sums(dec!(0)),
                "amount_not_positive",
            ),
        ];
        for (who, from, to, amount, code) in cases {
            let request = ClientTransferRequest {
                client: who,
                acting_for: None,
                from,
                to,
                amount,
            };
            assert_eq!(quote_for(&request).unwrap_err().code(), code);
        }
    }

    #[test]
    fn only_current_accounts_send_and_receive() {
        let mine = current_account(1, 10, Currency::Uzs);
        let loan = Account::open(
            AccountId::from_uuid(Uuid::from_u128(5)),
            AccountNumber::issue(
                BankCode::parse("00873").unwrap(),
                BalanceAccountCode::LOAN_TO_INDIVIDUAL,
                Currency::Uzs,
                10,
                1,
            )
            .unwrap(),
            AccountKind::Loan,
            AccountOwner::Client(client(10)),
            Currency::Uzs,
            false,
        )
        .unwrap();
        let into_loan = ClientTransferRequest {
            client: client(10),
            acting_for: None,
            from: &mine,
            to: &loan,
            amount: sums(dec!(1)),
        };
        assert_eq!(
            quote_for(&into_loan).unwrap_err(),
            ClientTransferError::DestinationNotCurrentAccount
        );
        let from_loan = ClientTransferRequest {
            client: client(10),
            acting_for: None,
            from: &loan,
            to: &mine,
            amount: sums(dec!(1)),
        };
        assert_eq!(
            quote_for(&from_loan).unwrap_err(),
            ClientTransferError::SourceNotCurrentAccount
        );
    }

    #[test]
    fn the_daily_limit_counts_what_was_sent_today() {
        let (mine, theirs) = (
            current_account(1, 10, Currency::Uzs),
            current_account(2, 20, Currency::Uzs),
        );
        let policy = ClientTransferPolicy::standard();
        assert_eq!(policy.daily_limit(Currency::Uzs), sums(dec!(50000000)));
        let request = ClientTransferRequest {
            client: client(10),
            acting_for: None,
            from: &mine,
            to: &theirs,
            amount: sums(dec!(10000000)),
        };
        assert!(
            quote_client_transfer(&request, sums(dec!(40000000)), &policy, now(), token()).is_ok()
        );
        let refused =
            quote_client_transfer(&request, sums(dec!(40000000.01)), &policy, now(), token())
                .unwrap_err();
        assert_eq!(refused.code(), "daily_limit_exceeded");
        assert_eq!(refused.field(), "amount");
    }

    #[test]
    fn a_lower_limit_can_be_configured() {
        let (mine, theirs) = (
            current_account(1, 10, Currency::Uzs),
            current_account(2, 20, Currency::Uzs),
        );
        let policy = ClientTransferPolicy::standard().with_daily_limit(sums(dec!(100)));
        let request = ClientTransferRequest {
            client: client(10),
            acting_for: None,
            from: &mine,
            to: &theirs,
            amount: sums(dec!(100.01)),
        };
        assert_eq!(
            quote_client_transfer(&request, sums(dec!(0)), &policy, now(), token())
                .unwrap_err()
                .code(),
            "daily_limit_exceeded"
        );
    }

    #[test]
    fn a_confirmed_quote_becomes_a_client_transfer() {
        let (mine, theirs) = (
            current_account(1, 10, Currency::Uzs),
            current_account(2, 20, Currency::Uzs),
        );
        let request = ClientTransferRequest {
            client: client(10),
            acting_for: None,
            from: &mine,
            to: &theirs,
            amount: sums(dec!(500)),
        };
        let quote = quote_for(&request).unwrap();
        let transfer = confirm_client_transfer(
            &quote,
            &ConfirmationToken::parse(quote.token.as_str()).unwrap(),
            &request,
            sums(dec!(0)),
            &ClientTransferPolicy::standard(),
            now() + Duration::minutes(4),
            IdempotencyKey::parse("confirm-1").unwrap(),
            TransferReference::parse("rent").unwrap(),
        )
        .unwrap();
        assert_eq!(transfer.kind(), TransferKind::ClientTransfer);
        assert_eq!(transfer.legs()[0].account_id(), mine.id());
        assert_eq!(transfer.legs()[0].side(), Side::Debit);
        assert_eq!(transfer.legs()[1].account_id(), theirs.id());
        assert_eq!(transfer.amount(), sums(dec!(500)));
    }

    #[test]
    fn a_confirmation_is_refused_when_late_wrong_changed_or_over_the_limit() {
        let (mine, theirs) = (
            current_account(1, 10, Currency::Uzs),
            current_account(2, 20, Currency::Uzs),
        );
        let request = ClientTransferRequest {
            client: client(10),
            acting_for: None,
            from: &mine,
            to: &theirs,
            amount: sums(dec!(500)),
        };
        let quote = quote_for(&request).unwrap();
        let policy = ClientTransferPolicy::standard();
        let confirm =
            |token: &ConfirmationToken, request: &ClientTransferRequest<'_>, spent, at| {
                confirm_client_transfer(
                    &quote,
                    token,
                    request,
                    spent,
                    &policy,
                    at,
                    IdempotencyKey::parse("confirm-1").unwrap(),
                    TransferReference::parse("rent").unwrap(),
                )
                .unwrap_err()
            };
        let right = quote.token.clone();
        let wrong = ConfirmationToken::from_random_bytes([8; 32]);
        assert_eq!(
            confirm(&wrong, &request, sums(dec!(0)), now()),
            ClientTransferError::TokenMismatch
        );
        assert_eq!(
            confirm(&right, &request, sums(dec!(0)), quote.expires_at),
            ClientTransferError::QuoteExpired
        );
        let changed = ClientTransferRequest {
            amount: sums(dec!(501)),
            ..request
        };
        assert_eq!(
            confirm(&right, &changed, sums(dec!(0)), now()),
            ClientTransferError::QuoteMismatch
        );
        assert_eq!(
            confirm(&right, &request, sums(dec!(49999600)), now()).code(),
            "daily_limit_exceeded"
        );
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in ["", "ABC", &"g".repeat(64), &"A".repeat(64), &"a".repeat(63)] {
            assert_eq!(
                ConfirmationToken::parse(bad),
                Err(ClientTransferError::MalformedToken),
                "{bad:?}"
            );
        }
        assert!(ConfirmationToken::parse(&"0a".repeat(32)).is_ok());
    }
}
