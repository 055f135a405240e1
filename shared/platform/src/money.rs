//! Money: an exact decimal amount in one ISO 4217 currency.
//!
//! Amounts are `rust_decimal::Decimal`, never binary floating point, and a `Money` always
//! holds exactly the currency's minor-unit scale (two digits for the sum and the dollar), so
//! `"1250.00"` round-trips unchanged. On the wire an amount is a JSON string: JSON numbers are
//! read as binary floats by most clients and would lose tiyins.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The currencies the bank books in. Adding one is a deliberate act: its minor unit and numeric
/// code must be right, because account numbers and rounding depend on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    /// Uzbek sum, numeric code 860; its minor unit is the tiyin.
    Uzs,
    /// United States dollar, numeric code 840.
    Usd,
    /// Euro, numeric code 978.
    Eur,
}

impl Currency {
    pub const ALL: [Currency; 3] = [Currency::Uzs, Currency::Usd, Currency::Eur];

    /// The alphabetic ISO 4217 code, such as `UZS`.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Uzs => "UZS",
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
        }
    }

    /// The numeric ISO 4217 code, such as 860; account numbers embed it.
    pub fn numeric_code(self) -> u16 {
        match self {
            Currency::Uzs => 860,
            Currency::Usd => 840,
            Currency::Eur => 978,
        }
    }

    /// How many decimal digits the minor unit has.
    pub fn minor_unit_digits(self) -> u32 {
        2
    }

    /// Looks a currency up by its numeric ISO 4217 code.
    pub fn from_numeric_code(code: u16) -> Option<Currency> {
        Currency::ALL.into_iter().find(|c| c.numeric_code() == code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

/// Why an amount or currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency `{0}`; expected one of UZS, USD, EUR")]
    UnknownCurrency(String),
    #[error("`{0}` is not a decimal amount such as \"1250.00\"")]
    NotAnAmount(String),
    #[error("{currency} amounts have at most {digits} decimal places")]
    TooManyDecimals { currency: Currency, digits: u32 },
    #[error("amounts in {left} and {right} cannot be combined")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("the amount is out of range")]
    Overflow,
}

/// Rounds to `digits` decimal places, half to even (banker's rounding), as the bank's books do.
pub fn round_half_even(value: Decimal, digits: u32) -> Decimal {
    value.round_dp_with_strategy(digits, RoundingStrategy::MidpointNearestEven)
}

/// Parses a plain decimal literal: an optional minus, digits, and an optional fraction.
/// Exponents, a leading plus, spaces and thousands separators are refused so that what a
/// client sent is exactly what is booked.
pub fn parse_decimal_literal(text: &str) -> Result<Decimal, MoneyError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let well_formed = all_digits(whole) && fraction.is_none_or(all_digits);
    if !well_formed {
        return Err(MoneyError::NotAnAmount(text.to_owned()));
    }
    Decimal::from_str_exact(text).map_err(|_| MoneyError::NotAnAmount(text.to_owned()))
}

