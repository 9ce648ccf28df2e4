//! Edit User: a change saved and swapped into its row in place; deactivation with Confirm, and
//! reactivation from the list with Show Only Active Users off.

use fantoccini::Locator;

use crate::harness::{Browser, In, Suite};
use crate::helpers::{Backend, Person, TestApp, PASSWORD};
use crate::invite::user_management;

const SAVED: &str = "User details have been updated successfully!";

/// An organization (Olive Owner) with two active Agents, and the Owner signed in on /users.
pub async fn org_with_people(suite: &Suite) -> (i64, Browser) {
    let app = &suite.app;
    let org_id = app.setup_first_org("Acme", "olive@acme.test").await;
    add_agents(app, org_id).await;
    let browser = suite.browser().await;
    browser.sign_in(app, "olive@acme.test", PASSWORD).await;
    browser.goto("/users").await;
    user_management(&browser).await;
    (org_id, browser)
}

async fn add_agents(app: &TestApp, org_id: i64) {
    let agent = |first, last, email, minutes| Person {
        first,
        last,
        email,
        status: "active",
        roles: &["Agent"],
        active_minutes_ago: minutes,
    };
    app.add_people(
        org_id,
        vec![
            agent("Bea", "Baker", "bea@acme.test", Some(3)),
            agent("Carl", "Clark", "carl@acme.test", Some(90)),
        ],
    )
    .await;
}

/// The status badge text of a row.
async fn status_of(browser: &Browser, email: &str) -> String {
    browser
        .row(email)
        .await
        .find(Locator::XPath(".//span[contains(@class, 'badge')]"))
        .await
        .expect("a status badge")
        .text()
        .await
        .unwrap_or_default()
}

#[actix_web::test]
async fn an_admin_edits_deactivates_and_reactivates_a_user() {
    let Some(suite) = Suite::start(
        "an_admin_edits_deactivates_and_reactivates_a_user",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let (_, browser) = org_with_people(&suite).await;
    // A marker that a page load would wipe: the row must change without one.
    browser.eval("window.samePage = true; return true;").await;

    // d. Edit, change the last name, Save: a toast, and the row updated in place.
    browser.click(In::Page, "Edit Bea Baker").await;
    browser.dialog("Edit User").await;
    browser.axe("the Edit User dialog").await;
    browser.screenshot("edit-dialog").await;
    browser.fill(In::Dialog, "Last name", "Baker-Stone").await;
    browser.click(In::Dialog, "Save").await;
    browser.toast(SAVED).await;
    browser.no_dialog().await;
    browser
        .wait_for(
            "the row to show the new name",
            "//tr[td[normalize-space(.)='bea@acme.test']]//*[normalize-space(.)='Bea Baker-Stone']",
        )
        .await;
    assert_eq!(
        browser.eval("return window.samePage === true;").await,
        true,
        "the row was updated without reloading the page"
    );

    // e. Deactivate: switching Active off asks to Confirm at once; switching it back on
    // withdraws the question; off again and Confirm, and the row leaves the active-only list.
    browser.click(In::Page, "Edit Bea Baker-Stone").await;
    browser.dialog("Edit User").await;
    assert!(browser.is_on(In::Dialog, "Active").await);
    browser.set_check(In::Dialog, "Active", false).await;
    browser.sees("Deactivate Bea Baker-Stone?").await;
    assert!(
        !browser.has_button(In::Dialog, "Save").await,
        "Confirm takes Save's place"
    );
    browser.axe("the deactivate confirmation").await;
    browser.set_check(In::Dialog, "Active", true).await;
    browser.button(In::Dialog, "Save").await;
    assert!(!browser.has_button(In::Dialog, "Confirm").await);
    browser.set_check(In::Dialog, "Active", false).await;
    browser.click(In::Dialog, "Confirm").await;
    browser.toast(SAVED).await;
    browser.no_dialog().await;
    assert!(browser.is_on(In::Page, "Show Only Active Users").await);
    browser
        .wait_gone(
            "the deactivated row to leave the list",
            &Browser::row_xpath("bea@acme.test"),
        )
        .await;
    browser.row("carl@acme.test").await;

    // Show Only Active Users off: the Inactive user is listed again; reactivate with a license.
    browser
        .set_check(In::Page, "Show Only Active Users", false)
        .await;
    browser.row("bea@acme.test").await;
    assert_eq!(status_of(&browser, "bea@acme.test").await, "Inactive");
    browser.click(In::Page, "Edit Bea Baker-Stone").await;
    browser.dialog("Edit User").await;
    browser.set_check(In::Dialog, "Active", true).await;
    browser.tick_in(In::Dialog, "Licenses", "Dialer").await;
    browser.click(In::Dialog, "Save").await;
    browser.toast(SAVED).await;
    browser.no_dialog().await;
    browser
        .until("the row to show Active again", || async {
            (status_of(&browser, "bea@acme.test").await == "Active").then_some(())
        })
        .await;
    let row = browser.row("bea@acme.test").await.text().await.unwrap();
    assert!(
        row.contains("Dialer"),
        "the license shows in the row: {row}"
    );
    assert_eq!(browser.eval("return window.samePage === true;").await, true);
    browser.close().await;
}
