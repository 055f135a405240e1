//! The Kubernetes manifests against the code they deploy: each service's NetworkPolicy admits
//! exactly the callers the auth policy lets call it, every service has a Deployment and its
//! migrations in the migration Job, the ConfigMap routes events as the launcher does, and keys
//! come from onboarding's published set rather than a copy in the manifests. `scripts/check-deploy` validates the manifests'
//! shape; these tests keep their content true when the policy or the services change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use imkon::SERVICES;
use imkon_auth::{policy, Audience};

fn base_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy/kubernetes/base")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The workloads a NetworkPolicy document admits: the `app.kubernetes.io/name` labels under
/// its `ingress:` rules.
fn admitted(document: &str) -> BTreeSet<String> {
    let (_, ingress) = document
        .split_once("\n  ingress:\n")
        .expect("a callers policy has ingress rules");
    ingress
        .lines()
        .filter_map(|line| line.trim().strip_prefix("app.kubernetes.io/name: "))
        .map(str::to_owned)
        .collect()
}

/// Who may call `service`: the service clients the policy grants tokens for it, the frontend
/// (every page is a call on a visitor's behalf), and at onboarding every service, which asks
/// it for service tokens.
fn expected_callers(service: &str) -> BTreeSet<String> {
    let audience: Audience = service.parse().expect("a service name is an audience");
    let mut callers: BTreeSet<String> = policy::SERVICE_CLIENTS
        .iter()
        .filter(|client| client.may_call(audience) || service == imkon_onboarding::SERVICE)
        .map(|client| client.client.to_owned())
        .filter(|client| client != service)
        .collect();
    callers.insert(imkon_frontend::SERVICE.to_owned());
    callers
}

#[test]
fn each_service_admits_exactly_the_callers_the_auth_policy_allows() {
    let policies = base_file("network-policies.yaml");
    for (service, _) in SERVICES {
        let marker = format!("name: {service}-callers\n");
        let document = policies
            .split("\n---\n")
            .find(|document| document.contains(&marker))
            .unwrap_or_else(|| panic!("no NetworkPolicy {service}-callers"));
        assert_eq!(
            admitted(document),
            expected_callers(service),
            "the NetworkPolicy of {service} and shared/auth/src/policy.rs disagree"
        );
    }
}

#[test]
fn the_policy_for_a_service_that_only_the_frontend_calls_admits_nobody_else() {
    // Scoring is called by applications (policy) and the frontend: never by disbursement,
    // accounts or onboarding, whose compromise must not reach it.
    let callers = expected_callers(imkon_scoring::SERVICE);
    assert!(callers.contains("applications"));
    for outsider in ["disbursement", "accounts", "onboarding"] {
        assert!(
            !callers.contains(outsider),
            "{outsider} may not call scoring"
        );
    }
}

#[test]
fn every_service_is_deployed_and_migrated_before_rollout() {
    let job = base_file("migrate-job.yaml");
    let kustomization = base_file("kustomization.yaml");
    for (service, _) in SERVICES {
        let deployment = base_file(&format!("{service}.yaml"));
        assert!(
            deployment.contains(&format!("args: [\"serve\", \"{service}\"]")),
            "{service}.yaml does not run `imkon serve {service}`"
        );
        assert!(
            job.contains(&format!("args: [\"migrate\", \"{service}\"]")),
            "the migration Job does not migrate {service}"
        );
        assert!(
            kustomization.contains(&format!("  - {service}.yaml\n")),
            "the base kustomization leaves out {service}.yaml"
        );
    }
}

/// The settings file the ConfigMap `imkon-config` mounts, as TOML.
fn configured_settings() -> toml::Table {
    let config = base_file("config.yaml");
    let (_, file) = config
        .split_once("  imkon.toml: |\n")
        .expect("the ConfigMap holds imkon.toml");
    let text: String = file
        .lines()
        .take_while(|line| !line.starts_with("---"))
        .map(|line| format!("{}\n", line.strip_prefix("    ").unwrap_or(line)))
        .collect();
    text.parse().expect("imkon.toml in the ConfigMap is TOML")
}

