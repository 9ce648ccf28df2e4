//! Finding and using things on a page by what a person sees: labels, button text, accessible
//! names, dialogs by title. Every lookup waits (up to `TIMEOUT`) instead of sleeping.

use std::future::Future;
use std::time::Instant;

use fantoccini::elements::Element;
use fantoccini::Locator;
use serde_json::Value;

use super::{Browser, TIMEOUT};

/// `s` as an XPath string literal (XPath 1.0 has no escapes).
pub fn lit(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// Where to look: the whole page, the open dialog, or the section headed by the given text.
#[derive(Clone, Copy)]
pub enum In {
    Page,
    Dialog,
    Section(&'static str),
}

impl In {
    fn prefix(self) -> String {
        match self {
            In::Page => String::new(),
            In::Dialog => "//dialog[@open]".into(),
            In::Section(heading) => format!(
                "//section[.//*[self::h2 or self::h3][normalize-space(.)={}]]",
                lit(heading)
            ),
        }
    }
}

fn button_xpath(scope: In, label: &str) -> String {
    let l = lit(label);
    format!(
        "{}//*[self::button or self::a or self::summary or @role='button'][normalize-space(.)={l} or @aria-label={l}]",
        scope.prefix()
    )
}

/// A text field, select or text area by its label (`<label for>`, a wrapping label, or
/// `aria-label`).
fn field_xpath(scope: In, label: &str) -> String {
    let l = lit(label);
    format!(
        "{}//*[self::input or self::select or self::textarea][not(@type='hidden')]\
         [@id=//label[normalize-space(.)={l}]/@for or @aria-label={l} or ancestor::label[normalize-space(.)={l}]]",
        scope.prefix()
    )
}

/// A checkbox, radio or switch by its label text or accessible name.
fn check_xpath(scope: In, label: &str) -> String {
    let l = lit(label);
    let p = scope.prefix();
    format!(
        "{p}//label[normalize-space(.)={l}]//input[@type='checkbox' or @type='radio'] \
         | {p}//input[@type='checkbox' or @type='radio'][@aria-label={l} or @id=//label[normalize-space(.)={l}]/@for] \
         | {p}//*[@role='switch'][not(self::input)][normalize-space(.)={l} or @aria-label={l}]"
    )
}

/// A checkbox labelled `label` inside the fieldset whose legend is `legend` (the label's own
/// text, so "Dialer" finds "Dialer (2 of 3 left)").
fn group_check_xpath(scope: In, legend: &str, label: &str) -> String {
    let l = lit(label);
    format!(
        "{}//fieldset[legend[normalize-space(.)={}]]//label[normalize-space(.)={l} or normalize-space(text()[1])={l}]//input",
        scope.prefix(),
        lit(legend),
    )
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current path (with the query, if any).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload");
    }

    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `check` until it gives `Some`, or fails the test after `TIMEOUT` saying `what`.
    pub async fn until<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if Instant::now() >= deadline {
                let report = self.report().await;
                panic!(
                    "{}: timed out after {TIMEOUT:?} waiting for {what}\n{report}",
                    self.test
                );
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// What the page looked like when a wait failed (URL, visible text; a screenshot file).
    async fn report(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : ''",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let shot = std::env::temp_dir().join(format!("gatehouse-browser-{}.png", self.test));
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(&shot, png);
        }
        let text: String = text.chars().take(3000).collect();
        format!(
            "at {url} (screenshot: {})\n--- page text ---\n{text}",
            shot.display()
        )
    }

    /// The first displayed element matching `xpath`, if any now.
    pub async fn visible(&self, xpath: &str) -> Option<Element> {
        let found = self.client.find_all(Locator::XPath(xpath)).await.ok()?;
        for element in found {
            if element.is_displayed().await.unwrap_or(false) {
                return Some(element);
            }
        }
        None
    }

    /// Waits for a displayed element matching `xpath`.
    pub async fn wait_for(&self, what: &str, xpath: &str) -> Element {
        self.until(what, || self.visible(xpath)).await
    }

    /// Waits for an element matching `xpath` in the page, displayed or not (a datalist's
    /// suggestions are never displayed as elements).
    pub async fn wait_present(&self, what: &str, xpath: &str) -> Element {
        self.until(what, || async {
            self.client.find(Locator::XPath(xpath)).await.ok()
        })
        .await
    }

    /// Waits until nothing displayed matches `xpath`.
    pub async fn wait_gone(&self, what: &str, xpath: &str) {
        self.until(what, || async {
            self.visible(xpath).await.is_none().then_some(())
        })
        .await
    }

    pub async fn button(&self, scope: In, label: &str) -> Element {
        self.wait_for(
            &format!("a button or link {label:?}"),
            &button_xpath(scope, label),
        )
        .await
    }

    pub async fn has_button(&self, scope: In, label: &str) -> bool {
        self.visible(&button_xpath(scope, label)).await.is_some()
    }

    pub async fn click(&self, scope: In, label: &str) {
        let button = self.button(scope, label).await;
        button
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {label:?}: {e}"));
    }

    pub async fn field(&self, scope: In, label: &str) -> Element {
        self.wait_for(
            &format!("a field labelled {label:?}"),
            &field_xpath(scope, label),
        )
        .await
    }

    /// Replaces a field's text with `value`.
    pub async fn fill(&self, scope: In, label: &str, value: &str) {
        let field = self.field(scope, label).await;
        field.clear().await.expect("clear field");
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type into {label:?}: {e}"));
    }

    /// Picks the option whose text is `option` in the select labelled `label`.
    pub async fn choose(&self, scope: In, label: &str, option: &str) {
        let select = self.field(scope, label).await;
        select
            .find(Locator::XPath(&format!(
                ".//option[normalize-space(.)={}]",
                lit(option)
            )))
            .await
            .unwrap_or_else(|e| panic!("no option {option:?} in {label:?}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("choose {option:?} in {label:?}: {e}"));
    }

    pub async fn checkbox(&self, scope: In, label: &str) -> Element {
        self.wait_for(
            &format!("a checkbox or switch labelled {label:?}"),
            &check_xpath(scope, label),
        )
        .await
    }

    /// Ticks (or unticks) the box `label` in the group `legend`.
    pub async fn tick_in(&self, scope: In, legend: &str, label: &str) {
        self.wait_for(
            &format!("the checkbox {label:?} in {legend:?}"),
            &group_check_xpath(scope, legend, label),
        )
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("tick {label:?} in {legend:?}: {e}"));
    }

    /// Whether a checkbox is ticked or a switch is on.
    pub async fn is_on(&self, scope: In, label: &str) -> bool {
        let element = self.checkbox(scope, label).await;
        match element.attr("aria-checked").await.ok().flatten() {
            Some(state) if element.tag_name().await.ok().as_deref() != Some("input") => {
                state == "true"
            }
            _ => element.is_selected().await.unwrap_or(false),
        }
    }

    /// Clicks a checkbox or switch until it is in state `on` (one click when it is not).
    pub async fn set_check(&self, scope: In, label: &str, on: bool) {
        if self.is_on(scope, label).await != on {
            self.checkbox(scope, label)
                .await
                .click()
                .await
                .unwrap_or_else(|e| panic!("click {label:?}: {e}"));
        }
    }

    /// The open dialog whose heading is `title`.
    pub async fn dialog(&self, title: &str) -> Element {
        self.wait_for(
            &format!("the dialog {title:?}"),
            &format!(
                "//dialog[@open][.//*[self::h1 or self::h2][normalize-space(.)={}]]",
                lit(title)
            ),
        )
        .await
    }

    /// Waits until the dialog has closed and is gone: the app removes a dialog in its
    /// `close` event, which comes a moment after the dialog stops showing (focus goes back
    /// to the opener then).
    pub async fn no_dialog(&self) {
        self.until("the dialog to close", || async {
            let found = self
                .client
                .find_all(Locator::XPath("//dialog"))
                .await
                .ok()?;
            found.is_empty().then_some(())
        })
        .await
    }

    /// Waits for a toast saying exactly `message`.
    pub async fn toast(&self, message: &str) {
        self.wait_for(
            &format!("the toast {message:?}"),
            &format!("//*[@id='toasts']/*[normalize-space(.)={}]", lit(message)),
        )
        .await;
    }

    /// Waits until the visible page text contains `text`.
    pub async fn sees(&self, text: &str) {
        self.until(&format!("the text {text:?}"), || async {
            let body = self
                .client
                .execute("return document.body.innerText", vec![])
                .await
                .ok()?;
            body.as_str()?.contains(text).then_some(())
        })
        .await
    }

    /// The list row of the person with this email.
    pub fn row_xpath(email: &str) -> String {
        format!("//table//tr[td[normalize-space(.)={}]]", lit(email))
    }

    pub async fn row(&self, email: &str) -> Element {
        self.wait_for(&format!("the row of {email}"), &Self::row_xpath(email))
            .await
    }

    /// Waits until the page has loaded and, where scripts run, htmx is ready.
    pub async fn settled(&self) {
        let script = if self.javascript {
            "return document.readyState === 'complete' && typeof window.htmx === 'object';"
        } else {
            "return document.readyState === 'complete';"
        };
        self.until("the page to finish loading", || async {
            (self.client.execute(script, vec![]).await.ok()? == true).then_some(())
        })
        .await
    }
}
