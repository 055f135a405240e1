//! Collateral and guarantors as the application and contract pages show them, with the
//! documents that back each on the application page.

use imkon_platform::calendar::BankCalendar;

use crate::clients::applications::SecurityDocument;
use crate::pages::shared::documents::Item;
use crate::web::format::{amount_text, format_day_of};
use crate::web::i18n::Translator;

/// The kinds of collateral a founder may offer, as the services store them.
pub const COLLATERAL_TYPES: [&str; 5] = ["real_estate", "vehicle", "equipment", "deposit", "other"];

/// The kinds of document that back a security, as the applications service stores them, with
/// the catalogue key naming each.
pub const SECURITY_DOCUMENT_KINDS: [(&str, &str); 4] = [
    (
        "valuation_report",
        "security-document-kind-valuation-report",
    ),
    ("title_deed", "security-document-kind-title-deed"),
    (
        "signed_guarantee",
        "security-document-kind-signed-guarantee",
    ),
    ("other", "security-document-kind-other"),
];

/// A security's documents as the application page lists them: the kind, the file's name, size
/// and date, and the link that opens it through this frontend (the applications service
/// decides who may follow it).
pub fn security_document_items(
    application_id: &str,
    security_id: &str,
    documents: &[SecurityDocument],
    translator: &Translator,
    calendar: &BankCalendar,
) -> Vec<Item> {
    documents
        .iter()
        .map(|document| Item {
            title: translator.t(kind_key(&document.kind)),
            detail: format!(
                "{} · {} KB · {}",
                document.original_file_name.as_deref().unwrap_or_default(),
                (document.size_bytes + 1023) / 1024,
                format_day_of(document.uploaded_at, calendar, translator.locale())
            ),
            link: Some(format!(
                "/applications/{application_id}/securities/{security_id}/documents/{}",
                document.id
            )),
            preview: ("", String::new()),
        })
        .collect()
}

/// A contract's record of a security's documents: the kind and the SHA-256 of the bytes (the
/// contract keeps no files, so nothing to open; the application page opens them).
pub fn contract_document_items(
    documents: &[crate::clients::disbursement::ContractSecurityDocument],
    translator: &Translator,
) -> Vec<Item> {
    documents
        .iter()
        .map(|document| Item {
            title: translator.t(kind_key(&document.kind)),
            detail: format!("SHA-256 {}", document.sha256),
            link: None,
            preview: ("", String::new()),
        })
        .collect()
}

/// The catalogue key naming a kind of security document; an unknown kind reads as "other".
fn kind_key(kind: &str) -> &'static str {
    SECURITY_DOCUMENT_KINDS
        .iter()
        .find(|(known, _)| *known == kind)
        .map_or("security-document-kind-other", |(_, key)| *key)
}

/// One security as a page lists it.
pub struct SecurityLine {
    /// The service's id, for the founder's remove button; empty on a contract.
    pub id: String,
    /// "Vehicle", or "Guarantor: Aziz Rahimov".
    pub what: String,
    pub value: String,
    pub description: String,
    /// The documents backing it: to open on the application page, by kind and SHA-256 on a
    /// contract (which keeps no files).
    pub documents: Vec<Item>,
}

impl SecurityLine {
    pub fn new(
        id: &str,
        collateral_type: Option<&str>,
        guarantor_name: Option<&str>,
        value: &str,
        currency: &str,
        description: &str,
        translator: &Translator,
    ) -> SecurityLine {
        let what = match (guarantor_name, collateral_type) {
            (Some(name), _) => translator.t_with("security-guarantor", &[("name", name)]),
            (None, Some(kind)) => {
                translator.t_or(&format!("collateral-type-{}", kind.replace('_', "-")), kind)
            }
            (None, None) => String::new(),
        };
        SecurityLine {
            id: id.to_owned(),
            what,
            value: amount_text(value, currency, translator),
            description: description.to_owned(),
            documents: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{catalogues, Locale};

    /// The kinds' labels and the refusals a security's document may meet are looked up at run
    /// time, which the template scan cannot see.
    #[test]
    fn every_document_kind_and_refusal_has_words_in_every_language() {
        let mut keys: Vec<&str> = SECURITY_DOCUMENT_KINDS
            .iter()
            .map(|(_, key)| *key)
            .collect();
        keys.extend([
            "problem-too-many-documents",
            "problem-not-a-draft",
            "error-unknown-kind",
            "error-empty-file",
            "error-too-large",
            "error-unrecognised-content",
        ]);
        for locale in Locale::ALL {
            for key in &keys {
                assert!(
                    catalogues().message_ids(locale).contains(*key),
                    "{} lacks {key}",
                    locale.code()
                );
            }
        }
    }
}
