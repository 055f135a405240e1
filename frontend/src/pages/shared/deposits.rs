//! What the client's deposit pages and the administrators' products page both show: a
//! product's terms in the reader's words (rates as percent a year, the term in months, how
//! interest is paid).

use rust_decimal::Decimal;

use crate::clients::accounts::DepositProduct;
use crate::web::format::{amount_text, format_number};
use crate::web::i18n::Translator;

/// A rate the accounts service writes as a decimal string (`20.00`), as percent a year in the
/// reader's notation; a rate that does not read (which the service should never send) is
/// shown as sent.
pub fn rate_text(rate: &str, translator: &Translator) -> String {
    let number = rate.parse::<Decimal>().map_or_else(
        |_| rate.to_owned(),
        |rate| format_number(rate, 2, translator.locale()),
    );
    translator.t_with("deposit-rate-value", &[("rate", &number)])
}

/// The term, counted in the language's plural forms.
pub fn term_text(months: i16, translator: &Translator) -> String {
    translator.t_count("deposit-term-value", "months", &months)
}

/// The catalogue key of how a deposit's interest is paid.
pub fn payout_key(interest_payout: &str, capitalised: bool) -> &'static str {
    match (interest_payout, capitalised) {
        ("monthly", true) => "deposit-payout-capitalised",
        ("monthly", false) => "deposit-payout-monthly",
        _ => "deposit-payout-maturity",
    }
}

/// A product as the pages list it.
pub struct ProductView {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub term: String,
    pub rate: String,
    pub early_rate: String,
    pub min_amount: String,
    pub payout_key: &'static str,
    pub offered: bool,
}

impl ProductView {
    pub fn new(product: &DepositProduct, translator: &Translator) -> ProductView {
        ProductView {
            id: product.id.clone(),
            name: product.name.clone(),
            currency: product.currency.clone(),
            term: term_text(product.term_months, translator),
            rate: rate_text(&product.annual_rate, translator),
            early_rate: rate_text(&product.early_withdrawal_rate, translator),
            min_amount: amount_text(&product.min_amount, &product.currency, translator),
            payout_key: payout_key(&product.interest_payout, product.capitalised),
            offered: product.is_offered(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Locale;

    #[test]
    fn a_rate_and_a_term_are_written_as_each_language_writes_them() {
        let english = Translator::new(Locale::En);
        assert_eq!(rate_text("20.00", &english), "20.00% a year");
        assert_eq!(term_text(1, &english), "1 month");
        assert_eq!(term_text(12, &english), "12 months");
        let russian = Translator::new(Locale::Ru);
        assert_eq!(rate_text("18.5", &russian), "18,50% годовых");
        assert_eq!(term_text(3, &russian), "3 месяца");
    }
}
