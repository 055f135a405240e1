//! The languages of the web UI and their message catalogues.
//!
//! Every label on a page comes from a Fluent catalogue, `locales/<code>/*.ftl` (one file per
//! area of the site, listed in `catalogue!`), compiled into the binary so a deployment cannot
//! ship a page without its words. Fluent is used rather than a hand-rolled key=value file
//! because the catalogues need placeables (`{ $amount } soʻm` puts the currency where each
//! language writes it) and plurals for counts of months and days (`t_count` passes the count as
//! a Fluent number, so `[one]`, `[few]` and `[other]` choose by the language's rules), which
//! Fluent has and a flat file would have to reinvent.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// How many catalogue files each locale has (see `catalogue!`).
const CATALOGUE_FILES: usize = 13;

/// The catalogue files of one locale, compiled into the binary: the founder's and public pages
/// (`main`), money (accounts, contracts, portfolio), the staff's KYC and client pages (`kyc`),
/// staff administration and passwords (`people`), programmes and the audit trail
/// (`programmes`), each role's home and inbox (`home`), generated documents (`documents`), the
/// scorecards (`scorecards`), one's own password and the founder's notifications
/// (`account`), opening accounts, exchange, the bank's rates, payment templates and
/// standing orders (`exchange`), term deposits and their products (`deposits`), paying the
/// state and utilities (`bills`), and payments to other banks with the clearing
/// (`other_banks`).
macro_rules! catalogue {
    ($code:literal) => {
        [
            include_str!(concat!("../../locales/", $code, "/main.ftl")),
            include_str!(concat!("../../locales/", $code, "/money.ftl")),
            include_str!(concat!("../../locales/", $code, "/kyc.ftl")),
            include_str!(concat!("../../locales/", $code, "/people.ftl")),
            include_str!(concat!("../../locales/", $code, "/programmes.ftl")),
            include_str!(concat!("../../locales/", $code, "/home.ftl")),
            include_str!(concat!("../../locales/", $code, "/documents.ftl")),
            include_str!(concat!("../../locales/", $code, "/scorecards.ftl")),
            include_str!(concat!("../../locales/", $code, "/account.ftl")),
            include_str!(concat!("../../locales/", $code, "/exchange.ftl")),
            include_str!(concat!("../../locales/", $code, "/deposits.ftl")),
            include_str!(concat!("../../locales/", $code, "/bills.ftl")),
            include_str!(concat!("../../locales/", $code, "/other_banks.ftl")),
        ]
    };
}

/// A language of the UI, with its script where the language is written in two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Locale {
    /// Uzbek in Latin script: the default.
    UzLatn,
    /// Uzbek in Cyrillic script.
    UzCyrl,
    Ru,
    En,
}

impl Locale {
    pub const ALL: [Locale; 4] = [Locale::UzLatn, Locale::UzCyrl, Locale::Ru, Locale::En];

    /// The language a visitor sees before choosing one.
    pub const DEFAULT: Locale = Locale::UzLatn;

    /// The BCP 47 tag, used in URLs, the cookie and the page's `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Locale::UzLatn => "uz-Latn",
            Locale::UzCyrl => "uz-Cyrl",
            Locale::Ru => "ru",
            Locale::En => "en",
        }
    }

    /// Finds a locale by its exact tag; anything else is not a language we speak.
    pub fn from_code(code: &str) -> Option<Locale> {
        Locale::ALL.into_iter().find(|locale| locale.code() == code)
    }

    /// The files of the locale's catalogue, one per area of the site so that areas grow
    /// without touching each other's words; one bundle holds them all, so a key defined in
    /// two files is refused as a duplicate.
    fn catalogue_sources(self) -> [&'static str; CATALOGUE_FILES] {
        match self {
            Locale::UzLatn => catalogue!("uz-Latn"),
            Locale::UzCyrl => catalogue!("uz-Cyrl"),
            Locale::Ru => catalogue!("ru"),
            Locale::En => catalogue!("en"),
        }
    }

    fn index(self) -> usize {
        match self {
            Locale::UzLatn => 0,
            Locale::UzCyrl => 1,
            Locale::Ru => 2,
            Locale::En => 3,
        }
    }
}

/// Why a catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("the {locale} catalogue does not parse: {reason}")]
    Syntax {
        locale: &'static str,
        reason: String,
    },
    #[error("the {locale} catalogue defines a message twice: {reason}")]
    Duplicate {
        locale: &'static str,
        reason: String,
    },
    #[error("`{tag}` is not a language tag")]
    BadLanguageTag { tag: &'static str },
}

/// The four catalogues, parsed.
pub struct Catalogues {
    bundles: Vec<FluentBundle<FluentResource>>,
    message_ids: Vec<BTreeSet<String>>,
}

