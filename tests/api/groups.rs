//! Groups (tags, skill groups, teams): Settings → Groups, Edit User, the list's chips and
//! filter, bulk add and remove, the export.

use reqwest::StatusCode;

use crate::both;
use crate::helpers::{someone, toast_of, TestApp};
use gatehouse::groups::{store, Kind};

both!(
    groups_are_created_renamed_and_deleted_with_their_counts,
    a_group_name_is_unique_per_kind_and_bad_names_change_nothing,
    groups_are_settings_and_another_organizations_answer_404,
    edit_user_assigns_groups_audits_them_and_refuses_anothers,
);

const OWNER: &str = "olive@acme.io";

pub async fn group_named(app: &TestApp, org_id: i64, name: &'static str) -> i64 {
    app.db(move |c| {
        store::all(c, org_id)
            .unwrap()
            .into_iter()
            .find(|g| g.name == name)
            .map(|g| g.id)
            .expect("group")
    })
    .await
}

pub async fn create_group(app: &TestApp, kind: &str, name: &str) -> reqwest::Response {
    app.get_html("/settings/groups").await;
    app.post_form("/settings/groups", &[("kind", kind), ("name", name)])
        .await
}

async fn groups_are_created_renamed_and_deleted_with_their_counts(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let (status, page) = app.get_html("/settings/groups").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("User Tags") && page.contains("Skill Groups") && page.contains("Teams"));
    assert!(page.contains("No user tags yet."));

    let response = create_group(&app, "tag", "  VIP  ").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Tag “VIP” created."), "{page}");
    assert!(page.contains(">VIP</td>"));
    create_group(&app, "skill", "Spanish").await;
    create_group(&app, "team", "North").await;
    let vip = group_named(&app, org_id, "VIP").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ann", "ann@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    app.db(move |c| {
        for id in ids {
            store::add_member(c, id, vip).unwrap();
        }
    })
    .await;
    let (_, page) = app.get_html("/settings/groups").await;
    assert!(
        page.contains(&format!("href=\"/users?active=0&amp;group={vip}\">2</a>")),
        "the count links to the list filtered by the group"
    );

    // Rename: in a dialog; the lists come back in place.
    let dialog = app
        .hx_get(&format!("/settings/groups/{vip}/rename"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Rename Tag “VIP”"));
    let response = app
        .hx_post(
            &format!("/settings/groups/{vip}/rename"),
            &[("name", "Key account")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(toast_of(response.headers())
        .unwrap()
        .contains("Tag renamed to “Key account”."));
    assert!(response.text().await.unwrap().contains(">Key account</td>"));

    // Delete asks first, naming who holds it.
    let dialog = app
        .hx_get(&format!("/settings/groups/{vip}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Delete Tag “Key account”?"), "{dialog}");
    assert!(
        dialog.contains("2 users hold it (Ann Test, Bob Test); they will no longer have it."),
        "{dialog}"
    );
    let response = app
        .hx_post(&format!("/settings/groups/{vip}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(toast_of(response.headers()).unwrap().contains("deleted"));
    let (left, members) = app
        .db(move |c| {
            (
                store::all(c, org_id).unwrap().len(),
                store::member_count(c, vip).unwrap(),
            )
        })
        .await;
    assert_eq!((left, members), (2, 0));

    let created = app.audit_details(org_id, "group.created").await;
    assert_eq!(created.len(), 3);
    assert!(created
        .iter()
        .any(|d| d["kind"] == "Tag" && d["name"] == "VIP"));
    let renamed = app.audit_details(org_id, "group.renamed").await;
    assert_eq!(renamed[0]["before"]["name"], "VIP");
    assert_eq!(renamed[0]["after"]["name"], "Key account");
    let deleted = app.audit_details(org_id, "group.deleted").await;
    assert_eq!(deleted[0]["members"], 2);
    let (_, activity) = app.get_html("/activity").await;
    assert!(activity.contains("Group deleted") && activity.contains("Group renamed"));
}

async fn a_group_name_is_unique_per_kind_and_bad_names_change_nothing(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_group(&app, "tag", "VIP").await;
    let response = create_group(&app, "tag", "vip").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("There is already a Tag with this name."));
    assert!(page.contains("value=\"vip\""), "what was typed stays");
    // Another kind may use the name.
    assert_eq!(
        create_group(&app, "team", "VIP").await.status(),
        StatusCode::OK
    );
    for (kind, name, message) in [
        ("tag", "   ", "Enter a name."),
        ("tag", &"x".repeat(61), "Use at most 60 characters."),
        ("division", "North", "Choose Tag, Skill group or Team."),
    ] {
        let response = create_group(&app, kind, name).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            response.text().await.unwrap().contains(message),
            "{message}"
        );
    }
    // A rename onto a taken name is refused in the dialog.
    create_group(&app, "tag", "Gold").await;
    let gold = group_named(&app, org_id, "Gold").await;
    let response = app
        .hx_post(
            &format!("/settings/groups/{gold}/rename"),
            &[("name", "VIP")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("There is already a Tag with this name."));
    let names: Vec<(String, String)> = app
        .db(move |c| {
            store::all(c, org_id)
                .unwrap()
                .into_iter()
                .map(|g| (g.kind, g.name))
                .collect()
        })
        .await;
    assert_eq!(
        names,
        vec![
            ("tag".to_owned(), "Gold".to_owned()),
            ("tag".to_owned(), "VIP".to_owned()),
            ("team".to_owned(), "VIP".to_owned())
        ]
    );
    assert_eq!(app.audit_details(org_id, "group.created").await.len(), 3);

    // Two racing creations of one name: one wins, the other is told.
    let now = app.state.clock.now();
    let outcomes = app
        .db(move |c| {
            let actor = gatehouse::audit::Actor::system("test");
            let meta = gatehouse::audit::Origin::default();
            let group = gatehouse::groups::service::NewGroup {
                kind: Some(Kind::Skill),
                name: "French",
            };
            (0..2)
                .map(|_| {
                    gatehouse::groups::service::create(c, &actor, org_id, &group, &meta, now)
                        .is_ok()
                })
                .collect::<Vec<_>>()
        })
        .await;
    assert_eq!(outcomes, vec![true, false]);
}

async fn groups_are_settings_and_another_organizations_answer_404(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_group(&app, "tag", "VIP").await;
    let vip = group_named(&app, org_id, "VIP").await;
    app.add_people(org_id, vec![someone("Max", "max@acme.io", "Manager")])
        .await;
    let now = app.state.clock.now();
    let (other_org, _) = app
        .db(move |c| gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap())
        .await;
    let theirs = app
        .db(move |c| store::insert(c, other_org, Kind::Tag, "Theirs", now).unwrap())
        .await;
    for path in [
        format!("/settings/groups/{theirs}/rename"),
        format!("/settings/groups/{theirs}/delete"),
    ] {
        assert_eq!(app.hx_get(&path).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            app.hx_post(&path, &[("name", "Mine")]).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    app.logout().await;
    app.login_as("max@acme.io", crate::helpers::PASSWORD).await;
    assert_eq!(
        app.get("/settings/groups").await.status(),
        StatusCode::FORBIDDEN
    );
    let response = app
        .hx_post(&format!("/settings/groups/{vip}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let left = app
        .db(move |c| {
            (
                store::all(c, org_id).unwrap().len(),
                store::all(c, other_org).unwrap().len(),
            )
        })
        .await;
    assert_eq!(left, (1, 1));
}

async fn edit_user_assigns_groups_audits_them_and_refuses_anothers(app: TestApp) {
    use crate::edit::{dialog, fields_of, post};
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_group(&app, "tag", "VIP").await;
    create_group(&app, "skill", "Spanish").await;
    create_group(&app, "team", "North").await;
    let (vip, spanish, north) = (
        group_named(&app, org_id, "VIP").await,
        group_named(&app, org_id, "Spanish").await,
        group_named(&app, org_id, "North").await,
    );
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    app.db(move |c| store::add_member(c, ann, north).unwrap())
        .await;

    // The dialog shows each kind as Selected and Available.
    let page = dialog(&app, ann).await;
    assert!(page.contains("<legend>User Tags</legend>"), "{page}");
    assert!(page.contains("<legend>Skill Groups</legend>"));
    assert!(page.contains(&format!("value=\"{north}\" checked")));
    assert!(page.contains(&format!("value=\"{vip}\">")));

    // VIP and Spanish in, North out.
    let (vip_s, spanish_s) = (vip.to_string(), spanish.to_string());
    let mut fields = fields_of(&page, &[("group", &vip_s)]);
    fields.push(("group".into(), spanish_s.clone()));
    let response = post(&app, ann, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let held = app.db(move |c| store::of_user(c, ann).unwrap()).await;
    assert_eq!(held, [vip, spanish].into_iter().collect());
    let edits = app.audit_details(org_id, "user.updated").await;
    assert_eq!(
        edits[0]["before"]["groups"],
        serde_json::json!(["Team: North"])
    );
    assert_eq!(
        edits[0]["after"]["groups"],
        serde_json::json!(["Skill group: Spanish", "Tag: VIP"])
    );

    // Another organization's group is refused beside the pickers, and nothing changes.
    let now = app.state.clock.now();
    let (other_org, _) = app
        .db(move |c| gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap())
        .await;
    let theirs = app
        .db(move |c| store::insert(c, other_org, Kind::Tag, "Theirs", now).unwrap())
        .await
        .to_string();
    let page = dialog(&app, ann).await;
    let fields = fields_of(&page, &[("group", &theirs), ("first_name", "Annie")]);
    let response = post(&app, ann, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Choose groups from the lists."));
    let held = app.db(move |c| store::of_user(c, ann).unwrap()).await;
    assert_eq!(held, [vip, spanish].into_iter().collect());
    assert_eq!(app.audit_details(org_id, "user.updated").await.len(), 1);
    let (_, list) = app.get_html("/users").await;
    assert!(!list.contains("Annie"));
}
