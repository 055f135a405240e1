//! Texts shown in the four languages of the web UI.

use super::Refusal;

/// The languages the web UI speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// Uzbek in Latin script.
    UzLatn,
    /// Uzbek in Cyrillic script.
    UzCyrl,
    Ru,
    En,
}

impl Language {
    pub const ALL: [Language; 4] = [
        Language::UzLatn,
        Language::UzCyrl,
        Language::Ru,
        Language::En,
    ];

    /// The BCP 47 tag, such as `uz-Cyrl`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::UzLatn => "uz-Latn",
            Language::UzCyrl => "uz-Cyrl",
            Language::Ru => "ru",
            Language::En => "en",
        }
    }
}

/// The longest text a label, name or description may have, in characters; a limit on
/// everything keeps a careless import from storing a novel in a label.
pub const MAX_TEXT_LENGTH_CHARS: usize = 10_000;

/// Why a localized text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("`{field}` is missing its {} translation", language.tag())]
    MissingTranslation { field: String, language: Language },
    #[error("`{field}` in {} is longer than {MAX_TEXT_LENGTH_CHARS} characters", language.tag())]
    TooLong { field: String, language: Language },
}

impl Refusal for TextError {
    fn code(&self) -> &'static str {
        match self {
            TextError::MissingTranslation { .. } => "translation_missing",
            TextError::TooLong { .. } => "text_too_long",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            TextError::MissingTranslation { field, language }
            | TextError::TooLong { field, language } => Some(format!("{field}.{}", language.tag())),
        }
    }
}

/// A text present, non-blank, in every UI language: a programme that shows an empty name to
/// Russian speakers is a defect, so a missing translation is refused when it is entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalizedText {
    uz_latn: String,
    uz_cyrl: String,
    ru: String,
    en: String,
}

impl LocalizedText {
    /// `field` names the text in errors, such as `name` or `questions.team_size.label`.
    pub fn new(
        field: &str,
        uz_latn: impl Into<String>,
        uz_cyrl: impl Into<String>,
        ru: impl Into<String>,
        en: impl Into<String>,
    ) -> Result<LocalizedText, TextError> {
        let text = LocalizedText {
            uz_latn: uz_latn.into().trim().to_owned(),
            uz_cyrl: uz_cyrl.into().trim().to_owned(),
            ru: ru.into().trim().to_owned(),
            en: en.into().trim().to_owned(),
        };
        for language in Language::ALL {
            let value = text.get(language);
            if value.is_empty() {
                return Err(TextError::MissingTranslation {
                    field: field.to_owned(),
                    language,
                });
            }
            if value.chars().count() > MAX_TEXT_LENGTH_CHARS {
                return Err(TextError::TooLong {
                    field: field.to_owned(),
                    language,
                });
            }
        }
        Ok(text)
    }

    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::UzLatn => &self.uz_latn,
            Language::UzCyrl => &self.uz_cyrl,
            Language::Ru => &self.ru,
            Language::En => &self.en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_is_kept() {
        let text = LocalizedText::new("name", "Grant", "Грант", "Грант", "Grant").unwrap();
        assert_eq!(text.get(Language::UzCyrl), "Грант");
        assert_eq!(text.get(Language::En), "Grant");
    }

    #[test]
    fn a_blank_translation_is_refused_naming_the_language() {
        let error = LocalizedText::new("name", "Grant", "  ", "Грант", "Grant").unwrap_err();
        assert_eq!(error.code(), "translation_missing");
        assert_eq!(error.field().as_deref(), Some("name.uz-Cyrl"));
    }

    #[test]
    fn an_overlong_text_is_refused() {
        let long = "a".repeat(MAX_TEXT_LENGTH_CHARS + 1);
        let error = LocalizedText::new("description", "a", "a", "a", long).unwrap_err();
        assert_eq!(error.code(), "text_too_long");
        assert_eq!(error.field().as_deref(), Some("description.en"));
    }
}
