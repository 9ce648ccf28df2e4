//! Settings → Roles and Products: roles the organization defines, with console and product
//! permissions; what a change does to the people holding a role, on every instance; MFA
//! required by a permission; the rules against giving what one lacks.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{location_of, someone, toast_of, TestApp, PASSWORD};

both!(
    a_custom_role_with_product_permissions_is_created_and_audited,
    a_permission_taken_from_a_role_counts_at_the_holders_next_request_on_every_instance,
    a_role_in_use_is_deleted_only_by_moving_its_holders,
    nobody_gives_a_role_what_they_lack_or_changes_a_role_they_or_a_higher_holder_hold,
    the_owner_role_is_fixed_and_agent_keeps_its_name_and_stays,
    the_preview_shows_what_a_change_grants_revokes_and_whom_it_affects,
    a_product_permission_requires_mfa_and_a_holder_is_stepped_up_mid_session,
    product_permissions_are_added_renamed_and_deleted_everywhere_at_once,
);

const OWNER: &str = "olive@acme.io";

/// The stored name of a product permission by its label ("Omnichannel", "Broadcast").
async fn product_permission(app: &TestApp, org_id: i64, product: &str, name: &str) -> String {
    let (product, name) = (product.to_owned(), name.to_owned());
    app.db(move |c| {
        gatehouse::licenses::product_permissions::all(c, org_id)
            .unwrap()
            .into_iter()
            .find(|p| p.product == product && p.name == name)
            .expect("product permission")
            .stored_name()
    })
    .await
}

async fn give_role(app: &TestApp, user_id: i64, role_id: i64) {
    app.db(move |c| gatehouse::users::store::add_role(c, user_id, role_id).unwrap())
        .await;
}

async fn role_named(app: &TestApp, org_id: i64, name: &str) -> Option<(i64, Vec<String>)> {
    let name = name.to_owned();
    app.db(move |c| {
        gatehouse::orgs::catalog::load_roles(c, org_id)
            .unwrap()
            .into_iter()
            .find(|r| r.name == name)
            .map(|r| (r.id, r.permissions.names()))
    })
    .await
}

async fn create_role(app: &TestApp, name: &str, permissions: &[&str]) -> reqwest::Response {
    let mut fields = vec![("name", name), ("description", "Made by a test")];
    fields.extend(permissions.iter().map(|p| ("permission", *p)));
    app.hx_post("/settings/roles", &fields).await
}

async fn a_custom_role_with_product_permissions_is_created_and_audited(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let broadcast = product_permission(&app, org_id, "Omnichannel", "Broadcast").await;
    let (status, page) = app.get_html("/settings/roles").await;
    assert_eq!(status, StatusCode::OK);
    for role in ["Owner", "Admin", "Manager", "Supervisor", "Agent"] {
        assert!(page.contains(&format!("<strong>{role}</strong>")), "{role}");
    }
    let dialog = app
        .hx_get("/settings/roles/new")
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("<legend>Omnichannel</legend>"));
    assert!(dialog.contains(&format!("value=\"{broadcast}\"")));
    let response = create_role(&app, "Broadcaster", &["users.view", &broadcast]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Role “Broadcaster” created.")
    );
    let list = response.text().await.unwrap();
    assert!(list.contains("<strong>Broadcaster</strong>"));
    assert!(list.contains("View users, Omnichannel: Broadcast"));
    let (_, names) = role_named(&app, org_id, "Broadcaster").await.unwrap();
    assert_eq!(names, vec!["users.view".to_owned(), broadcast]);
    let created = app.audit_details(org_id, "role.created").await;
    assert_eq!(created[0]["name"], "Broadcaster");
    assert_eq!(
        created[0]["permissions"],
        serde_json::json!(["View users", "Omnichannel: Broadcast"])
    );
    // A name taken (whatever its case) and an unknown permission change nothing.
    let response = create_role(&app, "broadcaster", &["users.view"]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("There is already a role with this name."));
    let response = create_role(&app, "Ghost", &["product:95"]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Choose from the permissions listed."));
    assert!(role_named(&app, org_id, "Ghost").await.is_none());
    assert_eq!(app.audit_details(org_id, "role.created").await.len(), 1);
}

