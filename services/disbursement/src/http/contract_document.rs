//! The contract a founder signs, as a PDF in the founder's language: the parties, the amount,
//! rate, term and fees, the tranches, the repayment schedule, the founder's obligations and
//! what happens on arrears.
//!
//! A draft is generated from the contract each time it is asked for; the same contract and
//! language always give the same bytes, so the SHA-256 the founder was shown can be checked at
//! signing by generating the document again. The signed document is stored as it was.

use chrono::{Months, NaiveDate};
use imkon_platform::language::{format_date, format_money, Language};
use imkon_platform::money::Money;
use imkon_platform::pdf::{self, Align, Block, Column, Frame};
use imkon_platform::problem::Problem;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::db::contracts::{ContractRow, SecurityRow, TrancheRow};
use crate::domain::fees::FeeCollection;
use crate::domain::schedule::build_schedule;
use crate::error::DisbursementError;
use crate::loans::{arrangement_fee, contract_terms, currency, money};

/// The words of a contract in one language; `{…}` placeholders are replaced.
struct Words {
    loan_title: &'static str,
    grant_title: &'static str,
    number: &'static str,
    approved: &'static str,
    parties: &'static str,
    bank: &'static str,
    bank_name: &'static str,
    client: &'static str,
    company: &'static str,
    terms: &'static str,
    amount: &'static str,
    rate: &'static str,
    method: &'static str,
    annuity: &'static str,
    equal_principal: &'static str,
    term: &'static str,
    grace: &'static str,
    day_count: &'static str,
    interest_method: &'static str,
    declining_balance: &'static str,
    flat: &'static str,
    penalty: &'static str,
    fees: &'static str,
    no_fees: &'static str,
    fee_deducted: &'static str,
    fee_upfront: &'static str,
    late_charge: &'static str,
    security: &'static str,
    guarantor: &'static str,
    /// Real estate, vehicle, equipment, deposit, other: in `COLLATERAL_TYPES`' order.
    collateral_types: [&'static str; 5],
    tranches: &'static str,
    tranche_number: &'static str,
    tranche_amount: &'static str,
    tranche_purpose: &'static str,
    schedule: &'static str,
    schedule_note: &'static str,
    due_date: &'static str,
    principal: &'static str,
    interest: &'static str,
    total: &'static str,
    balance: &'static str,
    totals: &'static str,
    obligations: &'static str,
    loan_obligations: &'static str,
    grant_obligations: &'static str,
    arrears: &'static str,
    loan_arrears: &'static str,
    grant_arrears: &'static str,
    signature: &'static str,
    signature_text: &'static str,
    footer: &'static str,
    loan_purpose: &'static str,
    milestone_purpose: &'static str,
    months: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::UzLatn => Words {
            loan_title: "Kredit shartnomasi",
            grant_title: "Grant shartnomasi",
            number: "Shartnoma raqami",
            approved: "Ariza maʼqullangan sana",
            parties: "Taraflar",
            bank: "Bank",
            bank_name: "Imkon",
            client: "Mijoz",
            company: "Korxona",
            terms: "Shartlar",
            amount: "Summa",
            rate: "Yillik foiz stavkasi",
            method: "Toʻlash usuli",
            annuity: "annuitet (teng toʻlovlar)",
            equal_principal: "asosiy qarz teng ulushlarda",
            term: "Muddat",
            grace: "Imtiyozli davr",
            day_count: "Kunlarni hisoblash",
            interest_method: "Foiz hisoblanadigan summa",
            declining_balance: "qarz qoldigʻi",
            flat: "kreditning butun summasi (qatʼiy foiz)",
            penalty: "Muddati oʻtgan summaga penya (yillik)",
            fees: "Komissiyalar",
            no_fees: "yoʻq: ushbu shartnoma boʻyicha hech qanday komissiya yoki yigʻim olinmaydi",
            fee_deducted: "kredit rasmiylashtirish komissiyasi, birinchi toʻlovdan ushlab qolinadi; boshqa komissiya yoki yigʻim olinmaydi",
            fee_upfront: "kredit rasmiylashtirish komissiyasi, shartnoma imzolanganda joriy hisobdan toʻlanadi; boshqa komissiya yoki yigʻim olinmaydi",
            late_charge: "Muddati oʻtgan har bir toʻlov uchun bir martalik jarima",
            security: "Taʼminot",
            guarantor: "Kafil",
            collateral_types: ["Koʻchmas mulk", "Transport vositasi", "Uskuna", "Omonat", "Boshqa garov"],
            tranches: "Mablagʻ ajratish bosqichlari",
            tranche_number: "№",
            tranche_amount: "Summa",
            tranche_purpose: "Maqsad",
            schedule: "Toʻlov jadvali",
            schedule_note: "Jadval ariza maʼqullangan kundan hisoblangan. Aniq sanalar mablagʻ berilgan kuni belgilanadi; summalar shu shartlar boʻyicha hisoblanadi.",
            due_date: "Toʻlov sanasi",
            principal: "Asosiy qarz",
            interest: "Foiz",
            total: "Jami",
            balance: "Qoldiq",
            totals: "Jami toʻlanadigan",
            obligations: "Mijozning majburiyatlari",
            loan_obligations: "Mijoz kreditni jadvaldagi sanalarda va summalarda qaytaradi, mablagʻni arizada koʻrsatilgan maqsadlarga ishlatadi va bankka korxona faoliyatidagi muhim oʻzgarishlar haqida xabar beradi. Muddatidan oldin toʻlash jarimasiz ruxsat etiladi.",
            grant_obligations: "Mijoz grantni arizada koʻrsatilgan maqsadlarga ishlatadi, har bir bosqich uchun hisobot taqdim etadi va bankka korxona faoliyatidagi muhim oʻzgarishlar haqida xabar beradi.",
            arrears: "Toʻlov kechiktirilganda",
            loan_arrears: "Toʻlov muddati oʻtgan summaga har kuni yillik {penalty} stavkada penya hisoblanadi. Kelib tushgan toʻlov avval penyaga, soʻng foizga, soʻng asosiy qarzga yoʻnaltiriladi. Uzoq muddatli qarzdorlikda bank kreditni muddatidan oldin talab qilishi va qonunda belgilangan tartibda undirishi mumkin.",
            grant_arrears: "Hisobot topshirilmasa yoki mablagʻ maqsadsiz ishlatilsa, bank keyingi bosqichlarni toʻxtatadi va ishlatilgan mablagʻni qaytarishni talab qilishi mumkin.",
            signature: "Imzo",
            signature_text: "Mijoz ushbu hujjatni Imkon tizimida elektron imzolaydi. Imzo bilan birga hujjatning SHA-256 xeshi saqlanadi: imzolangan hujjat aynan shu fayl ekanini har kim tekshira oladi.",
            footer: "{page}-sahifa, jami {count}",
            loan_purpose: "Kredit",
            milestone_purpose: "{number}-bosqich",
            months: "{count} oy",
        },
        Language::UzCyrl => Words {
            loan_title: "Кредит шартномаси",
            grant_title: "Грант шартномаси",
            number: "Шартнома рақами",
            approved: "Ариза маъқулланган сана",
            parties: "Тарафлар",
            bank: "Банк",
            bank_name: "Imkon",
            client: "Мижоз",
            company: "Корхона",
            terms: "Шартлар",
            amount: "Сумма",
            rate: "Йиллик фоиз ставкаси",
            method: "Тўлаш усули",
            annuity: "аннуитет (тенг тўловлар)",
            equal_principal: "асосий қарз тенг улушларда",
            term: "Муддат",
            grace: "Имтиёзли давр",
            day_count: "Кунларни ҳисоблаш",
            interest_method: "Фоиз ҳисобланадиган сумма",
            declining_balance: "қарз қолдиғи",
            flat: "кредитнинг бутун суммаси (қатъий фоиз)",
            penalty: "Муддати ўтган суммага пеня (йиллик)",
            fees: "Комиссиялар",
            no_fees: "йўқ: ушбу шартнома бўйича ҳеч қандай комиссия ёки йиғим олинмайди",
            fee_deducted: "кредит расмийлаштириш комиссияси, биринчи тўловдан ушлаб қолинади; бошқа комиссия ёки йиғим олинмайди",
            fee_upfront: "кредит расмийлаштириш комиссияси, шартнома имзоланганда жорий ҳисобдан тўланади; бошқа комиссия ёки йиғим олинмайди",
            late_charge: "Муддати ўтган ҳар бир тўлов учун бир марталик жарима",
            security: "Таъминот",
            guarantor: "Кафил",
            collateral_types: ["Кўчмас мулк", "Транспорт воситаси", "Ускуна", "Омонат", "Бошқа гаров"],
            tranches: "Маблағ ажратиш босқичлари",
            tranche_number: "№",
            tranche_amount: "Сумма",
            tranche_purpose: "Мақсад",
            schedule: "Тўлов жадвали",
            schedule_note: "Жадвал ариза маъқулланган кундан ҳисобланган. Аниқ саналар маблағ берилган куни белгиланади; суммалар шу шартлар бўйича ҳисобланади.",
            due_date: "Тўлов санаси",
            principal: "Асосий қарз",
            interest: "Фоиз",
            total: "Жами",
            balance: "Қолдиқ",
            totals: "Жами тўланадиган",
            obligations: "Мижознинг мажбуриятлари",
            loan_obligations: "Мижоз кредитни жадвалдаги саналарда ва суммаларда қайтаради, маблағни аризада кўрсатилган мақсадларга ишлатади ва банкка корхона фаолиятидаги муҳим ўзгаришлар ҳақида хабар беради. Муддатидан олдин тўлаш жаримасиз рухсат этилади.",
            grant_obligations: "Мижоз грантни аризада кўрсатилган мақсадларга ишлатади, ҳар бир босқич учун ҳисобот тақдим этади ва банкка корхона фаолиятидаги муҳим ўзгаришлар ҳақида хабар беради.",
            arrears: "Тўлов кечиктирилганда",
            loan_arrears: "Тўлов муддати ўтган суммага ҳар куни йиллик {penalty} ставкада пеня ҳисобланади. Келиб тушган тўлов аввал пеняга, сўнг фоизга, сўнг асосий қарзга йўналтирилади. Узоқ муддатли қарздорликда банк кредитни муддатидан олдин талаб қилиши ва қонунда белгиланган тартибда ундириши мумкин.",
            grant_arrears: "Ҳисобот топширилмаса ёки маблағ мақсадсиз ишлатилса, банк кейинги босқичларни тўхтатади ва ишлатилган маблағни қайтаришни талаб қилиши мумкин.",
            signature: "Имзо",
            signature_text: "Мижоз ушбу ҳужжатни Imkon тизимида электрон имзолайди. Имзо билан бирга ҳужжатнинг SHA-256 хеши сақланади: имзоланган ҳужжат айнан шу файл эканини ҳар ким текшира олади.",
            footer: "{page}-саҳифа, жами {count}",
            loan_purpose: "Кредит",
            milestone_purpose: "{number}-босқич",
            months: "{count} ой",
        },
        Language::Ru => Words {
            loan_title: "Кредитный договор",
            grant_title: "Договор о предоставлении гранта",
            number: "Номер договора",
            approved: "Дата одобрения заявки",
            parties: "Стороны",
            bank: "Банк",
            bank_name: "Imkon",
            client: "Клиент",
            company: "Компания",
            terms: "Условия",
            amount: "Сумма",
            rate: "Годовая процентная ставка",
            method: "Способ погашения",
            annuity: "аннуитетный (равные платежи)",
            equal_principal: "равными долями основного долга",
            term: "Срок",
            grace: "Льготный период",
            day_count: "Расчёт дней",
            interest_method: "Проценты начисляются на",
            declining_balance: "остаток долга",
            flat: "всю сумму кредита (фиксированные проценты)",
            penalty: "Пеня на просроченную сумму (годовая)",
            fees: "Комиссии",
            no_fees: "нет: по этому договору не взимаются никакие комиссии и сборы",
            fee_deducted: "комиссия за оформление кредита, удерживается из первой выплаты; других комиссий и сборов нет",
            fee_upfront: "комиссия за оформление кредита, списывается с текущего счёта при подписании договора; других комиссий и сборов нет",
            late_charge: "Разовый штраф за каждый просроченный платёж",
            security: "Обеспечение",
            guarantor: "Поручитель",
            collateral_types: ["Недвижимость", "Транспортное средство", "Оборудование", "Вклад", "Иной залог"],
            tranches: "Транши",
            tranche_number: "№",
            tranche_amount: "Сумма",
            tranche_purpose: "Назначение",
            schedule: "График платежей",
            schedule_note: "График рассчитан от даты одобрения заявки. Точные даты устанавливаются в день выдачи средств; суммы рассчитываются по этим же условиям.",
            due_date: "Дата платежа",
            principal: "Основной долг",
            interest: "Проценты",
            total: "Всего",
            balance: "Остаток",
            totals: "Всего к уплате",
            obligations: "Обязательства клиента",
            loan_obligations: "Клиент возвращает кредит в даты и суммами графика, использует средства на цели, указанные в заявке, и сообщает банку о существенных изменениях в деятельности компании. Досрочное погашение допускается без штрафа.",
            grant_obligations: "Клиент использует грант на цели, указанные в заявке, представляет отчёт по каждому этапу и сообщает банку о существенных изменениях в деятельности компании.",
            arrears: "При просрочке",
            loan_arrears: "На просроченную сумму ежедневно начисляется пеня по годовой ставке {penalty}. Поступивший платёж направляется сначала на пеню, затем на проценты, затем на основной долг. При длительной просрочке банк вправе потребовать досрочного возврата кредита и взыскать долг в установленном законом порядке.",
            grant_arrears: "Если отчёт не представлен или средства использованы не по назначению, банк приостанавливает следующие этапы и вправе потребовать возврата использованных средств.",
            signature: "Подпись",
            signature_text: "Клиент подписывает этот документ электронно в системе Imkon. Вместе с подписью сохраняется хеш SHA-256 документа: любой может проверить, что подписан именно этот файл.",
            footer: "Страница {page} из {count}",
            loan_purpose: "Кредит",
            milestone_purpose: "Этап {number}",
            months: "{count} мес.",
        },
        Language::En => Words {
            loan_title: "Loan contract",
            grant_title: "Grant contract",
            number: "Contract number",
            approved: "Application approved on",
            parties: "Parties",
            bank: "Bank",
            bank_name: "Imkon",
            client: "Client",
            company: "Company",
            terms: "Terms",
            amount: "Amount",
            rate: "Annual interest rate",
            method: "Repayment method",
            annuity: "annuity (level payments)",
            equal_principal: "equal principal",
            term: "Term",
            grace: "Grace period",
            day_count: "Day count",
            interest_method: "Interest charged on",
            declining_balance: "the principal still owed",
            flat: "the whole amount lent (flat interest)",
            penalty: "Penalty on overdue amounts (annual)",
            fees: "Fees",
            no_fees: "none: no fee or charge of any kind is made under this contract",
            fee_deducted: "arrangement fee, kept back from the first payout; no other fee or charge is made",
            fee_upfront: "arrangement fee, paid from the current account when the contract is signed; no other fee or charge is made",
            late_charge: "One-off charge for each instalment paid late",
            security: "Security",
            guarantor: "Guarantor",
            collateral_types: ["Real estate", "Vehicle", "Equipment", "Deposit", "Other collateral"],
            tranches: "Tranches",
            tranche_number: "No.",
            tranche_amount: "Amount",
            tranche_purpose: "Purpose",
            schedule: "Repayment schedule",
            schedule_note: "The schedule counts from the day the application was approved. The exact dates are fixed on the day the money is paid out; the amounts follow these same terms.",
            due_date: "Due date",
            principal: "Principal",
            interest: "Interest",
            total: "Total",
            balance: "Balance",
            totals: "Total payable",
            obligations: "The client's obligations",
            loan_obligations: "The client repays the loan on the dates and in the amounts of the schedule, uses the money for the purposes stated in the application, and tells the bank of material changes in the company's business. Early repayment is allowed without penalty.",
            grant_obligations: "The client uses the grant for the purposes stated in the application, reports on each milestone, and tells the bank of material changes in the company's business.",
            arrears: "If a payment is late",
            loan_arrears: "A penalty accrues daily on the overdue amount at the annual rate of {penalty}. A payment received goes first to the penalty, then to interest, then to principal. If the arrears persist, the bank may demand early repayment of the loan and recover the debt as the law provides.",
            grant_arrears: "If a report is not made or the money is used for other purposes, the bank stops the remaining milestones and may demand the money used be returned.",
            signature: "Signature",
            signature_text: "The client signs this document electronically in Imkon. The document's SHA-256 hash is recorded with the signature, so anyone can check that this very file is the one signed.",
            footer: "Page {page} of {count}",
            loan_purpose: "Loan",
            milestone_purpose: "Milestone {number}",
            months: "{count} months",
        },
    }
}

