//! How to reach a client: phone, email and postal address.

use std::fmt;

use thiserror::Error;

/// Uzbekistan's country calling code, which every accepted phone number starts with.
pub const UZBEKISTAN_CALLING_CODE: &str = "998";

/// Digits after the country code in an Uzbek phone number.
pub const SUBSCRIBER_DIGITS: usize = 9;

/// Why a phone number is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    #[error("a phone number may hold digits, spaces, dashes, parentheses and a leading +, not {character:?}")]
    UnexpectedCharacter { character: char },
    #[error("the phone number must start with the country code 998")]
    MissingCountryCode,
    #[error("a phone number is 998 and nine digits, this one has {digits} digits")]
    WrongLength { digits: usize },
}

impl PhoneError {
    pub fn field(&self) -> String {
        "phone".to_owned()
    }
}

/// An Uzbek phone number, stored as `998XXXXXXXXX`.
///
/// People write numbers as `+998 (90) 123-45-67` and many other ways; the separators carry no
/// meaning, so they are dropped. A number without the country code is refused rather than
/// completed, because a nine-digit number may just as well be a foreign one missing digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    pub fn parse(text: &str) -> Result<Phone, PhoneError> {
        let text = text.trim();
        let text = text.strip_prefix('+').unwrap_or(text);
        let mut digits = String::with_capacity(12);
        for character in text.chars() {
            match character {
                '0'..='9' => digits.push(character),
                ' ' | '-' | '(' | ')' => {}
                _ => return Err(PhoneError::UnexpectedCharacter { character }),
            }
        }
        let expected_digits = UZBEKISTAN_CALLING_CODE.len() + SUBSCRIBER_DIGITS;
        if !digits.starts_with(UZBEKISTAN_CALLING_CODE) {
            return Err(PhoneError::MissingCountryCode);
        }
        if digits.len() != expected_digits {
            return Err(PhoneError::WrongLength {
                digits: digits.len(),
            });
        }
        Ok(Phone(digits))
    }

    /// The twelve digits, country code first.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "+{}", self.0)
    }
}

/// The longest address a mail system must accept (RFC 5321's path limit less the brackets).
pub const EMAIL_MAX_CHARS: usize = 254;
const EMAIL_LOCAL_PART_MAX_CHARS: usize = 64;
const DOMAIN_LABEL_MAX_CHARS: usize = 63;

/// Why an email address is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    #[error("an email address has exactly one @")]
    NotOneAtSign,
    #[error("an email address is at most {EMAIL_MAX_CHARS} characters")]
    TooLong,
    #[error("the part before the @ is empty, too long or holds spaces or control characters")]
    InvalidLocalPart,
    #[error("the part after the @ is not a domain name like example.uz")]
    InvalidDomain,
}

impl EmailError {
    pub fn field(&self) -> String {
        "email".to_owned()
    }
}

