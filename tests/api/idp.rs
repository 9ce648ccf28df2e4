//! The OpenID Connect provider of the SSO tests: `tests/oidc/provider.mjs` (oauth2-mock-server
//! on loopback) started as a child process, told on its stdin what the next ID token says;
//! shared by the API and browser suites.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

/// The provider process: commands on its stdin, "ok" back on its stdout.
pub struct Idp {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub issuer: String,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn oidc_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// Installs the provider's npm packages once (as `.ci/run` does), if they are missing.
fn installed() -> bool {
    static ONCE: std::sync::Mutex<Option<bool>> = std::sync::Mutex::new(None);
    let mut done = ONCE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(ok) = *done {
        return ok;
    }
    let dir = oidc_dir();
    let ok = dir.join("node_modules/oauth2-mock-server").exists()
        || Command::new("npm")
            .args([
                "ci",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
    *done = Some(ok);
    ok
}

impl Idp {
    /// Starts the provider, or `None` where Node or the package is missing and the suite does
    /// not require them (`.ci/run` sets GATEHOUSE_REQUIRE_BROWSER, and then they must be there).
    pub fn start() -> Option<Idp> {
        let required = std::env::var("GATEHOUSE_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        if !installed() {
            assert!(
                !required,
                "oauth2-mock-server is missing: npm ci --prefix tests/oidc"
            );
            eprintln!("skipped: oauth2-mock-server is not installed (npm ci --prefix tests/oidc)");
            return None;
        }
        let mut child = match Command::new("node")
            .arg(oidc_dir().join("provider.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                assert!(!required, "node cannot run: {e}");
                return None;
            }
        };
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("provider starts");
        let issuer = line
            .trim()
            .strip_prefix("ISSUER ")
            .expect("issuer")
            .to_owned();
        Some(Idp {
            child,
            stdin,
            stdout,
            issuer,
        })
    }

    fn command(&mut self, command: serde_json::Value) {
        writeln!(self.stdin, "{command}").expect("command");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("ok");
        assert_eq!(line.trim(), "ok");
    }

    /// What the next ID token says besides the usual (`sub`, `email`, `email_verified` …).
    pub fn next(&mut self, mods: serde_json::Value) {
        self.command(json!({ "next": mods }));
    }

    pub fn person(&mut self, sub: &str, email: &str) {
        self.next(json!({ "claims": { "sub": sub, "email": email, "email_verified": true } }));
    }

    pub fn rotate(&mut self) {
        self.command(json!({ "rotate": true }));
    }
}

/// Adds the provider in Settings → Sign-in as the signed-in Owner; its id.
pub async fn add_provider(app: &TestApp, org_id: i64, idp: &Idp) -> i64 {
    let response = app
        .post_form(
            "/settings/sign-in",
            &[
                ("preset", "generic"),
                ("name", "Acme ID"),
                ("issuer", &idp.issuer),
                ("client_id", "gatehouse"),
                ("client_secret", "s3cret-client-value"),
                ("scopes", "openid email profile"),
                ("email_claim", "email"),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        response.text().await.unwrap()
    );
    app.db(move |c| gatehouse::sso::store::providers(c, org_id).unwrap()[0].id)
        .await
}
