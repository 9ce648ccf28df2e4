//! The walls between layers, checked on the source: services and stores (and the licenses,
//! audit and mail rooms) know nothing of the web, so the API, SCIM and single sign-on can call
//! the same use cases as the pages. The mail room's `views.rs` renders the emails and is the
//! one place there that may use the template engine.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read");
            (path.to_string_lossy().replace('\\', "/"), text)
        })
        .collect()
}

/// Whether the file belongs to a layer that must not know the web.
fn web_free(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let room = |room: &str| path.starts_with(&format!("src/{room}/"));
    name.starts_with("service")
        || name.starts_with("store")
        || room("licenses")
        || room("audit")
        || (room("mail") && name != "views.rs")
}

#[test]
fn services_stores_and_the_licenses_audit_and_mail_rooms_import_nothing_from_the_web() {
    let mut offences = Vec::new();
    for (path, text) in sources() {
        if !web_free(&path) {
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for forbidden in ["actix_web", "actix_session", "askama", "crate::web"] {
                // The name itself, not a longer one it starts (`crate::webhooks`).
                let named = code.match_indices(forbidden).any(|(at, _)| {
                    !code[at + forbidden.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                });
                if named {
                    offences.push(format!("{path}:{}: {}", number + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "these lines reach into the web layer:\n{}",
        offences.join("\n")
    );
}

#[test]
fn no_source_file_grows_past_400_lines() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| text.lines().count() > 400)
        .map(|(path, text)| format!("{path}: {} lines", text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "split these by action (see STYLE):\n{}",
        long.join("\n")
    );
}

#[test]
fn the_web_toolkit_alone_writes_htmx_headers_and_wakes_the_mail_worker() {
    let mut offences = Vec::new();
    for (path, text) in sources() {
        if path.starts_with("src/web/") {
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            let lowered = line.to_lowercase();
            if lowered.contains("\"hx-") || line.contains("mail_wakeup.notify") {
                offences.push(format!("{path}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "use web::htmx::Hx (headers) and let mail::store::enqueue wake the worker:\n{}",
        offences.join("\n")
    );
}
