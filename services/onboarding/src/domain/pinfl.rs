//! PINFL: the personal identification number of an individual (JShShIR in Uzbek).
//!
//! Fourteen digits. The first says the century of birth and the sex, digits two to seven are
//! the birth date as DDMMYY, digits eight to thirteen are a serial (the issuing district and
//! a sequence number), and the fourteenth is a check digit: the first thirteen digits weighted
//! 7, 3, 1, 7, 3, 1, … and summed, modulo 10.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use thiserror::Error;

/// The length of every PINFL.
pub const PINFL_LENGTH: usize = 14;

/// The largest serial (digits eight to thirteen) a PINFL can carry.
pub const PINFL_SERIAL_MAX: u32 = 999_999;

const CHECK_WEIGHTS: [u32; 3] = [7, 3, 1];

/// The sex recorded in a PINFL's first digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

/// Why a text is not a PINFL, or why a PINFL disagrees with what else was stated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PinflError {
    #[error("a PINFL has 14 digits, this one has {length} characters")]
    WrongLength { length: usize },
    #[error("a PINFL has only digits, character {position} is not one")]
    NotADigit { position: usize },
    #[error("the first digit of a PINFL is 1 to 6 (century and sex), not {digit}")]
    UnknownCenturyAndSex { digit: u8 },
    #[error("the birth date encoded in the PINFL ({encoded_ddmmyy}) is not a calendar date")]
    ImpossibleBirthDate { encoded_ddmmyy: String },
    #[error("the PINFL check digit should be {expected}, not {found}")]
    WrongCheckDigit { expected: u8, found: u8 },
    #[error("the PINFL encodes the birth date {encoded}, but the stated birth date is {stated}")]
    BirthDateMismatch {
        encoded: NaiveDate,
        stated: NaiveDate,
    },
    #[error("a PINFL can encode birth years 1800 to 2099, not {year}")]
    BirthYearOutOfRange { year: i32 },
    #[error("a PINFL serial is at most six digits, {serial} is too large")]
    SerialTooLarge { serial: u32 },
}

impl PinflError {
    /// The request field this error is about, for an HTTP layer to name in its response.
    pub fn field(&self) -> String {
        match self {
            PinflError::BirthDateMismatch { .. } | PinflError::BirthYearOutOfRange { .. } => {
                "birth_date".to_owned()
            }
            PinflError::SerialTooLarge { .. } => "serial".to_owned(),
            _ => "pinfl".to_owned(),
        }
    }
}

/// A PINFL whose form, encoded birth date and check digit are valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pinfl(String);

impl Pinfl {
    /// Parses a PINFL. Surrounding whitespace is ignored (it comes with copy and paste);
    /// anything else that is not one of 14 digits is refused rather than silently dropped,
    /// because a PINFL with a stray character is more likely mistyped than decorated.
    pub fn parse(text: &str) -> Result<Pinfl, PinflError> {
        let text = text.trim();
        let length = text.chars().count();
        if length != PINFL_LENGTH {
            return Err(PinflError::WrongLength { length });
        }
        let mut digits = [0u8; PINFL_LENGTH];
        for (index, character) in text.chars().enumerate() {
            if !character.is_ascii_digit() {
                return Err(PinflError::NotADigit {
                    position: index + 1,
                });
            }
            digits[index] = character as u8 - b'0';
        }
        century_start_and_sex(digits[0])?;
        birth_date_from_digits(&digits)?;
        let expected = check_digit(&digits[..PINFL_LENGTH - 1]);
        let found = digits[PINFL_LENGTH - 1];
        if expected != found {
            return Err(PinflError::WrongCheckDigit { expected, found });
        }
        Ok(Pinfl(text.to_owned()))
    }

    /// Builds the valid PINFL of a person born on `birth_date` with the given sex and serial.
    /// Real PINFLs are issued by the state; this exists for demo data and tests.
    pub fn compose(birth_date: NaiveDate, sex: Sex, serial: u32) -> Result<Pinfl, PinflError> {
        if serial > PINFL_SERIAL_MAX {
            return Err(PinflError::SerialTooLarge { serial });
        }
        let year = birth_date.year();
        let century_digit = match (year, sex) {
            (1800..=1899, Sex::Male) => 1,
            (1800..=1899, Sex::Female) => 2,
            (1900..=1999, Sex::Male) => 3,
            (1900..=1999, Sex::Female) => 4,
            (2000..=2099, Sex::Male) => 5,
            (2000..=2099, Sex::Female) => 6,
            _ => return Err(PinflError::BirthYearOutOfRange { year }),
        };
        let first_thirteen = format!(
            "{century_digit}{:02}{:02}{:02}{serial:06}",
            birth_date.day(),
            birth_date.month(),
            year.rem_euclid(100)
        );
        let digits: Vec<u8> = first_thirteen.bytes().map(|byte| byte - b'0').collect();
        let check = check_digit(&digits);
        Ok(Pinfl(format!("{first_thirteen}{check}")))
    }

