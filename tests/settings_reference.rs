//! README's settings reference names exactly the settings the code reads: a setting added to
//! the code without a row, or a row left behind for a setting no longer read, fails here.
//!
//! The code's settings are found in the sources of the services, the frontend, the platform
//! kit and the launcher: every string literal passed straight to a reader of `Settings`
//! (`get_or`, `require`, `require_secret`, `raw`, and onboarding's `seconds` helper over
//! `get_or`) and every `…_SETTING` constant.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const READERS: [&str; 5] = ["get_or(", "require(", "require_secret(", "raw(", "seconds("];
const SOURCE_DIRS: [&str; 8] = [
    "src",
    "shared/platform/src",
    "frontend/src",
    "services/onboarding/src",
    "services/applications/src",
    "services/scoring/src",
    "services/disbursement/src",
    "services/accounts/src",
];

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
    {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The setting name in a string literal at the start of `text` (after whitespace), if any.
fn leading_name(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('"')?;
    let name = &rest[..rest.find('"')?];
    let is_name = !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
    is_name.then_some(name)
}

fn settings_in_code() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in SOURCE_DIRS {
        rust_files(&root.join(dir), &mut files);
    }
    let mut names = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("a readable source file");
        for reader in READERS {
            for (at, _) in source.match_indices(reader) {
                // `reader` must be the whole method name, not the tail of a longer one.
                let before = source[..at].chars().next_back();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                if let Some(name) = leading_name(&source[at + reader.len()..]) {
                    names.insert(name.to_owned());
                }
            }
        }
        for (at, _) in source.match_indices("_SETTING: &str =") {
            if let Some(name) = leading_name(&source[at + "_SETTING: &str =".len()..]) {
                names.insert(name.to_owned());
            }
        }
    }
    names
}

fn settings_in_readme() -> BTreeSet<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let (_, section) = readme
        .split_once("### Settings reference\n")
        .expect("README has a settings reference");
    section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .filter_map(|row| {
            let cell = row.split('|').nth(1)?.trim();
            Some(cell.trim_matches('`').to_owned())
        })
        .collect()
}

#[test]
fn the_readme_settings_reference_names_every_setting_the_code_reads_and_no_other() {
    let code = settings_in_code();
    let readme = settings_in_readme();
    let undocumented: Vec<_> = code.difference(&readme).collect();
    let stale: Vec<_> = readme.difference(&code).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "read by the code but not in README's settings reference: {undocumented:?}; \
         in the reference but read nowhere: {stale:?}"
    );
    // The scan itself must find the settings every service needs, or it proves nothing.
    for essential in ["database_url", "token_public_keys", "second_factor_key"] {
        assert!(code.contains(essential), "the scan missed {essential}");
    }
}
