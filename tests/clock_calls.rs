//! Every date comes from the bank's calendar (`imkon_platform::calendar`): no code and no test
//! takes a date from an instant by itself, reads the machine's local time, or (in the
//! services' code) reads the system clock behind its back. This test reads the sources and
//! names every stray call, so a UTC date cannot creep back in.

use std::path::{Path, PathBuf};

/// What may not appear, and why.
const FORBIDDEN_EVERYWHERE: [(&str, &str); 4] = [
    (
        ".date_naive()",
        "a date from an instant is the bank's day of it: BankCalendar::day_of or today",
    ),
    ("Local::", "the machine's local time is not the bank's"),
    (
        "chrono::Local",
        "the machine's local time is not the bank's",
    ),
    ("Utc::today", "a UTC date is not the bank's"),
];

/// In the services' own code the instant itself comes from the calendar's clock (so that
/// tests can move it) or, for a timestamp no rule reads a date from, from `id::now_utc`.
const FORBIDDEN_IN_SERVICE_CODE: [(&str, &str); 1] = [(
    "Utc::now()",
    "the current instant comes from the service's BankCalendar (its clock)",
)];

/// The one place that may do all of the above.
const CALENDAR: &str = "shared/platform/src/calendar.rs";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(root: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The directories holding the platform's code and tests, relative to the workspace.
fn roots() -> Vec<PathBuf> {
    let base = workspace();
    let mut roots = vec![base.join("src"), base.join("tests"), base.join("benches")];
    for group in ["services", "shared"] {
        for crate_dir in std::fs::read_dir(base.join(group))
            .expect("the workspace has services/ and shared/")
            .flatten()
        {
            for part in ["src", "tests", "benches"] {
                roots.push(crate_dir.path().join(part));
            }
        }
    }
    for part in ["src", "tests", "benches", "examples"] {
        roots.push(base.join("frontend").join(part));
    }
    roots
}

/// Whether `relative` is a service's (or the frontend's) own code, not a test or a benchmark.
fn is_service_code(relative: &str) -> bool {
    (relative.starts_with("services/") || relative.starts_with("frontend/"))
        && relative.contains("/src/")
        && !relative.ends_with("/testing.rs")
}

fn stray_calls() -> Vec<String> {
    let base = workspace();
    let mut files = Vec::new();
    for root in roots() {
        rust_files(&root, &mut files);
    }
    assert!(
        files.len() > 100,
        "the walk found the sources ({} files)",
        files.len()
    );
    let this_file = file!().replace('\\', "/");
    let mut stray = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(&base)
            .expect("every file is under the workspace")
            .to_string_lossy()
            .replace('\\', "/");
        if relative == CALENDAR || relative == this_file {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file is text");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let service_rules = if is_service_code(&relative) {
                &FORBIDDEN_IN_SERVICE_CODE[..]
            } else {
                &[]
            };
            for (pattern, why) in FORBIDDEN_EVERYWHERE.iter().chain(service_rules) {
                if code.contains(pattern) {
                    stray.push(format!("{relative}:{}: `{pattern}`: {why}", number + 1));
                }
            }
        }
    }
    stray
}

#[test]
fn no_code_takes_a_date_or_the_time_except_through_the_banks_calendar() {
    let stray = stray_calls();
    assert!(stray.is_empty(), "stray clock calls:\n{}", stray.join("\n"));
}

#[test]
fn the_check_sees_a_stray_call_where_one_is() {
    let code = "let today = chrono::Utc::now().date_naive();";
    assert!(FORBIDDEN_EVERYWHERE
        .iter()
        .any(|(pattern, _)| code.contains(pattern)));
    assert!(is_service_code("services/accounts/src/http/me.rs"));
    assert!(!is_service_code("services/accounts/tests/common/mod.rs"));
}
