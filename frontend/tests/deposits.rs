//! Term deposits through the pages, against the real onboarding, applications, accounts and
//! disbursement services in-process with the demo's three deposit products: a client opens a
//! deposit from their current account (once, however often the form is sent), sees it, reads
//! its schedule and closes it early; refusals are shown beside their fields in the client's
//! language; another client's deposit is not found; an administrator sets up a product (a bad
//! rate refused beside its field) and withdraws it, and no one else opens that page.

mod support;

use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use support::browser::location;
use support::services::client_id_of;
use support::site::Site;

/// The demo's product in sums with interest paid monthly, from 1,000,000 sums at 20 %.
const SAVINGS: &str = "Savings 12 months, interest monthly";
/// The demo's dollar product, from 100 dollars.
const DOLLARS: &str = "Dollar deposit 12 months, at maturity";

/// The id of the product the opening form offers under `name`.
fn product_id(html: &str, name: &str) -> String {
    let marker = format!("\">{name} · ");
    let end = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} is offered: {html}"));
    html[end - 36..end].to_owned()
}

/// The id of the first deposit the list links to.
fn first_deposit(html: &str) -> String {
    let marker = "<a href=\"/deposits/";
    let start = html.find(marker).expect("a deposit is listed") + marker.len();
    html[start..start + 36].to_owned()
}

