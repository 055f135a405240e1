//! Exchange rates as the client's exchange page and the staff's rates page show them.

use crate::clients::accounts::Rate;
use crate::web::format::{format_day_of, format_number};
use crate::web::i18n::Translator;
use rust_decimal::Decimal;

/// A rate as a page shows it: the pair, and the two rates in the reader's number format.
pub struct RateRow {
    pub pair: String,
    pub buy: String,
    pub sell: String,
    pub valid_until: String,
}

/// A rate in the reader's number format, with as many decimals as it needs (at least two).
pub fn rate_text(rate: &str, translator: &Translator) -> String {
    match rate.parse::<Decimal>() {
        Ok(rate) => {
            let digits = rate.normalize().scale().max(2);
            format_number(rate, digits, translator.locale())
        }
        Err(_) => rate.to_owned(),
    }
}

pub fn rate_row(
    rate: &Rate,
    translator: &Translator,
    calendar: &imkon_platform::calendar::BankCalendar,
) -> RateRow {
    RateRow {
        pair: rate.pair.clone(),
        buy: rate_text(&rate.buy_rate, translator),
        sell: rate_text(&rate.sell_rate, translator),
        valid_until: format!(
            "{} {} UTC",
            format_day_of(rate.valid_until, calendar, translator.locale()),
            rate.valid_until.format("%H:%M")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Locale;

    #[test]
    fn rates_keep_the_decimals_they_need_in_the_readers_format() {
        let english = Translator::new(Locale::En);
        assert_eq!(rate_text("12580.000000", &english), "12,580.00");
        assert_eq!(rate_text("1.158000", &english), "1.158");
        assert_eq!(rate_text("1.081234", &english), "1.081234");
        assert_eq!(rate_text("n/a", &english), "n/a");
    }
}
