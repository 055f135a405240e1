//! A paid bill's receipt as a PDF document in the reader's language: the payee, the invoice,
//! the amount, the account it was paid from, and the billing system's confirmation number,
//! which is what the payee accepts as proof of payment.

use chrono::{DateTime, Duration, Utc};
use imkon_platform::language::{format_date, format_money, format_number, Language};
use imkon_platform::money::Currency;
use imkon_platform::pdf::{self, Block, Frame};

use crate::db::billing::BillPaymentRow;

struct Words {
    title: &'static str,
    paid_at: &'static str,
    payee: &'static str,
    category: &'static str,
    invoice: &'static str,
    description: &'static str,
    amount: &'static str,
    account: &'static str,
    confirmation: &'static str,
    payment: &'static str,
    note: &'static str,
    /// `{page}` and `{count}` are replaced.
    footer: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::UzLatn => Words {
            title: "Toʻlov kvitansiyasi",
            paid_at: "Toʻlangan vaqt (Toshkent vaqti)",
            payee: "Oluvchi",
            category: "Toʻlov turi",
            invoice: "Hisob-faktura raqami",
            description: "Maqsad",
            amount: "Summa",
            account: "Toʻlovchi hisobi",
            confirmation: "Billing tizimining tasdiq raqami",
            payment: "Bankdagi toʻlov raqami",
            note: "Toʻlov oluvchining billing tizimi tomonidan qabul qilindi. Ushbu kvitansiya toʻlovni tasdiqlaydi.",
            footer: "{page}-sahifa, jami {count}",
        },
        Language::UzCyrl => Words {
            title: "Тўлов квитанцияси",
            paid_at: "Тўланган вақт (Тошкент вақти)",
            payee: "Олувчи",
            category: "Тўлов тури",
            invoice: "Ҳисоб-фактура рақами",
            description: "Мақсад",
            amount: "Сумма",
            account: "Тўловчи ҳисоби",
            confirmation: "Биллинг тизимининг тасдиқ рақами",
            payment: "Банкдаги тўлов рақами",
            note: "Тўлов олувчининг биллинг тизими томонидан қабул қилинди. Ушбу квитанция тўловни тасдиқлайди.",
            footer: "{page}-саҳифа, жами {count}",
        },
        Language::Ru => Words {
            title: "Квитанция об оплате",
            paid_at: "Время оплаты (ташкентское)",
            payee: "Получатель",
            category: "Вид платежа",
            invoice: "Номер счёта к оплате",
            description: "Назначение",
            amount: "Сумма",
            account: "Счёт плательщика",
            confirmation: "Номер подтверждения биллинговой системы",
            payment: "Номер платежа в банке",
            note: "Платёж принят биллинговой системой получателя. Эта квитанция подтверждает оплату.",
            footer: "Страница {page} из {count}",
        },
        Language::En => Words {
            title: "Payment receipt",
            paid_at: "Paid at (Tashkent time)",
            payee: "Payee",
            category: "Kind of payment",
            invoice: "Invoice number",
            description: "Purpose",
            amount: "Amount",
            account: "Paid from account",
            confirmation: "Billing system's confirmation number",
            payment: "Payment number at the bank",
            note: "The payee's billing system accepted the payment. This receipt confirms it.",
            footer: "Page {page} of {count}",
        },
    }
}

/// A payee category as the reader's language names it; an unknown one shows as stored.
pub fn category_name(category: &str, language: Language) -> &str {
    let names: [&str; 4] = match category {
        "state_duty" => ["Davlat boji", "Давлат божи", "Госпошлина", "State duty"],
        "fine" => ["Jarima", "Жарима", "Штраф", "Fine"],
        "tax" => ["Soliq", "Солиқ", "Налог", "Tax"],
        "utility" => [
            "Kommunal xizmat",
            "Коммунал хизмат",
            "Коммунальные услуги",
            "Utility",
        ],
        _ => return category,
    };
    let index = match language {
        Language::UzLatn => 0,
        Language::UzCyrl => 1,
        Language::Ru => 2,
        Language::En => 3,
    };
    names[index]
}

fn tashkent_time(instant: DateTime<Utc>, language: Language) -> String {
    let local = (instant + Duration::hours(5)).naive_utc();
    format!(
        "{} {}",
        format_date(local.date(), language),
        local.format("%H:%M")
    )
}

/// The receipt of a paid bill in `language`.
pub fn render(
    payment: &BillPaymentRow,
    confirmation_number: &str,
    paid_at: DateTime<Utc>,
    language: Language,
) -> Result<Vec<u8>, pdf::PdfError> {
    let words = words(language);
    let amount = match payment.currency.parse::<Currency>() {
        Ok(currency) => format_money(payment.amount, currency, language),
        Err(_) => format!(
            "{} {}",
            format_number(payment.amount, 2, language),
            payment.currency
        ),
    };
    let field = |label: &str, value: String| Block::Field {
        label: label.to_owned(),
        value,
    };
    let blocks = vec![
        Block::Title(words.title.to_owned()),
        field(words.paid_at, tashkent_time(paid_at, language)),
        field(words.payee, payment.payee_name.clone()),
        field(
            words.category,
            category_name(&payment.payee_category, language).to_owned(),
        ),
        field(words.invoice, payment.invoice_number.clone()),
        field(words.description, payment.description.clone()),
        field(words.amount, amount),
        field(words.account, payment.from_account_number.clone()),
        Block::Gap,
        field(words.confirmation, confirmation_number.to_owned()),
        field(words.payment, payment.id.to_string()),
        Block::Gap,
        Block::Paragraph(words.note.to_owned()),
    ];
    let footer = |page: usize, count: usize| {
        words
            .footer
            .replace("{page}", &page.to_string())
            .replace("{count}", &count.to_string())
    };
    pdf::document(
        &Frame {
            title: words.title,
            language,
            footer: &footer,
        },
        &blocks,
    )
}
