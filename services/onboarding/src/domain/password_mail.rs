//! The password reset email, in the founder's language.
//!
//! The message is written in the language the founder asked in (the page's language, which
//! the frontend sends with the request): the address alone does not say whose preference to
//! read, and the one asking reads the page in that language now.

use imkon_platform::mail::{html_escape, Email};

/// The four languages of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    UzLatn,
    UzCyrl,
    Ru,
    En,
}

impl Language {
    /// Parses a language tag; `None` for anything but the platform's four.
    pub fn parse(tag: &str) -> Option<Language> {
        match tag {
            "uz-Latn" => Some(Language::UzLatn),
            "uz-Cyrl" => Some(Language::UzCyrl),
            "ru" => Some(Language::Ru),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

/// The reset email to `to` with the single-use `link`, valid for `minutes` minutes.
pub fn reset_email(language: Language, to: &str, link: &str, minutes: i64) -> Email {
    let (subject, greeting, body, ignore) = match language {
        Language::UzLatn => (
            "Imkon: yangi parol o‘rnatish",
            "Assalomu alaykum!",
            format!("Yangi parol o‘rnatish uchun quyidagi havolani oching. Havola bir marta ishlaydi va {minutes} daqiqa amal qiladi:"),
            "Agar buni siz so‘ramagan bo‘lsangiz, ushbu xatni e’tiborsiz qoldiring: parolingiz o‘zgarmaydi.",
        ),
        Language::UzCyrl => (
            "Imkon: янги парол ўрнатиш",
            "Ассалому алайкум!",
            format!("Янги парол ўрнатиш учун қуйидаги ҳаволани очинг. Ҳавола бир марта ишлайди ва {minutes} дақиқа амал қилади:"),
            "Агар буни сиз сўрамаган бўлсангиз, ушбу хатни эътиборсиз қолдиринг: паролингиз ўзгармайди.",
        ),
        Language::Ru => (
            "Imkon: установка нового пароля",
            "Здравствуйте!",
            format!("Чтобы установить новый пароль, откройте ссылку ниже. Ссылка действует один раз и {minutes} минут:"),
            "Если вы этого не запрашивали, не обращайте внимания на это письмо: пароль не изменится.",
        ),
        Language::En => (
            "Imkon: set a new password",
            "Hello,",
            format!("To set a new password, open the link below. It works once and for {minutes} minutes:"),
            "If you did not ask for this, ignore this email: your password stays as it is.",
        ),
    };
    Email {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text_body: format!("{greeting}\n\n{body}\n\n{link}\n\n{ignore}\n"),
        html_body: format!(
            "<p>{}</p><p>{}</p><p><a href=\"{link_html}\">{link_html}</a></p><p>{}</p>",
            html_escape(greeting),
            html_escape(&body),
            html_escape(ignore),
            link_html = html_escape(link),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_email_is_in_the_asked_language_with_the_link_in_both_parts() {
        let link = "https://imkon.example/password/reset?token=abc&x=1";
        let email = reset_email(Language::Ru, "a@example.uz", link, 30);
        assert_eq!(email.subject, "Imkon: установка нового пароля");
        assert!(email.text_body.contains(link) && email.text_body.contains("30 минут"));
        assert!(email
            .html_body
            .contains("https://imkon.example/password/reset?token=abc&amp;x=1"));
        let cyrillic = reset_email(Language::UzCyrl, "a@example.uz", link, 30);
        assert!(cyrillic.text_body.contains("дақиқа"));
        assert_eq!(Language::parse("uz-Cyrl"), Some(Language::UzCyrl));
        assert_eq!(Language::parse("de"), None);
    }
}
