//! The frontend against the real onboarding and applications services, in-process, with their
//! demo data: signing in, a founder's way to a draft, ownership, roles and the four eyes,
//! passwords (changed, reset by email, replacing a one-time password) and the founder's inbox.

mod support;

use imkon_applications::seed::MVP_CO_FUNDING_GRANT_ID;
use imkon_frontend::{app_with, FrontendSettings, ServiceUrls};
use imkon_platform::testing::TestServer;
use reqwest::{redirect, StatusCode};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use support::browser::{location, Browser};
use support::journeys::{self, GRANT_ANSWERS};
use support::services::{Services, DUAL_ROLE_PASSWORD, DUAL_ROLE_USERNAME};

/// The frontend and the services it calls.
struct Site {
    frontend: TestServer,
    services: Services,
}

impl Site {
    async fn start(pool_options: PgPoolOptions, connect: PgConnectOptions) -> Site {
        let services = Services::start(pool_options, connect).await;
        let settings = FrontendSettings::new(ServiceUrls {
            onboarding: services.onboarding.url(""),
            applications: services.applications.url(""),
            scoring: "http://127.0.0.1:1".to_owned(),
            disbursement: "http://127.0.0.1:1".to_owned(),
            accounts: "http://127.0.0.1:1".to_owned(),
        });
        Site {
            frontend: TestServer::start(app_with(settings)).await,
            services,
        }
    }

    fn url(&self, path: &str) -> String {
        self.frontend.url(path)
    }

    /// A browser stand-in that has signed in as `username`.
    async fn signed_in(&self, username: &str, password: &str, language: &str) -> Browser {
        let mut browser = Browser::speaking(language);
        let response = browser
            .sign_in(
                &self.url(""),
                &self.services.onboarding_pool,
                &[("username", username), ("password", password)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{username} signs in"
        );
        browser
    }
}

/// Starts a draft to the co-funding grant through the pages and returns its id.
async fn start_grant_draft(site: &Site, founder: &mut Browser) -> String {
    journeys::start_grant_draft(&site.frontend, founder).await
}

#[sqlx::test(migrations = false)]
async fn a_founder_signs_in_sees_the_open_programmes_and_starts_a_draft(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut founder = site.signed_in("founder1", "founder1-demo-pass", "en").await;

    let programmes = founder.get(&site.url("/programmes")).await;
    assert_eq!(programmes.status(), StatusCode::OK);
    let html = programmes.text().await.unwrap();
    assert!(html.contains("National innovative-idea grant"), "{html}");
    assert!(html.contains("My accounts"), "a client's menu");
    assert!(
        !html.contains("My applications"),
        "founder1 has not applied yet"
    );
    assert!(!html.contains("Application queue"));

    let id = start_grant_draft(&site, &mut founder).await;
    let list = founder.get(&site.url("/applications")).await;
    let html = list.text().await.unwrap();
    assert!(html.contains(&format!("/applications/{id}")), "{html}");
    assert!(html.contains("Draft"));
    assert!(html.contains("UZS\u{a0}50,000,000.00"), "{html}");

    // The answers step saves the draft and moves on to the check before submitting.
    let mut answers: Vec<(&str, &str)> = vec![("step", "answers")];
    answers.extend(GRANT_ANSWERS);
    let saved = founder
        .post(&site.url(&format!("/applications/{id}/edit")), &answers)
        .await;
    assert_eq!(
        location(&saved),
        format!("/applications/{id}/edit?step=review")
    );
    let review = founder
        .get(&site.url(&format!("/applications/{id}/edit?step=review")))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        review.contains("Everything required is filled in"),
        "{review}"
    );

