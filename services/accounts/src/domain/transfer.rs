//! Transfers: a balanced set of debit and credit legs in one currency, moved as one.

use std::fmt;
use std::str::FromStr;

use imkon_platform::money::{Currency, Money, MoneyError};
use rust_decimal::Decimal;

use super::account::{AccountId, Side};

/// The longest idempotency key and reference we store.
pub const MAX_KEY_CHARS: usize = 255;
pub const MAX_REFERENCE_CHARS: usize = 255;

/// A limit on legs, so one request cannot lock an unbounded number of accounts.
pub const MAX_LEGS: usize = 32;

/// A client-chosen key that makes a money-moving request safe to repeat: 1–255 visible ASCII
/// characters (0x21–0x7E), so it survives HTTP headers and logs unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<IdempotencyKey, TransferViolation> {
        if text.is_empty() {
            return Err(TransferViolation::IdempotencyKeyLength { length: 0 });
        }
        if !text.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(TransferViolation::IdempotencyKeyNotVisibleAscii);
        }
        // Only ASCII is left, so the byte length is the character count.
        if text.len() > MAX_KEY_CHARS {
            return Err(TransferViolation::IdempotencyKeyLength { length: text.len() });
        }
        Ok(IdempotencyKey(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A human-readable reference (contract number, tranche, client's note): 1–255 characters,
/// no control characters, so statements print it safely.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TransferReference(String);

impl TransferReference {
    pub fn parse(text: &str) -> Result<TransferReference, TransferViolation> {
        let length = text.chars().count();
        if text.trim().is_empty() || length > MAX_REFERENCE_CHARS {
            return Err(TransferViolation::ReferenceLength { length });
        }
        if text.chars().any(char::is_control) {
            return Err(TransferViolation::ReferenceHasControlCharacters);
        }
        Ok(TransferReference(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why money moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferKind {
    /// A loan or grant tranche paid to a client.
    Disbursement,
    /// A client paying back a loan: principal, interest, penalties.
    Repayment,
    /// A client moving their own money to another account.
    ClientTransfer,
    /// The mirror image of an earlier transfer.
    Reversal,
    /// A correction booked by finance staff.
    Adjustment,
    /// Money arriving from outside the bank (cash or another bank).
    Deposit,
    /// Money leaving the bank (cash or another bank).
    Withdrawal,
    /// A loan's outstanding principal moved to the bank's losses when the loan is written off.
    WriteOff,
    /// A client's money exchanged between their own accounts in two currencies. The only kind
    /// whose legs are in two currencies (balanced in each), and only the exchange rules build
    /// one ([`Transfer::exchange`]): a request naming it is refused.
    Exchange,
    /// A fee the bank charges a client, such as a loan's arrangement fee paid up front.
    Fee,
    /// A client's money placed on a term deposit, or returned from it at maturity or on early
    /// closure.
    TermDeposit,
    /// Interest on a term deposit: a day's accrual (the bank's expense against what it owes)
    /// or a payment of what accrued.
    DepositInterest,
    /// A client's payment of an invoice of the state or a utility, leaving the bank through
    /// its settlement account; held until the payee's billing system confirms it.
    BillPayment,
}

impl TransferKind {
    pub const ALL: [TransferKind; 13] = [
        TransferKind::Disbursement,
        TransferKind::Repayment,
        TransferKind::ClientTransfer,
        TransferKind::Reversal,
        TransferKind::Adjustment,
        TransferKind::Deposit,
        TransferKind::Withdrawal,
        TransferKind::WriteOff,
        TransferKind::Exchange,
        TransferKind::Fee,
        TransferKind::TermDeposit,
        TransferKind::DepositInterest,
        TransferKind::BillPayment,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TransferKind::Disbursement => "disbursement",
            TransferKind::Repayment => "repayment",
            TransferKind::ClientTransfer => "client_transfer",
            TransferKind::Reversal => "reversal",
            TransferKind::Adjustment => "adjustment",
            TransferKind::Deposit => "deposit",
            TransferKind::Withdrawal => "withdrawal",
            TransferKind::WriteOff => "write_off",
            TransferKind::Exchange => "exchange",
            TransferKind::Fee => "fee",
            TransferKind::TermDeposit => "term_deposit",
            TransferKind::DepositInterest => "deposit_interest",
            TransferKind::BillPayment => "bill_payment",
        }
    }
}

impl FromStr for TransferKind {
    type Err = TransferViolation;

    fn from_str(code: &str) -> Result<TransferKind, TransferViolation> {
        TransferKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or_else(|| TransferViolation::UnknownKind {
                kind: code.to_owned(),
            })
    }
}

/// One leg as requested, before validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegDraft {
    pub account_id: AccountId,
    pub side: Side,
    pub amount: Decimal,
    pub currency: Currency,
}

/// A transfer as requested, before validation: what an HTTP or service layer has parsed from
/// JSON. Text fields stay text so that every problem can be reported at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferDraft {
    pub idempotency_key: String,
    pub kind: TransferKind,
    pub reference: String,
    pub legs: Vec<LegDraft>,
}

/// One validated leg: a positive amount to debit or credit one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    account_id: AccountId,
    side: Side,
    amount: Money,
}

impl Leg {
    pub fn account_id(&self) -> AccountId {
        self.account_id
    }

    pub fn side(&self) -> Side {
        self.side
    }

    pub fn amount(&self) -> Money {
        self.amount
    }
}

/// One thing wrong with a transfer request, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferViolation {
    #[error("an idempotency key has 1 to 255 characters, this one has {length}")]
    IdempotencyKeyLength { length: usize },
    #[error("an idempotency key has only visible ASCII characters")]
    IdempotencyKeyNotVisibleAscii,
    #[error("a reference has 1 to 255 characters and is not blank, this one has {length}")]
    ReferenceLength { length: usize },
    #[error("a reference has no control characters")]
    ReferenceHasControlCharacters,
    #[error("`{kind}` is not a transfer kind")]
    UnknownKind { kind: String },
    #[error("`{kind}` transfers are booked only by their own rules, never requested directly")]
    KindNotRequestable { kind: String },
    #[error("a transfer has at least two legs, this one has {count}")]
    TooFewLegs { count: usize },
    #[error("a transfer has at most 32 legs, this one has {count}")]
    TooManyLegs { count: usize },
    #[error("leg {leg}: the amount must be positive")]
    AmountNotPositive { leg: usize },
    #[error("leg {leg}: {currency} amounts have at most {digits} decimal places")]
    TooManyDecimals {
        leg: usize,
        currency: Currency,
        digits: u32,
    },
    #[error("leg {leg} is in {leg_currency}, the transfer in {transfer_currency}")]
    CurrencyMismatch {
        leg: usize,
        leg_currency: Currency,
        transfer_currency: Currency,
    },
    #[error("debits total {debits} but credits total {credits}")]
    Unbalanced { debits: Decimal, credits: Decimal },
    #[error("the amounts are out of range")]
    AmountOutOfRange,
}

impl TransferViolation {
    pub fn code(&self) -> &'static str {
        match self {
            TransferViolation::IdempotencyKeyLength { .. } => "idempotency_key_length",
            TransferViolation::IdempotencyKeyNotVisibleAscii => "idempotency_key_not_visible_ascii",
            TransferViolation::ReferenceLength { .. } => "reference_length",
            TransferViolation::ReferenceHasControlCharacters => "reference_control_characters",
            TransferViolation::UnknownKind { .. } => "unknown_transfer_kind",
            TransferViolation::KindNotRequestable { .. } => "transfer_kind_not_requestable",
            TransferViolation::TooFewLegs { .. } => "too_few_legs",
            TransferViolation::TooManyLegs { .. } => "too_many_legs",
            TransferViolation::AmountNotPositive { .. } => "amount_not_positive",
            TransferViolation::TooManyDecimals { .. } => "too_many_decimals",
            TransferViolation::CurrencyMismatch { .. } => "currency_mismatch",
            TransferViolation::Unbalanced { .. } => "unbalanced_transfer",
            TransferViolation::AmountOutOfRange => "amount_out_of_range",
        }
    }

    /// The field at fault, as a JSON path an HTTP layer can show: `legs[2].amount`.
    pub fn field(&self) -> String {
        match self {
            TransferViolation::IdempotencyKeyLength { .. }
            | TransferViolation::IdempotencyKeyNotVisibleAscii => "idempotency_key".to_owned(),
            TransferViolation::ReferenceLength { .. }
            | TransferViolation::ReferenceHasControlCharacters => "reference".to_owned(),
            TransferViolation::UnknownKind { .. }
            | TransferViolation::KindNotRequestable { .. } => "kind".to_owned(),
            TransferViolation::TooFewLegs { .. }
            | TransferViolation::TooManyLegs { .. }
            | TransferViolation::Unbalanced { .. }
            | TransferViolation::AmountOutOfRange => "legs".to_owned(),
            TransferViolation::AmountNotPositive { leg }
            | TransferViolation::TooManyDecimals { leg, .. } => format!("legs[{leg}].amount"),
            TransferViolation::CurrencyMismatch { leg, .. } => format!("legs[{leg}].currency"),
        }
    }
}

/// Every problem found in a transfer request, in the order of its fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the transfer is invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct TransferViolations(pub Vec<TransferViolation>);

/// A valid transfer: a key, a kind, a reference, and at least two positive legs in one currency
/// whose debits equal their credits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    idempotency_key: IdempotencyKey,
    kind: TransferKind,
    reference: TransferReference,
    currency: Currency,
    legs: Vec<Leg>,
}

