//! A person's name as written in one script.
//!
//! Uzbek documents carry the name in Latin script (the passport's machine-readable form) and
//! often in Cyrillic as well (older documents, Russian-language contracts). The profile keeps
//! each as given; screening compares them through `screening::normalise_name`.

use thiserror::Error;

/// The longest accepted part of a name, in characters. Real surnames are far shorter; the
/// limit is there so that a name always fits a document line and a database column.
pub const NAME_PART_MAX_CHARS: usize = 60;

/// The script a name is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    Latin,
    Cyrillic,
}

impl Script {
    fn field_prefix(self) -> &'static str {
        match self {
            Script::Latin => "latin_name",
            Script::Cyrillic => "cyrillic_name",
        }
    }

    /// Letters of the script, plus the marks that occur inside names: the hyphen of double
    /// surnames and the apostrophes of Uzbek Latin (oʻ, gʻ, the tutuq belgisi) or Cyrillic ъ's
    /// typed stand-ins.
    fn allows(self, character: char) -> bool {
        let is_mark = matches!(
            character,
            '-' | '\'' | '`' | '\u{02BB}' | '\u{02BC}' | '\u{2018}' | '\u{2019}'
        );
        let is_letter = match self {
            Script::Latin => character.is_ascii_alphabetic(),
            Script::Cyrillic => {
                ('\u{0400}'..='\u{04FF}').contains(&character) && character.is_alphabetic()
            }
        };
        is_letter || is_mark || character == ' '
    }
}

/// Which part of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamePart {
    Surname,
    GivenName,
    Patronymic,
}

impl NamePart {
    fn field_suffix(self) -> &'static str {
        match self {
            NamePart::Surname => "surname",
            NamePart::GivenName => "given_name",
            NamePart::Patronymic => "patronymic",
        }
    }
}

/// Why a name is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PersonNameError {
    #[error("the {part:?} is empty")]
    Empty { script: Script, part: NamePart },
    #[error("the {part:?} is longer than {NAME_PART_MAX_CHARS} characters")]
    TooLong { script: Script, part: NamePart },
    #[error("the {part:?} has {character:?}, which is not a letter of the {script:?} script")]
    WrongScript {
        script: Script,
        part: NamePart,
        character: char,
    },
}

impl PersonNameError {
    /// The request field, such as `latin_name.surname` or `cyrillic_name.patronymic`.
    pub fn field(&self) -> String {
        let (script, part) = match self {
            PersonNameError::Empty { script, part }
            | PersonNameError::TooLong { script, part }
            | PersonNameError::WrongScript { script, part, .. } => (script, part),
        };
        format!("{}.{}", script.field_prefix(), part.field_suffix())
    }
}

/// A person's surname, given name and optional patronymic, all in one script.
///
/// The patronymic is optional because foreign clients and some citizens have none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName {
    script: Script,
    surname: String,
    given_name: String,
    patronymic: Option<String>,
}

impl PersonName {
    /// Parses a name in the given script. Whitespace is trimmed and runs of it collapsed to
    /// one space; a blank patronymic counts as none.
    pub fn parse(
        script: Script,
        surname: &str,
        given_name: &str,
        patronymic: Option<&str>,
    ) -> Result<PersonName, PersonNameError> {
        let patronymic = patronymic.filter(|text| !text.trim().is_empty());
        Ok(PersonName {
            script,
            surname: parse_part(script, NamePart::Surname, surname)?,
            given_name: parse_part(script, NamePart::GivenName, given_name)?,
            patronymic: patronymic
                .map(|text| parse_part(script, NamePart::Patronymic, text))
                .transpose()?,
        })
    }

    pub fn script(&self) -> Script {
        self.script
    }

    pub fn surname(&self) -> &str {
        &self.surname
    }

    pub fn given_name(&self) -> &str {
        &self.given_name
    }

    pub fn patronymic(&self) -> Option<&str> {
        self.patronymic.as_deref()
    }

    /// Surname, given name and patronymic separated by spaces, the order used on documents.
    pub fn full_name(&self) -> String {
        let mut parts = vec![self.surname.as_str(), self.given_name.as_str()];
        parts.extend(self.patronymic.as_deref());
        parts.join(" ")
    }
}

fn parse_part(script: Script, part: NamePart, text: &str) -> Result<String, PersonNameError> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return Err(PersonNameError::Empty { script, part });
    }
    if collapsed.chars().count() > NAME_PART_MAX_CHARS {
        return Err(PersonNameError::TooLong { script, part });
    }
    if let Some(character) = collapsed.chars().find(|c| !script.allows(*c)) {
        return Err(PersonNameError::WrongScript {
            script,
            part,
            character,
        });
    }
    Ok(collapsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latin_name_with_uzbek_apostrophes_parses() {
        let name = PersonName::parse(
            Script::Latin,
            " Toʻxtayev ",
            "G'ayrat",
            Some("Oʻktam  oʻgʻli"),
        )
        .unwrap();
        assert_eq!(name.full_name(), "Toʻxtayev G'ayrat Oʻktam oʻgʻli");
    }

    #[test]
    fn a_cyrillic_name_with_uzbek_letters_parses() {
        let name =
            PersonName::parse(Script::Cyrillic, "Тошматов", "Алишер", Some("Ғуломович")).unwrap();
        assert_eq!(name.patronymic(), Some("Ғуломович"));
        assert_eq!(name.script(), Script::Cyrillic);
        let name = PersonName::parse(Script::Cyrillic, "Ўроқова", "Ҳилола", None).unwrap();
        assert_eq!(name.full_name(), "Ўроқова Ҳилола");
    }

    #[test]
    fn a_blank_patronymic_counts_as_none() {
        let name = PersonName::parse(Script::Latin, "Smith", "John", Some("  ")).unwrap();
        assert_eq!(name.patronymic(), None);
    }

    #[test]
    fn a_cyrillic_letter_in_a_latin_name_is_refused_and_named() {
        // The "а" below is Cyrillic, a classic look-alike that would defeat duplicate checks.
        let error = PersonName::parse(Script::Latin, "Karimov", "Аziz", None).unwrap_err();
        assert_eq!(
            error,
            PersonNameError::WrongScript {
                script: Script::Latin,
                part: NamePart::GivenName,
                character: 'А'
            }
        );
        assert_eq!(error.field(), "latin_name.given_name");
    }

    #[test]
    fn a_latin_letter_in_a_cyrillic_name_is_refused() {
        let error = PersonName::parse(Script::Cyrillic, "Каримов", "Азиз", Some("Rustamovich"))
            .unwrap_err();
        assert_eq!(error.field(), "cyrillic_name.patronymic");
    }

    #[test]
    fn empty_and_overlong_parts_are_refused() {
        let error = PersonName::parse(Script::Latin, " ", "John", None).unwrap_err();
        assert_eq!(
            error,
            PersonNameError::Empty {
                script: Script::Latin,
                part: NamePart::Surname
            }
        );
        let long = "a".repeat(NAME_PART_MAX_CHARS + 1);
        let error = PersonName::parse(Script::Latin, "Smith", &long, None).unwrap_err();
        assert!(matches!(error, PersonNameError::TooLong { .. }));
        let just_fits = "a".repeat(NAME_PART_MAX_CHARS);
        assert!(PersonName::parse(Script::Latin, "Smith", &just_fits, None).is_ok());
    }

    #[test]
    fn digits_and_punctuation_are_refused() {
        assert!(PersonName::parse(Script::Latin, "Smith2", "John", None).is_err());
        assert!(PersonName::parse(Script::Latin, "Smith", "John.", None).is_err());
    }
}
