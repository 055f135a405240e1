//! The pages, by audience: `public` (anyone), `founder`, `staff`, `admin`, and `members` (a
//! resource several audiences open at the same address, each seeing what their roles allow).
//! Each audience's folder owns its routes ([`routes`] merges them); what more than one page
//! needs lives a layer down, in `shared`, and no page module imports another.
//!
//! The layers, top to bottom: `pages` (audience folders, then `shared`), `clients` (one per
//! service), `web` (sessions, cookies, security, languages, formats, timing). A layer imports
//! only those below it; the test at the end of this file keeps it so.

pub mod admin;
pub mod founder;
pub mod members;
pub mod public;
pub mod shared;
pub mod staff;

use axum::Router;

use crate::web::security::RefusalPages;
use crate::AppState;

/// Every page's route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(public::routes())
        .merge(founder::routes())
        .merge(members::routes())
        .merge(staff::routes())
        .merge(admin::routes())
}

/// The pages the CSRF check answers its refusals with.
pub const REFUSAL_PAGES: RefusalPages = RefusalPages {
    error: shared::error_response,
    control_character: shared::control_character_response,
};

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every `.rs` file under `dir`, with its path relative to `src/`.
    fn sources(root: &Path, dir: &Path, found: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(root, &path, found);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.push((relative, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }

    /// The modules of the crate a source names: `crate::a::b` in `use` lines and in paths,
    /// with a `use` group's members (`crate::pages::{shared, staff}`) each named.
    fn crate_paths(source: &str) -> Vec<String> {
        let mut paths = Vec::new();
        for (start, _) in source.match_indices("crate::") {
            let rest = &source[start + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{'))
                .unwrap_or(rest.len());
            let path = rest[..end].trim_end_matches(':');
            match path.split_once('{') {
                Some((prefix, _)) => {
                    let group_end = rest.find('}').unwrap_or(rest.len());
                    for member in rest[prefix.len() + 1..group_end].split(',') {
                        let member = member.trim();
                        if !member.is_empty() {
                            paths.push(format!("{prefix}{member}"));
                        }
                    }
                }
                None => paths.push(path.to_owned()),
            }
        }
        paths
    }

    /// What a source file may not name: `web` neither clients nor pages, `clients` no page,
    /// `pages/shared` no audience folder, and a page module no other page module.
    fn forbidden(file: &str, path: &str) -> bool {
        let segments: Vec<&str> = file.trim_end_matches(".rs").split('/').collect();
        let target: Vec<&str> = path.split("::").collect();
        match segments.as_slice() {
            ["web", ..] => matches!(target[0], "clients" | "pages" | "AppState"),
            ["clients", ..] => matches!(target[0], "pages" | "AppState"),
            ["pages", "shared", ..] => {
                target[0] == "pages" && target.get(1).is_some_and(|folder| *folder != "shared")
            }
            ["pages", "mod"] => false,
            ["pages", audience, module] => {
                target[0] == "pages"
                    && target.get(1).is_some_and(|folder| *folder != "shared")
                    && !(*module == "mod" && target.get(1) == Some(audience))
                    && !(target.get(1) == Some(audience) && target.get(2) == Some(module))
            }
            _ => false,
        }
    }

    #[test]
    fn each_layer_imports_only_the_layers_beneath_it_and_no_page_imports_another() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root, &root, &mut files);
        assert!(files.len() > 20, "the scan found the sources");
        let mut violations = Vec::new();
        for (file, source) in &files {
            for path in crate_paths(source) {
                if forbidden(file, &path) {
                    violations.push(format!("{file} uses crate::{path}"));
                }
            }
        }
        assert!(violations.is_empty(), "{violations:#?}");
    }

    #[test]
    fn the_layering_check_catches_each_kind_of_violation() {
        assert!(forbidden("web/session.rs", "clients::api::CallError"));
        assert!(forbidden("web/security.rs", "pages::shared::render"));
        assert!(forbidden("clients/api.rs", "pages::shared::PageError"));
        assert!(forbidden("pages/shared/mod.rs", "pages::staff::reviews"));
        assert!(forbidden(
            "pages/staff/reviews.rs",
            "pages::staff::portfolio::x"
        ));
        assert!(forbidden("pages/founder/kyc.rs", "pages::staff::kyc_cases"));
        assert!(!forbidden(
            "pages/founder/kyc.rs",
            "pages::shared::kyc_case::Case"
        ));
        assert!(!forbidden("pages/staff/mod.rs", "pages::staff::reviews"));
        assert!(!forbidden("clients/api.rs", "web::timing::send_timed"));
        assert_eq!(
            crate_paths(
                "use crate::pages::{shared, staff::reviews};\nlet x = crate::web::format::f();"
            ),
            ["pages::shared", "pages::staff::reviews", "web::format::f"]
        );
    }
}