/// An exact amount of one currency, always at the currency's minor-unit scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// An amount that must already be exact to the minor unit: `12.345` UZS is refused, not
    /// rounded, because silently rounding a client's figure moves money.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        let digits = currency.minor_unit_digits();
        let normalized = amount.normalize();
        if normalized.scale() > digits {
            return Err(MoneyError::TooManyDecimals { currency, digits });
        }
        Ok(Money::at_scale(normalized, currency))
    }

    /// An amount computed by the bank (interest, a share), rounded half-even to the minor unit.
    pub fn from_rounded(amount: Decimal, currency: Currency) -> Money {
        Money::at_scale(
            round_half_even(amount, currency.minor_unit_digits()),
            currency,
        )
    }

    /// Parses a client's amount string such as `"1250.00"`.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        Money::new(parse_decimal_literal(text)?, currency)
    }

    pub fn zero(currency: Currency) -> Money {
        Money::at_scale(Decimal::ZERO, currency)
    }

    fn at_scale(mut amount: Decimal, currency: Currency) -> Money {
        amount.rescale(currency.minor_unit_digits());
        Money { amount, currency }
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in minor units (tiyins, cents).
    pub fn minor_units(&self) -> i128 {
        self.amount.mantissa()
    }

    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }

    pub fn is_negative(&self) -> bool {
        self.amount < Decimal::ZERO
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::at_scale(sum, self.currency))
    }

    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let difference = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::at_scale(difference, self.currency))
    }

    pub fn negated(&self) -> Money {
        Money::at_scale(-self.amount, self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// The wire form: `{"amount": "1250.00", "currency": "UZS"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyWire {
    amount: String,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyWire {
            amount: self.amount.to_string(),
            currency: self.currency,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = MoneyWire::deserialize(deserializer)?;
        Money::parse(&wire.amount, wire.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_keep_the_minor_unit_scale() {
        let money = Money::parse("1250", Currency::Uzs).unwrap();
        assert_eq!(money.amount().to_string(), "1250.00");
        assert_eq!(money.minor_units(), 125_000);
    }

    #[test]
    fn a_third_decimal_place_is_refused_not_rounded() {
        assert_eq!(
            Money::parse("10.005", Currency::Uzs),
            Err(MoneyError::TooManyDecimals {
                currency: Currency::Uzs,
                digits: 2
            })
        );
        assert!(
            Money::parse("10.500", Currency::Uzs).is_ok(),
            "trailing zeros are exact"
        );
    }

    #[test]
    fn loose_literals_are_refused() {
        for text in [
            "", "1e3", "+5", " 5", "5 ", "1,000.00", "1.", ".5", "--1", "abc", "NaN",
        ] {
            assert!(
                parse_decimal_literal(text).is_err(),
                "{text:?} must be refused"
            );
        }
        assert_eq!(parse_decimal_literal("-0.10").unwrap(), dec!(-0.10));
    }

    #[test]
    fn rounding_is_half_even() {
        assert_eq!(
            Money::from_rounded(dec!(0.125), Currency::Usd).amount(),
            dec!(0.12)
        );
        assert_eq!(
            Money::from_rounded(dec!(0.135), Currency::Usd).amount(),
            dec!(0.14)
        );
        assert_eq!(
            Money::from_rounded(dec!(-0.125), Currency::Usd).amount(),
            dec!(-0.12)
        );
    }

    #[test]
    fn currencies_do_not_mix() {
        let sums = Money::parse("1.00", Currency::Uzs).unwrap();
        let dollars = Money::parse("1.00", Currency::Usd).unwrap();
        assert!(matches!(
            sums.checked_add(&dollars),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn json_amounts_are_strings() {
        let money = Money::parse("1250.5", Currency::Uzs).unwrap();
        let json = serde_json::to_value(money).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amount": "1250.50", "currency": "UZS"})
        );
        let number: Result<Money, _> =
            serde_json::from_value(serde_json::json!({"amount": 1250.5, "currency": "UZS"}));
        assert!(
            number.is_err(),
            "a JSON number is a binary float and is refused"
        );
    }

    #[test]
    fn numeric_codes_match_iso_4217() {
        assert_eq!(Currency::Uzs.numeric_code(), 860);
        assert_eq!(Currency::Usd.numeric_code(), 840);
        assert_eq!(Currency::from_numeric_code(860), Some(Currency::Uzs));
        assert_eq!("USD".parse::<Currency>().unwrap(), Currency::Usd);
        assert!("usd".parse::<Currency>().is_err());
    }

    proptest! {
        #[test]
        fn display_round_trips(minor in -10_000_000_000_000i64..10_000_000_000_000i64) {
            let money = Money::new(Decimal::new(minor, 2), Currency::Uzs).unwrap();
            let again = Money::parse(&money.amount().to_string(), Currency::Uzs).unwrap();
            prop_assert_eq!(money, again);
        }

        #[test]
        fn addition_then_subtraction_is_identity(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
            let a = Money::new(Decimal::new(a, 2), Currency::Usd).unwrap();
            let b = Money::new(Decimal::new(b, 2), Currency::Usd).unwrap();
            prop_assert_eq!(a.checked_add(&b).unwrap().checked_sub(&b).unwrap(), a);
        }
    }
}
