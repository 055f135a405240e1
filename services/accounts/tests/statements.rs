//! Statements over HTTP: JSON pages with a cursor, CSV and PDF downloads, opening and closing
//! balances, and who may read whose.

mod common;

use chrono::Duration;
use imkon_auth::Role;
use imkon_platform::id::new_id;
use imkon_platform::testing::assert_problem;
use serde_json::Value;
use sqlx::PgPool;

use common::{pdf_text, start, Harness};

/// A client account that received five payments of 1.00 to 5.00 and paid 2.50 back.
async fn account_with_history(harness: &Harness, client_id: uuid::Uuid) -> String {
    let settlement = harness.open_settlement().await;
    let account = harness.open_client_current(client_id).await;
    for amount in ["1.00", "2.00", "3.00", "4.00", "5.00"] {
        harness.fund(&settlement, &account, amount).await;
    }
    let payback = harness
        .transfer("payback", &account, &settlement, "2.50")
        .await;
    assert_eq!(payback.status(), 201);
    account
}

#[sqlx::test(migrations = false)]
async fn a_statement_pages_through_the_period_with_a_cursor(pool: PgPool) {
    let harness = start(pool).await;
    let account = account_with_history(&harness, new_id()).await;
    let today = harness.calendar.today();
    let token = harness.staff_token(Role::Finance);
    let mut cursor: Option<String> = None;
    let mut amounts = Vec::new();
    let mut pages = 0;
    loop {
        let mut path = format!("/v1/accounts/{account}/statement?from={today}&to={today}&limit=2");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let response = harness.get(&path, &token).await;
        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.unwrap();
        assert_eq!(page["opening_balance"], "0.00");
        assert_eq!(page["closing_balance"], "12.50");
        assert_eq!(page["currency"], "UZS");
        pages += 1;
        for entry in page["entries"].as_array().unwrap() {
            amounts.push((
                entry["side"].as_str().unwrap().to_owned(),
                entry["amount"].as_str().unwrap().to_owned(),
                entry["balance_after"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let balances: Vec<&str> = amounts
        .iter()
        .map(|(_, _, balance)| balance.as_str())
        .collect();
    assert_eq!(
        balances,
        ["1.00", "3.00", "6.00", "10.00", "15.00", "12.50"]
    );
    assert_eq!(amounts[5].0, "debit");

    let tomorrow = today + Duration::days(1);
    let later: Value = harness
        .get(
            &format!("/v1/accounts/{account}/statement?from={tomorrow}&to={tomorrow}"),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        later["opening_balance"], "12.50",
        "the opening balance carries what came before"
    );
    assert_eq!(later["closing_balance"], "12.50");
    assert_eq!(later["entries"].as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = false)]
async fn a_bad_period_limit_or_cursor_is_refused(pool: PgPool) {
    let harness = start(pool).await;
    let account = account_with_history(&harness, new_id()).await;
    let token = harness.service_token();
    for (query, field) in [
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("cursor=abc", "cursor"),
        ("from=2020-01-01&to=2026-01-01", "to"),
    ] {
        let response = harness
            .get(&format!("/v1/accounts/{account}/statement?{query}"), &token)
            .await;
        let body = assert_problem(response, &[422], Some("validation_failed")).await;
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_founder_reads_their_own_statement_but_not_another_clients(pool: PgPool) {
    let harness = start(pool).await;
    let mine = new_id();
    let my_account = account_with_history(&harness, mine).await;
    let their_account = harness.open_client_current(new_id()).await;
    let founder = harness.founder_token(mine);
    let own = harness
        .get(&format!("/v1/accounts/{my_account}/statement"), &founder)
        .await;
    assert_eq!(own.status(), 200);
    for suffix in ["statement", "statement.csv", "statement.pdf"] {
        let foreign = harness
            .get(&format!("/v1/accounts/{their_account}/{suffix}"), &founder)
            .await;
        assert_problem(foreign, &[404], Some("not_found")).await;
    }
    let anonymous = harness
        .server
        .client
        .get(
            harness
                .server
                .url(&format!("/v1/accounts/{my_account}/statement")),
        )
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, &[401], None).await;
}

#[sqlx::test(migrations = false)]
async fn the_csv_download_has_the_opening_balance_every_entry_and_the_closing_balance(
    pool: PgPool,
) {
    let harness = start(pool).await;
    let client_id = new_id();
    let account = account_with_history(&harness, client_id).await;
    let response = harness
        .get(
            &format!("/v1/accounts/{account}/statement.csv"),
            &harness.founder_token(client_id),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".csv"));
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8, "{body}");
    assert_eq!(&rows[0][2], "opening_balance");
    assert_eq!(&rows[0][6], "0.00");
    assert_eq!(&rows[1][5], "1.00");
    assert_eq!(&rows[6][4], "debit");
    assert_eq!(&rows[7][2], "closing_balance");
    assert_eq!(&rows[7][6], "12.50");
}

#[sqlx::test(migrations = false)]
async fn the_pdf_download_is_in_the_readers_language_with_the_cyrillic_name_and_both_balances(
    pool: PgPool,
) {
    let harness = start(pool).await;
    let client_id = new_id();
    let settlement = harness.open_settlement().await;
    let opened = harness
        .post(
            "/v1/accounts",
            &harness.service_token(),
            Some(&new_id().to_string()),
            &serde_json::json!({
                "owner": {"kind": "client", "client_id": client_id},
                "kind": "client_current",
                "currency": "UZS",
                "allow_negative": false,
                "name": "Каримов Азиз Ботирович",
            }),
        )
        .await;
    assert_eq!(opened.status(), 201);
    let account = opened.json::<Value>().await.unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned();
    harness.fund(&settlement, &account, "1250000.00").await;
    let founder = harness.founder_token(client_id);

    let mut texts = Vec::new();
    for (query, accept_language, screenshot) in [
        ("?lang=uz-Cyrl", "en", "statement-uz-Cyrl"),
        ("", "ru-RU, ru;q=0.9", "statement-ru"),
        ("?lang=en", "ru", "statement-en"),
    ] {
        let response = harness
            .server
            .client
            .get(
                harness
                    .server
                    .url(&format!("/v1/accounts/{account}/statement.pdf{query}")),
            )
            .bearer_auth(&founder)
            .header("accept-language", accept_language)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{query}");
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let body = response.bytes().await.unwrap();
        assert!(body.starts_with(b"%PDF-"));
        texts.push(pdf_text(&body, screenshot));
    }
    let [uz_cyrl, ru, en] = <[String; 3]>::try_from(texts).unwrap();
    for text in [&uz_cyrl, &ru, &en] {
        assert!(text.contains("Каримов Азиз Ботирович"), "{text}");
        assert!(text.contains(&account), "{text}");
    }
    for heading in [
        "Ҳисоб кўчирмаси",
        "Ҳисоб эгаси",
        "Давр бошидаги қолдиқ",
        "Давр охиридаги қолдиқ",
        "Операциялар",
        "Қолдиқ",
        "1-саҳифа, жами 1",
    ] {
        assert!(uz_cyrl.contains(heading), "{heading} in {uz_cyrl}");
    }
    for heading in [
        "Выписка по счёту",
        "Владелец счёта",
        "Входящий остаток",
        "Исходящий остаток",
        "Операции",
        "Страница 1 из 1",
    ] {
        assert!(ru.contains(heading), "{heading} in {ru}");
    }
    assert!(
        ru.contains("1 250 000,00 сум") || ru.contains("1\u{a0}250\u{a0}000,00\u{a0}сум"),
        "{ru}"
    );
    assert!(uz_cyrl.contains("сўм"), "{uz_cyrl}");
    assert!(
        en.contains("Closing balance") && en.contains("UZS 1,250,000.00"),
        "{en}"
    );
    assert!(!en.contains("Выписка"));

    let unknown = harness
        .get(
            &format!("/v1/accounts/{account}/statement.pdf?lang=de"),
            &founder,
        )
        .await;
    let body = assert_problem(unknown, &[422], Some("validation_failed")).await;
    assert_eq!(body["errors"][0]["field"], "lang");
}
