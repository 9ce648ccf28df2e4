//! Settings → Workspaces: creating one, and archiving it after a confirmation that names what
//! it holds.

use crate::edit::org_with_people;
use crate::harness::{In, Suite};
use crate::helpers::Backend;

#[actix_web::test]
async fn a_workspace_is_created_then_archived_after_a_confirmation() {
    let Some(suite) = Suite::start(
        "a_workspace_is_created_then_archived_after_a_confirmation",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let (_, browser) = org_with_people(&suite).await;
    browser.goto("/settings/workspaces").await;
    browser.fill(In::Page, "Name", "Support").await;
    browser.click(In::Page, "Create workspace").await;
    browser.sees("Workspace “Support” created.").await;
    browser.axe("Settings → Workspaces").await;
    browser.screenshot("settings-workspaces").await;
    browser.click(In::Page, "Archive Support").await;
    browser.dialog("Archive workspace “Support”?").await;
    browser.sees("It has no members.").await;
    browser.axe("the archive workspace dialog").await;
    browser.click(In::Dialog, "Archive").await;
    browser.toast("Workspace “Support” archived.").await;
    browser.no_dialog().await;
    browser.sees("Archived").await;
    browser.close().await;
}
