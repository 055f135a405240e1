//! What the founder is told when their application changes state, their KYC is decided or
//! their loan needs them (a contract to sign, a tranche paid, an instalment due soon or
//! overdue), in each of the four languages. The notification row keeps the English text (the inbox and the audit read it);
//! the email is written from the row's kind in the founder's language when it is sent, because
//! only then does the sender learn the founder's language from onboarding.

use imkon_platform::language::Language;
use uuid::Uuid;

use super::state::State;

/// The stored kind of a state-change notification, such as `state:approved`.
pub fn state_kind(state: State) -> String {
    format!("state:{}", state.as_str())
}

/// The state a stored kind tells about; `None` for another kind or a row without one.
pub fn state_of_kind(kind: &str) -> Option<State> {
    kind.strip_prefix("state:").and_then(State::from_name)
}

/// The stored kind of a KYC decision notification: `kyc:approved` or `kyc:rejected`.
pub fn kyc_kind(approved: bool) -> &'static str {
    if approved {
        "kyc:approved"
    } else {
        "kyc:rejected"
    }
}

/// The stored kind of the notice that a loan's instalment is overdue.
pub const LOAN_OVERDUE_KIND: &str = "loan:overdue";

/// The stored kind of the notice that a contract awaits the founder's signature.
pub const CONTRACT_READY_TO_SIGN_KIND: &str = "contract:ready_to_sign";

/// The stored kind of the notice that a tranche was paid out.
pub const TRANCHE_PAID_KIND: &str = "tranche:paid";

/// The stored kind of the notice that a loan's instalment falls due in a few days.
pub const INSTALMENT_DUE_KIND: &str = "loan:instalment_due";

/// The stored kind of the notice that a contract nobody signed was cancelled.
pub const CONTRACT_CANCELLED_KIND: &str = "contract:cancelled";

/// A notice that the client's currency exchange was booked.
pub const MONEY_EXCHANGED_KIND: &str = "money:exchange";

/// A notice that the client's transfer to another account was booked.
pub const MONEY_SENT_KIND: &str = "money:transfer_sent";

/// A notice that money from another client reached the client's account.
pub const MONEY_RECEIVED_KIND: &str = "money:transfer_received";

/// A notice that a standing order's payment was skipped.
pub const STANDING_ORDER_SKIPPED_KIND: &str = "money:standing_order_skipped";

/// A notice that cash paid in at the bank's counter reached the client's account.
pub const CASH_DEPOSIT_KIND: &str = "money:cash_deposit";

/// A notice that the bank's staff posted another transfer on the client's account.
pub const BANK_POSTING_KIND: &str = "money:bank_posting";

/// A notice that a term deposit's money moved: placed, interest paid, returned.
pub const TERM_DEPOSIT_KIND: &str = "money:term_deposit";

/// A notice that an invoice of the state or a utility was paid from the client's account.
pub const BILL_PAYMENT_KIND: &str = "money:bill_payment";

/// A notice that a payment to another bank was settled or returned, or one from another bank
/// arrived.
pub const INTERBANK_PAYMENT_KIND: &str = "money:interbank_payment";

/// Every kind [`event_notice`] writes.
pub const EVENT_KINDS: [&str; 16] = [
    "kyc:approved",
    "kyc:rejected",
    LOAN_OVERDUE_KIND,
    CONTRACT_READY_TO_SIGN_KIND,
    TRANCHE_PAID_KIND,
    INSTALMENT_DUE_KIND,
    CONTRACT_CANCELLED_KIND,
    MONEY_EXCHANGED_KIND,
    MONEY_SENT_KIND,
    MONEY_RECEIVED_KIND,
    STANDING_ORDER_SKIPPED_KIND,
    CASH_DEPOSIT_KIND,
    BANK_POSTING_KIND,
    TERM_DEPOSIT_KIND,
    BILL_PAYMENT_KIND,
    INTERBANK_PAYMENT_KIND,
];

