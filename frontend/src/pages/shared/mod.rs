//! What every page shares, a layer below the pages: the layout and the menu, the visitor's
//! language, the CSRF token, the signed-in person, forms, uploads, downloads, and the friendly error
//! pages. Nothing here is a route; when two pages need the same thing, it moves here.

pub mod application_view;
pub mod client_names;
pub mod deposits;
pub mod documents;
pub mod download;
pub mod forms;
pub mod holdings;
pub mod kyc_case;
pub mod login;
pub mod menu;
pub mod quotes;
pub mod rates;
pub mod securities;
pub mod signed_in;
pub mod upload;

use std::convert::Infallible;

use askama::Template;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::clients::api::CallError;
use crate::clients::applications::ApplicationsCalls;
use crate::clients::onboarding::Person;
use crate::pages::shared::holdings::Holdings;
use crate::pages::shared::signed_in::{login_redirect, person_of, SignedIn};
use crate::web::cookies::{read_cookie, LANGUAGE_COOKIE};
use crate::web::i18n::{catalogues, Locale, Translator};
use crate::web::security::{is_page, same_site_path, CsrfToken};
use crate::AppState;

/// What a page needs to know about the request before it renders.
#[derive(Clone, Debug)]
pub struct PageContext {
    pub locale: Locale,
    csrf_token: String,
    return_to: String,
    person: Option<Person>,
    /// What a signed-in client holds, for the menu; everything for anyone else.
    holdings: Holdings,
    /// How many of a client's notifications are unread, for the menu; `None` for everyone
    /// else, and when the count could not be read.
    unread_notifications: Option<i64>,
}

impl PageContext {
    fn from_parts(parts: &Parts, csrf_token: Option<&CsrfToken>) -> PageContext {
        let locale = read_cookie(&parts.headers, LANGUAGE_COOKIE)
            .and_then(Locale::from_code)
            .unwrap_or(Locale::DEFAULT);
        let path = parts
            .uri
            .path_and_query()
            .map(|path| path.as_str())
            .unwrap_or("/");
        // After switching language the visitor comes back to what they were reading; after a
        // form post that is the form's page, which a GET shows afresh.
        PageContext {
            locale,
            csrf_token: csrf_token
                .or_else(|| parts.extensions.get::<CsrfToken>())
                .map(|token| token.as_str().to_owned())
                .unwrap_or_default(),
            return_to: same_site_path(path).to_owned(),
            person: None,
            holdings: Holdings::default(),
            unread_notifications: None,
        }
    }

    /// The context of a visitor who has not signed in, reading the start page: for the tests
    /// of a page's words.
    #[cfg(test)]
    pub fn anonymous(locale: Locale) -> PageContext {
        PageContext {
            locale,
            csrf_token: String::new(),
            return_to: "/".to_owned(),
            person: None,
            holdings: Holdings::default(),
            unread_notifications: None,
        }
    }

    /// The page has just opened an unread notification, which the count read before it still
    /// includes.
    pub fn notification_opened(&mut self) {
        if let Some(count) = self.unread_notifications.as_mut() {
            *count = (*count - 1).max(0);
        }
    }

    /// Who is signed in, if anyone.
    pub fn person(&self) -> Option<&Person> {
        self.person.as_ref()
    }

    pub fn translator(&self) -> Translator {
        Translator::new(self.locale)
    }

    /// The layout of a page in the given section of the menu.
    pub fn layout(&self, section: Section) -> Layout {
        Layout {
            lang: self.locale.code(),
            section,
            csrf_token: self.csrf_token.clone(),
            return_to: self.return_to.clone(),
            person: self.person.clone(),
            holdings: self.holdings,
            unread_notifications: self.unread_notifications,
            languages: Locale::ALL
                .into_iter()
                .map(|locale| LanguageChoice {
                    code: locale.code(),
                    name: catalogues().format(locale, "language-name", &[]),
                    current: locale == self.locale,
                })
                .collect(),
        }
    }
}

impl FromRequestParts<AppState> for PageContext {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut context = PageContext::from_parts(parts, None);
        context.person = person_of(&parts.headers, state).await;
        // Only a page a client reads (a GET) shows the menu that follows their holdings and
        // the unread count; a form post that answers with a redirect would ask in vain.
        if parts.method == Method::GET && context.person.as_ref().is_some_and(Person::is_client) {
            if let Ok(mut signed_in) = SignedIn::from_request_parts(parts, state).await {
                context.holdings = holdings::current(state, &mut signed_in).await;
                context.unread_notifications = unread_notifications(state, &mut signed_in).await;
            }
        }
        Ok(context)
    }
}

