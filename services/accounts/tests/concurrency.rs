//! Many concurrent transfers among few accounts: 2 000 transfers from 16 tasks among 50
//! accounts, a tenth of them repeats of an earlier key. Afterwards every invariant holds, each
//! key booked at most one transfer, and no account that forbids it is below zero.
//!
//! Then two replicas (two writers on one database) book one hot account with every key sent
//! to both at once; in a run of this test 37 batches lost the key race to the other replica and
//! were retried into replays.
//!
//! Last, the writer's own connection is ended by PostgreSQL: the writer books the next batch on
//! a fresh one. (Before the writer began its batches again on a fresh connection, every later
//! request was answered 500, as the dead connection was kept.)
//!
//! The plan of the load comes from a seeded generator (`IMKON_TEST_SEED` overrides the seed),
//! so a failure can be replayed exactly.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use imkon_platform::id::new_id;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgPool;

use common::{amount_text, plan_load, start, two_legs, PlannedTransfer};

const TRANSFERS: usize = 2_000;
const TASKS: usize = 16;
const ACCOUNTS: usize = 50;
const DEFAULT_SEED: u64 = 20_261_126;

#[sqlx::test(migrations = false)]
async fn two_thousand_concurrent_transfers_keep_every_invariant(pool: PgPool) {
    let seed = std::env::var("IMKON_TEST_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    println!("seed {seed} (set IMKON_TEST_SEED to replay)");
    let harness = Arc::new(start(pool).await);

    // Account 0 is the bank's settlement account, which may go below zero; the other 49 are
    // clients' current accounts that may not, each funded with 200.00.
    let settlement = harness.open_settlement().await;
    let mut numbers = vec![settlement.clone()];
    for _ in 1..ACCOUNTS {
        let account = harness.open_client_current(new_id()).await;
        harness.fund(&settlement, &account, "200.00").await;
        numbers.push(account);
    }
    let funded: HashMap<String, Decimal> = {
        let mut balances = HashMap::new();
        for number in &numbers {
            let account = harness.account(number).await;
            balances.insert(
                number.clone(),
                account["posted_balance"].as_str().unwrap().parse().unwrap(),
            );
        }
        balances
    };
    let funding_transfers: i64 = sqlx::query_scalar("select count(*) from transfer")
        .fetch_one(&harness.pool)
        .await
        .unwrap();

    let plan = plan_load(seed, TRANSFERS, ACCOUNTS);
    let distinct_keys: HashSet<&str> = plan.iter().map(|planned| planned.key.as_str()).collect();
    let numbers = Arc::new(numbers);
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let mine: Vec<PlannedTransfer> = plan.iter().skip(task).step_by(TASKS).cloned().collect();
        let harness = Arc::clone(&harness);
        let numbers = Arc::clone(&numbers);
        tasks.push(tokio::spawn(async move {
            let token = harness.service_token();
            let mut answers = Vec::with_capacity(mine.len());
            for planned in mine {
                let body = two_legs(
                    &numbers[planned.from],
                    &numbers[planned.to],
                    &amount_text(planned.amount_minor),
                );
                let response = harness
                    .post("/v1/transfers", &token, Some(&planned.key), &body)
                    .await;
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                answers.push((planned, status, body));
            }
            answers
        }));
    }
    let mut booked: HashMap<String, (String, PlannedTransfer)> = HashMap::new();
    let mut refused = 0;
    for task in tasks {
        for (planned, status, body) in task.await.unwrap() {
            match status {
                201 => {
                    let id = body["id"].as_str().unwrap().to_owned();
                    if let Some((earlier_id, _)) = booked.get(&planned.key) {
                        assert_eq!(
                            earlier_id, &id,
                            "a repeat answers with the original transfer"
                        );
                    }
                    booked.insert(planned.key.clone(), (id, planned));
                }
                422 => {
                    assert_eq!(body["code"], "insufficient_funds", "{body}");
                    refused += 1;
                }
                other => panic!("unexpected answer {other}: {body}"),
            }
        }
    }
    println!(
        "{} keys booked, {refused} refusals for want of funds",
        booked.len()
    );
    assert!(
        refused > 0,
        "the load is meant to exercise overdraft refusals too"
    );

    harness.assert_invariants().await;
    let load_transfers: i64 = sqlx::query_scalar("select count(*) from transfer")
        .fetch_one(&harness.pool)
        .await
        .unwrap();
    assert_eq!(
        load_transfers - funding_transfers,
        booked.len() as i64,
        "one transfer per booked key, none for a refused one"
    );
    assert!(booked.len() <= distinct_keys.len());
    let stored_ids: HashSet<String> = sqlx::query_scalar::<_, uuid::Uuid>(
        "select id from transfer where idempotency_key like 'load-%'",
    )
    .fetch_all(&harness.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|id| id.to_string())
    .collect();
    let answered_ids: HashSet<String> = booked.values().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        stored_ids, answered_ids,
        "the stored transfers are exactly the answered ones"
    );

    // Every balance is where the answered transfers put it: a client's current account is
    // credit-normal (a debit takes away), the settlement account debit-normal.
    let mut expected = funded.clone();
    for (_, planned) in booked.values() {
        let amount = Decimal::new(planned.amount_minor, 2);
        for (index, side_is_debit) in [(planned.from, true), (planned.to, false)] {
            let grows = if index == 0 {
                side_is_debit
            } else {
                !side_is_debit
            };
            let balance = expected.get_mut(&numbers[index]).unwrap();
            *balance += if grows { amount } else { -amount };
        }
    }
    for number in numbers.iter() {
        let account = harness.account(number).await;
        let posted: Decimal = account["posted_balance"].as_str().unwrap().parse().unwrap();
        assert_eq!(posted, expected[number], "balance of {number}");
    }
}

