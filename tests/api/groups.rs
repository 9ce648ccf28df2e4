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
    the_list_shows_chips_filters_by_group_bulk_tags_a_filter_and_exports,
    a_group_filter_pages_small_and_big_groups_through_an_index,
    a_group_made_or_renamed_on_one_instance_is_in_the_list_of_every_instance,
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

async fn the_list_shows_chips_filters_by_group_bulk_tags_a_filter_and_exports(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    for (kind, name) in [("tag", "VIP"), ("skill", "Spanish"), ("team", "North")] {
        create_group(&app, kind, name).await;
    }
    let (vip, spanish, north) = (
        group_named(&app, org_id, "VIP").await,
        group_named(&app, org_id, "Spanish").await,
        group_named(&app, org_id, "North").await,
    );
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ann", "ann@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
                someone("Cid", "cid@acme.io", "Agent"),
                someone("Sue", "sue@acme.io", "Supervisor"),
            ],
        )
        .await;
    let (ann, bob, sue) = (ids[0], ids[1], ids[3]);
    app.db(move |c| {
        store::add_member(c, ann, spanish).unwrap();
        store::add_member(c, ann, north).unwrap();
        store::add_member(c, sue, spanish).unwrap();
    })
    .await;

    // Chips on the row; the filter offers each kind's groups.
    let (_, page) = app.get_html("/users").await;
    let ann_row = row_of(&page, ann);
    assert!(ann_row.contains("<span class=\"visually-hidden\">Skill group: </span>Spanish"));
    assert!(ann_row.contains("<span class=\"visually-hidden\">Team: </span>North"));
    assert!(!row_of(&page, bob).contains("chip group"));
    assert!(page.contains("<option value=\"\">All groups</option>"));
    assert!(page.contains("<optgroup label=\"Skill Groups\">"));
    assert!(page.contains(&format!(
        "<option value=\"group_add:{vip}\">Add VIP</option>"
    )));
    let (_, filtered) = app.get_html(&format!("/users?group={spanish}")).await;
    let mut emails = crate::helpers::emails_in(&filtered);
    emails.sort();
    assert_eq!(emails, ["ann@acme.io", "sue@acme.io"]);
    assert!(filtered.contains(&format!(
        "<option value=\"{spanish}\" selected>Spanish</option>"
    )));

    // Bulk: tag every Agent (the filter, not ticked rows).
    let agent = app.role_id(org_id, "Agent").await.to_string();
    let action = format!("group_add:{vip}");
    let fields = [
        ("action", action.as_str()),
        ("all_matching", "1"),
        ("q", ""),
        ("role", agent.as_str()),
        ("group", ""),
        ("active", "1"),
    ];
    let dialog = app
        .hx_post("/users/bulk/confirm", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Add the Tag “VIP”?"), "{dialog}");
    assert!(dialog.contains("3 users will change."), "{dialog}");
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "1"));
    let response = app.hx_post("/users/bulk", &confirmed).await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("3 users changed.")
    );
    let (_, tagged) = app.get_html(&format!("/users?group={vip}")).await;
    let mut emails = crate::helpers::emails_in(&tagged);
    emails.sort();
    assert_eq!(emails, ["ann@acme.io", "bob@acme.io", "cid@acme.io"]);
    let events = app.audit_details(org_id, "user.updated").await;
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e["bulk"] == true));
    assert!(events.iter().any(|e| e["before"]["groups"]
        == serde_json::json!(["Skill group: Spanish", "Team: North"])
        && e["after"]["groups"]
            == serde_json::json!(["Skill group: Spanish", "Tag: VIP", "Team: North"])));

    // Bulk remove on the group filter itself, the ticked way: Bob only.
    let action = format!("group_remove:{vip}");
    let bob_id = bob.to_string();
    let fields = [
        ("action", action.as_str()),
        ("ids", bob_id.as_str()),
        ("confirmed", "1"),
    ];
    let response = app.hx_post("/users/bulk", &fields).await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("1 user changed.")
    );
    let held = app.db(move |c| store::of_user(c, bob).unwrap()).await;
    assert!(held.is_empty());

    // Another organization's group: refused, nothing changes.
    let now = app.state.clock.now();
    let (other_org, _) = app
        .db(move |c| gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap())
        .await;
    let theirs = app
        .db(move |c| store::insert(c, other_org, Kind::Tag, "Theirs", now).unwrap())
        .await;
    let action = format!("group_add:{theirs}");
    let response = app
        .hx_post(
            "/users/bulk/confirm",
            &[("action", &action), ("ids", &bob_id)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let said = toast_of(response.headers()).unwrap_or_default() + &response.text().await.unwrap();
    assert!(said.contains("Choose a group from the list."), "{said}");
    let response = app
        .hx_post(
            "/users/bulk",
            &[("action", &action), ("ids", &bob_id), ("confirmed", "1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let members = app
        .db(move |c| store::member_count(c, theirs).unwrap())
        .await;
    assert_eq!(members, 0);

    // The export: a column per kind, for the filter.
    let csv = app
        .get(&format!("/users/export.csv?group={spanish}"))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Name,Email,Roles,Licenses,User Tags,Skill Groups,Teams,Status,Lock state,Last login,Last active,Created,Username"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Ann Test,ann@acme.io,Agent,,VIP,Spanish,North,Active,")),
        "{csv}"
    );
}

/// The `<tr>` of one user in a list page.
fn row_of(page: &str, user_id: i64) -> String {
    let start = page
        .find(&format!("<tr id=\"user-{user_id}\">"))
        .expect("the user's row");
    let end = page[start..].find("</tr>").expect("end of row") + start;
    page[start..end].to_owned()
}

async fn a_group_filter_pages_small_and_big_groups_through_an_index(app: TestApp) {
    use diesel::prelude::*;
    use gatehouse::db::schema::{group_members, users};
    let hash = app
        .state
        .hasher
        .hash(crate::helpers::PASSWORD.into())
        .await
        .unwrap();
    // 20,000 demo users: about 400 are VIP (a small group), 5,000 on the North team.
    let org_id = app
        .db(move |c| gatehouse::demo::seed(c, 20_000, &hash).unwrap().org_id)
        .await;
    crate::helpers::assert_redirect_to(
        &app.login_as(gatehouse::demo::ADMIN_EMAIL, crate::helpers::PASSWORD)
            .await,
        "/users",
    );
    for name in ["VIP", "North"] {
        let group = group_named(&app, org_id, name).await;
        // The first page: the group's first 50 users by name, as a plain query finds them.
        let expected: Vec<String> = app
            .db(move |c| {
                let query = users::table
                    .inner_join(group_members::table)
                    .filter(group_members::group_id.eq(group))
                    .order((users::name_key, users::id))
                    .select(users::email)
                    .limit(50);
                match c {
                    gatehouse::db::DbConn::Sqlite(c) => query.load(c),
                    gatehouse::db::DbConn::Pg(c) => query.load(c),
                }
                .unwrap()
            })
            .await;
        let (_, page) = app
            .get_html(&format!("/users?group={group}&active=0"))
            .await;
        assert_eq!(crate::helpers::emails_in(&page), expected, "{name}");
        let plan = app
            .db(move |c| {
                let query = gatehouse::users::forms::ListQuery::from_pairs(&[(
                    "group".into(),
                    group.to_string(),
                )]);
                gatehouse::users::store::explain_list(c, org_id, &query)
                    .unwrap()
                    .join("\n")
            })
            .await;
        // Small or big, the page walks the group's memberships in name order (each keeps its
        // user's name_key): never the organization's other users, never a sort.
        if app.backend == crate::helpers::Backend::Sqlite {
            let inner: Vec<&str> = plan.lines().take_while(|l| *l != "SCAN page").collect();
            assert_eq!(
                inner,
                [
                    "CO-ROUTINE page",
                    "SEARCH fg USING COVERING INDEX group_members_name (group_id=?)",
                    "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)",
                ],
                "{name}: {plan}"
            );
        }
        // The next page follows from the cursor through the same walk.
        let next_expected: Vec<String> = app
            .db(move |c| {
                users::table
                    .inner_join(group_members::table)
                    .filter(group_members::group_id.eq(group))
                    .order((users::name_key, users::id))
                    .select(users::email)
                    .offset(50)
                    .limit(50)
                    .load(c)
                    .unwrap()
            })
            .await;
        let next = page
            .split("rel=\"next\"")
            .next()
            .and_then(|before| before.rsplit("href=\"").next())
            .and_then(|link| link.split('"').next())
            .map(|link| link.replace("&amp;", "&").replace("&#38;", "&"));
        if next_expected.is_empty() {
            assert!(!page.contains("rel=\"next\""), "{name}");
        } else {
            let (_, second) = app.get_html(&next.expect("a next link")).await;
            assert_eq!(crate::helpers::emails_in(&second), next_expected, "{name}");
        }
        // Renamed (by any path), the first member moves to the end of the group's order.
        let first = expected[0].clone();
        app.db(move |c| {
            let id: i64 = users::table
                .filter(users::email.eq(&first))
                .select(users::id)
                .first(c)
                .unwrap();
            diesel::update(users::table.find(id))
                .set((
                    users::first_name.eq("Zzz"),
                    users::name_key.eq(gatehouse::users::name_key("Zzz", "Zzz")),
                ))
                .execute(c)
                .unwrap();
        })
        .await;
        let (_, page) = app
            .get_html(&format!("/users?group={group}&active=0"))
            .await;
        let shown = crate::helpers::emails_in(&page);
        assert_eq!(shown[..49], expected[1..], "{name}");
        assert!(!shown.contains(&expected[0]), "{name}");
    }
}

/// User Management takes the organization's groups from its catalogue in memory: a group made
/// or renamed (on any instance) bumps the catalogue, so the next list everywhere shows it.
async fn a_group_made_or_renamed_on_one_instance_is_in_the_list_of_every_instance(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    // SQLite serves one instance: the same instance's cache must follow too.
    let other = (app.backend == crate::helpers::Backend::Postgres)
        .then_some(app.start_another_instance().await);
    let list = |url: String| {
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let urls = || {
        let mut urls = vec![app.url("/users")];
        urls.extend(other.as_ref().map(|o| o.url("/users")));
        urls
    };
    for url in urls() {
        assert!(!list(url).await.contains(">Night shift</option>"));
    }
    create_group(&app, "team", "Night shift").await;
    let night = group_named(&app, org_id, "Night shift").await;
    for url in urls() {
        let page = list(url.clone()).await;
        assert!(
            page.contains(&format!("<option value=\"{night}\">Night shift</option>")),
            "{url}"
        );
    }
    let response = app
        .post_form(
            &format!("/settings/groups/{night}/rename"),
            &[("name", "Late shift")],
        )
        .await;
    assert!(response.status().is_success() || response.status().is_redirection());
    for url in urls() {
        let page = list(url.clone()).await;
        assert!(page.contains(">Late shift</option>"), "{url}");
        assert!(!page.contains(">Night shift</option>"), "{url}");
    }
}
