//! Groups: Settings → Groups creates them; Edit User picks them with an Available/Selected
//! pair that works by keyboard and narrows by search; the row shows them as chips. Settings →
//! Divisions beside it.

use fantoccini::key::Key;

use crate::edit::org_with_people;
use crate::harness::{In, Suite};
use crate::helpers::Backend;

#[actix_web::test]
async fn groups_are_made_in_settings_and_picked_by_keyboard_in_edit_user() {
    let Some(suite) = Suite::start(
        "groups_are_made_in_settings_and_picked_by_keyboard_in_edit_user",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let (_, browser) = org_with_people(&suite).await;

    // Settings → Groups: three groups, each confirmed on the page.
    browser.goto("/settings/groups").await;
    for (kind, name) in [("Tag", "VIP"), ("Tag", "Gold"), ("Skill group", "Spanish")] {
        browser.choose(In::Page, "Kind", kind).await;
        browser.fill(In::Page, "Name", name).await;
        browser.click(In::Page, "Create group").await;
        browser.sees(&format!("{kind} “{name}” created.")).await;
    }
    browser.axe("Settings → Groups").await;
    browser.screenshot("settings-groups").await;

    // Edit User: search the tags, Tab to the one found, Space: it moves to Selected and
    // keeps the focus.
    browser.goto("/users").await;
    browser.click(In::Page, "Edit Bea Baker").await;
    browser.dialog("Edit User").await;
    browser
        .field(In::Dialog, "Search User Tags")
        .await
        .click()
        .await
        .expect("focus the search box");
    browser.type_text("vi").await;
    let gold_hidden = browser
        .eval(
            "const box = [...document.querySelectorAll('[data-picker-available] label')]\
               .find(l => l.textContent.trim() === 'Gold');\
             return box.closest('li').hidden;",
        )
        .await;
    assert_eq!(gold_hidden, true, "the search narrows Available");
    browser.tab_to("input \"VIP\"", 6).await;
    browser.press(&[Key::Space]).await;
    let selected = browser
        .eval(
            "return [...document.querySelectorAll('[data-picker-selected] label')]\
               .map(l => l.textContent.trim());",
        )
        .await;
    assert_eq!(
        selected,
        serde_json::json!(["VIP"]),
        "VIP moved to Selected"
    );
    assert_eq!(
        browser.focused().await,
        "input \"VIP\"",
        "the focus stays on it"
    );
    browser.axe("the Edit User dialog with group pickers").await;
    browser.screenshot("edit-groups").await;
    browser.click(In::Dialog, "Save").await;
    browser
        .toast("User details have been updated successfully!")
        .await;
    browser.no_dialog().await;
    browser
        .until("the row to show the VIP chip", || async {
            let row = browser.row("bea@acme.test").await.text().await.ok()?;
            row.contains("VIP").then_some(())
        })
        .await;

    // Settings → Divisions, beside Groups.
    browser.goto("/settings/divisions").await;
    browser.fill(In::Page, "Name", "North").await;
    browser.click(In::Page, "Create division").await;
    browser.sees("Division “North” created.").await;
    browser.click(In::Page, "Delete North").await;
    browser.dialog("Delete division “North”?").await;
    browser.axe("the delete division dialog").await;
    browser.click(In::Dialog, "Cancel").await;
    browser.no_dialog().await;
    browser.axe("Settings → Divisions").await;
    browser.screenshot("settings-divisions").await;
    browser.close().await;
}
