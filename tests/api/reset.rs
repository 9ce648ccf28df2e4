use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, csrf_of, page_of, post_from, TestApp, PASSWORD};

both!(
    forgot_password_answers_alike_and_the_link_sets_a_new_password_once,
    reset_links_expire_after_an_hour,
    an_administrator_sends_a_reset_link_with_reset_password,
    a_reset_lifts_a_block_from_failed_sign_ins_and_records_it,
    the_reset_link_never_comes_from_the_host_header,
    a_temporary_password_is_shown_once_and_must_be_changed_at_sign_in,
    only_those_who_may_reset_credentials_set_a_temporary_password,
);

async fn an_administrator_sends_a_reset_link_with_reset_password(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![crate::helpers::Person {
                first: "Ada",
                last: "Lovelace",
                email: "ada@acme.io",
                status: "active",
                roles: &["Agent"],
                active_minutes_ago: None,
            }],
        )
        .await;
    let ada = ids[0];
    let (_, list) = app.get_html("/users?q=ada").await;
    assert!(list.contains(&format!("hx-get=\"/users/{ada}/reset-password\"")));
    let confirm = app
        .hx_get(&format!("/users/{ada}/reset-password"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("Reset password?") && confirm.contains("ada@acme.io"));
    let response = app
        .hx_post(&format!("/users/{ada}/reset-password"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(crate::helpers::toast_of(response.headers())
        .unwrap()
        .contains("reset link was emailed"));
    let link = app
        .mail()
        .message_to("ada@acme.io")
        .await
        .link("/password/reset/")
        .unwrap();
    let browser = app.new_browser();
    let done = app
        .submit_page_form(
            &browser,
            &link,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_redirect_to(&done, "/login?reset=1");
    let (_, response) = app.browser_login("ada@acme.io", NEW_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"user.password_reset_sent".to_owned()));
}

const NEW_PASSWORD: &str = "violet orbit lantern meadow";

async fn ask_for_link(app: &TestApp, email: &str) -> String {
    let browser = app.new_browser();
    let page = page_of(&browser, &app.url("/password/forgot")).await;
    let response = browser
        .post(app.url("/password/forgot"))
        .form(&[
            ("csrf_token", csrf_of(&page).unwrap().as_str()),
            ("email", email),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

async fn forgot_password_answers_alike_and_the_link_sets_a_new_password_once(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    // The Owner is signed in here; that session must end with the reset.
    assert_eq!(app.get("/users").await.status(), StatusCode::OK);
    let known = ask_for_link(&app, "olive@acme.io").await;
    let unknown = ask_for_link(&app, "nobody@acme.io").await;
    let sent = "If an account uses that address, we sent it a link";
    assert!(known.contains(sent) && unknown.contains(sent));
    let message = app
        .mail()
        .message_about("olive@acme.io", "Reset your Gatehouse password")
        .await;
    let link = message.link("/password/reset/").unwrap();
    assert!(link.starts_with(&app.address), "built from BASE_URL");
    assert!(!app
        .mail()
        .received()
        .iter()
        .any(|m| m.to.contains(&"nobody@acme.io".to_owned())));

    let browser = app.new_browser();
    let page = page_of(&browser, &link).await;
    assert!(page.contains("olive@acme.io"));
    let token = csrf_of(&page).unwrap();
    let weak = browser
        .post(&link)
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", "olive@acme.io1"),
            ("password_confirm", "olive@acme.io1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = browser
        .post(&link)
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_redirect_to(&done, "/login?reset=1");
    // Every session ended; the old password no longer works, the new one does.
    assert_redirect_to(&app.get("/users").await, "/login?next=%2Fusers");
    assert_eq!(
        app.login_as("olive@acme.io", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_redirect_to(&app.login_as("olive@acme.io", NEW_PASSWORD).await, "/users");
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"auth.password_reset".to_owned()));
    // The person is told, and the link is spent.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !app
        .mail()
        .received()
        .iter()
        .any(|m| m.subject().contains("password was changed"))
    {
        assert!(std::time::Instant::now() < deadline, "no change notice");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        app.new_browser().get(&link).send().await.unwrap().status(),
        StatusCode::GONE
    );
}

async fn reset_links_expire_after_an_hour(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    ask_for_link(&app, "olive@acme.io").await;
    let link = app
        .mail()
        .message_about("olive@acme.io", "Reset your Gatehouse password")
        .await
        .link("/password/reset/")
        .unwrap();
    app.state.clock.advance(chrono::Duration::minutes(61));
    let response = app.new_browser().get(&link).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Ask for a new link"));
}

async fn a_reset_lifts_a_block_from_failed_sign_ins_and_records_it(app: TestApp) {
    use diesel::prelude::*;
    use gatehouse::db::schema::users;
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(
        org_id,
        vec![crate::helpers::someone("Bea", "bea@acme.io", "Agent")],
    )
    .await;
    let browser = app.new_browser();
    for _ in 0..6 {
        app.submit_page_form(
            &browser,
            "/login",
            &[("email", "bea@acme.io"), ("password", "not her password")],
        )
        .await;
    }
    let lock = || {
        app.db(|c| {
            users::table
                .filter(users::email.eq("bea@acme.io"))
                .select(users::lock_reason)
                .first::<Option<String>>(c)
                .unwrap()
        })
    };
    assert_eq!(lock().await.as_deref(), Some("failed_logins"));
    ask_for_link(&app, "bea@acme.io").await;
    let link = app
        .mail()
        .message_about("bea@acme.io", "Reset your Gatehouse password")
        .await
        .link("/password/reset/")
        .unwrap();
    let page = page_of(&browser, &link).await;
    let done = post_from(
        &browser,
        &link,
        &page,
        &[
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert_redirect_to(&done, "/login?reset=1");
    assert_eq!(lock().await, None, "the mailbox's owner is let back in");
    let unblocked = app.audit_details(org_id, "auth.unblocked").await;
    assert_eq!(unblocked.len(), 1);
    assert_eq!(unblocked[0]["via"], "password reset");
    let response = app
        .submit_page_form(
            &browser,
            "/login",
            &[("email", "bea@acme.io"), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_redirect_to(&response, "/account");
}

async fn the_reset_link_never_comes_from_the_host_header(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let browser = app.new_browser();
    let page = page_of(&browser, &app.url("/password/forgot")).await;
    // A forged Host (and forwarded host) on the request: the link is still BASE_URL's.
    let response = browser
        .post(app.url("/password/forgot"))
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .header("Origin", app.address.as_str())
        .form(&[
            ("csrf_token", csrf_of(&page).unwrap().as_str()),
            ("email", "olive@acme.io"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let message = app
        .mail()
        .message_about("olive@acme.io", "Reset your Gatehouse password")
        .await;
    let link = message.link("/password/reset/").unwrap();
    assert!(link.starts_with(&app.address), "{link}");
    assert!(!message.raw.contains("evil.example"));
}

/// The password shown in the temporary-password dialog.
fn shown_password(dialog: &str) -> String {
    let start = dialog
        .find("id=\"temporary-password\"")
        .expect("the password field");
    let value = dialog[start..].find("value=\"").unwrap() + start + 7;
    let end = dialog[value..].find('"').unwrap() + value;
    dialog[value..end].to_owned()
}

async fn a_temporary_password_is_shown_once_and_must_be_changed_at_sign_in(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada = app
        .add_people(
            org_id,
            vec![crate::helpers::someone("Ada", "ada@acme.io", "Agent")],
        )
        .await[0];
    // Ada is signed in somewhere; the temporary password ends that session.
    let (ada_browser, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    let confirm = app
        .hx_get(&format!("/users/{ada}/reset-password"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("Email a reset link") && confirm.contains("Set a temporary password"));
    let response = app
        .hx_post(&format!("/users/{ada}/temporary-password"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    let dialog = response.text().await.unwrap();
    assert!(
        dialog.contains("Temporary password for Ada Test"),
        "{dialog}"
    );
    let temporary = shown_password(&dialog);
    assert_eq!(temporary.len(), 19, "{temporary}");
    // Never emailed, never in the audit log; the old password and session are over.
    assert_eq!(app.mail().count_to("ada@acme.io"), 0);
    let set = app
        .audit_details(org_id, "user.temporary_password_set")
        .await;
    assert_eq!(set.len(), 1);
    assert!(!set[0].to_string().contains(&temporary));
    assert_eq!(set[0]["sessions_ended"], 1);
    let old_session = ada_browser.get(app.url("/account")).send().await.unwrap();
    assert_redirect_to(&old_session, "/login?next=%2Faccount");
    let (_, refused) = app.browser_login("ada@acme.io", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Signing in with it leads to choosing her own, before anything else.
    let (browser, response) = app.browser_login("ada@acme.io", &temporary).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let account = browser.get(app.url("/account")).send().await.unwrap();
    assert_redirect_to(&account, "/account/password/expired?next=%2Faccount");
    let page = page_of(&browser, &app.url("/account/password/expired")).await;
    assert!(
        page.contains("temporary password an administrator gave you"),
        "{page}"
    );
    let done = app
        .submit_page_form(
            &browser,
            "/account/password/expired",
            &[
                ("current_password", temporary.as_str()),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let account = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(account.status(), StatusCode::OK);
    // The temporary password no longer signs in; her own does.
    let (_, refused) = app.browser_login("ada@acme.io", &temporary).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, response) = app.browser_login("ada@acme.io", NEW_PASSWORD).await;
    assert_redirect_to(&response, "/account");
}

async fn only_those_who_may_reset_credentials_set_a_temporary_password(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let owner = app.org_owner(org_id).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                crate::helpers::someone("Max", "max@acme.io", "Manager"),
                crate::helpers::someone("Ann", "ann@acme.io", "Admin"),
            ],
        )
        .await;
    let (max, ann) = (ids[0], ids[1]);
    // The Owner's credentials are the Owner's; nobody sets their own this way either.
    app.logout().await;
    app.login_as("ann@acme.io", PASSWORD).await;
    for target in [owner, ann] {
        let response = app
            .hx_post(&format!("/users/{target}/temporary-password"), &[])
            .await;
        assert!(
            response.status() == StatusCode::FORBIDDEN || response.status() == StatusCode::CONFLICT,
            "{target}: {}",
            response.status()
        );
    }
    // Another organization's user answers 404.
    let now = app.state.clock.now();
    let (other_org, _) = app
        .db(move |c| gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap())
        .await;
    let theirs = app
        .add_people(
            other_org,
            vec![crate::helpers::someone("Tia", "tia@bravo.io", "Agent")],
        )
        .await[0];
    let response = app
        .hx_post(&format!("/users/{theirs}/temporary-password"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(app
        .audit_details(org_id, "user.temporary_password_set")
        .await
        .is_empty());
    // An Admin may give a Manager one; the Owner's password still works.
    let response = app
        .hx_post(&format!("/users/{max}/temporary-password"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, response) = app.browser_login("olive@acme.io", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}