/// The subject and body of a notice about the founder rather than an application's state (a
/// KYC decision, news of their loan), from its stored kind; `None` for another kind.
///
/// The texts about a loan carry no date or amount: the row keeps only its kind, and the
/// contract's page, which each text points to, shows the figures in the reader's format.
pub fn event_notice(language: Language, kind: &str) -> Option<(String, String)> {
    let (subject, body) = match kind {
        "kyc:approved" => return Some(kyc_notice(language, true)),
        "kyc:rejected" => return Some(kyc_notice(language, false)),
        LOAN_OVERDUE_KIND => return Some(loan_overdue_notice(language)),
        CONTRACT_READY_TO_SIGN_KIND => contract_ready_notice(language),
        TRANCHE_PAID_KIND => tranche_paid_notice(language),
        INSTALMENT_DUE_KIND => instalment_due_notice(language),
        CONTRACT_CANCELLED_KIND => contract_cancelled_notice(language),
        MONEY_EXCHANGED_KIND => money_exchanged_notice(language),
        MONEY_SENT_KIND => money_sent_notice(language),
        MONEY_RECEIVED_KIND => money_received_notice(language),
        STANDING_ORDER_SKIPPED_KIND => standing_order_skipped_notice(language),
        CASH_DEPOSIT_KIND => cash_deposit_notice(language),
        BANK_POSTING_KIND => bank_posting_notice(language),
        TERM_DEPOSIT_KIND => term_deposit_notice(language),
        BILL_PAYMENT_KIND => bill_payment_notice(language),
        INTERBANK_PAYMENT_KIND => interbank_payment_notice(language),
        _ => return None,
    };
    Some((subject.to_owned(), body.to_owned()))
}

/// The subject and body telling the founder that their contract awaits their signature.
fn contract_ready_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: contract ready to sign",
            "Your financing contract is ready: read it and sign it on the contract's page.",
        ),
        Language::Ru => (
            "Imkon: договор готов к подписанию",
            "Ваш договор о финансировании готов: прочитайте и подпишите его на странице договора.",
        ),
        Language::UzLatn => (
            "Imkon: shartnoma imzolashga tayyor",
            "Moliyalashtirish shartnomangiz tayyor: uni shartnoma sahifasida oʻqib chiqing va imzolang.",
        ),
        Language::UzCyrl => (
            "Imkon: шартнома имзолашга тайёр",
            "Молиялаштириш шартномангиз тайёр: уни шартнома саҳифасида ўқиб чиқинг ва имзоланг.",
        ),
    }
}

/// The subject and body telling the founder that their unsigned contract was cancelled.
fn contract_cancelled_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: contract cancelled",
            "Your financing contract was cancelled before it was signed, so no money will be paid under it; the reason is on the contract's page.",
        ),
        Language::Ru => (
            "Imkon: договор отменён",
            "Ваш договор о финансировании отменён до подписания, выплат по нему не будет; причина указана на странице договора.",
        ),
        Language::UzLatn => (
            "Imkon: shartnoma bekor qilindi",
            "Moliyalashtirish shartnomangiz imzolanishidan oldin bekor qilindi, u boʻyicha toʻlov boʻlmaydi; sababi shartnoma sahifasida koʻrsatilgan.",
        ),
        Language::UzCyrl => (
            "Imkon: шартнома бекор қилинди",
            "Молиялаштириш шартномангиз имзоланишидан олдин бекор қилинди, у бўйича тўлов бўлмайди; сабаби шартнома саҳифасида кўрсатилган.",
        ),
    }
}

