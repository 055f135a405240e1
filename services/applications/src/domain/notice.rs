//! What the founder is told when their application changes state, in each of the four
//! languages. The notification row keeps the English text (the inbox and the audit read it);
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

/// The subject and body of a notice about the founder rather than an application's state (a
/// KYC decision, an overdue instalment), from its stored kind; `None` for another kind.
pub fn event_notice(language: Language, kind: &str) -> Option<(String, String)> {
    match kind {
        "kyc:approved" => Some(kyc_notice(language, true)),
        "kyc:rejected" => Some(kyc_notice(language, false)),
        LOAN_OVERDUE_KIND => Some(loan_overdue_notice(language)),
        _ => None,
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
