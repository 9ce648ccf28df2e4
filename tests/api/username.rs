//! Usernames: set in Edit User and Create User, unique in the organization whatever the case,
//! required when the organization says so, the Owner's theirs alone; people sign in with
//! their username or their email address.

use reqwest::StatusCode;

use crate::both;
use crate::edit::{dialog, fields_of, post};
use crate::helpers::{assert_redirect_to, someone, TestApp, PASSWORD};

both!(
    edit_user_sets_a_username_unique_in_the_organization,
    people_sign_in_with_their_username_or_their_email,
    an_organization_can_require_a_username,
    only_the_owner_changes_the_owners_username,
);

const OWNER: &str = "olive@acme.io";

async fn username(app: &TestApp, user_id: i64) -> Option<String> {
    app.db(move |c| gatehouse::users::username::of_user(c, user_id).unwrap())
        .await
}

async fn set_username(app: &TestApp, user_id: i64, name: &str) -> reqwest::Response {
    let page = dialog(app, user_id).await;
    let mut fields = fields_of(&page, &[("username", name)]);
    if name.is_empty() {
        fields.push(("username".into(), String::new()));
    }
    post(app, user_id, &fields).await
}

async fn edit_user_sets_a_username_unique_in_the_organization(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ann", "ann@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    let (ann, bob) = (ids[0], ids[1]);
    let page = dialog(&app, ann).await;
    assert!(page.contains("<label for=\"e-username\">Username</label>"));
    assert_eq!(
        set_username(&app, ann, " JDoe ").await.status(),
        StatusCode::OK
    );
    assert_eq!(username(&app, ann).await.as_deref(), Some("JDoe"));
    let edits = app.audit_details(org_id, "user.updated").await;
    assert_eq!(edits[0]["before"]["username"], serde_json::Value::Null);
    assert_eq!(edits[0]["after"]["username"], "JDoe");
    let (_, list) = app.get_html("/users").await;
    assert!(list.contains("<span class=\"visually-hidden\">Username: </span>JDoe</span>"));

    // Taken, whatever the case; a bad shape; both beside the field, nothing saved.
    let response = set_username(&app, bob, "jdoe").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains(
        "id=\"e-username-error\">Another user of your organization has this username.</p>"
    ));
    let response = set_username(&app, bob, "bob@home").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Use 2 to 40 letters"));
    assert_eq!(username(&app, bob).await, None);

    // Another organization may have the same username.
    let now = app.state.clock.now();
    let other = app
        .db(move |c| {
            let (other, _) = gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap();
            let new = gatehouse::users::store::NewUser::new(
                other,
                "jd@bravo.io",
                "J",
                "D",
                "active",
                now,
            );
            let id = gatehouse::users::store::insert_user(c, &new).unwrap();
            gatehouse::users::username::set(c, other, id, Some("jdoe")).unwrap();
            id
        })
        .await;
    assert_eq!(username(&app, other).await.as_deref(), Some("jdoe"));

    // Cleared: removed.
    assert_eq!(set_username(&app, ann, "").await.status(), StatusCode::OK);
    assert_eq!(username(&app, ann).await, None);
    // The export has the column.
    set_username(&app, bob, "bobby").await;
    let csv = app.get("/users/export.csv").await.text().await.unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",Created,Username"));
    assert!(
        csv.lines()
            .any(|l| l.contains("bob@acme.io") && l.ends_with(",bobby")),
        "{csv}"
    );
}