/// The subject and body telling the client that their currency exchange was booked. Like the
/// loan texts, it carries no amount: the statement shows the figures in the reader's format.
fn money_exchanged_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: currency exchanged",
            "Your currency exchange between your accounts has been booked; the amounts are in the accounts' statements.",
        ),
        Language::Ru => (
            "Imkon: валюта обменяна",
            "Обмен валюты между вашими счетами выполнен; суммы указаны в выписках по счетам.",
        ),
        Language::UzLatn => (
            "Imkon: valyuta ayirboshlandi",
            "Hisobvaraqlaringiz orasidagi valyuta ayirboshlash bajarildi; summalar hisobvaraqlar koʻchirmalarida koʻrsatilgan.",
        ),
        Language::UzCyrl => (
            "Imkon: валюта айирбошланди",
            "Ҳисобварақларингиз орасидаги валюта айирбошлаш бажарилди; суммалар ҳисобварақлар кўчирмаларида кўрсатилган.",
        ),
    }
}

/// The subject and body telling the client that their transfer was sent.
fn money_sent_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: money sent",
            "Your transfer has been booked; its amount is in your account's statement.",
        ),
        Language::Ru => (
            "Imkon: деньги отправлены",
            "Ваш перевод выполнен; его сумма указана в выписке по счёту.",
        ),
        Language::UzLatn => (
            "Imkon: pul joʻnatildi",
            "Oʻtkazmangiz bajarildi; uning summasi hisobvaraq koʻchirmasida koʻrsatilgan.",
        ),
        Language::UzCyrl => (
            "Imkon: пул жўнатилди",
            "Ўтказмангиз бажарилди; унинг суммаси ҳисобварақ кўчирмасида кўрсатилган.",
        ),
    }
}

/// The subject and body telling the client that another client's transfer reached them.
fn money_received_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: money received",
            "A transfer from another account has reached your account; its amount is in the account's statement.",
        ),
        Language::Ru => (
            "Imkon: поступили деньги",
            "На ваш счёт поступил перевод с другого счёта; его сумма указана в выписке по счёту.",
        ),
        Language::UzLatn => (
            "Imkon: pul tushdi",
            "Hisobvaraqingizga boshqa hisobvaraqdan oʻtkazma tushdi; uning summasi hisobvaraq koʻchirmasida koʻrsatilgan.",
        ),
        Language::UzCyrl => (
            "Imkon: пул тушди",
            "Ҳисобварақингизга бошқа ҳисобварақдан ўтказма тушди; унинг суммаси ҳисобварақ кўчирмасида кўрсатилган.",
        ),
    }
}

/// The subject and body telling the client that cash paid in at a counter is on their account.
fn cash_deposit_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: cash deposit booked",
            "The cash you paid in at the bank's counter is on your account; its amount is in the account's statement.",
        ),
        Language::Ru => (
            "Imkon: взнос наличных зачислен",
            "Наличные, внесённые вами в кассу банка, зачислены на ваш счёт; их сумма указана в выписке по счёту.",
        ),
        Language::UzLatn => (
            "Imkon: naqd pul hisobga oʻtkazildi",
            "Bank kassasiga topshirgan naqd pulingiz hisobvaraqingizga oʻtkazildi; uning summasi hisobvaraq koʻchirmasida koʻrsatilgan.",
        ),
        Language::UzCyrl => (
            "Imkon: нақд пул ҳисобга ўтказилди",
            "Банк кассасига топширган нақд пулингиз ҳисобварақингизга ўтказилди; унинг суммаси ҳисобварақ кўчирмасида кўрсатилган.",
        ),
    }
}

/// The subject and body telling the client that a payment to or from another bank moved.
fn interbank_payment_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: payment with another bank",
            "A payment you sent to another bank was settled or returned, or a payment from another bank reached your account. The payments page and the account's statement show it.",
        ),
        Language::Ru => (
            "Imkon: платёж с другим банком",
            "Ваш платёж в другой банк исполнен или возвращён, либо на ваш счёт поступил платёж из другого банка. Подробности — на странице платежей и в выписке по счёту.",
        ),
        Language::UzLatn => (
            "Imkon: boshqa bank bilan toʻlov",
            "Boshqa bankka yuborgan toʻlovingiz bajarildi yoki qaytarildi yoxud hisobvaraqingizga boshqa bankdan toʻlov tushdi. Tafsilotlar toʻlovlar sahifasida va hisobvaraq koʻchirmasida.",
        ),
        Language::UzCyrl => (
            "Imkon: бошқа банк билан тўлов",
            "Бошқа банкка юборган тўловингиз бажарилди ёки қайтарилди ёхуд ҳисобварақингизга бошқа банкдан тўлов тушди. Тафсилотлар тўловлар саҳифасида ва ҳисобварақ кўчирмасида.",
        ),
    }
}

