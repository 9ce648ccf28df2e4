//! Edit permissions: roles and per-user overrides, the effective permissions they add up to,
//! the rules about one's own access and the Owner, copying from another user.

use reqwest::StatusCode;

use crate::both;
use crate::helpers::{someone, toast_of, TestApp, PASSWORD};

both!(
    overrides_grant_and_deny_on_top_of_the_roles_and_take_effect_at_once,
    nobody_changes_their_own_access_or_the_owners_permissions,
    roles_and_permissions_are_copied_from_another_user,
    a_stale_permissions_dialog_is_refused_naming_who_changed_the_user,
    a_product_permission_is_granted_to_one_user_after_a_preview_of_the_change,
);

const OWNER: &str = "olive@acme.io";

async fn dialog(app: &TestApp, user_id: i64, query: &str) -> String {
    app.hx_get(&format!("/users/{user_id}/permissions{query}"))
        .await
        .text()
        .await
        .unwrap()
}

fn version_of(dialog: &str) -> String {
    dialog
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

async fn overrides_grant_and_deny_on_top_of_the_roles_and_take_effect_at_once(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let max = app
        .add_people(org_id, vec![someone("Max", "max@acme.io", "Manager")])
        .await[0];
    let manager = app.role_id(org_id, "Manager").await.to_string();
    // Inviting needs automatic sign-up off.
    app.db(move |c| gatehouse::orgs::store::set_allow_auto_signup(c, org_id, false).unwrap())
        .await;
    let (max_browser, _) = app.browser_login("max@acme.io", PASSWORD).await;
    let account = max_browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        account.contains(">Activity</a>"),
        "Managers see the activity log"
    );

    let page = dialog(&app, max, "").await;
    assert!(page.contains("Edit permissions: Max Test"));
    assert!(
        page.contains("Yes (Manager)"),
        "users.view comes from the role"
    );
    let version = version_of(&page);
    let response = app
        .hx_post(
            &format!("/users/{max}/permissions"),
            &[
                ("version", version.as_str()),
                ("role", manager.as_str()),
                ("override_users.invite", "grant"),
                ("override_audit.view", "deny"),
                ("override_users.view", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Permissions have been updated.")
    );
    // Max's very next request has the new access.
    let account = max_browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!account.contains(">Activity</a>"), "audit.view is denied");
    let invite = max_browser
        .get(app.url("/users/invite"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(invite.status(), StatusCode::OK, "users.invite is granted");
    let page = dialog(&app, max, "").await;
    assert!(page.contains("<option value=\"grant\" selected>Grant</option>"));
    let changed = app.audit_details(org_id, "user.permissions_changed").await;
    assert_eq!(changed[0]["after"]["overrides"]["users.invite"], "grant");
    assert_eq!(changed[0]["after"]["overrides"]["audit.view"], "deny");
    assert!(changed[0]["before"]["overrides"]
        .as_object()
        .unwrap()
        .is_empty());
}

async fn nobody_changes_their_own_access_or_the_owners_permissions(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Adam", "adam@acme.io", "Admin"),
                someone("Gus", "gus@acme.io", "Agent"),
            ],
        )
        .await;
    let (adam, gus) = (ids[0], ids[1]);
    let owner = app.org_owner(org_id).await;
    let agent = app.role_id(org_id, "Agent").await.to_string();
    // Adam may not grant what he lacks: deny him settings.manage first (as the Owner).
    let page = dialog(&app, adam, "").await;
    let admin = app.role_id(org_id, "Admin").await.to_string();
    app.hx_post(
        &format!("/users/{adam}/permissions"),
        &[
            ("version", version_of(&page).as_str()),
            ("role", admin.as_str()),
            ("override_settings.manage", "deny"),
        ],
    )
    .await;
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;

    // His own dialog only shows; a save is refused.
    let own = dialog(&app, adam, "").await;
    assert!(own.contains(">Close<") && !own.contains(">Save<"));
    let response = app
        .hx_post(
            &format!("/users/{adam}/permissions"),
            &[
                ("version", version_of(&own).as_str()),
                ("role", admin.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("You cannot change your own roles or permissions. Ask another administrator. Nothing was changed.")
    );
    // settings.manage is locked for him: a grant he posts anyway is not saved.
    let page = dialog(&app, gus, "").await;
    assert!(page.contains("name=\"override_settings.manage\" disabled"));
    app.hx_post(
        &format!("/users/{gus}/permissions"),
        &[
            ("version", version_of(&page).as_str()),
            ("role", agent.as_str()),
            ("override_settings.manage", "grant"),
            ("override_users.view", "grant"),
        ],
    )
    .await;
    let page = dialog(&app, gus, "").await;
    assert!(
        page.contains("name=\"override_users.view\"")
            && page.contains("<option value=\"grant\" selected>Grant</option>")
    );
    let changed = app.audit_details(org_id, "user.permissions_changed").await;
    assert!(changed[0]["after"]["overrides"]
        .get("settings.manage")
        .is_none());
    // The Owner keeps every permission.
    // The Owner holds settings.manage, which Adam now lacks: he cannot even open their
    // dialog, and a save posted anyway is refused.
    let response = app.hx_get(&format!("/users/{owner}/permissions")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(toast_of(response.headers())
        .unwrap()
        .starts_with("This user holds permissions you do not have"));
    let owner_role = app.role_id(org_id, "Owner").await.to_string();
    let response = app
        .hx_post(
            &format!("/users/{owner}/permissions"),
            &[
                ("version", "1"),
                ("role", owner_role.as_str()),
                ("override_users.view", "deny"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // An Admin who holds everything sees the Owner's dialog, read only, and cannot save it.
    app.logout().await;
    app.login_as(OWNER, PASSWORD).await;
    app.add_people(org_id, vec![someone("Ada", "ada@acme.io", "Admin")])
        .await;
    app.logout().await;
    app.login_as("ada@acme.io", PASSWORD).await;
    let page = dialog(&app, owner, "").await;
    assert!(page.contains(">Close<") && !page.contains(">Save<"));
    let response = app
        .hx_post(
            &format!("/users/{owner}/permissions"),
            &[
                ("version", version_of(&page).as_str()),
                ("role", owner_role.as_str()),
                ("override_users.view", "deny"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(toast_of(response.headers())
        .unwrap()
        .starts_with("Only the Owner can change the Owner's"));
}

async fn roles_and_permissions_are_copied_from_another_user(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Sue", "sue@acme.io", "Supervisor"),
                someone("New", "new@acme.io", "Agent"),
            ],
        )
        .await;
    let (sue, new) = (ids[0], ids[1]);
    let page = dialog(&app, sue, "").await;
    let supervisor = app.role_id(org_id, "Supervisor").await.to_string();
    app.hx_post(
        &format!("/users/{sue}/permissions"),
        &[
            ("version", version_of(&page).as_str()),
            ("role", supervisor.as_str()),
            ("override_users.view", "grant"),
        ],
    )
    .await;
    let copied = dialog(&app, new, "?copy_from=SUE%40acme.io").await;
    assert!(copied.contains("Copied the roles and permissions of sue@acme.io"));
    assert!(copied.contains(&format!("name=\"role\" value=\"{supervisor}\" checked")));
    let unknown = dialog(&app, new, "?copy_from=who%40acme.io").await;
    assert!(unknown.contains("No other user of your organization has the email who@acme.io."));
    // Saving the copied dialog gives the same access.
    let response = app
        .hx_post(
            &format!("/users/{new}/permissions"),
            &[
                ("version", version_of(&copied).as_str()),
                ("role", supervisor.as_str()),
                ("override_users.view", "grant"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed = app.audit_details(org_id, "user.permissions_changed").await;
    assert_eq!(changed[0]["after"], changed[1]["after"]);
}

async fn a_stale_permissions_dialog_is_refused_naming_who_changed_the_user(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let gus = app
        .add_people(org_id, vec![someone("Gus", "gus@acme.io", "Agent")])
        .await[0];
    let agent = app.role_id(org_id, "Agent").await.to_string();
    let stale = dialog(&app, gus, "").await;
    // Someone else saves first (a bulk change moves the version on too).
    let fresh = dialog(&app, gus, "").await;
    app.hx_post(
        &format!("/users/{gus}/permissions"),
        &[
            ("version", version_of(&fresh).as_str()),
            ("role", agent.as_str()),
            ("override_users.view", "grant"),
        ],
    )
    .await;
    let response = app
        .hx_post(
            &format!("/users/{gus}/permissions"),
            &[
                ("version", version_of(&stale).as_str()),
                ("role", agent.as_str()),
                ("override_audit.view", "grant"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains(
        "olive@acme.io changed this user after you opened the dialog, so nothing was saved."
    ));
    let changed = app.audit_details(org_id, "user.permissions_changed").await;
    assert_eq!(changed.len(), 1);
}

async fn a_product_permission_is_granted_to_one_user_after_a_preview_of_the_change(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ana = app
        .add_people(org_id, vec![someone("Ana", "ana@acme.io", "Agent")])
        .await[0];
    let broadcast = app
        .db(move |c| {
            gatehouse::licenses::product_permissions::all(c, org_id)
                .unwrap()
                .into_iter()
                .find(|p| p.name == "Broadcast")
                .unwrap()
                .stored_name()
        })
        .await;
    let agent = app.role_id(org_id, "Agent").await.to_string();
    let form = dialog(&app, ana, "").await;
    assert!(form.contains(r#"<th scope="colgroup" colspan="4">Omnichannel</th>"#));
    assert!(form.contains("Override for Omnichannel: Broadcast"));
    assert!(
        form.contains("No change to this user&#x27;s effective permissions.")
            || form.contains("No change to this user's effective permissions.")
    );
    let field = format!("override_{broadcast}");
    let change = [
        ("version", version_of(&form)),
        ("role", agent.clone()),
        (field.as_str(), "grant".to_owned()),
        ("override_users.view", "grant".to_owned()),
    ];
    let borrowed: Vec<(&str, &str)> = change.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // The preview, before the Save: what it grants, and nothing is written yet.
    let preview = app
        .hx_post(&format!("/users/{ana}/permissions/preview"), &borrowed)
        .await
        .text()
        .await
        .unwrap();
    assert!(preview.contains("<strong>Grants:</strong>"), "{preview}");
    assert!(
        preview.contains("View users, Omnichannel: Broadcast"),
        "{preview}"
    );
    assert!(!preview.contains("Revokes"));
    assert!(!held(&app, org_id, ana).await.has_name(&broadcast));
    let response = app
        .hx_post(&format!("/users/{ana}/permissions"), &borrowed)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(held(&app, org_id, ana).await.has_name(&broadcast));
    let changed = app.audit_details(org_id, "user.permissions_changed").await;
    assert_eq!(changed[0]["after"]["overrides"][&broadcast], "grant");
    // Taking it back is previewed as a revoke.
    let form = dialog(&app, ana, "").await;
    let back = [
        ("version", version_of(&form)),
        ("role", agent),
        ("override_users.view", "grant".to_owned()),
    ];
    let borrowed: Vec<(&str, &str)> = back.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let preview = app
        .hx_post(&format!("/users/{ana}/permissions/preview"), &borrowed)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        preview.contains(
            "<strong>Revokes:</strong> <span class=\"diff-remove\">Omnichannel: Broadcast</span>"
        ),
        "{preview}"
    );
}

async fn held(app: &TestApp, org_id: i64, id: i64) -> gatehouse::auth::permissions::Permissions {
    app.db(move |c| {
        gatehouse::users::authority::standing_of(c, org_id, id)
            .unwrap()
            .unwrap()
            .permissions
    })
    .await
}