#[sqlx::test(migrations = false)]
async fn a_client_opens_a_deposit_once_sees_it_and_closes_it_early(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let current = site
        .money
        .funded_account(client_id_of(&site.services, "founder1").await, "5000000.00")
        .await;
    let mut founder = site.signed_in("founder1", "en").await;

    let (status, html) = founder.page(&site.url("/deposits")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("You have no deposits yet."), "{html}");
    assert!(
        html.contains("href=\"/deposits\""),
        "the menu names the page"
    );
    assert!(html.contains("20.00% a year") && html.contains("UZS\u{a0}1,000,000.00"));
    let savings = product_id(&html, SAVINGS);
    let key = "0123456789abcdef0123456789abcdef";
    let fields = [
        ("product_id", savings.as_str()),
        ("from_account", current.as_str()),
        ("amount", "1,500,000"),
        ("idempotency_key", key),
    ];
    let opened = founder.post(&site.url("/deposits"), &fields).await;
    assert_eq!(location(&opened), "/deposits");
    let again = founder.post(&site.url("/deposits"), &fields).await;
    assert_eq!(
        location(&again),
        "/deposits",
        "the same form sent twice opens nothing more"
    );

    let (_, html) = founder.page(&site.url("/deposits")).await;
    assert_eq!(html.matches("<a href=\"/deposits/").count(), 1, "{html}");
    assert!(
        html.contains(SAVINGS) && html.contains("UZS\u{a0}1,500,000.00") && html.contains(">open<"),
        "{html}"
    );
    let id = first_deposit(&html);

    let (status, page) = founder.page(&site.url(&format!("/deposits/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page.matches("<tr><td>").count(),
        12,
        "twelve monthly periods: {page}"
    );
    assert!(page.contains("being earned") && page.contains("to come"));
    assert!(page.contains("id=\"close-deposit-form\""), "{page}");
    assert!(
        page.contains("id=\"early-closure-returned\">UZS\u{a0}1,500,000.00"),
        "closed the day it opened, it returns what was placed: {page}"
    );
    let deposit_account = {
        let marker = "<dt>Deposit account</dt><dd><a href=\"/accounts/";
        let start = page.find(marker).expect("the deposit's account") + marker.len();
        page[start..start + 20].to_owned()
    };

    // The deposit's account is listed as such, and no form offers it as a source of money.
    let (_, accounts) = founder.page(&site.url("/accounts")).await;
    assert!(
        accounts.contains("Term deposit") && accounts.contains("UZS\u{a0}3,500,000.00"),
        "{accounts}"
    );
    let (status, statement) = founder
        .page(&site.url(&format!("/accounts/{deposit_account}")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        statement.contains("Term deposit") && !statement.contains("id=\"rename-form\""),
        "{statement}"
    );
    for form in ["/transfers/new", "/payments", "/deposits"] {
        let (_, html) = founder.page(&site.url(form)).await;
        assert!(
            !html.contains(&format!("<option value=\"{deposit_account}\"")),
            "{form} offers the deposit's account"
        );
    }

    let mut stranger = site.signed_in("founder2", "en").await;
    let (status, _) = stranger.page(&site.url(&format!("/deposits/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let theirs = stranger
        .post(&site.url(&format!("/deposits/{id}/close")), &[])
        .await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let (status, _) = founder.page(&site.url("/deposits/not-a-deposit")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let close = [("idempotency_key", "fedcba9876543210fedcba9876543210")];
    let closed = founder
        .post(&site.url(&format!("/deposits/{id}/close")), &close)
        .await;
    assert_eq!(location(&closed), format!("/deposits/{id}"));
    let twice = founder
        .post(&site.url(&format!("/deposits/{id}/close")), &close)
        .await;
    assert_eq!(location(&twice), format!("/deposits/{id}"));
    let (_, page) = founder.page(&site.url(&format!("/deposits/{id}"))).await;
    assert!(
        page.contains("closed early") && !page.contains("id=\"close-deposit-form\""),
        "{page}"
    );
    assert!(page.contains("id=\"deposit-returned\">UZS\u{a0}1,500,000.00"));
    let (_, accounts) = founder.page(&site.url("/accounts")).await;
    assert!(
        accounts.contains("UZS\u{a0}5,000,000.00"),
        "paid back once: {accounts}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_refused_deposit_is_explained_beside_its_field_in_the_clients_language(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let current = site
        .money
        .funded_account(client_id_of(&site.services, "founder1").await, "5000000.00")
        .await;
    let mut founder = site.signed_in("founder1", "ru").await;
    let (_, html) = founder.page(&site.url("/deposits")).await;
    assert!(html.contains("Мои срочные вклады"), "{html}");
    let savings = product_id(&html, SAVINGS);
    let dollars = product_id(&html, DOLLARS);

    let below = founder
        .post(
            &site.url("/deposits"),
            &[
                ("product_id", &savings),
                ("from_account", &current),
                ("amount", "1000"),
            ],
        )
        .await;
    assert_eq!(below.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = below.text().await.unwrap();
    assert!(
        html.contains(
            "<p class=\"field-error\" id=\"deposit-amount-error\">Сумма меньше минимальной для этого вклада.</p>"
        ),
        "{html}"
    );
    assert!(html.contains("value=\"1000\""), "what was typed is kept");

    let other_currency = founder
        .post(
            &site.url("/deposits"),
            &[
                ("product_id", &dollars),
                ("from_account", &current),
                ("amount", "500"),
            ],
        )
        .await;
    assert_eq!(other_currency.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(other_currency
        .text()
        .await
        .unwrap()
        .contains("Выберите счёт в валюте вклада."));

    let too_much = founder
        .post(
            &site.url("/deposits"),
            &[
                ("product_id", &savings),
                ("from_account", &current),
                ("amount", "9 000 000"),
            ],
        )
        .await;
    assert_eq!(too_much.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_much
        .text()
        .await
        .unwrap()
        .contains("На счёте недостаточно средств."));

    let (_, html) = founder.page(&site.url("/deposits")).await;
    assert!(
        html.contains("У вас пока нет вкладов."),
        "nothing was opened: {html}"
    );
}

#[sqlx::test(migrations = false)]
async fn an_administrator_sets_up_a_product_and_withdraws_it_and_no_one_else_may(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut admin = site.signed_in("admin1", "en").await;
    let (status, html) = admin.page(&site.url("/admin/deposit-products")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("href=\"/admin/deposit-products\""),
        "the menu names the page"
    );
    assert!(html.contains(SAVINGS) && html.contains(DOLLARS), "{html}");
    let product = |rate: &'static str, payout: &'static str, capitalised: bool| {
        let mut fields = vec![
            ("name", "Spring 3 months"),
            ("currency", "UZS"),
            ("term_months", "3"),
            ("annual_rate", rate),
            ("early_withdrawal_rate", "2"),
            ("min_amount", "250,000"),
            ("interest_payout", payout),
        ];
        if capitalised {
            fields.push(("capitalised", "true"));
        }
        fields
    };

    let refused = admin
        .post(
            &site.url("/admin/deposit-products"),
            &product("150", "monthly", false),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("<p class=\"field-error\" id=\"product-rate-error\">The rate is above 0 and below 100, with at most two digits after the decimal point.</p>"),
        "{html}"
    );
    assert!(html.contains("value=\"150\""), "what was typed is kept");
    let unreadable = admin
        .post(
            &site.url("/admin/deposit-products"),
            &product("twenty", "monthly", false),
        )
        .await;
    assert_eq!(unreadable.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unreadable
        .text()
        .await
        .unwrap()
        .contains("Enter a percentage, such as 18.5."));
    let capitalised_at_maturity = admin
        .post(
            &site.url("/admin/deposit-products"),
            &product("16.5", "maturity", true),
        )
        .await;
    assert_eq!(
        capitalised_at_maturity.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(capitalised_at_maturity
        .text()
        .await
        .unwrap()
        .contains("id=\"product-capitalised-error\">Interest can be added to the deposit only when it is paid monthly."));

    let created = admin
        .post(
            &site.url("/admin/deposit-products"),
            &product("16.5", "monthly", true),
        )
        .await;
    assert_eq!(location(&created), "/admin/deposit-products");
    let (_, html) = admin.page(&site.url("/admin/deposit-products")).await;
    assert!(
        html.contains("Spring 3 months")
            && html.contains("16.50% a year")
            && html.contains("3 months")
            && html.contains("added to the deposit monthly")
            && html.contains("UZS\u{a0}250,000.00"),
        "{html}"
    );
    let spring = {
        let row = html
            .find("<td>Spring 3 months</td>")
            .expect("the new product's row");
        let marker = "<tr id=\"product-";
        let start = html[..row].rfind(marker).expect("its id") + marker.len();
        html[start..start + 36].to_owned()
    };
    let mut founder = site.signed_in("founder1", "en").await;
    let (_, offered) = founder.page(&site.url("/deposits")).await;
    assert!(offered.contains("Spring 3 months"), "offered to clients");

    let withdrawn = admin
        .post(
            &site.url(&format!("/admin/deposit-products/{spring}/withdraw")),
            &[],
        )
        .await;
    assert_eq!(location(&withdrawn), "/admin/deposit-products");
    let (_, html) = admin.page(&site.url("/admin/deposit-products")).await;
    assert!(
        html.contains(">withdrawn<")
            && !html.contains(&format!("/admin/deposit-products/{spring}/withdraw")),
        "{html}"
    );
    let (_, offered) = founder.page(&site.url("/deposits")).await;
    assert!(!offered.contains("Spring 3 months"), "no longer offered");

    let (status, _) = founder.page(&site.url("/admin/deposit-products")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let sneaked = founder
        .post(
            &site.url("/admin/deposit-products"),
            &product("16.5", "monthly", false),
        )
        .await;
    assert_eq!(sneaked.status(), StatusCode::FORBIDDEN);
    let (status, _) = site
        .signed_in("finance1", "en")
        .await
        .page(&site.url("/admin/deposit-products"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = admin.page(&site.url("/deposits")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "deposits are for clients");
}
