use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::{assert_redirect_to, csrf_of, toast_of, TestApp, PASSWORD};
use crate::helpers::{spawn_app_with, Backend};
use crate::smtp::TestSmtp;
use crate::{both, both_backends};
use gatehouse::db::schema::{email_outbox, products, users};

both!(
    turning_auto_signup_off_asks_to_confirm_and_enables_invite_user,
    an_invitee_gets_the_email_follows_the_link_and_joins,
    send_invites_checks_every_rule_and_writes_nothing_on_error,
    the_seat_limit_names_the_product,
    two_admins_racing_for_the_last_seat_never_oversubscribe,
    invite_links_work_once_and_expire,
    the_invite_dialog_offers_only_grantable_roles_and_available_seats,
    resend_invite_replaces_the_link,
    revoke_invite_frees_the_seats_and_kills_the_link,
    expired_invitations_give_their_seats_back,
    another_organizations_invitations_answer_404,
    an_invite_copies_roles_and_permissions_from_another_user,
);

/// Invites one person holding a Dialer seat; returns their id and emailed link.
/// Sends a one-row grid: `first` Example <`email`>, Agent, a Dialer seat.
async fn send_one(app: &TestApp, org_id: i64, first: &str, email: &str) -> reqwest::Response {
    let (agent, dialer) = (
        role_id(app, org_id, "Agent").await,
        product_id(app, org_id, "Dialer").await,
    );
    let row = [
        ("first_name_0", first),
        ("last_name_0", "Example"),
        ("email_0", email),
        ("role_0", agent.as_str()),
        ("product_0", dialer.as_str()),
    ];
    app.hx_post("/users/invite", &row).await
}

pub async fn invite_one(app: &TestApp, org_id: i64, email: &'static str) -> (i64, String) {
    let response = send_one(app, org_id, "Ivy", email).await;
    assert_eq!(response.status(), StatusCode::OK);
    let id = app
        .db(move |c| {
            users::table
                .filter(users::email.eq(email))
                .select(users::id)
                .first::<i64>(c)
                .unwrap()
        })
        .await;
    (
        id,
        app.mail().message_to(email).await.link("/invite/").unwrap(),
    )
}

async fn dialer_used(app: &TestApp, org_id: i64) -> i32 {
    app.db(move |c| {
        products::table
            .filter(products::org_id.eq(org_id))
            .filter(products::name.eq("Dialer"))
            .select(products::seats_used)
            .first::<i32>(c)
            .unwrap()
    })
    .await
}