/// An email address that looks deliverable.
///
/// The check is deliberately pragmatic: full RFC 5322 syntax admits addresses no mail
/// provider hands out, and only a confirmation message proves an address works. The domain is
/// lowercased because domain names are case-insensitive; the local part is kept as typed
/// because, strictly, it is not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, EmailError> {
        let text = text.trim();
        if text.chars().count() > EMAIL_MAX_CHARS {
            return Err(EmailError::TooLong);
        }
        let mut pieces = text.split('@');
        let (Some(local_part), Some(domain), None) = (pieces.next(), pieces.next(), pieces.next())
        else {
            return Err(EmailError::NotOneAtSign);
        };
        let local_part_is_valid = !local_part.is_empty()
            && local_part.chars().count() <= EMAIL_LOCAL_PART_MAX_CHARS
            && !local_part.starts_with('.')
            && !local_part.ends_with('.')
            && !local_part.contains("..")
            && !local_part.chars().any(|c| {
                c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
            });
        if !local_part_is_valid {
            return Err(EmailError::InvalidLocalPart);
        }
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_is_valid = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= DOMAIN_LABEL_MAX_CHARS
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
            })
            && labels
                .last()
                .is_some_and(|top_level| top_level.bytes().all(|byte| byte.is_ascii_alphabetic()));
        if !domain_is_valid {
            return Err(EmailError::InvalidDomain);
        }
        Ok(Email(format!("{local_part}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The longest region or district name accepted, in characters.
pub const ADDRESS_AREA_MAX_CHARS: usize = 100;
/// The longest street line accepted, in characters: enough for street, house, building and
/// flat, short enough for a printed contract.
pub const ADDRESS_STREET_LINE_MAX_CHARS: usize = 200;

/// Which line of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressLine {
    Region,
    District,
    StreetLine,
}

impl AddressLine {
    fn max_chars(self) -> usize {
        match self {
            AddressLine::Region | AddressLine::District => ADDRESS_AREA_MAX_CHARS,
            AddressLine::StreetLine => ADDRESS_STREET_LINE_MAX_CHARS,
        }
    }
}

/// Why an address is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    #[error("the address {line:?} is empty")]
    Empty { line: AddressLine },
    #[error("the address {line:?} is longer than {max_chars} characters")]
    TooLong { line: AddressLine, max_chars: usize },
    #[error("the address {line:?} holds a control character")]
    ControlCharacter { line: AddressLine },
}

impl AddressError {
    pub fn field(&self) -> String {
        let line = match self {
            AddressError::Empty { line }
            | AddressError::TooLong { line, .. }
            | AddressError::ControlCharacter { line } => line,
        };
        let suffix = match line {
            AddressLine::Region => "region",
            AddressLine::District => "district",
            AddressLine::StreetLine => "street_line",
        };
        format!("address.{suffix}")
    }
}

/// A postal address in Uzbekistan: region (viloyat, or Tashkent city), district (tuman or
/// city) and the street line. Free text in any script, since addresses are written in both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    region: String,
    district: String,
    street_line: String,
}