/// The subject and body telling the client that an invoice was paid from their account.
fn bill_payment_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: invoice paid",
            "An invoice of the state or a utility was paid from your account and the payee confirmed it. The receipt is on the payments page.",
        ),
        Language::Ru => (
            "Imkon: счёт оплачен",
            "С вашего счёта оплачен счёт государственной или коммунальной службы, получатель подтвердил платёж. Квитанция — на странице платежей.",
        ),
        Language::UzLatn => (
            "Imkon: hisob toʻlandi",
            "Hisobvaraqingizdan davlat yoki kommunal xizmat hisobi toʻlandi, oluvchi toʻlovni tasdiqladi. Kvitansiya toʻlovlar sahifasida.",
        ),
        Language::UzCyrl => (
            "Imkon: ҳисоб тўланди",
            "Ҳисобварақингиздан давлат ёки коммунал хизмат ҳисоби тўланди, олувчи тўловни тасдиқлади. Квитанция тўловлар саҳифасида.",
        ),
    }
}

/// The subject and body telling the client that money moved on their term deposit.
fn term_deposit_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: your term deposit",
            "Money moved on your term deposit: it was placed, its interest was paid, or it was paid back to your current account. The deposit's page shows the figures.",
        ),
        Language::Ru => (
            "Imkon: ваш срочный вклад",
            "По вашему срочному вкладу прошла операция: вклад размещён, выплачены проценты или вклад возвращён на ваш текущий счёт. Суммы указаны на странице вклада.",
        ),
        Language::UzLatn => (
            "Imkon: muddatli omonatingiz",
            "Muddatli omonatingiz boʻyicha operatsiya oʻtkazildi: omonat joylashtirildi, foizlar toʻlandi yoki omonat joriy hisobvaraqingizga qaytarildi. Summalar omonat sahifasida koʻrsatilgan.",
        ),
        Language::UzCyrl => (
            "Imkon: муддатли омонатингиз",
            "Муддатли омонатингиз бўйича операция ўтказилди: омонат жойлаштирилди, фоизлар тўланди ёки омонат жорий ҳисобварақингизга қайтарилди. Суммалар омонат саҳифасида кўрсатилган.",
        ),
    }
}

/// The subject and body telling the client that the bank's staff posted a transfer on their
/// account.
fn bank_posting_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: the bank posted a transfer on your account",
            "Two members of the bank's staff posted a transfer on your account (such as a cash withdrawal or a correction); its amount is in the account's statement.",
        ),
        Language::Ru => (
            "Imkon: банк провёл операцию по вашему счёту",
            "Два сотрудника банка провели операцию по вашему счёту (например, выдачу наличных или исправление); её сумма указана в выписке по счёту.",
        ),
        Language::UzLatn => (
            "Imkon: bank hisobvaraqingiz boʻyicha operatsiya oʻtkazdi",
            "Bankning ikki xodimi hisobvaraqingiz boʻyicha operatsiya oʻtkazdi (masalan, naqd pul berish yoki tuzatish); uning summasi hisobvaraq koʻchirmasida koʻrsatilgan.",
        ),
        Language::UzCyrl => (
            "Imkon: банк ҳисобварақингиз бўйича операция ўтказди",
            "Банкнинг икки ходими ҳисобварақингиз бўйича операция ўтказди (масалан, нақд пул бериш ёки тузатиш); унинг суммаси ҳисобварақ кўчирмасида кўрсатилган.",
        ),
    }
}

