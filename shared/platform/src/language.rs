//! The four languages clients read, and amounts and dates written as each of them writes
//! them, for the documents services make (statements, contracts) so that a PDF reads like the
//! pages beside it.
//!
//! | language | amount              | with currency        | date         |
//! |----------|---------------------|----------------------|--------------|
//! | uz-Latn  | `1 250 000,00`      | `1 250 000,00 soʻm`  | `26.11.2026` |
//! | uz-Cyrl  | `1 250 000,00`      | `1 250 000,00 сўм`   | `26.11.2026` |
//! | ru       | `1 250 000,00`      | `1 250 000,00 сум`   | `26.11.2026` |
//! | en       | `1,250,000.00`      | `UZS 1,250,000.00`   | `26 Nov 2026`|
//!
//! The space between groups, and between an amount and its currency, is a no-break space.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::money::Currency;

const NO_BREAK_SPACE: char = '\u{a0}';

const ENGLISH_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A language and script a client reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// Uzbek in Latin script, the default.
    #[default]
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

    /// Reads a tag as the web UI writes it (`uz-Latn`, `uz-Cyrl`, `ru`, `en`), case-insensitive;
    /// a bare `uz` is Latin script, the official one.
    pub fn from_tag(tag: &str) -> Option<Language> {
        match tag.trim().to_ascii_lowercase().as_str() {
            "uz-latn" | "uz" | "uz-latn-uz" => Some(Language::UzLatn),
            "uz-cyrl" | "uz-cyrl-uz" => Some(Language::UzCyrl),
            "ru" | "ru-ru" | "ru-uz" => Some(Language::Ru),
            "en" | "en-us" | "en-gb" => Some(Language::En),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header that is one of the four, in the
    /// order the header lists them (clients send them most preferred first).
    pub fn from_accept_language(header: &str) -> Option<Language> {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(Language::from_tag)
    }

    /// Whether the language is written in Cyrillic script.
    pub fn is_cyrillic(self) -> bool {
        matches!(self, Language::UzCyrl | Language::Ru)
    }
}

/// An amount with thousands grouped and `digits` decimals, without the currency:
/// `1 250 000,00` in Uzbek and Russian, `1,250,000.00` in English.
pub fn format_number(amount: Decimal, digits: u32, language: Language) -> String {
    let (group, decimal) = match language {
        Language::UzLatn | Language::UzCyrl | Language::Ru => (NO_BREAK_SPACE, ','),
        Language::En => (',', '.'),
    };
    let mut rounded = amount.round_dp(digits);
    rounded.rescale(digits);
    let text = rounded.abs().to_string();
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::with_capacity(text.len() + whole.len() / 3 * 2);
    if rounded.is_sign_negative() && !rounded.is_zero() {
        grouped.push('-');
    }
    for (position, digit) in whole.chars().enumerate() {
        if position > 0 && (whole.len() - position) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push(decimal);
        grouped.push_str(fraction);
    }
    grouped
}

/// An amount with its currency as the language writes it, as the web pages' catalogues do
/// (`money-uzs` and its siblings): `1 250 000,00 soʻm`, `UZS 1,250,000.00`.
pub fn format_money(amount: Decimal, currency: Currency, language: Language) -> String {
    let number = format_number(amount, currency.minor_unit_digits(), language);
    let code = currency.code();
    match (language, currency) {
        (Language::En, _) => format!("{code}{NO_BREAK_SPACE}{number}"),
        (Language::UzLatn, Currency::Uzs) => format!("{number}{NO_BREAK_SPACE}soʻm"),
        (Language::UzCyrl, Currency::Uzs) => format!("{number}{NO_BREAK_SPACE}сўм"),
        (Language::Ru, Currency::Uzs) => format!("{number}{NO_BREAK_SPACE}сум"),
        _ => format!("{number}{NO_BREAK_SPACE}{code}"),
    }
}

/// A date as the language writes it: `26.11.2026`, or `26 Nov 2026` in English, where
/// `11/26` and `26/11` are both read somewhere.
pub fn format_date(date: NaiveDate, language: Language) -> String {
    match language {
        Language::UzLatn | Language::UzCyrl | Language::Ru => date.format("%d.%m.%Y").to_string(),
        Language::En => format!(
            "{} {} {}",
            date.day(),
            ENGLISH_MONTHS[date.month0() as usize],
            date.year()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_are_written_as_the_pages_write_them() {
        let written: Vec<String> = Language::ALL
            .iter()
            .map(|language| format_money(dec!(1250000), Currency::Uzs, *language))
            .collect();
        assert_eq!(
            written,
            [
                "1\u{a0}250\u{a0}000,00\u{a0}soʻm",
                "1\u{a0}250\u{a0}000,00\u{a0}сўм",
                "1\u{a0}250\u{a0}000,00\u{a0}сум",
                "UZS\u{a0}1,250,000.00",
            ]
        );
        assert_eq!(format_number(dec!(-5.5), 2, Language::En), "-5.50");
        assert_eq!(
            format_money(dec!(12), Currency::Usd, Language::Ru),
            "12,00\u{a0}USD"
        );
    }

    #[test]
    fn dates_and_tags_are_read_and_written_per_language() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(format_date(day, Language::Ru), "26.11.2026");
        assert_eq!(format_date(day, Language::En), "26 Nov 2026");
        for language in Language::ALL {
            assert_eq!(Language::from_tag(language.tag()), Some(language));
        }
        assert_eq!(
            Language::from_accept_language("de-DE, ru;q=0.8, en;q=0.5"),
            Some(Language::Ru)
        );
        assert_eq!(Language::from_accept_language("de, fr"), None);
        assert_eq!(Language::from_tag("UZ-CYRL"), Some(Language::UzCyrl));
    }
}
