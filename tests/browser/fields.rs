//! User fields: Settings → User fields applies the Dialer preset; Edit User shows the fields
//! by section, and "Custom SIP URI" appears only while SIP Option is "Use custom URI".

use crate::edit::org_with_people;
use crate::harness::{In, Suite};
use crate::helpers::Backend;

const URI: &str = "Custom SIP URI (required)";

/// Whether the open dialog shows Custom SIP URI.
async fn uri_shown(browser: &crate::harness::Browser) -> serde_json::Value {
    browser
        .eval("return !document.querySelector('dialog[open] #f-custom_sip_uri').closest('[data-field]').hidden;")
        .await
}

#[actix_web::test]
async fn the_dialer_preset_gives_edit_user_its_sections_and_the_uri_shows_only_for_custom() {
    let Some(suite) = Suite::start(
        "the_dialer_preset_gives_edit_user_its_sections_and_the_uri_shows_only_for_custom",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let (_, browser) = org_with_people(&suite).await;

    browser.goto("/settings/fields").await;
    browser.sees("No user fields yet.").await;
    browser.click(In::Page, "Apply Dialer profile").await;
    browser
        .toast("Dialer profile applied: 13 fields created.")
        .await;
    browser
        .sees("Shown when SIP Option is Use custom URI")
        .await;
    browser.axe("Settings → User fields").await;
    browser.screenshot("settings-fields").await;

    // The field dialog shows the options box for a choice only.
    browser.click(In::Page, "New field").await;
    browser.dialog("New field").await;
    let options_shown = || async {
        browser
            .eval("return !document.querySelector('#fd-options').closest('[data-kinds]').hidden;")
            .await
    };
    assert_eq!(options_shown().await, false, "a text field has no options");
    browser.choose(In::Dialog, "Type", "Single choice").await;
    assert_eq!(options_shown().await, true, "a choice lists its options");
    browser.axe("the new field dialog").await;
    browser.click(In::Dialog, "Cancel").await;
    browser.no_dialog().await;

    // Create User: a dialer agent with a custom SIP URI; the URI appears only for custom.
    browser.goto("/users").await;
    browser.click(In::Page, "+ Create User").await;
    browser.dialog("Create User").await;
    browser.fill(In::Dialog, "First name", "Dana").await;
    browser.fill(In::Dialog, "Last name", "Dialer").await;
    browser.fill(In::Dialog, "Email", "dana@acme.test").await;
    browser
        .tick_in(In::Dialog, "Roles (at least one)", "Agent")
        .await;
    assert_eq!(
        uri_shown(&browser).await,
        false,
        "hidden until custom is chosen"
    );
    browser
        .choose(In::Dialog, "SIP Option", "Use custom URI")
        .await;
    assert_eq!(uri_shown(&browser).await, true, "custom shows the URI");
    browser
        .fill(In::Dialog, URI, "sip:2002@pbx.example.com")
        .await;
    browser.axe("the Create User dialog").await;
    browser.screenshot("create-user").await;
    browser.click(In::Dialog, "Create user").await;
    browser
        .toast("User created. dana@acme.test gets an email to confirm the account and choose a password.")
        .await;
    browser.no_dialog().await;
    browser
        .until("the list to show Dana as Pending", || async {
            let row = browser.row("dana@acme.test").await.text().await.ok()?;
            row.contains("Pending").then_some(())
        })
        .await;

    browser.click(In::Page, "Edit Bea Baker").await;
    browser.dialog("Edit User").await;
    browser.sees("SIP settings").await;
    let uri_shown = || uri_shown(&browser);
    assert_eq!(uri_shown().await, false, "hidden until custom is chosen");
    browser
        .choose(In::Dialog, "SIP Option", "Use custom URI")
        .await;
    assert_eq!(uri_shown().await, true, "custom shows the URI");
    browser.choose(In::Dialog, "SIP Option", "Use WebRTC").await;
    assert_eq!(uri_shown().await, false, "WebRTC hides it again");
    browser
        .choose(In::Dialog, "SIP Option", "Use custom URI")
        .await;

    // Saved without a URI: the message is beside it, and it stays shown.
    browser.click(In::Dialog, "Save").await;
    browser.sees("Enter Custom SIP URI.").await;
    assert_eq!(uri_shown().await, true);
    browser
        .fill(In::Dialog, URI, "sip:1001@pbx.example.com")
        .await;
    browser
        .fill(In::Dialog, "Caller ID Number", "+1 555 0100")
        .await;
    browser
        .axe("the Edit User dialog with field sections")
        .await;
    browser.screenshot("edit-fields").await;
    browser.click(In::Dialog, "Save").await;
    browser
        .toast("User details have been updated successfully!")
        .await;
    browser.no_dialog().await;

    browser.click(In::Page, "Edit Bea Baker").await;
    browser.dialog("Edit User").await;
    let kept = browser
        .eval("return document.querySelector('#f-custom_sip_uri').value;")
        .await;
    assert_eq!(kept, "sip:1001@pbx.example.com");
    assert_eq!(uri_shown().await, true, "shown for a saved custom URI");
    browser.close().await;
}