/// A tranche's purpose as the reader's language says it: the service writes `loan` for a
/// loan's tranche and `milestone N` for a grant's; anything else (an officer's own words) is
/// shown as written.
pub fn tranche_purpose(purpose: &str, language: Language) -> String {
    let words = words(language);
    if purpose == "loan" {
        return words.loan_purpose.to_owned();
    }
    match purpose
        .strip_prefix("milestone ")
        .and_then(|number| number.parse::<u32>().ok())
    {
        Some(number) => words
            .milestone_purpose
            .replace("{number}", &number.to_string()),
        None => purpose.to_owned(),
    }
}

fn percent(rate: Decimal, language: Language) -> String {
    let text = rate.normalize().to_string();
    match language {
        Language::En => format!("{text}%"),
        _ => format!("{}\u{a0}%", text.replace('.', ",")),
    }
}

/// The kinds of collateral, as stored.
const COLLATERAL_TYPES: [&str; 5] = ["real_estate", "vehicle", "equipment", "deposit", "other"];

/// The contract's PDF in `language`. `approved` is the bank's day on which the application was
/// approved: where the indicative schedule starts, fixed so that the document never changes
/// with the day it is read. The securities, when there are any, are listed under their own
/// heading.
pub fn render(
    contract: &ContractRow,
    tranches: &[TrancheRow],
    securities: &[SecurityRow],
    approved: NaiveDate,
    language: Language,
) -> Result<Vec<u8>, Problem> {
    let words = words(language);
    let is_loan = contract.programme_kind == "loan";
    let show = |amount: Decimal| {
        format_money(
            money(contract, amount).amount(),
            currency(contract),
            language,
        )
    };
    let show_money = |amount: Money| format_money(amount.amount(), currency(contract), language);
    let field = |label: &str, value: String| Block::Field {
        label: label.to_owned(),
        value,
    };
    let months = |count: i32| words.months.replace("{count}", &count.to_string());
    let mut blocks = vec![
        Block::Title(
            if is_loan {
                words.loan_title
            } else {
                words.grant_title
            }
            .to_owned(),
        ),
        field(words.number, contract.id.to_string()),
        field(words.approved, format_date(approved, language)),
        Block::Heading(words.parties.to_owned()),
        field(words.bank, words.bank_name.to_owned()),
        field(words.client, contract.client_id.to_string()),
        field(words.company, contract.company_id.to_string()),
        Block::Heading(words.terms.to_owned()),
        field(words.amount, show(contract.principal)),
    ];
    if let (Some(rate), Some(method)) = (contract.annual_rate_percent, &contract.repayment_method) {
        blocks.push(field(words.rate, percent(rate, language)));
        let method = if method == "equal_principal" {
            words.equal_principal
        } else {
            words.annuity
        };
        blocks.push(field(words.method, method.to_owned()));
    }
    blocks.push(field(words.term, months(contract.term_months)));
    if is_loan {
        blocks.push(field(words.grace, months(contract.grace_months)));
        blocks.push(field(words.day_count, contract.day_count.clone()));
        let interest_method = if contract.interest_method == "flat" {
            words.flat
        } else {
            words.declining_balance
        };
        blocks.push(field(words.interest_method, interest_method.to_owned()));
    }
    blocks.push(field(
        words.penalty,
        percent(contract.penalty_rate_percent, language),
    ));
    let fees = match arrangement_fee(contract) {
        None => words.no_fees.to_owned(),
        Some(fee) => {
            let how = match fee.collection() {
                FeeCollection::Deducted => words.fee_deducted,
                FeeCollection::Upfront => words.fee_upfront,
            };
            format!("{}: {how}", show_money(fee.amount()))
        }
    };
    blocks.push(field(words.fees, fees));
    if contract.late_charge > Decimal::ZERO {
        blocks.push(field(words.late_charge, show(contract.late_charge)));
    }

    if !securities.is_empty() {
        blocks.push(Block::Heading(words.security.to_owned()));
        for security in securities {
            let label = match (&security.guarantor_name, &security.collateral_type) {
                (Some(name), _) => format!("{}: {name}", words.guarantor),
                (None, Some(kind)) => COLLATERAL_TYPES
                    .iter()
                    .position(|known| known == kind)
                    .map_or(kind.clone(), |index| {
                        words.collateral_types[index].to_owned()
                    }),
                (None, None) => security.kind.clone(),
            };
            blocks.push(field(
                &label,
                format!("{}, {}", show(security.value), security.description),
            ));
        }
    }
    blocks.push(Block::Heading(words.tranches.to_owned()));
    blocks.push(Block::Table {
        columns: vec![
            Column::new(words.tranche_number, 4, Align::Right),
            Column::new(words.tranche_amount, 24, Align::Right),
            Column::new(words.tranche_purpose, 60, Align::Left),
        ],
        rows: tranches
            .iter()
            .map(|tranche| {
                vec![
                    tranche.number.to_string(),
                    show(tranche.amount),
                    tranche_purpose(&tranche.purpose, language),
                ]
            })
            .collect(),
    });

    if is_loan {
        let first_due = approved.checked_add_months(Months::new(1)).ok_or_else(|| {
            DisbursementError::InvalidField {
                field: "approved_at",
                code: "out_of_range",
                message: "the date is out of the calendar's range".to_owned(),
            }
        })?;
        let schedule = build_schedule(&contract_terms(
            contract,
            contract.principal,
            approved,
            first_due,
        )?);
        blocks.push(Block::Heading(words.schedule.to_owned()));
        blocks.push(Block::Paragraph(words.schedule_note.to_owned()));
        let number = |amount: Money| {
            imkon_platform::language::format_number(
                amount.amount(),
                amount.currency().minor_unit_digits(),
                language,
            )
        };
        blocks.push(Block::Table {
            columns: vec![
                Column::new(words.tranche_number, 4, Align::Right),
                Column::new(words.due_date, 13, Align::Left),
                Column::new(words.principal, 18, Align::Right),
                Column::new(words.interest, 16, Align::Right),
                Column::new(words.total, 18, Align::Right),
                Column::new(words.balance, 18, Align::Right),
            ],
            rows: schedule
                .installments()
                .iter()
                .map(|installment| {
                    vec![
                        installment.number().to_string(),
                        format_date(installment.due_date(), language),
                        number(installment.principal()),
                        number(installment.interest()),
                        number(installment.total()),
                        number(installment.balance()),
                    ]
                })
                .collect(),
        });
        blocks.push(field(words.totals, show_money(schedule.total_payable())));
    }

    blocks.push(Block::Heading(words.obligations.to_owned()));
    blocks.push(Block::Paragraph(
        if is_loan {
            words.loan_obligations
        } else {
            words.grant_obligations
        }
        .to_owned(),
    ));
    blocks.push(Block::Heading(words.arrears.to_owned()));
    blocks.push(Block::Paragraph(if is_loan {
        words.loan_arrears.replace(
            "{penalty}",
            &percent(contract.penalty_rate_percent, language),
        )
    } else {
        words.grant_arrears.to_owned()
    }));
    blocks.push(Block::Heading(words.signature.to_owned()));
    blocks.push(Block::Paragraph(words.signature_text.to_owned()));

    let footer = |page: usize, count: usize| {
        words
            .footer
            .replace("{page}", &page.to_string())
            .replace("{count}", &count.to_string())
    };
    let title = format!(
        "{} {}",
        if is_loan {
            words.loan_title
        } else {
            words.grant_title
        },
        contract.id
    );
    pdf::document(
        &Frame {
            title: &title,
            language,
            footer: &footer,
        },
        &blocks,
    )
    .map_err(|error| Problem::internal_from(&error))
}

/// The SHA-256 of a document, in lowercase hex as the API writes it.
pub fn sha256_hex(document: &[u8]) -> String {
    hex::encode(Sha256::digest(document))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purposes_the_service_writes_are_shown_in_the_readers_language() {
        assert_eq!(tranche_purpose("loan", Language::UzCyrl), "Кредит");
        assert_eq!(tranche_purpose("loan", Language::UzLatn), "Kredit");
        assert_eq!(tranche_purpose("milestone 2", Language::Ru), "Этап 2");
        assert_eq!(tranche_purpose("milestone 1", Language::UzCyrl), "1-босқич");
        assert_eq!(tranche_purpose("milestone x", Language::Ru), "milestone x");
        assert_eq!(tranche_purpose("Uskunalar", Language::En), "Uskunalar");
    }

    #[test]
    fn rates_are_written_with_the_languages_decimal_separator() {
        assert_eq!(percent(Decimal::new(185, 1), Language::Ru), "18,5\u{a0}%");
        assert_eq!(percent(Decimal::new(18500, 3), Language::En), "18.5%");
    }
}