    /// The fourteen digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date the PINFL encodes.
    pub fn birth_date(&self) -> NaiveDate {
        birth_date_from_digits(&self.digits())
            .expect("a parsed PINFL was checked to encode a real birth date")
    }

    /// The sex the PINFL encodes.
    pub fn sex(&self) -> Sex {
        century_start_and_sex(self.digits()[0])
            .expect("a parsed PINFL was checked to start with a known century digit")
            .1
    }

    /// Checks that the birth date a person stated is the one their PINFL encodes. A mismatch
    /// means one of the two was mistyped, or the PINFL belongs to someone else.
    pub fn check_birth_date(&self, stated: NaiveDate) -> Result<(), PinflError> {
        let encoded = self.birth_date();
        if encoded == stated {
            Ok(())
        } else {
            Err(PinflError::BirthDateMismatch { encoded, stated })
        }
    }

    fn digits(&self) -> [u8; PINFL_LENGTH] {
        let mut digits = [0u8; PINFL_LENGTH];
        for (slot, byte) in digits.iter_mut().zip(self.0.bytes()) {
            *slot = byte - b'0';
        }
        digits
    }
}

impl fmt::Display for Pinfl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The check digit of the first thirteen digits.
pub fn check_digit(first_thirteen: &[u8]) -> u8 {
    let sum: u32 = first_thirteen
        .iter()
        .zip(CHECK_WEIGHTS.iter().cycle())
        .map(|(digit, weight)| u32::from(*digit) * weight)
        .sum();
    (sum % 10) as u8
}

fn century_start_and_sex(digit: u8) -> Result<(i32, Sex), PinflError> {
    match digit {
        1 => Ok((1800, Sex::Male)),
        2 => Ok((1800, Sex::Female)),
        3 => Ok((1900, Sex::Male)),
        4 => Ok((1900, Sex::Female)),
        5 => Ok((2000, Sex::Male)),
        6 => Ok((2000, Sex::Female)),
        _ => Err(PinflError::UnknownCenturyAndSex { digit }),
    }
}

