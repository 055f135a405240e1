//! The route × role matrix, generated from the services' own OpenAPI documents: every
//! operation of every service is called without a token, with each demo role's token and with a
//! service token, and each answer must be the one the operation's documented roles promise:
//! no token → 401, a role the operation does not list → 403, a listed role → anything but
//! 401, 403 or a server error (404 and 422 are expected, since the ids and bodies are made up).
//! An operation open to anyone must never answer 401, 403 or a server error. A role the
//! operation does not list gets exactly 403, never the 400 or 422 of the made-up request: the
//! role is checked before the query or body is read, so a caller without it learns nothing of
//! how the request must look.
//!
//! The documents are the contract a generated client and the fuzzer rely on, so when this test
//! fails either the code lets the wrong people in or the document says the wrong thing.

mod support;

use std::collections::BTreeSet;

use imkon::SERVICES;
use imkon_auth::Audience;
use reqwest::Method;
use serde_json::Value;
use support::{Person, Platform};
use uuid::Uuid;

/// The demo staff and founder logins, by the role each holds alone.
const LOGINS: [(&str, &str); 6] = [
    ("client", "founder1"),
    ("kyc_officer", "kyc1"),
    ("credit_officer", "credit1"),
    ("approver", "approver1"),
    ("finance", "finance1"),
    ("admin", "admin1"),
];

/// The service whose token the matrix presents as `service` to each service: one that really
/// calls it, so that a per-service allow-list lets the call through.
fn calling_service(target: &str) -> &'static str {
    match target {
        "accounts" => "disbursement",
        "applications" => "onboarding",
        _ => "applications",
    }
}

/// Who is calling: a role's name (or `service`) and its token, or nobody.
struct Caller<'a> {
    role: Option<&'a str>,
    token: Option<String>,
}

/// A value for a parameter, from its schema: enough for the route to match and the query to
/// parse, never an id that exists.
fn sample(schema: &Value) -> String {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
        return first
            .as_str()
            .map_or_else(|| first.to_string(), str::to_owned);
    }
    match schema["format"].as_str() {
        Some("uuid") => return Uuid::now_v7().to_string(),
        Some("date") => return "2026-01-01".to_owned(),
        Some("date-time") => return "2026-01-01T00:00:00Z".to_owned(),
        _ => {}
    }
    if types.contains(&"integer") || types.contains(&"number") {
        "1".to_owned()
    } else if types.contains(&"boolean") {
        "true".to_owned()
    } else {
        "none-such".to_owned()
    }
}

/// The path with its placeholders filled and the required query parameters appended.
fn concrete_path(path: &str, operation: &Value) -> String {
    let mut concrete = path.to_owned();
    let mut query = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let name = parameter["name"].as_str().unwrap_or_default();
        match parameter["in"].as_str() {
            Some("path") => {
                concrete = concrete.replace(&format!("{{{name}}}"), &sample(&parameter["schema"]));
            }
            Some("query") if parameter["required"] == true => {
                query.push(format!("{name}={}", sample(&parameter["schema"])));
            }
            _ => {}
        }
    }
    if !query.is_empty() {
        concrete = format!("{concrete}?{}", query.join("&"));
    }
    concrete
}

/// The roles an operation documents, or `None` when it is open to anyone.
fn documented_roles(operation: &Value) -> Option<BTreeSet<String>> {
    let requirements = operation["security"].as_array()?;
    let mut roles = BTreeSet::new();
    let mut open = false;
    for requirement in requirements {
        let requirement = requirement.as_object()?;
        if requirement.is_empty() {
            open = true;
        }
        for scopes in requirement.values() {
            roles.extend(
                scopes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned),
            );
        }
    }
    (!open).then_some(roles)
}

async fn call(
    platform: &Platform,
    service: &str,
    method: &Method,
    path: &str,
    operation: &Value,
    token: Option<&str>,
) -> u16 {
    let mut request = platform
        .http
        .request(method.clone(), platform.url(service, path))
        .header("idempotency-key", Uuid::now_v7().to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let content = &operation["requestBody"]["content"];
    if content.get("application/json").is_some() {
        request = request
            .header("content-type", "application/json")
            .body("{}");
    } else if content.get("application/x-www-form-urlencoded").is_some() {
        request = request.header("content-type", "application/x-www-form-urlencoded");
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|error| panic!("{method} {service}{path}: {error}"));
    response.status().as_u16()
}

#[tokio::test]
async fn every_documented_operation_answers_each_role_as_its_roles_say() {
    let platform = Platform::start().await;
    let people: Vec<(&str, Person)> = {
        let mut people = Vec::new();
        for (role, username) in LOGINS {
            people.push((role, platform.login(username).await));
        }
        people
    };
    let mut mismatches = Vec::new();
    let mut calls = 0;
    for (service, _) in SERVICES {
        let document: Value = platform
            .http
            .get(platform.url(service, "/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let audience: Audience = service.parse().expect("every service is an audience");
        let mut callers = vec![Caller {
            role: None,
            token: None,
        }];
        for (role, person) in &people {
            callers.push(Caller {
                role: Some(role),
                token: Some(person.token(service).to_owned()),
            });
        }
        callers.push(Caller {
            role: Some("service"),
            token: Some(platform.service_token(calling_service(service), audience)),
        });
        for (path, item) in document["paths"].as_object().expect("paths") {
            if ["/health/live", "/health/ready", "/metrics", "/openapi.json"]
                .contains(&path.as_str())
            {
                continue;
            }
            for (method, operation) in item.as_object().expect("a path item") {
                let method: Method = method.to_uppercase().parse().expect("an HTTP method");
                let concrete = concrete_path(path, operation);
                let roles = documented_roles(operation);
                for caller in &callers {
                    let status = call(
                        &platform,
                        service,
                        &method,
                        &concrete,
                        operation,
                        caller.token.as_deref(),
                    )
                    .await;
                    calls += 1;
                    let who = caller.role.unwrap_or("nobody");
                    let expected = match (&roles, caller.role) {
                        (None, _) => "anything but 401, 403 or 5xx (open to anyone)",
                        (Some(_), None) => "401",
                        (Some(roles), Some(role)) if roles.contains(role) => {
                            "anything but 401, 403 or 5xx (a documented role)"
                        }
                        (Some(_), Some(_)) => "403",
                    };
                    let holds = match expected {
                        "401" => status == 401,
                        "403" => status == 403,
                        _ => !matches!(status, 401 | 403 | 500..=599),
                    };
                    if !holds {
                        mismatches.push(format!(
                            "{method} {service}{path} as {who}: {status}, documented: {expected}"
                        ));
                    }
                }
            }
        }
    }
    platform.stop().await;
    assert!(calls > 700, "only {calls} calls: are the documents empty?");
    assert!(
        mismatches.is_empty(),
        "{} of {calls} calls disagree with the documented roles:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
