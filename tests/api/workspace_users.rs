//! Workspaces in User Management: once an organization has a second workspace, each row shows
//! its workspaces as chips, the list filters by workspace, and bulk actions add people to a
//! workspace or take them out of it (as Revoke Access: records there unassigned, the
//! organization kept, the last Owner kept), audited per person with the workspace.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{emails_in, location_of, someone, toast_of, TestApp, PASSWORD};

both!(
    user_management_shows_filters_and_changes_workspace_membership_in_bulk,
    the_header_switches_between_the_workspaces_one_manages_and_remembers,
    delete_counts_records_per_workspace_and_hands_them_over_where_the_new_owner_belongs,
);

const OWNER: &str = "olive@acme.io";

fn selection<'a>(action: &'a str, ids: &'a [String]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![("action", action)];
    fields.extend(ids.iter().map(|id| ("ids", id.as_str())));
    fields
}

async fn user_management_shows_filters_and_changes_workspace_membership_in_bulk(app: TestApp) {
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
    let (ada, bob) = (ids[0], ids[1]);
    // One workspace: nothing of workspaces shows.
    let (_, page) = app.get_html("/users").await;
    assert!(!page.contains("All workspaces") && !page.contains("chip workspace"));
    app.get_html("/settings/workspaces").await;
    app.post_form("/settings/workspaces", &[("name", "Support")])
        .await;
    let support = app
        .db(move |c| {
            gatehouse::workspaces::store::all(c, org_id)
                .unwrap()
                .into_iter()
                .find(|w| w.name == "Support")
                .unwrap()
                .id
        })
        .await;
    let (_, page) = app.get_html("/users").await;
    assert!(page.contains("All workspaces"), "the filter appears");
    assert!(page.contains(&format!("value=\"workspace_add:{support}\"")));
    assert!(page.contains("<span class=\"visually-hidden\">Workspace: </span>Acme"));
    // Bulk: Ada and Bob join Support (as Agents), each audited.
    let ticked: Vec<String> = [ada, bob].iter().map(i64::to_string).collect();
    let add = format!("workspace_add:{support}");
    let dialog = app
        .hx_post("/users/bulk/confirm", &selection(&add, &ticked))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains("Add to the workspace “Support”"),
        "{dialog}"
    );
    let mut fields = selection(&add, &ticked);
    fields.push(("confirmed", "1"));
    let response = app.hx_post("/users/bulk", &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(toast_of(response.headers())
        .unwrap_or_default()
        .contains('2'));
    let filtered = format!("/users?workspace={support}");
    let (_, page) = app.get_html(&filtered).await;
    assert_eq!(emails_in(&page), vec!["ada@acme.io", "bob@acme.io"]);
    assert!(page.contains("Workspace: </span>Support"));
    let added = app.audit_details(org_id, "workspace.member_added").await;
    assert_eq!(added.len(), 2);
    assert_eq!(added[0]["workspace"], "Support");
    // Taking them out: Ada's records there become unassigned; she stays in the organization.
    app.add_records(org_id, ada, "contact", 2).await;
    app.db(move |c| {
        use gatehouse::db::schema::owned_records;
        diesel::update(owned_records::table.filter(owned_records::owner_id.eq(ada)))
            .set(owned_records::workspace_id.eq(support))
            .execute(c)
            .unwrap();
    })
    .await;
    let remove = format!("workspace_remove:{support}");
    let mut fields = selection(&remove, &ticked);
    fields.push(("confirmed", "1"));
    let response = app.hx_post("/users/bulk", &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, page) = app.get_html(&filtered).await;
    assert!(emails_in(&page).is_empty(), "nobody is left in Support");
    assert_eq!(app.record_owners(org_id).await, vec![None, None]);
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
    let revoked = app.audit_details(org_id, "workspace.access_revoked").await;
    assert_eq!(revoked.len(), 2);
    assert!(revoked.iter().any(|r| r["records"]["contact"] == 2));
    // The last Owner of a workspace is left out of a removal.
    app.db(move |c| {
        let now = chrono::Utc::now().naive_utc();
        use gatehouse::workspaces::{store, Level};
        store::set_member(c, support, ada, Level::Owner, now).unwrap();
        store::set_member(c, support, bob, Level::Agent, now).unwrap();
    })
    .await;
    let dialog = app
        .hx_post("/users/bulk/confirm", &selection(&remove, &ticked))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains("Ada Test: the workspace keeps at least one Owner")
            && dialog.contains("1 user will change."),
        "{dialog}"
    );
    // Another organization's workspace is not offered, nor accepted.
    let other = app
        .db(|c| {
            let now = chrono::Utc::now().naive_utc();
            let org = gatehouse::orgs::store::create(c, "Globex", 3, now).unwrap();
            gatehouse::workspaces::store::first_active(c, org)
                .unwrap()
                .unwrap()
        })
        .await;
    let foreign = format!("workspace_add:{other}");
    let response = app
        .hx_post("/users/bulk/confirm", &selection(&foreign, &ticked))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let said = toast_of(response.headers()).unwrap_or_default() + &response.text().await.unwrap();
    assert!(said.contains("Choose a workspace from the list."), "{said}");
}

