//! DEVELOPMENT ONLY: a tiny OneID-compatible identity provider with demo citizens.
//!
//! ┌──────────────────────────────────────────────────────────────────────────────────────┐
//! │ NEVER ENABLE IN PRODUCTION. Anyone who reaches it can log in as any demo citizen by   │
//! │ clicking a button: there is no password. It exists so that a newcomer running         │
//! │ `imkon up` can try the external login path without the internet or a OneID contract, │
//! │ and so that the tests have a OneID-compatible provider to log in against.             │
//! └──────────────────────────────────────────────────────────────────────────────────────┘
//!
//! It is mounted under `/dev-idp/` only when the setting `dev_identity_provider` is true
//! (which `imkon up` sets and production configuration never does), and onboarding logs a
//! warning at start when it is. It speaks OneID's dialect: `GET /dev-idp/authorize` with
//! `response_type=one_code` shows a page to pick a citizen and allow or deny;
//! `POST /dev-idp/token` takes `grant_type=one_authorization_code` (code → access token) and
//! `grant_type=one_access_token_identify` (access token → the person, OneID's field names).
//! Codes are one-time and live a minute; everything is kept in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::NaiveDate;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::pinfl::{Pinfl, Sex};
use crate::identity_providers::{OneIdLegalEntity, OneIdPerson};

/// How long a code of the development provider lives.
const CODE_LIFETIME: Duration = Duration::from_secs(60);

/// The provider: its one client registration, its citizens, and the codes and access tokens
/// it has handed out.
pub struct DevIdentityProvider {
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    citizens: Vec<OneIdPerson>,
    grants: Mutex<Grants>,
}