impl Address {
    pub fn parse(region: &str, district: &str, street_line: &str) -> Result<Address, AddressError> {
        Ok(Address {
            region: parse_line(AddressLine::Region, region)?,
            district: parse_line(AddressLine::District, district)?,
            street_line: parse_line(AddressLine::StreetLine, street_line)?,
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn district(&self) -> &str {
        &self.district
    }

    pub fn street_line(&self) -> &str {
        &self.street_line
    }
}

fn parse_line(line: AddressLine, text: &str) -> Result<String, AddressError> {
    // Tabs and newlines are whitespace and collapse to a space; any other control character
    // has no business in an address and would corrupt printed documents.
    if text.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(AddressError::ControlCharacter { line });
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return Err(AddressError::Empty { line });
    }
    let max_chars = line.max_chars();
    if collapsed.chars().count() > max_chars {
        return Err(AddressError::TooLong { line, max_chars });
    }
    Ok(collapsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phone_numbers_are_accepted_in_their_usual_written_forms() {
        for text in [
            "998901234567",
            "+998901234567",
            "+998 90 123 45 67",
            "+998 (90) 123-45-67",
            " 998-90-123-45-67 ",
        ] {
            assert_eq!(
                Phone::parse(text).unwrap().as_str(),
                "998901234567",
                "{text}"
            );
        }
        assert_eq!(
            Phone::parse("998901234567").unwrap().to_string(),
            "+998901234567"
        );
    }

    #[test]
    fn a_phone_number_without_the_country_code_is_refused() {
        assert_eq!(
            Phone::parse("90 123 45 67"),
            Err(PhoneError::MissingCountryCode)
        );
        assert_eq!(
            Phone::parse("+7 901 234 56 78"),
            Err(PhoneError::MissingCountryCode)
        );
    }

    #[test]
    fn a_phone_number_of_the_wrong_length_is_refused() {
        assert_eq!(
            Phone::parse("+998 90 123 45 6"),
            Err(PhoneError::WrongLength { digits: 11 })
        );
        assert_eq!(
            Phone::parse("+998 90 123 45 678"),
            Err(PhoneError::WrongLength { digits: 13 })
        );
    }

    #[test]
    fn letters_and_a_plus_inside_a_phone_number_are_refused() {
        assert_eq!(
            Phone::parse("+998 90 CALL-ME"),
            Err(PhoneError::UnexpectedCharacter { character: 'C' })
        );
        assert_eq!(
            Phone::parse("998+901234567"),
            Err(PhoneError::UnexpectedCharacter { character: '+' })
        );
        assert_eq!(PhoneError::MissingCountryCode.field(), "phone");
    }

    #[test]
    fn an_email_domain_is_lowercased_and_its_local_part_kept() {
        let email = Email::parse("  Aziz.Karimov@Mail.UZ ").unwrap();
        assert_eq!(email.as_str(), "Aziz.Karimov@mail.uz");
    }

    #[test]
    fn malformed_emails_are_refused_with_the_reason() {
        assert_eq!(Email::parse("aziz.mail.uz"), Err(EmailError::NotOneAtSign));
        assert_eq!(Email::parse("a@b@mail.uz"), Err(EmailError::NotOneAtSign));
        assert_eq!(Email::parse("@mail.uz"), Err(EmailError::InvalidLocalPart));
        assert_eq!(
            Email::parse("a b@mail.uz"),
            Err(EmailError::InvalidLocalPart)
        );
        assert_eq!(
            Email::parse("a..b@mail.uz"),
            Err(EmailError::InvalidLocalPart)
        );
        assert_eq!(
            Email::parse("aziz@localhost"),
            Err(EmailError::InvalidDomain)
        );
        assert_eq!(
            Email::parse("aziz@mail..uz"),
            Err(EmailError::InvalidDomain)
        );
        assert_eq!(
            Email::parse("aziz@-mail.uz"),
            Err(EmailError::InvalidDomain)
        );
        assert_eq!(Email::parse("aziz@mail.u2"), Err(EmailError::InvalidDomain));
        let long = format!("{}@mail.uz", "a".repeat(EMAIL_MAX_CHARS));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
        assert_eq!(EmailError::TooLong.field(), "email");
    }

    #[test]
    fn an_address_is_trimmed_and_collapsed() {
        let address = Address::parse(
            " Toshkent shahri ",
            "Yunusobod\ttumani",
            "Amir Temur  ko'chasi, 107B",
        )
        .unwrap();
        assert_eq!(address.region(), "Toshkent shahri");
        assert_eq!(address.district(), "Yunusobod tumani");
        assert_eq!(address.street_line(), "Amir Temur ko'chasi, 107B");
    }

    #[test]
    fn an_empty_or_overlong_address_line_is_refused_and_named() {
        let error = Address::parse("Toshkent", "  ", "Street 1").unwrap_err();
        assert_eq!(
            error,
            AddressError::Empty {
                line: AddressLine::District
            }
        );
        assert_eq!(error.field(), "address.district");
        let long = "x".repeat(ADDRESS_STREET_LINE_MAX_CHARS + 1);
        let error = Address::parse("Toshkent", "Chilonzor", &long).unwrap_err();
        assert_eq!(error.field(), "address.street_line");
        assert!(matches!(error, AddressError::TooLong { .. }));
        let error = Address::parse("Tosh\u{0}kent", "Chilonzor", "Street 1").unwrap_err();
        assert_eq!(error.field(), "address.region");
    }

    proptest! {
        #[test]
        fn any_nine_subscriber_digits_with_separators_give_the_same_canonical_phone(
            subscriber in "[0-9]{9}", separator in "[ ()-]{0,2}"
        ) {
            let spaced: String = subscriber
                .chars()
                .flat_map(|digit| std::iter::once(digit).chain(separator.chars()))
                .collect();
            let phone = Phone::parse(&format!("+998{separator}{spaced}")).unwrap();
            prop_assert_eq!(phone.as_str(), format!("998{subscriber}"));
        }
    }
}
