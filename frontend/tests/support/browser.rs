//! A test browser: it keeps the cookies a real one would (session, CSRF token, language),
//! follows no redirects, and sends the CSRF token with every form, as the pages' forms do.

use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{redirect, Response, StatusCode};

/// Remembers the cookies a browser would: the session, the CSRF token, the language.
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    cookies: Vec<(String, String)>,
}

impl Browser {
    pub fn speaking(language: &str) -> Browser {
        Browser::speaking_with(language, reqwest::Client::builder())
    }

    /// A browser whose HTTP client is built from `builder` (its own source address, default
    /// headers), which never follows redirects.
    pub fn speaking_with(language: &str, builder: reqwest::ClientBuilder) -> Browser {
        Browser {
            client: builder.redirect(redirect::Policy::none()).build().unwrap(),
            cookies: vec![("__Host-imkon_lang".to_owned(), language.to_owned())],
        }
    }

    /// A browser on its own machine: its connections come from `address`, a loopback address
    /// such as 127.0.0.2 that Linux accepts as a source for connections to 127.0.0.1.
    pub fn speaking_from(language: &str, address: [u8; 4]) -> Browser {
        Browser::speaking_with(
            language,
            reqwest::Client::builder().local_address(std::net::IpAddr::from(address)),
        )
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(held, _)| held == name)
            .map(|(_, value)| value.as_str())
    }

    /// A CSV file sent through the upload form at `url`, the CSRF token first as the page puts
    /// it (the session's CSRF cookie, as the page's hidden field holds it).
    pub fn csv_upload(&self, url: &str, csv: &str) -> reqwest::RequestBuilder {
        let token = self.cookie("__Host-imkon_csrf").unwrap_or_default();
        let body = format!(
            "--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
             --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{csv}\r\n--b--\r\n"
        );
        self.client
            .post(url)
            .header("cookie", self.cookie_header())
            .header("content-type", "multipart/form-data; boundary=b")
            .body(body)
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn remember(&mut self, response: &Response) {
        for line in response.headers().get_all(SET_COOKIE) {
            let line = line.to_str().unwrap();
            let (name, value) = line.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.retain(|(held, _)| held != name);
            if !line.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub async fn get(&mut self, url: &str) -> Response {
        let response = self
            .client
            .get(url)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.remember(&response);
        response
    }

    pub async fn post(&mut self, url: &str, fields: &[(&str, &str)]) -> Response {
        let token = self
            .cookie("__Host-imkon_csrf")
            .unwrap_or_default()
            .to_owned();
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &token));
        let response = self
            .client
            .post(url)
            .header("cookie", self.cookie_header())
            .form(&fields)
            .send()
            .await
            .unwrap();
        self.remember(&response);
        response
    }

    /// Signs in at the frontend whose base URL is `site` with the login page's `fields`
    /// (username, password, next) and, when the sign-in asks for a second factor, the code
    /// the authenticator of the account shows: the secret the enrolment page offers, or the
    /// demo secret of the username (`imkon_onboarding::testing` reads `onboarding`'s database
    /// so no code is used twice). Returns the last answer: a 303 once signed in.
    pub async fn sign_in(
        &mut self,
        site: &str,
        onboarding: &sqlx::PgPool,
        fields: &[(&str, &str)],
    ) -> Response {
        self.get(&format!("{site}/login")).await;
        let response = self.post(&format!("{site}/login"), fields).await;
        if response.status() != StatusCode::SEE_OTHER
            || location(&response) != "/login/second-factor"
        {
            return response;
        }
        let username = fields
            .iter()
            .find(|(name, _)| *name == "username")
            .map(|(_, value)| *value)
            .unwrap_or_default();
        let (_, page) = self.page(&format!("{site}/login/second-factor")).await;
        let offered = page
            .split_once("<code id=\"totp-secret\">")
            .and_then(|(_, rest)| rest.split_once("</code>"))
            .and_then(|(secret, _)| {
                imkon_onboarding::domain::totp::TotpSecret::from_base32(secret)
            });
        let secret = offered
            .unwrap_or_else(|| imkon_onboarding::demo_totp_secret(&username.to_ascii_lowercase()));
        let code = imkon_onboarding::testing::unused_code(onboarding, username, &secret).await;
        self.post(
            &format!("{site}/login/second-factor"),
            &[("code", code.as_str())],
        )
        .await
    }

    /// A page's status and HTML.
    pub async fn page(&mut self, url: &str) -> (StatusCode, String) {
        let response = self.get(url).await;
        (response.status(), response.text().await.unwrap())
    }
}

/// Where a redirect points.
pub fn location(response: &Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}
