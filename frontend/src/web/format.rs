//! Amounts, dates and typed numbers as each language writes and reads them.
//!
//! The separators are chosen per locale and fixed here, not taken from a locale database, so a
//! statement looks the same on every server:
//!
//! | locale  | amount              | currency            | date        |
//! |---------|---------------------|---------------------|-------------|
//! | uz-Latn | `1 250 000,00`      | `1 250 000,00 soʻm` | `26.11.2026`|
//! | uz-Cyrl | `1 250 000,00`      | `1 250 000,00 сўм`  | `26.11.2026`|
//! | ru      | `1 250 000,00`      | `1 250 000,00 сум`  | `26.11.2026`|
//! | en      | `1,250,000.00`      | `UZS 1,250,000.00`  | `26 Nov 2026`|
//!
//! The space between groups, and between an amount and its currency, is a no-break space
//! (U+00A0) so an amount never wraps across lines. Where the currency goes and how it is named
//! is in the catalogues (`money-uzs`); the digits are formatted here. English dates spell the
//! month because `11/26` and `26/11` are both read somewhere in the English-speaking world.

use chrono::{Datelike, NaiveDate};
use imkon_platform::money::{parse_decimal_literal, Currency};
use rust_decimal::Decimal;

use crate::web::i18n::{Locale, Translator};

const NO_BREAK_SPACE: char = '\u{a0}';

const ENGLISH_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

struct Separators {
    group: char,
    decimal: char,
}

fn separators(locale: Locale) -> Separators {
    match locale {
        Locale::UzLatn | Locale::UzCyrl | Locale::Ru => Separators {
            group: NO_BREAK_SPACE,
            decimal: ',',
        },
        Locale::En => Separators {
            group: ',',
            decimal: '.',
        },
    }
}

/// An amount with thousands grouped and the currency's minor-unit digits, without the currency:
/// `1 250 000,00` in Uzbek and Russian, `1,250,000.00` in English.
pub fn format_number(amount: Decimal, digits: u32, locale: Locale) -> String {
    let separators = separators(locale);
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
            grouped.push(separators.group);
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push(separators.decimal);
        grouped.push_str(fraction);
    }
    grouped
}

/// An amount with its currency as the language writes it: `1 250 000,00 soʻm`.
pub fn format_money(amount: Decimal, currency: Currency, translator: &Translator) -> String {
    let number = format_number(amount, currency.minor_unit_digits(), translator.locale());
    let key = match currency {
        Currency::Uzs => "money-uzs",
        Currency::Usd => "money-usd",
        Currency::Eur => "money-eur",
    };
    translator.t_with(key, &[("amount", &number)])
}

/// The bank's day of the instant `at`, as the language writes a date: an instant is shown on
/// the day the bank (Tashkent) lived it, not on its UTC date.
pub fn format_day_of(
    at: chrono::DateTime<chrono::Utc>,
    calendar: &imkon_platform::calendar::BankCalendar,
    locale: Locale,
) -> String {
    format_date(calendar.day_of(at), locale)
}

/// The bank's day and time of the instant `at` (Tashkent), as the language writes a date, then
/// hours and minutes: `26.11.2026 14:30`.
pub fn format_moment_of(
    at: chrono::DateTime<chrono::Utc>,
    calendar: &imkon_platform::calendar::BankCalendar,
    locale: Locale,
) -> String {
    let day = calendar.day_of(at);
    let minutes = (at - calendar.start_of(day)).num_minutes();
    format!(
        "{} {:02}:{:02}",
        format_date(day, locale),
        minutes / 60,
        minutes % 60
    )
}

/// A date as the language writes it: `26.11.2026`, or `26 Nov 2026` in English.
pub fn format_date(date: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::UzLatn | Locale::UzCyrl | Locale::Ru => date.format("%d.%m.%Y").to_string(),
        Locale::En => format!(
            "{} {} {}",
            date.day(),
            ENGLISH_MONTHS[date.month0() as usize],
            date.year()
        ),
    }
}

/// Why a typed number was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TypedNumberError {
    #[error("nothing was typed")]
    Empty,
    #[error("the text is not a decimal number")]
    NotANumber,
}

