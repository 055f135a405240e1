//! The passport (or ID card) a person identifies themselves with.

use std::fmt;

use chrono::NaiveDate;
use thiserror::Error;

/// Why a passport number or an identity document is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PassportError {
    #[error("a passport number is two Latin letters and seven digits, like AA1234567")]
    MalformedNumber,
    #[error("the passport issue date {issue_date} is after today ({today})")]
    IssuedInFuture {
        issue_date: NaiveDate,
        today: NaiveDate,
    },
    #[error("the passport expiry date {expiry_date} is not after its issue date {issue_date}")]
    ExpiresBeforeIssue {
        issue_date: NaiveDate,
        expiry_date: NaiveDate,
    },
    #[error("the passport expired on {expiry_date}")]
    Expired { expiry_date: NaiveDate },
}

impl PassportError {
    /// The request field this error is about.
    pub fn field(&self) -> String {
        match self {
            PassportError::MalformedNumber => "passport.number",
            PassportError::IssuedInFuture { .. } => "passport.issue_date",
            PassportError::ExpiresBeforeIssue { .. } | PassportError::Expired { .. } => {
                "passport.expiry_date"
            }
        }
        .to_owned()
    }
}

/// A passport number in canonical form: two Latin capitals then seven digits (`AA1234567`).
///
/// Input is accepted in lowercase and with spaces anywhere (`aa 1234567`), because that is how
/// people copy the series and number off the page; it is stored uppercase without spaces so
/// that the same passport always compares equal, which duplicate detection relies on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PassportNumber(String);

impl PassportNumber {
    pub fn parse(text: &str) -> Result<PassportNumber, PassportError> {
        let canonical: String = text
            .chars()
            .filter(|character| !character.is_whitespace())
            .map(|character| character.to_ascii_uppercase())
            .collect();
        let bytes = canonical.as_bytes();
        let well_formed = bytes.len() == 9
            && bytes[..2].iter().all(u8::is_ascii_uppercase)
            && bytes[2..].iter().all(u8::is_ascii_digit);
        if well_formed {
            Ok(PassportNumber(canonical))
        } else {
            Err(PassportError::MalformedNumber)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-letter series, such as `AA` or `AD`.
    pub fn series(&self) -> &str {
        &self.0[..2]
    }
}

impl fmt::Display for PassportNumber {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// An identity document that was valid on the day it was presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityDocument {
    number: PassportNumber,
    issue_date: NaiveDate,
    expiry_date: NaiveDate,
}

impl IdentityDocument {
    /// Accepts a document issued no later than `today` and valid through `today`: the expiry
    /// date is the last day on which the document may be used, so it counts as valid.
    pub fn new(
        number: PassportNumber,
        issue_date: NaiveDate,
        expiry_date: NaiveDate,
        today: NaiveDate,
    ) -> Result<IdentityDocument, PassportError> {
        if issue_date > today {
            return Err(PassportError::IssuedInFuture { issue_date, today });
        }
        if expiry_date <= issue_date {
            return Err(PassportError::ExpiresBeforeIssue {
                issue_date,
                expiry_date,
            });
        }
        if expiry_date < today {
            return Err(PassportError::Expired { expiry_date });
        }
        Ok(IdentityDocument {
            number,
            issue_date,
            expiry_date,
        })
    }

    pub fn number(&self) -> &PassportNumber {
        &self.number
    }

    pub fn issue_date(&self) -> NaiveDate {
        self.issue_date
    }

    pub fn expiry_date(&self) -> NaiveDate {
        self.expiry_date
    }

    /// Whether the document may still be relied on, on a later day than it was accepted.
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.issue_date <= date && date <= self.expiry_date
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn a_canonical_passport_number_parses() {
        let number = PassportNumber::parse("AA1234567").unwrap();
        assert_eq!(number.as_str(), "AA1234567");
        assert_eq!(number.series(), "AA");
    }

    #[test]
    fn lowercase_and_spaced_input_is_canonicalised() {
        assert_eq!(
            PassportNumber::parse(" ad 123 4567 ").unwrap().as_str(),
            "AD1234567"
        );
    }

    #[test]
    fn malformed_passport_numbers_are_refused() {
        for text in [
            "A1234567",
            "AA123456",
            "AA12345678",
            "1A1234567",
            "AAA234567",
            "АА1234567",
            "AA-1234567",
            "",
        ] {
            assert_eq!(
                PassportNumber::parse(text),
                Err(PassportError::MalformedNumber),
                "{text:?}"
            );
        }
        assert_eq!(PassportError::MalformedNumber.field(), "passport.number");
    }

    fn number() -> PassportNumber {
        PassportNumber::parse("AB7654321").unwrap()
    }

    #[test]
    fn a_document_valid_today_is_accepted_even_on_its_expiry_day() {
        let today = date(2025, 6, 1);
        let document =
            IdentityDocument::new(number(), date(2015, 6, 2), date(2025, 6, 1), today).unwrap();
        assert!(document.is_valid_on(today));
        assert!(!document.is_valid_on(date(2025, 6, 2)));
    }

    #[test]
    fn an_expired_document_is_refused() {
        let error = IdentityDocument::new(
            number(),
            date(2015, 6, 2),
            date(2025, 5, 31),
            date(2025, 6, 1),
        )
        .unwrap_err();
        assert_eq!(
            error,
            PassportError::Expired {
                expiry_date: date(2025, 5, 31)
            }
        );
        assert_eq!(error.field(), "passport.expiry_date");
    }

    #[test]
    fn a_document_issued_in_the_future_is_refused() {
        let error = IdentityDocument::new(
            number(),
            date(2025, 6, 2),
            date(2035, 6, 1),
            date(2025, 6, 1),
        )
        .unwrap_err();
        assert_eq!(error.field(), "passport.issue_date");
    }

    #[test]
    fn a_document_expiring_before_it_was_issued_is_refused() {
        let error = IdentityDocument::new(
            number(),
            date(2020, 1, 1),
            date(2020, 1, 1),
            date(2019, 1, 1),
        );
        assert!(matches!(error, Err(PassportError::IssuedInFuture { .. })));
        let error = IdentityDocument::new(
            number(),
            date(2020, 1, 1),
            date(2019, 12, 31),
            date(2020, 1, 1),
        )
        .unwrap_err();
        assert!(matches!(error, PassportError::ExpiresBeforeIssue { .. }));
    }

    proptest! {
        #[test]
        fn any_two_letters_and_seven_digits_parse_in_either_case(
            letters in "[a-zA-Z]{2}", digits in "[0-9]{7}"
        ) {
            let parsed = PassportNumber::parse(&format!("{letters} {digits}")).unwrap();
            prop_assert_eq!(parsed.as_str(), format!("{}{digits}", letters.to_ascii_uppercase()));
        }
    }
}