/// The subject and body telling the client that a standing order's payment was skipped.
fn standing_order_skipped_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: standing order not paid",
            "A payment of your standing order was skipped this month because there was not enough money in the account, the account is closed or the daily limit was reached. Nothing was taken from your account.",
        ),
        Language::Ru => (
            "Imkon: постоянное поручение не исполнено",
            "Платёж по вашему постоянному поручению в этом месяце пропущен: на счёте не хватило денег, счёт закрыт или достигнут дневной лимит. С вашего счёта ничего не списано.",
        ),
        Language::UzLatn => (
            "Imkon: doimiy topshiriq bajarilmadi",
            "Doimiy topshirigʻingiz boʻyicha bu oygi toʻlov oʻtkazib yuborildi: hisobvaraqda pul yetmadi, hisobvaraq yopilgan yoki kunlik limitga yetildi. Hisobvaraqingizdan hech narsa yechilmadi.",
        ),
        Language::UzCyrl => (
            "Imkon: доимий топшириқ бажарилмади",
            "Доимий топшириғингиз бўйича бу ойги тўлов ўтказиб юборилди: ҳисобварақда пул етмади, ҳисобварақ ёпилган ёки кунлик лимитга етилди. Ҳисобварақингиздан ҳеч нарса ечилмади.",
        ),
    }
}

/// The subject and body telling the founder that a tranche of their financing was paid out.
fn tranche_paid_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: tranche paid out",
            "A tranche of your financing has been paid out; its amount is on the contract's page.",
        ),
        Language::Ru => (
            "Imkon: транш выплачен",
            "Транш по вашему финансированию выплачен; его сумма указана на странице договора.",
        ),
        Language::UzLatn => (
            "Imkon: transh toʻlandi",
            "Moliyalashtirishingiz boʻyicha transh toʻlandi; uning summasi shartnoma sahifasida koʻrsatilgan.",
        ),
        Language::UzCyrl => (
            "Imkon: транш тўланди",
            "Молиялаштиришингиз бўйича транш тўланди; унинг суммаси шартнома саҳифасида кўрсатилган.",
        ),
    }
}

/// The subject and body reminding the founder that an instalment of their loan falls due in
/// a few days.
fn instalment_due_notice(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::En => (
            "Imkon: instalment due soon",
            "An instalment of your loan falls due in a few days: please have it on your current account by then; the date and amount are on the contract's page.",
        ),
        Language::Ru => (
            "Imkon: скоро платёж по кредиту",
            "Через несколько дней наступает срок платежа по вашему кредиту: пополните к этому дню текущий счёт; дата и сумма указаны на странице договора.",
        ),
        Language::UzLatn => (
            "Imkon: kredit toʻlovi muddati yaqinlashmoqda",
            "Bir necha kundan soʻng kreditingiz boʻyicha toʻlov muddati keladi: shu kungacha joriy hisobingizni toʻldiring; sana va summa shartnoma sahifasida koʻrsatilgan.",
        ),
        Language::UzCyrl => (
            "Imkon: кредит тўлови муддати яқинлашмоқда",
            "Бир неча кундан сўнг кредитингиз бўйича тўлов муддати келади: шу кунгача жорий ҳисобингизни тўлдиринг; сана ва сумма шартнома саҳифасида кўрсатилган.",
        ),
    }
}

/// The subject and body telling the founder that an instalment of their loan is overdue.
fn loan_overdue_notice(language: Language) -> (String, String) {
    let (subject, body) = match language {
        Language::En => ("Imkon: instalment overdue", "An instalment of your loan is overdue: please pay it to stop the penalty from growing."),
        Language::Ru => ("Imkon: платёж просрочен", "Платёж по вашему кредиту просрочен: оплатите его, чтобы пеня не росла."),
        Language::UzLatn => ("Imkon: toʻlov muddati oʻtdi", "Kreditingiz boʻyicha toʻlov muddati oʻtdi: penya oshmasligi uchun uni toʻlang."),
        Language::UzCyrl => ("Imkon: тўлов муддати ўтди", "Кредитингиз бўйича тўлов муддати ўтди: пеня ошмаслиги учун уни тўланг."),
    };
    (subject.to_owned(), body.to_owned())
}

