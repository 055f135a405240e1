//! The statement as a PDF document in the reader's language: every heading, the kinds of
//! operation and the footer in uz-Latn, uz-Cyrl, ru or en, amounts and dates written as the
//! web pages write them, and the account holder's name in whatever script it is on file.

use chrono::{DateTime, Duration, Utc};
use imkon_platform::language::{format_date, format_money, format_number, Language};
use imkon_platform::money::Currency;
use imkon_platform::pdf::{self, Align, Block, Column, Frame};
use rust_decimal::Decimal;

use crate::db::accounts::AccountRow;
use crate::db::statements::StatementLine;

/// The words of a statement in one language.
struct Words {
    title: &'static str,
    account: &'static str,
    holder: &'static str,
    account_kind: &'static str,
    currency: &'static str,
    period: &'static str,
    opening: &'static str,
    closing: &'static str,
    entries: &'static str,
    no_entries: &'static str,
    booked: &'static str,
    operation: &'static str,
    reference: &'static str,
    debit: &'static str,
    credit: &'static str,
    balance: &'static str,
    /// `{page}` and `{count}` are replaced.
    footer: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::UzLatn => Words {
            title: "Hisob koʻchirmasi",
            account: "Hisob raqami",
            holder: "Hisob egasi",
            account_kind: "Hisob turi",
            currency: "Valyuta",
            period: "Davr (Toshkent vaqti)",
            opening: "Davr boshidagi qoldiq",
            closing: "Davr oxiridagi qoldiq",
            entries: "Operatsiyalar",
            no_entries: "Bu davrda operatsiyalar yoʻq.",
            booked: "Sana",
            operation: "Operatsiya",
            reference: "Izoh",
            debit: "Debet",
            credit: "Kredit",
            balance: "Qoldiq",
            footer: "{page}-sahifa, jami {count}",
        },
        Language::UzCyrl => Words {
            title: "Ҳисоб кўчирмаси",
            account: "Ҳисоб рақами",
            holder: "Ҳисоб эгаси",
            account_kind: "Ҳисоб тури",
            currency: "Валюта",
            period: "Давр (Тошкент вақти)",
            opening: "Давр бошидаги қолдиқ",
            closing: "Давр охиридаги қолдиқ",
            entries: "Операциялар",
            no_entries: "Бу даврда операциялар йўқ.",
            booked: "Сана",
            operation: "Операция",
            reference: "Изоҳ",
            debit: "Дебет",
            credit: "Кредит",
            balance: "Қолдиқ",
            footer: "{page}-саҳифа, жами {count}",
        },
        Language::Ru => Words {
            title: "Выписка по счёту",
            account: "Номер счёта",
            holder: "Владелец счёта",
            account_kind: "Вид счёта",
            currency: "Валюта",
            period: "Период (время Ташкента)",
            opening: "Входящий остаток",
            closing: "Исходящий остаток",
            entries: "Операции",
            no_entries: "За период операций нет.",
            booked: "Дата",
            operation: "Операция",
            reference: "Назначение",
            debit: "Дебет",
            credit: "Кредит",
            balance: "Остаток",
            footer: "Страница {page} из {count}",
        },
        Language::En => Words {
            title: "Account statement",
            account: "Account number",
            holder: "Account holder",
            account_kind: "Account type",
            currency: "Currency",
            period: "Period (Tashkent time)",
            opening: "Opening balance",
            closing: "Closing balance",
            entries: "Entries",
            no_entries: "No entries in this period.",
            booked: "Date",
            operation: "Operation",
            reference: "Reference",
            debit: "Debit",
            credit: "Credit",
            balance: "Balance",
            footer: "Page {page} of {count}",
        },
    }
}

/// An account kind as the reader's language names it; an unknown kind shows as stored.
fn account_kind_name(kind: &str, language: Language) -> &str {
    let names: [&str; 4] = match kind {
        "client_current" => [
            "Joriy hisob",
            "Жорий ҳисоб",
            "Текущий счёт",
            "Current account",
        ],
        "company_current" => [
            "Korxonaning joriy hisobi",
            "Корхонанинг жорий ҳисоби",
            "Расчётный счёт компании",
            "Company current account",
        ],
        "loan" => [
            "Kredit hisobi",
            "Кредит ҳисоби",
            "Ссудный счёт",
            "Loan account",
        ],
        "grant_fund" => ["Grant fondi", "Грант фонди", "Грантовый фонд", "Grant fund"],
        "term_deposit" => [
            "Muddatli omonat hisobi",
            "Муддатли омонат ҳисоби",
            "Депозитный счёт",
            "Term deposit account",
        ],
        _ => return kind,
    };
    names[language_index(language)]
}

