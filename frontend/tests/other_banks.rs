//! Payments to other banks through the pages, against the real onboarding, applications,
//! accounts and disbursement services in-process: a client pays an account at bank 00440 (once,
//! however often the form is sent), sees it accepted with its money held, and, after the
//! clearing run's cut-off and settlement, settled, while a payment to the demo's closed account
//! comes back returned; refusals are shown beside their fields in the client's language;
//! another client sees none of it; finance reads the batches and hands in a clearing file
//! (credited once, a broken one refused at its line), and a client may not open that page.

mod support;

use chrono::{DateTime, Duration, Utc};
use imkon_accounts::domain::account_number::{AccountNumber, BalanceAccountCode, BankCode};
use imkon_accounts::interbank::{cut_off_at_or_before, run_cycle};
use imkon_accounts::opening::demo_closed_account_at_other_bank;
use imkon_auth::{Audience, KeyId, PublicKeySet, SigningKey, TokenVerifier};
use imkon_platform::calendar::{BankCalendar, SettableClock};
use imkon_platform::config::HttpLimits;
use imkon_platform::money::Currency;
use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use support::browser::{location, Browser};
use support::services::client_id_of;
use support::site::Site;

/// An account of a company at `bank`, in sums.
fn company_account(bank: &str, owner: u32) -> String {
    AccountNumber::issue(
        BankCode::parse(bank).unwrap(),
        BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
        Currency::Uzs,
        owner,
        1,
    )
    .unwrap()
    .to_string()
}

/// The same number with another check digit (the ninth digit), which no bank issued.
fn with_wrong_check_digit(number: &str) -> String {
    let mut digits: Vec<char> = number.chars().collect();
    digits[8] = if digits[8] == '9' { '0' } else { '9' };
    digits.into_iter().collect()
}

fn payment<'a>(
    from: &'a str,
    to_bank: &'a str,
    to_account: &'a str,
    amount: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("from_account", from),
        ("to_bank", to_bank),
        ("to_account", to_account),
        ("recipient_name", "OOO Silk Road Software"),
        ("purpose", "Invoice 42 for software development"),
        ("amount", amount),
    ]
}

/// The id of the payment a redirect leads to.
fn payment_id(response: &reqwest::Response) -> String {
    location(response)
        .strip_prefix("/other-banks/")
        .unwrap_or_else(|| panic!("the payment's page: {}", location(response)))
        .to_owned()
}

/// The accounts service's clearing run as it runs at `at` (it runs every minute in the
/// service; the test moves the run's clock past a cut-off instead of waiting for one).
async fn clearing_run_at(pool: &PgPool, at: DateTime<Utc>) {
    let key = SigningKey::generate(KeyId::parse("clearing-run").unwrap());
    let verifier = TokenVerifier::new(
        PublicKeySet::new([key.public_key()]).unwrap(),
        imkon_platform::auth_settings::DEFAULT_TOKEN_ISSUER,
        Audience::Accounts,
    )
    .unwrap();
    let calendar = BankCalendar::with_clock(SettableClock::at(at));
    let state = imkon_accounts::AppState::with_calendar(
        pool.clone(),
        HttpLimits::default(),
        verifier,
        calendar,
    );
    run_cycle(&state).await.unwrap();
}