async fn resend_invite_replaces_the_link(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    let (id, first_link) = invite_one(&app, org_id, "ivy@acme.io").await;
    let (_, page) = app.get_html("/users?q=ivy").await;
    assert!(
        page.contains(&format!("hx-get=\"/users/{id}/resend\"")) && page.contains("Revoke invite")
    );
    let confirm = app
        .hx_get(&format!("/users/{id}/resend"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("Resend invite?") && confirm.contains("stops working"));
    let response = app.hx_post(&format!("/users/{id}/resend"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Invite has been sent")
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let second_link = loop {
        let link = app
            .mail()
            .message_to("ivy@acme.io")
            .await
            .link("/invite/")
            .unwrap();
        if link != first_link {
            break link;
        }
        assert!(std::time::Instant::now() < deadline, "no second email");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    assert_eq!(
        app.new_browser()
            .get(&first_link)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::GONE
    );
    assert_eq!(
        app.new_browser()
            .get(&second_link)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(dialer_used(&app, org_id).await, 1, "still one seat held");
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"user.invite_resent".to_owned()));
}

async fn revoke_invite_frees_the_seats_and_kills_the_link(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    let (id, link) = invite_one(&app, org_id, "ivy@acme.io").await;
    assert_eq!(dialer_used(&app, org_id).await, 1);
    let confirm = app
        .hx_get(&format!("/users/{id}/revoke"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        confirm.contains("Revoke invite?")
            && confirm.contains("licenses reserved for them are freed")
    );
    let response = app.hx_post(&format!("/users/{id}/revoke"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(toast_of(response.headers()).unwrap().contains("revoked"));
    assert_eq!(dialer_used(&app, org_id).await, 0);
    let gone = app
        .db(move |c| users::table.find(id).count().get_result::<i64>(c).unwrap())
        .await;
    assert_eq!(gone, 0);
    let page = app.new_browser().get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    let events = app
        .db(move |c| gatehouse::audit::store::recent(c, org_id, 10).unwrap())
        .await;
    let revoked = events
        .iter()
        .find(|e| e.action == "user.invite_revoked")
        .expect("audited");
    assert!(revoked.details.contains("ivy@acme.io") && revoked.target_label == "ivy@acme.io");
    // Revoking again: the invitation is gone.
    assert_eq!(
        app.hx_post(&format!("/users/{id}/revoke"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn expired_invitations_give_their_seats_back(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    invite_one(&app, org_id, "ivy@acme.io").await;
    gatehouse::jobs::run_once(&app.state).await;
    assert_eq!(dialer_used(&app, org_id).await, 1, "not expired yet");
    app.state.clock.advance(chrono::Duration::days(8));
    gatehouse::jobs::run_once(&app.state).await;
    assert_eq!(dialer_used(&app, org_id).await, 0);
    let (_, page) = app.get_html("/users?q=ivy").await;
    assert!(!page.contains("ivy@acme.io"));
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"user.invite_expired".to_owned()));
}

async fn another_organizations_invitations_answer_404(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    let (id, _) = invite_one(&app, org_id, "ivy@acme.io").await;
    let now = app.state.clock.now();
    let (_, link) = app
        .db(move |c| gatehouse::orgs::service::create_org(c, "Other", now).unwrap())
        .await;
    app.logout().await;
    app.complete_setup(&link, None, "Oscar", "Other", "oscar@other.test")
        .await;
    for path in [format!("/users/{id}/resend"), format!("/users/{id}/revoke")] {
        assert_eq!(
            app.hx_get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            app.hx_post(&path, &[]).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(dialer_used(&app, org_id).await, 1, "untouched");
}

/// Signs in the Owner of a new organization and turns automatic sign-up off.
async fn ready_to_invite(app: &TestApp) -> i64 {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let response = app.hx_post("/users/auto-signup", &[("allow", "0")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    org_id
}

async fn role_id(app: &TestApp, org_id: i64, name: &'static str) -> String {
    app.db(move |c| gatehouse::users::store::role_id_by_name(c, org_id, name).unwrap())
        .await
        .to_string()
}

async fn product_id(app: &TestApp, org_id: i64, name: &'static str) -> String {
    app.db(move |c| {
        products::table
            .filter(products::org_id.eq(org_id))
            .filter(products::name.eq(name))
            .select(products::id)
            .first::<i64>(c)
            .unwrap()
    })
    .await
    .to_string()
}

async fn counts(app: &TestApp) -> (i64, i64) {
    app.db(|c| {
        (
            users::table.count().get_result::<i64>(c).unwrap(),
            email_outbox::table.count().get_result::<i64>(c).unwrap(),
        )
    })
    .await
}

async fn turning_auto_signup_off_asks_to_confirm_and_enables_invite_user(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let (_, page) = app.get_html("/users").await;
    assert!(page.contains("Allow users to signup automatically"));
    assert!(page.contains("aria-checked=\"true\""), "on by default");
    assert!(page.contains("disabled aria-describedby=\"invite-disabled-why\">+ Invite User"));
    assert!(page.contains("Users may sign up without an invitation"));
    // The invite dialog is refused while it is on.
    assert_eq!(
        app.hx_get("/users/invite").await.status(),
        StatusCode::CONFLICT
    );

    let confirm = app
        .hx_get("/users/auto-signup?allow=0")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        confirm.contains("<dialog")
            && confirm.contains(">Confirm</button>")
            && confirm.contains("Cancel")
    );
    let response = app.hx_post("/users/auto-signup", &[("allow", "0")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get("HX-Trigger")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("closeModal"));
    let controls = response.text().await.unwrap();
    assert!(
        controls.contains("aria-checked=\"false\"")
            && controls.contains("hx-get=\"/users/invite\"")
    );
    let (_, page) = app.get_html("/users").await;
    assert!(!page.contains("disabled aria-describedby=\"invite-disabled-why\""));
    // Turning it back on confirms too, and both changes are audited.
    let confirm = app
        .hx_get("/users/auto-signup?allow=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("Turn on automatic sign-up?"));
    app.hx_post("/users/auto-signup", &[("allow", "1")]).await;
    // The list shows the switch as it is now (it comes with the organization's catalogue).
    let (_, page) = app.get_html("/users").await;
    assert!(page.contains("disabled aria-describedby=\"invite-disabled-why\">+ Invite User"));
    let changes = app
        .audit_actions(org_id)
        .await
        .into_iter()
        .filter(|a| a == "org.auto_signup_changed")
        .count();
    assert_eq!(changes, 2);
}

async fn an_invitee_gets_the_email_follows_the_link_and_joins(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    let (agent, dialer, crm) = (
        role_id(&app, org_id, "Agent").await,
        product_id(&app, org_id, "Dialer").await,
        product_id(&app, org_id, "CRM").await,
    );
    let dialog = app.hx_get("/users/invite").await.text().await.unwrap();
    assert!(
        dialog.contains("Invite User")
            && dialog.contains("Send Invites")
            && dialog.contains("Add another")
    );
    assert!(dialog
        .contains("<strong>Dialer</strong>: <span class=\"seat-count\">3</span> of 3 available"));
    assert_eq!(dialog.matches("class=\"invite-row\"").count(), 3);

    let response = app
        .hx_post(
            "/users/invite",
            &[
                ("first_name_0", "Alan"),
                ("last_name_0", "Turing"),
                ("email_0", "Alan@Acme.io"),
                ("role_0", &agent),
                ("product_0", &dialer),
                ("product_0", &crm),
                ("first_name_1", ""),
                ("last_name_1", ""),
                ("email_1", ""),
                ("first_name_2", "Grace"),
                ("last_name_2", "Hopper"),
                ("email_2", "grace@acme.io"),
                ("role_2", &agent),
                ("product_2", &dialer),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Invite has been sent")
    );
    let trigger = response
        .headers()
        .get("HX-Trigger")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(trigger.contains("usersChanged") && trigger.contains("closeModal"));

    // Pending rows with their seats held.
    let (_, page) = app.get_html("/users?q=acme.io").await;
    let alan = page
        .split("<tr id=\"user-")
        .skip(1)
        .find(|r| r.contains("alan@acme.io"))
        .unwrap();
    assert!(
        alan.contains(">Pending</span>")
            && alan.contains(">Dialer</span>")
            && alan.contains(">CRM</span>")
    );
    let dialer_used = app
        .db(move |c| {
            products::table
                .filter(products::org_id.eq(org_id))
                .filter(products::name.eq("Dialer"))
                .select(products::seats_used)
                .first::<i32>(c)
                .unwrap()
        })
        .await;
    assert_eq!(dialer_used, 2);
    assert!(
        app.audit_actions(org_id)
            .await
            .iter()
            .filter(|a| *a == "user.invited")
            .count()
            == 2
    );

    // The email names the organization and the inviter, in text and HTML, with the link.
    let message = app.mail().message_to("alan@acme.io").await;
    assert!(
        message
            .subject()
            .contains("Olive Owner invited you to Acme"),
        "{}",
        message.subject()
    );
    assert!(message.raw.contains("text/plain") && message.raw.contains("text/html"));
    let link = message.link("/invite/").expect("invite link");
    assert!(link.starts_with(&app.address), "{link}");

    // The invitee opens it in their own browser.
    let browser = app.new_browser();
    let page = browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Join Acme") && page.contains("Alan Turing") && page.contains("alan@acme.io")
    );
    let token = csrf_of(&page).unwrap();
    let weak = browser
        .post(&link)
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", "short"),
            ("password_confirm", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak
        .text()
        .await
        .unwrap()
        .contains("Use at least 12 characters"));
    let joined = browser
        .post(&link)
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_redirect_to(&joined, "/");
    // Signed in: an Agent lands on My account.
    let home = browser.get(app.url("/")).send().await.unwrap();
    assert_redirect_to(&home, "/account");
    // Active with roles and licenses, seen by the Owner.
    let (_, page) = app.get_html("/users?q=alan").await;
    let alan = page
        .split("<tr id=\"user-")
        .skip(1)
        .find(|r| r.contains("alan@acme.io"))
        .unwrap();
    assert!(
        alan.contains(">Active</span>")
            && alan.contains(">Agent</span>")
            && alan.contains(">Dialer</span>")
    );
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"user.invite_accepted".to_owned()));
    let sign_ins = app.audit_details(org_id, "auth.sign_in").await;
    assert_eq!(
        sign_ins[0]["via"], "invitation",
        "joining signs in, audited as such"
    );
    // And can sign in again with the new password.
    let (_, response) = app.browser_login("alan@acme.io", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

async fn send_invites_checks_every_rule_and_writes_nothing_on_error(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    let (agent, admin_role, dialer) = (
        role_id(&app, org_id, "Agent").await,
        role_id(&app, org_id, "Owner").await,
        product_id(&app, org_id, "Dialer").await,
    );
    let before = counts(&app).await;
    let response = app
        .hx_post(
            "/users/invite",
            &[
                // Valid row: must not be saved because others fail.
                ("first_name_0", "Alan"),
                ("last_name_0", "Turing"),
                ("email_0", "alan@acme.io"),
                ("role_0", &agent),
                ("product_0", &dialer),
                // Missing last name, bad email, no role, no license.
                ("first_name_1", "Grace"),
                ("last_name_1", ""),
                ("email_1", "grace@"),
                // Duplicate of row 0; a role beyond the grid (Owner).
                ("first_name_2", "Al"),
                ("last_name_2", "T"),
                ("email_2", "ALAN@acme.io"),
                ("role_2", &admin_role),
                ("product_2", &dialer),
                // Already a member.
                ("first_name_3", "Olive"),
                ("last_name_3", "Again"),
                ("email_3", "olive@acme.io"),
                ("role_3", &agent),
                ("product_3", &dialer),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let dialog = response.text().await.unwrap();
    for message in [
        "Enter a last name.",
        "Enter an email address like name@example.com.",
        "Choose at least one role.",
        "Choose at least one license.",
        "This email is already in another row.",
        "You can only give roles within your own access.",
    ] {
        assert!(dialog.contains(message), "missing: {message}");
    }
    assert!(dialog.contains("value=\"grace@\""), "what was typed stays");
    assert_eq!(counts(&app).await, before, "nothing saved, nothing queued");

    // Only the existing member is wrong: found in the database, and still nothing written.
    let response = app
        .hx_post(
            "/users/invite",
            &[
                ("first_name_0", "Alan"),
                ("last_name_0", "Turing"),
                ("email_0", "alan@acme.io"),
                ("role_0", &agent),
                ("product_0", &dialer),
                ("first_name_1", "Olive"),
                ("last_name_1", "Again"),
                ("email_1", "olive@acme.io"),
                ("role_1", &agent),
                ("product_1", &dialer),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("already has an account or a pending invitation"));
    assert_eq!(counts(&app).await, before);
    let seats = app
        .db(move |c| {
            products::table
                .filter(products::org_id.eq(org_id))
                .select(products::seats_used)
                .load::<i32>(c)
                .unwrap()
        })
        .await;
    assert!(seats.iter().all(|s| *s == 0), "no seat held");
    // An empty grid asks for a row.
    let response = app
        .hx_post(
            "/users/invite",
            &[("first_name_0", ""), ("last_name_0", ""), ("email_0", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Fill in at least one row."));
    // Without users.invite: refused.
    assert!(!app
        .audit_actions(org_id)
        .await
        .contains(&"user.invited".to_owned()));
}

async fn the_seat_limit_names_the_product(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    let (agent, dialer) = (
        role_id(&app, org_id, "Agent").await,
        product_id(&app, org_id, "Dialer").await,
    );
    let mut fields: Vec<(String, String)> = Vec::new();
    for i in 0..4 {
        fields.push((format!("first_name_{i}"), format!("Person{i}")));
        fields.push((format!("last_name_{i}"), "Example".into()));
        fields.push((format!("email_{i}"), format!("p{i}@acme.io")));
        fields.push((format!("role_{i}"), agent.clone()));
        fields.push((format!("product_{i}"), dialer.clone()));
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let before = counts(&app).await;
    let response = app.hx_post("/users/invite", &borrowed).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let dialog = response.text().await.unwrap();
    assert!(
        dialog.contains("Only 3 Dialer seats left for 4 rows"),
        "{dialog}"
    );
    assert_eq!(counts(&app).await, before);
    // Adding a row is offered while a seat could still be had, and no longer once all are ticked.
    let all_ticked: Vec<(&str, &str)> = borrowed
        .iter()
        .copied()
        .filter(|(k, _)| !k.ends_with("_3"))
        .collect();
    let query = serde_urlencoded::to_string(&all_ticked).unwrap();
    let row = app
        .hx_get(&format!("/users/invite/row?index=3&{query}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(row.contains("name=\"first_name_3\""));
    assert!(
        row.contains("\">Add another") && !row.contains(" hidden>Add another"),
        "Omnichannel and CRM seats are still free"
    );
}

async fn two_admins_racing_for_the_last_seat_never_oversubscribe(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    app.db(move |c| {
        diesel::update(
            products::table
                .filter(products::org_id.eq(org_id))
                .filter(products::name.eq("Dialer")),
        )
        .set(products::seats.eq(1))
        .execute(c)
        .unwrap()
    })
    .await;
    let (agent, dialer) = (
        role_id(&app, org_id, "Agent").await,
        product_id(&app, org_id, "Dialer").await,
    );
    let post = |email: &'static str| {
        let (agent, dialer) = (agent.clone(), dialer.clone());
        let app = &app;
        async move {
            app.hx_post(
                "/users/invite",
                &[
                    ("first_name_0", "Racer"),
                    ("last_name_0", "One"),
                    ("email_0", email),
                    ("role_0", &agent),
                    ("product_0", &dialer),
                ],
            )
            .await
            .status()
        }
    };
    let (a, b) = futures_util::future::join(post("a@acme.io"), post("b@acme.io")).await;
    assert!(
        (a == StatusCode::OK) ^ (b == StatusCode::OK),
        "exactly one wins: {a} {b}"
    );
    let used = app
        .db(move |c| {
            products::table
                .filter(products::org_id.eq(org_id))
                .filter(products::name.eq("Dialer"))
                .select(products::seats_used)
                .first::<i32>(c)
                .unwrap()
        })
        .await;
    assert_eq!(used, 1);
    let invited = app
        .db(|c| {
            users::table
                .filter(users::status.eq("invited"))
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(invited, 1);
}

async fn invite_links_work_once_and_expire(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    for (email, first) in [("early@acme.io", "Early"), ("late@acme.io", "Late")] {
        assert_eq!(
            send_one(&app, org_id, first, email).await.status(),
            StatusCode::OK
        );
    }
    let early = app
        .mail()
        .message_to("early@acme.io")
        .await
        .link("/invite/")
        .unwrap();
    let late = app
        .mail()
        .message_to("late@acme.io")
        .await
        .link("/invite/")
        .unwrap();
    let browser = app.new_browser();
    let page = browser
        .get(&early)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&page).unwrap();
    let joined = browser
        .post(&early)
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), StatusCode::SEE_OTHER);
    // Used: a clear page, not a form.
    let reused = app.new_browser().get(&early).send().await.unwrap();
    assert_eq!(reused.status(), StatusCode::GONE);
    assert!(reused
        .text()
        .await
        .unwrap()
        .contains("ask the person who invited you"));
    // Expired after the organization's 7 days.
    app.state.clock.advance(chrono::Duration::days(8));
    let expired = app.new_browser().get(&late).send().await.unwrap();
    assert_eq!(expired.status(), StatusCode::GONE);
    // A made-up token.
    assert_eq!(
        app.new_browser()
            .get(app.url("/invite/nonsense"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::GONE
    );
}

async fn the_invite_dialog_offers_only_grantable_roles_and_available_seats(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    let dialog = app.hx_get("/users/invite").await.text().await.unwrap();
    for role in ["Admin", "Manager", "Supervisor", "Agent"] {
        assert!(dialog.contains(&format!("> {role}</label>")), "{role}");
    }
    assert!(!dialog.contains("> Owner</label>"), "there is one Owner");
    // Plain GET of a fragment route goes to its page.
    assert_redirect_to(&app.get("/users/invite").await, "/users");
    // A Manager cannot invite at all.
    let manager = crate::helpers::Person {
        first: "Manny",
        last: "Manager",
        email: "manny@acme.io",
        status: "active",
        roles: &["Manager"],
        active_minutes_ago: None,
    };
    app.add_people(org_id, vec![manager]).await;
    app.logout().await;
    app.login_as("manny@acme.io", PASSWORD).await;
    assert_eq!(
        app.hx_get("/users/invite").await.status(),
        StatusCode::FORBIDDEN
    );
    let (_, page) = app.get_html("/users").await;
    assert!(!page.contains("+ Invite User"));
}

both_backends!(
    mail_is_retried_until_the_smtp_server_is_back_and_delivered_once,
    without_smtp_the_dev_mailbox_keeps_each_message_as_an_eml_file,
);

async fn mail_is_retried_until_the_smtp_server_is_back_and_delivered_once(backend: Backend) {
    // A port where no mail server listens yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(backend, move |config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))
    })
    .await
    .unwrap();
    let org_id = ready_to_invite(&app).await;
    let response = send_one(&app, org_id, "Patient", "patient@acme.io").await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the invitation is saved even though mail is down"
    );
    // The first attempt fails; the row says so. (The Owner's setup code waits in the outbox
    // too: only the invitation's message counts here.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let attempts = app
            .db(|c| {
                email_outbox::table
                    .filter(email_outbox::recipient.eq("patient@acme.io"))
                    .select(email_outbox::attempts)
                    .first::<i32>(c)
                    .unwrap()
            })
            .await;
        if attempts >= 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no delivery attempt");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, page) = app.get_html("/users?q=patient").await;
    assert!(page.contains("Not delivered yet — retrying"));
    // The mail server comes back; after the backoff the worker delivers, exactly once.
    let smtp = TestSmtp::start_on(port);
    app.state.clock.advance(chrono::Duration::minutes(2));
    app.state.mail_wakeup.notify_one();
    let invitation = smtp.message_to("patient@acme.io").await;
    // Once the worker has recorded the send (the test clock jumps past the claim's lease,
    // which real time never does within one send), a later pass finds nothing to send.
    let status = || {
        app.db(|c| {
            email_outbox::table
                .filter(email_outbox::recipient.eq("patient@acme.io"))
                .select(email_outbox::status)
                .first::<String>(c)
                .unwrap()
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while status().await != "sent" {
        assert!(std::time::Instant::now() < deadline, "the send is recorded");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.state.clock.advance(chrono::Duration::hours(2));
    app.state.mail_wakeup.notify_one();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        smtp.count_to("patient@acme.io"),
        1,
        "delivered once, not again"
    );
    assert!(invitation.link("/invite/").is_some());
    assert_eq!(status().await, "sent");
    let (_, page) = app.get_html("/users?q=patient").await;
    assert!(!page.contains("Not delivered yet"));
}

async fn without_smtp_the_dev_mailbox_keeps_each_message_as_an_eml_file(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.smtp_url = None)
        .await
        .unwrap();
    let org_id = ready_to_invite(&app).await;
    let response = send_one(&app, org_id, "Dev", "dev@acme.io").await;
    assert_eq!(response.status(), StatusCode::OK);
    let mailbox = app.state.config.data_dir.join("mailbox");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // The Owner's setup code came first; the invitation is the message to dev@acme.io.
    let file = loop {
        let found = std::fs::read_dir(&mailbox).ok().and_then(|entries| {
            entries.flatten().map(|e| e.path()).find(|path| {
                std::fs::read_to_string(path).is_ok_and(|m| m.contains("To: dev@acme.io"))
            })
        });
        if let Some(path) = found {
            break path;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no .eml in {}",
            mailbox.display()
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    assert_eq!(file.extension().and_then(|e| e.to_str()), Some("eml"));
    let message = std::fs::read_to_string(&file)
        .unwrap()
        .replace("=\r\n", "")
        .replace("=3D", "=");
    assert!(
        message.contains("To: dev@acme.io")
            && message.contains(&format!("{}/invite/", app.address))
    );
}

async fn an_invite_copies_roles_and_permissions_from_another_user(app: TestApp) {
    let org_id = ready_to_invite(&app).await;
    let sue = app
        .add_people(
            org_id,
            vec![crate::helpers::someone("Sue", "sue@acme.io", "Supervisor")],
        )
        .await[0];
    app.db(move |c| {
        use gatehouse::db::schema::user_permission_overrides as upo;
        diesel::insert_into(upo::table)
            .values((
                upo::user_id.eq(sue),
                upo::permission.eq("users.view"),
                upo::granted.eq(true),
            ))
            .execute(c)
            .unwrap()
    })
    .await;
    let supervisor = role_id(&app, org_id, "Supervisor").await;
    // The row's Roles cell comes back with Sue's roles ticked and a note.
    let cell = app
        .hx_get("/users/invite/copy?index=0&copy_from_0=SUE%40acme.io")
        .await
        .text()
        .await
        .unwrap();
    assert!(cell.contains(&format!("name=\"role_0\" value=\"{supervisor}\" checked")));
    assert!(cell.contains("Roles of sue@acme.io ticked; their 1 permission override comes too."));
    let unknown = app
        .hx_get("/users/invite/copy?index=0&copy_from_0=who%40acme.io")
        .await
        .text()
        .await
        .unwrap();
    assert!(unknown.contains("No user of your organization has the email who@acme.io."));

    let dialer = product_id(&app, org_id, "Dialer").await;
    let row = [
        ("first_name_0", "Nia"),
        ("last_name_0", "New"),
        ("email_0", "nia@acme.io"),
        ("role_0", supervisor.as_str()),
        ("product_0", dialer.as_str()),
        ("copy_from_0", "sue@acme.io"),
    ];
    let response = app.hx_post("/users/invite", &row).await;
    assert_eq!(response.status(), StatusCode::OK);
    let overrides = app
        .db(|c| {
            use gatehouse::db::schema::user_permission_overrides as upo;
            upo::table
                .inner_join(users::table)
                .filter(users::email.eq("nia@acme.io"))
                .select((upo::permission, upo::granted))
                .load::<(String, bool)>(c)
                .unwrap()
        })
        .await;
    assert_eq!(overrides, vec![("users.view".to_owned(), true)]);
    let invited = app.audit_details(org_id, "user.invited").await;
    assert_eq!(invited[0]["copied_from"], "sue@acme.io");
    // An unknown source is refused beside the row, and nothing is sent.
    let mut bad = row;
    bad[2] = ("email_0", "noa@acme.io");
    bad[5] = ("copy_from_0", "who@acme.io");
    let response = app.hx_post("/users/invite", &bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("No user of your organization has the email who@acme.io."));
    let exists = app
        .db(|c| {
            diesel::select(diesel::dsl::exists(
                users::table.filter(users::email.eq("noa@acme.io")),
            ))
            .get_result::<bool>(c)
            .unwrap()
        })
        .await;
    assert!(!exists);
}
