//! Exact numbers and inputs in JSON.
//!
//! serde_json reads a JSON number into an `f64` unless it is asked for the raw text, and an
//! `f64` cannot hold 0.1 or a 20-digit amount. Scores and points are decimals, so every number
//! here is taken from its text (through [`RawValue`]) and parsed as a decimal, and written back
//! as decimal text: what a client sent is exactly what is scored, stored and returned.

use std::collections::BTreeMap;

use imkon_platform::money::parse_decimal_literal;
use rust_decimal::{Decimal, MathematicalOps};
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::domain::evaluation::{InputValue, Inputs};

/// A decimal written in JSON as a number (`512.5`); read from a number or a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonDecimal(pub Decimal);

impl From<Decimal> for JsonDecimal {
    fn from(value: Decimal) -> JsonDecimal {
        JsonDecimal(value)
    }
}

/// Parses the text of a JSON number exactly: `-12.50`, `1e3`, `2.5E-4`. `None` when it is not
/// a JSON number or needs more than the 28 significant digits of a decimal.
pub fn parse_json_number(text: &str) -> Option<Decimal> {
    let Some(split_at) = text.find(['e', 'E']) else {
        return parse_decimal_literal(text).ok();
    };
    let (mantissa_text, exponent_text) = (&text[..split_at], &text[split_at + 1..]);
    let mantissa = parse_decimal_literal(mantissa_text).ok()?;
    let exponent_digits = exponent_text
        .strip_prefix(['+', '-'])
        .unwrap_or(exponent_text);
    if exponent_digits.is_empty() || !exponent_digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let exponent: i64 = exponent_text.trim_start_matches('+').parse().ok()?;
    if exponent >= 0 {
        let power = Decimal::TEN.checked_powi(exponent)?;
        mantissa.checked_mul(power)
    } else {
        // Shifting the decimal point left is exact as long as the scale stays within 28.
        let scale = i64::from(mantissa.scale()).checked_add(exponent.checked_neg()?)?;
        let scale = u32::try_from(scale).ok().filter(|scale| *scale <= 28)?;
        Decimal::try_from_i128_with_scale(mantissa.mantissa(), scale).ok()
    }
}

impl<'de> Deserialize<'de> for JsonDecimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<JsonDecimal, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        let parsed = if text.starts_with('"') {
            let string: String = serde_json::from_str(text).map_err(D::Error::custom)?;
            parse_decimal_literal(&string).ok()
        } else {
            parse_json_number(text)
        };
        parsed.map(JsonDecimal).ok_or_else(|| {
            D::Error::custom(format!(
                "`{text}` is not a decimal number that can be held exactly (at most 28 significant digits)"
            ))
        })
    }
}

impl Serialize for JsonDecimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A decimal's text never has an exponent, so it is always a valid JSON number.
        let raw =
            RawValue::from_string(self.0.normalize().to_string()).map_err(S::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl utoipa::PartialSchema for JsonDecimal {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some(
                "An exact decimal, written as a JSON number and read from its text (never through a binary float); a decimal string is also accepted.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for JsonDecimal {}

/// Inputs as they arrive: each value's JSON text, kept so it can be stored exactly as sent.
pub type JsonInputs = BTreeMap<String, Box<RawValue>>;

/// An input whose JSON value is neither a number, a string nor null.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("input `{input}` must be a number, a category (a string) or null, not {found}")]
pub struct UnreadableInput {
    pub input: String,
    pub found: &'static str,
}

/// Reads JSON inputs into the domain's: numbers as exact decimals, strings as categories,
/// `null` as a missing value.
pub fn parse_inputs(inputs: &JsonInputs) -> Result<Inputs, UnreadableInput> {
    inputs
        .iter()
        .map(|(name, raw)| Ok((name.clone(), parse_input(name, raw.get())?)))
        .collect()
}

/// One input's JSON text read as the domain's value; `name` only names it in the error.
pub fn parse_input(name: &str, text: &str) -> Result<InputValue, UnreadableInput> {
    let unreadable = |found| UnreadableInput {
        input: name.to_owned(),
        found,
    };
    match text.as_bytes().first() {
        Some(b'n') => Ok(InputValue::Absent),
        Some(b'"') => serde_json::from_str(text)
            .map(InputValue::Category)
            .map_err(|_| unreadable("an unreadable string")),
        Some(b't' | b'f') => Err(unreadable("a boolean")),
        Some(b'{') => Err(unreadable("an object")),
        Some(b'[') => Err(unreadable("an array")),
        _ => parse_json_number(text)
            .map(InputValue::Number)
            .ok_or_else(|| unreadable("a number with more than 28 significant digits")),
    }
}

/// An input value as a result shows it: a number, a category, or null when it was missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonInputValue(pub InputValue);

impl Serialize for JsonInputValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            InputValue::Number(number) => JsonDecimal(*number).serialize(serializer),
            InputValue::Category(category) => serializer.serialize_str(category),
            InputValue::Absent => serializer.serialize_none(),
        }
    }
}