/// Reads a decimal number as a person types it in `locale`: group separators (spaces, no-break
/// spaces, and commas in English) are dropped; the decimal separator is the locale's, and a
/// dot is read as one in every locale because phones often offer only the dot.
pub fn parse_typed_decimal(text: &str, locale: Locale) -> Result<Decimal, TypedNumberError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(TypedNumberError::Empty);
    }
    let mut canonical = String::with_capacity(trimmed.len());
    for character in trimmed.chars() {
        match character {
            ' ' | NO_BREAK_SPACE | '\u{202f}' | '\u{2009}' => {}
            ',' if locale == Locale::En => {}
            ',' => canonical.push('.'),
            other => canonical.push(other),
        }
    }
    parse_decimal_literal(&canonical).map_err(|_| TypedNumberError::NotANumber)
}

/// An amount the services write as a decimal string, in the visitor's language with its
/// currency; an amount that does not read (which a service should never send) is shown as sent.
pub fn amount_text(amount: &str, currency: &str, translator: &Translator) -> String {
    match (amount.parse::<Decimal>(), currency.parse::<Currency>()) {
        (Ok(amount), Ok(currency)) => format_money(amount, currency, translator),
        _ => format!("{amount} {currency}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_are_grouped_and_carry_the_currency_as_each_language_writes_it() {
        let amount = dec!(1250000);
        let written: Vec<String> = Locale::ALL
            .iter()
            .map(|locale| format_money(amount, Currency::Uzs, &Translator::new(*locale)))
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
    }

    #[test]
    fn small_negative_and_fractional_amounts_are_written_exactly() {
        assert_eq!(format_number(dec!(0), 2, Locale::En), "0.00");
        assert_eq!(format_number(dec!(999.5), 2, Locale::En), "999.50");
        assert_eq!(format_number(dec!(1000), 2, Locale::En), "1,000.00");
        assert_eq!(
            format_number(dec!(-1234.56), 2, Locale::Ru),
            "-1\u{a0}234,56"
        );
        assert_eq!(format_number(dec!(0.004), 2, Locale::Ru), "0,00");
    }

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(format_date(date, Locale::UzLatn), "26.11.2026");
        assert_eq!(format_date(date, Locale::UzCyrl), "26.11.2026");
        assert_eq!(format_date(date, Locale::Ru), "26.11.2026");
        assert_eq!(format_date(date, Locale::En), "26 Nov 2026");
        let early = NaiveDate::from_ymd_opt(2024, 2, 1).unwrap();
        assert_eq!(format_date(early, Locale::Ru), "01.02.2024");
        assert_eq!(format_date(early, Locale::En), "1 Feb 2024");
    }

    #[test]
    fn typed_numbers_are_read_with_the_locales_separators() {
        assert_eq!(
            parse_typed_decimal("1 250 000,50", Locale::UzLatn),
            Ok(dec!(1250000.50))
        );
        assert_eq!(
            parse_typed_decimal("1\u{a0}250\u{a0}000,50", Locale::Ru),
            Ok(dec!(1250000.50))
        );
        assert_eq!(
            parse_typed_decimal("1,250,000.50", Locale::En),
            Ok(dec!(1250000.50))
        );
        assert_eq!(parse_typed_decimal("9.4822", Locale::Ru), Ok(dec!(9.4822)));
        assert_eq!(
            parse_typed_decimal("  ", Locale::En),
            Err(TypedNumberError::Empty)
        );
        assert_eq!(
            parse_typed_decimal("12abc", Locale::En),
            Err(TypedNumberError::NotANumber)
        );
        assert_eq!(
            parse_typed_decimal("1,2,3", Locale::Ru),
            Err(TypedNumberError::NotANumber)
        );
        assert_eq!(
            parse_typed_decimal("1e5", Locale::En),
            Err(TypedNumberError::NotANumber)
        );
    }

    #[test]
    fn a_moment_is_shown_on_the_banks_day_at_the_banks_time() {
        let calendar = imkon_platform::calendar::BankCalendar::default();
        let late_evening_utc = "2026-11-26T21:05:00Z".parse().unwrap();
        assert_eq!(
            format_moment_of(late_evening_utc, &calendar, Locale::Ru),
            "27.11.2026 02:05"
        );
        assert_eq!(
            format_moment_of(late_evening_utc, &calendar, Locale::En),
            "27 Nov 2026 02:05"
        );
    }

    proptest! {
        /// What the page shows, typed back in the same language, is the same amount.
        #[test]
        fn a_formatted_amount_reads_back_as_itself(minor in -10_000_000_000_000i64..10_000_000_000_000i64, index in 0usize..4) {
            let locale = Locale::ALL[index];
            let amount = Decimal::new(minor, 2);
            let written = format_number(amount, 2, locale);
            prop_assert_eq!(parse_typed_decimal(&written, locale), Ok(amount));
        }
    }
}