impl Transfer {
    /// Validates a request as a whole and names every violation, not only the first.
    pub fn validate(draft: &TransferDraft) -> Result<Transfer, TransferViolations> {
        let mut violations = Vec::new();
        let key = IdempotencyKey::parse(&draft.idempotency_key)
            .map_err(|violation| violations.push(violation))
            .ok();
        let reference = TransferReference::parse(&draft.reference)
            .map_err(|violation| violations.push(violation))
            .ok();

        if draft.kind == TransferKind::Exchange {
            violations.push(TransferViolation::KindNotRequestable {
                kind: draft.kind.code().to_owned(),
            });
        }
        let count = draft.legs.len();
        if count < 2 {
            violations.push(TransferViolation::TooFewLegs { count });
        } else if count > MAX_LEGS {
            violations.push(TransferViolation::TooManyLegs { count });
        }

        // The first leg's currency is the transfer's; each other leg is compared to it.
        let currency = draft.legs.first().map(|leg| leg.currency);
        let mut legs = Vec::with_capacity(count);
        for (index, draft_leg) in draft.legs.iter().enumerate() {
            if let Some(transfer_currency) = currency {
                if draft_leg.currency != transfer_currency {
                    violations.push(TransferViolation::CurrencyMismatch {
                        leg: index,
                        leg_currency: draft_leg.currency,
                        transfer_currency,
                    });
                }
            }
            if draft_leg.amount <= Decimal::ZERO {
                violations.push(TransferViolation::AmountNotPositive { leg: index });
            }
            match Money::new(draft_leg.amount, draft_leg.currency) {
                Ok(amount) => legs.push(Leg {
                    account_id: draft_leg.account_id,
                    side: draft_leg.side,
                    amount,
                }),
                Err(MoneyError::TooManyDecimals { currency, digits }) => {
                    violations.push(TransferViolation::TooManyDecimals {
                        leg: index,
                        currency,
                        digits,
                    })
                }
                Err(_) => violations.push(TransferViolation::AmountOutOfRange),
            }
        }

        // Balance is only meaningful once every leg is a valid amount of one currency.
        if violations.is_empty() {
            match side_totals(&legs) {
                Some((debits, credits)) if debits != credits => {
                    violations.push(TransferViolation::Unbalanced { debits, credits })
                }
                Some(_) => {}
                None => violations.push(TransferViolation::AmountOutOfRange),
            }
        }

        match (key, reference, currency) {
            (Some(idempotency_key), Some(reference), Some(currency)) if violations.is_empty() => {
                Ok(Transfer {
                    idempotency_key,
                    kind: draft.kind,
                    reference,
                    currency,
                    legs,
                })
            }
            _ => Err(TransferViolations(violations)),
        }
    }

