//! Onboarding's identity endpoints: the frontend is onboarding's OAuth2 client. A login gives
//! a refresh token and the person's principal, both kept in the server-side session (see
//! `pages::shared::signed_in`), and the refresh token buys short-lived access tokens addressed
//! to one service each.

use std::net::IpAddr;

use reqwest::{header, Method, StatusCode};
use serde::Deserialize;

use imkon_platform::config::Secret;

use crate::clients::api::{send, send_json, CallError, FieldRefusal, ServiceApi};
use crate::web::i18n::Locale;
use crate::web::session::SessionData;
use crate::web::timing::send_timed;
use crate::web::visitor::VisitorAddress;

/// The OAuth2 client id onboarding knows the frontend by.
pub const CLIENT_ID: &str = "frontend";

/// The header in which the frontend names, to onboarding, the visitor a password login is for.
pub const CLIENT_ADDRESS_HEADER: &str = "x-imkon-client-address";

/// The session key of the refresh token.
pub const REFRESH_TOKEN: &str = "refresh_token";
const PERSON_ID: &str = "person.id";
const PERSON_ROLES: &str = "person.roles";
const PERSON_CLIENT_ID: &str = "person.client_id";
const PERSON_NAME: &str = "person.name";
const PERSON_CYRILLIC_NAME: &str = "person.cyrillic_name";

/// Who signed in, as onboarding described them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Person {
    pub id: String,
    pub roles: Vec<String>,
    pub client_id: Option<String>,
    pub name: String,
    /// The name in Cyrillic script, when the person's profile has one (a client's).
    #[serde(default)]
    pub cyrillic_name: Option<String>,
}

impl Person {
    /// The name in the script of `locale`: the Cyrillic one on uz-Cyrl and ru pages when the
    /// profile has it, else the Latin one.
    pub fn name_in(&self, locale: Locale) -> &str {
        match (&self.cyrillic_name, locale) {
            (Some(cyrillic), Locale::UzCyrl | Locale::Ru) => cyrillic,
            _ => &self.name,
        }
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|held| held == role)
    }

    /// Whether the person is a bank client: everyone who registered, founder or not.
    pub fn is_client(&self) -> bool {
        self.has_role("client")
    }

    /// Staff who work on applications: they see the queue rather than their own.
    pub fn is_credit_staff(&self) -> bool {
        self.has_role("credit_officer") || self.has_role("approver")
    }

    /// Staff who see contracts, tranches, arrears and the portfolio.
    pub fn is_portfolio_staff(&self) -> bool {
        ["credit_officer", "approver", "finance", "admin"]
            .iter()
            .any(|role| self.has_role(role))
    }

    /// Keeps the person in a session.
    pub fn store(&self, data: &mut SessionData) {
        data.insert(PERSON_ID, self.id.clone());
        data.insert(PERSON_ROLES, self.roles.join(","));
        match &self.client_id {
            Some(client_id) => data.insert(PERSON_CLIENT_ID, client_id.clone()),
            None => {
                data.remove(PERSON_CLIENT_ID);
            }
        }
        data.insert(PERSON_NAME, self.name.clone());
        match &self.cyrillic_name {
            Some(name) => data.insert(PERSON_CYRILLIC_NAME, name.clone()),
            None => {
                data.remove(PERSON_CYRILLIC_NAME);
            }
        }
    }

    /// The person a session was started for, if any.
    pub fn load(data: &SessionData) -> Option<Person> {
        Some(Person {
            id: data.get(PERSON_ID)?.to_owned(),
            roles: data
                .get(PERSON_ROLES)?
                .split(',')
                .filter(|role| !role.is_empty())
                .map(current_role_name)
                .collect(),
            client_id: data.get(PERSON_CLIENT_ID).map(str::to_owned),
            name: data.get(PERSON_NAME)?.to_owned(),
            cyrillic_name: data.get(PERSON_CYRILLIC_NAME).map(str::to_owned),
        })
    }
}

/// A stored role's name as it is today. Sessions live in the database across deploys, and one
/// kept from before the `founder` role was renamed `client` must still show its menu.
fn current_role_name(stored: &str) -> String {
    match stored {
        "founder" => "client".to_owned(),
        role => role.to_owned(),
    }
}

