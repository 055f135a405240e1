//! Onboarding's identity endpoints: the frontend is onboarding's OAuth2 client. A login gives
//! a refresh token and the person's principal, both kept in the server-side session (see
//! `pages::shared::signed_in`), and the refresh token buys short-lived access tokens addressed
//! to one service each.

use std::net::IpAddr;

use reqwest::{header, Method, StatusCode};
use serde::Deserialize;

use imkon_platform::config::Secret;

use crate::clients::api::{send, send_json, CallError, FieldRefusal, ServiceApi};
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

/// Who signed in, as onboarding described them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Person {
    pub id: String,
    pub roles: Vec<String>,
    pub client_id: Option<String>,
    pub name: String,
}

impl Person {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|held| held == role)
    }

    pub fn is_founder(&self) -> bool {
        self.has_role("founder")
    }

    /// The page a sign-in lands on when it was not sent from another: the place where this
    /// person's work starts, one they are allowed to see (a KYC officer, finance or an
    /// administrator sent to the applications would meet a refusal).
    pub fn home_page(&self) -> &'static str {
        if self.is_founder() || self.is_credit_staff() {
            "/applications"
        } else if self.has_role("kyc_officer") {
            "/kyc/cases"
        } else if self.is_portfolio_staff() {
            "/portfolio"
        } else {
            "/"
        }
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
    }

    /// The person a session was started for, if any.
    pub fn load(data: &SessionData) -> Option<Person> {
        Some(Person {
            id: data.get(PERSON_ID)?.to_owned(),
            roles: data
                .get(PERSON_ROLES)?
                .split(',')
                .filter(|role| !role.is_empty())
                .map(str::to_owned)
                .collect(),
            client_id: data.get(PERSON_CLIENT_ID).map(str::to_owned),
            name: data.get(PERSON_NAME)?.to_owned(),
        })
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

/// What a first factor (password or external provider) leads to.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum LoginStep {
    Done(Login),
    SecondFactor(SecondFactorChallenge),
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
        assert!(person.is_credit_staff() && !person.is_founder());
        assert_eq!(data.get("token.applications"), None);
        assert_eq!(data.get(REFRESH_TOKEN), Some("r"));
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

/// The part of a client's file (`GET /v1/staff/clients/{id}`) that the KYC case sets beside
/// the documents.
#[derive(Clone, Debug, Deserialize)]
pub struct ClientFile {
    pub latin_name: FileName,
    pub cyrillic_name: Option<FileName>,
    pub birth_date: chrono::NaiveDate,
    pub pinfl: String,
    pub passport: FilePassport,
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