/// The subject and body telling the founder that the bank has approved (or not) their KYC.
fn kyc_notice(language: Language, approved: bool) -> (String, String) {
    let (subject, body) = match (language, approved) {
        (Language::En, true) => (
            "Imkon: identity check passed",
            "Your identity check is approved: you can apply for financing.",
        ),
        (Language::En, false) => (
            "Imkon: identity check not passed",
            "Your identity check is not approved; the reason is on your KYC page.",
        ),
        (Language::Ru, true) => (
            "Imkon: проверка личности пройдена",
            "Проверка вашей личности одобрена: вы можете подать заявку на финансирование.",
        ),
        (Language::Ru, false) => (
            "Imkon: проверка личности не пройдена",
            "Проверка вашей личности не одобрена; причина указана на странице KYC.",
        ),
        (Language::UzLatn, true) => (
            "Imkon: shaxsingiz tasdiqlandi",
            "Shaxsingizni tekshirish maʼqullandi: moliyalashtirishga ariza topshirishingiz mumkin.",
        ),
        (Language::UzLatn, false) => (
            "Imkon: shaxsingiz tasdiqlanmadi",
            "Shaxsingizni tekshirish maʼqullanmadi; sababi KYC sahifangizda.",
        ),
        (Language::UzCyrl, true) => (
            "Imkon: шахсингиз тасдиқланди",
            "Шахсингизни текшириш маъқулланди: молиялаштиришга ариза топширишингиз мумкин.",
        ),
        (Language::UzCyrl, false) => (
            "Imkon: шахсингиз тасдиқланмади",
            "Шахсингизни текшириш маъқулланмади; сабаби KYC саҳифангизда.",
        ),
    };
    (subject.to_owned(), body.to_owned())
}

