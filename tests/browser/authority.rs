//! Rows offer no action that would be refused: an Admin sees the Owner's row without Delete,
//! resets or Edit permissions, the Owner's Edit User with email and sign-in addresses locked
//! and no Active switch, and their own row without Delete.

use crate::harness::{In, Suite};
use crate::helpers::{Backend, Person, PASSWORD};
use crate::invite::user_management;

#[actix_web::test]
async fn an_admin_is_offered_nothing_the_rules_would_refuse() {
    let Some(suite) = Suite::start(
        "an_admin_is_offered_nothing_the_rules_would_refuse",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let app = &suite.app;
    let org_id = app.setup_first_org("Acme", "olive@acme.test").await;
    let person = |first, last, email, roles| Person {
        first,
        last,
        email,
        status: "active",
        roles,
        active_minutes_ago: Some(20),
    };
    app.add_people(
        org_id,
        vec![
            person("Hal", "Hart", "hal@acme.test", &["Admin"][..]),
            person("Bea", "Baker", "bea@acme.test", &["Agent"]),
        ],
    )
    .await;
    let browser = suite.browser().await;
    browser.sign_in(app, "hal@acme.test", PASSWORD).await;
    browser.goto("/users").await;
    user_management(&browser).await;

    // The Owner's row: Edit (names, phone …) and Activity; nothing on their credentials.
    browser
        .click(In::Page, "More actions for Olive Owner")
        .await;
    browser.button(In::Page, "Activity of Olive Owner").await;
    for refused in [
        "Delete Olive Owner",
        "Reset password of Olive Owner",
        "Edit permissions of Olive Owner",
    ] {
        assert!(
            !browser.has_button(In::Page, refused).await,
            "the Owner's row offers {refused}"
        );
    }
    browser.axe("the Owner's row menu seen by an Admin").await;
    browser
        .click(In::Page, "More actions for Olive Owner")
        .await;
    browser.click(In::Page, "Edit Olive Owner").await;
    browser.dialog("Edit User").await;
    browser
        .sees("Only the Owner can change the Owner's email address, username, sign-in addresses")
        .await;
    let locked = browser
        .eval("return document.querySelector('dialog[open] input[name=email]').readOnly")
        .await;
    assert_eq!(locked, true, "the Owner's email is read only");
    let switch = browser
        .eval("return !!document.querySelector('dialog[open] input[name=active][type=checkbox]')")
        .await;
    assert_eq!(switch, false, "no Active switch on the Owner");
    browser.axe("the Owner's Edit User seen by an Admin").await;
    browser.click(In::Dialog, "Cancel").await;
    browser.no_dialog().await;

    // One's own row: no Delete, resets or Edit permissions.
    browser.click(In::Page, "More actions for Hal Hart").await;
    browser.button(In::Page, "Activity of Hal Hart").await;
    for refused in [
        "Delete Hal Hart",
        "Reset password of Hal Hart",
        "Edit permissions of Hal Hart",
    ] {
        assert!(
            !browser.has_button(In::Page, refused).await,
            "one's own row offers {refused}"
        );
    }
    // Someone below: all of them.
    browser.click(In::Page, "More actions for Bea Baker").await;
    for offered in [
        "Delete Bea Baker",
        "Reset password of Bea Baker",
        "Edit permissions of Bea Baker",
    ] {
        browser.button(In::Page, offered).await;
    }
}