async fn people_sign_in_with_their_username_or_their_email(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Manager")])
        .await[0];
    set_username(&app, ann, "ann.t").await;
    app.logout().await;
    let (_, login) = app.get_html("/login").await;
    assert!(login.contains("Email or username"));
    let wrong = app.login_as("ANN.T", "not her password at all").await;
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("Incorrect email, username or password."));
    assert_redirect_to(&app.login_as("ANN.T", PASSWORD).await, "/users");
    let events = app.audit_details(org_id, "auth.sign_in").await;
    assert!(!events.is_empty());
    app.logout().await;
    assert_redirect_to(&app.login_as("ann@acme.io", PASSWORD).await, "/users");

    // The same username in another organization, with another password: the password tells
    // whose, and a wrong one counts against nobody.
    let now = app.state.clock.now();
    let hash = app
        .state
        .hasher
        .hash("another password for bravo".into())
        .await
        .unwrap();
    let bravo_t = app
        .db(move |c| {
            let (other, _) = gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap();
            let mut new = gatehouse::users::store::NewUser::new(
                other,
                "at@bravo.io",
                "A",
                "T",
                "active",
                now,
            );
            new.password_hash = Some(&hash);
            let id = gatehouse::users::store::insert_user(c, &new).unwrap();
            gatehouse::users::username::set(c, other, id, Some("Ann.T")).unwrap();
            id
        })
        .await;
    app.logout().await;
    assert_redirect_to(&app.login_as("ann.t", PASSWORD).await, "/users");
    app.logout().await;
    let wrong = app.login_as("ann.t", "neither of their passwords").await;
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("Incorrect email, username or password."));
    let failures = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::users;
            let query = users::table
                .filter(users::id.eq_any([ann, bravo_t]))
                .select(users::failed_logins);
            match c {
                gatehouse::db::DbConn::Sqlite(c) => query.load::<i32>(c),
                gatehouse::db::DbConn::Pg(c) => query.load::<i32>(c),
            }
            .unwrap()
        })
        .await;
    assert_eq!(
        failures,
        [0, 0],
        "no tenant's account is counted for another's"
    );
    assert_redirect_to(&app.login_as("ann@acme.io", PASSWORD).await, "/users");
}

async fn an_organization_can_require_a_username(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    let (_, page) = app.get_html("/settings/fields").await;
    assert!(
        page.contains("Require a username of every user")
            && page.contains("2 users have none yet.")
    );
    let page = app
        .post_form(
            "/settings/fields/username",
            &[("required", "0"), ("required", "1")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Every user must have a username. 2 have none yet"),
        "{page}"
    );
    let changed = app.audit_details(org_id, "org.settings_changed").await;
    assert_eq!(changed[0]["after"]["username_required"], true);

    // Edit User: a save without one asks for it; with one it goes through.
    let response = set_username(&app, ann, "").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Enter a username: your organization requires one."));
    assert_eq!(
        set_username(&app, ann, "ann").await.status(),
        StatusCode::OK
    );

    // Create User too.
    let agent = app.role_id(org_id, "Agent").await.to_string();
    let fields = [
        ("first_name", "Dana"),
        ("last_name", "D"),
        ("email", "dana@acme.io"),
        ("role", agent.as_str()),
    ];
    let response = app.hx_post("/users/new", &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Enter a username: your organization requires one."));
    let mut named = fields.to_vec();
    named.push(("username", "ANN"));
    let response = app.hx_post("/users/new", &named).await;
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Another user of your organization has this username."));
    named.pop();
    named.push(("username", "dana"));
    assert_eq!(
        app.hx_post("/users/new", &named).await.status(),
        StatusCode::OK
    );

    let page = app
        .post_form("/settings/fields/username", &[("required", "0")])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Usernames are optional."));
}

async fn only_the_owner_changes_the_owners_username(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let owner = app.org_owner(org_id).await;
    app.add_people(org_id, vec![someone("Ada", "ada@acme.io", "Admin")])
        .await;
    app.logout().await;
    app.login_as("ada@acme.io", PASSWORD).await;
    let page = dialog(&app, owner).await;
    assert!(page.contains("id=\"e-username\" name=\"username\" value=\"\" maxlength=\"40\" autocomplete=\"off\" autocapitalize=\"none\" spellcheck=\"false\" readonly"), "{page}");
    let fields = fields_of(&page, &[("username", "boss")]);
    let response = post(&app, owner, &fields).await;
    assert_ne!(response.status(), StatusCode::OK);
    assert_eq!(username(&app, owner).await, None);
}