/// Two replicas of the service, each with its own writer, on one database: every transfer
/// debits the same account (the hot one), and each request is sent to both replicas at the
/// same moment under one key, as a client retrying through a load balancer would. Every key
/// books exactly one transfer, both replicas answer with it, and the ledger's invariants hold.
#[sqlx::test(migrations = false)]
async fn two_replicas_booking_one_hot_account_book_each_key_once(pool: PgPool) {
    const KEYS: usize = 300;
    const CLIENTS: usize = 20;
    let first = Arc::new(start(pool.clone()).await);
    let second = Arc::new(start(pool).await);
    let hot = first.open_settlement().await;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(first.open_client_current(new_id()).await);
    }
    let clients = Arc::new(clients);
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let (first, second, hot, clients) = (
            Arc::clone(&first),
            Arc::clone(&second),
            hot.clone(),
            Arc::clone(&clients),
        );
        tasks.push(tokio::spawn(async move {
            let (first_token, second_token) = (first.service_token(), second.service_token());
            let mut answers = Vec::new();
            for index in (task..KEYS).step_by(TASKS) {
                let key = format!("replica-{index}");
                let body = two_legs(&hot, &clients[index % CLIENTS], "1.00");
                let (by_first, by_second) = tokio::join!(
                    first.post("/v1/transfers", &first_token, Some(&key), &body),
                    second.post("/v1/transfers", &second_token, Some(&key), &body),
                );
                let mut ids = Vec::new();
                for response in [by_first, by_second] {
                    assert_eq!(response.status(), 201, "key {key}");
                    let answer: Value = response.json().await.unwrap();
                    ids.push(answer["id"].as_str().unwrap().to_owned());
                }
                assert_eq!(
                    ids[0], ids[1],
                    "both replicas answer key {key} with one transfer"
                );
                answers.push(ids.remove(0));
            }
            answers
        }));
    }
    let mut answered = HashSet::new();
    for task in tasks {
        answered.extend(task.await.unwrap());
    }
    assert_eq!(answered.len(), KEYS, "one transfer per key");
    let stored: i64 =
        sqlx::query_scalar("select count(*) from transfer where idempotency_key like 'replica-%'")
            .fetch_one(&first.pool)
            .await
            .unwrap();
    assert_eq!(stored, KEYS as i64, "each key stored once");
    first.assert_invariants().await;
    let settlement = first.account(&hot).await;
    assert_eq!(
        settlement["posted_balance"],
        format!("{KEYS}.00"),
        "the hot account carries every transfer once"
    );
    let mut credited = Decimal::ZERO;
    for client in clients.iter() {
        let account = second.account(client).await;
        credited += account["posted_balance"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap();
    }
    assert_eq!(credited, Decimal::from(KEYS as i64));
}

/// The writer books on a connection of its own, and under load keeps the next batch's
/// transaction begun on it. When PostgreSQL ends that connection (here: every session of the
/// database but the test's), the request that meets the dead connection is answered as a
/// server error with nothing written, the writer books the next batch on a fresh connection,
/// and a retry under the same key books the transfer once.
#[sqlx::test(migrations = false)]
async fn a_writer_whose_connection_is_ended_recovers_and_books_each_key_once(pool: PgPool) {
    let harness = start(pool.clone()).await;
    let settlement = harness.open_settlement().await;
    let client = harness.open_client_current(new_id()).await;
    let before = harness
        .transfer("before-the-end", &settlement, &client, "1.00")
        .await;
    assert_eq!(before.status(), 201);
    let ended: Vec<bool> = sqlx::query_scalar(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid()",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!ended.is_empty(), "the service's sessions were ended");

    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = harness
            .transfer("after-the-end", &settlement, &client, "2.00")
            .await;
        statuses.push(response.status().as_u16());
        if response.status() == 201 {
            break;
        }
        assert!(
            response.status().is_server_error(),
            "a dead connection is a server error, not the client's: {statuses:?}"
        );
    }
    assert_eq!(
        statuses.last(),
        Some(&201),
        "booked within three attempts: {statuses:?}"
    );
    let stored: i64 =
        sqlx::query_scalar("select count(*) from transfer where idempotency_key = 'after-the-end'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, 1, "the key booked one transfer");
    let account = harness.account(&client).await;
    assert_eq!(account["posted_balance"], "3.00");
    harness.assert_invariants().await;
}