/// The subject and the one-sentence body telling the founder that application `id` is now in
/// `state`.
pub fn state_notice(language: Language, id: Uuid, state: State) -> (String, String) {
    let (word, body) = match language {
        Language::En => (
            "Application",
            match state {
                State::Draft => "Your application is saved as a draft.",
                State::Submitted => "We have received your application.",
                State::Screening => "Your application is being screened.",
                State::InReview => "Your application is being reviewed.",
                State::InfoRequested => {
                    "We need more information: please answer the request on your application."
                }
                State::Decision => "A decision on your application is being made.",
                State::Approved => "Your application is approved.",
                State::Rejected => {
                    "Your application is not approved; the reasons are on its timeline."
                }
                State::Withdrawn => "Your application is withdrawn.",
                State::Cancelled => {
                    "Your application is cancelled: its contract was cancelled before it was signed."
                }
            },
        ),
        Language::Ru => (
            "Заявка",
            match state {
                State::Draft => "Ваша заявка сохранена как черновик.",
                State::Submitted => "Мы получили вашу заявку.",
                State::Screening => "Ваша заявка проходит проверку.",
                State::InReview => "Ваша заявка рассматривается.",
                State::InfoRequested => {
                    "Нам нужны дополнительные сведения: ответьте, пожалуйста, на запрос в заявке."
                }
                State::Decision => "По вашей заявке принимается решение.",
                State::Approved => "Ваша заявка одобрена.",
                State::Rejected => "Ваша заявка не одобрена; причины указаны в её истории.",
                State::Withdrawn => "Ваша заявка отозвана.",
                State::Cancelled => "Ваша заявка аннулирована: её договор отменён до подписания.",
            },
        ),
        Language::UzLatn => (
            "Ariza",
            match state {
                State::Draft => "Arizangiz qoralama sifatida saqlandi.",
                State::Submitted => "Arizangizni qabul qildik.",
                State::Screening => "Arizangiz tekshirilmoqda.",
                State::InReview => "Arizangiz koʻrib chiqilmoqda.",
                State::InfoRequested => {
                    "Qoʻshimcha maʼlumot kerak: iltimos, arizangizdagi soʻrovga javob bering."
                }
                State::Decision => "Arizangiz boʻyicha qaror qabul qilinmoqda.",
                State::Approved => "Arizangiz maʼqullandi.",
                State::Rejected => "Arizangiz maʼqullanmadi; sabablari uning tarixida.",
                State::Withdrawn => "Arizangiz qaytarib olindi.",
                State::Cancelled => {
                    "Arizangiz bekor qilindi: uning shartnomasi imzolanishidan oldin bekor qilingan."
                }
            },
        ),
        Language::UzCyrl => (
            "Ариза",
            match state {
                State::Draft => "Аризангиз қоралама сифатида сақланди.",
                State::Submitted => "Аризангизни қабул қилдик.",
                State::Screening => "Аризангиз текширилмоқда.",
                State::InReview => "Аризангиз кўриб чиқилмоқда.",
                State::InfoRequested => {
                    "Қўшимча маълумот керак: илтимос, аризангиздаги сўровга жавоб беринг."
                }
                State::Decision => "Аризангиз бўйича қарор қабул қилинмоқда.",
                State::Approved => "Аризангиз маъқулланди.",
                State::Rejected => "Аризангиз маъқулланмади; сабаблари унинг тарихида.",
                State::Withdrawn => "Аризангиз қайтариб олинди.",
                State::Cancelled => {
                    "Аризангиз бекор қилинди: унинг шартномаси имзоланишидан олдин бекор қилинган."
                }
            },
        ),
    };
    // The English subject keeps the state's stored name, as the inbox has always shown it;
    // the other languages name the state through the body's sentence instead.
    let subject = match language {
        Language::En => format!("{word} {id}: {}", state.as_str()),
        _ => format!("Imkon: {word} {id}"),
    };
    (subject, body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_names_its_state_and_nothing_else_is_a_state_kind() {
        for state in State::ALL {
            assert_eq!(state_of_kind(&state_kind(state)), Some(state));
        }
        assert_eq!(state_of_kind("state:paid"), None);
        assert_eq!(state_of_kind("approved"), None);
    }

    #[test]
    fn every_event_kind_has_its_own_subject_and_sentence_in_every_language() {
        for language in Language::ALL {
            let notices: Vec<(String, String)> = EVENT_KINDS
                .into_iter()
                .map(|kind| event_notice(language, kind).expect("a kind the notices know"))
                .collect();
            for (index, (subject, body)) in notices.iter().enumerate() {
                for (other_subject, other_body) in &notices[index + 1..] {
                    assert_ne!(subject, other_subject, "{language:?}");
                    assert_ne!(body, other_body, "{language:?}");
                }
            }
        }
        for kind in EVENT_KINDS {
            let bodies: Vec<String> = Language::ALL
                .into_iter()
                .filter_map(|language| event_notice(language, kind).map(|notice| notice.1))
                .collect();
            for (index, body) in bodies.iter().enumerate() {
                assert!(!bodies[index + 1..].contains(body), "{kind}: {body}");
            }
        }
        assert_eq!(event_notice(Language::En, "state:approved"), None);
    }

    #[test]
    fn every_language_has_its_own_sentence_for_every_state() {
        let id = Uuid::nil();
        for state in State::ALL {
            let bodies: Vec<String> = Language::ALL
                .into_iter()
                .map(|language| state_notice(language, id, state).1)
                .collect();
            for (index, body) in bodies.iter().enumerate() {
                assert!(!bodies[index + 1..].contains(body), "{state:?}: {body}");
            }
        }
    }
}