#[derive(Default)]
struct Grants {
    /// Code → the citizen's index and when the code stops working.
    codes: HashMap<String, (usize, Instant)>,
    /// Access token → the citizen's index.
    access_tokens: HashMap<String, usize>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

struct DemoCitizen {
    surname: &'static str,
    given_name: &'static str,
    patronymic: &'static str,
    sex: Sex,
    birth_date: (i32, u32, u32),
    pinfl_serial: u32,
    passport_number: &'static str,
    phone: &'static str,
    email: &'static str,
    address: &'static str,
    companies: &'static [(&'static str, &'static str)],
}

/// Two new citizens, whose first login creates their profile, and the demo data's founder1,
/// whose login (with demo data loaded) finds his existing profile by PINFL.
const DEMO_CITIZENS: [DemoCitizen; 3] = [
    DemoCitizen {
        surname: "Qodirova",
        given_name: "Nodira",
        patronymic: "Akmalovna",
        sex: Sex::Female,
        birth_date: (1992, 4, 15),
        pinfl_serial: 501,
        passport_number: "AD7654321",
        phone: "998901112233",
        email: "nodira.qodirova@example.uz",
        address: "Toshkent shahri, Yunusobod tumani, Amir Temur ko'chasi 108",
        companies: &[],
    },
    DemoCitizen {
        surname: "Abdullayev",
        given_name: "Timur",
        patronymic: "Rustamovich",
        sex: Sex::Male,
        birth_date: (1988, 11, 2),
        pinfl_serial: 502,
        passport_number: "AE2233445",
        phone: "998935556677",
        email: "timur.abdullayev@example.uz",
        address: "Samarqand viloyati, Samarqand shahri, Registon ko'chasi 5",
        companies: &[("301234567", "Timur Soft MChJ")],
    },
    DemoCitizen {
        surname: "Karimov",
        given_name: "Aziz",
        patronymic: "Botirovich",
        sex: Sex::Male,
        birth_date: (1990, 5, 15),
        pinfl_serial: 101,
        passport_number: "AA0000101",
        phone: "998901000101",
        email: "founder1@demo.imkon.uz",
        address: "Toshkent shahri, Chilonzor tumani, Bunyodkor ko'chasi 1",
        companies: &[("301000101", "Aziz Soft")],
    },
];

/// A demo citizen as OneID describes them. Their passports were issued five years before the
/// day the provider starts (by the system clock: this provider only ever runs on a developer's
/// machine) and expire five years after it, so the demo works in whichever year it is run.
fn demo_person(citizen: &DemoCitizen) -> OneIdPerson {
    let today = imkon_platform::calendar::BankCalendar::default().today();
    let five_years = chrono::Months::new(5 * 12);
    let issued = today
        .checked_sub_months(five_years)
        .expect("five years before today is a date");
    let expires = today
        .checked_add_months(five_years)
        .expect("five years after today is a date");
    let (year, month, day) = citizen.birth_date;
    let birth_date = NaiveDate::from_ymd_opt(year, month, day)
        .expect("the demo citizens' birth dates are real dates");
    let pinfl = Pinfl::compose(birth_date, citizen.sex, citizen.pinfl_serial)
        .expect("the demo citizens' birth years and serials are in the PINFL's range");
    OneIdPerson {
        pin: pinfl.as_str().to_owned(),
        pport_no: citizen.passport_number.to_owned(),
        pport_issue_date: Some(issued.to_string()),
        pport_expr_date: Some(expires.to_string()),
        sur_name: citizen.surname.to_owned(),
        first_name: citizen.given_name.to_owned(),
        mid_name: Some(citizen.patronymic.to_owned()),
        birth_date: birth_date.to_string(),
        mob_phone_no: Some(citizen.phone.to_owned()),
        email: Some(citizen.email.to_owned()),
        per_adr: Some(citizen.address.to_owned()),
        user_type: Some(
            if citizen.companies.is_empty() {
                "I"
            } else {
                "L"
            }
            .to_owned(),
        ),
        legal_info: citizen
            .companies
            .iter()
            .map(|(tin, name)| OneIdLegalEntity {
                le_tin: Some((*tin).to_owned()),
                le_name: Some((*name).to_owned()),
            })
            .collect(),
    }
}

impl DevIdentityProvider {
    /// A provider with the demo citizens, for one client that must come back to
    /// `redirect_uri` exactly.
    pub fn new(client_id: &str, client_secret: &str, redirect_uri: &str) -> DevIdentityProvider {
        DevIdentityProvider {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            citizens: DEMO_CITIZENS.iter().map(demo_person).collect(),
            grants: Mutex::new(Grants::default()),
        }
    }

    /// The demo citizens, as the identify call returns them.
    pub fn citizens(&self) -> &[OneIdPerson] {
        &self.citizens
    }

