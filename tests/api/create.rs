//! Create User (one person with the whole profile, emailed a link to confirm), Confirm user
//! (an administrator confirms for them), and Product access only (refused at sign-in).

use reqwest::StatusCode;

use crate::both;
use crate::fields::{apply_dialer, field_id};
use crate::helpers::{assert_redirect_to, csrf_of, someone, toast_of, TestApp, PASSWORD};

both!(
    create_user_saves_the_whole_profile_and_emails_a_confirm_link,
    a_bad_create_user_says_why_beside_each_field_and_writes_nothing,
    confirm_user_activates_a_pending_person_who_then_chooses_a_password,
    product_access_only_is_refused_at_sign_in_with_a_clear_message,
    confirm_user_needs_managing_users_as_well_as_inviting,
);

const OWNER: &str = "olive@acme.io";

async fn create(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.get_html("/users").await;
    app.hx_post("/users/new", fields).await
}

/// Opens `link` in a new browser and chooses `PASSWORD`; answers where it leads.
async fn choose_password(app: &TestApp, link: &str) -> reqwest::Response {
    let browser = app.new_browser();
    let page = browser
        .get(link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&page).expect("a form");
    browser
        .post(link)
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

async fn create_user_saves_the_whole_profile_and_emails_a_confirm_link(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    apply_dialer(&app).await;
    let agent = app.role_id(org_id, "Agent").await.to_string();
    let dialer = app.product_id(org_id, "Dialer").await;
    let seats_before = app.seats(dialer).await;
    crate::groups::create_group(&app, "tag", "VIP").await;
    let vip = crate::groups::group_named(&app, org_id, "VIP")
        .await
        .to_string();

    let (_, page) = app.get_html("/users").await;
    assert!(page.contains("+ Create User"));
    let dialog = app.hx_get("/users/new").await.text().await.unwrap();
    assert!(dialog.contains("Create User") && dialog.contains("<legend>SIP settings</legend>"));
    assert!(dialog.contains("Product access only"));

    let dialer_s = dialer.to_string();
    let response = create(
        &app,
        &[
            ("first_name", "Dana"),
            ("last_name", "Dialer"),
            ("email", "Dana@Acme.io"),
            ("role", &agent),
            ("product", &dialer_s),
            ("group", &vip),
            ("fields", "1"),
            ("field.sip_option", "custom"),
            ("field.custom_sip_uri", "sip:1001@pbx.example.com"),
            ("field.caldav_token", "tok-create-secret"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("User created. dana@acme.io gets an email to confirm the account and choose a password.")
    );
    let (_, list) = app.get_html("/users?active=0").await;
    assert!(
        list.contains("dana@acme.io") && list.contains("Pending"),
        "{list}"
    );
    let dana = app
        .db(|c| {
            gatehouse::users::store::list_page(
                c,
                1,
                &gatehouse::users::forms::ListQuery::from_pairs(&[("q".into(), "dana".into())]),
            )
            .unwrap()
            .0[0]
                .id
        })
        .await;
    assert_eq!(
        app.seats(dialer).await.1,
        seats_before.1 + 1,
        "a seat is held"
    );
    let uri = field_id(&app, org_id, "custom_sip_uri").await;
    let values = app
        .db(move |c| gatehouse::fields::store::values_of(c, dana).unwrap())
        .await;
    assert_eq!(values[&uri], ["sip:1001@pbx.example.com"]);
    let held = app
        .db(move |c| gatehouse::groups::store::of_user(c, dana).unwrap())
        .await;
    assert_eq!(held.len(), 1);
    let created = app.audit_details(org_id, "user.created").await;
    assert_eq!(created[0]["email"], "dana@acme.io");
    assert_eq!(created[0]["groups"], serde_json::json!(["Tag: VIP"]));
    assert_eq!(
        created[0]["fields"]["Custom SIP URI"],
        "sip:1001@pbx.example.com"
    );
    assert_eq!(created[0]["fields"]["CalDAV token"], "changed");
    assert!(!created[0].to_string().contains("tok-create-secret"));

    // The email: the sign-in, and a link to confirm and choose a password.
    let message = app
        .mail()
        .message_about("dana@acme.io", "Confirm your account at Acme")
        .await;
    assert!(message
        .raw
        .contains("You sign in with your email address, dana@acme.io."));
    assert!(!message.raw.contains("tok-create-secret"));
    let link = message.link("/invite/").expect("a confirm link");
    let joined = choose_password(&app, &link).await;
    assert_redirect_to(&joined, "/");
    assert_eq!(app.status_of(dana).await.as_deref(), Some("active"));
}

async fn a_bad_create_user_says_why_beside_each_field_and_writes_nothing(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    apply_dialer(&app).await;
    app.add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await;
    let agent = app.role_id(org_id, "Agent").await.to_string();
    let owner = app.role_id(org_id, "Owner").await.to_string();
    let count = || async {
        app.db(|c| {
            gatehouse::users::store::list_page(
                c,
                1,
                &gatehouse::users::forms::ListQuery::from_pairs(&[("active".into(), "0".into())]),
            )
            .unwrap()
            .0
            .len()
        })
        .await
    };
    let before = count().await;
    for (fields, message) in [
        (
            vec![
                ("first_name", "Dana"),
                ("last_name", "D"),
                ("email", "dana@acme.io"),
            ],
            "Choose at least one role.",
        ),
        (
            vec![
                ("first_name", "Dana"),
                ("last_name", "D"),
                ("email", "ann@acme.io"),
                ("role", &agent),
            ],
            "This person already has an account or a pending invitation.",
        ),
        (
            vec![
                ("first_name", "Dana"),
                ("last_name", "D"),
                ("email", "dana@acme.io"),
                ("role", &owner),
            ],
            "You can only give roles within your own access.",
        ),
        (
            vec![
                ("first_name", "Dana"),
                ("last_name", "D"),
                ("email", "dana@acme.io"),
                ("role", &agent),
                ("fields", "1"),
                ("field.sip_option", "custom"),
            ],
            "Enter Custom SIP URI.",
        ),
        (
            vec![
                ("first_name", ""),
                ("last_name", "D"),
                ("email", "not-an-email"),
                ("role", &agent),
            ],
            "Enter a first name",
        ),
    ] {
        let response = create(&app, &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{message}: {body}");
        assert!(
            body.contains("value=\"Dana\"") || fields[0].1.is_empty(),
            "kept as typed"
        );
    }
    assert_eq!(count().await, before);
    assert!(app.audit_details(org_id, "user.created").await.is_empty());
    assert_eq!(app.mail().count_to("dana@acme.io"), 0);

    // No seats left: refused, and the seat count is as it was.
    let dialer = app.product_id(org_id, "Dialer").await;
    let (total, _) = app.seats(dialer).await;
    app.db(move |c| {
        use diesel::prelude::*;
        use gatehouse::db::schema::products;
        let query =
            diesel::update(products::table.find(dialer)).set(products::seats_used.eq(total));
        match c {
            gatehouse::db::DbConn::Sqlite(c) => query.execute(c),
            gatehouse::db::DbConn::Pg(c) => query.execute(c),
        }
        .unwrap()
    })
    .await;
    let dialer_s = dialer.to_string();
    let response = create(
        &app,
        &[
            ("first_name", "Dana"),
            ("last_name", "D"),
            ("email", "dana@acme.io"),
            ("role", &agent),
            ("product", &dialer_s),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("No Dialer seats are left."));
    assert_eq!(app.seats(dialer).await, (total, total));
    assert_eq!(count().await, before);
}

async fn confirm_user_activates_a_pending_person_who_then_chooses_a_password(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let agent = app.role_id(org_id, "Agent").await.to_string();
    create(
        &app,
        &[
            ("first_name", "Dana"),
            ("last_name", "D"),
            ("email", "dana@acme.io"),
            ("role", &agent),
        ],
    )
    .await;
    let first = app
        .mail()
        .message_about("dana@acme.io", "Confirm your account")
        .await
        .link("/invite/")
        .unwrap();
    let dana = app
        .db(|c| {
            gatehouse::users::store::list_page(
                c,
                1,
                &gatehouse::users::forms::ListQuery::from_pairs(&[("q".into(), "dana".into())]),
            )
            .unwrap()
            .0[0]
                .id
        })
        .await;
    let (_, list) = app.get_html("/users").await;
    assert!(
        list.contains(&format!("hx-get=\"/users/{dana}/confirm\"")),
        "offered on the pending row"
    );
    let dialog = app
        .hx_get(&format!("/users/{dana}/confirm"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains("Confirm user?") && dialog.contains("choose a password"),
        "{dialog}"
    );

    let response = app.hx_post(&format!("/users/{dana}/confirm"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("User confirmed. dana@acme.io gets a link to choose a password.")
    );
    assert_eq!(app.status_of(dana).await.as_deref(), Some("active"));
    assert_eq!(app.audit_details(org_id, "user.confirmed").await.len(), 1);
    // Twice: it is no longer pending.
    let again = app.hx_post(&format!("/users/{dana}/confirm"), &[]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);

    // The first link no longer works; the new one sets the password, then she signs in.
    let browser = app.new_browser();
    let page = browser
        .get(&first)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Join Acme"), "{page}");
    let link = app
        .mail()
        .message_about("dana@acme.io", "choose your password")
        .await
        .link("/password/reset/")
        .unwrap();
    let done = choose_password(&app, &link).await;
    assert_redirect_to(&done, "/login?reset=1");
    app.logout().await;
    let signed_in = app.login_as("dana@acme.io", PASSWORD).await;
    assert_redirect_to(&signed_in, "/account");

    // Another organization's pending person answers 404.
    let now = app.state.clock.now();
    let theirs = app
        .db(move |c| {
            let (other, _) = gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap();
            let new = gatehouse::users::store::NewUser::new(
                other,
                "x@bravo.io",
                "X",
                "Y",
                "invited",
                now,
            );
            gatehouse::users::store::insert_user(c, &new).unwrap()
        })
        .await;
    app.logout().await;
    app.login_as(OWNER, PASSWORD).await;
    assert_eq!(
        app.hx_post(&format!("/users/{theirs}/confirm"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.status_of(theirs).await.as_deref(), Some("invited"));
}

async fn product_access_only_is_refused_at_sign_in_with_a_clear_message(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let agent = app.role_id(org_id, "Agent").await.to_string();
    let response = create(
        &app,
        &[
            ("first_name", "Sam"),
            ("last_name", "Sim"),
            ("email", "sam@acme.io"),
            ("role", &agent),
            ("product_only", "1"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, list) = app.get_html("/users?active=0").await;
    assert!(list.contains("Product access only"), "the row says so");
    let message = app
        .mail()
        .message_about("sam@acme.io", "Confirm your account")
        .await;
    assert!(message
        .raw
        .contains("it does not open the Gatehouse console"));
    // Choosing the password does not open a console session.
    let joined = choose_password(&app, &message.link("/invite/").unwrap()).await;
    assert_redirect_to(&joined, "/login?notice=product-only");
    // Signing in: the right password, then the reason; a wrong one says nothing of it.
    app.logout().await;
    let wrong = app.login_as("sam@acme.io", "not the password at all").await;
    assert!(!wrong.text().await.unwrap().contains("products only"));
    let refused = app.login_as("sam@acme.io", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("Your account gives you access to your organization&#39;s products only, not to this console."),
        "{body}"
    );
    assert_redirect_to(&app.get("/account").await, "/login?next=%2Faccount");
    let _ = (someone, field_id);
}

async fn confirm_user_needs_managing_users_as_well_as_inviting(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let agent = app.role_id(org_id, "Agent").await.to_string();
    create(
        &app,
        &[
            ("first_name", "Dana"),
            ("last_name", "D"),
            ("email", "dana@acme.io"),
            ("role", &agent),
        ],
    )
    .await;
    let ivy = app
        .add_people(org_id, vec![someone("Ivy", "ivy@acme.io", "Agent")])
        .await[0];
    // Ivy may view and invite, not manage.
    app.db(move |c| {
        use diesel::prelude::*;
        use gatehouse::db::schema::user_permission_overrides as upo;
        for permission in ["users.view", "users.invite"] {
            let query = diesel::insert_into(upo::table).values((
                upo::user_id.eq(ivy),
                upo::permission.eq(permission),
                upo::granted.eq(true),
            ));
            match c {
                gatehouse::db::DbConn::Sqlite(c) => query.execute(c),
                gatehouse::db::DbConn::Pg(c) => query.execute(c),
            }
            .unwrap();
        }
    })
    .await;
    let dana = app
        .db(|c| {
            gatehouse::users::store::list_page(
                c,
                1,
                &gatehouse::users::forms::ListQuery::from_pairs(&[("q".into(), "dana".into())]),
            )
            .unwrap()
            .0[0]
                .id
        })
        .await;
    app.logout().await;
    app.login_as("ivy@acme.io", PASSWORD).await;
    let (status, list) = app.get_html("/users?active=0").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("dana@acme.io"));
    assert!(
        !list.contains(&format!("/users/{dana}/confirm")),
        "not offered"
    );
    assert_eq!(
        app.hx_get(&format!("/users/{dana}/confirm")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.hx_post(&format!("/users/{dana}/confirm"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.status_of(dana).await.as_deref(), Some("invited"));
}