impl utoipa::PartialSchema for JsonInputValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .description(Some(
                "The input as scored: a number, a category (string), or null when it was missing.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for JsonInputValue {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn json_numbers_are_read_exactly_from_their_text() {
        assert_eq!(parse_json_number("0.1"), Some(dec!(0.1)));
        assert_eq!(parse_json_number("-12.50"), Some(dec!(-12.50)));
        assert_eq!(
            parse_json_number("12345678901234567890.12345678"),
            Some(dec!(12345678901234567890.12345678))
        );
        assert_eq!(parse_json_number("1e3"), Some(dec!(1000)));
        assert_eq!(parse_json_number("2.5E-4"), Some(dec!(0.00025)));
        assert_eq!(parse_json_number("7e+2"), Some(dec!(700)));
    }

    #[test]
    fn numbers_a_decimal_cannot_hold_exactly_are_refused() {
        assert_eq!(parse_json_number("1e-40"), None);
        assert_eq!(parse_json_number("1e40"), None);
        assert_eq!(parse_json_number("0.12345678901234567890123456789"), None);
        assert_eq!(parse_json_number("1e"), None);
    }

    #[test]
    fn inputs_are_numbers_categories_or_missing_and_nothing_else() {
        let json: JsonInputs =
            serde_json::from_str(r#"{"a": 0.30000000000000000001, "b": "car", "c": null}"#)
                .unwrap();
        let inputs = parse_inputs(&json).unwrap();
        assert_eq!(
            inputs["a"],
            InputValue::Number(dec!(0.30000000000000000001))
        );
        assert_eq!(inputs["b"], InputValue::Category("car".to_owned()));
        assert_eq!(inputs["c"], InputValue::Absent);
        let json: JsonInputs = serde_json::from_str(r#"{"flag": true}"#).unwrap();
        assert_eq!(
            parse_inputs(&json).unwrap_err(),
            UnreadableInput {
                input: "flag".to_owned(),
                found: "a boolean"
            }
        );
    }

    #[test]
    fn a_decimal_is_written_as_a_json_number() {
        let text = serde_json::to_string(&JsonDecimal(dec!(512.50))).unwrap();
        assert_eq!(text, "512.5");
        let back: JsonDecimal = serde_json::from_str(r#""-3.25""#).unwrap();
        assert_eq!(back, JsonDecimal(dec!(-3.25)));
    }

    proptest! {
        #[test]
        fn a_decimal_survives_a_json_round_trip_unchanged(mantissa in any::<i64>(), scale in 0u32..18) {
            let value = Decimal::new(mantissa, scale);
            let text = serde_json::to_string(&JsonDecimal(value)).unwrap();
            let back: JsonDecimal = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back.0, value);
        }
    }
}
