//! The money pages against the real onboarding, applications, accounts and disbursement
//! services, in-process: a founder's accounts, statement and its download, another client's
//! account, the transfer confirmation with the daily limit, and the four eyes on a tranche.

mod support;

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::StatusCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use support::browser::location;
use support::services::{client_id_of, DUAL_ROLE_USERNAME};
use support::site::Site;

#[sqlx::test(migrations = false)]
async fn a_founder_sees_their_account_and_its_statement_and_downloads_it_as_csv(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    let number = site.money.funded_account(client_id, "1500000.00").await;
    let mut founder = site.signed_in("founder1", "en").await;

    let (status, html) = founder.page(&site.url("/accounts")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&number), "the account is listed");
    assert!(html.contains("UZS\u{a0}1,500,000.00"), "with its balances");
    assert!(html.contains("Daily transfer limit"));

    let (status, html) = founder
        .page(&site.url(&format!("/accounts/{number}")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("opening deposit"), "the deposit is a line");
    assert!(html.contains("Closing balance"));

    let (status, html) = founder
        .page(&site.url(&format!("/accounts/{number}?from=someday")))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"someday\""), "the typed date is kept");
    assert!(
        html.contains("Choose a date."),
        "and refused beside its field"
    );

    let download = founder
        .get(&site.url(&format!("/accounts/{number}/statement.csv")))
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(download.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert_eq!(
        download.headers()[CONTENT_DISPOSITION].to_str().unwrap(),
        format!("attachment; filename=\"statement-{number}.csv\"")
    );
    let csv = download.text().await.unwrap();
    assert!(csv.contains("opening_balance") && csv.contains("1500000.00"));
}