/// What a login or a code exchange answers.
#[derive(Clone, Debug, Deserialize)]
pub struct Login {
    pub refresh_token: String,
    pub refresh_expires_in: i64,
    pub principal: Person,
}

impl Login {
    /// Writes the sign-in into a session's data, forgetting tokens of an earlier one.
    pub fn store(&self, data: &mut SessionData) {
        *data = SessionData::default();
        data.insert(REFRESH_TOKEN, self.refresh_token.clone());
        self.principal.store(data);
    }
}

/// A new second factor to set up, as onboarding offers it at enrolment.
#[derive(Clone, Debug, Deserialize)]
pub struct Enrolment {
    /// The TOTP secret in base32, shown for typing into an authenticator.
    pub secret: String,
    /// The `otpauth://` URI the QR code carries.
    pub otpauth_uri: String,
}

/// The first factor passed, and onboarding wants a code before it hands out the token: staff
/// who decide or move money, and anyone who enrolled.
#[derive(Clone, Debug, Deserialize)]
pub struct SecondFactorChallenge {
    /// Kept in the server-side session only; it completes the login once.
    pub challenge: String,
    /// `enrol` or `verify`.
    pub step: String,
    #[serde(default)]
    pub enrolment: Option<Enrolment>,
}

/// The password was a one-time password an administrator issued: onboarding gives a
/// single-use ticket that only sets a new password (`step` is `change_password`).
#[derive(Clone, Debug, Deserialize)]
pub struct PasswordChange {
    /// Kept in the server-side session only; `POST /v1/password-resets/complete` uses it once.
    pub ticket: String,
}

/// What a first factor (password or external provider) leads to. Onboarding answers 202 for
/// both of the steps that need more from the visitor; they differ by their bodies (a
/// second-factor challenge has a `challenge`, a password change a `ticket`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum LoginStep {
    Done(Login),
    SecondFactor(SecondFactorChallenge),
    ChangePassword(PasswordChange),
}

/// A login completed with the second factor; at enrolment with the recovery codes, which
/// onboarding hands out this once.
#[derive(Clone, Debug, Deserialize)]
pub struct SecondFactorLogin {
    #[serde(flatten)]
    pub login: Login,
    #[serde(default)]
    pub recovery_codes: Vec<String>,
}

/// Why a second-factor code did not complete the login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecondFactorRefusal {
    /// Wrong, expired or already used: the visitor may try again.
    WrongCode,
    /// The challenge is used up, too old, or took too many wrong codes: sign in again.
    Expired,
    Locked {
        retry_after_seconds: u64,
    },
    Unavailable,
}

fn retry_after_seconds(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(60)
}

/// Why a password login did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginRefusal {
    InvalidCredentials,
    /// Too many failures: try again after this many seconds.
    Locked {
        retry_after_seconds: u64,
    },
    /// The fields were not even of the right shape.
    Invalid(Vec<FieldRefusal>),
    Unavailable,
}

/// An access token for one service and how many seconds it lasts.
#[derive(Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    pub expires_in: i64,
}

/// Whom a password login is for, as the frontend vouches for it to onboarding: the visitor's
/// address, believed there only beside the frontend's client credentials.
#[derive(Clone, Copy)]
pub struct VisitorClaim<'a> {
    pub address: IpAddr,
    pub client_secret: &'a Secret<String>,
}

impl<'a> VisitorClaim<'a> {
    /// The claim for `visitor`, when the frontend knows the visitor's address and has a client
    /// secret to prove the claim with; otherwise onboarding counts the attempt against the
    /// frontend's own address.
    pub fn of(
        client_secret: Option<&'a Secret<String>>,
        visitor: VisitorAddress,
    ) -> Option<VisitorClaim<'a>> {
        Some(VisitorClaim {
            address: visitor.0?,
            client_secret: client_secret?,
        })
    }
}

/// A client id or secret as HTTP Basic authentication carries it in OAuth2 (RFC 6749 section
/// 2.3.1): form-urlencoded before the two are joined.
fn form_encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Onboarding's identity endpoints.
#[derive(Clone, Debug)]
pub struct IdentityClient {
    api: ServiceApi,
}

