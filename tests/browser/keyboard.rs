//! The invite flow by keyboard alone, and how dialogs treat focus: they take it when they
//! open, keep it inside, close on Escape and give it back to the button that opened them.

use fantoccini::key::Key;

use crate::harness::{Browser, In, Suite};
use crate::helpers::{Backend, PASSWORD};
use crate::invite::user_management;

const SWITCH: &str = "button \"Allow users to signup automatically\"";
const INVITE: &str = "button \"+ Invite User\"";
const SEND: &str = "button \"Send Invites\"";

/// Whether focus is inside the open dialog.
async fn focus_in_dialog(browser: &Browser) -> bool {
    browser
        .eval("const e = document.activeElement; return !!(e && e.closest('dialog[open]'));")
        .await
        == true
}

/// Waits until htmx has wired up the focused element (content it swapped in a moment ago gets
/// its handlers as the swap settles; a key pressed before that does nothing).
async fn htmx_ready(browser: &Browser) {
    browser
        .until("htmx to process the focused button", || async {
            let ready = browser
                .eval("const d = document.activeElement['htmx-internal-data']; return !!(d && d.initHash);")
                .await;
            (ready == true).then_some(())
        })
        .await
}

/// The description (as `Browser::focused` gives it) of the open dialog's first control.
async fn first_control(browser: &Browser) -> String {
    let first = browser
        .eval(
            "const d = document.querySelector('dialog[open]');\n\
             const c = d.querySelector('button, a[href], input:not([type=hidden]), select, textarea');\n\
             const label = c.getAttribute('aria-label') || (c.labels && c.labels[0] && c.labels[0].innerText) || c.innerText || '';\n\
             return c.tagName.toLowerCase() + ' ' + JSON.stringify(label.trim().replace(/\\s+/g, ' '));",
        )
        .await;
    first.as_str().unwrap_or_default().to_owned()
}

#[actix_web::test]
async fn the_invite_flow_works_by_keyboard_alone() {
    let Some(suite) =
        Suite::start("the_invite_flow_works_by_keyboard_alone", Backend::Sqlite).await
    else {
        return;
    };
    let app = &suite.app;
    app.setup_first_org("Acme", "olive@acme.test").await;
    let browser = suite.browser().await;
    browser.sign_in(app, "olive@acme.test", PASSWORD).await;
    browser.goto("/users").await;
    user_management(&browser).await;

    // The Confirm dialog: takes focus, Escape closes it and focus returns to the switch.
    browser.tab_to(SWITCH, 30).await;
    browser.press(&[Key::Enter]).await;
    browser.dialog("Turn off automatic sign-up?").await;
    assert!(focus_in_dialog(&browser).await, "the dialog takes focus");
    browser.press(&[Key::Escape]).await;
    browser.no_dialog().await;
    assert_eq!(
        browser.focused().await,
        SWITCH,
        "focus returns to the switch"
    );
    browser.press(&[Key::Enter]).await;
    browser.dialog("Turn off automatic sign-up?").await;
    browser.tab_to("button \"Confirm\"", 5).await;
    browser.press(&[Key::Enter]).await;
    browser.no_dialog().await;
    browser
        .toast("Automatic sign-up is off. You can now invite users.")
        .await;
    assert_eq!(
        browser.focused().await,
        SWITCH,
        "focus returns to the switch (re-rendered off) after Confirm"
    );

    // Invite User: focus moves in and stays in (Tab from the last control wraps to the first).
    browser.tab_to(INVITE, 5).await;
    htmx_ready(&browser).await;
    browser.press(&[Key::Enter]).await;
    browser.dialog("Invite User").await;
    assert!(focus_in_dialog(&browser).await, "the dialog takes focus");
    let first = first_control(&browser).await;
    browser.tab_to(SEND, 60).await;
    browser.press(&[Key::Tab]).await;
    assert_eq!(
        browser.focused().await,
        first,
        "Tab from the last control returns to the first"
    );
    assert!(focus_in_dialog(&browser).await);
    browser.press_shifted(Key::Tab).await;
    assert_eq!(
        browser.focused().await,
        SEND,
        "Shift+Tab from the first control returns to the last"
    );
    browser.press(&[Key::Escape]).await;
    browser.no_dialog().await;
    assert_eq!(
        browser.focused().await,
        INVITE,
        "focus returns to + Invite User"
    );

    // The whole invite: open, fill one row, tick a role and a license with Space, send.
    browser.press(&[Key::Enter]).await;
    browser.dialog("Invite User").await;
    browser.tab_to("input \"First name, row 1\"", 10).await;
    browser.type_text("Kim").await;
    browser.press(&[Key::Tab]).await;
    assert_eq!(browser.focused().await, "input \"Last name, row 1\"");
    browser.type_text("Keys").await;
    browser.press(&[Key::Tab]).await;
    assert_eq!(browser.focused().await, "input \"Email, row 1\"");
    browser.type_text("kim@acme.test").await;
    browser.tab_to("input \"Agent\"", 10).await;
    browser.press(&[Key::Space]).await;
    browser.tab_to("input \"Dialer\"", 5).await;
    browser.press(&[Key::Space]).await;
    browser
        .until("Dialer to count the ticked seat", || async {
            browser
                .visible("//dialog[@open]//li[strong='Dialer'][contains(., '2 of 3 available')]")
                .await
        })
        .await;
    browser.tab_to(SEND, 60).await;
    browser.press(&[Key::Enter]).await;
    browser.toast("Invite has been sent").await;
    browser.no_dialog().await;
    let row = browser.row("kim@acme.test").await.text().await.unwrap();
    assert!(row.contains("Kim Keys") && row.contains("Pending"), "{row}");
    assert!(browser.is_on(In::Page, "Show Only Active Users").await);
    browser.close().await;
}
