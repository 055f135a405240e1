//! Currency exchange between a client's own accounts at the bank's published rates.
//!
//! # Rates
//!
//! A rate is set for a pair BASE/QUOTE, one of USD/UZS, EUR/UZS and EUR/USD, as the number of
//! QUOTE units one BASE unit costs, with at most six decimals. The bank buys BASE from clients
//! at its buy rate and sells it to them at its sell rate, never below the buy rate. The mid
//! rate, (buy + sell) / 2, is exact: it has at most seven decimals.
//!
//! # Amounts and rounding
//!
//! The client names one amount exactly: either what leaves the source account (the amount
//! sold) or what reaches the destination (the amount bought). The other amount is the named
//! one converted at the applied rate (buy when the client sells BASE, sell when the client buys
//! BASE) and rounded once, to the minor unit of its currency (two decimals for the sum, the
//! dollar and the euro), **half to even**: a result exactly halfway between two minor units
//! goes to the one whose last digit is even (12.345 → 12.34, 12.355 → 12.36), anything else to
//! the nearer one. Every conversion is computed in whole integers (amounts in minor units,
//! rates in millionths), so the rounding sees the exact quotient or product, never an
//! approximation of it.
//!
//! # What the ledger books
//!
//! One transfer of kind `exchange`, balanced in each of its two currencies. The bank's
//! position account in a currency (credit-normal, long when positive) receives what the
//! client sells and pays what the client buys. The BASE side moves at the client's amount;
//! the QUOTE side at the BASE amount valued at the mid rate (rounded as above), and the
//! difference between that value and what the client pays or receives in QUOTE is the bank's
//! exchange income (or, from rounding on a tiny amount, a loss) in QUOTE:
//!
//! | client sells BASE (from BASE to QUOTE) | client buys BASE (from QUOTE to BASE) |
//! |---|---|
//! | debit client's BASE account: BASE amount | debit client's QUOTE account: QUOTE amount |
//! | credit BASE position: BASE amount | credit QUOTE position: value at mid |
//! | debit QUOTE position: value at mid | credit (or debit) income: QUOTE amount − value |
//! | credit client's QUOTE account: QUOTE amount | debit BASE position: BASE amount |
//! | credit (or debit) income: value − QUOTE amount | credit client's BASE account: BASE amount |
//!
//! So each currency's position account holds, at any moment, exactly the sum of that
//! currency's exchanges, bought less sold.

use std::fmt;
use std::str::FromStr;

use imkon_platform::money::{Currency, Money};
use rust_decimal::Decimal;

use super::account::{AccountId, Side};

/// The most decimals a rate has.
pub const RATE_DECIMALS: u32 = 6;

/// The largest rate the bank may publish: no pair it quotes is near it, and the bound keeps
/// every conversion inside 128-bit integers.
pub const MAX_RATE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// The largest amount one exchange may name, in any currency: a thousand trillion (10^15).
pub const MAX_EXCHANGE_AMOUNT: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// A currency pair the bank quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CurrencyPair {
    base: Currency,
    quote: Currency,
}

impl CurrencyPair {
    /// The pairs the bank quotes, as (BASE, QUOTE).
    pub const ALL: [CurrencyPair; 3] = [
        CurrencyPair {
            base: Currency::Usd,
            quote: Currency::Uzs,
        },
        CurrencyPair {
            base: Currency::Eur,
            quote: Currency::Uzs,
        },
        CurrencyPair {
            base: Currency::Eur,
            quote: Currency::Usd,
        },
    ];

    /// The pair with this base and quote, if the bank quotes it.
    pub fn new(base: Currency, quote: Currency) -> Result<CurrencyPair, ExchangeError> {
        CurrencyPair::ALL
            .into_iter()
            .find(|pair| pair.base == base && pair.quote == quote)
            .ok_or(ExchangeError::UnknownPair { base, quote })
    }

    /// The pair an exchange between these two currencies uses, whichever way it goes.
    pub fn between(from: Currency, to: Currency) -> Result<CurrencyPair, ExchangeError> {
        if from == to {
            return Err(ExchangeError::SameCurrency);
        }
        CurrencyPair::new(from, to).or_else(|_| CurrencyPair::new(to, from))
    }

    pub fn base(self) -> Currency {
        self.base
    }

    pub fn quote(self) -> Currency {
        self.quote
    }
}