impl IdentityClient {
    pub fn new(api: ServiceApi) -> IdentityClient {
        IdentityClient { api }
    }

    /// `POST /v1/auth/password`, for the visitor `visitor` names, so that onboarding throttles
    /// each visitor on their own rather than everyone behind the frontend together.
    pub async fn login_with_password(
        &self,
        username: &str,
        password: &str,
        visitor: Option<VisitorClaim<'_>>,
    ) -> Result<LoginStep, LoginRefusal> {
        let mut request = self
            .api
            .request(Method::POST, "/v1/auth/password")
            .json(&serde_json::json!({ "username": username, "password": password }));
        if let Some(visitor) = visitor {
            request = request
                .basic_auth(
                    form_encoded(CLIENT_ID),
                    Some(form_encoded(visitor.client_secret.expose())),
                )
                .header(CLIENT_ADDRESS_HEADER, visitor.address.to_string());
        }
        let response = send_timed(request).await.map_err(|error| {
            tracing::warn!(%error, "onboarding did not answer a login");
            LoginRefusal::Unavailable
        })?;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            return Err(LoginRefusal::Locked {
                retry_after_seconds: retry_after_seconds(&response),
            });
        }
        let status = response.status();
        if status.is_success() {
            return response.json().await.map_err(|_| LoginRefusal::Unavailable);
        }
        #[derive(Deserialize)]
        struct Refusal {
            #[serde(default)]
            errors: Vec<FieldRefusal>,
        }
        match status {
            StatusCode::UNAUTHORIZED => Err(LoginRefusal::InvalidCredentials),
            status if status.is_client_error() => {
                let refusal = response.json::<Refusal>().await.ok();
                Err(LoginRefusal::Invalid(
                    refusal.map(|refusal| refusal.errors).unwrap_or_default(),
                ))
            }
            _ => Err(LoginRefusal::Unavailable),
        }
    }

    /// `POST /v1/oauth/token` with the authorization-code grant of an external sign-in.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        client_secret: &Secret<String>,
    ) -> Result<LoginStep, CallError> {
        send_json(self.api.request(Method::POST, "/v1/oauth/token").form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", CLIENT_ID),
            ("client_secret", client_secret.expose()),
        ]))
        .await
    }

    /// `POST /v1/auth/second-factor`: completes a login with a TOTP or recovery code.
    pub async fn complete_second_factor(
        &self,
        challenge: &str,
        code: &str,
    ) -> Result<SecondFactorLogin, SecondFactorRefusal> {
        let response = send_timed(
            self.api
                .request(Method::POST, "/v1/auth/second-factor")
                .json(&serde_json::json!({ "challenge": challenge, "code": code })),
        )
        .await
        .map_err(|error| {
            tracing::warn!(%error, "onboarding did not answer a second factor");
            SecondFactorRefusal::Unavailable
        })?;
        let status = response.status();
        if status.is_success() {
            return response
                .json()
                .await
                .map_err(|_| SecondFactorRefusal::Unavailable);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(SecondFactorRefusal::Locked {
                retry_after_seconds: retry_after_seconds(&response),
            });
        }
        #[derive(Deserialize)]
        struct Refusal {
            #[serde(default)]
            code: String,
        }
        let refusal = response.json::<Refusal>().await.ok();
        match (status, refusal.map(|refusal| refusal.code).as_deref()) {
            (StatusCode::UNAUTHORIZED, Some("invalid_challenge")) => {
                Err(SecondFactorRefusal::Expired)
            }
            (status, _) if status.is_client_error() => Err(SecondFactorRefusal::WrongCode),
            _ => Err(SecondFactorRefusal::Unavailable),
        }
    }

    /// `POST /v1/oauth/token` with the refresh-token grant, for one service.
    pub async fn access_token(
        &self,
        refresh_token: &str,
        audience: &str,
    ) -> Result<TokenAnswer, CallError> {
        send_json(self.api.request(Method::POST, "/v1/oauth/token").form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("audience", audience),
        ]))
        .await
    }

    /// `POST /v1/me/password`: the signed-in person changes their own password; every other
    /// session of the account ends, the one holding `keep_refresh_token` stays.
    pub async fn change_own_password(
        &self,
        access_token: &str,
        old_password: &str,
        new_password: &str,
        keep_refresh_token: Option<&str>,
    ) -> Result<(), CallError> {
        send(
            self.api
                .authorized(Method::POST, "/v1/me/password", access_token)
                .json(&serde_json::json!({
                    "old_password": old_password,
                    "new_password": new_password,
                    "keep_refresh_token": keep_refresh_token,
                })),
        )
        .await
        .map(|_| ())
    }

    /// `POST /v1/password-resets`: asks for a reset link by email, in the page's language.
    /// Onboarding answers the same whether or not the address is a founder's.
    pub async fn request_password_reset(
        &self,
        email: &str,
        locale: Locale,
    ) -> Result<(), CallError> {
        send(
            self.api
                .request(Method::POST, "/v1/password-resets")
                .json(&serde_json::json!({ "email": email, "language": locale.code() })),
        )
        .await
        .map(|_| ())
    }

    /// `POST /v1/password-resets/complete`: sets a new password with a single-use ticket (a
    /// reset link's, or a sign-in's change step after a one-time password), and answers whose
    /// (their user id), so that the person's browser sessions can be ended too.
    pub async fn complete_password_reset(
        &self,
        ticket: &str,
        new_password: &str,
    ) -> Result<String, CallError> {
        #[derive(Deserialize)]
        struct PasswordSet {
            account_id: String,
        }
        let set: PasswordSet = send_json(
            self.api
                .request(Method::POST, "/v1/password-resets/complete")
                .json(&serde_json::json!({ "ticket": ticket, "new_password": new_password })),
        )
        .await?;
        Ok(set.account_id)
    }

    /// `POST /v1/auth/logout`: the refresh token stops working.
    pub async fn logout(&self, refresh_token: &str) -> Result<(), CallError> {
        send(
            self.api
                .request(Method::POST, "/v1/auth/logout")
                .json(&serde_json::json!({ "refresh_token": refresh_token })),
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_survives_the_session_and_a_new_login_forgets_old_tokens() {
        let person = Person {
            id: "p1".to_owned(),
            roles: vec!["credit_officer".to_owned(), "approver".to_owned()],
            client_id: None,
            name: "Officer".to_owned(),
            cyrillic_name: None,
        };
        let mut data = SessionData::default();
        data.insert("token.applications", "old");
        Login {
            refresh_token: "r".to_owned(),
            refresh_expires_in: 60,
            principal: person.clone(),
        }
        .store(&mut data);
        assert_eq!(Person::load(&data), Some(person.clone()));
        assert!(person.is_credit_staff() && !person.is_client());
        assert_eq!(data.get("token.applications"), None);
        assert_eq!(data.get(REFRESH_TOKEN), Some("r"));
    }

    #[test]
    fn the_two_accepted_answers_of_a_login_are_told_apart_by_their_bodies() {
        let challenge: LoginStep = serde_json::from_value(serde_json::json!({
            "challenge": "c", "step": "verify", "expires_in": 300
        }))
        .unwrap();
        assert!(matches!(challenge, LoginStep::SecondFactor(step) if step.step == "verify"));
        let change: LoginStep = serde_json::from_value(serde_json::json!({
            "step": "change_password", "ticket": "t", "expires_in": 600
        }))
        .unwrap();
        assert!(matches!(change, LoginStep::ChangePassword(change) if change.ticket == "t"));
        let unknown = serde_json::from_value::<LoginStep>(serde_json::json!({ "step": "other" }));
        assert!(unknown.is_err(), "an answer of neither kind is no step");
    }

    #[test]
    fn a_founder_is_named_in_the_script_of_the_page() {
        let founder = Person {
            id: "p2".to_owned(),
            roles: vec!["client".to_owned()],
            client_id: Some("c2".to_owned()),
            name: "Karimov Aziz Botirovich".to_owned(),
            cyrillic_name: Some("Каримов Азиз Ботирович".to_owned()),
        };
        let mut data = SessionData::default();
        founder.store(&mut data);
        let loaded = Person::load(&data).unwrap();
        assert_eq!(loaded, founder);
        let names: Vec<&str> = Locale::ALL
            .into_iter()
            .map(|locale| loaded.name_in(locale))
            .collect();
        assert_eq!(
            names,
            [
                "Karimov Aziz Botirovich",
                "Каримов Азиз Ботирович",
                "Каримов Азиз Ботирович",
                "Karimov Aziz Botirovich",
            ]
        );
        let latin_only = Person {
            cyrillic_name: None,
            ..founder
        };
        assert_eq!(
            latin_only.name_in(Locale::UzCyrl),
            "Karimov Aziz Botirovich"
        );
    }
}

/// A member of staff as onboarding's staff directory lists them, with their account's state.
#[derive(Clone, Debug, Deserialize)]
pub struct StaffAccount {
    pub id: String,
    pub username: Option<String>,
    pub display_name: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub locked_until: Option<String>,
    pub must_change_password: bool,
}

#[derive(Deserialize)]
struct StaffPage {
    items: Vec<StaffAccount>,
}

#[derive(Deserialize)]
struct OneTimePassword {
    password: String,
}

/// A new staff account: its login, name and first role.
#[derive(Debug, serde::Serialize)]
pub struct NewStaffAccount<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub display_name: &'a str,
    pub roles: [&'a str; 1],
}

/// An action on a staff account that takes no input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffAction {
    Disable,
    Enable,
    Unlock,
}

