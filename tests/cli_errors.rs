//! Bad configuration stops a service with one clear line and no backtrace.

use std::process::Command;

fn imkon(arguments: &[&str], environment: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imkon"));
    command
        .args(arguments)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in environment {
        command.env(name, value);
    }
    let output = command.output().expect("the launcher runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_one_clear_line(stderr: &str, expected: &str) {
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in {stderr:?}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr:?}");
}

#[test]
fn a_missing_database_url_names_the_setting() {
    let (code, stderr) = imkon(&["serve", "accounts"], &[]);
    assert_eq!(code, 1);
    assert_one_clear_line(&stderr, "IMKON_ACCOUNTS_DATABASE_URL");
}

fn trusted_keys() -> String {
    let key = imkon_auth::SigningKey::generate(imkon_auth::KeyId::parse("cli-test").unwrap());
    imkon_auth::PublicKeySet::new([key.public_key()])
        .unwrap()
        .to_jwks_json()
}

#[test]
fn missing_trusted_token_keys_are_named() {
    let (code, stderr) = imkon(
        &["serve", "scoring"],
        &[
            (
                "IMKON_SCORING_DATABASE_URL",
                "postgres://x@127.0.0.1:1/scoring",
            ),
            ("RUST_LOG", "off"),
        ],
    );
    assert_eq!(code, 1);
    assert_one_clear_line(&stderr, "IMKON_SCORING_TOKEN_PUBLIC_KEYS");
}

#[test]
fn an_unreachable_database_is_named() {
    let keys = trusted_keys();
    let (code, stderr) = imkon(
        &["serve", "scoring"],
        &[
            ("IMKON_SCORING_TOKEN_PUBLIC_KEYS", &keys),
            (
                "IMKON_SCORING_DATABASE_URL",
                "postgres://x@127.0.0.1:1/scoring",
            ),
            ("IMKON_SCORING_LISTEN_ADDR", "127.0.0.1:0"),
            ("RUST_LOG", "off"),
        ],
    );
    assert_eq!(code, 1);
    assert_one_clear_line(&stderr, "cannot reach the database 127.0.0.1:1/scoring");
}

#[test]
fn a_port_in_use_says_which_setting_to_change() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = imkon(
        &["serve", "onboarding"],
        &[
            (
                "IMKON_ONBOARDING_DATABASE_URL",
                "postgres://x@127.0.0.1:1/o",
            ),
            ("IMKON_ONBOARDING_LISTEN_ADDR", &addr),
            ("RUST_LOG", "off"),
        ],
    );
    assert_eq!(code, 1);
    assert_one_clear_line(
        &stderr,
        "set IMKON_ONBOARDING_LISTEN_ADDR to a free address",
    );
}

#[test]
fn an_unknown_command_prints_the_usage() {
    let (code, stderr) = imkon(&["fly"], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("usage:"), "{stderr}");
}

#[test]
fn a_bad_broker_setting_for_the_dead_letter_tool_is_named() {
    let (code, stderr) = imkon(
        &["dead-letters"],
        &[("IMKON_NATS_STREAM_REPLICAS", "9"), ("RUST_LOG", "off")],
    );
    assert_eq!(code, 1);
    assert_one_clear_line(&stderr, "nats_stream_replicas");
    let (code, stderr) = imkon(&["dead-letters", "replay", "first"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`first` is not a sequence number"),
        "{stderr}"
    );
}
