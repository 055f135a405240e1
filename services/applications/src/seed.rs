//! Demo programmes that look like the real ones, inserted idempotently under fixed ids.

use chrono::{Months, NaiveDate};
use imkon_platform::calendar::BankCalendar;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::programme_dto::{
    ChoiceOptionDto, CriterionDto, EligibilityDto, LocalizedTextDto, ProgrammeInput, QuestionDto,
};
use crate::http::programmes::programme_row;

/// The scoring service's seed scorecard for IT start-up grants; its seeds use the same id.
pub const GRANT_SCORECARD_ID: Uuid = Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_6b2f_3c4d_5e01);

/// The scoring service's seed scorecard for start-up loans; its seeds use the same id.
pub const LOAN_SCORECARD_ID: Uuid = Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_6b2f_3c4d_5e02);

pub const INNOVATIVE_IDEA_GRANT_ID: Uuid =
    Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_6b2f_3c4d_6a01);
pub const MVP_CO_FUNDING_GRANT_ID: Uuid =
    Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_6b2f_3c4d_6a02);
pub const YOUTH_LOAN_ID: Uuid = Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_6b2f_3c4d_6a03);
pub const SMALL_BUSINESS_START_LOAN_ID: Uuid =
    Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_6b2f_3c4d_6a04);

/// The administrator the seeds are recorded as created by.
const SEED_ADMIN_ID: Uuid = Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_6b2f_3c4d_0001);

fn text(uz_latn: &str, uz_cyrl: &str, ru: &str, en: &str) -> LocalizedTextDto {
    LocalizedTextDto {
        uz_latn: uz_latn.to_owned(),
        uz_cyrl: uz_cyrl.to_owned(),
        ru: ru.to_owned(),
        en: en.to_owned(),
    }
}

fn question(key: &str, label: LocalizedTextDto, kind: &str, required: bool) -> QuestionDto {
    QuestionDto {
        key: key.to_owned(),
        label,
        kind: kind.to_owned(),
        required,
        max_length_chars: None,
        min: None,
        max: None,
        options: None,
    }
}

fn number(key: &str, label: LocalizedTextDto, min: &str, max: &str, required: bool) -> QuestionDto {
    QuestionDto {
        min: Some(min.to_owned()),
        max: Some(max.to_owned()),
        ..question(key, label, "number", required)
    }
}

fn long_text(key: &str, label: LocalizedTextDto) -> QuestionDto {
    QuestionDto {
        max_length_chars: Some(5_000),
        ..question(key, label, "text", true)
    }
}

fn choice(key: &str, label: LocalizedTextDto, options: &[(&str, LocalizedTextDto)]) -> QuestionDto {
    QuestionDto {
        options: Some(
            options
                .iter()
                .map(|(value, label)| ChoiceOptionDto {
                    value: (*value).to_owned(),
                    label: label.clone(),
                })
                .collect(),
        ),
        ..question(key, label, "choice", true)
    }
}

fn yes_no() -> Vec<(&'static str, LocalizedTextDto)> {
    vec![
        ("yes", text("Ha", "Ҳа", "Да", "Yes")),
        ("no", text("Yo'q", "Йўқ", "Нет", "No")),
    ]
}

fn criterion(key: &str, label: LocalizedTextDto, weight: &str) -> CriterionDto {
    CriterionDto {
        key: key.to_owned(),
        label,
        weight: weight.to_owned(),
    }
}