impl StaffAction {
    /// The action named in a page's address.
    pub fn parse(name: &str) -> Option<StaffAction> {
        match name {
            "disable" => Some(StaffAction::Disable),
            "enable" => Some(StaffAction::Enable),
            "unlock" => Some(StaffAction::Unlock),
            _ => None,
        }
    }

    fn path(self) -> &'static str {
        match self {
            StaffAction::Disable => "disable",
            StaffAction::Enable => "enable",
            StaffAction::Unlock => "unlock",
        }
    }
}

/// Onboarding's staff administration, called with an admin's access token.
pub struct StaffClient<'a> {
    pub api: &'a ServiceApi,
    pub token: &'a str,
}

impl StaffClient<'_> {
    /// The staff directory's first page (the service's page size), with each account's state.
    pub async fn list(&self) -> Result<Vec<StaffAccount>, CallError> {
        let page: StaffPage =
            send_json(self.api.authorized(Method::GET, "/v1/staff", self.token)).await?;
        Ok(page.items)
    }

    pub async fn create(&self, account: &NewStaffAccount<'_>) -> Result<(), CallError> {
        send(
            self.api
                .authorized(Method::POST, "/v1/staff", self.token)
                .json(account),
        )
        .await
        .map(drop)
    }

    /// Grants (`revoke` false) or revokes one role of account `id`.
    pub async fn change_role(&self, id: &str, role: &str, revoke: bool) -> Result<(), CallError> {
        let id = crate::clients::applications::path_segment(id)?;
        let suffix = if revoke { "roles/revoke" } else { "roles" };
        send(
            self.api
                .authorized(
                    Method::POST,
                    &format!("/v1/staff/{id}/{suffix}"),
                    self.token,
                )
                .json(&serde_json::json!({ "roles": [role] })),
        )
        .await
        .map(drop)
    }

    pub async fn act(&self, id: &str, action: StaffAction) -> Result<(), CallError> {
        let id = crate::clients::applications::path_segment(id)?;
        send(self.api.authorized(
            Method::POST,
            &format!("/v1/staff/{id}/{}", action.path()),
            self.token,
        ))
        .await
        .map(drop)
    }

    /// Issues a one-time password for account `id` and returns it (onboarding keeps only its
    /// hash, so this is the one time it can be shown).
    pub async fn issue_one_time_password(&self, id: &str) -> Result<String, CallError> {
        let id = crate::clients::applications::path_segment(id)?;
        let issued: OneTimePassword = send_json(self.api.authorized(
            Method::POST,
            &format!("/v1/staff/{id}/one-time-password"),
            self.token,
        ))
        .await?;
        Ok(issued.password)
    }
}

