//! The real binary is killed with SIGKILL in the middle of a load and started again: every
//! transfer that was answered 201 is there exactly once, nothing unanswered is half-applied,
//! and the ledger's invariants hold. Then every request is sent again, and each key still
//! books at most one transfer.

mod common;

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use imkon_auth::{Audience, KeyId, Principal, PublicKeySet, SigningKey, TokenIssuer};
use imkon_platform::auth_settings::DEFAULT_TOKEN_ISSUER;
use imkon_platform::id::new_id;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::process::{Child, Command};

use common::{amount_text, assert_ledger_invariants, plan_load, two_legs, PlannedTransfer};

const ACCOUNTS: usize = 20;
const TASKS: usize = 16;
const TRANSFERS: usize = 2_000;
/// Kill the service once this many transfers have been answered 201.
const KILL_AFTER_BOOKED: usize = 300;
const SEED: u64 = 7_031;

struct Service {
    child: Child,
    base_url: String,
}

/// The database URL of the test's own database, on the server DATABASE_URL names.
fn database_url(pool: &PgPool) -> String {
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL names the test server");
    let database = pool
        .connect_options()
        .get_database()
        .expect("a test pool names its database")
        .to_owned();
    let (without_database, _) = server.rsplit_once('/').expect("a URL with a database path");
    format!("{without_database}/{database}")
}

fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

