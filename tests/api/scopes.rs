//! Scoped administration and tenant superusers: someone limited to some divisions and teams
//! sees and acts on only their people (list, count, search, export, bulk "all matching",
//! Activity, typed ids); Make Tenant SuperUser is the Owner's alone; attempts beyond one's
//! access are refused and audited.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::edit::{dialog, fields_of, post};
use crate::groups::{create_group, group_named};
use crate::helpers::{someone, TestApp, PASSWORD};

both!(
    a_scoped_admin_sees_and_acts_on_only_their_divisions_and_teams,
    a_scoped_admin_gives_no_wider_scope_or_role_and_each_attempt_is_audited,
    only_the_owner_makes_a_tenant_superuser_and_the_list_shows_the_badge,
    a_scoped_admin_widens_their_reach_through_no_other_door,
);

const OWNER: &str = "olive@acme.io";
const LEAD: &str = "sam@acme.io";

/// Acme with divisions North and South, the team Night shift, and: Ana and Ben in North, Carl
/// in South, Erin in South on the Night shift, and Sam, a "Division lead" (a role that
/// manages users) whom the Owner limits to North through Edit permissions. Returns
/// (org, [ana, ben, carl, erin, sam], north, south, night shift).
async fn acme(app: &TestApp) -> (i64, Vec<i64>, i64, i64, i64) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    for name in ["North", "South"] {
        app.get_html("/settings/divisions").await;
        let response = app
            .post_form("/settings/divisions", &[("name", name)])
            .await;
        assert!(response.status().is_success() || response.status().is_redirection());
    }
    create_group(app, "team", "Night shift").await;
    let (north, south) = (
        division(app, org_id, "North").await,
        division(app, org_id, "South").await,
    );
    let night = group_named(app, org_id, "Night shift").await;
    let mut fields = vec![
        ("name", "Division lead"),
        ("description", "Leads a division"),
    ];
    for p in [
        "users.view",
        "users.edit",
        "users.credentials",
        "users.status",
        "users.access",
        "users.delete",
        "audit.view",
    ] {
        fields.push(("permission", p));
    }
    assert_eq!(
        app.hx_post("/settings/roles", &fields).await.status(),
        StatusCode::OK
    );
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ana", "ana@acme.io", "Agent"),
                someone("Ben", "ben@acme.io", "Agent"),
                someone("Carl", "carl@acme.io", "Agent"),
                someone("Erin", "erin@acme.io", "Agent"),
                someone("Sam", LEAD, "Agent"),
            ],
        )
        .await;
    let (ana, ben, carl, erin, sam) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
    put_in(app, vec![ana, ben], north).await;
    put_in(app, vec![carl, erin], south).await;
    app.db(move |c| gatehouse::groups::store::add_member(c, erin, night).unwrap())
        .await;
    let lead = role(app, org_id, "Division lead").await;
    let agent = app.role_id(org_id, "Agent").await;
    // The Owner gives Sam the role and limits it to North in one save of Edit permissions.
    let version = version_of(app, sam).await;
    let response = app
        .hx_post(
            &format!("/users/{sam}/permissions"),
            &[
                ("version", &version.to_string()),
                ("role", &agent.to_string()),
                ("role", &lead.to_string()),
                ("scope", "some"),
                ("scope_division", &north.to_string()),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let changed = app.audit_details(org_id, "user.permissions_changed").await;
    assert_eq!(
        changed[0]["before"]["manages"],
        "Everyone in the organization"
    );
    assert_eq!(changed[0]["after"]["manages"], "Divisions: North");
    (org_id, vec![ana, ben, carl, erin, sam], north, south, night)
}

async fn division(app: &TestApp, org_id: i64, name: &'static str) -> i64 {
    app.db(move |c| {
        gatehouse::divisions::store::all_with_counts(c, org_id)
            .unwrap()
            .into_iter()
            .find(|(d, _)| d.name == name)
            .map(|(d, _)| d.id)
            .expect("division")
    })
    .await
}

async fn role(app: &TestApp, org_id: i64, name: &'static str) -> i64 {
    app.db(move |c| gatehouse::users::store::role_id_by_name(c, org_id, name).unwrap())
        .await
}

async fn put_in(app: &TestApp, ids: Vec<i64>, division: i64) {
    app.db(move |c| {
        use gatehouse::db::schema::users;
        diesel::update(users::table.filter(users::id.eq_any(ids)))
            .set(users::division_id.eq(division))
            .execute(c)
            .unwrap();
    })
    .await;
}

async fn version_of(app: &TestApp, id: i64) -> i32 {
    app.db(move |c| {
        use gatehouse::db::schema::users;
        users::table
            .find(id)
            .select(users::version)
            .first(c)
            .unwrap()
    })
    .await
}

async fn division_of(app: &TestApp, id: i64) -> Option<i64> {
    app.db(move |c| {
        use gatehouse::db::schema::users;
        users::table
            .find(id)
            .select(users::division_id)
            .first(c)
            .unwrap()
    })
    .await
}

fn shows(page: &str, emails: &[&str]) -> Vec<String> {
    emails
        .iter()
        .filter(|e| page.contains(*e))
        .map(|e| e.to_string())
        .collect()
}

/// Everyone but Sam, whose own address the page's header shows.
const EVERYONE: [&str; 5] = [
    "ana@acme.io",
    "ben@acme.io",
    "carl@acme.io",
    "erin@acme.io",
    OWNER,
];

async fn a_scoped_admin_sees_and_acts_on_only_their_divisions_and_teams(app: TestApp) {
    let (org_id, ids, _north, _south, night) = acme(&app).await;
    let (ana, ben, carl, erin) = (ids[0], ids[1], ids[2], ids[3]);
    // Events about people on both sides, for Activity.
    for id in [carl, ana] {
        let form = dialog(&app, id).await;
        let response = post(&app, id, &fields_of(&form, &[("phone", "+1 555 0100")])).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    app.logout().await;
    app.login_as(LEAD, PASSWORD).await;

    // The list, a search, the count of "all matching", the export.
    let (status, page) = app.get_html("/users?active=0").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shows(&page, &EVERYONE), ["ana@acme.io", "ben@acme.io"]);
    assert!(page
        .contains("You manage only some of the organization: <strong>Divisions: North</strong>"));
    let (_, page) = app.get_html("/users?q=acme.io&active=0").await;
    assert_eq!(shows(&page, &EVERYONE), ["ana@acme.io", "ben@acme.io"]);
    let (_, page) = app.get_html("/users?q=carl").await;
    assert!(shows(&page, &EVERYONE).is_empty());
    let count = app
        .hx_get("/users/bulk/count?active=0")
        .await
        .text()
        .await
        .unwrap();
    assert!(count.contains("All <strong>2</strong> users"), "{count}");
    let csv = app
        .get("/users/export.csv?active=0")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(shows(&csv, &EVERYONE), ["ana@acme.io", "ben@acme.io"]);
    assert_eq!(csv.lines().count(), 3, "{csv}");

    // Typed ids outside the scope answer 404, as another organization's do.
    for path in [
        format!("/users/{carl}/edit"),
        format!("/users/{carl}/permissions"),
        format!("/activity?user={carl}"),
    ] {
        assert_eq!(
            app.hx_get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let response = app.hx_post(&format!("/users/{carl}/deactivate"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.status_of(carl).await.as_deref(), Some("active"));
    assert_eq!(
        app.hx_get(&format!("/users/{ana}/edit")).await.status(),
        StatusCode::OK
    );

    // Bulk: ticked ids outside the scope are dropped; "all matching" is the scope's.
    let (carl_id, ana_id) = (carl.to_string(), ana.to_string());
    let response = app
        .hx_post(
            "/users/bulk",
            &[
                ("action", "deactivate"),
                ("ids", &carl_id),
                ("ids", &ana_id),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.status_of(carl).await.as_deref(), Some("active"));
    assert_eq!(app.status_of(ana).await.as_deref(), Some("inactive"));
    let response = app
        .hx_post(
            "/users/bulk",
            &[
                ("action", "activate"),
                ("all_matching", "1"),
                ("active", "0"),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.status_of(ana).await.as_deref(), Some("active"));

    // Activity shows events about people in the scope only.
    let (status, page) = app.get_html("/activity").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("ana@acme.io"));
    assert!(!page.contains("carl@acme.io"));
    let csv = app.get("/activity/export.csv").await.text().await.unwrap();
    assert!(csv.contains("ana@acme.io") && !csv.contains("carl@acme.io"));

    // Moving someone out of the scope is refused beside the field; nothing changes.
    let form = dialog(&app, ben).await;
    let south = division(&app, org_id, "South").await.to_string();
    let response = post(&app, ben, &fields_of(&form, &[("division", &south)])).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("You manage only people in your divisions and teams"));
    assert_ne!(
        division_of(&app, ben).await.map(|d| d.to_string()),
        Some(south)
    );

    // A team widens the scope to its members, wherever their division.
    app.logout().await;
    app.login_as(OWNER, PASSWORD).await;
    let sam = ids[4];
    let form = app
        .hx_get(&format!("/users/{sam}/permissions"))
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains("Manages") && form.contains("Night shift"));
    let mut fields = fields_of(&form, &[]);
    fields.push(("scope_team".into(), night.to_string()));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = app
        .hx_post(&format!("/users/{sam}/permissions"), &borrowed)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.logout().await;
    app.login_as(LEAD, PASSWORD).await;
    let (_, page) = app.get_html("/users?active=0").await;
    assert_eq!(
        shows(&page, &EVERYONE),
        ["ana@acme.io", "ben@acme.io", "erin@acme.io"]
    );
    assert_eq!(
        app.hx_get(&format!("/users/{erin}/edit")).await.status(),
        StatusCode::OK
    );
    // A one-division scope walks its own index in name order (SQLite's plan says so).
    let north = division(&app, org_id, "North").await;
    let plan = app
        .db(move |c| {
            let mut query = gatehouse::users::forms::ListQuery::from_pairs(&[]);
            query.scope = Some(gatehouse::users::scope::Scope {
                divisions: [north].into(),
                teams: Default::default(),
            });
            gatehouse::users::store::explain_list(c, org_id, &query)
                .unwrap()
                .join("\n")
        })
        .await;
    if app.backend == crate::helpers::Backend::Sqlite {
        assert!(
            plan.contains("users_org_division_name (org_id=? AND division_id=?)"),
            "{plan}"
        );
    }
}

async fn a_scoped_admin_gives_no_wider_scope_or_role_and_each_attempt_is_audited(app: TestApp) {
    let (org_id, ids, north, south, _night) = acme(&app).await;
    let ben = ids[1];
    let admin = app.role_id(org_id, "Admin").await;
    // The Owner works in North too: in Sam's scope, and above him.
    let owner = app.org_owner(org_id).await;
    put_in(&app, vec![owner], north).await;
    let ben_form = dialog(&app, ben).await;
    let agent = app.role_id(org_id, "Agent").await;
    app.logout().await;
    app.login_as(LEAD, PASSWORD).await;
    let version = version_of(&app, ben).await.to_string();
    let post_access = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.hx_post(&format!("/users/{ben}/permissions"), &borrowed)
                .await
        }
    };
    // The whole organization, a division beyond their own, a role they lack: each refused.
    for (fields, says) in [
        (
            vec![
                ("version", version.clone()),
                ("role", agent.to_string()),
                ("scope", "all".into()),
            ],
            "you cannot give someone the whole organization",
        ),
        (
            vec![
                ("version", version.clone()),
                ("role", agent.to_string()),
                ("scope", "some".into()),
                ("scope_division", south.to_string()),
            ],
            "You can only give divisions and teams you manage yourself.",
        ),
        (
            vec![
                ("version", version.clone()),
                ("role", agent.to_string()),
                ("role", admin.to_string()),
                ("scope", "some".into()),
                ("scope_division", north.to_string()),
            ],
            "You can only give roles within your own access.",
        ),
    ] {
        let response = post_access(fields).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains(says), "{says}");
    }
    // Within their own scope and roles: saved.
    let response = post_access(vec![
        ("version", version.clone()),
        ("role", agent.to_string()),
        ("scope", "some".into()),
        ("scope_division", north.to_string()),
    ])
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let refused = app.audit_details(org_id, "user.change_refused").await;
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(refused
        .iter()
        .all(|d| d["attempt"] == "change roles and permissions"));
    // Editing someone above them (the Owner, in North) is refused too, and audited.
    let response = post(
        &app,
        owner,
        &fields_of(&ben_form, &[("first_name", "Mallory")]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let refused = app.audit_details(org_id, "user.change_refused").await;
    assert_eq!(refused.len(), 4);
    assert_eq!(refused[0]["attempt"], "edit user");
    let owner_name: String = app
        .db(move |c| {
            use gatehouse::db::schema::users;
            users::table
                .find(owner)
                .select(users::first_name)
                .first(c)
                .unwrap()
        })
        .await;
    assert_ne!(owner_name, "Mallory");
}

async fn only_the_owner_makes_a_tenant_superuser_and_the_list_shows_the_badge(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Adam", "adam@acme.io", "Admin"),
                someone("Ana", "ana@acme.io", "Agent"),
            ],
        )
        .await;
    let (adam, ana) = (ids[0], ids[1]);
    // An Admin sees the checkbox but cannot tick it; a forged field is refused and audited.
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let form = dialog(&app, ana).await;
    assert!(form.contains("Make Tenant SuperUser"));
    assert!(!form.contains("name=\"superuser_shown\""));
    let forged = fields_of(&form, &[("superuser_shown", "1"), ("superuser", "1")]);
    let response = post(&app, ana, &forged).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Only the Owner can make someone a tenant superuser."));
    assert!(!is_superuser(&app, ana).await);
    let refused = app.audit_details(org_id, "user.change_refused").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["attempt"], "edit user");

    // The Owner ticks it: every permission, a badge in the list, an audit event.
    app.logout().await;
    app.login_as(OWNER, PASSWORD).await;
    let form = dialog(&app, ana).await;
    assert!(form.contains("name=\"superuser_shown\""));
    let response = post(&app, ana, &fields_of(&form, &[("superuser", "1")])).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(is_superuser(&app, ana).await);
    let changed = app.audit_details(org_id, "user.superuser_changed").await;
    assert_eq!(changed[0]["after"]["tenant_superuser"], true);
    let (_, page) = app.get_html("/users").await;
    assert_eq!(page.matches(">Tenant SuperUser</span>").count(), 1);
    // The Owner's own dialog has no such box (they hold everything already).
    let owner = app.org_owner(org_id).await;
    assert!(!dialog(&app, owner).await.contains("Make Tenant SuperUser"));
    // Ana, an Agent by role, now acts as a superuser: she may edit Adam, an Admin.
    app.logout().await;
    app.login_as("ana@acme.io", PASSWORD).await;
    assert_eq!(
        app.hx_get(&format!("/users/{adam}/edit")).await.status(),
        StatusCode::OK
    );
    // Unticking takes it back.
    app.logout().await;
    app.login_as(OWNER, PASSWORD).await;
    let form = dialog(&app, ana).await;
    let mut fields = fields_of(&form, &[]);
    fields.retain(|(k, _)| k != "superuser");
    let response = post(&app, ana, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!is_superuser(&app, ana).await);
}