    let kyc = founder.get(&site.url("/kyc")).await.text().await.unwrap();
    assert!(kyc.contains("Your identity"), "{kyc}");
    assert!(kyc.contains("Company: Aziz Soft"), "{kyc}");
    assert!(kyc.contains("Approved"));
    let documents = founder
        .get(&site.url("/documents"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        documents.contains(">Aziz Soft"),
        "a company's document can be uploaded: {documents}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_refused_draft_keeps_what_was_typed_and_names_the_field_in_the_chosen_language(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut founder = site.signed_in("founder1", "founder1-demo-pass", "ru").await;
    let apply_path = format!("/programmes/{MVP_CO_FUNDING_GRANT_ID}/apply");
    let html = founder
        .get(&site.url(&apply_path))
        .await
        .text()
        .await
        .unwrap();
    let company_id = html
        .split("<option value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let response = founder
        .post(
            &site.url(&apply_path),
            &[
                ("step", "basics"),
                ("company_id", &company_id),
                ("requested_amount", "5 000,00"),
                ("term_months", "12"),
                ("project_cost", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("value=\"5 000,00\""),
        "what was typed stays: {html}"
    );
    assert!(
        html.contains("id=\"requested_amount-error\">Сумма вне пределов программы."),
        "the service's refusal beside its field: {html}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_failed_login_keeps_the_username_and_says_why(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut visitor = Browser::speaking("en");
    visitor.get(&site.url("/login")).await;
    let response = visitor
        .post(
            &site.url("/login"),
            &[("username", "founder1"), ("password", "not-the-password")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(visitor.cookie("__Host-imkon_session").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("value=\"founder1\""));
    assert!(html.contains("The username or password is not right."));
    assert!(
        !html.contains("not-the-password"),
        "the password is never echoed"
    );
}

#[sqlx::test(migrations = false)]
async fn pages_need_a_sign_in_and_return_only_to_a_local_page_after_it(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut visitor = Browser::speaking("en");
    let response = visitor.get(&site.url("/applications?state=draft")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/login?next=%2Fapplications%3Fstate%3Ddraft"
    );

    visitor.get(&site.url("/login")).await;
    let response = visitor
        .post(
            &site.url("/login"),
            &[
                ("username", "founder1"),
                ("password", "founder1-demo-pass"),
                ("next", "/programmes"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/programmes");

    let mut other = Browser::speaking("en");
    other.get(&site.url("/login")).await;
    let response = other
        .post(
            &site.url("/login"),
            &[
                ("username", "founder2"),
                ("password", "founder2-demo-pass"),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/accounts", "founder2's own home");
}

#[sqlx::test(migrations = false)]
async fn the_session_id_changes_at_login_and_logout_ends_it(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut founder = site.signed_in("founder1", "founder1-demo-pass", "en").await;
    let first_session = founder.cookie("__Host-imkon_session").unwrap().to_owned();
    founder.get(&site.url("/login")).await;
    founder
        .post(
            &site.url("/login"),
            &[("username", "founder1"), ("password", "founder1-demo-pass")],
        )
        .await;
    let second_session = founder.cookie("__Host-imkon_session").unwrap().to_owned();
    assert_ne!(first_session, second_session, "a login moves to a fresh id");

    let stale = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
        .get(site.url("/applications"))
        .header("cookie", format!("__Host-imkon_session={first_session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.status(),
        StatusCode::SEE_OTHER,
        "the old id is worthless"
    );

    let response = founder.post(&site.url("/logout"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(founder.cookie("__Host-imkon_session").is_none());
    let replayed = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
        .get(site.url("/applications"))
        .header("cookie", format!("__Host-imkon_session={second_session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        replayed.status(),
        StatusCode::SEE_OTHER,
        "logout ended the session"
    );
}

#[sqlx::test(migrations = false)]
async fn a_founder_gets_the_not_found_page_for_another_founders_application(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut owner = site.signed_in("founder1", "founder1-demo-pass", "en").await;
    let id = start_grant_draft(&site, &mut owner).await;
    let own = owner.get(&site.url(&format!("/applications/{id}"))).await;
    assert_eq!(own.status(), StatusCode::OK);

    let mut other = site.signed_in("founder2", "founder2-demo-pass", "en").await;
    for path in [
        format!("/applications/{id}"),
        format!("/applications/{id}/edit?step=basics"),
        "/applications/not-an-id".to_owned(),
    ] {
        let response = other.get(&site.url(&path)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Page not found"), "{path}");
        assert!(!html.contains("A marketplace"), "{path}");
    }
}

#[sqlx::test(migrations = false)]
async fn staff_without_a_credit_role_get_the_wrong_role_page(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut kyc_officer = site.signed_in("kyc1", "kyc1-demo-pass", "en").await;
    let response = kyc_officer.get(&site.url("/applications")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(html.contains("Your role does not give access to this page."));

    let mut officer = site.signed_in("credit1", "credit1-demo-pass", "en").await;
    let queue = officer
        .get(&site.url("/applications?state=in_review"))
        .await;
    assert_eq!(queue.status(), StatusCode::OK);
    let html = queue.text().await.unwrap();
    assert!(html.contains("Application queue"));
    assert!(
        html.contains("<option value=\"in_review\" selected>"),
        "{html}"
    );
}

#[sqlx::test(migrations = false)]
async fn an_officer_cannot_confirm_their_own_proposal_and_another_approver_can(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut founder = site.signed_in("founder1", "founder1-demo-pass", "en").await;
    let id = start_grant_draft(&site, &mut founder).await;
    let mut answers: Vec<(&str, &str)> = vec![("step", "answers")];
    answers.extend(GRANT_ANSWERS);
    let edit = site.url(&format!("/applications/{id}/edit"));
    founder.post(&edit, &answers).await;
    let submitted = founder.post(&edit, &[("step", "review")]).await;
    assert_eq!(location(&submitted), format!("/applications/{id}"));

    let page = site.url(&format!("/applications/{id}"));
    let mut dual = site
        .signed_in(DUAL_ROLE_USERNAME, DUAL_ROLE_PASSWORD, "ru")
        .await;
    let html = dual.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("На рассмотрении"),
        "screened into review: {html}"
    );
    let table = score_table(&html);
    assert!(
        table.contains(
            "Команда ветеранов: 6 лет и больше в отрасли <span class=\"code\">TEAM_VETERAN</span>"
        ),
        "each characteristic's reason in words, its code beside them: {table}"
    );
    let mut approver = site
        .signed_in("approver1", "approver1-demo-pass", "en")
        .await;
    let html = approver.get(&page).await.text().await.unwrap();
    let table = score_table(&html);
    for words in [
        "<td>Team experience (years)</td>",
        "Veteran team: 6 years or more in the industry <span class=\"code\">TEAM_VETERAN</span>",
        "<td>Monthly revenue growth (%)</td>",
        "Revenue growth not reported <span class=\"code\">GROWTH_NOT_REPORTED</span>",
    ] {
        assert!(table.contains(words), "{words} in {table}");
    }
    assert!(
        !table.contains("team_experience_years") && !table.contains("monthly_revenue_growth"),
        "no characteristic is shown by its scorecard name: {table}"
    );
    let proposed = dual
        .post(
            &site.url(&format!("/applications/{id}/proposal")),
            &[
                ("outcome", "approve"),
                ("amount", "50 000 000,00"),
                ("term_months", "12"),
            ],
        )
        .await;
    assert_eq!(proposed.status(), StatusCode::SEE_OTHER);
    let confirmed = dual
        .post(
            &site.url(&format!("/applications/{id}/confirmation")),
            &[("confirmation_key", "own-proposal-attempt")],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::FORBIDDEN);
    let html = confirmed.text().await.unwrap();
    assert!(
        html.contains(
            "Вы сами предложили это решение: подтвердить его должен другой утверждающий."
        ),
        "{html}"
    );

    let confirmed = approver
        .post(
            &site.url(&format!("/applications/{id}/confirmation")),
            &[("confirmation_key", "second-pair-of-eyes")],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let html = founder.get(&page).await.text().await.unwrap();
    assert!(html.contains("Approved"), "{html}");
}

/// The score table of an application page.
fn score_table(html: &str) -> &str {
    let start = html
        .find("<table class=\"schedule-table score-table\">")
        .expect("the page shows the score");
    let length = html[start..].find("</table>").expect("the table is closed");
    &html[start..start + length]
}

/// A registration form as a new founder fills it, with a PINFL that agrees with the birth date.
fn registration_form(pinfl: &str) -> Vec<(&'static str, String)> {
    vec![
        ("username", "malika.new".to_owned()),
        ("password", "a-long-enough-passphrase".to_owned()),
        ("latin_name.surname", "Yusupova".to_owned()),
        ("latin_name.given_name", "Malika".to_owned()),
        ("latin_name.patronymic", String::new()),
        ("pinfl", pinfl.to_owned()),
        ("birth_date", "1995-03-14".to_owned()),
        ("passport.number", "AB7654321".to_owned()),
        (
            "passport.issue_date",
            imkon_platform::testing::years_from_today(-5).to_string(),
        ),
        (
            "passport.expiry_date",
            imkon_platform::testing::years_from_today(5).to_string(),
        ),
        ("phone", "998901234567".to_owned()),
        ("email", String::new()),
        ("address.region", "Toshkent".to_owned()),
        ("address.district", "Yunusobod".to_owned()),
        ("address.street_line", "Amir Temur 1".to_owned()),
    ]
}

#[sqlx::test(migrations = false)]
async fn a_new_founder_registers_with_refusals_beside_the_fields_and_is_signed_in(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    use imkon_onboarding::domain::pinfl::{Pinfl, Sex};
    let site = Site::start(pool_options, connect).await;
    let birth_date = chrono::NaiveDate::from_ymd_opt(1995, 3, 14).unwrap();
    let pinfl = Pinfl::compose(birth_date, Sex::Female, 123).unwrap();
    let mut visitor = Browser::speaking("en");
    visitor.get(&site.url("/register")).await;

    let mut refused = registration_form(pinfl.as_str());
    refused[5].1 = "12345".to_owned();
    let fields: Vec<(&str, &str)> = refused.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = visitor.post(&site.url("/register"), &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("id=\"pinfl-error\">Enter the 14-digit PINFL from your passport."),
        "{html}"
    );
    assert!(html.contains("value=\"Yusupova\""), "what was typed stays");
    assert!(
        !html.contains("a-long-enough-passphrase"),
        "never the password"
    );

    let accepted = registration_form(pinfl.as_str());
    let fields: Vec<(&str, &str)> = accepted.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = visitor.post(&site.url("/register"), &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/profile");
    let profile = visitor.get(&site.url("/profile")).await;
    assert_eq!(profile.status(), StatusCode::OK);
    let html = profile.text().await.unwrap();
    assert!(html.contains("value=\"AB7654321\""), "{html}");
    let language: Option<String> =
        sqlx::query_scalar("select language from person where pinfl = $1")
            .bind(pinfl.as_str())
            .fetch_one(&site.services.onboarding_pool)
            .await
            .unwrap();
    assert_eq!(
        language.as_deref(),
        Some("en"),
        "the page's language becomes the founder's, for their notification emails"
    );

    let kyc = visitor.get(&site.url("/kyc")).await.text().await.unwrap();
    assert!(kyc.contains("Not submitted"), "{kyc}");
    let submitted = visitor
        .post(&site.url("/kyc/submit"), &[("company_id", "")])
        .await;
    assert_eq!(submitted.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = submitted.text().await.unwrap();
    assert!(
        html.contains("Upload these documents first: Passport scan."),
        "{html}"
    );

    visitor.get(&site.url("/documents")).await;
    let token = visitor.cookie("__Host-imkon_csrf").unwrap().to_owned();
    let uploaded = upload(&site, &visitor, &token, "passport_scan")
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let documents = visitor
        .get(&site.url("/documents"))
        .await
        .text()
        .await
        .unwrap();
    assert!(documents.contains("scan.pdf"), "{documents}");
    let submitted = visitor
        .post(&site.url("/kyc/submit"), &[("company_id", "")])
        .await;
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
    let kyc = visitor.get(&site.url("/kyc")).await.text().await.unwrap();
    assert!(kyc.contains("Under review"), "{kyc}");
}

#[sqlx::test(migrations = false)]
async fn a_kyc_officer_works_the_queue_previews_the_scan_and_downloads_it_as_an_attachment(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut officer = site.signed_in("kyc1", "kyc1-demo-pass", "en").await;
    let queue = officer
        .get(&site.url("/kyc/cases?status=pending_review"))
        .await;
    assert_eq!(queue.status(), StatusCode::OK);
    let html = queue.text().await.unwrap();
    let case_path = html
        .split("href=\"/kyc/cases/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|id| format!("/kyc/cases/{id}"))
        .expect("the pending demo case is in the queue");

    let taken = officer
        .post(&site.url(&format!("{case_path}/assign")), &[])
        .await;
    assert_eq!(location(&taken), case_path);
    let html = officer
        .get(&site.url(&case_path))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Under review"));
    assert!(
        html.contains("Approve the case"),
        "the assigned officer may decide"
    );
    let download = html
        .split("href=\"/documents/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/documents/{rest}"))
        .expect("a document link");
    let file = officer.get(&site.url(&download)).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert!(file.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert!(file.bytes().await.unwrap().starts_with(b"%PDF"));

    // The scan is also shown on the page, in the browser's viewer framed from our own origin,
    // while the page itself keeps refusing to be framed.
    let preview = download.replace("/download", "/preview");
    assert!(
        html.contains(&format!(
            "<iframe class=\"document-viewer\" src=\"{preview}\""
        )),
        "{html}"
    );
    let page = officer.get(&site.url(&case_path)).await;
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let shown = officer.get(&site.url(&preview)).await;
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.headers()["content-disposition"], "inline");
    assert_eq!(shown.headers()["content-type"], "application/pdf");
    assert_eq!(shown.headers()["x-content-type-options"], "nosniff");
    assert_eq!(shown.headers()["x-frame-options"], "SAMEORIGIN");
    let policy = shown.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("frame-ancestors 'self'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(shown.bytes().await.unwrap().starts_with(b"%PDF"));
    let mut finance = site.signed_in("finance1", "finance1-demo-pass", "en").await;
    let refused = finance.get(&site.url(&preview)).await;
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "finance does not read clients' documents"
    );

    let revision = officer
        .post(
            &site.url(&format!("{case_path}/request-revision")),
            &[("note", "Please upload a sharper passport scan.")],
        )
        .await;
    assert_eq!(revision.status(), StatusCode::SEE_OTHER);
    let mut founder = site.signed_in("founder3", "founder3-demo-pass", "en").await;
    let html = founder.get(&site.url("/kyc")).await.text().await.unwrap();
    assert!(
        html.contains("Please upload a sharper passport scan."),
        "{html}"
    );
    assert!(html.contains("Submit for the check"));

    let mut other_founder = site.signed_in("founder1", "founder1-demo-pass", "en").await;
    let foreign = other_founder.get(&site.url(&download)).await;
    assert_eq!(
        foreign.status(),
        StatusCode::NOT_FOUND,
        "another founder's document"
    );
    let foreign_preview = other_founder.get(&site.url(&preview)).await;
    assert_eq!(
        foreign_preview.status(),
        StatusCode::NOT_FOUND,
        "another founder's document is not previewed either"
    );
    let not_an_officer = other_founder.get(&site.url(&case_path)).await;
    assert_eq!(not_an_officer.status(), StatusCode::FORBIDDEN);
}

#[sqlx::test(migrations = false)]
async fn a_kyc_officer_sees_the_profile_beside_the_scan_and_clears_the_demo_watch_list_hit(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut officer = site.signed_in("kyc1", "kyc1-demo-pass", "en").await;
    let html = officer
        .get(&site.url("/kyc/cases?status=pending_review"))
        .await
        .text()
        .await
        .unwrap();
    let case_path = html
        .split("href=\"/kyc/cases/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|id| format!("/kyc/cases/{id}"))
        .expect("founder3's pending case is in the queue");
    let taken = officer
        .post(&site.url(&format!("{case_path}/assign")), &[])
        .await;
    assert_eq!(location(&taken), case_path);

    let html = officer
        .get(&site.url(&case_path))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Qodirov Timur Sanjarovich"), "{html}");
    assert!(html.contains("AA0000103"), "{html}");
    assert!(
        html.contains("Кодиров Тимур Санжарович"),
        "the list entry beside the client"
    );
    assert!(
        html.contains("possible match, to be judged below"),
        "{html}"
    );
    assert!(!html.contains("kyc-check-"), "no raw check codes: {html}");
    let hit_id = html
        .split("/screening-hits/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a resolution form for the demo hit")
        .to_owned();

    let reason = "Different birth date and passport series from the listing.";
    let cleared = officer
        .post(
            &site.url(&format!("{case_path}/screening-hits/{hit_id}/resolution")),
            &[
                ("resolution", "false_positive"),
                ("resolution_reason", reason),
            ],
        )
        .await;
    assert_eq!(location(&cleared), case_path);
    let html = officer
        .get(&site.url(&case_path))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("False positive: {reason}")),
        "{html}"
    );
    assert!(!html.contains("Record the judgement"), "judged only once");
}

/// What a browser sends for the upload form: the token first, as the page puts it.
fn upload(site: &Site, browser: &Browser, token: &str, kind: &str) -> reqwest::RequestBuilder {
    upload_of_size(site, browser, token, kind, 0)
}

/// The upload form with a PDF padded by `padding` bytes.
fn upload_of_size(
    site: &Site,
    browser: &Browser,
    token: &str,
    kind: &str,
    padding: usize,
) -> reqwest::RequestBuilder {
    let mut body = format!(
        "--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    )
    .into_bytes();
    body.resize(body.len() + padding, b' ');
    body.extend_from_slice(b"\n%%EOF\n\r\n--b--\r\n");
    browser
        .client
        .post(site.url("/documents"))
        .header("cookie", browser.cookie_header())
        .header("content-type", "multipart/form-data; boundary=b")
        .body(body)
}

#[sqlx::test(migrations = false)]
async fn an_upload_proves_its_csrf_token_and_a_refusal_is_explained(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut founder = site.signed_in("founder3", "founder3-demo-pass", "en").await;
    founder.get(&site.url("/documents")).await;
    let token = founder.cookie("__Host-imkon_csrf").unwrap().to_owned();
    let forged = upload(&site, &founder, "not-the-token", "other")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // founder3's case is under review, so onboarding takes no new documents for it.
    let refused = upload(&site, &founder, &token, "other")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let html = refused.text().await.unwrap();
    assert!(html.contains("This is not possible in the case"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn a_scan_of_several_mebibytes_is_taken_and_one_over_the_limit_is_explained(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    use imkon_onboarding::domain::pinfl::{Pinfl, Sex};
    let site = Site::start(pool_options, connect).await;
    // The demo founders' cases are decided or under review, so only a new founder may upload.
    let birth_date = chrono::NaiveDate::from_ymd_opt(1995, 3, 14).unwrap();
    let pinfl = Pinfl::compose(birth_date, Sex::Female, 124).unwrap();
    let mut founder = Browser::speaking("en");
    founder.get(&site.url("/register")).await;
    let registration = registration_form(pinfl.as_str());
    let fields: Vec<(&str, &str)> = registration
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let registered = founder.post(&site.url("/register"), &fields).await;
    assert_eq!(registered.status(), StatusCode::SEE_OTHER);
    founder.get(&site.url("/documents")).await;
    let token = founder.cookie("__Host-imkon_csrf").unwrap().to_owned();
    let large = upload_of_size(&site, &founder, &token, "other", 6 * 1024 * 1024)
        .send()
        .await
        .unwrap();
    assert_eq!(
        large.status(),
        StatusCode::SEE_OTHER,
        "6 MiB is under the limit"
    );
    let documents = founder.page(&site.url("/documents")).await.1;
    assert!(documents.contains("scan.pdf"), "{documents}");

    let too_large = upload_of_size(&site, &founder, &token, "other", 11 * 1024 * 1024)
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = too_large.text().await.unwrap();
    assert!(html.contains("The file is too large"), "{html}");
}

/// founder1's grant application, submitted and screened into review.
async fn submitted_application(site: &Site) -> (Browser, String) {
    let mut founder = site.signed_in("founder1", "founder1-demo-pass", "en").await;
    let id = start_grant_draft(site, &mut founder).await;
    journeys::submit_grant_draft(&site.frontend, &mut founder, &id).await;
    (founder, id)
}

#[sqlx::test(migrations = false)]
async fn an_officer_asks_for_information_then_reviews_after_declaring_no_conflict(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let (mut founder, id) = submitted_application(&site).await;
    let page = site.url(&format!("/applications/{id}"));
    let mut officer = site.signed_in("credit1", "credit1-demo-pass", "en").await;

    let asked = officer
        .post(
            &site.url(&format!("/applications/{id}/info-request")),
            &[("message", "How many paying customers do you have?")],
        )
        .await;
    assert_eq!(location(&asked), format!("/applications/{id}"));
    let html = founder.get(&page).await.text().await.unwrap();
    assert!(html.contains("Information requested"), "{html}");
    assert!(html.contains("How many paying customers do you have?"));
    let answered = founder
        .post(
            &site.url(&format!("/applications/{id}/info-response")),
            &[("message", "Forty, paying monthly.")],
        )
        .await;
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);

    let taken = officer
        .post(&site.url(&format!("/applications/{id}/review-myself")), &[])
        .await;
    assert_eq!(location(&taken), format!("/reviews/{id}"));
    let review_page = site.url(&format!("/reviews/{id}"));
    let html = officer.get(&review_page).await.text().await.unwrap();
    assert!(html.contains("Do you have a conflict of interest?"));
    assert!(
        !html.contains("A marketplace"),
        "the application is hidden until declared"
    );

    let declared = officer
        .post(
            &site.url(&format!("/reviews/{id}/declaration")),
            &[("has_conflict", "no")],
        )
        .await;
    assert_eq!(location(&declared), format!("/reviews/{id}"));
    let html = officer.get(&review_page).await.text().await.unwrap();
    assert!(html.contains("A marketplace for farm produce."), "{html}");
    let criteria: Vec<String> = html
        .split("name=\"scores.")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|key| format!("scores.{key}"))
        .collect();
    assert!(!criteria.is_empty(), "the rubric is shown");
    let mut review: Vec<(&str, &str)> = criteria.iter().map(|key| (key.as_str(), "4")).collect();
    review.push(("recommendation", "yes"));
    review.push(("comment", "A capable team with paying users."));
    let reviewed = officer
        .post(&site.url(&format!("/reviews/{id}/review")), &review)
        .await;
    assert_eq!(reviewed.status(), StatusCode::SEE_OTHER);
    let html = officer.get(&page).await.text().await.unwrap();
    assert!(html.contains("A capable team with paying users."), "{html}");
}

#[sqlx::test(migrations = false)]
async fn a_locked_account_is_told_how_long_to_wait(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut visitor = Browser::speaking("en");
    visitor.get(&site.url("/login")).await;
    let mut last = None;
    // Onboarding locks an account after a run of failures (five by the bank's policy).
    for _ in 0..8 {
        let response = visitor
            .post(
                &site.url("/login"),
                &[("username", "founder2"), ("password", "guessing-again")],
            )
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            last = Some(response.text().await.unwrap());
            break;
        }
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let html = last.expect("the account locks");
    assert!(
        html.contains("Too many failed attempts. Sign-in is locked; try again in"),
        "{html}"
    );
    assert!(html.contains("value=\"founder2\""));
}

#[sqlx::test(migrations = false)]
async fn a_kyc_officer_imports_a_watch_list_and_a_file_with_bad_lines_stores_nothing(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let imports = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from watch_list_import")
            .fetch_one(&site.services.onboarding_pool)
            .await
            .unwrap()
    };
    let before = imports().await;
    let mut officer = site.signed_in("kyc1", "kyc1-demo-pass", "ru").await;
    let (status, html) = officer.page(&site.url("/kyc/watch-list")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Загрузка санкционного списка"), "{html}");

    let bad = "full_name,birth_date,list_name,reference\n\
               Ivanov Ivan,1970-01-01,L,R1\n\
               ,,L,R2\n\
               Petrov Petr,12.03.1970,L,R3\n";
    let refused = officer
        .csv_upload(&site.url("/kyc/watch-list"), bad)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("<td>3</td><td>Значение full_name пустое.</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>4</td><td>Дата рождения записана не в виде ГГГГ-ММ-ДД.</td>"),
        "{html}"
    );
    assert_eq!(imports().await, before, "nothing is stored");

    let good = "full_name,birth_date,list_name,reference\n\
                Ivanov Ivan,1970-01-01,L,R1\n\
                Petrov Petr,1970-03-12,L,R3\n";
    let imported = officer
        .csv_upload(&site.url("/kyc/watch-list"), good)
        .send()
        .await
        .unwrap();
    let result = location(&imported);
    assert!(result.starts_with("/kyc/watch-list?entries=2&"), "{result}");
    let (_, html) = officer.page(&site.url(&result)).await;
    assert!(html.contains("Загружено записей: 2."), "{html}");
    assert_eq!(imports().await, before + 1);

    let mut credit = site.signed_in("credit1", "credit1-demo-pass", "en").await;
    let (status, _) = credit.page(&site.url("/kyc/watch-list")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let refused = credit
        .csv_upload(&site.url("/kyc/watch-list"), good)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(imports().await, before + 1);
}

/// The token of the newest reset link onboarding put in the mail outbox for `recipient`.
async fn reset_token_mailed_to(site: &Site, recipient: &str) -> String {
    let (text,): (String,) = sqlx::query_as(
        "select text_body from mail_outbox where recipient = $1 order by created_at desc limit 1",
    )
    .bind(recipient)
    .fetch_one(&site.services.onboarding_pool)
    .await
    .expect("a reset email for the address");
    let start = text.find("?token=").expect("a reset link") + "?token=".len();
    text[start..]
        .chars()
        .take_while(|character| character.is_ascii_alphanumeric() || "-_".contains(*character))
        .collect()
}

/// Signs in with a password alone (no second factor) and gives the first answer.
async fn try_password(site: &Site, username: &str, password: &str) -> reqwest::Response {
    let mut browser = Browser::speaking("en");
    browser.get(&site.url("/login")).await;
    browser
        .post(
            &site.url("/login"),
            &[("username", username), ("password", password)],
        )
        .await
}

#[sqlx::test(migrations = false)]
async fn a_founder_changes_their_password_stays_signed_in_and_the_old_one_stops_working(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut founder = site.signed_in("founder1", "founder1-demo-pass", "en").await;
    let mut elsewhere = site.signed_in("founder1", "founder1-demo-pass", "en").await;
    // The other session is used, so it holds an access token of its own: a password change
    // must end it even so, not leave it working until that token expires.
    let (status, _) = elsewhere.page(&site.url("/applications")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, html) = founder.page(&site.url("/account/password")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Current password"), "{html}");
    let page = site.url("/account/password");

    let wrong_old = founder
        .post(
            &page,
            &[
                ("old_password", "not-my-password"),
                ("new_password", "a-much-longer-secret-1"),
                ("new_password_again", "a-much-longer-secret-1"),
            ],
        )
        .await;
    assert_eq!(wrong_old.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = wrong_old.text().await.unwrap();
    assert!(
        html.contains("The current password is not right."),
        "{html}"
    );

    let mismatch = founder
        .post(
            &page,
            &[
                ("old_password", "founder1-demo-pass"),
                ("new_password", "a-much-longer-secret-1"),
                ("new_password_again", "a-much-longer-secret-2"),
            ],
        )
        .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch
        .text()
        .await
        .unwrap()
        .contains("The two new passwords are not the same."));

    let weak = founder
        .post(
            &page,
            &[
                ("old_password", "founder1-demo-pass"),
                ("new_password", "short"),
                ("new_password_again", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak
        .text()
        .await
        .unwrap()
        .contains("The password is too short or too simple."));

    let changed = founder
        .post(
            &page,
            &[
                ("old_password", "founder1-demo-pass"),
                ("new_password", "a-much-longer-secret-1"),
                ("new_password_again", "a-much-longer-secret-1"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&changed), "/account/password?changed=1");
    let (status, html) = founder.page(&site.url("/account/password?changed=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your password has been changed."), "{html}");
    let (status, _) = founder.page(&site.url("/applications")).await;
    assert_eq!(status, StatusCode::OK, "this session stays signed in");
    let other = elsewhere.get(&site.url("/applications")).await;
    assert_eq!(
        other.status(),
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    assert!(location(&other).starts_with("/login"));

    let old = try_password(&site, "founder1", "founder1-demo-pass").await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = try_password(&site, "founder1", "a-much-longer-secret-1").await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&new), "/accounts");
}

#[sqlx::test(migrations = false)]
async fn a_founder_who_forgot_their_password_sets_one_from_the_emailed_link_once(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    // Whoever holds a session of the founder's (the reason they reset it, perhaps) loses it
    // with the reset, though it holds an access token of its own.
    let mut elsewhere = site.signed_in("founder1", "founder1-demo-pass", "en").await;
    let (status, _) = elsewhere.page(&site.url("/applications")).await;
    assert_eq!(status, StatusCode::OK);
    let mut visitor = Browser::speaking("en");
    let (_, login) = visitor.page(&site.url("/login")).await;
    assert!(login.contains("href=\"/password/forgot\""), "{login}");
    let (status, _) = visitor.page(&site.url("/password/forgot")).await;
    assert_eq!(status, StatusCode::OK);

    let mut answers = Vec::new();
    for email in ["nobody@example.com", "founder1@demo.imkon.uz"] {
        let response = visitor
            .post(&site.url("/password/forgot"), &[("email", email)])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(
            html.contains("a link to set a new password is on its way"),
            "{html}"
        );
        answers.push(html);
    }
    assert_eq!(
        answers[0], answers[1],
        "the same page whether or not the address exists"
    );

    let token = reset_token_mailed_to(&site, "founder1@demo.imkon.uz").await;
    let reset_page = site.url(&format!("/password/reset?token={token}"));
    let (status, html) = visitor.page(&reset_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Set a new password"), "{html}");
    let mismatch = visitor
        .post(
            &site.url("/password/reset"),
            &[
                ("token", &token),
                ("new_password", "a-brand-new-secret-1"),
                ("new_password_again", "a-brand-new-secret-2"),
            ],
        )
        .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let set = visitor
        .post(
            &site.url("/password/reset"),
            &[
                ("token", &token),
                ("new_password", "a-brand-new-secret-1"),
                ("new_password_again", "a-brand-new-secret-1"),
            ],
        )
        .await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&set), "/login?reset=1");
    let (_, html) = visitor.page(&site.url("/login?reset=1")).await;
    assert!(html.contains("Your new password is set."), "{html}");
    let other = elsewhere.get(&site.url("/applications")).await;
    assert_eq!(
        other.status(),
        StatusCode::SEE_OTHER,
        "the session held elsewhere ended"
    );
    assert!(location(&other).starts_with("/login"));

    let again = visitor
        .post(
            &site.url("/password/reset"),
            &[
                ("token", &token),
                ("new_password", "a-third-secret-123"),
                ("new_password_again", "a-third-secret-123"),
            ],
        )
        .await;
    assert_eq!(
        again.status(),
        StatusCode::BAD_REQUEST,
        "the link works once"
    );
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("already used or has expired"));
    let old = try_password(&site, "founder1", "founder1-demo-pass").await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = try_password(&site, "founder1", "a-brand-new-secret-1").await;
    assert_eq!(location(&new), "/accounts");
}

#[sqlx::test(migrations = false)]
async fn staff_given_a_one_time_password_choose_their_own_before_the_second_factor(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut admin = site.signed_in("admin1", "admin1-demo-pass", "en").await;
    let account_id: uuid::Uuid =
        sqlx::query_scalar("select id from login_account where username = 'finance1'")
            .fetch_one(&site.services.onboarding_pool)
            .await
            .unwrap();
    let issued = admin
        .post(
            &site.url(&format!("/admin/staff/{account_id}/one-time-password")),
            &[],
        )
        .await;
    let html = issued.text().await.unwrap();
    let one_time = html
        .split_once("<p class=\"notice\" role=\"status\">")
        .and_then(|(_, rest)| rest.split_once("<code>"))
        .and_then(|(_, rest)| rest.split_once("</code>"))
        .map(|(password, _)| password.to_owned())
        .unwrap_or_else(|| panic!("the one-time password is shown once: {html}"));

    let mut officer = Browser::speaking("en");
    officer.get(&site.url("/login")).await;
    let response = officer
        .post(
            &site.url("/login"),
            &[("username", "finance1"), ("password", &one_time)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/new-password");
    let (status, html) = officer.page(&site.url("/login/new-password")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Choose your own password"), "{html}");
    let private = officer.get(&site.url("/account/password")).await;
    assert!(location(&private).starts_with("/login"), "no session yet");

    let mismatch = officer
        .post(
            &site.url("/login/new-password"),
            &[
                ("new_password", "finance-own-secret-1"),
                ("new_password_again", "finance-own-secret-9"),
            ],
        )
        .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let chosen = officer
        .post(
            &site.url("/login/new-password"),
            &[
                ("new_password", "finance-own-secret-1"),
                ("new_password_again", "finance-own-secret-1"),
            ],
        )
        .await;
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&chosen),
        "/login/second-factor",
        "the new password signs in, and the second factor is still asked"
    );
    let old = try_password(&site, "finance1", &one_time).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let signed_in = site
        .signed_in("finance1", "finance-own-secret-1", "en")
        .await
        .get(&site.url("/account/password"))
        .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
}

#[sqlx::test(migrations = false)]
async fn a_founder_reads_their_notifications_and_opening_one_marks_it_read(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let (mut founder, _) = submitted_application(&site).await;
    let (status, inbox) = founder.page(&site.url("/inbox")).await;
    assert_eq!(status, StatusCode::OK);
    let unread = inbox.matches("class=\"card unread\"").count();
    assert!(unread >= 1, "the submission notified the founder: {inbox}");
    assert!(
        inbox.contains(&format!("Notifications ({unread} new)")),
        "the menu counts the unread: {inbox}"
    );
    let first = inbox
        .split("<a href=\"/inbox/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a notification to open")
        .to_owned();

    let (status, opened) = founder.page(&site.url(&format!("/inbox/{first}"))).await;
    assert_eq!(status, StatusCode::OK);
    let left = unread - 1;
    if left == 0 {
        assert!(opened.contains(">Notifications</a>"), "{opened}");
    } else {
        assert!(
            opened.contains(&format!("Notifications ({left} new)")),
            "{opened}"
        );
    }
    let (_, inbox) = founder.page(&site.url("/inbox")).await;
    assert_eq!(inbox.matches("class=\"card unread\"").count(), left);

    let mut other = site.signed_in("founder2", "founder2-demo-pass", "en").await;
    let (status, _) = other.page(&site.url(&format!("/inbox/{first}"))).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another founder's notification"
    );
    let mut officer = site.signed_in("kyc1", "kyc1-demo-pass", "en").await;
    let (status, _) = officer.page(&site.url("/inbox")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