impl Catalogues {
    /// Parses the catalogues compiled into the binary.
    pub fn load() -> Result<Catalogues, CatalogueError> {
        let mut bundles = Vec::with_capacity(Locale::ALL.len());
        let mut message_ids = Vec::with_capacity(Locale::ALL.len());
        for locale in Locale::ALL {
            let tag = locale
                .code()
                .parse()
                .map_err(|_| CatalogueError::BadLanguageTag { tag: locale.code() })?;
            let mut bundle = FluentBundle::new_concurrent(vec![tag]);
            // Isolation marks (U+2068/U+2069) around placeables help right-to-left scripts,
            // which none of our languages is; they would only end up inside amounts.
            bundle.set_use_isolating(false);
            let mut ids = BTreeSet::new();
            for source in locale.catalogue_sources() {
                let resource =
                    FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| {
                        CatalogueError::Syntax {
                            locale: locale.code(),
                            reason: format!("{errors:?}"),
                        }
                    })?;
                ids.extend(message_ids_of(&resource));
                bundle
                    .add_resource(resource)
                    .map_err(|errors| CatalogueError::Duplicate {
                        locale: locale.code(),
                        reason: format!("{errors:?}"),
                    })?;
            }
            message_ids.push(ids);
            bundles.push(bundle);
        }
        Ok(Catalogues {
            bundles,
            message_ids,
        })
    }

    /// The message ids a locale's catalogue defines.
    pub fn message_ids(&self, locale: Locale) -> &BTreeSet<String> {
        &self.message_ids[locale.index()]
    }

    /// The text of `key` in `locale` with `arguments` put in its placeables. A missing key is
    /// a defect the build check catches; should one slip through, the key itself is shown so the
    /// page still renders and the gap is visible.
    pub fn format(&self, locale: Locale, key: &str, arguments: &[(&str, &str)]) -> String {
        // Text goes in as strings: amounts are formatted by `format`, not by Fluent's number
        // formatting, which would read them as binary floats.
        let mut fluent_arguments = FluentArgs::new();
        for (name, value) in arguments {
            fluent_arguments.set(*name, FluentValue::from(*value));
        }
        self.format_arguments(locale, key, &fluent_arguments)
    }

    /// Like [`Catalogues::format`], with `count` passed to the placeable `name` as a Fluent
    /// number, so that the message's plural selector (`[one]`, `[few]`, `[other]`) chooses the
    /// form the language's plural rules give: 1 день, 2 дня, 5 дней.
    pub fn format_count(&self, locale: Locale, key: &str, name: &str, count: i64) -> String {
        let mut fluent_arguments = FluentArgs::new();
        fluent_arguments.set(name, FluentValue::from(count));
        self.format_arguments(locale, key, &fluent_arguments)
    }

    fn format_arguments(&self, locale: Locale, key: &str, arguments: &FluentArgs<'_>) -> String {
        let bundle = &self.bundles[locale.index()];
        let Some(pattern) = bundle.get_message(key).and_then(|message| message.value()) else {
            tracing::warn!(locale = locale.code(), key, "missing catalogue message");
            return key.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(arguments), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(
                locale = locale.code(),
                key,
                ?errors,
                "catalogue message did not format cleanly"
            );
        }
        text.into_owned()
    }
}