    /// The mirror image of `original`: every debit becomes a credit and the other way round, so
    /// posting both leaves every balance where it was.
    pub fn reversal_of(
        original: &Transfer,
        idempotency_key: IdempotencyKey,
        reference: TransferReference,
    ) -> Transfer {
        Transfer {
            idempotency_key,
            kind: TransferKind::Reversal,
            reference,
            currency: original.currency,
            legs: original
                .legs
                .iter()
                .map(|leg| Leg {
                    side: leg.side.opposite(),
                    ..*leg
                })
                .collect(),
        }
    }

    /// An exchange: legs in exactly two currencies, each currency's debits equal to its credits.
    /// The transfer's currency is the first leg's (what the client sells). The exchange rules
    /// compute the legs; a leg list that breaks these rules is a bug in them, so it panics.
    pub(crate) fn exchange(
        idempotency_key: IdempotencyKey,
        reference: TransferReference,
        legs: Vec<(AccountId, Side, Money)>,
    ) -> Transfer {
        assert!(legs.len() <= MAX_LEGS, "an exchange has a handful of legs");
        let legs: Vec<Leg> = legs
            .into_iter()
            .map(|(account_id, side, amount)| {
                assert!(amount.is_positive(), "every exchange leg is positive");
                Leg {
                    account_id,
                    side,
                    amount,
                }
            })
            .collect();
        let currency = legs[0].amount.currency();
        let mut currencies: Vec<Currency> = legs.iter().map(|leg| leg.amount.currency()).collect();
        currencies.sort_by_key(|currency| currency.code());
        currencies.dedup();
        assert_eq!(currencies.len(), 2, "an exchange is between two currencies");
        for each in currencies {
            let in_currency: Vec<Leg> = legs
                .iter()
                .filter(|leg| leg.amount.currency() == each)
                .copied()
                .collect();
            let (debits, credits) = side_totals(&in_currency).expect("exchange amounts fit");
            assert_eq!(debits, credits, "an exchange balances in {each}");
        }
        Transfer {
            idempotency_key,
            kind: TransferKind::Exchange,
            reference,
            currency,
            legs,
        }
    }