impl fmt::Display for CurrencyPair {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.base, self.quote)
    }
}

impl FromStr for CurrencyPair {
    type Err = ExchangeError;

    /// Parses `USD/UZS`.
    fn from_str(text: &str) -> Result<CurrencyPair, ExchangeError> {
        let malformed = || ExchangeError::MalformedPair {
            text: text.to_owned(),
        };
        let (base, quote) = text.split_once('/').ok_or_else(malformed)?;
        let base: Currency = base.parse().map_err(|_| malformed())?;
        let quote: Currency = quote.parse().map_err(|_| malformed())?;
        CurrencyPair::new(base, quote)
    }
}

/// A pair's buy and sell rates, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rates {
    pair: CurrencyPair,
    buy: Decimal,
    sell: Decimal,
}

impl Rates {
    pub fn new(pair: CurrencyPair, buy: Decimal, sell: Decimal) -> Result<Rates, ExchangeError> {
        for (field, rate) in [("buy_rate", buy), ("sell_rate", sell)] {
            if rate <= Decimal::ZERO || rate > MAX_RATE {
                return Err(ExchangeError::RateOutOfRange { field });
            }
            if rate.normalize().scale() > RATE_DECIMALS {
                return Err(ExchangeError::RateTooPrecise { field });
            }
        }
        if sell < buy {
            return Err(ExchangeError::SellBelowBuy);
        }
        Ok(Rates { pair, buy, sell })
    }

    pub fn pair(&self) -> CurrencyPair {
        self.pair
    }

    pub fn buy(&self) -> Decimal {
        self.buy
    }

    pub fn sell(&self) -> Decimal {
        self.sell
    }

    /// (buy + sell) / 2, exact.
    pub fn mid(&self) -> Decimal {
        (self.buy + self.sell) / Decimal::TWO
    }
}

/// The one amount a client names exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedAmount {
    /// What leaves the source account, in its currency.
    Sell(Money),
    /// What reaches the destination account, in its currency.
    Buy(Money),
}

/// An exchange priced at a pair's rates: both amounts, the rate applied and the mid rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangeTerms {
    pair: CurrencyPair,
    /// What leaves the client's source account.
    sell_amount: Money,
    /// What reaches the client's destination account.
    buy_amount: Money,
    applied_rate: Decimal,
    mid_rate: Decimal,
}

/// The accounts an exchange's legs book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangeAccounts {
    /// The client's account the money leaves.
    pub client_from: AccountId,
    /// The client's account the money reaches.
    pub client_to: AccountId,
    /// The bank's position account in the pair's base currency.
    pub base_position: AccountId,
    /// The bank's position account in the pair's quote currency.
    pub quote_position: AccountId,
    /// The bank's exchange-income account in the pair's quote currency.
    pub quote_income: AccountId,
}

/// Prices an exchange from `from` to `to` with `rates` (of the pair between them), given the
/// amount the client names.
pub fn price(
    rates: &Rates,
    from: Currency,
    to: Currency,
    named: NamedAmount,
) -> Result<ExchangeTerms, ExchangeError> {
    let pair = rates.pair;
    if CurrencyPair::between(from, to)? != pair {
        return Err(ExchangeError::RatesOfAnotherPair);
    }
    let client_sells_base = from == pair.base;
    let applied_rate = if client_sells_base {
        rates.buy
    } else {
        rates.sell
    };
    let (sell_amount, buy_amount) = match named {
        NamedAmount::Sell(amount) => {
            check_named(amount, from, "sell_amount")?;
            // Selling BASE: QUOTE = BASE × rate. Selling QUOTE: BASE = QUOTE ÷ rate.
            let converted = if client_sells_base {
                multiply(amount.amount(), applied_rate)
            } else {
                divide(amount.amount(), applied_rate)
            };
            (amount, positive(converted, to)?)
        }
        NamedAmount::Buy(amount) => {
            check_named(amount, to, "buy_amount")?;
            // Buying QUOTE (selling BASE): BASE = QUOTE ÷ rate. Buying BASE: QUOTE = BASE × rate.
            let converted = if client_sells_base {
                divide(amount.amount(), applied_rate)
            } else {
                multiply(amount.amount(), applied_rate)
            };
            (positive(converted, from)?, amount)
        }
    };
    Ok(ExchangeTerms {
        pair,
        sell_amount,
        buy_amount,
        applied_rate,
        mid_rate: rates.mid(),
    })
}