async fn a_permission_taken_from_a_role_counts_at_the_holders_next_request_on_every_instance(
    app: TestApp,
) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    create_role(&app, "Helpdesk", &["users.view"]).await;
    let (helpdesk, _) = role_named(&app, org_id, "Helpdesk").await.unwrap();
    give_role(&app, ada, helpdesk).await;
    // Ada works on a second instance, which keeps its own catalogue in memory.
    let other = app.start_another_instance().await;
    let (ada_browser, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    let list = |url: String| {
        let browser = ada_browser.clone();
        async move { browser.get(url).send().await.unwrap().status() }
    };
    assert_eq!(list(other.url("/users")).await, StatusCode::OK);
    assert_eq!(list(app.url("/users")).await, StatusCode::OK);
    // The Owner, on the first instance, takes View users from the role.
    let response = app
        .hx_post(
            &format!("/settings/roles/{helpdesk}/edit"),
            &[("name", "Helpdesk"), ("description", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Role “Helpdesk” saved: 1 person's access changed.")
    );
    // Her next request, on either instance, is refused.
    assert_eq!(list(other.url("/users")).await, StatusCode::FORBIDDEN);
    assert_eq!(list(app.url("/users")).await, StatusCode::FORBIDDEN);
    let changed = app.audit_details(org_id, "role.changed").await;
    assert_eq!(
        changed[0]["before"]["permissions"],
        serde_json::json!(["View users"])
    );
    assert_eq!(changed[0]["after"]["permissions"], serde_json::json!([]));
    assert_eq!(changed[0]["revoked"], serde_json::json!(["View users"]));
    assert_eq!(changed[0]["affected"], 1);
}

async fn a_role_in_use_is_deleted_only_by_moving_its_holders(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    create_role(&app, "Night shift", &["users.view"]).await;
    let (night, _) = role_named(&app, org_id, "Night shift").await.unwrap();
    for id in &ids {
        give_role(&app, *id, night).await;
    }
    let dialog = app
        .hx_get(&format!("/settings/roles/{night}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("2 people hold this role"));
    let path = format!("/settings/roles/{night}/delete");
    let response = app.hx_post(&path, &[("move_to", "")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("2 people hold this role: choose a role to move them to."));
    assert!(role_named(&app, org_id, "Night shift").await.is_some());
    // Not to the Owner role, nor to itself.
    let owner_role = app.role_id(org_id, "Owner").await.to_string();
    for bad in [owner_role, night.to_string()] {
        let response = app.hx_post(&path, &[("move_to", &bad)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let manager = app.role_id(org_id, "Manager").await;
    let response = app
        .hx_post(&path, &[("move_to", &manager.to_string())])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Role “Night shift” deleted; the 2 people who held it moved.")
    );
    assert!(role_named(&app, org_id, "Night shift").await.is_none());
    for id in ids {
        let roles = app
            .db(move |c| gatehouse::users::actions::edit::store::role_ids(c, id).unwrap())
            .await;
        assert!(roles.contains(&manager));
    }
    let deleted = app.audit_details(org_id, "role.deleted").await;
    assert_eq!(deleted[0]["moved"], 2);
    assert_eq!(deleted[0]["moved_to"], "Manager");
}

async fn nobody_gives_a_role_what_they_lack_or_changes_a_role_they_or_a_higher_holder_hold(
    app: TestApp,
) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Adam", "adam@acme.io", "Admin"),
                someone("Ada", "ada@acme.io", "Agent"),
            ],
        )
        .await;
    let adam = ids[0];
    let broadcast = product_permission(&app, org_id, "Omnichannel", "Broadcast").await;
    // Adam is an Admin without Broadcast.
    let denied = broadcast.clone();
    app.db(move |c| {
        use gatehouse::db::schema::user_permission_overrides as o;
        diesel::insert_into(o::table)
            .values((
                o::user_id.eq(adam),
                o::permission.eq(denied),
                o::granted.eq(false),
            ))
            .execute(c)
            .unwrap();
    })
    .await;
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let dialog = app
        .hx_get("/settings/roles/new")
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains(&format!(
        "value=\"{broadcast}\" disabled> Broadcast <span class=\"muted\">(not yours to give)</span>"
    )));
    let response = create_role(&app, "Megaphone", &[&broadcast]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains(
        "You can only give permissions you hold yourself. Not yours: Omnichannel: Broadcast."
    ));
    assert!(role_named(&app, org_id, "Megaphone").await.is_none());
    // His own role: nobody changes their own access.
    let admin = app.role_id(org_id, "Admin").await;
    let response = app
        .hx_post(
            &format!("/settings/roles/{admin}/edit"),
            &[("name", "Admin"), ("permission", "users.view")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("You hold this role: ask another administrator to change it"));
    // A role whose holder has Broadcast (which Adam lacks) is above him.
    let supervisor = app.role_id(org_id, "Supervisor").await;
    app.logout().await;
    app.login_as(OWNER, PASSWORD).await;
    let response = app
        .hx_post(
            &format!("/settings/roles/{supervisor}/edit"),
            &[("name", "Supervisor"), ("permission", &broadcast)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    give_role(&app, ids[1], supervisor).await;
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    for path in [
        format!("/settings/roles/{supervisor}/edit"),
        format!("/settings/roles/{supervisor}/delete"),
    ] {
        let response = app
            .hx_post(&path, &[("name", "Supervisor"), ("move_to", "")])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}"
        );
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("1 person in this role holds permissions you do not have"));
    }
    let (_, names) = role_named(&app, org_id, "Supervisor").await.unwrap();
    assert_eq!(names, vec![broadcast]);
    assert_eq!(app.audit_details(org_id, "role.deleted").await.len(), 0);
}

async fn the_owner_role_is_fixed_and_agent_keeps_its_name_and_stays(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let owner = app.role_id(org_id, "Owner").await;
    let response = app.hx_get(&format!("/settings/roles/{owner}/edit")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .hx_post(
            &format!("/settings/roles/{owner}/edit"),
            &[("name", "Boss")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(toast_of(response.headers())
        .unwrap()
        .starts_with("The Owner role holds every permission"));
    assert!(role_named(&app, org_id, "Owner").await.is_some());
    let agent = app.role_id(org_id, "Agent").await;
    let response = app
        .hx_post(
            &format!("/settings/roles/{agent}/edit"),
            &[("name", "Operator"), ("permission", "users.view")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("keep the name"));
    let response = app
        .hx_post(
            &format!("/settings/roles/{agent}/delete"),
            &[("move_to", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("People who sign themselves up get the Agent role"));
    // Renaming a custom role renames it in the MFA policy too.
    create_role(&app, "Night shift", &[]).await;
    let (night, _) = role_named(&app, org_id, "Night shift").await.unwrap();
    app.db(move |c| {
        use gatehouse::db::schema::organizations as o;
        diesel::update(o::table.find(org_id))
            .set(o::mfa_required_roles.eq("Owner,Night shift"))
            .execute(c)
            .unwrap();
    })
    .await;
    let response = app
        .hx_post(
            &format!("/settings/roles/{night}/edit"),
            &[("name", "Late shift")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let policy = app
        .db(move |c| gatehouse::settings::store::policy(c, org_id).unwrap())
        .await;
    assert_eq!(policy.mfa_required_roles, "Owner,Late shift");
}

async fn the_preview_shows_what_a_change_grants_revokes_and_whom_it_affects(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Manager"),
                someone("Bob", "bob@acme.io", "Manager"),
            ],
        )
        .await;
    // Bob sees the audit through the Admin role as well: taking it from Manager leaves him.
    give_role(&app, ids[1], app.role_id(org_id, "Admin").await).await;
    let manager = app.role_id(org_id, "Manager").await;
    let dialog = app
        .hx_get(&format!("/settings/roles/{manager}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("hx-post=\"/settings/roles/preview\""));
    assert!(
        dialog.contains("No change to the role&#x27;s permissions.")
            || dialog.contains("No change to the role")
    );
    let manager_id = manager.to_string();
    let preview = app
        .hx_post(
            "/settings/roles/preview",
            &[
                ("role_id", &manager_id),
                ("permission", "users.view"),
                ("permission", "users.invite"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        preview.contains("<strong>Grants:</strong> <span class=\"diff-add\">Invite users</span>")
    );
    assert!(
        preview.contains("<strong>Revokes:</strong> <span class=\"diff-remove\">View audit</span>")
    );
    assert!(preview.contains("2 people hold this role; the change affects the access of 1 of them"));
    // Nothing was saved by looking.
    let (_, names) = role_named(&app, org_id, "Manager").await.unwrap();
    assert_eq!(
        names,
        vec!["users.view".to_owned(), "audit.view".to_owned()]
    );
}

async fn a_product_permission_requires_mfa_and_a_holder_is_stepped_up_mid_session(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    let broadcast = product_permission(&app, org_id, "Omnichannel", "Broadcast").await;
    app.get_html("/settings").await;
    let response = app
        .post_form(
            "/settings/security",
            &[
                ("max_failed_logins", "5"),
                ("lock_after_inactive_days", "90"),
                ("password_min_length", "12"),
                ("password_max_age_days", "120"),
                ("mfa_role", "Owner"),
                ("mfa_permission", &broadcast),
                ("session_idle_minutes", "30"),
                ("session_max_hours", "12"),
                ("audit_retention_days", "365"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let policy = app
        .db(move |c| gatehouse::settings::store::policy(c, org_id).unwrap())
        .await;
    assert_eq!(policy.mfa_required_permissions, broadcast);
    // Ada (no Broadcast) signs in with her password alone.
    let (browser, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    let open = |path: &'static str| {
        let browser = browser.clone();
        let url = app.url(path);
        async move { browser.get(url).send().await.unwrap() }
    };
    assert_eq!(open("/account").await.status(), StatusCode::OK);
    // "Activating Broadcast for all Agents": every Agent needs MFA from then on.
    let agent = app.role_id(org_id, "Agent").await;
    let response = app
        .hx_post(
            &format!("/settings/roles/{agent}/edit"),
            &[("name", "Agent"), ("permission", &broadcast)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Her next click asks for the second step, and says why.
    let response = open("/account").await;
    let location = location_of(&response).unwrap();
    assert!(location.starts_with("/login?notice=step-up"), "{location}");
    let page = browser
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your access now requires two-step verification"));
    // Signing in again asks for the emailed code.
    let (_, response) = app.browser_login("ada@acme.io", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let sign_ins = app.audit_details(org_id, "auth.sign_in").await;
    assert_eq!(sign_ins[0]["second_factor"], "email");
    assert_eq!(sign_ins[0]["user_id"].as_i64().unwrap_or(ada), ada);
}

async fn product_permissions_are_added_renamed_and_deleted_everywhere_at_once(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let (status, page) = app.get_html("/settings/products").await;
    assert_eq!(status, StatusCode::OK);
    for name in [
        "Auto dial",
        "Listen to recordings",
        "Broadcast",
        "Chat",
        "Export leads",
        "Simulator",
    ] {
        assert!(page.contains(&format!("<td>{name}</td>")), "{name}");
    }
    let crm = app.product_id(org_id, "CRM").await;
    let path = format!("/settings/products/{crm}/permissions");
    let response = app.post_form(&path, &[("name", "Import leads")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.post_form(&path, &[("name", "import LEADS")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("CRM already has a permission named"));
    let imports = product_permission(&app, org_id, "CRM", "Import leads").await;
    // A role gives it; then the permission goes and the role stops giving it.
    create_role(&app, "Importer", &[&imports]).await;
    let id = app
        .db(move |c| {
            gatehouse::licenses::product_permissions::all(c, org_id)
                .unwrap()
                .into_iter()
                .find(|p| p.name == "Import leads")
                .unwrap()
                .id
        })
        .await;
    let response = app
        .hx_post(
            &format!("/settings/product-permissions/{id}/rename"),
            &[("name", "Lead import")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let dialog = app
        .hx_get(&format!("/settings/product-permissions/{id}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("The role Importer stop giving it."));
    let response = app
        .hx_post(&format!("/settings/product-permissions/{id}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, names) = role_named(&app, org_id, "Importer").await.unwrap();
    assert!(names.is_empty());
    for action in [
        "product_permission.added",
        "product_permission.renamed",
        "product_permission.deleted",
    ] {
        assert_eq!(app.audit_details(org_id, action).await.len(), 1, "{action}");
    }
    // Another organization's permission is not found.
    let globex = app
        .db(|c| {
            gatehouse::orgs::store::create(c, "Globex", 3, chrono::Utc::now().naive_utc()).unwrap()
        })
        .await;
    let theirs = app
        .db(move |c| gatehouse::licenses::product_permissions::all(c, globex).unwrap()[0].id)
        .await;
    let response = app
        .hx_post(
            &format!("/settings/product-permissions/{theirs}/delete"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