async fn start_service(database_url: &str, address: &str, jwks: &str) -> Service {
    let child = Command::new(env!("CARGO_BIN_EXE_imkon-accounts"))
        .env("IMKON_ACCOUNTS_DATABASE_URL", database_url)
        .env("IMKON_ACCOUNTS_LISTEN_ADDR", address)
        .env("IMKON_ACCOUNTS_TOKEN_PUBLIC_KEYS", jwks)
        // The outbox relay's credentials: required at start, never used here, since no
        // event has a subscriber without `event_subscribers`.
        .env("IMKON_ACCOUNTS_ONBOARDING_URL", "http://127.0.0.1:9")
        .env(
            "IMKON_ACCOUNTS_SERVICE_CLIENT_SECRET",
            "unused-in-this-test",
        )
        .env("IMKON_ACCOUNTS_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the accounts binary starts");
    let service = Service {
        child,
        base_url: format!("http://{address}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        let ready = client
            .get(format!("{}/health/ready", service.base_url))
            .send()
            .await;
        if ready.is_ok_and(|response| response.status() == 200) {
            return service;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the service did not become ready");
}

/// What the load saw for one request.
#[derive(Debug)]
enum Answer {
    Booked(String),
    Refused,
    /// The connection broke: the service died before answering.
    Lost,
}

async fn send(
    client: &reqwest::Client,
    base_url: &str,
    token: &str,
    numbers: &[String],
    planned: &PlannedTransfer,
) -> Answer {
    let body = two_legs(
        &numbers[planned.from],
        &numbers[planned.to],
        &amount_text(planned.amount_minor),
    );
    let response = client
        .post(format!("{base_url}/v1/transfers"))
        .bearer_auth(token)
        .header("idempotency-key", &planned.key)
        .json(&body)
        .send()
        .await;
    let Ok(response) = response else {
        return Answer::Lost;
    };
    let status = response.status().as_u16();
    let Ok(body) = response.json::<Value>().await else {
        return Answer::Lost;
    };
    match status {
        201 => Answer::Booked(body["id"].as_str().unwrap().to_owned()),
        422 => {
            assert_eq!(body["code"], "insufficient_funds", "{body}");
            Answer::Refused
        }
        other => panic!("unexpected answer {other}: {body}"),
    }
}

#[sqlx::test(migrations = false)]
async fn a_killed_service_loses_no_answered_transfer_and_half_applies_none(pool: PgPool) {
    let key = SigningKey::generate(KeyId::parse("crash-test").unwrap());
    let jwks = PublicKeySet::new([key.public_key()])
        .unwrap()
        .to_jwks_json();
    let issuer = TokenIssuer::new(key, DEFAULT_TOKEN_ISSUER).unwrap();
    let token = issuer
        .issue(
            &Principal::service(new_id(), Some("disbursement".to_owned())).unwrap(),
            Audience::Accounts,
            Duration::from_secs(600),
        )
        .unwrap()
        .as_str()
        .to_owned();
    let database_url = database_url(&pool);
    let address = free_address();
    let mut service = start_service(&database_url, &address, &jwks).await;
    let client = reqwest::Client::new();

    // A settlement account that may go below zero, and client accounts funded with 300.00.
    let open = |owner: Value, kind: &str, allow_negative: bool| {
        let request = client
            .post(format!("{}/v1/accounts", service.base_url))
            .bearer_auth(&token)
            .header("idempotency-key", new_id().to_string())
            .json(&json!({"owner": owner, "kind": kind, "currency": "UZS", "allow_negative": allow_negative}));
        async move {
            let account: Value = request.send().await.unwrap().json().await.unwrap();
            account["number"].as_str().unwrap().to_owned()
        }
    };
    let settlement = open(json!({"kind": "bank"}), "bank_settlement", true).await;
    let mut numbers = vec![settlement.clone()];
    for _ in 1..ACCOUNTS {
        let account = open(
            json!({"kind": "client", "client_id": new_id()}),
            "client_current",
            false,
        )
        .await;
        let funding = PlannedTransfer {
            key: format!("funding-{account}"),
            from: 0,
            to: numbers.len(),
            amount_minor: 30_000,
        };
        numbers.push(account);
        assert!(matches!(
            send(&client, &service.base_url, &token, &numbers, &funding).await,
            Answer::Booked(_)
        ));
    }
    let numbers = Arc::new(numbers);

    let plan = plan_load(SEED, TRANSFERS, ACCOUNTS);
    let booked_count = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let mine: Vec<PlannedTransfer> = plan.iter().skip(task).step_by(TASKS).cloned().collect();
        let (client, token, numbers) = (client.clone(), token.clone(), Arc::clone(&numbers));
        let (base_url, booked_count) = (service.base_url.clone(), Arc::clone(&booked_count));
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for planned in mine {
                let answer = send(&client, &base_url, &token, &numbers, &planned).await;
                let lost = matches!(answer, Answer::Lost);
                if matches!(answer, Answer::Booked(_)) {
                    booked_count.fetch_add(1, Ordering::SeqCst);
                }
                answers.push((planned, answer));
                if lost {
                    break;
                }
            }
            answers
        }));
    }
    let halfway = async {
        while booked_count.load(Ordering::SeqCst) < KILL_AFTER_BOOKED {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(600), halfway)
        .await
        .expect("the load reaches the kill point within ten minutes");
    service.child.start_kill().expect("SIGKILL the service");
    service.child.wait().await.unwrap();

    let mut answered: HashMap<String, String> = HashMap::new();
    let mut lost: Vec<PlannedTransfer> = Vec::new();
    for task in tasks {
        for (planned, answer) in task.await.unwrap() {
            match answer {
                Answer::Booked(id) => {
                    if let Some(earlier) = answered.insert(planned.key.clone(), id.clone()) {
                        assert_eq!(earlier, id, "a repeat answers with the original transfer");
                    }
                }
                Answer::Refused => {}
                Answer::Lost => lost.push(planned),
            }
        }
    }
    println!(
        "{} keys answered 201, {} requests lost to the kill",
        answered.len(),
        lost.len()
    );
    assert!(
        !lost.is_empty(),
        "the kill happened in the middle of the load"
    );

    // Every answered transfer is there exactly once, with both its entries.
    for (key, id) in &answered {
        let stored: Vec<(uuid::Uuid, i64)> = sqlx::query_as(
            "select t.id, (select count(*) from entry e where e.transfer_id = t.id)
             from transfer t where t.idempotency_key = $1",
        )
        .bind(key)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(stored.len(), 1, "key {key} booked exactly once");
        assert_eq!(stored[0].0.to_string(), *id);
        assert_eq!(stored[0].1, 2, "both legs of {key} are booked");
    }
    // Nothing is half-applied: every transfer has all its legs, whether answered or not.
    let partial: i64 = sqlx::query_scalar(
        "select count(*) from transfer t
         where (select count(*) from entry e where e.transfer_id = t.id) <> 2",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(partial, 0, "no transfer is half-applied");
    assert_ledger_invariants(&pool).await;

    // Started again, the service answers the answered and the lost requests once more: a key
    // booked before the kill is replayed, not booked again.
    let service = start_service(&database_url, &address, &jwks).await;
    let resent = plan
        .iter()
        .filter(|planned| answered.contains_key(&planned.key))
        .chain(&lost);
    for planned in resent {
        if let Answer::Booked(id) =
            send(&client, &service.base_url, &token, &numbers, planned).await
        {
            if let Some(before) = answered.get(&planned.key) {
                assert_eq!(
                    before, &id,
                    "key {} replays its transfer after the restart",
                    planned.key
                );
            }
        }
    }
    let repeated_keys: i64 = sqlx::query_scalar(
        "select count(*) from (select 1 from transfer group by idempotency_key having count(*) > 1) repeated",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(repeated_keys, 0);
    assert_ledger_invariants(&pool).await;
    drop(service);
}