fn check_named(
    amount: Money,
    currency: Currency,
    field: &'static str,
) -> Result<(), ExchangeError> {
    if amount.currency() != currency {
        return Err(ExchangeError::AmountInWrongCurrency { field });
    }
    if !amount.is_positive() || amount.amount() > MAX_EXCHANGE_AMOUNT {
        return Err(ExchangeError::AmountOutOfRange { field });
    }
    Ok(())
}

fn positive(amount: Decimal, currency: Currency) -> Result<Money, ExchangeError> {
    if amount <= Decimal::ZERO {
        return Err(ExchangeError::AmountTooSmall);
    }
    Money::new(amount, currency).map_err(|_| ExchangeError::AmountTooSmall)
}

impl ExchangeTerms {
    /// Terms as stored with a quote; checked again, since the legs are built from them.
    pub fn restore(
        pair: CurrencyPair,
        sell_amount: Money,
        buy_amount: Money,
        applied_rate: Decimal,
        mid_rate: Decimal,
    ) -> Result<ExchangeTerms, ExchangeError> {
        let between = CurrencyPair::between(sell_amount.currency(), buy_amount.currency())?;
        if between != pair || !sell_amount.is_positive() || !buy_amount.is_positive() {
            return Err(ExchangeError::RatesOfAnotherPair);
        }
        Ok(ExchangeTerms {
            pair,
            sell_amount,
            buy_amount,
            applied_rate,
            mid_rate,
        })
    }

    pub fn pair(&self) -> CurrencyPair {
        self.pair
    }

    pub fn sell_amount(&self) -> Money {
        self.sell_amount
    }

    pub fn buy_amount(&self) -> Money {
        self.buy_amount
    }

    pub fn applied_rate(&self) -> Decimal {
        self.applied_rate
    }

    pub fn mid_rate(&self) -> Decimal {
        self.mid_rate
    }

    fn client_sells_base(&self) -> bool {
        self.sell_amount.currency() == self.pair.base
    }

    /// The BASE amount of the exchange, whichever way it goes.
    pub fn base_amount(&self) -> Money {
        if self.client_sells_base() {
            self.sell_amount
        } else {
            self.buy_amount
        }
    }

    /// The QUOTE amount the client pays or receives.
    pub fn quote_amount(&self) -> Money {
        if self.client_sells_base() {
            self.buy_amount
        } else {
            self.sell_amount
        }
    }

    /// The BASE amount valued at the mid rate, in QUOTE: what the QUOTE position moves by.
    pub fn value_at_mid(&self) -> Decimal {
        multiply(self.base_amount().amount(), self.mid_rate)
    }

    /// The bank's income in QUOTE; negative for a loss.
    pub fn income(&self) -> Decimal {
        let value = self.value_at_mid();
        let quote = self.quote_amount().amount();
        if self.client_sells_base() {
            value - quote
        } else {
            quote - value
        }
    }

    /// The legs of the exchange's transfer, the client's source account first, in the order of
    /// the table in the module documentation; a zero amount (a value at mid or an income that
    /// rounds to nothing) books no leg.
    pub fn legs(&self, accounts: &ExchangeAccounts) -> Vec<(AccountId, Side, Money)> {
        let quote = self.pair.quote;
        let money = |amount: Decimal| {
            Money::new(amount, quote).expect("exchange amounts are whole minor units")
        };
        let value = self.value_at_mid();
        let income = self.income();
        let income_leg = if income > Decimal::ZERO {
            Some((accounts.quote_income, Side::Credit, money(income)))
        } else if income < Decimal::ZERO {
            Some((accounts.quote_income, Side::Debit, money(-income)))
        } else {
            None
        };
        let base = self.base_amount();
        let quote_amount = self.quote_amount();
        let mut legs = Vec::with_capacity(5);
        if self.client_sells_base() {
            legs.push((accounts.client_from, Side::Debit, base));
            legs.push((accounts.base_position, Side::Credit, base));
            if value > Decimal::ZERO {
                legs.push((accounts.quote_position, Side::Debit, money(value)));
            }
            legs.push((accounts.client_to, Side::Credit, quote_amount));
            legs.extend(income_leg);
        } else {
            legs.push((accounts.client_from, Side::Debit, quote_amount));
            if value > Decimal::ZERO {
                legs.push((accounts.quote_position, Side::Credit, money(value)));
            }
            legs.extend(income_leg);
            legs.push((accounts.base_position, Side::Debit, base));
            legs.push((accounts.client_to, Side::Credit, base));
        }
        legs
    }
}