/// How many of the signed-in client's notifications are unread; `None` when the applications
/// service does not say (the menu then shows the entry without a count).
async fn unread_notifications(state: &AppState, signed_in: &mut SignedIn) -> Option<i64> {
    let token = signed_in.access_token(state, "applications").await.ok()?;
    let calls = ApplicationsCalls {
        api: &state.applications,
        token: &token,
    };
    match calls.unread_notifications().await {
        Ok(count) => Some(count),
        Err(error) => {
            tracing::info!(%error, "the unread notifications could not be counted");
            None
        }
    }
}

/// The menu entry a page belongs to, marked as current in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Home,
    Calculator,
    SignIn,
    Programmes,
    Applications,
    Reviews,
    Profile,
    Kyc,
    Accounts,
    Contracts,
    Arrears,
    Portfolio,
    /// The loan book, for the staff who lend, decide and account for the money.
    LoanBook,
    Payouts,
    /// Cash paid in at the counter, with four eyes: finance and admins.
    CashDeposits,
    /// The bank's exchange rates (four eyes) and FX position: finance and admins.
    Fx,
    /// A client's exchange between their own accounts.
    Exchange,
    /// A client's payment templates and standing orders.
    Payments,
    /// A client's term deposits.
    Deposits,
    /// A client paying the state and utilities.
    Bills,
    /// A client's payments to other banks.
    OtherBanks,
    /// The clearing's batches and incoming files: finance.
    Clearing,
    Admin,
    AdminProgrammes,
    /// The administrators' term deposit products.
    AdminDepositProducts,
    AdminAudit,
    /// The scorecards, for credit officers and administrators.
    Scorecards,
    /// The KYC officers' watch-list import.
    WatchList,
    /// The administrators' staff page.
    StaffAdmin,
    /// The signed-in person's password.
    Password,
    /// The founder's notifications.
    Inbox,
    /// The client search and client pages.
    Clients,
    /// The approver's proposals awaiting confirmation.
    Approvals,
    /// Error pages belong to no entry.
    None,
}

/// A language in the switcher, named in its own language.
#[derive(Clone, Debug)]
pub struct LanguageChoice {
    pub code: &'static str,
    pub name: String,
    pub current: bool,
}

/// What the base template needs.
#[derive(Clone, Debug)]
pub struct Layout {
    pub lang: &'static str,
    pub section: Section,
    pub csrf_token: String,
    pub return_to: String,
    pub person: Option<Person>,
    pub holdings: Holdings,
    pub unread_notifications: Option<i64>,
    pub languages: Vec<LanguageChoice>,
}

impl Layout {
    /// The menu entries the visitor may open, the current one marked.
    pub fn menu(&self) -> Vec<menu::MenuLink> {
        let mut links = menu::menu_for(self.person.as_ref(), self.holdings, self.section);
        for link in &mut links {
            if link.path == menu::INBOX_PATH {
                link.count = self.unread_notifications.filter(|count| *count > 0);
            }
        }
        links
    }

    /// Whether the page is the profile (the form page serves registration too).
    pub fn is_profile(&self) -> bool {
        self.section == Section::Profile
    }

    pub fn signed_in(&self) -> bool {
        self.person.is_some()
    }

    pub fn is_credit_staff(&self) -> bool {
        self.person.as_ref().is_some_and(Person::is_credit_staff)
    }

    /// The signed-in person's name in the page's script.
    pub fn person_name(&self) -> &str {
        let locale = Locale::from_code(self.lang).unwrap_or(Locale::DEFAULT);
        self.person
            .as_ref()
            .map(|person| person.name_in(locale))
            .unwrap_or_default()
    }
}

/// Renders a template; a template that fails to render is a defect, reported as a plain 500
/// because the friendly page is itself a template.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "a template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Imkon</title><p>Internal error.</p>"),
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Translator,
    layout: Layout,
    title_key: &'static str,
    text_key: &'static str,
}

/// The friendly page for an error status, in the visitor's language, saying nothing of why.
pub fn error_response(status: StatusCode, parts: &Parts, csrf_token: &CsrfToken) -> Response {
    error_page(status, &PageContext::from_parts(parts, Some(csrf_token)))
}

/// The 422 page for a form whose fields hold a control character no service would store.
pub fn control_character_response(parts: &Parts, csrf_token: &CsrfToken) -> Response {
    error_page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &PageContext::from_parts(parts, Some(csrf_token)),
        "error-control-character-title",
        "error-control-character-text",
    )
}

/// Marks a 403 as a page the visitor's role may not see, rather than a refused form post.
#[derive(Clone, Copy, Debug)]
pub struct WrongRole;

/// What a private page could not do, as the response the visitor gets.
#[derive(Debug)]
pub enum PageError {
    /// The sign-in is missing or has ended: back to the login page.
    SignIn {
        next: String,
    },
    NotFound,
    WrongRole,
    Unavailable,
}