fn birth_date_from_digits(digits: &[u8; PINFL_LENGTH]) -> Result<NaiveDate, PinflError> {
    let (century_start, _) = century_start_and_sex(digits[0])?;
    let pair = |index: usize| u32::from(digits[index]) * 10 + u32::from(digits[index + 1]);
    let day = pair(1);
    let month = pair(3);
    let year = century_start + pair(5) as i32;
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| PinflError::ImpossibleBirthDate {
        encoded_ddmmyy: digits[1..7]
            .iter()
            .map(|digit| char::from(b'0' + digit))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn a_composed_pinfl_parses_and_encodes_what_it_was_built_from() {
        let pinfl = Pinfl::compose(date(1990, 5, 14), Sex::Female, 123_456).unwrap();
        assert_eq!(&pinfl.as_str()[..13], "4140590123456");
        let reparsed = Pinfl::parse(pinfl.as_str()).unwrap();
        assert_eq!(reparsed.birth_date(), date(1990, 5, 14));
        assert_eq!(reparsed.sex(), Sex::Female);
    }

    #[test]
    fn the_check_digit_is_the_weighted_sum_modulo_ten() {
        // 3·7 + 1·3 + 2·1 + 0·7 + 3·3 + 8·1 + 5·7 + 0·3 + 0·1 + 0·7 + 0·3 + 0·1 + 1·7 = 85
        assert_eq!(check_digit(&[3, 1, 2, 0, 3, 8, 5, 0, 0, 0, 0, 0, 1]), 5);
        assert!(Pinfl::parse("31203850000015").is_ok());
    }

    #[test]
    fn a_wrong_check_digit_is_refused() {
        assert_eq!(
            Pinfl::parse("31203850000016"),
            Err(PinflError::WrongCheckDigit {
                expected: 5,
                found: 6
            })
        );
    }

    #[test]
    fn surrounding_whitespace_is_ignored_but_inner_characters_are_not() {
        assert!(Pinfl::parse("  31203850000015\n").is_ok());
        assert_eq!(
            Pinfl::parse("3120385000001a"),
            Err(PinflError::NotADigit { position: 14 })
        );
        assert_eq!(
            Pinfl::parse("3120385 000015"),
            Err(PinflError::NotADigit { position: 8 })
        );
    }

    #[test]
    fn a_pinfl_of_the_wrong_length_is_refused() {
        assert_eq!(
            Pinfl::parse("3120385000001"),
            Err(PinflError::WrongLength { length: 13 })
        );
    }

    #[test]
    fn non_ascii_digits_are_refused() {
        assert_eq!(
            Pinfl::parse("٣1203850000015"),
            Err(PinflError::NotADigit { position: 1 })
        );
    }

    #[test]
    fn an_unknown_century_digit_is_refused() {
        let mut digits = vec![7, 1, 2, 0, 3, 8, 5, 0, 0, 0, 0, 0, 1];
        digits.push(check_digit(&digits));
        let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        assert_eq!(
            Pinfl::parse(&text),
            Err(PinflError::UnknownCenturyAndSex { digit: 7 })
        );
    }

    #[test]
    fn an_impossible_encoded_birth_date_is_refused() {
        let mut digits = vec![3, 3, 1, 0, 2, 8, 5, 0, 0, 0, 0, 0, 1];
        digits.push(check_digit(&digits));
        let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        assert_eq!(
            Pinfl::parse(&text),
            Err(PinflError::ImpossibleBirthDate {
                encoded_ddmmyy: "310285".to_owned()
            })
        );
    }

    #[test]
    fn the_first_digit_gives_century_and_sex() {
        let cases = [
            (date(1899, 12, 31), Sex::Male, '1'),
            (date(1850, 1, 1), Sex::Female, '2'),
            (date(1900, 1, 1), Sex::Male, '3'),
            (date(1999, 6, 30), Sex::Female, '4'),
            (date(2000, 2, 29), Sex::Male, '5'),
            (date(2024, 3, 8), Sex::Female, '6'),
        ];
        for (birth_date, sex, first) in cases {
            let pinfl = Pinfl::compose(birth_date, sex, 42).unwrap();
            assert!(pinfl.as_str().starts_with(first), "{pinfl}");
            assert_eq!(pinfl.birth_date(), birth_date);
            assert_eq!(pinfl.sex(), sex);
        }
    }

    #[test]
    fn a_stated_birth_date_must_agree_with_the_pinfl() {
        let pinfl = Pinfl::compose(date(1987, 11, 3), Sex::Male, 7).unwrap();
        assert_eq!(pinfl.check_birth_date(date(1987, 11, 3)), Ok(()));
        let error = pinfl.check_birth_date(date(1987, 3, 11)).unwrap_err();
        assert_eq!(
            error,
            PinflError::BirthDateMismatch {
                encoded: date(1987, 11, 3),
                stated: date(1987, 3, 11)
            }
        );
        assert_eq!(error.field(), "birth_date");
    }

    #[test]
    fn the_same_day_and_month_a_century_apart_disagree() {
        let pinfl = Pinfl::compose(date(1905, 4, 1), Sex::Male, 1).unwrap();
        assert!(pinfl.check_birth_date(date(2005, 4, 1)).is_err());
    }

    #[test]
    fn composing_refuses_years_and_serials_a_pinfl_cannot_hold() {
        assert_eq!(
            Pinfl::compose(date(2100, 1, 1), Sex::Male, 1),
            Err(PinflError::BirthYearOutOfRange { year: 2100 })
        );
        assert_eq!(
            Pinfl::compose(date(2000, 1, 1), Sex::Male, 1_000_000),
            Err(PinflError::SerialTooLarge { serial: 1_000_000 })
        );
    }

    #[test]
    fn parse_errors_name_the_pinfl_field() {
        assert_eq!(Pinfl::parse("12").unwrap_err().field(), "pinfl");
    }

    proptest! {
        #[test]
        fn any_valid_prefix_with_its_check_digit_parses(
            century in 1u8..=6, days_since in 0i64..36_000, serial in 0u32..=PINFL_SERIAL_MAX
        ) {
            let start = match century { 1 | 2 => 1800, 3 | 4 => 1900, _ => 2000 };
            // 36 000 days is under a century, so the date stays in the century the digit says.
            let birth_date = date(start, 1, 1) + chrono::Duration::days(days_since);
            let sex = if century % 2 == 1 { Sex::Male } else { Sex::Female };
            let pinfl = Pinfl::compose(birth_date, sex, serial).unwrap();
            prop_assert!(pinfl.as_str().starts_with(char::from(b'0' + century)));
            let parsed = Pinfl::parse(pinfl.as_str()).unwrap();
            prop_assert_eq!(parsed.birth_date(), birth_date);
            prop_assert_eq!(parsed.sex(), sex);
        }

        #[test]
        fn any_thirteen_digits_with_the_computed_check_digit_pass_the_checksum(
            digits in proptest::collection::vec(0u8..10, 13)
        ) {
            let mut all = digits.clone();
            all.push(check_digit(&digits));
            let text: String = all.iter().map(|d| char::from(b'0' + d)).collect();
            // The prefix may still encode an impossible date or century; the checksum never fails.
            let result = Pinfl::parse(&text);
            let failed_checksum = matches!(result, Err(PinflError::WrongCheckDigit { .. }));
            prop_assert!(!failed_checksum);
        }

        #[test]
        fn changing_any_single_digit_is_detected(
            days_since in 0i64..36_000,
            serial in 0u32..=PINFL_SERIAL_MAX,
            position in 0usize..PINFL_LENGTH,
            shift in 1u8..10,
        ) {
            let birth_date = date(1950, 1, 1) + chrono::Duration::days(days_since);
            let pinfl = Pinfl::compose(birth_date, Sex::Male, serial).unwrap();
            let mut digits: Vec<u8> = pinfl.as_str().bytes().map(|b| b - b'0').collect();
            digits[position] = (digits[position] + shift) % 10;
            let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            // Weights 7, 3 and 1 are all coprime to 10, so a single changed digit always
            // changes the sum modulo 10 (or breaks the century or date before it is checked).
            prop_assert!(Pinfl::parse(&text).is_err());
        }
    }
}