    fn grants(&self) -> MutexGuard<'_, Grants> {
        // A panic while holding the lock leaves only maps of strings behind, still coherent.
        self.grants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The provider's routes, under `/dev-idp/`.
pub fn router(provider: Arc<DevIdentityProvider>) -> Router {
    Router::new()
        .route("/dev-idp/authorize", get(show_consent).post(decide_consent))
        .route("/dev-idp/token", axum::routing::post(token))
        .with_state(provider)
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
}

fn bad_request(message: &'static str) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn show_consent(
    State(provider): State<Arc<DevIdentityProvider>>,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    if query.response_type.as_deref() != Some("one_code") {
        return bad_request("response_type must be one_code");
    }
    if query.client_id.as_deref() != Some(provider.client_id.as_str())
        || query.redirect_uri.as_deref() != Some(provider.redirect_uri.as_str())
    {
        return bad_request("unknown client or redirect_uri");
    }
    let state = escape_html(query.state.as_deref().unwrap_or_default());
    let choices: String = provider
        .citizens
        .iter()
        .enumerate()
        .map(|(index, person)| {
            format!(
                "<p><label><input type=\"radio\" name=\"citizen\" value=\"{index}\"{checked}> \
                 {surname} {given_name} (PINFL {pin})</label></p>",
                checked = if index == 0 { " checked" } else { "" },
                surname = escape_html(&person.sur_name),
                given_name = escape_html(&person.first_name),
                pin = escape_html(&person.pin),
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Development identity provider</title></head><body>\
         <h1>Development identity provider: not OneID</h1>\
         <p><strong>For development only. No password is asked.</strong></p>\
         <form method=\"post\" action=\"/dev-idp/authorize\">\
         <input type=\"hidden\" name=\"state\" value=\"{state}\">{choices}\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button> \
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         </form></body></html>"
    ))
    .into_response()
}

#[derive(Deserialize)]
struct ConsentForm {
    citizen: Option<usize>,
    decision: String,
    state: String,
}

fn redirect_back(provider: &DevIdentityProvider, pairs: &[(&str, &str)]) -> Response {
    match url::Url::parse_with_params(&provider.redirect_uri, pairs) {
        Ok(location) => (
            StatusCode::FOUND,
            [(header::LOCATION, location.as_str().to_owned())],
        )
            .into_response(),
        Err(_) => bad_request("the registered redirect_uri is not a URL"),
    }
}

async fn decide_consent(
    State(provider): State<Arc<DevIdentityProvider>>,
    Form(form): Form<ConsentForm>,
) -> Response {
    if form.decision != "allow" {
        return redirect_back(
            &provider,
            &[("error", "access_denied"), ("state", &form.state)],
        );
    }
    let Some(citizen) = form
        .citizen
        .filter(|index| *index < provider.citizens.len())
    else {
        return bad_request("pick one of the citizens");
    };
    let code = random_token();
    provider
        .grants()
        .codes
        .insert(code.clone(), (citizen, Instant::now() + CODE_LIFETIME));
    redirect_back(&provider, &[("code", &code), ("state", &form.state)])
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    client_id: String,
    client_secret: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    access_token: Option<String>,
}

/// Whether a presented secret is the expected one, compared as SHA-256 digests in constant
/// time: equal-length inputs, so timing reveals neither the length nor a matching prefix.
fn secrets_match(presented: &str, expected: &str) -> bool {
    let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    let expected: [u8; 32] = Sha256::digest(expected.as_bytes()).into();
    presented.ct_eq(&expected).into()
}

fn token_error(status: StatusCode, code: &'static str) -> Response {
    (status, Json(serde_json::json!({ "error": code }))).into_response()
}

async fn token(
    State(provider): State<Arc<DevIdentityProvider>>,
    Form(form): Form<TokenForm>,
) -> Response {
    if form.client_id != provider.client_id
        || !secrets_match(&form.client_secret, &provider.client_secret)
    {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    match form.grant_type.as_str() {
        "one_authorization_code" => {
            if form.redirect_uri.as_deref() != Some(provider.redirect_uri.as_str()) {
                return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            let mut grants = provider.grants();
            let granted = form
                .code
                .as_deref()
                .and_then(|code| grants.codes.remove(code))
                .filter(|(_, expires_at)| Instant::now() < *expires_at);
            let Some((citizen, _)) = granted else {
                return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            let access_token = random_token();
            grants.access_tokens.insert(access_token.clone(), citizen);
            Json(serde_json::json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "dev",
            }))
            .into_response()
        }
        "one_access_token_identify" => {
            let citizen = form
                .access_token
                .as_deref()
                .and_then(|token| provider.grants().access_tokens.get(token).copied());
            match citizen.and_then(|index| provider.citizens.get(index)) {
                Some(person) => Json(person.clone()).into_response(),
                None => token_error(StatusCode::BAD_REQUEST, "invalid_token"),
            }
        }
        _ => token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_secret_matches() {
        assert!(secrets_match("dev-secret", "dev-secret"));
        assert!(!secrets_match("dev-secre", "dev-secret"));
        assert!(!secrets_match("dev-secret-", "dev-secret"));
        assert!(!secrets_match("", "dev-secret"));
    }
}