/// A transfer kind as the reader's language names it; an unknown kind shows as stored.
fn operation_name(kind: &str, language: Language) -> &str {
    let names: [&str; 4] = match kind {
        "disbursement" => ["Ajratish", "Ажратиш", "Выдача", "Disbursement"],
        "repayment" => ["Qaytarish", "Қайтариш", "Погашение", "Repayment"],
        "client_transfer" => ["Oʻtkazma", "Ўтказма", "Перевод", "Transfer"],
        "reversal" => ["Bekor qilish", "Бекор қилиш", "Сторно", "Reversal"],
        "adjustment" => ["Tuzatish", "Тузатиш", "Корректировка", "Adjustment"],
        "deposit" => ["Kirim", "Кирим", "Зачисление", "Deposit"],
        "withdrawal" => ["Chiqim", "Чиқим", "Списание", "Withdrawal"],
        "write_off" => [
            "Hisobdan chiqarish",
            "Ҳисобдан чиқариш",
            "Списание кредита",
            "Loan write-off",
        ],
        "exchange" => [
            "Valyuta ayirboshlash",
            "Валюта айирбошлаш",
            "Обмен валюты",
            "Currency exchange",
        ],
        "fee" => ["Komissiya", "Комиссия", "Комиссия", "Fee"],
        "term_deposit" => [
            "Muddatli omonat",
            "Муддатли омонат",
            "Срочный вклад",
            "Term deposit",
        ],
        "bill_payment" => [
            "Xizmatlar uchun toʻlov",
            "Хизматлар учун тўлов",
            "Оплата услуг",
            "Bill payment",
        ],
        "deposit_interest" => [
            "Omonat foizlari",
            "Омонат фоизлари",
            "Проценты по вкладу",
            "Deposit interest",
        ],
        _ => return kind,
    };
    names[language_index(language)]
}

fn language_index(language: Language) -> usize {
    match language {
        Language::UzLatn => 0,
        Language::UzCyrl => 1,
        Language::Ru => 2,
        Language::En => 3,
    }
}

/// An instant as a Tashkent (UTC+5) date and time in the reader's language.
fn tashkent_time(instant: DateTime<Utc>, language: Language) -> String {
    let local = (instant + Duration::hours(5)).naive_utc();
    format!(
        "{} {}",
        format_date(local.date(), language),
        local.format("%H:%M")
    )
}

/// What a statement shows.
pub struct Statement<'a> {
    pub account: &'a AccountRow,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub opening: Decimal,
    pub closing: Decimal,
    pub lines: &'a [StatementLine],
}

/// The statement's PDF in `language`.
pub fn render(statement: &Statement<'_>, language: Language) -> Result<Vec<u8>, pdf::PdfError> {
    let words = words(language);
    let account = statement.account;
    let money = |amount: Decimal| match account.currency.parse::<Currency>() {
        Ok(currency) => format_money(amount, currency, language),
        Err(_) => format!(
            "{} {}",
            format_number(amount, 2, language),
            account.currency
        ),
    };
    let number = |amount: Decimal| format_number(amount, 2, language);
    let field = |label: &str, value: String| Block::Field {
        label: label.to_owned(),
        value,
    };
    let mut blocks = vec![
        Block::Title(words.title.to_owned()),
        field(words.account, account.number.clone()),
    ];
    if let Some(name) = &account.name {
        blocks.push(field(words.holder, name.clone()));
    }
    blocks.extend([
        field(
            words.account_kind,
            account_kind_name(&account.kind, language).to_owned(),
        ),
        field(words.currency, account.currency.clone()),
        field(
            words.period,
            format!(
                "{} – {}",
                format_date(statement.from, language),
                format_date(statement.to, language)
            ),
        ),
        field(words.opening, money(statement.opening)),
        field(words.closing, money(statement.closing)),
        Block::Heading(words.entries.to_owned()),
    ]);
    if statement.lines.is_empty() {
        blocks.push(Block::Paragraph(words.no_entries.to_owned()));
    } else {
        let columns = vec![
            Column::new(words.booked, 17, Align::Left),
            Column::new(words.operation, 13, Align::Left),
            Column::new(words.reference, 27, Align::Left),
            Column::new(words.debit, 14, Align::Right),
            Column::new(words.credit, 14, Align::Right),
            Column::new(words.balance, 15, Align::Right),
        ];
        let rows = statement
            .lines
            .iter()
            .map(|line| {
                let (debit, credit) = if line.side == "debit" {
                    (number(line.amount), String::new())
                } else {
                    (String::new(), number(line.amount))
                };
                vec![
                    tashkent_time(line.booked_at, language),
                    operation_name(&line.kind, language).to_owned(),
                    line.reference.clone(),
                    debit,
                    credit,
                    number(line.balance_after),
                ]
            })
            .collect();
        blocks.push(Block::Table { columns, rows });
    }
    let footer = |page: usize, count: usize| {
        words
            .footer
            .replace("{page}", &page.to_string())
            .replace("{count}", &count.to_string())
    };
    let title = format!("{} {}", words.title, account.number);
    pdf::document(
        &Frame {
            title: &title,
            language,
            footer: &footer,
        },
        &blocks,
    )
}