impl PageError {
    /// What a failed call means for a page showing `next`.
    pub fn from_call(error: CallError, next: &str) -> PageError {
        match error {
            CallError::NotFound => PageError::NotFound,
            CallError::Unauthorized => PageError::SignIn {
                next: next.to_owned(),
            },
            CallError::Forbidden { .. } => PageError::WrongRole,
            CallError::Refused { .. } | CallError::Unavailable(_) => {
                tracing::warn!(%error, "a service call failed");
                PageError::Unavailable
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } => login_redirect(&next),
            PageError::NotFound => StatusCode::NOT_FOUND.into_response(),
            PageError::WrongRole => {
                let mut response = StatusCode::FORBIDDEN.into_response();
                response.extensions_mut().insert(WrongRole);
                response
            }
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }
}

/// The catalogue keys of the title and text of the page for an error status.
fn error_keys(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("error-page-not-found-title", "error-page-not-found-text"),
        StatusCode::FORBIDDEN => ("error-forbidden-title", "error-forbidden-text"),
        StatusCode::PAYLOAD_TOO_LARGE => ("error-too-large-title", "error-too-large-text"),
        status if status.is_server_error() => ("error-server-title", "error-server-text"),
        _ => ("error-bad-request-title", "error-bad-request-text"),
    }
}

fn error_page(status: StatusCode, context: &PageContext) -> Response {
    let (title_key, text_key) = error_keys(status);
    error_page_with(status, context, title_key, text_key)
}

fn error_page_with(
    status: StatusCode,
    context: &PageContext,
    title_key: &'static str,
    text_key: &'static str,
) -> Response {
    render(
        status,
        &ErrorPage {
            t: context.translator(),
            layout: context.layout(Section::None),
            title_key,
            text_key,
        },
    )
}

/// Replaces every error response that is not already a page of ours (axum's plain-text
/// rejections, an unmatched route, a wrong method) with the friendly page for its status, so
/// no internal message ever reaches a visitor.
pub async fn friendly_errors(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let context = PageContext::from_parts(&parts, None);
    let response = next.run(Request::from_parts(parts, body)).await;
    let status = response.status();
    if response.extensions().get::<WrongRole>().is_some() {
        error_page_with(status, &context, "error-role-title", "error-role-text")
    } else if (status.is_client_error() || status.is_server_error()) && !is_page(&response) {
        error_page(status, &context)
    } else {
        response
    }
}

/// Any path no route claims.
pub async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_page_has_its_words_in_every_language() {
        for status in [
            StatusCode::NOT_FOUND,
            StatusCode::FORBIDDEN,
            StatusCode::METHOD_NOT_ALLOWED,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
        ] {
            let (title_key, text_key) = error_keys(status);
            for locale in Locale::ALL {
                let ids = catalogues().message_ids(locale);
                assert!(
                    ids.contains(title_key) && ids.contains(text_key),
                    "{status}"
                );
            }
        }
        assert_eq!(error_keys(StatusCode::BAD_GATEWAY).0, "error-server-title");
    }

    #[test]
    fn a_founders_inbox_entry_counts_the_unread_until_one_is_opened() {
        let founder = Person {
            id: "p".to_owned(),
            roles: vec!["client".to_owned()],
            client_id: Some("c".to_owned()),
            name: "F".to_owned(),
            cyrillic_name: None,
        };
        let mut context = PageContext {
            locale: Locale::En,
            csrf_token: String::new(),
            return_to: "/".to_owned(),
            person: Some(founder),
            holdings: Holdings::default(),
            unread_notifications: Some(1),
        };
        let inbox_count = |context: &PageContext| {
            context
                .layout(Section::Home)
                .menu()
                .into_iter()
                .find(|link| link.path == menu::INBOX_PATH)
                .map(|link| link.count)
        };
        assert_eq!(inbox_count(&context), Some(Some(1)));
        let translator = context.translator();
        assert_eq!(
            translator.t_count("nav-inbox-unread", "count", &1i64),
            "Notifications (1 new)"
        );
        context.notification_opened();
        assert_eq!(inbox_count(&context), Some(None));
        context.notification_opened();
        assert_eq!(context.unread_notifications, Some(0));
    }

    #[test]
    fn the_switcher_names_each_language_in_itself_and_marks_the_current_one() {
        let context = PageContext {
            locale: Locale::Ru,
            csrf_token: "token".to_owned(),
            return_to: "/calculator".to_owned(),
            person: None,
            holdings: Holdings::default(),
            unread_notifications: None,
        };
        let layout = context.layout(Section::Calculator);
        let names: Vec<(&str, bool)> = layout
            .languages
            .iter()
            .map(|choice| (choice.name.as_str(), choice.current))
            .collect();
        assert_eq!(
            names,
            [
                ("Oʻzbekcha", false),
                ("Ўзбекча", false),
                ("Русский", true),
                ("English", false)
            ]
        );
    }
}
