//! A person's client profile: the parts, each already parsed, and the rules between them.

use chrono::NaiveDate;
use thiserror::Error;

use super::contact::{Address, Email, Phone};
use super::passport::IdentityDocument;
use super::person_name::{PersonName, Script};
use super::pinfl::{Pinfl, PinflError};

/// Why a person's profile is refused although each part parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PersonError {
    #[error(transparent)]
    Pinfl(#[from] PinflError),
    #[error("the {field_prefix} is not written in the {expected:?} script")]
    NameInWrongScript {
        field_prefix: &'static str,
        expected: Script,
    },
}

impl PersonError {
    pub fn field(&self) -> String {
        match self {
            PersonError::Pinfl(error) => error.field(),
            PersonError::NameInWrongScript { field_prefix, .. } => (*field_prefix).to_owned(),
        }
    }
}

/// The parts of a person's profile.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub pinfl: Pinfl,
    pub birth_date: NaiveDate,
    pub latin_name: PersonName,
    /// The Cyrillic spelling, when the client's documents carry one.
    pub cyrillic_name: Option<PersonName>,
    pub passport: IdentityDocument,
    pub phone: Phone,
    pub email: Option<Email>,
    pub address: Address,
}

/// A person's profile whose parts agree: the PINFL encodes the stated birth date and each
/// name is in the script its field says.
#[derive(Debug, Clone)]
pub struct Person {
    pinfl: Pinfl,
    latin_name: PersonName,
    cyrillic_name: Option<PersonName>,
    passport: IdentityDocument,
    phone: Phone,
    email: Option<Email>,
    address: Address,
}

impl Person {
    pub fn new(new_person: NewPerson) -> Result<Person, PersonError> {
        new_person.pinfl.check_birth_date(new_person.birth_date)?;
        if new_person.latin_name.script() != Script::Latin {
            return Err(PersonError::NameInWrongScript {
                field_prefix: "latin_name",
                expected: Script::Latin,
            });
        }
        if let Some(name) = &new_person.cyrillic_name {
            if name.script() != Script::Cyrillic {
                return Err(PersonError::NameInWrongScript {
                    field_prefix: "cyrillic_name",
                    expected: Script::Cyrillic,
                });
            }
        }
        Ok(Person {
            pinfl: new_person.pinfl,
            latin_name: new_person.latin_name,
            cyrillic_name: new_person.cyrillic_name,
            passport: new_person.passport,
            phone: new_person.phone,
            email: new_person.email,
            address: new_person.address,
        })
    }

    pub fn pinfl(&self) -> &Pinfl {
        &self.pinfl
    }

    /// The birth date, which the PINFL encodes and was checked to agree with.
    pub fn birth_date(&self) -> NaiveDate {
        self.pinfl.birth_date()
    }

    pub fn latin_name(&self) -> &PersonName {
        &self.latin_name
    }

    pub fn cyrillic_name(&self) -> Option<&PersonName> {
        self.cyrillic_name.as_ref()
    }

    pub fn passport(&self) -> &IdentityDocument {
        &self.passport
    }

    pub fn phone(&self) -> &Phone {
        &self.phone
    }

    pub fn email(&self) -> Option<&Email> {
        self.email.as_ref()
    }

    pub fn address(&self) -> &Address {
        &self.address
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::passport::PassportNumber;
    use crate::domain::pinfl::Sex;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn new_person(birth_date: NaiveDate) -> NewPerson {
        NewPerson {
            pinfl: Pinfl::compose(date(1979, 4, 12), Sex::Male, 301_234).unwrap(),
            birth_date,
            latin_name: PersonName::parse(
                Script::Latin,
                "Toshmatov",
                "Alisher",
                Some("G'ulomovich"),
            )
            .unwrap(),
            cyrillic_name: Some(
                PersonName::parse(Script::Cyrillic, "Тошматов", "Алишер", Some("Ғуломович"))
                    .unwrap(),
            ),
            passport: IdentityDocument::new(
                PassportNumber::parse("AA1234567").unwrap(),
                date(2019, 5, 1),
                date(2029, 4, 30),
                date(2025, 1, 15),
            )
            .unwrap(),
            phone: Phone::parse("+998 90 123 45 67").unwrap(),
            email: Some(Email::parse("alisher@example.uz").unwrap()),
            address: Address::parse("Toshkent shahri", "Chilonzor tumani", "Bunyodkor 1").unwrap(),
        }
    }

    #[test]
    fn a_profile_whose_pinfl_agrees_with_the_birth_date_is_accepted() {
        let person = Person::new(new_person(date(1979, 4, 12))).unwrap();
        assert_eq!(person.birth_date(), date(1979, 4, 12));
        assert_eq!(
            person.latin_name().full_name(),
            "Toshmatov Alisher G'ulomovich"
        );
    }

    #[test]
    fn a_profile_whose_pinfl_disagrees_with_the_birth_date_is_refused() {
        let error = Person::new(new_person(date(1979, 12, 4))).unwrap_err();
        assert!(matches!(
            error,
            PersonError::Pinfl(PinflError::BirthDateMismatch { .. })
        ));
        assert_eq!(error.field(), "birth_date");
    }

    #[test]
    fn names_must_be_in_the_script_of_their_field() {
        let mut parts = new_person(date(1979, 4, 12));
        parts.cyrillic_name = Some(parts.latin_name.clone());
        let error = Person::new(parts).unwrap_err();
        assert_eq!(error.field(), "cyrillic_name");
        let mut parts = new_person(date(1979, 4, 12));
        parts.latin_name = parts.cyrillic_name.clone().unwrap();
        assert_eq!(Person::new(parts).unwrap_err().field(), "latin_name");
    }
}
