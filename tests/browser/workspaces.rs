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

/// A second workspace brings the header's switcher; in Support, ADD USER brings in someone of
/// the organization and invites someone new; Revoke Access, with the box ticked and a member
/// chosen, hands the contacts over.
#[actix_web::test]
async fn switching_workspaces_adding_users_and_revoking_access_with_a_hand_over() {
    let Some(suite) = Suite::start(
        "switching_workspaces_adding_users_and_revoking_access_with_a_hand_over",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let (org_id, browser) = org_with_people(&suite).await;
    browser.goto("/settings/workspaces").await;
    browser.fill(In::Page, "Name", "Support").await;
    browser.click(In::Page, "Create workspace").await;
    browser.sees("Workspace “Support” created.").await;
    browser.goto("/users").await;
    browser.choose(In::Page, "Workspace", "Support").await;
    browser.click(In::Page, "Open").await;
    browser.sees("Nobody is in this workspace yet").await;
    browser.axe("a workspace's Users page").await;
    for (email, level, said) in [
        ("bea@acme.test", "Manager", "Bea Baker was added to Support."),
        ("carl@acme.test", "Agent", "Carl Clark was added to Support."),
        (
            "nina.new@acme.test",
            "Agent",
            "An invitation was sent to nina.new@acme.test: they join Support and the organization when they accept.",
        ),
    ] {
        browser.click(In::Page, "ADD USER").await;
        browser.dialog("Add user").await;
        browser.fill(In::Dialog, "Email", email).await;
        browser.choose(In::Dialog, "Access Level", level).await;
        browser.click(In::Dialog, "ADD USER").await;
        browser.toast(said).await;
        browser.no_dialog().await;
    }
    browser.sees("Nina New").await;
    browser.screenshot("workspace-users").await;
    let bea = suite
        .app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::users;
            users::table
                .filter(users::email.eq("bea@acme.test"))
                .select(users::id)
                .first::<i64>(c)
                .unwrap()
        })
        .await;
    suite.app.add_records(org_id, bea, "contact", 2).await;
    suite
        .app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::owned_records;
            let support = gatehouse::workspaces::store::all(c, org_id)
                .unwrap()
                .into_iter()
                .find(|w| w.name == "Support")
                .unwrap()
                .id;
            diesel::update(owned_records::table.filter(owned_records::owner_id.eq(bea)))
                .set(owned_records::workspace_id.eq(support))
                .execute(c)
                .unwrap();
        })
        .await;
    browser.reload().await;
    browser.click(In::Page, "Revoke Access of Bea Baker").await;
    browser.dialog("Revoke Access of Bea Baker?").await;
    browser
        .sees("2 contacts here. By default they will be marked as unassigned.")
        .await;
    browser
        .set_check(In::Dialog, "Assign them to another member instead", true)
        .await;
    browser
        .choose(In::Dialog, "Member", "Carl Clark (carl@acme.test)")
        .await;
    browser.axe("the Revoke Access dialog").await;
    browser.screenshot("workspace-revoke-access").await;
    browser.click(In::Dialog, "Revoke Access").await;
    browser
        .toast("Bea Baker no longer has access to Support. 2 records were handed over.")
        .await;
    browser.no_dialog().await;
    let owners = suite.app.record_owners(org_id).await;
    let carl = suite
        .app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::users;
            users::table
                .filter(users::email.eq("carl@acme.test"))
                .select(users::id)
                .first::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(owners, vec![Some(carl), Some(carl)]);
    assert_eq!(suite.app.status_of(bea).await.as_deref(), Some("active"));
    browser.close().await;
}