/// The questions of the grant programmes; their keys are the grant scorecard's inputs.
pub fn grant_questions() -> Vec<QuestionDto> {
    vec![
        long_text(
            "project_summary",
            text(
                "Loyiha tavsifi",
                "Лойиҳа тавсифи",
                "Описание проекта",
                "Project summary",
            ),
        ),
        number(
            "team_experience_years",
            text(
                "Jamoa tajribasi (yil)",
                "Жамоа тажрибаси (йил)",
                "Опыт команды (лет)",
                "Team experience (years)",
            ),
            "0",
            "60",
            true,
        ),
        choice(
            "technical_founder",
            text(
                "Texnik asoschi bormi?",
                "Техник асосчи борми?",
                "Есть технический основатель?",
                "Is there a technical founder?",
            ),
            &yes_no(),
        ),
        choice(
            "product_stage",
            text(
                "Mahsulot bosqichi",
                "Маҳсулот босқичи",
                "Стадия продукта",
                "Product stage",
            ),
            &[
                ("idea", text("G'oya", "Ғоя", "Идея", "Idea")),
                (
                    "prototype",
                    text("Prototip", "Прототип", "Прототип", "Prototype"),
                ),
                ("mvp", text("MVP", "MVP", "MVP", "MVP")),
                (
                    "revenue",
                    text("Daromad bor", "Даромад бор", "Есть выручка", "Revenue"),
                ),
            ],
        ),
        number(
            "monthly_active_users",
            text(
                "Oylik faol foydalanuvchilar",
                "Ойлик фаол фойдаланувчилар",
                "Активные пользователи в месяц",
                "Monthly active users",
            ),
            "0",
            "1000000000",
            true,
        ),
        choice(
            "target_market",
            text(
                "Maqsadli bozor",
                "Мақсадли бозор",
                "Целевой рынок",
                "Target market",
            ),
            &[
                (
                    "uzbekistan",
                    text("O'zbekiston", "Ўзбекистон", "Узбекистан", "Uzbekistan"),
                ),
                (
                    "central_asia",
                    text(
                        "Markaziy Osiyo",
                        "Марказий Осиё",
                        "Центральная Азия",
                        "Central Asia",
                    ),
                ),
                ("global", text("Global", "Глобал", "Глобальный", "Global")),
            ],
        ),
        choice(
            "it_park_resident",
            text(
                "IT Park rezidentimi?",
                "IT Park резидентими?",
                "Резидент IT Park?",
                "IT Park resident?",
            ),
            &yes_no(),
        ),
        number(
            "jobs_to_be_created",
            text(
                "Yaratiladigan ish o'rinlari",
                "Яратиладиган иш ўринлари",
                "Новые рабочие места",
                "Jobs to be created",
            ),
            "0",
            "100000",
            true,
        ),
        question(
            "monthly_revenue_uzs",
            text(
                "Oylik daromad",
                "Ойлик даромад",
                "Ежемесячная выручка",
                "Monthly revenue",
            ),
            "money",
            false,
        ),
        question(
            "pitch_deck",
            text("Taqdimot", "Тақдимот", "Презентация", "Pitch deck"),
            "file",
            false,
        ),
    ]
}