async fn is_superuser(app: &TestApp, id: i64) -> bool {
    app.db(move |c| gatehouse::users::authority::is_superuser(c, id).unwrap())
        .await
}

async fn scope_of(app: &TestApp, id: i64) -> Option<gatehouse::users::scope::Scope> {
    app.db(move |c| gatehouse::users::scope::of(c, id).unwrap())
        .await
}

async fn a_scoped_admin_widens_their_reach_through_no_other_door(app: TestApp) {
    let (org_id, ids, north, south, _night) = acme(&app).await;
    let (ana, ben, carl, erin, sam) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
    let manager = app.role_id(org_id, "Manager").await.to_string();
    let agent = app.role_id(org_id, "Agent").await.to_string();
    let admin = app.role_id(org_id, "Admin").await;
    // Sam also holds Admin (still limited to North): the organization-wide parts of it
    // (settings, roles, the directory) are not his.
    app.db(move |c| gatehouse::users::store::add_role(c, sam, admin).unwrap())
        .await;
    // Erin manages South, but works in North.
    put_in(&app, vec![erin], north).await;
    let south_only = gatehouse::users::scope::Scope {
        divisions: [south].into(),
        teams: Default::default(),
    };
    app.db(move |c| {
        gatehouse::users::store::add_role(c, erin, manager.parse().unwrap()).unwrap();
        gatehouse::users::scope::set(c, erin, Some(&south_only)).unwrap();
    })
    .await;
    app.logout().await;
    app.login_as(LEAD, PASSWORD).await;
    for path in ["/settings/roles", "/settings/divisions", "/settings/fields"] {
        let (status, _) = app.get_html(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // A role given in Edit User reaches only within Sam's own scope.
    let form = dialog(&app, ben).await;
    let manager = app.role_id(org_id, "Manager").await.to_string();
    let mut fields = fields_of(&form, &[]);
    fields.retain(|(k, _)| k != "role");
    fields.push(("role".into(), agent.clone()));
    fields.push(("role".into(), manager.clone()));
    let response = post(&app, ben, &fields).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let ben_scope = scope_of(&app, ben).await.expect("Ben is scoped");
    assert_eq!(ben_scope.divisions, [north].into());
    // Erin, in North but managing South, is above Sam: he cannot reset or edit her.
    assert_eq!(
        app.hx_get(&format!("/users/{erin}/edit")).await.status(),
        StatusCode::FORBIDDEN
    );
    // Records: the import is for administrators of the whole organization; deleting hands
    // records only to someone Sam manages (Carl, in South, reads as unknown).
    assert_eq!(app.get_html("/users/import").await.0, StatusCode::FORBIDDEN);
    app.add_records(org_id, ana, "contact", 2).await;
    let response = app
        .hx_post(
            &format!("/users/{ana}/delete"),
            &[("reassign", "user"), ("reassign_email", "carl@acme.io")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("No active user of your organization has the email carl@acme.io."),
        "{page}"
    );
    assert_eq!(app.status_of(ana).await.as_deref(), Some("active"));
    assert_eq!(app.status_of(carl).await.as_deref(), Some("active"));
    // North deleted (its people moved to South): Sam's scope matches nobody, never everyone.
    app.logout().await;
    app.login_as(OWNER, PASSWORD).await;
    let south_id = south.to_string();
    let response = app
        .hx_post(
            &format!("/settings/divisions/{north}/delete"),
            &[("move_to", south_id.as_str())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.logout().await;
    app.login_as(LEAD, PASSWORD).await;
    let (_, page) = app.get_html("/users?active=0").await;
    assert!(
        shows(&page, &EVERYONE).is_empty(),
        "{:?}",
        shows(&page, &EVERYONE)
    );
}
