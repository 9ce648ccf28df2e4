//! Settings → Workspaces: an organization starts with one workspace everyone joins (its Owner
//! as Owner); workspaces are created, renamed and archived (confirmed, naming members and
//! records; never the last active one), each audited; another organization's answer 404.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{someone, toast_of, TestApp, PASSWORD};

both!(
    a_new_organization_has_one_workspace_everyone_joins,
    workspaces_are_created_renamed_and_archived_with_a_confirmation,
    bad_names_change_nothing_and_another_organizations_workspace_is_not_found,
);

const OWNER: &str = "olive@acme.io";

/// (workspace name, [(email, level)]) of the organization, by workspace id then email.
async fn memberships(app: &TestApp, org_id: i64) -> Vec<(String, Vec<(String, String)>)> {
    app.db(move |c| {
        use gatehouse::db::schema::{users, workspace_members, workspaces};
        let spaces: Vec<(i64, String)> = workspaces::table
            .filter(workspaces::org_id.eq(org_id))
            .order(workspaces::id)
            .select((workspaces::id, workspaces::name))
            .load(c)
            .unwrap();
        spaces
            .into_iter()
            .map(|(id, name)| {
                let members: Vec<(String, String)> = workspace_members::table
                    .inner_join(users::table)
                    .filter(workspace_members::workspace_id.eq(id))
                    .order(users::email)
                    .select((users::email, workspace_members::level))
                    .load(c)
                    .unwrap();
                (name, members)
            })
            .collect()
    })
    .await
}

async fn workspace_named(app: &TestApp, org_id: i64, name: &'static str) -> i64 {
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

async fn create(app: &TestApp, name: &str) -> reqwest::Response {
    app.get_html("/settings/workspaces").await;
    app.post_form("/settings/workspaces", &[("name", name)])
        .await
}

async fn a_new_organization_has_one_workspace_everyone_joins(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    app.add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await;
    // Someone invited joins it too, as every new member of the organization does.
    let agent = app.role_id(org_id, "Agent").await.to_string();
    let product = app.product_id(org_id, "Dialer").await.to_string();
    app.hx_post("/users/auto-signup", &[("allow", "0")]).await;
    let response = app
        .hx_post(
            "/users/invite",
            &[
                ("first_name_0", "Ivy"),
                ("last_name_0", "Invited"),
                ("email_0", "ivy@acme.io"),
                ("role_0", &agent),
                ("product_0", &product),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let all = memberships(&app, org_id).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].0, "Acme");
    let members: Vec<(&str, &str)> = all[0]
        .1
        .iter()
        .map(|(e, l)| (e.as_str(), l.as_str()))
        .collect();
    assert!(members.contains(&(OWNER, "owner")), "{members:?}");
    assert!(members.contains(&("ada@acme.io", "agent")), "{members:?}");
    assert!(members.contains(&("ivy@acme.io", "agent")), "{members:?}");
    let (status, page) = app.get_html("/settings/workspaces").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(">Workspaces</a>"), "the Settings tab");
    assert!(page.contains("users\">Acme</a></td>"), "{page}");
    assert!(
        !page.contains("Archive Acme"),
        "the only workspace is not archived"
    );
}

async fn workspaces_are_created_renamed_and_archived_with_a_confirmation(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let response = create(&app, "Support").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Workspace “Support” created."));
    let support = workspace_named(&app, org_id, "Support").await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    app.db(move |c| {
        let now = chrono::Utc::now().naive_utc();
        gatehouse::workspaces::store::set_member(
            c,
            support,
            ada,
            gatehouse::workspaces::Level::Manager,
            now,
        )
        .unwrap();
    })
    .await;
    app.add_records(org_id, ada, "contact", 3).await;
    app.db(move |c| {
        use gatehouse::db::schema::owned_records;
        diesel::update(owned_records::table.filter(owned_records::owner_id.eq(ada)))
            .set(owned_records::workspace_id.eq(support))
            .execute(c)
            .unwrap();
    })
    .await;
    // Rename: a name another workspace has is refused in the dialog; a new one is saved.
    let response = app
        .hx_post(
            &format!("/settings/workspaces/{support}/rename"),
            &[("name", "acme")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("There is already a workspace with this name."));
    let response = app
        .hx_post(
            &format!("/settings/workspaces/{support}/rename"),
            &[("name", "Customer care")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Workspace renamed to “Customer care”.")
    );
    // Archive: the confirmation names the members and the records first.
    let dialog = app
        .hx_get(&format!("/settings/workspaces/{support}/archive"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains("Archive workspace “Customer care”?"),
        "{dialog}"
    );
    assert!(
        dialog.contains("Its 1 member (Ada Test) keep their place in the organization."),
        "{dialog}"
    );
    assert!(
        dialog.contains("Its 3 records stay with it, read-only."),
        "{dialog}"
    );
    let response = app
        .hx_post(&format!("/settings/workspaces/{support}/archive"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains(">Archived</span>"));
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
    // The last active workspace stays.
    let acme = workspace_named(&app, org_id, "Acme").await;
    let response = app
        .hx_post(&format!("/settings/workspaces/{acme}/archive"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(toast_of(response.headers())
        .unwrap()
        .contains("An organization keeps at least one active workspace"));
    let actions = app.audit_actions(org_id).await;
    for action in [
        "workspace.created",
        "workspace.renamed",
        "workspace.archived",
    ] {
        assert_eq!(
            actions.iter().filter(|a| *a == action).count(),
            1,
            "{action}"
        );
    }
    let archived = app.audit_details(org_id, "workspace.archived").await;
    assert_eq!(archived[0]["members"], 1);
    assert_eq!(archived[0]["records"], 3);
    // Someone joining now goes to the first active workspace.
    let bob = app
        .add_people(org_id, vec![someone("Bob", "bob@acme.io", "Agent")])
        .await[0];
    let theirs = app
        .db(move |c| {
            use gatehouse::db::schema::workspace_members;
            workspace_members::table
                .filter(workspace_members::user_id.eq(bob))
                .select(workspace_members::workspace_id)
                .load::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(theirs, vec![acme]);
}

async fn bad_names_change_nothing_and_another_organizations_workspace_is_not_found(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    for (name, says) in [
        ("   ", "Enter a name."),
        ("ACME", "There is already a workspace with this name."),
    ] {
        let response = create(&app, name).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains(says), "{says}");
    }
    assert_eq!(memberships(&app, org_id).await.len(), 1);
    // Another organization's workspace: 404 for every action; an Agent: 403.
    let other = app
        .db(|c| {
            let now = chrono::Utc::now().naive_utc();
            let org = gatehouse::orgs::store::create(c, "Globex", 3, now).unwrap();
            gatehouse::workspaces::store::first_active(c, org)
                .unwrap()
                .unwrap()
        })
        .await;
    for path in ["rename", "archive"] {
        let url = format!("/settings/workspaces/{other}/{path}");
        assert_eq!(
            app.hx_get(&url).await.status(),
            StatusCode::NOT_FOUND,
            "{url}"
        );
        assert_eq!(
            app.hx_post(&url, &[("name", "Mine")]).await.status(),
            StatusCode::NOT_FOUND,
            "{url}"
        );
    }
    app.add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await;
    app.logout().await;
    app.login_as("ada@acme.io", PASSWORD).await;
    assert_eq!(
        app.get_html("/settings/workspaces").await.0,
        StatusCode::FORBIDDEN
    );
}