#[sqlx::test(migrations = false)]
async fn a_founder_who_guesses_another_clients_account_number_gets_the_not_found_page(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let other_client = client_id_of(&site.services, "founder2").await;
    let theirs = site.money.funded_account(other_client, "10.00").await;
    let mut founder = site.signed_in("founder1", "ru").await;

    for path in [
        format!("/accounts/{theirs}"),
        format!("/accounts/{theirs}/statement.csv"),
        "/accounts/12345".to_owned(),
    ] {
        let (status, html) = founder.page(&site.url(&path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("Страница не найдена"), "{path}: {html}");
    }
}

#[sqlx::test(migrations = false)]
async fn the_transfer_confirmation_shows_the_amount_the_recipient_and_the_limit_left(
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

    let (status, form) = founder.page(&site.url("/transfers/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("You can still send UZS\u{a0}50,000,000.00 today"));

    let refused = founder
        .post(
            &site.url("/transfers/new"),
            &[
                ("from_account", &mine),
                ("to_account", "00000000000000000000"),
                ("amount", "abc"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("value=\"abc\""), "what was typed is kept");
    assert!(html.contains("Enter a number"), "the amount is refused");

    let quoted = founder
        .post(
            &site.url("/transfers/new"),
            &[
                ("from_account", &mine),
                ("to_account", &theirs),
                ("amount", "250,000.50"),
            ],
        )
        .await;
    assert_eq!(quoted.status(), StatusCode::SEE_OTHER);
    let confirmation = location(&quoted);
    let (status, html) = founder.page(&site.url(&confirmation)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("UZS\u{a0}250,000.50"), "the amount");
    assert!(html.contains(&theirs), "the recipient");
    assert!(html.contains("Left today"), "the remaining daily limit");
    assert!(html.contains("UZS\u{a0}50,000,000.00"));
    assert!(
        !html.contains("confirmation_token"),
        "the one-time token stays on the server"
    );

    let confirmed = founder.post(&site.url(&confirmation), &[]).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let done = location(&confirmed);
    assert_eq!(done, format!("{confirmation}/done"));
    let again = founder.post(&site.url(&confirmation), &[]).await;
    assert_eq!(
        location(&again),
        done,
        "a second confirmation books nothing"
    );
    let (_, html) = founder.page(&site.url(&done)).await;
    assert!(html.contains("Money sent"));

    let (_, accounts) = founder.page(&site.url("/accounts")).await;
    assert!(
        accounts.contains("UZS\u{a0}649,999.50"),
        "the transfer was booked once"
    );
    assert!(
        accounts.contains("UZS\u{a0}49,749,999.50"),
        "the limit left"
    );
}

#[sqlx::test(migrations = false)]
async fn an_officer_cannot_approve_their_own_tranche_request_through_the_pages(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    site.money.funded_account(client_id, "0.00").await;
    let contract = site.money.approved_loan(client_id, "30000000.00").await;
    let path = format!("/contracts/{contract}");

    let mut founder = site.signed_in("founder1", "en").await;
    let (_, html) = founder.page(&site.url("/contracts")).await;
    assert!(html.contains(&path), "the founder's contract is listed");
    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(html.contains("Awaiting your signature"));
    let signed = site.sign(&mut founder, &path).await;
    assert_eq!(location(&signed), path);

    let mut officer = site.signed_in(DUAL_ROLE_USERNAME, "uz-Latn").await;
    let activated = officer
        .post(&site.url(&format!("{path}/activate")), &[])
        .await;
    assert_eq!(location(&activated), path);
    let requested = officer
        .post(&site.url(&format!("{path}/tranches/1/request")), &[])
        .await;
    assert_eq!(location(&requested), path);
    let (_, html) = officer.page(&site.url(&path)).await;
    assert!(html.contains("Soʻralgan"), "the tranche is requested");

    let refused = officer
        .post(&site.url(&format!("{path}/tranches/1/approve")), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Bu transhni oʻzingiz soʻragansiz"),
        "the four-eyes rule is explained in the chosen language"
    );
    assert!(
        html.contains("Soʻralgan"),
        "and the tranche is still requested"
    );
}

#[sqlx::test(migrations = false)]
async fn a_loan_is_approved_by_another_officer_paid_out_and_repaid_early_by_its_founder(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    site.money.funded_account(client_id, "0.00").await;
    let contract = site.money.approved_loan(client_id, "30000000.00").await;
    let path = format!("/contracts/{contract}");
    let mut founder = site.signed_in("founder1", "en").await;
    site.sign(&mut founder, &path).await;
    let mut requester = site.signed_in("credit1", "en").await;
    requester
        .post(&site.url(&format!("{path}/activate")), &[])
        .await;
    requester
        .post(&site.url(&format!("{path}/tranches/1/request")), &[])
        .await;

    let mut approver = site.signed_in("approver1", "en").await;
    let approved = approver
        .post(&site.url(&format!("{path}/tranches/1/approve")), &[])
        .await;
    assert_eq!(location(&approved), path, "another person may approve");
    let mut finance = site.signed_in("finance1", "en").await;
    let paid = finance
        .post(&site.url(&format!("{path}/tranches/1/disburse")), &[])
        .await;
    assert_eq!(location(&paid), path);
    let (_, html) = finance.page(&site.url(&path)).await;
    assert!(html.contains("Paid out"), "{html}");

    let (status, html) = founder.page(&site.url(&path)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Next payment: UZS"), "what is due next");
    assert!(html.contains("id=\"schedule\""), "the schedule");
    assert!(html.contains("Settle the loan early"), "{html}");
    assert!(
        html.contains("Pays off the loan on"),
        "today's settlement quote"
    );
    let (_, staff_html) = approver.page(&site.url(&path)).await;
    assert!(
        staff_html.contains("Pays off the loan on"),
        "staff see the quote too"
    );
    let (status, html) = founder
        .page(&site.url(&format!("{path}?settle_on=2000-01-01")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Choose today or a later date."), "{html}");
    assert!(!html.contains("Pays off the loan on"));
    let (status, html) = founder
        .page(&site.url(&format!("{path}?settle_on=soon")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Choose a date."), "{html}");
    let refused = founder
        .post(
            &site.url(&format!("{path}/repayments")),
            &[
                ("kind", "early"),
                ("amount", "lots"),
                ("option", "keep_term"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("value=\"lots\""), "the typed amount is kept");
    assert!(html.contains("Enter a number"));
    let repaid = founder
        .post(
            &site.url(&format!("{path}/repayments")),
            &[
                ("kind", "early"),
                ("amount", "5,000,000.00"),
                ("option", "keep_installment"),
                ("idempotency_key", "0123456789abcdef0123456789abcdef"),
            ],
        )
        .await;
    assert_eq!(
        repaid.status(),
        StatusCode::SEE_OTHER,
        "{}",
        repaid.text().await.unwrap_or_default()
    );

    let (status, html) = approver.page(&site.url("/portfolio")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Amounts paid out per month"));
    assert!(html.contains("<svg"), "the charts are drawn on the server");
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/static/progress.js\" defer>")
            .count(),
        "the charts need no script; the only one is the progress script"
    );
    let (status, html) = finance.page(&site.url("/arrears")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Days overdue"));
    let (status, _) = founder.page(&site.url("/portfolio")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "founders do not see the portfolio"
    );
}

#[sqlx::test(migrations = false)]
async fn a_new_quote_replaces_the_one_kept_in_the_session_so_quotes_never_pile_up(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let mine = site
        .money
        .funded_account(client_id_of(&site.services, "founder1").await, "900.00")
        .await;
    let theirs = site
        .money
        .funded_account(client_id_of(&site.services, "founder2").await, "0.00")
        .await;
    let mut founder = site.signed_in("founder1", "en").await;
    let url = site.url("/transfers/new");
    let first = founder
        .post(
            &url,
            &[
                ("from_account", &mine),
                ("to_account", &theirs),
                ("amount", "1.00"),
            ],
        )
        .await;
    let first = location(&first);
    let second = founder
        .post(
            &url,
            &[
                ("from_account", &mine),
                ("to_account", &theirs),
                ("amount", "2.00"),
            ],
        )
        .await;
    let second = location(&second);

    let (status, _) = founder.page(&site.url(&first)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the older quote was replaced"
    );
    let (status, html) = founder.page(&site.url(&second)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("UZS\u{a0}2.00"), "{html}");
}

#[sqlx::test(migrations = false)]
async fn a_founder_pays_part_of_what_is_due_from_the_contract_page(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    site.money.funded_account(client_id, "0.00").await;
    let contract = site.money.approved_loan(client_id, "30000000.00").await;
    let path = format!("/contracts/{contract}");
    let mut founder = site.signed_in("founder1", "en").await;
    site.sign(&mut founder, &path).await;
    // Backdated so that the first instalment fell due yesterday.
    let today = imkon_platform::calendar::BankCalendar::default().today();
    let days_ago = |days: u64| (today - chrono::Days::new(days)).to_string();
    let mut officer = site.signed_in("credit1", "en").await;
    let activated = officer
        .post(
            &site.url(&format!("{path}/activate")),
            &[
                ("disbursement_date", days_ago(20).as_str()),
                ("first_due_date", days_ago(1).as_str()),
            ],
        )
        .await;
    assert_eq!(location(&activated), path);
    officer
        .post(&site.url(&format!("{path}/tranches/1/request")), &[])
        .await;
    let mut approver = site.signed_in("approver1", "en").await;
    approver
        .post(&site.url(&format!("{path}/tranches/1/approve")), &[])
        .await;
    let mut finance = site.signed_in("finance1", "en").await;
    finance
        .post(&site.url(&format!("{path}/tranches/1/disburse")), &[])
        .await;

    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(html.contains("id=\"repay-part-form\""), "{html}");
    let paid = founder
        .post(
            &site.url(&format!("{path}/repayments")),
            &[
                ("kind", "part"),
                ("amount", "1,000.00"),
                ("idempotency_key", "0123456789abcdef0123456789abcdef"),
            ],
        )
        .await;
    assert_eq!(
        paid.status(),
        StatusCode::SEE_OTHER,
        "{}",
        paid.text().await.unwrap_or_default()
    );
    let repaid: Vec<(String, String)> = sqlx::query_as(
        "select interest::text, principal::text from repayment where contract_id = $1::uuid",
    )
    .bind(&contract)
    .fetch_all(&site.money.disbursement_pool)
    .await
    .unwrap();
    assert_eq!(
        repaid,
        [("1000.00".to_owned(), "0.00".to_owned())],
        "interest first"
    );
    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(
        html.contains("id=\"repay-part-form\""),
        "the rest is still due"
    );
}

#[sqlx::test(migrations = false)]
async fn a_founder_reads_an_upfront_fee_and_a_late_charge_on_the_contract_page_and_signs_once_the_money_is_there(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    let current = site.money.funded_account(client_id, "299999.99").await;
    let contract = site
        .money
        .approved_loan_with(
            client_id,
            "30000000.00",
            serde_json::json!({
                "arrangement_fee_percent": "1",
                "arrangement_fee_collection": "upfront",
                "late_charge": "50000.00"
            }),
        )
        .await;
    let path = format!("/contracts/{contract}");
    let mut founder = site.signed_in("founder1", "en").await;
    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(
        html.contains("UZS\u{a0}300,000.00 · Paid from the current account when signing</dd>"),
        "{html}"
    );
    assert!(
        html.contains("<dt>Charge for each instalment paid late</dt><dd id=\"contract-late-charge\">UZS\u{a0}50,000.00</dd>"),
        "{html}"
    );

    let refused = site.sign(&mut founder, &path).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("There is not enough money in the account."),
        "{html}"
    );
    assert_eq!(site.contract_status(&contract).await, "draft");

    site.money.pay_in(&current, "0.01").await;
    let signed = site.sign(&mut founder, &path).await;
    assert_eq!(location(&signed), path);
    assert_eq!(site.contract_status(&contract).await, "signed");
    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(
        html.contains("Paid from the current account when signing · collected</dd>"),
        "{html}"
    );
    let fee_income: String = sqlx::query_scalar(
        "select posted_balance::text from account where kind = 'fee_income' and currency = 'UZS'",
    )
    .fetch_one(&site.money.accounts_pool)
    .await
    .unwrap();
    assert_eq!(fee_income, "300000.00");

    // Nothing was paid out yet: the founder may still cancel, and the fee comes back.
    assert!(
        html.contains("An arrangement fee you paid when signing is refunded in full"),
        "{html}"
    );
    let cancelled = founder
        .post(
            &site.url(&format!("{path}/cancel")),
            &[("cancel_reason", "The supplier withdrew its offer.")],
        )
        .await;
    assert_eq!(location(&cancelled), path);
    assert_eq!(site.contract_status(&contract).await, "cancelled");
    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(
        html.contains("Paid from the current account when signing · collected · refunded</dd>"),
        "{html}"
    );
    assert!(
        !html.contains("id=\"cancel-form\""),
        "nothing left to cancel"
    );
    let (fee_income, current_balance): (String, String) = sqlx::query_as(
        "select (select posted_balance::text from account
                 where kind = 'fee_income' and currency = 'UZS'),
                (select posted_balance::text from account where number = $1)",
    )
    .bind(&current)
    .fetch_one(&site.money.accounts_pool)
    .await
    .unwrap();
    assert_eq!(fee_income, "0.00");
    assert_eq!(
        current_balance, "300000.00",
        "the fee is back where it came from"
    );
}

#[sqlx::test(migrations = false)]
async fn lending_staff_read_the_loan_book_and_download_it_and_founders_cannot(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    site.money.funded_account(client_id, "0.00").await;
    let contract = site.money.approved_loan(client_id, "30000000.00").await;
    site.money.pay_out(client_id, &contract).await;
    // A second loan keeps an arrangement fee back from its payout and is charged once for a
    // late instalment, recorded as the arrears job records it (its own tests run the job).
    let charged = site
        .money
        .approved_loan_with(
            client_id,
            "2000000.00",
            serde_json::json!({"arrangement_fee_fixed": "20000.00", "late_charge": "15000.00"}),
        )
        .await;
    site.money.pay_out(client_id, &charged).await;
    sqlx::query(
        "with charged as (
             update installment set late_charged_on = (now() at time zone 'Asia/Tashkent')::date
             where contract_id = $1::uuid and number = 1 returning contract_id)
         update contract set penalty_outstanding = penalty_outstanding + late_charge
         where id in (select contract_id from charged)",
    )
    .bind(&charged)
    .execute(&site.money.disbursement_pool)
    .await
    .unwrap();

    let mut officer = site.signed_in("credit1", "en").await;
    let (status, html) = officer.page(&site.url("/loan-book")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Loan book</h1>"), "{html}");
    assert!(html.contains("id=\"book-currencies\""));
    assert!(
        html.contains("UZS\u{a0}30,000,000.00"),
        "the principal paid out is outstanding: {html}"
    );
    assert!(html.contains("id=\"book-programmes\""));
    assert!(html.contains("id=\"book-months\""));
    assert!(html.contains("Late charges levied (part of penalties)</th>"));
    assert!(html.contains("Arrangement fees collected</th>"));
    let cells = |class: &str| -> Vec<String> {
        html.split(&format!("<td class=\"amount {class}\">"))
            .skip(1)
            .map(|cell| cell.split("</td>").next().unwrap().to_owned())
            .collect()
    };
    // The currency's row, then one per programme: the charged loan's, and the plain one's.
    let mut fees = cells("fees-collected");
    let mut late = cells("late-charges");
    assert_eq!(fees.remove(0), "UZS\u{a0}20,000.00");
    assert_eq!(late.remove(0), "UZS\u{a0}15,000.00");
    fees.sort();
    late.sort();
    assert_eq!(fees, ["UZS\u{a0}0.00", "UZS\u{a0}20,000.00"]);
    assert_eq!(late, ["UZS\u{a0}0.00", "UZS\u{a0}15,000.00"]);
    assert!(
        html.contains("<td class=\"amount\">UZS\u{a0}15,000.00</td>"),
        "the charge is in the penalties, once: {html}"
    );

    let download = officer.get(&site.url("/loan-book.csv")).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(download.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("loan-book.csv"));
    let csv = download.text().await.unwrap();
    assert!(csv.starts_with("contract_id,client_id,programme_id"));
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",arrangement_fee_collected,late_charges_applied"));
    let row = |id: &str| csv.lines().find(|row| row.starts_with(id)).unwrap();
    assert!(row(&contract).ends_with(",0.00,0.00"), "{csv}");
    assert!(row(&charged).ends_with(",20000.00,15000.00"), "{csv}");

    let mut approver = site.signed_in("approver1", "ru").await;
    let (status, html) = approver.page(&site.url("/loan-book")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Кредитный портфель"));

    let mut founder = site.signed_in("founder1", "en").await;
    for path in ["/loan-book", "/loan-book.csv"] {
        let (status, _) = founder.page(&site.url(path)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_founder_cancels_an_unsigned_contract_from_its_page_with_a_reason(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    site.money.funded_account(client_id, "0.00").await;
    let contract = site.money.approved_loan(client_id, "30000000.00").await;
    let path = format!("/contracts/{contract}");

    let mut founder = site.signed_in("founder1", "en").await;
    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(
        html.contains("id=\"cancel-form\""),
        "a draft can be cancelled"
    );
    let cancel = site.url(&format!("{path}/cancel"));
    let refused = founder.post(&cancel, &[("cancel_reason", "  ")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("id=\"cancel-reason-error\""), "{html}");

    let cancelled = founder
        .post(&cancel, &[("cancel_reason", "We found other funding.")])
        .await;
    assert_eq!(location(&cancelled), path);
    let (_, html) = founder.page(&site.url(&path)).await;
    assert!(html.contains("Cancelled"), "{html}");
    assert!(
        !html.contains("id=\"cancel-form\""),
        "nothing left to cancel"
    );
    assert!(
        !html.contains(&format!("action=\"{path}/sign\"")),
        "nor to sign"
    );
}

#[sqlx::test(migrations = false)]
async fn cash_at_the_counter_reaches_the_account_only_when_a_second_person_confirms_it(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let client_id = client_id_of(&site.services, "founder1").await;
    let number = site.money.funded_account(client_id, "0.00").await;
    let mut cashier = site.signed_in("finance1", "en").await;

    let (status, html) = cashier.page(&site.url("/cash-deposits")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No cash deposit is waiting."), "{html}");
    assert!(
        html.contains("href=\"/cash-deposits\""),
        "the menu names the page"
    );

    let refused = cashier
        .post(
            &site.url("/cash-deposits"),
            &[
                ("account", &number),
                ("amount", "250,000.00"),
                ("receipt_number", "bad receipt"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Enter the receipt number as printed"),
        "{html}"
    );
    assert!(
        html.contains("value=\"250,000.00\""),
        "the typed amount is kept"
    );

    let key = "0123456789abcdef0123456789abcdef";
    for _ in 0..2 {
        let recorded = cashier
            .post(
                &site.url("/cash-deposits"),
                &[
                    ("account", &number),
                    ("amount", "250,000.00"),
                    ("receipt_number", "r-2026-0042"),
                    ("idempotency_key", key),
                ],
            )
            .await;
        assert_eq!(
            recorded.status(),
            StatusCode::SEE_OTHER,
            "the form sent twice"
        );
    }
    let (_, html) = cashier.page(&site.url("/cash-deposits")).await;
    assert_eq!(
        html.matches("R-2026-0042").count(),
        1,
        "one deposit, with the receipt in capitals: {html}"
    );
    assert!(html.contains("You recorded this one"));
    assert!(
        !html.contains("Confirm and credit"),
        "not to its own recorder"
    );
    let mut founder = site.signed_in("founder1", "en").await;
    let (_, accounts) = founder.page(&site.url("/accounts")).await;
    assert!(!accounts.contains("250,000.00"), "nothing credited yet");
    let (status, _) = founder.page(&site.url("/cash-deposits")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "founders have no cash desk");

    let mut admin = site.signed_in("admin1", "en").await;
    let (_, html) = admin.page(&site.url("/cash-deposits")).await;
    assert!(html.contains("Confirm and credit"), "{html}");
    assert!(
        html.contains("href=\"/cash-deposits\""),
        "admins find the page in their menu"
    );
    let id = {
        let start = html
            .find("action=\"/cash-deposits/")
            .expect("a pending deposit")
            + "action=\"/cash-deposits/".len();
        html[start..start + 36].to_owned()
    };
    let own = cashier
        .post(&site.url(&format!("/cash-deposits/{id}/confirm")), &[])
        .await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    assert!(own.text().await.unwrap().contains("cash-notice"));
    let (_, accounts) = founder.page(&site.url("/accounts")).await;
    assert!(!accounts.contains("250,000.00"), "still nothing credited");

    let confirmed = admin
        .post(&site.url(&format!("/cash-deposits/{id}/confirm")), &[])
        .await;
    assert_eq!(location(&confirmed), "/cash-deposits");
    let (_, html) = admin.page(&site.url("/cash-deposits")).await;
    assert!(html.contains("No cash deposit is waiting."));
    let (_, accounts) = founder.page(&site.url("/accounts")).await;
    assert!(accounts.contains("UZS\u{a0}250,000.00"), "{accounts}");

    let again = cashier
        .post(
            &site.url("/cash-deposits"),
            &[
                ("account", &number),
                ("amount", "1.00"),
                ("receipt_number", "R-2026-0042"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("This receipt number was recorded with another deposit"));
}

#[sqlx::test(migrations = false)]
async fn a_founder_pays_from_their_companys_account_which_the_pages_mark_as_the_companys(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let founder_id = client_id_of(&site.services, "founder1").await;
    let personal = site.money.funded_account(founder_id, "0.00").await;
    let company = site.money.approved_company_account(founder_id).await;
    site.money.pay_in(&company, "800000.00").await;
    let mut founder = site.signed_in("founder1", "en").await;

    let (status, html) = founder.page(&site.url("/accounts")).await;
    assert_eq!(status, StatusCode::OK);
    let company_row = html
        .split("<tr>")
        .find(|row| row.contains(&company))
        .expect("the company's account is listed");
    assert!(company_row.contains("Company"), "{company_row}");
    assert!(
        !company_row.contains("/close"),
        "its only account in sums is not closed from the page"
    );
    assert!(
        html.contains("Open another account for your company"),
        "the company may hold other currencies"
    );

    let (_, form) = founder.page(&site.url("/transfers/new")).await;
    assert!(form.contains(&format!("{company} · UZS\u{a0}800,000.00 · Company")));
    let quoted = founder
        .post(
            &site.url("/transfers/new"),
            &[
                ("from_account", &company),
                ("to_account", &personal),
                ("amount", "300,000.00"),
            ],
        )
        .await;
    assert_eq!(quoted.status(), StatusCode::SEE_OTHER);
    let confirmation = location(&quoted);
    let confirmed = founder.post(&site.url(&confirmation), &[]).await;
    assert_eq!(location(&confirmed), format!("{confirmation}/done"));

    let (_, html) = founder.page(&site.url("/accounts")).await;
    let row_of = |number: &str| {
        html.split("<tr>")
            .find(|row| row.contains(number))
            .unwrap()
            .to_owned()
    };
    assert!(row_of(&company).contains("UZS\u{a0}500,000.00"));
    assert!(row_of(&personal).contains("UZS\u{a0}300,000.00"));

    let company_id = html
        .split("name=\"company_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the company's opening form names the company")
        .to_owned();
    let opened = founder
        .post(
            &site.url("/accounts/open"),
            &[
                ("currency", "USD"),
                ("name", "Export"),
                ("idempotency_key", "0190d1a2-7f3e-7c4d-9a8b-1c2d3e4f5a6b"),
                ("company_id", &company_id),
            ],
        )
        .await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let (_, html) = founder.page(&site.url("/accounts")).await;
    let dollars = html
        .split("<tr>")
        .find(|row| row.contains("Export"))
        .expect("the company's account in dollars is listed");
    assert!(
        dollars.contains("Company") && dollars.contains("USD"),
        "{dollars}"
    );
    assert!(
        dollars.contains("/close"),
        "an empty account in dollars may be closed"
    );
    let stolen = founder
        .post(
            &site.url("/accounts/open"),
            &[
                ("currency", "EUR"),
                ("idempotency_key", "0190d1a2-7f3e-7c4d-9a8b-1c2d3e4f5a6c"),
                ("company_id", &uuid::Uuid::now_v7().to_string()),
            ],
        )
        .await;
    assert_eq!(
        stolen.status(),
        StatusCode::NOT_FOUND,
        "nobody opens accounts for a company they did not found"
    );
}

#[sqlx::test(migrations = false)]
async fn the_contract_page_names_the_documents_that_backed_each_security(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let site = Site::start(pool_options, connect).await;
    let founder_id = client_id_of(&site.services, "founder1").await;
    let sha256 = "ab".repeat(32);
    let contract = site
        .money
        .approved_loan_with(
            founder_id,
            "1200000.00",
            serde_json::json!({"securities": [
                {"kind": "collateral", "collateral_type": "vehicle",
                 "description": "Chevrolet Cobalt 2022", "value": "150000000.00",
                 "guarantor_name": null, "documents": [
                    {"document_id": uuid::Uuid::now_v7(), "kind": "valuation_report",
                     "content_type": "application/pdf", "sha256": sha256},
                 ]},
                {"kind": "guarantor", "collateral_type": null,
                 "description": "The director's brother", "value": "50000000.00",
                 "guarantor_name": "Aziz Rahimov"},
            ]}),
        )
        .await;
    let mut founder = site.signed_in("founder1", "en").await;
    let (status, html) = founder
        .page(&site.url(&format!("/contracts/{contract}")))
        .await;
    assert_eq!(status, StatusCode::OK);
    let securities = html
        .split("id=\"contract-securities\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the contract lists its securities");
    assert!(securities.contains("Valuation report"), "{securities}");
    assert!(
        securities.contains(&format!("SHA-256 {sha256}")),
        "{securities}"
    );
    assert_eq!(
        securities.matches("<li><strong>").count(),
        1,
        "only the collateral has a document: {securities}"
    );
}
