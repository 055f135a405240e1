//! Collateral and guarantors as the application and contract pages show them.

use crate::web::format::amount_text;
use crate::web::i18n::Translator;

/// The kinds of collateral a founder may offer, as the services store them.
pub const COLLATERAL_TYPES: [&str; 5] = ["real_estate", "vehicle", "equipment", "deposit", "other"];

/// One security as a page lists it.
pub struct SecurityLine {
    /// The service's id, for the founder's remove button; empty on a contract.
    pub id: String,
    /// "Vehicle", or "Guarantor: Aziz Rahimov".
    pub what: String,
    pub value: String,
    pub description: String,
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
        }
    }
}
