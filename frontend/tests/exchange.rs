//! Accounts in three currencies and exchange between them, through the pages, against the real
//! onboarding, applications, accounts and disbursement services in-process: a founder opens a
//! dollar account, exchanges sums into it at the demo's rates and cannot close it while it
//! holds money; finance proposes a rate that only a second person publishes.

mod support;

use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use support::browser::location;
use support::services::client_id_of;
use support::site::Site;

/// The number of the first account row in `currency` on the accounts page.
fn account_in(html: &str, currency_code: &str) -> Option<String> {
    html.match_indices("href=\"/accounts/")
        .map(|(start, marker)| &html[start + marker.len()..start + marker.len() + 20])
        .find(|number| &number[5..8] == currency_code)
        .map(str::to_owned)
}

#[sqlx::test(migrations = false)]
async fn a_founder_opens_a_dollar_account_and_exchanges_sums_into_it(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let sums = site
        .money
        .funded_account(client_id_of(&site.services, "founder1").await, "900000.00")
        .await;
    let mut founder = site.signed_in("founder1", "en").await;

    let (status, html) = founder.page(&site.url("/accounts")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Open an account"), "{html}");
    assert!(
        !html.contains("id=\"exchange-link\""),
        "one currency: nothing to exchange yet"
    );
    let opened = founder
        .post(
            &site.url("/accounts/open"),
            &[("currency", "USD"), ("name", "Travel")],
        )
        .await;
    assert_eq!(location(&opened), "/accounts");
    let (_, html) = founder.page(&site.url("/accounts")).await;
    let dollars = account_in(&html, "840").expect("a dollar account is listed");
    assert!(html.contains("Travel"));
    assert!(html.contains("id=\"exchange-link\""));
    assert!(
        html.contains(&format!("action=\"/accounts/{dollars}/close\"")),
        "an empty account can be closed"
    );
    assert!(
        !html.contains(&format!("action=\"/accounts/{sums}/close\"")),
        "one with money cannot"
    );
    let again = founder
        .post(&site.url("/accounts/open"), &[("currency", "USD")])
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("You already have an account in this currency."));

    let (status, html) = founder.page(&site.url("/exchange")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("USD/UZS") && html.contains("12,580.00") && html.contains("12,690.00"));
    let refused = founder
        .post(
            &site.url("/exchange"),
            &[
                ("from_account", &sums),
                ("to_account", &dollars),
                ("amount", "abc"),
                ("amount_side", "sell"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("value=\"abc\""));
    let same = founder
        .post(
            &site.url("/exchange"),
            &[
                ("from_account", &sums),
                ("to_account", &sums),
                ("amount", "100"),
                ("amount_side", "sell"),
            ],
        )
        .await;
    assert_eq!(same.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(same
        .text()
        .await
        .unwrap()
        .contains("Choose an account in another currency."));

    // 126 900 sums at the bank's selling rate 12 690 buy exactly 10 dollars.
    let quoted = founder
        .post(
            &site.url("/exchange"),
            &[
                ("from_account", &sums),
                ("to_account", &dollars),
                ("amount", "126,900.00"),
                ("amount_side", "sell"),
            ],
        )
        .await;
    assert_eq!(quoted.status(), StatusCode::SEE_OTHER);
    let confirmation = location(&quoted);
    let (status, html) = founder.page(&site.url(&confirmation)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("UZS\u{a0}126,900.00"), "{html}");
    assert!(html.contains("USD\u{a0}10.00"));
    assert!(html.contains("12,690.00"), "the rate applied");
    assert!(
        !html.contains("confirmation_token"),
        "the token stays on the server"
    );
    let confirmed = founder.post(&site.url(&confirmation), &[]).await;
    let done = location(&confirmed);
    assert_eq!(done, format!("{confirmation}/done"));
    let twice = founder.post(&site.url(&confirmation), &[]).await;
    assert_eq!(
        location(&twice),
        done,
        "a second confirmation books nothing"
    );
    let (_, html) = founder.page(&site.url(&done)).await;
    assert!(html.contains("Exchange done"));

    let (_, html) = founder.page(&site.url("/accounts")).await;
    assert!(html.contains("USD\u{a0}10.00"), "{html}");
    assert!(html.contains("UZS\u{a0}773,100.00"), "booked once");
    let refused = founder
        .post(&site.url(&format!("/accounts/{dollars}/close")), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Only an empty account can be closed"));
    let mut stranger = site.signed_in("founder2", "en").await;
    let theirs = stranger
        .post(&site.url(&format!("/accounts/{dollars}/close")), &[])
        .await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let renamed = stranger
        .post(
            &site.url(&format!("/accounts/{dollars}/name")),
            &[("name", "Mine")],
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::NOT_FOUND);

    let named = founder
        .post(
            &site.url(&format!("/accounts/{dollars}/name")),
            &[("name", "Holidays")],
        )
        .await;
    assert_eq!(location(&named), format!("/accounts/{dollars}"));
    let (_, html) = founder
        .page(&site.url(&format!("/accounts/{dollars}")))
        .await;
    assert!(
        html.contains("Holidays") && html.contains("Currency exchange"),
        "{html}"
    );
}

#[sqlx::test(migrations = false)]
async fn finance_proposes_a_rate_that_only_a_second_person_publishes(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mut finance = site.signed_in("finance1", "en").await;
    let (status, html) = finance.page(&site.url("/fx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/fx\""), "the menu names the page");
    assert!(html.contains("No proposed rate is waiting."));
    assert!(
        html.contains("id=\"position-title\""),
        "finance sees the day's position"
    );

    let refused = finance
        .post(
            &site.url("/fx/rates"),
            &[
                ("pair", "USD/UZS"),
                ("buy_rate", "12,600.00"),
                ("sell_rate", "12,500"),
                ("valid_hours", "24"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("The selling rate cannot be below the buying rate."),
        "{html}"
    );
    assert!(
        html.contains("value=\"12,600.00\""),
        "what was typed is kept"
    );
    let hours = finance
        .post(
            &site.url("/fx/rates"),
            &[
                ("pair", "USD/UZS"),
                ("buy_rate", "12,600"),
                ("sell_rate", "12,700"),
                ("valid_hours", "0"),
            ],
        )
        .await;
    assert_eq!(hours.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let proposed = finance
        .post(
            &site.url("/fx/rates"),
            &[
                ("pair", "USD/UZS"),
                ("buy_rate", "12,600.5"),
                ("sell_rate", "12,700"),
                ("valid_hours", "24"),
            ],
        )
        .await;
    assert_eq!(location(&proposed), "/fx");
    let (_, html) = finance.page(&site.url("/fx")).await;
    assert!(html.contains("You proposed this one"), "{html}");
    assert!(
        !html.contains("/publish\""),
        "no button for its own proposer"
    );
    let id = {
        let marker = "action=\"/fx/rates/";
        let mut admin = site.signed_in("admin1", "en").await;
        let (_, html) = admin.page(&site.url("/fx")).await;
        let start = html.find(marker).expect("a proposal to decide") + marker.len();
        let id = html[start..start + 36].to_owned();
        let own = finance
            .post(&site.url(&format!("/fx/rates/{id}/publish")), &[])
            .await;
        assert_eq!(own.status(), StatusCode::FORBIDDEN);
        let published = admin
            .post(&site.url(&format!("/fx/rates/{id}/publish")), &[])
            .await;
        assert_eq!(location(&published), "/fx");
        id
    };
    let (_, html) = finance.page(&site.url("/fx")).await;
    assert!(
        html.contains("12,600.50"),
        "the new rate is in force: {html}"
    );
    assert!(!html.contains(&id), "and no longer waiting");

    let mut founder = site.signed_in("founder1", "en").await;
    let (status, _) = founder.page(&site.url("/fx")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut officer = site.signed_in("credit1", "en").await;
    let (status, _) = officer.page(&site.url("/fx")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrations = false)]
async fn a_founder_saves_a_template_sends_with_it_orders_it_monthly_and_cancels_the_order(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mine = site
        .money
        .funded_account(client_id_of(&site.services, "founder1").await, "900000.00")
        .await;
    let theirs = site
        .money
        .funded_account(client_id_of(&site.services, "founder2").await, "0.00")
        .await;
    let mut founder = site.signed_in("founder1", "en").await;
    let (status, html) = founder.page(&site.url("/payments")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("You have no templates yet."), "{html}");
    assert!(
        html.contains("href=\"/payments\""),
        "the menu names the page"
    );

    let refused = founder
        .post(
            &site.url("/payments/templates"),
            &[
                ("name", "Rent"),
                ("from_account", &mine),
                ("to_account", &mine),
                ("amount", "abc"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("value=\"abc\""));
    let same = founder
        .post(
            &site.url("/payments/templates"),
            &[
                ("name", "Rent"),
                ("from_account", &mine),
                ("to_account", &mine),
                ("amount", "250,000"),
            ],
        )
        .await;
    assert_eq!(same.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let saved = founder
        .post(
            &site.url("/payments/templates"),
            &[
                ("name", "Rent"),
                ("from_account", &mine),
                ("to_account", &theirs),
                ("amount", "250,000"),
            ],
        )
        .await;
    assert_eq!(location(&saved), "/payments");
    let (_, html) = founder.page(&site.url("/payments")).await;
    assert!(
        html.contains("UZS\u{a0}250,000.00") && html.contains(&theirs),
        "{html}"
    );
    let template_id = {
        let marker = "name=\"template_id\">\n      <option value=\"";
        let start = html.find(marker).expect("the template is offered") + marker.len();
        html[start..start + 36].to_owned()
    };
    // The template fills in the transfer form; another client's template is not found.
    let send_link = format!("/transfers/new?template={template_id}");
    assert!(html.contains(&format!("href=\"{send_link}\"")), "{html}");
    let (status, form) = founder.page(&site.url(&send_link)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains(&format!("id=\"to-account\" name=\"to_account\" type=\"text\" inputmode=\"numeric\" autocomplete=\"off\" value=\"{theirs}\""))
            && form.contains("value=\"250000.00\"")
            && form.contains(&format!("<option value=\"{mine}\" selected>")),
        "{form}"
    );
    let (status, _) = site
        .signed_in("founder2", "en")
        .await
        .page(&site.url(&send_link))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = founder
        .page(&site.url("/transfers/new?template=not-a-template"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let day = founder
        .post(
            &site.url("/payments/standing-orders"),
            &[("template_id", &template_id), ("day_of_month", "31")],
        )
        .await;
    assert_eq!(day.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(day
        .text()
        .await
        .unwrap()
        .contains("Choose a day from 1 to 28."));
    let ordered = founder
        .post(
            &site.url("/payments/standing-orders"),
            &[("template_id", &template_id), ("day_of_month", "5")],
        )
        .await;
    assert_eq!(location(&ordered), "/payments");
    let (_, html) = founder.page(&site.url("/payments")).await;
    assert!(
        html.contains("on day 5 of every month") && html.contains("active"),
        "{html}"
    );
    let cancel = {
        let marker = "action=\"/payments/standing-orders/";
        let start = html.find(marker).expect("a cancel button") + marker.len();
        format!("/payments/standing-orders/{}", &html[start..start + 43])
    };
    let mut stranger = site.signed_in("founder2", "en").await;
    let theirs_to_cancel = stranger.post(&site.url(&cancel), &[]).await;
    assert_eq!(theirs_to_cancel.status(), StatusCode::NOT_FOUND);
    let cancelled = founder.post(&site.url(&cancel), &[]).await;
    assert_eq!(location(&cancelled), "/payments");
    let (_, html) = founder.page(&site.url("/payments")).await;
    assert!(html.contains("cancelled"), "{html}");
    let (status, _) = site
        .signed_in("credit1", "en")
        .await
        .page(&site.url("/payments"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
