//! A workspace's Users page: ADD USER (someone of the organization, at an access level),
//! EDIT (UPDATE), Revoke Access (contacts unassigned or handed to another member; the
//! organization keeps the person), who may do what, and search.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{someone, toast_of, TestApp, PASSWORD};

both!(
    members_are_added_edited_and_revoked_with_their_contacts_handed_over,
    a_workspace_manager_manages_only_their_workspace_and_never_an_owner_or_themselves,
    add_user_of_a_new_address_invites_to_the_organization_and_the_workspace_at_once,
    restrictions_bind_managers_and_the_export_honours_the_search,
    the_users_page_walks_members_in_name_order_and_follows_renames,
);

const OWNER: &str = "olive@acme.io";

async fn workspace(app: &TestApp, org_id: i64, name: &'static str) -> i64 {
    app.db(move |c| {
        gatehouse::workspaces::store::all(c, org_id)
            .unwrap()
            .into_iter()
            .find(|w| w.name == name)
            .expect("workspace")
            .id
    })
    .await
}

async fn support(app: &TestApp, org_id: i64) -> i64 {
    app.get_html("/settings/workspaces").await;
    app.post_form("/settings/workspaces", &[("name", "Support")])
        .await;
    workspace(app, org_id, "Support").await
}

async fn add(app: &TestApp, workspace: i64, email: &str, level: &str) -> reqwest::Response {
    app.hx_post(
        &format!("/workspaces/{workspace}/users"),
        &[("email", email), ("level", level)],
    )
    .await
}

async fn owners_of_records(app: &TestApp, workspace: i64) -> Vec<Option<i64>> {
    app.db(move |c| {
        use gatehouse::db::schema::owned_records;
        owned_records::table
            .filter(owned_records::workspace_id.eq(workspace))
            .select(owned_records::owner_id)
            .load(c)
            .unwrap()
    })
    .await
}

async fn records_in(app: &TestApp, org_id: i64, owner: i64, workspace: i64, n: usize) {
    app.add_records(org_id, owner, "contact", n).await;
    app.db(move |c| {
        use gatehouse::db::schema::owned_records;
        diesel::update(owned_records::table.filter(owned_records::owner_id.eq(owner)))
            .set(owned_records::workspace_id.eq(workspace))
            .execute(c)
            .unwrap();
    })
    .await;
}