async fn page_of(browser: &mut Browser, site: &Site, path: &str) -> String {
    let (status, html) = browser.page(&site.url(path)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {html}");
    html
}

#[sqlx::test(migrations = false)]
async fn a_client_pays_another_bank_once_and_follows_it_to_settlement(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let current = site
        .money
        .funded_account(client_id_of(&site.services, "founder1").await, "5000000.00")
        .await;
    let payee = company_account("00440", 12_345_678);
    assert_eq!(
        payee, "20208000612345678001",
        "the browser test pays this account"
    );
    let mut founder = site.signed_in("founder1", "en").await;

    let html = page_of(&mut founder, &site, "/other-banks").await;
    assert!(
        html.contains("href=\"/other-banks\""),
        "the menu names the page"
    );
    assert!(
        html.contains("You have not paid another bank yet."),
        "{html}"
    );
    assert!(
        html.contains(&format!("<option value=\"{current}\"")),
        "{html}"
    );
    assert!(
        html.contains("every 30 minutes"),
        "the cut-offs are explained"
    );

    let mut fields = payment(&current, "00440", &payee, "1,250,000");
    let key = "0123456789abcdef0123456789abcdef";
    fields.push(("idempotency_key", key));
    let sent = founder.post(&site.url("/other-banks"), &fields).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let id = payment_id(&sent);
    let again = founder.post(&site.url("/other-banks"), &fields).await;
    assert_eq!(payment_id(&again), id, "the same form sent twice pays once");

    let page = page_of(&mut founder, &site, &format!("/other-banks/{id}")).await;
    assert!(
        page.contains("id=\"interbank-state\">accepted<")
            && page.contains(
                "The money is held on your account: it goes to the clearing at the next cut-off (every 30 minutes)."
            )
            && page.contains("UZS\u{a0}1,250,000.00")
            && page.contains("OOO Silk Road Software")
            && page.contains(&payee),
        "{page}"
    );
    let list = page_of(&mut founder, &site, "/other-banks").await;
    assert_eq!(list.matches("<a href=\"/other-banks/").count(), 1, "{list}");
    assert!(
        list.contains("class=\"interbank-state\">accepted<"),
        "{list}"
    );
    let accounts = page_of(&mut founder, &site, "/accounts").await;
    assert!(
        accounts.contains("UZS\u{a0}3,750,000.00"),
        "the money is held: {accounts}"
    );

    let (_, closed_account) = demo_closed_account_at_other_bank();
    let returned = founder
        .post(
            &site.url("/other-banks"),
            &payment(&current, "00440", &closed_account.to_string(), "100000"),
        )
        .await;
    let returned_id = payment_id(&returned);

    let mut stranger = site.signed_in("founder2", "en").await;
    let theirs = page_of(&mut stranger, &site, "/other-banks").await;
    assert!(
        theirs.contains("You have not paid another bank yet.") && !theirs.contains(&id),
        "{theirs}"
    );
    let (status, _) = stranger
        .page(&site.url(&format!("/other-banks/{id}")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = founder.page(&site.url("/other-banks/not-a-payment")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The next cut-off takes both payments in one batch; the clearing settles it five minutes
    // later, returning the payment to the closed account.
    let cut_off = cut_off_at_or_before(Utc::now()) + Duration::minutes(30);
    clearing_run_at(&site.money.accounts_pool, cut_off + Duration::seconds(1)).await;
    let page = page_of(&mut founder, &site, &format!("/other-banks/{id}")).await;
    assert!(
        page.contains("id=\"interbank-state\">sent to the clearing<"),
        "{page}"
    );
    let mut finance = site.signed_in("finance1", "en").await;
    let batches = page_of(&mut finance, &site, "/clearing").await;
    assert!(
        batches.contains("<td class=\"amount\">2</td><td class=\"amount\">UZS\u{a0}1,350,000.00</td><td>with the clearing</td>"),
        "{batches}"
    );

    clearing_run_at(&site.money.accounts_pool, cut_off + Duration::minutes(6)).await;
    let page = page_of(&mut founder, &site, &format!("/other-banks/{id}")).await;
    assert!(
        page.contains("id=\"interbank-state\">settled<")
            && page.contains("The money has left for the recipient&#39;s bank."),
        "{page}"
    );
    let page = page_of(&mut founder, &site, &format!("/other-banks/{returned_id}")).await;
    assert!(
        page.contains("id=\"interbank-state\">returned: the recipient&#39;s account is closed<"),
        "{page}"
    );
    let accounts = page_of(&mut founder, &site, "/accounts").await;
    assert!(
        accounts.contains("UZS\u{a0}3,750,000.00"),
        "the settled payment left, the returned one came back: {accounts}"
    );
    let batches = page_of(&mut finance, &site, "/clearing").await;
    assert!(
        batches.contains("<td class=\"amount\">2</td><td class=\"amount\">UZS\u{a0}1,350,000.00</td><td>settled</td>"),
        "{batches}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_refused_payment_is_explained_beside_its_field_in_the_clients_language(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let current = site
        .money
        .funded_account(client_id_of(&site.services, "founder1").await, "500000.00")
        .await;
    let payee = company_account("00440", 12_345_678);
    let mut founder = site.signed_in("founder1", "ru").await;
    let html = page_of(&mut founder, &site, "/other-banks").await;
    assert!(html.contains("Платёж в другой банк"), "{html}");

    let wrong_digit = with_wrong_check_digit(&payee);
    let refused = founder
        .post(
            &site.url("/other-banks"),
            &payment(&current, "00440", &wrong_digit, "1000"),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("<p class=\"field-error\" id=\"interbank-account-error\">Этот номер не принадлежит указанному банку: проверьте и номер счёта, и код банка.</p>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{wrong_digit}\"")),
        "what was typed is kept"
    );

    let spaced = "20208 000 6 12345678 001";
    let same_bank = founder
        .post(
            &site.url("/other-banks"),
            &payment(&current, "00873", spaced, "1000"),
        )
        .await;
    assert_eq!(same_bank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(same_bank.text().await.unwrap().contains(
        "<p class=\"field-error\" id=\"interbank-bank-error\">Этот счёт в Imkon: сделайте перевод внутри банка.</p>"
    ));

    let too_much = founder
        .post(
            &site.url("/other-banks"),
            &payment(&current, "00440", spaced, "9 000 000"),
        )
        .await;
    assert_eq!(too_much.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_much.text().await.unwrap().contains(
        "<p class=\"field-error\" id=\"interbank-amount-error\">На счёте недостаточно средств.</p>"
    ));

    let mut unnamed = payment(&current, "440", spaced, "1000");
    unnamed[3] = ("recipient_name", " ");
    let incomplete = founder.post(&site.url("/other-banks"), &unnamed).await;
    assert_eq!(incomplete.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = incomplete.text().await.unwrap();
    assert!(
        html.contains("id=\"interbank-recipient-error\">Заполните это поле.</p>"),
        "{html}"
    );

    let short_code = founder
        .post(
            &site.url("/other-banks"),
            &payment(&current, "440", spaced, "1000"),
        )
        .await;
    assert_eq!(short_code.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short_code
        .text()
        .await
        .unwrap()
        .contains("id=\"interbank-bank-error\">Код банка (МФО) состоит из пяти цифр.</p>"));

    let html = page_of(&mut founder, &site, "/other-banks").await;
    assert!(
        html.contains("Вы ещё не платили в другие банки."),
        "nothing was paid: {html}"
    );
}

#[sqlx::test(migrations = false)]
async fn finance_hands_in_a_clearing_file_once_and_a_client_may_not(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let current = site
        .money
        .funded_account(client_id_of(&site.services, "founder1").await, "0")
        .await;
    let unknown = company_account("00873", 99_999_998);
    let file = format!(
        "IMKON-CLEARING 1 INCOMING 2026-12-05\n\
         CLR-9001|00440|20208000612345678001|OOO Sample|{current}|1250.00|Invoice 7\n\
         CLR-9002|00440|20208000612345678001|OOO Sample|{unknown}|10.00|Invoice 8\n\
         TOTAL 2|1260.00\n"
    );
    let mut finance = site.signed_in("finance1", "en").await;
    let html = page_of(&mut finance, &site, "/clearing").await;
    assert!(
        html.contains("href=\"/clearing\"") && html.contains("No batch has been formed yet."),
        "{html}"
    );

    let fields = [
        ("file_name", "IN-20261205-01.txt"),
        ("content", file.as_str()),
    ];
    let handed_in = finance.post(&site.url("/clearing"), &fields).await;
    assert_eq!(handed_in.status(), StatusCode::OK);
    let html = handed_in.text().await.unwrap();
    assert!(
        html.contains("id=\"clearing-credited\">1<")
            && html.contains("id=\"clearing-already-received\">0<")
            && html.contains("<tr><td>CLR-9002</td><td>no such account</td></tr>"),
        "{html}"
    );
    let twice = finance.post(&site.url("/clearing"), &fields).await;
    let html = twice.text().await.unwrap();
    assert!(
        html.contains("id=\"clearing-credited\">0<")
            && html.contains("id=\"clearing-already-received\">2<"),
        "each record once: {html}"
    );
    let mut founder = site.signed_in("founder1", "en").await;
    let accounts = page_of(&mut founder, &site, "/accounts").await;
    assert!(accounts.contains("UZS\u{a0}1,250.00"), "{accounts}");

    let broken = file.replace("|10.00|", "|10,00|");
    let refused = finance
        .post(
            &site.url("/clearing"),
            &[("file_name", "IN-20261205-02.txt"), ("content", &broken)],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("<p class=\"field-error\" id=\"clearing-content-error\">The file does not follow the clearing&#39;s format; nothing was credited.</p>")
            && html.contains("id=\"clearing-content-fault\">Line 3: <span lang=\"en\">the amount is like 1250.00, above zero</span>"),
        "{html}"
    );
    assert!(
        html.contains("IN-20261205-02.txt"),
        "what was typed is kept"
    );

    let mut russian = site.signed_in("finance1", "ru").await;
    let refused = russian
        .post(
            &site.url("/clearing"),
            &[("file_name", "IN-3.txt"), ("content", &broken)],
        )
        .await;
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("id=\"clearing-content-fault\">Строка 3: "));

    let (status, _) = founder.page(&site.url("/clearing")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let sneaked = founder.post(&site.url("/clearing"), &fields).await;
    assert_eq!(sneaked.status(), StatusCode::FORBIDDEN);
    let (status, _) = finance.page(&site.url("/other-banks")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "payments are for clients");
}
