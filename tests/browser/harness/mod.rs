//! Chromium under chromedriver for one test: the app, the driver process, and browsers with
//! fresh profiles. Everything a test starts is stopped when it ends, also when it panics.

mod axe;
mod keys;
mod mail;
mod page;

pub use page::{lit, In};

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_live_app, Backend, TestApp};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any wait polls before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Chromium's flags. Without the background-networking ones it stalls on a closed network.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
];

/// Whether this machine can run the browser tests; says why not (or fails, when required).
fn available(test: &str) -> bool {
    let why = if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        "Chromium/chromedriver not installed (run .ci/run, which installs them)"
    } else if !axe::script_path().exists() {
        "axe-core not installed (run .ci/run, which installs it, or npm ci --prefix tests/browser)"
    } else {
        return true;
    };
    if std::env::var("GATEHOUSE_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        panic!("{test}: {why}; GATEHOUSE_REQUIRE_BROWSER=1 requires the browser tests to run");
    }
    say_skipped(test, why);
    false
}

/// Prints a skip where `cargo test` shows it: straight to stderr, as the test harness swallows
/// `eprintln!` output of tests that pass.
fn say_skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
}

/// One test's world: the app (fresh database, test SMTP server) and its chromedriver.
pub struct Suite {
    pub app: TestApp,
    pub name: &'static str,
    driver: Driver,
}

impl Suite {
    /// `None` (after saying why) when the browser or the backend is not available here.
    pub async fn start(name: &'static str, backend: Backend) -> Option<Suite> {
        Self::start_app(name, backend, false).await
    }

    /// As `start`, with live updates quick enough for tests (the poller every 100 ms, a
    /// closed tab's connection stale after 3 seconds): for Activity's Live mode and presence.
    pub async fn start_live(name: &'static str, backend: Backend) -> Option<Suite> {
        Self::start_app(name, backend, true).await
    }

    async fn start_app(name: &'static str, backend: Backend, live: bool) -> Option<Suite> {
        if !available(name) {
            return None;
        }
        let app = if live {
            spawn_live_app(backend).await
        } else {
            spawn_app(backend).await
        };
        let Some(app) = app else {
            // The same words as the API suite, so `.ci/run` notices a skipped PostgreSQL run.
            say_skipped(name, "TEST_DATABASE_URL_PG is not set");
            return None;
        };
        let driver = Driver::start();
        Some(Suite { app, name, driver })
    }

    /// A new browser (its own Chromium and profile: no cookies shared with any other).
    pub async fn browser(&self) -> Browser {
        self.browser_with(Options::default()).await
    }

    pub async fn browser_with(&self, options: Options) -> Browser {
        let dir = std::env::temp_dir().join(format!(
            "gatehouse-chromium-{}-{}",
            std::process::id(),
            PROFILES.fetch_add(1, Ordering::Relaxed)
        ));
        let profile = dir.join("profile");
        let downloads = dir.join("downloads");
        std::fs::create_dir_all(&downloads).expect("browser temp dir");
        let mut args: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut prefs = json!({
            "download.default_directory": downloads.display().to_string(),
            "download.prompt_for_download": false,
        });
        if !options.javascript {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args, "prefs": prefs },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(connector())
            .capabilities(capabilities)
            .connect(&self.driver.url)
            .await
            .expect("chromedriver starts a Chromium session");
        client
            .set_window_size(options.width, options.height)
            .await
            .expect("window size");
        Browser {
            client,
            javascript: options.javascript,
            base: self.app.address.clone(),
            downloads,
            dir,
            test: self.name,
        }
    }
}

/// Plain HTTP to chromedriver on loopback: no TLS stack needed at all.
fn connector() -> hyper_util::client::legacy::connect::HttpConnector {
    hyper_util::client::legacy::connect::HttpConnector::new()
}

static PROFILES: AtomicU32 = AtomicU32::new(0);

pub struct Options {
    pub javascript: bool,
    pub width: u32,
    pub height: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            javascript: true,
            width: 1280,
            height: 900,
        }
    }
}

/// A chromedriver process on a port it picks itself (`--port=0`, read back from its output),
/// in its own process group, so that it and the Chromiums it started end with the test.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// Starts chromedriver; now and then it exits before saying its port under load, so a
    /// few tries.
    fn start() -> Driver {
        for _ in 0..3 {
            if let Some(driver) = Self::try_start() {
                return driver;
            }
        }
        panic!("chromedriver did not start three times in a row");
    }

    fn try_start() -> Option<Driver> {
        let mut child = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let stdout = child.stdout.take().expect("chromedriver stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Reads the port, then keeps draining so the pipe never fills.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some((_, port)) = line.rsplit_once("started successfully on port ") {
                    let _ = tx.send(port.trim_end_matches('.').to_owned());
                }
            }
        });
        let Ok(port) = rx.recv_timeout(TIMEOUT) else {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        };
        Some(Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // The whole group: chromedriver and every Chromium process it launched.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.wait();
    }
}

/// One Chromium session, with helpers that find things the way a person does.
pub struct Browser {
    pub client: Client,
    /// Whether the page's own scripts run (timers do not fire when they are switched off).
    javascript: bool,
    base: String,
    /// Where Chromium saves downloads.
    pub downloads: PathBuf,
    dir: PathBuf,
    test: &'static str,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Browser {
    /// Ends the session (Chromium exits).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// A Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp {
                cmd: cmd.into(),
                params,
            })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
    }

    /// Emulates a viewport of `width` x `height` CSS pixels.
    pub async fn viewport(&self, width: u32, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await;
    }

    /// Emulates `prefers-color-scheme` (`"light"` or `"dark"`).
    pub async fn color_scheme(&self, scheme: &str) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        )
        .await;
    }

    /// Saves what the viewport shows as docs/screenshots/`name`.png (overwritten each run),
    /// without toasts left from earlier steps.
    pub async fn screenshot(&self, name: &str) {
        self.eval(
            "const t = document.getElementById('toasts'); if (t) t.replaceChildren(); return true;",
        )
        .await;
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

/// `POST /session/{id}/goog/cdp/execute`, chromedriver's door to the DevTools protocol.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