/// The decimals of a rate as the conversions count it: seven, one more than a published rate
/// has, so that a mid rate (half the sum of two of them) is a whole number of units too.
const RATE_SCALE: u32 = 7;

/// A decimal as a whole number of 10^-`scale` units; the value has at most `scale` decimals.
fn units(value: Decimal, scale: u32) -> i128 {
    let mut scaled = value;
    scaled.rescale(scale);
    assert_eq!(
        scaled.normalize(),
        value.normalize(),
        "{value} has at most {scale} decimals"
    );
    scaled.mantissa()
}

/// `numerator / denominator` rounded half to even; the denominator is positive.
fn divide_half_even(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator.div_euclid(denominator);
    let twice_remainder = 2 * numerator.rem_euclid(denominator);
    match twice_remainder.cmp(&denominator) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => quotient + quotient.rem_euclid(2),
    }
}

/// `amount × rate`, rounded half to even to minor units (every currency the bank keeps has two
/// decimals).
fn multiply(amount: Decimal, rate: Decimal) -> Decimal {
    let product = units(amount, 2) * units(rate, RATE_SCALE);
    let minor = divide_half_even(product, 10_i128.pow(RATE_SCALE));
    Decimal::from_i128_with_scale(minor, 2)
}

/// `amount ÷ rate`, rounded half to even to minor units.
fn divide(amount: Decimal, rate: Decimal) -> Decimal {
    // amount = a / 100 and rate = r / 10^7, so amount ÷ rate in minor units is
    // (a × 10^7) ÷ r: both whole numbers.
    let numerator = units(amount, 2) * 10_i128.pow(RATE_SCALE);
    let minor = divide_half_even(numerator, units(rate, RATE_SCALE));
    Decimal::from_i128_with_scale(minor, 2)
}

