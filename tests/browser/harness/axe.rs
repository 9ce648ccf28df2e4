//! axe-core (npm `axe-core`, pinned in tests/browser/package.json) run inside the page: any
//! serious or critical violation fails the test with the rule, its help and the nodes' HTML.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use super::Browser;

pub fn script_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js")
}

fn script() -> &'static str {
    static SCRIPT: OnceLock<String> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let source = std::fs::read_to_string(script_path()).expect("read axe.min.js");
        // WebDriver runs the script as a function body; axe attaches itself to `window`.
        format!("{source}\n;return typeof window.axe === 'object';")
    })
}

const RUN: &str = r#"
const done = arguments[arguments.length - 1];
// A toast fading out (.leaving, gone a moment later) is no text anyone reads.
axe.run({ exclude: [['.toast.leaving']] }, { resultTypes: ['violations'] })
  .then(r => done(r.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({ id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
                 nodes: v.nodes.map(n => ({ html: n.html, target: n.target.join(' '), why: n.failureSummary })) }))))
  .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), url: '', nodes: [] }]));
"#;

impl Browser {
    /// The serious and critical violations axe finds on the page as it is now.
    pub async fn axe_violations(&self, what: &str) -> Vec<Value> {
        let loaded = self
            .eval("return typeof window.axe === 'object';")
            .await
            .as_bool()
            .unwrap_or(false);
        if !loaded {
            if !self.javascript {
                // With JavaScript switched off the page's timers never fire, and axe waits on
                // setTimeout; run those callbacks as microtasks (which do run) instead.
                self.eval(
                    "window.setTimeout = function (f) { const a = [].slice.call(arguments, 2);\n\
                     Promise.resolve().then(function () { f.apply(null, a); }); return 0; };\n\
                     window.clearTimeout = function () {}; return true;",
                )
                .await;
            }
            let ok = self.eval(script()).await;
            assert_eq!(ok, Value::Bool(true), "axe-core did not load on {what}");
        }
        let violations = self
            .client
            .execute_async(RUN, vec![])
            .await
            .unwrap_or_else(|e| panic!("axe.run on {what}: {e}"));
        violations.as_array().cloned().unwrap_or_default()
    }

    /// Runs axe on the page as it is now (an open dialog included) and fails on any serious
    /// or critical violation. `what` names the screen in the failure message.
    pub async fn axe(&self, what: &str) {
        let violations = self.axe_violations(what).await;
        if violations.is_empty() {
            return;
        }
        let mut report = format!(
            "{}: axe found {} serious/critical violation(s) on {what} ({}):\n",
            self.test,
            violations.len(),
            self.path().await
        );
        for v in &violations {
            report.push_str(&format!(
                "- [{}] {}: {} ({})\n",
                v["impact"].as_str().unwrap_or(""),
                v["id"].as_str().unwrap_or(""),
                v["help"].as_str().unwrap_or(""),
                v["url"].as_str().unwrap_or("")
            ));
            for node in v["nodes"].as_array().into_iter().flatten() {
                report.push_str(&format!(
                    "    {}\n      at {}\n      {}\n",
                    node["html"].as_str().unwrap_or(""),
                    node["target"].as_str().unwrap_or(""),
                    node["why"].as_str().unwrap_or("").replace('\n', "\n      ")
                ));
            }
        }
        panic!("{report}");
    }
}

/// The check itself works: an image without a text alternative on a page is reported.
#[actix_web::test]
async fn axe_reports_a_known_violation() {
    let name = "axe_reports_a_known_violation";
    let Some(suite) = super::Suite::start(name, crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let browser = suite.browser().await;
    browser.goto("/login").await;
    assert!(browser.axe_violations("the sign-in page").await.is_empty());
    browser
        .eval("document.querySelector('main').appendChild(document.createElement('img')).src = '/static/app.css'; return true;")
        .await;
    let ids: Vec<String> = browser
        .axe_violations("the sign-in page with a bad image")
        .await
        .iter()
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect();
    assert!(
        ids.contains(&"image-alt".to_owned()),
        "axe reported {ids:?}"
    );
    browser.close().await;
}