    /// A two-leg transfer of `amount`: debit one account, credit another. The amount must
    /// already be positive; this is for rules that build transfers from validated parts.
    pub(crate) fn two_legs(
        idempotency_key: IdempotencyKey,
        kind: TransferKind,
        reference: TransferReference,
        debit_account: AccountId,
        credit_account: AccountId,
        amount: Money,
    ) -> Transfer {
        assert!(amount.is_positive(), "callers pass a positive amount");
        Transfer {
            idempotency_key,
            kind,
            reference,
            currency: amount.currency(),
            legs: vec![
                Leg {
                    account_id: debit_account,
                    side: Side::Debit,
                    amount,
                },
                Leg {
                    account_id: credit_account,
                    side: Side::Credit,
                    amount,
                },
            ],
        }
    }

    pub fn idempotency_key(&self) -> &IdempotencyKey {
        &self.idempotency_key
    }

    pub fn kind(&self) -> TransferKind {
        self.kind
    }

    pub fn reference(&self) -> &TransferReference {
        &self.reference
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn legs(&self) -> &[Leg] {
        &self.legs
    }

    /// The total of the debit legs in the transfer's currency, which equals the total of its
    /// credit legs (an exchange's legs in its other currency are not counted).
    pub fn amount(&self) -> Money {
        let legs: Vec<Leg> = self
            .legs
            .iter()
            .filter(|leg| leg.amount.currency() == self.currency)
            .copied()
            .collect();
        let (debits, _) = side_totals(&legs)
            .expect("validate refused transfers whose totals do not fit in a Decimal");
        Money::new(debits, self.currency).expect("a sum of minor-unit amounts is at minor scale")
    }
}

/// The totals of debit and credit legs, or `None` on overflow.
fn side_totals(legs: &[Leg]) -> Option<(Decimal, Decimal)> {
    legs.iter().try_fold(
        (Decimal::ZERO, Decimal::ZERO),
        |(debits, credits), leg| match leg.side {
            Side::Debit => Some((debits.checked_add(leg.amount.amount())?, credits)),
            Side::Credit => Some((debits, credits.checked_add(leg.amount.amount())?)),
        },
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use uuid::Uuid;

    pub(crate) fn account(n: u128) -> AccountId {
        AccountId::from_uuid(Uuid::from_u128(n))
    }

    pub(crate) fn leg(n: u128, side: Side, amount: Decimal) -> LegDraft {
        LegDraft {
            account_id: account(n),
            side,
            amount,
            currency: Currency::Uzs,
        }
    }

    pub(crate) fn draft(legs: Vec<LegDraft>) -> TransferDraft {
        TransferDraft {
            idempotency_key: "key-1".into(),
            kind: TransferKind::Adjustment,
            reference: "test".into(),
            legs,
        }
    }

    fn codes(draft: &TransferDraft) -> Vec<(&'static str, String)> {
        Transfer::validate(draft)
            .unwrap_err()
            .0
            .iter()
            .map(|violation| (violation.code(), violation.field()))
            .collect()
    }

    #[test]
    fn a_balanced_two_leg_transfer_is_valid() {
        let transfer = Transfer::validate(&draft(vec![
            leg(1, Side::Debit, dec!(100.50)),
            leg(2, Side::Credit, dec!(100.5)),
        ]))
        .unwrap();
        assert_eq!(transfer.legs().len(), 2);
        assert_eq!(
            transfer.amount(),
            Money::new(dec!(100.50), Currency::Uzs).unwrap()
        );
        assert_eq!(transfer.currency(), Currency::Uzs);
    }

    #[test]
    fn a_split_credit_is_valid_when_it_adds_up() {
        let repayment = Transfer::validate(&draft(vec![
            leg(1, Side::Debit, dec!(1000)),
            leg(2, Side::Credit, dec!(900)),
            leg(3, Side::Credit, dec!(100)),
        ]));
        assert!(repayment.is_ok());
    }

    #[test]
    fn an_unbalanced_transfer_is_refused() {
        assert_eq!(
            codes(&draft(vec![
                leg(1, Side::Debit, dec!(100)),
                leg(2, Side::Credit, dec!(99.99))
            ])),
            vec![("unbalanced_transfer", "legs".to_owned())]
        );
    }

    #[test]
    fn every_violation_is_named_with_its_field() {
        let mut bad = draft(vec![
            leg(1, Side::Debit, dec!(10.005)),
            leg(2, Side::Credit, dec!(0)),
            LegDraft {
                currency: Currency::Usd,
                ..leg(3, Side::Credit, dec!(-1))
            },
        ]);
        bad.idempotency_key = String::new();
        bad.reference = "line\nbreak".into();
        assert_eq!(
            codes(&bad),
            vec![
                ("idempotency_key_length", "idempotency_key".to_owned()),
                ("reference_control_characters", "reference".to_owned()),
                ("too_many_decimals", "legs[0].amount".to_owned()),
                ("amount_not_positive", "legs[1].amount".to_owned()),
                ("currency_mismatch", "legs[2].currency".to_owned()),
                ("amount_not_positive", "legs[2].amount".to_owned()),
            ]
        );
    }

    #[test]
    fn a_single_leg_is_refused() {
        assert_eq!(
            codes(&draft(vec![leg(1, Side::Debit, dec!(1))])),
            vec![("too_few_legs", "legs".to_owned())]
        );
        assert_eq!(
            codes(&draft(vec![])),
            vec![("too_few_legs", "legs".to_owned())]
        );
    }

    #[test]
    fn too_many_legs_are_refused() {
        let mut legs: Vec<LegDraft> = (0..MAX_LEGS as u128 / 2)
            .flat_map(|n| {
                [
                    leg(2 * n, Side::Debit, dec!(1)),
                    leg(2 * n + 1, Side::Credit, dec!(1)),
                ]
            })
            .collect();
        assert!(Transfer::validate(&draft(legs.clone())).is_ok());
        legs.push(leg(99, Side::Debit, dec!(0)));
        legs.push(leg(98, Side::Credit, dec!(0)));
        assert!(codes(&draft(legs)).contains(&("too_many_legs", "legs".to_owned())));
    }

    #[test]
    fn idempotency_keys_are_visible_ascii_of_bounded_length() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(256)),
            Err(TransferViolation::IdempotencyKeyLength { length: 256 })
        );
        for bad in ["with space", "tab\t", "ключ", "\u{7f}"] {
            assert_eq!(
                IdempotencyKey::parse(bad),
                Err(TransferViolation::IdempotencyKeyNotVisibleAscii),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn references_are_not_blank() {
        assert_eq!(
            TransferReference::parse("   "),
            Err(TransferViolation::ReferenceLength { length: 3 })
        );
        assert!(TransferReference::parse("Shartnoma № 17").is_ok());
    }

    #[test]
    fn transfer_kinds_round_trip_through_their_codes() {
        for kind in TransferKind::ALL {
            assert_eq!(kind.code().parse::<TransferKind>(), Ok(kind));
        }
        assert_eq!(
            "refund".parse::<TransferKind>().unwrap_err().code(),
            "unknown_transfer_kind"
        );
    }

    #[test]
    fn a_reversal_swaps_every_side_and_keeps_the_amounts() {
        let original = Transfer::validate(&draft(vec![
            leg(1, Side::Debit, dec!(1000)),
            leg(2, Side::Credit, dec!(900)),
            leg(3, Side::Credit, dec!(100)),
        ]))
        .unwrap();
        let reversal = Transfer::reversal_of(
            &original,
            IdempotencyKey::parse("reverse-key-1").unwrap(),
            TransferReference::parse("reversal of key-1").unwrap(),
        );
        assert_eq!(reversal.kind(), TransferKind::Reversal);
        assert_eq!(reversal.amount(), original.amount());
        for (mirror, leg) in reversal.legs().iter().zip(original.legs()) {
            assert_eq!(mirror.account_id(), leg.account_id());
            assert_eq!(mirror.amount(), leg.amount());
            assert_eq!(mirror.side(), leg.side().opposite());
        }
    }
}