async fn members_are_added_edited_and_revoked_with_their_contacts_handed_over(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
                someone("Cy", "cy@acme.io", "Agent"),
            ],
        )
        .await;
    let (ada, bob, cy) = (ids[0], ids[1], ids[2]);
    let support = support(&app, org_id).await;
    let (status, page) = app.get_html(&format!("/workspaces/{support}/users")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Nobody is in this workspace yet"));
    // ADD USER: someone of the organization, at a level; nobody else, and nobody twice.
    let response = add(&app, support, "ADA@acme.io", "manager").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Ada Test was added to Support.")
    );
    let table = response.text().await.unwrap();
    assert!(table.contains("ada@acme.io") && table.contains("<td>Manager"));
    for (email, says) in [
        (
            "not-an-address",
            "Enter an email address like name@example.com.",
        ),
        (
            "ada@acme.io",
            "Ada Test is a member of this workspace already",
        ),
    ] {
        let response = add(&app, support, email, "agent").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let dialog = response.text().await.unwrap();
        assert!(dialog.contains(says), "{dialog}");
        assert!(
            dialog.contains(&format!("value=\"{email}\"")),
            "what was typed stays"
        );
    }
    add(&app, support, "bob@acme.io", "agent").await;
    add(&app, support, "cy@acme.io", "agent").await;
    // Search within the workspace.
    let (_, page) = app
        .get_html(&format!("/workspaces/{support}/users?q=bob"))
        .await;
    assert!(page.contains("bob@acme.io") && !page.contains("cy@acme.io"));
    // EDIT: the level only.
    let response = app
        .hx_post(
            &format!("/workspaces/{support}/users/{bob}/edit"),
            &[("level", "manager")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Bob Test's access level was updated.")
    );
    // Revoke Access, handing Ada's 3 contacts to Bob: counted first, exact after.
    records_in(&app, org_id, ada, support, 3).await;
    let dialog = app
        .hx_get(&format!("/workspaces/{support}/users/{ada}/revoke"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("This action cannot be undone."));
    assert!(dialog.contains("their access to the organization will remain"));
    assert!(dialog.contains("3 contacts here. By default they will be marked as unassigned."));
    let response = app
        .hx_post(
            &format!("/workspaces/{support}/users/{ada}/revoke"),
            &[("hand_over", "1")],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a member to choose"
    );
    let (bob_id, cy_id) = (bob.to_string(), cy.to_string());
    let response = app
        .hx_post(
            &format!("/workspaces/{support}/users/{ada}/revoke"),
            &[("hand_over", "1"), ("to", &bob_id)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Ada Test no longer has access to Support. 3 records were handed over.")
    );
    assert_eq!(owners_of_records(&app, support).await, vec![Some(bob); 3]);
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
    let revoked = app.audit_details(org_id, "workspace.access_revoked").await;
    assert_eq!(revoked[0]["records"]["contact"], 3);
    assert_eq!(revoked[0]["handed_to"], "bob@acme.io");
    // Without the box: unassigned. Then Cy cannot receive: not a member any more.
    let response = app
        .hx_post(&format!("/workspaces/{support}/users/{bob}/revoke"), &[])
        .await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Bob Test no longer has access to Support. 3 records are now unassigned.")
    );
    assert_eq!(owners_of_records(&app, support).await, vec![None; 3]);
    let response = app
        .hx_post(
            &format!("/workspaces/{support}/users/{cy}/revoke"),
            &[("hand_over", "1"), ("to", &bob_id)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Choose another member of this workspace"));
    let _ = cy_id;
    let actions = app.audit_actions(org_id).await;
    for (action, n) in [
        ("workspace.member_added", 3),
        ("workspace.member_changed", 1),
        ("workspace.access_revoked", 2),
    ] {
        assert_eq!(
            actions.iter().filter(|a| *a == action).count(),
            n,
            "{action}"
        );
    }
}

async fn a_workspace_manager_manages_only_their_workspace_and_never_an_owner_or_themselves(
    app: TestApp,
) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
                someone("Adam", "adam@acme.io", "Admin"),
            ],
        )
        .await;
    let (ada, bob) = (ids[0], ids[1]);
    let support = support(&app, org_id).await;
    let acme = workspace(&app, org_id, "Acme").await;
    add(&app, support, "ada@acme.io", "manager").await;
    add(&app, support, "olive@acme.io", "owner").await;
    let owner = app.org_owner(org_id).await;
    // The organization's Owner is touched by the Owner alone, even through a workspace.
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let response = app
        .hx_post(&format!("/workspaces/{acme}/users/{owner}/revoke"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The last Owner of a workspace stays one.
    app.logout().await;
    app.login_as(OWNER, PASSWORD).await;
    app.post_form("/settings/workspaces", &[("name", "Sales")])
        .await;
    let sales = workspace(&app, org_id, "Sales").await;
    add(&app, sales, "adam@acme.io", "owner").await;
    let adam = ids[2];
    let response = app
        .hx_post(&format!("/workspaces/{sales}/users/{adam}/revoke"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("A workspace keeps at least one Owner"));
    // Ada manages Support, and only Support.
    app.logout().await;
    app.login_as("ada@acme.io", PASSWORD).await;
    assert_eq!(
        app.get_html(&format!("/workspaces/{support}/users"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.get_html(&format!("/workspaces/{acme}/users")).await.0,
        StatusCode::NOT_FOUND,
        "a workspace where she is only an Agent is none of hers to manage"
    );
    let other = app
        .db(|c| {
            let now = chrono::Utc::now().naive_utc();
            let org = gatehouse::orgs::store::create(c, "Globex", 3, now).unwrap();
            gatehouse::workspaces::store::first_active(c, org)
                .unwrap()
                .unwrap()
        })
        .await;
    assert_eq!(
        app.get_html(&format!("/workspaces/{other}/users")).await.0,
        StatusCode::NOT_FOUND
    );
    let response = add(&app, support, "bob@acme.io", "agent").await;
    assert_eq!(response.status(), StatusCode::OK);
    // Workspace access is no way around the organization's ranks: Adam (Admin) holds
    // permissions Ada does not, so she neither brings him in nor touches him.
    let response = add(&app, support, "adam@acme.io", "agent").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("holds permissions you do not have"));
    // Not an Owner: gives no Owner level, touches no Owner; and never herself.
    let response = app
        .hx_post(
            &format!("/workspaces/{support}/users/{bob}/edit"),
            &[("level", "owner")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Owners manage its Owners."));
    for path in ["edit", "revoke"] {
        let url = format!("/workspaces/{support}/users/{owner}/{path}");
        assert_ne!(
            app.hx_post(&url, &[("level", "agent")]).await.status(),
            StatusCode::OK,
            "{url}"
        );
        let url = format!("/workspaces/{support}/users/{ada}/{path}");
        let response = app.hx_post(&url, &[("level", "agent")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{url}");
    }
    let levels = app
        .db(move |c| {
            gatehouse::workspaces::store::levels_of(c, support, &[ada, owner, bob]).unwrap()
        })
        .await;
    assert_eq!(levels[&ada], gatehouse::workspaces::Level::Manager);
    assert_eq!(levels[&owner], gatehouse::workspaces::Level::Owner);
    assert_eq!(levels[&bob], gatehouse::workspaces::Level::Agent);
}

async fn add_user_of_a_new_address_invites_to_the_organization_and_the_workspace_at_once(
    app: TestApp,
) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let support = support(&app, org_id).await;
    let acme = workspace(&app, org_id, "Acme").await;
    let response = add(&app, support, "Jane.Doe@Acme.io", "manager").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("An invitation was sent to jane.doe@acme.io: they join Support and the organization when they accept.")
    );
    let table = response.text().await.unwrap();
    assert!(
        table.contains("Jane Doe") && table.contains("Pending"),
        "{table}"
    );
    let jane = app
        .db(|c| {
            use gatehouse::db::schema::users;
            users::table
                .filter(users::email.eq("jane.doe@acme.io"))
                .select(users::id)
                .first::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(app.status_of(jane).await.as_deref(), Some("invited"));
    // The workspace she was added to, not the organization's first; no role, no license.
    let (here, there, roles, licenses) = app
        .db(move |c| {
            use gatehouse::db::schema::{license_assignments, user_roles};
            let here = gatehouse::workspaces::store::levels_of(c, support, &[jane]).unwrap();
            let there = gatehouse::workspaces::store::levels_of(c, acme, &[jane]).unwrap();
            let roles: i64 = user_roles::table
                .filter(user_roles::user_id.eq(jane))
                .count()
                .get_result(c)
                .unwrap();
            let licenses: i64 = license_assignments::table
                .filter(license_assignments::user_id.eq(jane))
                .count()
                .get_result(c)
                .unwrap();
            (here, there, roles, licenses)
        })
        .await;
    assert_eq!(here[&jane], gatehouse::workspaces::Level::Manager);
    assert!(there.is_empty());
    assert_eq!((roles, licenses), (0, 0));
    let actions = app.audit_actions(org_id).await;
    assert!(actions.contains(&"user.invited".to_string()));
    assert!(actions.contains(&"workspace.member_added".to_string()));
    let invited = app.audit_details(org_id, "user.invited").await;
    assert_eq!(invited[0]["workspace"], "Support");
    // The email arrives; its link makes her an active member of the organization.
    let message = app.mail().message_to("jane.doe@acme.io").await;
    assert!(message.subject().contains("Acme (workspace Support)"));
    let link = message.link("/invite/").expect("an invite link");
    let path = link
        .strip_prefix(&app.address)
        .expect("a link to the console");
    let browser = app.new_browser();
    let response = app
        .post_from_page(
            &browser,
            path,
            path,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert!(response.status().is_redirection() || response.status().is_success());
    assert_eq!(app.status_of(jane).await.as_deref(), Some("active"));
    // Someone of another organization is not invited twice.
    let globex = app
        .db(|c| {
            let now = chrono::Utc::now().naive_utc();
            gatehouse::orgs::store::create(c, "Globex", 3, now).unwrap()
        })
        .await;
    app.add_people(globex, vec![someone("Gus", "gus@globex.io", "Agent")])
        .await;
    let response = add(&app, support, "gus@globex.io", "agent").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("already has an account or a pending invitation"));
}

async fn restrictions_bind_managers_and_the_export_honours_the_search(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    app.add_people(
        org_id,
        vec![
            someone("Ada", "ada@acme.io", "Agent"),
            someone("Bob", "bob@acme.io", "Agent"),
            someone("Cy", "cy@acme.io", "Agent"),
        ],
    )
    .await;
    let support = support(&app, org_id).await;
    let response = app
        .hx_post(
            &format!("/workspaces/{support}/users"),
            &[
                ("email", "ada@acme.io"),
                ("level", "manager"),
                ("restriction", "no_export"),
                ("restriction", "no_invite"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let table = response.text().await.unwrap();
    assert!(table.contains("Cannot export") && table.contains("Cannot invite people new"));
    add(&app, support, "bob@acme.io", "agent").await;
    add(&app, support, "cy@acme.io", "agent").await;
    // The export: the search, each member's level and restrictions.
    let response = app
        .get(&format!("/workspaces/{support}/users/export.csv?q=ada"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        vec![
            "Name,Email,Access Level,Restrictions,Status,Last active",
            "Ada Test,ada@acme.io,Manager,Cannot export; Cannot invite people new to the organization,Active,",
        ]
    );
    let all = app
        .get(&format!("/workspaces/{support}/users/export.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(all.lines().count(), 4, "{all}");
    // Ada, restricted: no export, no invitation, and her restrictions stay on the Managers
    // she makes.
    app.logout().await;
    app.login_as("ada@acme.io", PASSWORD).await;
    let (_, page) = app.get_html(&format!("/workspaces/{support}/users")).await;
    assert!(!page.contains("export.csv"), "no Export for her");
    let response = app
        .get(&format!("/workspaces/{support}/users/export.csv"))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = add(&app, support, "new@acme.io", "agent").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("restricted: cannot invite people new to the organization"));
    let bob = app
        .db(|c| {
            use gatehouse::db::schema::users;
            users::table
                .filter(users::email.eq("bob@acme.io"))
                .select(users::id)
                .first::<i64>(c)
                .unwrap()
        })
        .await;
    let url = format!("/workspaces/{support}/users/{bob}/edit");
    let response = app.hx_post(&url, &[("level", "manager")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let dialog = response.text().await.unwrap();
    assert!(dialog.contains("keep that restriction"), "{dialog}");
    let response = app
        .hx_post(
            &url,
            &[
                ("level", "manager"),
                ("restriction", "no_export"),
                ("restriction", "no_invite"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed = app.audit_details(org_id, "workspace.member_changed").await;
    assert_eq!(changed[0]["after"]["level"], "Manager");
    assert_eq!(changed[0]["after"]["restrictions"][0], "Cannot export");
    assert!(app.mail().count_to("new@acme.io") == 0);
    // Her restriction on revoking is hers too: no Revoke Access dialog or button.
    let ada_restricted = app
        .db(move |c| {
            use gatehouse::workspaces::{store, Membership, Restriction};
            let ada: i64 = {
                use gatehouse::db::schema::users;
                users::table
                    .filter(users::email.eq("ada@acme.io"))
                    .select(users::id)
                    .first(c)
                    .unwrap()
            };
            let now = chrono::Utc::now().naive_utc();
            let membership = Membership::new(
                gatehouse::workspaces::Level::Manager,
                vec![Restriction::NoRevoke],
            );
            store::set_membership(c, (support, ada), &membership, now).unwrap();
            ada
        })
        .await;
    let _ = ada_restricted;
    let (_, page) = app.get_html(&format!("/workspaces/{support}/users")).await;
    assert!(
        !page.contains("Revoke Access of"),
        "no Revoke Access for her"
    );
    let response = app
        .hx_get(&format!("/workspaces/{support}/users/{bob}/revoke"))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn the_users_page_walks_members_in_name_order_and_follows_renames(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let people: Vec<crate::helpers::Person> = (0..55)
        .map(|n| {
            let first: &'static str = Box::leak(format!("P{n:02}").into_boxed_str());
            let email: &'static str = Box::leak(format!("p{n:02}@acme.io").into_boxed_str());
            someone(first, email, "Agent")
        })
        .collect();
    let ids = app.add_people(org_id, people).await;
    let acme = workspace(&app, org_id, "Acme").await;
    // Two pages, in name order (last name first: Owner before Test), nobody twice or missing.
    let (_, first) = app.get_html(&format!("/workspaces/{acme}/users")).await;
    let next = crate::helpers::link_rel(&first, "next").expect("a next page");
    let (_, second) = app.get_html(&next.replace("&amp;", "&")).await;
    let mut seen = crate::helpers::emails_in(&first);
    assert_eq!(seen.len(), 50);
    seen.extend(crate::helpers::emails_in(&second));
    let mut expected = vec![OWNER.to_string()];
    expected.extend((0..55).map(|n| format!("p{n:02}@acme.io")));
    assert_eq!(seen, expected);
    // A rename moves the member on the workspace's page too (the membership's copy of the
    // name follows, whichever path renamed them).
    let p00 = ids[0];
    app.db(move |c| {
        use gatehouse::db::schema::users;
        diesel::update(users::table.find(p00))
            .set((
                users::first_name.eq("Zed"),
                users::name_key.eq(gatehouse::users::name_key("Zed", "Test")),
            ))
            .execute(c)
            .unwrap();
    })
    .await;
    let (_, page) = app
        .get_html(&format!("/workspaces/{acme}/users?q=p0"))
        .await;
    let shown = crate::helpers::emails_in(&page);
    assert_eq!(shown.first().map(String::as_str), Some("p01@acme.io"));
    assert_eq!(shown.last().map(String::as_str), Some("p00@acme.io"));
    // The page walks the membership's name index (SQLite's plan says so).
    let plan = app
        .db(move |c| {
            let mut query = gatehouse::users::forms::ListQuery::from_pairs(&[]);
            query.workspace_id = Some(acme);
            gatehouse::users::store::explain_list(c, org_id, &query)
                .unwrap()
                .join("\n")
        })
        .await;
    if app.backend == crate::helpers::Backend::Sqlite {
        let inner: Vec<&str> = plan.lines().take_while(|l| *l != "SCAN page").collect();
        assert_eq!(
            inner,
            [
                "CO-ROUTINE page",
                "SEARCH fw USING COVERING INDEX workspace_members_name (workspace_id=?)",
                "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)",
            ],
            "the page is found in order, without a sort: {plan}"
        );
    }
}
