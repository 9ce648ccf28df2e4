//! Settings → Roles: a role with product permissions, its preview of what the change grants
//! before Save; and a scoped administrator's view of the list (only their division).

use crate::edit::org_with_people;
use crate::harness::{In, Suite};
use crate::helpers::{Backend, Person, PASSWORD};

#[actix_web::test]
async fn a_role_with_product_permissions_is_previewed_then_saved() {
    let Some(suite) = Suite::start(
        "a_role_with_product_permissions_is_previewed_then_saved",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let (_, browser) = org_with_people(&suite).await;
    browser.goto("/settings/roles").await;
    browser.sees("Owner").await;
    browser.axe("Settings → Roles").await;
    browser.click(In::Page, "+ New role").await;
    browser.dialog("New role").await;
    browser.fill(In::Dialog, "Name", "Broadcaster").await;
    browser.tick_in(In::Dialog, "Console", "View users").await;
    browser
        .tick_in(In::Dialog, "Omnichannel", "Broadcast")
        .await;
    browser
        .until("the preview to show what the role grants", || async {
            let text = browser
                .eval("return document.querySelector('#role-preview').textContent;")
                .await;
            let text = text.as_str()?.to_owned();
            (text.contains("Grants:")
                && text.contains("View users")
                && text.contains("Omnichannel: Broadcast"))
            .then_some(())
        })
        .await;
    browser.axe("the role editor with its preview").await;
    browser.screenshot("role-editor").await;
    browser.click(In::Dialog, "Save").await;
    browser.toast("Role “Broadcaster” created.").await;
    browser.no_dialog().await;
    browser.sees("Broadcaster").await;
    browser.screenshot("settings-roles").await;
    browser.close().await;
}

#[actix_web::test]
async fn a_scoped_supervisor_sees_only_their_division() {
    let Some(suite) = Suite::start(
        "a_scoped_supervisor_sees_only_their_division",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let (org_id, owner) = org_with_people(&suite).await;
    owner.close().await;
    let app = &suite.app;
    let sue = app
        .add_people(
            org_id,
            vec![Person {
                first: "Sue",
                last: "Stone",
                email: "sue@acme.test",
                status: "active",
                roles: &["Supervisor"],
                active_minutes_ago: Some(1),
            }],
        )
        .await[0];
    // North holds Bea; Sue's Supervisor role may view and edit users, limited to North.
    app.db(move |c| {
        use diesel::prelude::*;
        use gatehouse::db::schema::{role_permissions, users};
        let north = gatehouse::divisions::store::insert(c, org_id, "North").unwrap();
        diesel::update(users::table.filter(users::email.eq("bea@acme.test")))
            .set(users::division_id.eq(north))
            .execute(c)
            .unwrap();
        let supervisor = gatehouse::users::store::role_id_by_name(c, org_id, "Supervisor").unwrap();
        for permission in ["users.view", "users.edit"] {
            diesel::insert_into(role_permissions::table)
                .values((
                    role_permissions::role_id.eq(supervisor),
                    role_permissions::permission.eq(permission),
                ))
                .execute(c)
                .unwrap();
        }
        let scope = gatehouse::users::scope::Scope {
            divisions: [north].into(),
            teams: Default::default(),
        };
        gatehouse::users::scope::set(c, sue, Some(&scope)).unwrap();
        gatehouse::orgs::catalog::bump(c, org_id).unwrap();
    })
    .await;
    let browser = suite.browser().await;
    browser.sign_in(app, "sue@acme.test", PASSWORD).await;
    browser.goto("/users").await;
    browser.row("bea@acme.test").await;
    let listed = browser
        .eval(
            "return [...document.querySelectorAll('tbody tr')]\
               .map(r => r.textContent).join(' ');",
        )
        .await;
    let listed = listed.as_str().unwrap_or_default();
    assert!(listed.contains("bea@acme.test"), "{listed}");
    assert!(!listed.contains("carl@acme.test"), "Carl is not in North");
    assert!(
        !listed.contains("olive@acme.test"),
        "the Owner is not in North"
    );
    browser.axe("a scoped Supervisor's user list").await;
    browser.screenshot("users-scoped-supervisor").await;
    browser.close().await;
}