fn message_ids_of(resource: &FluentResource) -> BTreeSet<String> {
    use fluent_syntax::ast::Entry;
    resource
        .entries()
        .filter_map(|entry| match entry {
            Entry::Message(message) => Some(message.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

/// The catalogues of this binary, parsed once.
pub fn catalogues() -> &'static Catalogues {
    static CATALOGUES: LazyLock<Catalogues> = LazyLock::new(|| {
        Catalogues::load()
            .expect("the catalogues compiled into the binary are checked by the tests")
    });
    &CATALOGUES
}

/// Looks labels up in one locale; every template holds one as `t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translator {
    locale: Locale,
}

impl Translator {
    pub fn new(locale: Locale) -> Translator {
        Translator { locale }
    }

    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// The text of a message without arguments.
    pub fn t(&self, key: &str) -> String {
        catalogues().format(self.locale, key, &[])
    }

    /// The text of a message with named arguments.
    pub fn t_with(&self, key: &str, arguments: &[(&str, &str)]) -> String {
        catalogues().format(self.locale, key, arguments)
    }

    /// The text of a message whose placeable `name` is a count (of months, days, instalments),
    /// in the plural form the language gives that count. Taken by reference because templates
    /// pass their fields so.
    pub fn t_count<N: Copy + Into<i64>>(&self, key: &str, name: &str, count: &N) -> String {
        catalogues().format_count(self.locale, key, name, (*count).into())
    }

    /// The text of `key` where the catalogue has it, else `fallback`. For labels built at run
    /// time from another service's codes: a code the catalogues do not name yet is shown as the
    /// service wrote it, which still means something to staff, rather than as a missing key.
    pub fn t_or(&self, key: &str, fallback: &str) -> String {
        if catalogues().message_ids(self.locale).contains(key) {
            self.t(key)
        } else {
            fallback.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_parses_without_errors() {
        Catalogues::load().unwrap();
    }

    /// The build check: a label added to one language and forgotten in another fails here.
    #[test]
    fn every_catalogue_has_exactly_the_keys_of_every_other() {
        let catalogues = Catalogues::load().unwrap();
        let all_keys: BTreeSet<&String> = Locale::ALL
            .iter()
            .flat_map(|locale| catalogues.message_ids(*locale))
            .collect();
        for locale in Locale::ALL {
            let missing: Vec<&&String> = all_keys
                .iter()
                .filter(|key| !catalogues.message_ids(locale).contains(key.as_str()))
                .collect();
            assert!(
                missing.is_empty(),
                "the {} catalogue lacks {missing:?}",
                locale.code()
            );
        }
        assert!(all_keys.len() > 50, "the catalogues were read");
    }

    #[test]
    fn every_key_a_template_uses_exists_in_every_catalogue() {
        let catalogues = Catalogues::load().unwrap();
        let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut used = BTreeSet::new();
        for entry in std::fs::read_dir(&templates).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            used.extend(keys_used_in(&text));
        }
        assert!(used.contains("calculator-title"), "templates were scanned");
        for locale in Locale::ALL {
            for key in &used {
                assert!(
                    catalogues.message_ids(locale).contains(key),
                    "templates use `{key}`, which the {} catalogue lacks",
                    locale.code()
                );
            }
        }
    }

    /// The keys a template passes to `t.t("…")`, `t.t_with("…", …)` or `t.t_count("…", …)`.
    fn keys_used_in(template: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for call in ["t.t(\"", "t.t_with(\"", "t.t_count(\""] {
            let mut rest = template;
            while let Some(start) = rest.find(call) {
                let after = &rest[start + call.len()..];
                let end = after.find('"').unwrap();
                keys.push(after[..end].to_owned());
                rest = &after[end..];
            }
        }
        keys
    }

    #[test]
    fn the_key_scanner_finds_both_call_forms() {
        let keys = keys_used_in(r#"{{ t.t("a-b") }} and {{ t.t_with("c", [("x", y)]) }}"#);
        assert_eq!(keys, ["a-b", "c"]);
    }

    #[test]
    fn labels_differ_per_language_and_placeables_are_filled() {
        let title: Vec<String> = Locale::ALL
            .iter()
            .map(|locale| Translator::new(*locale).t("calculator-title"))
            .collect();
        assert_eq!(
            title,
            [
                "Kredit kalkulyatori",
                "Кредит калькулятори",
                "Кредитный калькулятор",
                "Loan calculator"
            ]
        );
        assert_eq!(
            Translator::new(Locale::Ru).t_with("money-uzs", &[("amount", "5,00")]),
            "5,00\u{a0}сум"
        );
    }

    #[test]
    fn counts_take_the_plural_form_of_each_language() {
        let russian = Translator::new(Locale::Ru);
        let days: Vec<String> = [1, 2, 5, 11, 21, 22]
            .into_iter()
            .map(|days: i64| russian.t_count("days-past-due", "days", &days))
            .collect();
        assert_eq!(
            days,
            [
                "просрочка 1 день",
                "просрочка 2 дня",
                "просрочка 5 дней",
                "просрочка 11 дней",
                "просрочка 21 день",
                "просрочка 22 дня",
            ]
        );
        let months: Vec<String> = [1, 3, 12]
            .into_iter()
            .map(|months: i64| russian.t_count("contract-term", "months", &months))
            .collect();
        assert_eq!(months, ["1 месяц", "3 месяца", "12 месяцев"]);
        // Uzbek keeps the noun singular after a numeral: 1 kun, 2 kun, 5 kun.
        let uzbek: Vec<String> = [1, 2, 5]
            .into_iter()
            .map(|days: i64| {
                Translator::new(Locale::UzLatn).t_count("days-past-due", "days", &days)
            })
            .collect();
        assert_eq!(
            uzbek,
            ["1 kun kechikkan", "2 kun kechikkan", "5 kun kechikkan"]
        );
        assert_eq!(
            Translator::new(Locale::UzCyrl).t_count("contract-term", "months", &2),
            "2 ой"
        );
        let english = Translator::new(Locale::En);
        assert_eq!(english.t_count("contract-term", "months", &1), "1 month");
        assert_eq!(english.t_count("days-past-due", "days", &2), "2 days late");
    }

    #[test]
    fn a_missing_key_shows_itself_rather_than_failing_the_page() {
        assert_eq!(Translator::new(Locale::En).t("no-such-key"), "no-such-key");
    }

    #[test]
    fn a_key_the_catalogue_lacks_gives_way_to_the_fallback() {
        let russian = Translator::new(Locale::Ru);
        assert_eq!(russian.t_or("application-score", "score"), "Скоринг");
        assert_eq!(russian.t_or("no-such-key", "RAW_CODE"), "RAW_CODE");
    }

    #[test]
    fn locale_codes_round_trip_and_unknown_tags_are_refused() {
        for locale in Locale::ALL {
            assert_eq!(Locale::from_code(locale.code()), Some(locale));
        }
        assert_eq!(Locale::from_code("uz"), None);
        assert_eq!(Locale::from_code("EN"), None);
    }
}