/// Why an exchange (or a rate) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    #[error("the bank does not quote {base}/{quote}; it quotes USD/UZS, EUR/UZS and EUR/USD")]
    UnknownPair { base: Currency, quote: Currency },
    #[error("`{text}` is not a currency pair such as USD/UZS")]
    MalformedPair { text: String },
    #[error("both accounts are in the same currency")]
    SameCurrency,
    #[error("the rates are of another pair than the exchange")]
    RatesOfAnotherPair,
    #[error("{field}: a rate is above zero and at most 1000000000")]
    RateOutOfRange { field: &'static str },
    #[error("{field}: a rate has at most six decimals")]
    RateTooPrecise { field: &'static str },
    #[error("the sell rate is below the buy rate")]
    SellBelowBuy,
    #[error("{field} is not in the currency of its account")]
    AmountInWrongCurrency { field: &'static str },
    #[error("{field}: an exchange is of a positive amount up to 10^15")]
    AmountOutOfRange { field: &'static str },
    #[error("the amount is too small: converted, it rounds to nothing")]
    AmountTooSmall,
}

impl ExchangeError {
    pub fn code(&self) -> &'static str {
        match self {
            ExchangeError::UnknownPair { .. } => "unknown_currency_pair",
            ExchangeError::MalformedPair { .. } => "malformed_currency_pair",
            ExchangeError::SameCurrency => "same_currency",
            ExchangeError::RatesOfAnotherPair => "rates_of_another_pair",
            ExchangeError::RateOutOfRange { .. } => "exchange_rate_out_of_range",
            ExchangeError::RateTooPrecise { .. } => "rate_too_precise",
            ExchangeError::SellBelowBuy => "sell_rate_below_buy_rate",
            ExchangeError::AmountInWrongCurrency { .. } => "currency_mismatch",
            ExchangeError::AmountOutOfRange { .. } => "amount_out_of_range",
            ExchangeError::AmountTooSmall => "amount_too_small",
        }
    }

    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            ExchangeError::UnknownPair { .. } | ExchangeError::MalformedPair { .. } => "pair",
            ExchangeError::SameCurrency | ExchangeError::RatesOfAnotherPair => "to_account",
            ExchangeError::RateOutOfRange { field } | ExchangeError::RateTooPrecise { field } => {
                field
            }
            ExchangeError::SellBelowBuy => "sell_rate",
            ExchangeError::AmountInWrongCurrency { field }
            | ExchangeError::AmountOutOfRange { field } => field,
            ExchangeError::AmountTooSmall => "amount",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use uuid::Uuid;

    fn money(amount: Decimal, currency: Currency) -> Money {
        Money::new(amount, currency).unwrap()
    }

    fn rates(base: Currency, quote: Currency, buy: Decimal, sell: Decimal) -> Rates {
        Rates::new(CurrencyPair::new(base, quote).unwrap(), buy, sell).unwrap()
    }

    fn accounts() -> ExchangeAccounts {
        let id = |n| AccountId::from_uuid(Uuid::from_u128(n));
        ExchangeAccounts {
            client_from: id(1),
            client_to: id(2),
            base_position: id(3),
            quote_position: id(4),
            quote_income: id(5),
        }
    }

    #[test]
    fn the_maximum_amount_is_ten_to_the_fifteenth() {
        assert_eq!(MAX_EXCHANGE_AMOUNT, dec!(1_000_000_000_000_000));
        assert_eq!(MAX_RATE, dec!(1_000_000_000));
    }

    #[test]
    fn pairs_are_the_three_the_bank_quotes_either_way() {
        let usd_uzs = CurrencyPair::between(Currency::Uzs, Currency::Usd).unwrap();
        assert_eq!(usd_uzs.to_string(), "USD/UZS");
        assert_eq!(
            CurrencyPair::between(Currency::Usd, Currency::Eur)
                .unwrap()
                .to_string(),
            "EUR/USD"
        );
        assert_eq!(
            CurrencyPair::between(Currency::Usd, Currency::Usd),
            Err(ExchangeError::SameCurrency)
        );
        assert_eq!(
            "UZS/USD".parse::<CurrencyPair>().unwrap_err().code(),
            "unknown_currency_pair"
        );
        assert_eq!(
            "EUR/USD".parse::<CurrencyPair>().unwrap().base(),
            Currency::Eur
        );
        assert_eq!(
            "EURUSD".parse::<CurrencyPair>().unwrap_err().code(),
            "malformed_currency_pair"
        );
    }

    #[test]
    fn rates_are_positive_six_decimals_with_sell_not_below_buy() {
        let pair = CurrencyPair::new(Currency::Usd, Currency::Uzs).unwrap();
        let code = |buy, sell| Rates::new(pair, buy, sell).unwrap_err().code();
        assert_eq!(code(dec!(0), dec!(1)), "exchange_rate_out_of_range");
        assert_eq!(code(dec!(1.0000001), dec!(2)), "rate_too_precise");
        assert_eq!(code(dec!(2), dec!(1)), "sell_rate_below_buy_rate");
        assert_eq!(
            code(dec!(1), dec!(1000000001)),
            "exchange_rate_out_of_range"
        );
        assert!(Rates::new(pair, dec!(12650.123456), dec!(12650.123456)).is_ok());
        assert!(Rates::new(pair, dec!(12650.1234560), dec!(12700)).is_ok());
    }

    /// USD/UZS at 12 600 / 12 700, mid 12 650. Selling 100 dollars pays 1 260 000 sums; the
    /// dollars are worth 1 265 000 at mid, so the bank earns 5 000.
    #[test]
    fn selling_dollars_for_sums_at_the_buy_rate() {
        let rates = rates(Currency::Usd, Currency::Uzs, dec!(12600), dec!(12700));
        let terms = price(
            &rates,
            Currency::Usd,
            Currency::Uzs,
            NamedAmount::Sell(money(dec!(100), Currency::Usd)),
        )
        .unwrap();
        assert_eq!(terms.buy_amount(), money(dec!(1260000), Currency::Uzs));
        assert_eq!(terms.applied_rate(), dec!(12600));
        assert_eq!(terms.value_at_mid(), dec!(1265000));
        assert_eq!(terms.income(), dec!(5000));
        let legs = terms.legs(&accounts());
        let a = accounts();
        assert_eq!(
            legs,
            vec![
                (a.client_from, Side::Debit, money(dec!(100), Currency::Usd)),
                (
                    a.base_position,
                    Side::Credit,
                    money(dec!(100), Currency::Usd)
                ),
                (
                    a.quote_position,
                    Side::Debit,
                    money(dec!(1265000), Currency::Uzs)
                ),
                (
                    a.client_to,
                    Side::Credit,
                    money(dec!(1260000), Currency::Uzs)
                ),
                (
                    a.quote_income,
                    Side::Credit,
                    money(dec!(5000), Currency::Uzs)
                ),
            ]
        );
    }

    /// Buying 100 dollars costs 1 270 000 sums at the sell rate; worth 1 265 000 at mid.
    #[test]
    fn buying_dollars_with_sums_at_the_sell_rate() {
        let rates = rates(Currency::Usd, Currency::Uzs, dec!(12600), dec!(12700));
        let terms = price(
            &rates,
            Currency::Uzs,
            Currency::Usd,
            NamedAmount::Buy(money(dec!(100), Currency::Usd)),
        )
        .unwrap();
        assert_eq!(terms.sell_amount(), money(dec!(1270000), Currency::Uzs));
        assert_eq!(terms.income(), dec!(5000));
        let a = accounts();
        assert_eq!(
            terms.legs(&a),
            vec![
                (
                    a.client_from,
                    Side::Debit,
                    money(dec!(1270000), Currency::Uzs)
                ),
                (
                    a.quote_position,
                    Side::Credit,
                    money(dec!(1265000), Currency::Uzs)
                ),
                (
                    a.quote_income,
                    Side::Credit,
                    money(dec!(5000), Currency::Uzs)
                ),
                (
                    a.base_position,
                    Side::Debit,
                    money(dec!(100), Currency::Usd)
                ),
                (a.client_to, Side::Credit, money(dec!(100), Currency::Usd)),
            ]
        );
    }

    /// Selling 1 000 000 sums for dollars at 12 700: 78.740157… → 78.74.
    #[test]
    fn selling_sums_for_dollars_divides_by_the_sell_rate() {
        let rates = rates(Currency::Usd, Currency::Uzs, dec!(12600), dec!(12700));
        let terms = price(
            &rates,
            Currency::Uzs,
            Currency::Usd,
            NamedAmount::Sell(money(dec!(1000000), Currency::Uzs)),
        )
        .unwrap();
        assert_eq!(terms.buy_amount(), money(dec!(78.74), Currency::Usd));
        // 78.74 × 12 650 = 996 061.00 at mid; the client paid 1 000 000.00.
        assert_eq!(terms.value_at_mid(), dec!(996061));
        assert_eq!(terms.income(), dec!(3939));
    }

    /// Wanting 1 000 000 sums for dollars at the buy rate 12 600: 79.365079… → 79.37 dollars.
    #[test]
    fn buying_sums_with_dollars_divides_by_the_buy_rate() {
        let rates = rates(Currency::Usd, Currency::Uzs, dec!(12600), dec!(12700));
        let terms = price(
            &rates,
            Currency::Usd,
            Currency::Uzs,
            NamedAmount::Buy(money(dec!(1000000), Currency::Uzs)),
        )
        .unwrap();
        assert_eq!(terms.sell_amount(), money(dec!(79.37), Currency::Usd));
        // 79.37 × 12 650 = 1 004 030.50 at mid; the client receives 1 000 000.00.
        assert_eq!(terms.income(), dec!(4030.50));
    }

    /// EUR/USD at 1.081234 / 1.091234 (six decimals), mid 1.086234. Selling 10.05 euros:
    /// 10.05 × 1.081234 = 10.8664017 → 10.87 dollars; at mid 10.9166517 → 10.92.
    #[test]
    fn a_rate_with_six_decimals() {
        let rates = rates(Currency::Eur, Currency::Usd, dec!(1.081234), dec!(1.091234));
        let terms = price(
            &rates,
            Currency::Eur,
            Currency::Usd,
            NamedAmount::Sell(money(dec!(10.05), Currency::Eur)),
        )
        .unwrap();
        assert_eq!(terms.buy_amount(), money(dec!(10.87), Currency::Usd));
        assert_eq!(terms.mid_rate(), dec!(1.086234));
        assert_eq!(terms.value_at_mid(), dec!(10.92));
        assert_eq!(terms.income(), dec!(0.05));
    }

    /// Products that land exactly on half a minor unit go to the even neighbour: at a rate of
    /// 1.5, 0.01 → 0.015 → 0.02 (up to even) and 0.03 → 0.045 → 0.04 (down to even).
    #[test]
    fn half_a_minor_unit_rounds_to_even() {
        let rates = rates(Currency::Eur, Currency::Usd, dec!(1.5), dec!(1.5));
        let sell = |amount| {
            price(
                &rates,
                Currency::Eur,
                Currency::Usd,
                NamedAmount::Sell(money(amount, Currency::Eur)),
            )
            .unwrap()
            .buy_amount()
            .amount()
        };
        assert_eq!(sell(dec!(0.01)), dec!(0.02));
        assert_eq!(sell(dec!(0.03)), dec!(0.04));
        assert_eq!(sell(dec!(0.05)), dec!(0.08));
        assert_eq!(sell(dec!(0.07)), dec!(0.10));
        // Division: 0.03 dollars at 2 = 0.015 → 0.02 euros; 0.01 → 0.005 → 0.00: too small.
        let rates = rates_of(dec!(2));
        let buy_euros = |amount| {
            price(
                &rates,
                Currency::Usd,
                Currency::Eur,
                NamedAmount::Sell(money(amount, Currency::Usd)),
            )
        };
        assert_eq!(
            buy_euros(dec!(0.03)).unwrap().buy_amount().amount(),
            dec!(0.02)
        );
        assert_eq!(
            buy_euros(dec!(0.05)).unwrap().buy_amount().amount(),
            dec!(0.02)
        );
        assert_eq!(buy_euros(dec!(0.01)), Err(ExchangeError::AmountTooSmall));
    }

    fn rates_of(rate: Decimal) -> Rates {
        rates(Currency::Eur, Currency::Usd, rate, rate)
    }

    #[test]
    fn amounts_in_the_wrong_currency_or_out_of_range_are_refused() {
        let rates = rates(Currency::Usd, Currency::Uzs, dec!(12600), dec!(12700));
        let code = |from, to, named| price(&rates, from, to, named).unwrap_err().code();
        assert_eq!(
            code(
                Currency::Usd,
                Currency::Uzs,
                NamedAmount::Sell(money(dec!(1), Currency::Uzs))
            ),
            "currency_mismatch"
        );
        assert_eq!(
            code(
                Currency::Usd,
                Currency::Uzs,
                NamedAmount::Sell(money(dec!(1000000000000000.01), Currency::Usd))
            ),
            "amount_out_of_range"
        );
        assert_eq!(
            code(
                Currency::Eur,
                Currency::Uzs,
                NamedAmount::Sell(money(dec!(1), Currency::Eur))
            ),
            "rates_of_another_pair"
        );
    }

    proptest! {
        /// Whatever the rates and amount, each currency's legs balance. (The income may be
        /// negative: rounding the derived amount of a tiny exchange can favour the client by
        /// up to half a minor unit of it, which the spread does not always cover.)
        #[test]
        fn every_exchange_balances_in_each_currency(
            buy_micros in 1i64..20_000_000_000,
            spread_micros in 0i64..1_000_000_000,
            cents in 1i64..100_000_000_000,
            client_sells_base in any::<bool>(),
            names_sell in any::<bool>(),
        ) {
            let buy = Decimal::new(buy_micros, 6);
            let sell = Decimal::new(buy_micros + spread_micros, 6);
            let rates = rates(Currency::Usd, Currency::Uzs, buy, sell);
            let (from, to) = if client_sells_base {
                (Currency::Usd, Currency::Uzs)
            } else {
                (Currency::Uzs, Currency::Usd)
            };
            let amount = Decimal::new(cents, 2);
            let named = if names_sell {
                NamedAmount::Sell(money(amount, from))
            } else {
                NamedAmount::Buy(money(amount, to))
            };
            let Ok(terms) = price(&rates, from, to, named) else {
                return Ok(());
            };
            let legs = terms.legs(&accounts());
            for currency in [Currency::Usd, Currency::Uzs] {
                let total = |side| legs.iter()
                    .filter(|(_, leg_side, amount)| *leg_side == side && amount.currency() == currency)
                    .map(|(_, _, amount)| amount.amount())
                    .sum::<Decimal>();
                prop_assert_eq!(total(Side::Debit), total(Side::Credit));
            }
        }
    }
}
