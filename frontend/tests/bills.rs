//! Paying the state and utilities through the pages, against the real onboarding,
//! applications, accounts and disbursement services in-process and the accounts service's
//! simulated billing system with its demo invoices: a founder looks an electricity bill up,
//! pays it once however often the form is sent, sees the confirmation number and downloads the
//! receipt, which another client cannot; a paid or expired invoice offers no pay button; an
//! unknown number and short money are refused beside their fields in the reader's language.

mod support;

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use support::browser::location;
use support::services::client_id_of;
use support::site::Site;

/// The value of the page's hidden field `name`.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split_once(&marker)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(value, _)| value.to_owned())
        .unwrap_or_else(|| panic!("the page has a hidden {name}: {html}"))
}

/// The text of the element whose id is `id`.
fn element_text(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    html.split_once(&marker)
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(text, _)| text.trim().to_owned())
        .unwrap_or_else(|| panic!("the page has #{id}: {html}"))
}

#[sqlx::test(migrations = false)]
async fn a_founder_pays_an_electricity_bill_once_and_downloads_its_receipt_which_no_one_else_can(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let account = site
        .money
        .funded_account(client_id_of(&site.services, "founder1").await, "1000000.00")
        .await;
    site.money
        .funded_account(client_id_of(&site.services, "founder2").await, "0.00")
        .await;
    let mut founder = site.signed_in("founder1", "en").await;

    let (status, html) = founder.page(&site.url("/bills")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/bills\""), "the menu has the entry");
    assert!(html.contains("Utilities") && html.contains("Hududiy elektr tarmoqlari AJ"));
    assert!(html.contains("State duties") && html.contains("Fines") && html.contains("Taxes"));
    assert!(html.contains("You have not paid any invoice yet."));

    let (status, html) = founder
        .page(&site.url("/bills?invoice_number=elec-5501-1126"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Invoice ELEC-5501-1126"), "{html}");
    assert!(html.contains("Elektr energiyasi, noyabr"));
    assert_eq!(element_text(&html, "invoice-amount"), "UZS\u{a0}186,400.00");
    assert_eq!(element_text(&html, "invoice-status"), "to be paid");
    assert!(html.contains(&format!("<option value=\"{account}\"")));
    let key = hidden(&html, "idempotency_key");
    let form = [
        ("invoice_number", "ELEC-5501-1126"),
        ("from_account", account.as_str()),
        ("idempotency_key", key.as_str()),
    ];
    let paid = founder.post(&site.url("/bills/pay"), &form).await;
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    let result = location(&paid);
    assert!(result.starts_with("/bills/payments/"), "{result}");
    let again = founder.post(&site.url("/bills/pay"), &form).await;
    assert_eq!(
        location(&again),
        result,
        "the same form sent twice pays once"
    );

    let (status, html) = founder.page(&site.url(&result)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Paid: the payee has confirmed the payment."));
    let confirmation = element_text(&html, "confirmation-number");
    assert!(confirmation.starts_with("SB-"), "{confirmation}");
    assert!(html.contains("Download the receipt (PDF)"));
    let receipt_path = format!("{result}/receipt.pdf");
    assert!(html.contains(&format!("href=\"{receipt_path}\"")));

    let receipt = founder.get(&site.url(&receipt_path)).await;
    assert_eq!(receipt.status(), StatusCode::OK);
    assert_eq!(receipt.headers()[CONTENT_TYPE], "application/pdf");
    let id = result.trim_start_matches("/bills/payments/");
    assert_eq!(
        receipt.headers()[CONTENT_DISPOSITION].to_str().unwrap(),
        format!("attachment; filename=\"receipt-{id}.pdf\"")
    );
    assert!(receipt.bytes().await.unwrap().starts_with(b"%PDF"));

    let (_, html) = founder.page(&site.url("/bills")).await;
    assert!(html.contains(&format!("href=\"{result}\">ELEC-5501-1126</a>")));
    assert!(html.contains(&format!("href=\"{receipt_path}\"")));
    assert_eq!(
        html.matches("<td class=\"payment-state\">paid</td>")
            .count(),
        1,
        "one payment, paid: {html}"
    );
    let (_, html) = founder
        .page(&site.url(&format!("/accounts/{account}")))
        .await;
    assert!(
        html.contains("UZS\u{a0}813,600.00"),
        "the bill left the account"
    );

    let (status, html) = founder
        .page(&site.url("/bills?invoice_number=ELEC-5501-1126"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("This invoice is already paid: there is nothing to pay."));
    assert!(!html.contains("id=\"pay-form\""));
    let fresh_key = [
        ("invoice_number", "ELEC-5501-1126"),
        ("from_account", account.as_str()),
        ("idempotency_key", "0123456789abcdef0123456789abcdef"),
    ];
    let twice = founder.post(&site.url("/bills/pay"), &fresh_key).await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    assert!(twice
        .text()
        .await
        .unwrap()
        .contains("This invoice is already paid."));

    let mut stranger = site.signed_in("founder2", "en").await;
    for path in [result.clone(), receipt_path] {
        let (status, _) = stranger.page(&site.url(&path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, html) = stranger.page(&site.url("/bills")).await;
    assert!(
        !html.contains(&result),
        "another client's payment is not listed"
    );
}

#[sqlx::test(migrations = false)]
async fn paid_expired_and_unknown_invoices_and_short_money_are_told_in_the_readers_language(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let account = site
        .money
        .funded_account(client_id_of(&site.services, "founder1").await, "1000.00")
        .await;
    let mut founder = site.signed_in("founder1", "ru").await;

    let (status, html) = founder
        .page(&site.url("/bills?invoice_number=ELEC-5501-0926"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(element_text(&html, "invoice-status"), "просрочен");
    assert!(html.contains("Срок этого счёта истёк"), "{html}");
    assert!(!html.contains("id=\"pay-form\""), "no pay button");

    let (_, html) = founder
        .page(&site.url("/bills?invoice_number=GAS-3307-1126"))
        .await;
    assert_eq!(element_text(&html, "invoice-status"), "оплачен");
    assert!(!html.contains("id=\"pay-form\""));

    let (status, html) = founder
        .page(&site.url("/bills?invoice_number=NOPE-0000-0000"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("value=\"NOPE-0000-0000\""),
        "the number is kept"
    );
    assert_eq!(
        element_text(&html, "invoice-number-error"),
        "Счёта на оплату с таким номером нет: сверьте номер с квитанцией."
    );
    let (status, html) = founder
        .page(&site.url("/bills?invoice_number=%3Cscript%3E"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Номер счёта на оплату состоит из букв"));
    assert!(
        !html.contains("value=\"<script>"),
        "the typed text is escaped"
    );

    let (_, html) = founder
        .page(&site.url("/bills?invoice_number=TAX-2026-1203"))
        .await;
    let key = hidden(&html, "idempotency_key");
    let refused = founder
        .post(
            &site.url("/bills/pay"),
            &[
                ("invoice_number", "TAX-2026-1203"),
                ("from_account", &account),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert_eq!(
        element_text(&html, "pay-from-error"),
        "На счёте недостаточно средств."
    );
    assert!(
        html.contains("id=\"pay-form\""),
        "the invoice can still be paid"
    );
    assert_ne!(hidden(&html, "idempotency_key"), key, "with a fresh key");
}