/// A name as a client's file gives it.
#[derive(Clone, Debug, Deserialize)]
pub struct FileName {
    pub full_name: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct FilePassport {
    pub number: String,
    pub issue_date: chrono::NaiveDate,
    pub expiry_date: chrono::NaiveDate,
    pub valid_today: bool,
}

/// A founder of a client's company: a client of the bank (named) or a PINFL only.
#[derive(Clone, Debug, Deserialize)]
pub struct FileFounder {
    pub client_id: Option<String>,
    pub full_name: Option<String>,
    pub pinfl: Option<String>,
    pub share_percent: String,
}

/// A company on a client's file.
#[derive(Clone, Debug, Deserialize)]
pub struct FileCompany {
    pub stir: String,
    pub name: String,
    pub kyc_status: String,
    pub founders: Vec<FileFounder>,
}

/// One step of the client's KYC history.
#[derive(Clone, Debug, Deserialize)]
pub struct FileKycEvent {
    pub action: String,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub status_after: Option<String>,
}

/// A document on a client's file: enough to list it and to know how a page may preview it.
#[derive(Clone, Debug, Deserialize)]
pub struct FileDocument {
    pub document_id: String,
    pub kind: String,
    pub original_file_name: Option<String>,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
    pub content_type: String,
}

/// A client's file (`GET /v1/staff/clients/{id}`): the KYC case sets its identity beside the
/// documents, the client page shows all of it.
#[derive(Clone, Debug, Deserialize)]
pub struct ClientFile {
    pub latin_name: FileName,
    pub cyrillic_name: Option<FileName>,
    pub birth_date: chrono::NaiveDate,
    pub pinfl: String,
    pub passport: FilePassport,
    pub phone: String,
    pub email: Option<String>,
    pub kyc_status: String,
    pub kyc_history: Vec<FileKycEvent>,
    pub companies: Vec<FileCompany>,
    pub documents: Vec<FileDocument>,
}

/// A client a staff search found.
#[derive(Clone, Debug, Deserialize)]
pub struct ClientSearchHit {
    pub client_id: String,
    pub latin_full_name: String,
    pub cyrillic_full_name: Option<String>,
    pub birth_date: chrono::NaiveDate,
    /// Masked as on the client's file.
    pub pinfl: String,
    pub kyc_status: String,
    pub company_names: Vec<String>,
}

/// One page of a staff search for clients.
#[derive(Clone, Debug, Deserialize)]
pub struct ClientSearchPage {
    pub page: u32,
    pub page_size: u32,
    pub total: i64,
    pub clients: Vec<ClientSearchHit>,
}

/// A person client's full name in both scripts, as the names lookup answers it.
#[derive(Clone, Debug, Deserialize)]
pub struct ClientName {
    pub client_id: String,
    pub latin_full_name: String,
    pub cyrillic_full_name: Option<String>,
}

#[derive(Deserialize)]
struct ClientNames {
    names: Vec<ClientName>,
}

/// The most ids onboarding names in one lookup.
pub const MAX_NAMED_CLIENTS: usize = 200;

/// Names the person clients among `client_ids` with one call per 200 ids; ids that name no one
/// are left out of the answer.
pub async fn client_names(
    api: &ServiceApi,
    token: &str,
    client_ids: &[String],
) -> Result<Vec<ClientName>, CallError> {
    let mut names = Vec::new();
    for chunk in client_ids.chunks(MAX_NAMED_CLIENTS) {
        let answer: ClientNames = send_json(
            api.authorized(Method::POST, "/v1/staff/clients/names", token)
                .json(&serde_json::json!({ "client_ids": chunk })),
        )
        .await?;
        names.extend(answer.names);
    }
    Ok(names)
}

/// Searches person clients by name, PINFL, passport, phone, company name or STIR.
pub async fn search_clients(
    api: &ServiceApi,
    token: &str,
    text: &str,
    page: u32,
    page_size: u32,
) -> Result<ClientSearchPage, CallError> {
    send_json(
        api.authorized(Method::GET, "/v1/staff/clients", token)
            .query(&[("q", text)])
            .query(&[("page", page), ("page_size", page_size)]),
    )
    .await
}

/// Reads a client's file as the staff member whose `token` this is; onboarding audits it.
pub async fn client_file(
    api: &ServiceApi,
    token: &str,
    client_id: &str,
) -> Result<ClientFile, CallError> {
    let segment = crate::clients::applications::path_segment(client_id)?;
    send_json(api.authorized(Method::GET, &format!("/v1/staff/clients/{segment}"), token)).await
}