pub fn grant_scoring_inputs() -> Vec<String> {
    [
        "team_experience_years",
        "technical_founder",
        "product_stage",
        "monthly_active_users",
        "target_market",
        "it_park_resident",
        "jobs_to_be_created",
        "monthly_revenue_uzs",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The questions of the loan programmes; their keys are the loan scorecard's inputs.
pub fn loan_questions() -> Vec<QuestionDto> {
    vec![
        long_text(
            "business_plan",
            text("Biznes-reja", "Бизнес-режа", "Бизнес-план", "Business plan"),
        ),
        number(
            "debt_service_coverage_ratio",
            text(
                "Qarzga xizmat ko'rsatish koeffitsienti",
                "Қарзга хизмат кўрсатиш коэффициенти",
                "Коэффициент покрытия долга",
                "Debt service coverage ratio",
            ),
            "-100",
            "100",
            true,
        ),
        number(
            "debt_to_ebitda_ratio",
            text(
                "Qarz / EBITDA",
                "Қарз / EBITDA",
                "Долг / EBITDA",
                "Debt to EBITDA",
            ),
            "-1000",
            "1000",
            false,
        ),
        choice(
            "revenue_trend",
            text(
                "Daromad dinamikasi",
                "Даромад динамикаси",
                "Динамика выручки",
                "Revenue trend",
            ),
            &[
                ("growing", text("O'smoqda", "Ўсмоқда", "Растёт", "Growing")),
                (
                    "stable",
                    text("Barqaror", "Барқарор", "Стабильна", "Stable"),
                ),
                (
                    "declining",
                    text("Kamaymoqda", "Камаймоқда", "Снижается", "Declining"),
                ),
            ],
        ),
        number(
            "years_in_business",
            text(
                "Faoliyat yillari",
                "Фаолият йиллари",
                "Лет в бизнесе",
                "Years in business",
            ),
            "0",
            "100",
            true,
        ),
        number(
            "collateral_coverage_percent",
            text(
                "Garov qoplami (%)",
                "Гаров қоплами (%)",
                "Покрытие залогом (%)",
                "Collateral coverage (%)",
            ),
            "0",
            "1000",
            true,
        ),
        number(
            "worst_days_overdue",
            text(
                "Eng uzoq kechikish (kun)",
                "Энг узоқ кечикиш (кун)",
                "Макс. просрочка (дней)",
                "Worst days overdue",
            ),
            "0",
            "10000",
            false,
        ),
        number(
            "owners_equity_share_percent",
            text(
                "Egalarning ulushi (%)",
                "Эгаларнинг улуши (%)",
                "Доля собственных средств (%)",
                "Owners' equity share (%)",
            ),
            "0",
            "100",
            true,
        ),
        question(
            "financial_statements",
            text(
                "Moliyaviy hisobotlar",
                "Молиявий ҳисоботлар",
                "Финансовая отчётность",
                "Financial statements",
            ),
            "file",
            false,
        ),
    ]
}

pub fn loan_scoring_inputs() -> Vec<String> {
    [
        "debt_service_coverage_ratio",
        "debt_to_ebitda_ratio",
        "revenue_trend",
        "years_in_business",
        "collateral_coverage_percent",
        "worst_days_overdue",
        "owners_equity_share_percent",
    ]
    .map(str::to_owned)
    .to_vec()
}

pub fn grant_rubric() -> Vec<CriterionDto> {
    vec![
        criterion(
            "innovation",
            text(
                "Innovatsionlik",
                "Инновационлик",
                "Инновационность",
                "Innovation",
            ),
            "3",
        ),
        criterion("team", text("Jamoa", "Жамоа", "Команда", "Team"), "2"),
        criterion("market", text("Bozor", "Бозор", "Рынок", "Market"), "2"),
        criterion(
            "impact",
            text(
                "Ijtimoiy ta'sir",
                "Ижтимоий таъсир",
                "Социальный эффект",
                "Impact",
            ),
            "1",
        ),
    ]
}

pub fn loan_rubric() -> Vec<CriterionDto> {
    vec![
        criterion(
            "viability",
            text(
                "Biznes barqarorligi",
                "Бизнес барқарорлиги",
                "Жизнеспособность бизнеса",
                "Business viability",
            ),
            "3",
        ),
        criterion(
            "repayment_capacity",
            text(
                "To'lov qobiliyati",
                "Тўлов қобилияти",
                "Платёжеспособность",
                "Repayment capacity",
            ),
            "3",
        ),
        criterion(
            "management",
            text("Boshqaruv", "Бошқарув", "Управление", "Management"),
            "2",
        ),
    ]
}

/// How long before the bank's today the demo programmes opened.
const OPEN_FOR_MONTHS_BEFORE: Months = Months::new(12);

/// How long after the bank's today the demo programmes stay open.
const OPEN_FOR_MONTHS_AFTER: Months = Months::new(24);

/// A demo programme of `kind`, open from a year before `today` to two years after: the demo
/// never expires, whenever it is started.
fn base(
    kind: &str,
    name: LocalizedTextDto,
    description: LocalizedTextDto,
    today: NaiveDate,
) -> ProgrammeInput {
    let grant = kind == "grant";
    ProgrammeInput {
        kind: kind.to_owned(),
        name,
        description,
        currency: "UZS".to_owned(),
        total_budget: String::new(),
        min_amount: String::new(),
        max_amount: String::new(),
        min_term_months: 12,
        max_term_months: 24,
        annual_rate_min_percent: None,
        annual_rate_max_percent: None,
        repayment_method: None,
        day_count: None,
        interest_method: None,
        arrangement_fee_fixed: None,
        arrangement_fee_percent: None,
        arrangement_fee_collection: None,
        late_charge_fixed: None,
        max_grace_months: None,
        penalty_rate_percent: None,
        co_funding_cap_percent: None,
        opens_on: today
            .checked_sub_months(OPEN_FOR_MONTHS_BEFORE)
            .expect("a year before a real date exists"),
        closes_on: today
            .checked_add_months(OPEN_FOR_MONTHS_AFTER)
            .expect("two years after a real date exists"),
        eligibility: EligibilityDto {
            kyc_approval_required: true,
            ..EligibilityDto::default()
        },
        scorecard_id: if grant {
            GRANT_SCORECARD_ID
        } else {
            LOAN_SCORECARD_ID
        },
        scoring_inputs: if grant {
            grant_scoring_inputs()
        } else {
            loan_scoring_inputs()
        },
        questions: if grant {
            grant_questions()
        } else {
            loan_questions()
        },
        rubric: if grant { grant_rubric() } else { loan_rubric() },
    }
}

/// The four demo programmes, by id, open on `today`.
pub fn demo_programmes(today: NaiveDate) -> Vec<(Uuid, ProgrammeInput)> {
    let innovative_idea = ProgrammeInput {
        total_budget: "5000000000.00".to_owned(),
        min_amount: "100000000.00".to_owned(),
        max_amount: "100000000.00".to_owned(),
        eligibility: EligibilityDto {
            kyc_approval_required: true,
            max_company_age_months: Some(36),
            ..EligibilityDto::default()
        },
        ..base(
            "grant",
            text(
                "Innovatsion g'oyalar milliy granti",
                "Инновацион ғоялар миллий гранти",
                "Национальный грант инновационных идей",
                "National innovative-idea grant",
            ),
            text(
                "Har bir g'olibga 100 000 000 so'm.",
                "Ҳар бир ғолибга 100 000 000 сўм.",
                "100 000 000 сумов каждому победителю.",
                "UZS 100 000 000 per winner.",
            ),
            today,
        )
    };
    let mvp_co_funding = ProgrammeInput {
        total_budget: "10000000000.00".to_owned(),
        min_amount: "10000000.00".to_owned(),
        max_amount: "500000000.00".to_owned(),
        min_term_months: 6,
        max_term_months: 18,
        co_funding_cap_percent: Some("50".to_owned()),
        eligibility: EligibilityDto {
            kyc_approval_required: true,
            it_park_residency_required: true,
            ..EligibilityDto::default()
        },
        ..base(
            "grant",
            text(
                "MVP ni birgalikda moliyalashtirish granti",
                "MVP ни биргаликда молиялаштириш гранти",
                "Грант на софинансирование MVP",
                "MVP co-funding grant",
            ),
            text(
                "MVP xarajatlarining 50% gacha.",
                "MVP харажатларининг 50% гача.",
                "До 50% стоимости MVP.",
                "Up to 50% of the MVP's cost.",
            ),
            today,
        )
    };
    let youth_loan = ProgrammeInput {
        total_budget: "200000000000.00".to_owned(),
        min_amount: "100000000.00".to_owned(),
        max_amount: "2500000000.00".to_owned(),
        min_term_months: 12,
        max_term_months: 60,
        annual_rate_min_percent: Some("14".to_owned()),
        annual_rate_max_percent: Some("16".to_owned()),
        repayment_method: Some("annuity".to_owned()),
        day_count: Some("30/360".to_owned()),
        interest_method: Some("declining_balance".to_owned()),
        max_grace_months: Some(6),
        penalty_rate_percent: Some("12".to_owned()),
        eligibility: EligibilityDto {
            kyc_approval_required: true,
            max_founder_age_years: Some(30),
            no_overdue_loan_required: true,
            ..EligibilityDto::default()
        },
        ..base(
            "loan",
            text(
                "Yoshlar tadbirkorligi krediti",
                "Ёшлар тадбиркорлиги кредити",
                "Кредит для молодёжного предпринимательства",
                "Youth entrepreneurship loan",
            ),
            text(
                "100 milliondan 2,5 milliard so'mgacha, 30 yoshgacha bo'lgan asoschilar uchun.",
                "100 миллиондан 2,5 миллиард сўмгача, 30 ёшгача бўлган асосчилар учун.",
                "От 100 миллионов до 2,5 миллиарда сумов для основателей до 30 лет.",
                "UZS 100 million to 2.5 billion, for founders up to 30.",
            ),
            today,
        )
    };
    let small_business_start = ProgrammeInput {
        total_budget: "50000000000.00".to_owned(),
        min_amount: "10000000.00".to_owned(),
        max_amount: "1000000000.00".to_owned(),
        min_term_months: 12,
        max_term_months: 36,
        annual_rate_min_percent: Some("25".to_owned()),
        annual_rate_max_percent: Some("27".to_owned()),
        repayment_method: Some("equal_principal".to_owned()),
        day_count: Some("30/360".to_owned()),
        interest_method: Some("declining_balance".to_owned()),
        max_grace_months: Some(6),
        penalty_rate_percent: Some("12".to_owned()),
        eligibility: EligibilityDto {
            kyc_approval_required: true,
            no_overdue_loan_required: true,
            ..EligibilityDto::default()
        },
        ..base(
            "loan",
            text("Kichik biznesni boshlash krediti", "Кичик бизнесни бошлаш кредити", "Кредит на старт малого бизнеса", "Small-business start loan"),
            text(
                "12–36 oy, asosiy qarz bo'yicha 6 oygacha imtiyozli davr, yillik 25–27%, differensial to'lov.",
                "12–36 ой, асосий қарз бўйича 6 ойгача имтиёзли давр, йиллик 25–27%, дифференциал тўлов.",
                "12–36 месяцев, льготный период по основному долгу до 6 месяцев, 25–27% годовых, дифференцированные платежи.",
                "12 to 36 months, up to 6 months' grace on principal, 25–27% a year, differentiated repayment.",
            ),
            today,
        )
    };
    vec![
        (INNOVATIVE_IDEA_GRANT_ID, innovative_idea),
        (MVP_CO_FUNDING_GRANT_ID, mvp_co_funding),
        (YOUTH_LOAN_ID, youth_loan),
        (SMALL_BUSINESS_START_LOAN_ID, small_business_start),
    ]
}

/// Inserts the demo programmes that are not there yet, open around the bank's today; running
/// it twice changes nothing.
pub async fn seed_demo(pool: &PgPool, calendar: &BankCalendar) -> Result<(), ApiError> {
    let now = calendar.now();
    for (id, input) in demo_programmes(calendar.day_of(now)) {
        let parsed = input.parse()?;
        let row = programme_row(id, &input, &parsed, SEED_ADMIN_ID, now)?;
        crate::db::programmes::insert(pool, &row).await?;
    }
    Ok(())
}