#[test]
fn the_configmap_sends_events_through_the_deployed_broker_on_every_nats_server() {
    let settings = configured_settings();
    let common = &settings["common"];
    assert_eq!(common["event_transport"].as_str(), Some("nats"));
    assert!(
        common.get("nats_url").is_none(),
        "each service's broker address carries its password, so it comes from its Secret"
    );
    for service in ["onboarding", "applications", "disbursement", "accounts"] {
        let deployment = base_file(&format!("{service}.yaml"));
        let (_, after) = deployment
            .split_once("- name: IMKON_NATS_URL\n")
            .unwrap_or_else(|| panic!("{service} is given IMKON_NATS_URL"));
        let reference: String = after.lines().take(4).collect::<Vec<_>>().join("\n");
        assert!(
            reference.contains(&format!("name: imkon-{service}"))
                && reference.contains("key: nats-url"),
            "{service}'s broker address comes from its own Secret: {reference}"
        );
    }
    assert!(
        common.get("event_subscribers").is_none(),
        "HTTP routing is for `imkon up`; over NATS each service's consumer picks its topics"
    );
    let nats = base_file("nats.yaml");
    assert!(
        nats.contains("  name: nats\n"),
        "the NATS Service is named nats"
    );
    assert!(nats.contains("replicas: 3"), "three NATS servers");
    assert_eq!(common["nats_stream_replicas"].as_integer(), Some(3));
}

#[test]
fn services_fetch_onboardings_key_set_and_no_manifest_carries_a_copy() {
    let settings = configured_settings();
    assert_eq!(
        settings["common"]["token_jwks_url"].as_str(),
        Some("http://onboarding:8080/.well-known/jwks.json")
    );
    for (service, _) in SERVICES {
        let deployment = base_file(&format!("{service}.yaml"));
        assert!(
            !deployment.contains("TOKEN_PUBLIC_KEYS"),
            "{service}.yaml pins a key set, which a rotation would leave stale"
        );
    }
    let onboarding = base_file("onboarding.yaml");
    assert!(
        onboarding.contains("key: token-key-sealing-key"),
        "onboarding cannot generate keys without its sealing key"
    );
}

#[test]
fn frontend_replicas_share_their_sessions_in_the_database() {
    let frontend = base_file("frontend.yaml");
    for setting in ["IMKON_DATABASE_URL", "IMKON_SESSION_ENCRYPTION_KEY"] {
        assert!(
            frontend.contains(&format!("- name: {setting}\n")),
            "the frontend Deployment does not set {setting}"
        );
    }
}

/// The topics a NATS user of `nats.yaml` may publish, by user.
fn broker_publishers() -> BTreeMap<String, BTreeSet<String>> {
    let nats = base_file("nats.yaml");
    let mut publishers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut user = String::new();
    for line in nats.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("user: ") {
            user = name.to_owned();
            publishers.entry(user.clone()).or_default();
        }
        if let Some(topic) = line
            .strip_prefix("\"imkon.events.")
            .and_then(|rest| rest.split_once('"'))
            .map(|(topic, _)| topic)
        {
            publishers
                .get_mut(&user)
                .expect("a permission inside a user")
                .insert(topic.to_owned());
        }
    }
    publishers
}

#[test]
fn each_services_nats_user_publishes_exactly_the_topics_the_auth_policy_gives_it() {
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (topic, publisher) in policy::TOPIC_PUBLISHERS {
        expected
            .entry(publisher.to_string())
            .or_default()
            .insert(topic.to_string());
    }
    let mut deployed = broker_publishers();
    assert_eq!(
        deployed.remove("operator"),
        Some(BTreeSet::new()),
        "the operators' user publishes no event"
    );
    assert_eq!(deployed, expected);
}