async fn the_header_switches_between_the_workspaces_one_manages_and_remembers(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    app.add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await;
    let (_, page) = app.get_html("/users").await;
    assert!(
        !page.contains("/workspaces/switcher"),
        "one workspace: no switcher"
    );
    app.get_html("/settings/workspaces").await;
    app.post_form("/settings/workspaces", &[("name", "Support")])
        .await;
    let (_, page) = app.get_html("/users").await;
    assert!(page.contains("hx-get=\"/workspaces/switcher\""));
    let switcher = app
        .hx_get("/workspaces/switcher")
        .await
        .text()
        .await
        .unwrap();
    let options = |html: &str| -> Vec<(String, bool)> {
        html.split("<option ")
            .skip(1)
            .map(|o| {
                let name = o[o.find('>').unwrap() + 1..o.find("</option>").unwrap()].to_owned();
                (name, o.contains(" selected"))
            })
            .collect()
    };
    assert_eq!(
        options(&switcher),
        vec![("Acme".into(), true), ("Support".into(), false)]
    );
    let support = app
        .db(move |c| {
            gatehouse::workspaces::store::all(c, org_id)
                .unwrap()
                .into_iter()
                .find(|w| w.name == "Support")
                .unwrap()
                .id
        })
        .await;
    let response = app
        .post_form("/workspaces/switch", &[("workspace", &support.to_string())])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location_of(&response).as_deref(),
        Some(format!("/workspaces/{support}/users").as_str())
    );
    let switcher = app
        .hx_get("/workspaces/switcher")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        options(&switcher),
        vec![("Acme".into(), false), ("Support".into(), true)],
        "remembered"
    );
    // Ada manages Support only: she is offered Support, and Acme is not found.
    app.hx_post(
        &format!("/workspaces/{support}/users"),
        &[("email", "ada@acme.io"), ("level", "manager")],
    )
    .await;
    app.logout().await;
    app.login_as("ada@acme.io", PASSWORD).await;
    let switcher = app
        .hx_get("/workspaces/switcher")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(options(&switcher), vec![("Support".into(), true)]);
    let acme = app
        .db(move |c| {
            gatehouse::workspaces::store::first_active(c, org_id)
                .unwrap()
                .unwrap()
        })
        .await;
    let response = app
        .post_form("/workspaces/switch", &[("workspace", &acme.to_string())])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn delete_counts_records_per_workspace_and_hands_them_over_where_the_new_owner_belongs(
    app: TestApp,
) {
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
    let (ada, bob) = (ids[0], ids[1]);
    app.get_html("/settings/workspaces").await;
    app.post_form("/settings/workspaces", &[("name", "Support")])
        .await;
    // Ada: 2 contacts in Acme (where Bob is too), 1 lead in Support (where he is not).
    app.add_records(org_id, ada, "contact", 2).await;
    app.add_records(org_id, ada, "lead", 1).await;
    let (acme, support) = app
        .db(move |c| {
            use gatehouse::db::schema::owned_records;
            let all = gatehouse::workspaces::store::all(c, org_id).unwrap();
            let id = |name: &str| all.iter().find(|w| w.name == name).unwrap().id;
            let (acme, support) = (id("Acme"), id("Support"));
            for (kind, workspace) in [("contact", acme), ("lead", support)] {
                diesel::update(owned_records::table.filter(owned_records::kind.eq(kind)))
                    .set(owned_records::workspace_id.eq(workspace))
                    .execute(c)
                    .unwrap();
            }
            gatehouse::workspaces::store::set_member(
                c,
                support,
                ada,
                gatehouse::workspaces::Level::Agent,
                chrono::Utc::now().naive_utc(),
            )
            .unwrap();
            (acme, support)
        })
        .await;
    let dialog = app
        .hx_get(&format!("/users/{ada}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains("Ada owns 2 contacts in Acme; 1 lead in Support."),
        "{dialog}"
    );
    let response = app
        .hx_post(
            &format!("/users/{ada}/delete"),
            &[("reassign", "user"), ("reassign_email", "bob@acme.io")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("ada@acme.io was deleted. 2 records went to bob@acme.io; 1 in workspaces they do not belong to are now unassigned.")
    );
    let owners = app
        .db(move |c| {
            use gatehouse::db::schema::owned_records;
            owned_records::table
                .filter(owned_records::org_id.eq(org_id))
                .order(owned_records::reference)
                .select((owned_records::workspace_id, owned_records::owner_id))
                .load::<(Option<i64>, Option<i64>)>(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        owners,
        vec![
            (Some(acme), Some(bob)),
            (Some(acme), Some(bob)),
            (Some(support), None)
        ]
    );
    let deleted = app.audit_details(org_id, "user.deleted").await;
    assert_eq!(deleted[0]["records_moved"], 2);
    assert_eq!(deleted[0]["records_unassigned"], 1);
    assert_eq!(
        deleted[0]["owned_by_workspace"],
        "2 contacts in Acme; 1 lead in Support"
    );
}
