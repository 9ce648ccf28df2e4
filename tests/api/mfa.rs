//! Two-step verification: emailed codes, authenticator apps, recovery codes, the policy by
//! role, and Reset MFA.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, location_of, toast_of, Person, TestApp, PASSWORD};
use gatehouse::db::schema::{recovery_codes, users};
use gatehouse::mfa::codes;

both!(
    an_owner_needs_the_emailed_code_and_a_password_alone_opens_nothing,
    an_emailed_code_works_once_for_ten_minutes_and_five_tries,
    setting_up_an_authenticator_app_shows_the_code_once_and_stores_hashes,
    app_codes_allow_one_step_of_drift_and_never_work_twice,
    a_recovery_code_signs_in_once,
    reset_mfa_removes_the_app_ends_sessions_and_is_audited,
    a_role_that_starts_requiring_mfa_ends_password_only_sessions,
    the_second_step_needs_a_right_password_first,
);

const OWNER: &str = "olive@acme.io";

async fn agent(app: &TestApp, org_id: i64) -> i64 {
    app.add_people(
        org_id,
        vec![Person {
            first: "Ada",
            last: "Agent",
            email: "ada@acme.io",
            status: "active",
            roles: &["Agent"],
            active_minutes_ago: None,
        }],
    )
    .await[0]
}

/// Posts the sign-in code form of the main client.
async fn type_code(app: &TestApp, code: &str) -> reqwest::Response {
    app.get_html("/login/mfa").await;
    app.post_form("/login/mfa", &[("code", code)]).await
}

fn unix(app: &TestApp) -> i64 {
    app.state.clock.now().and_utc().timestamp()
}

/// Sets up an authenticator app for the signed-in main client; its secret and recovery codes.
async fn enrol(app: &TestApp) -> (String, Vec<String>) {
    app.get_html("/account").await;
    let response = app
        .post_form("/account/mfa/totp", &[("mfa_password", PASSWORD)])
        .await;
    assert_redirect_to(&response, "/account/mfa/totp");
    let (status, page) = app.get_html("/account/mfa/totp").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<svg"), "the QR code is drawn on the server");
    let secret: String = page
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret as text")
        .replace(' ', "");
    let code = codes::totp_code(&secret, unix(app)).unwrap();
    let response = app
        .post_form("/account/mfa/totp/confirm", &[("code", &code)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let recovery: Vec<String> = page
        .split("<li><code>")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect();
    assert_eq!(recovery.len(), 10, "ten recovery codes are shown");
    (secret, recovery)
}

async fn an_owner_needs_the_emailed_code_and_a_password_alone_opens_nothing(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    app.logout().await;
    let seen = app.mail().count_to(OWNER);
    let response = app.post_password(OWNER, PASSWORD).await;
    assert_redirect_to(&response, "/login/mfa");
    // Between the password and the code, nothing of the console opens.
    let response = app.get("/users").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location_of(&response).unwrap().starts_with("/login"));
    let (status, page) = app.get_html("/login/mfa").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Verification code") && page.contains("o••••@acme.io"));

    let response = type_code(&app, "000000").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("That code is not right."));
    let code = app.mail().sign_in_code(OWNER, seen).await;
    let response = type_code(&app, &code).await;
    assert_redirect_to(&response, "/users");
    let (status, page) = app.get_html("/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("each sign-in emails you a code. <a href=\"/account#mfa\">Set up an authenticator app</a>"),
        "the offer to set up an app"
    );
    let sign_ins = app.audit_details(org_id, "auth.sign_in").await;
    assert_eq!(sign_ins[0]["second_factor"], "email");
    let failures = app.audit_details(org_id, "auth.sign_in_failed").await;
    assert_eq!(failures[0]["reason"], "wrong_code");

    // The code was single-use: the next sign-in needs a new one.
    app.logout().await;
    let response = app.post_password(OWNER, PASSWORD).await;
    assert_redirect_to(&response, "/login/mfa");
    let response = type_code(&app, &code).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn an_emailed_code_works_once_for_ten_minutes_and_five_tries(app: TestApp) {
    app.setup_first_org("Acme", OWNER).await;
    // A higher lockout limit, so the code's own five tries are what runs out.
    app.db(|c| {
        use gatehouse::db::schema::organizations;
        diesel::update(organizations::table)
            .set(organizations::max_failed_logins.eq(20))
            .execute(c)
            .unwrap();
    })
    .await;
    app.logout().await;
    let seen = app.mail().count_to(OWNER);
    app.post_password(OWNER, PASSWORD).await;
    let code = app.mail().sign_in_code(OWNER, seen).await;
    let wrong = if code == "111111" { "222222" } else { "111111" };
    for _ in 0..5 {
        let response = type_code(&app, wrong).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let response = type_code(&app, &code).await;
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("tried too often. Send a new code."));

    // Send a new code: only the newest works, within ten minutes.
    let seen = app.mail().count_to(OWNER);
    let response = app.post_form("/login/mfa/resend", &[]).await;
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("We sent a new code."));
    let fresh = app.mail().sign_in_code(OWNER, seen).await;
    app.state.clock.advance(chrono::Duration::minutes(9));
    let response = type_code(&app, &fresh).await;
    assert_redirect_to(&response, "/users");

    // A code (and the half-done sign-in) older than ten minutes is refused.
    app.logout().await;
    let seen = app.mail().count_to(OWNER);
    app.post_password(OWNER, PASSWORD).await;
    let late = app.mail().sign_in_code(OWNER, seen).await;
    app.state.clock.advance(chrono::Duration::minutes(11));
    let response = type_code(&app, &late).await;
    assert_redirect_to(&response, "/login?notice=timeout");
    let (_, page) = app.get_html("/login?notice=timeout").await;
    assert!(page.contains("Signing in took too long."));
}

async fn setting_up_an_authenticator_app_shows_the_code_once_and_stores_hashes(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    // The current password comes first.
    app.get_html("/account").await;
    let response = app
        .post_form("/account/mfa/totp", &[("mfa_password", "not my password")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("This is not your current password."));
    // A wrong code keeps the app off.
    app.post_form("/account/mfa/totp", &[("mfa_password", PASSWORD)])
        .await;
    app.get_html("/account/mfa/totp").await;
    let response = app
        .post_form("/account/mfa/totp/confirm", &[("code", "123456")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("That code is not right."));

    let (_, recovery) = enrol(&app).await;
    let owner_id = app.org_owner(org_id).await;
    let stored: Vec<String> = app
        .db(move |c| {
            recovery_codes::table
                .filter(recovery_codes::user_id.eq(owner_id))
                .select(recovery_codes::code_hash)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(stored.len(), 10);
    for code in &recovery {
        assert!(!stored.contains(code), "codes are stored hashed");
        assert!(stored.contains(&codes::recovery_hash(code)));
    }
    let (_, account) = app.get_html("/account").await;
    assert!(account.contains("10 of 10 recovery codes left"));
    assert!(!account.contains(&recovery[0]), "the codes are shown once");
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"mfa.totp_enabled".to_owned()));
    app.mail()
        .message_about(OWNER, "two-step verification changed")
        .await;
}

async fn app_codes_allow_one_step_of_drift_and_never_work_twice(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let (secret, _) = enrol(&app).await;
    app.state.clock.advance(chrono::Duration::minutes(2));
    app.logout().await;
    // An authenticator app replaces the emailed code.
    let codes_sent = |app: &TestApp| {
        let app_state = app.state.clone();
        async move {
            let pool = app_state.pool.clone();
            actix_web::web::block(move || {
                use gatehouse::db::schema::email_outbox;
                email_outbox::table
                    .filter(email_outbox::kind.eq("sign_in_code"))
                    .count()
                    .get_result::<i64>(&mut pool.get().unwrap())
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    let seen = codes_sent(&app).await;
    let response = app.post_password(OWNER, PASSWORD).await;
    assert_redirect_to(&response, "/login/mfa");
    let (_, page) = app.get_html("/login/mfa").await;
    assert!(page.contains("authenticator app"));
    let behind = codes::totp_code(&secret, unix(&app) - 30).unwrap();
    let response = type_code(&app, &behind).await;
    assert_redirect_to(&response, "/users");
    assert_eq!(codes_sent(&app).await, seen, "no code was queued");
    assert_eq!(
        app.audit_details(org_id, "auth.sign_in").await[0]["second_factor"],
        "totp"
    );

    // The same code again is a replay.
    app.logout().await;
    app.post_password(OWNER, PASSWORD).await;
    let response = type_code(&app, &behind).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Two steps ahead is too far; one step ahead is drift.
    let far = codes::totp_code(&secret, unix(&app) + 90).unwrap();
    assert_eq!(
        type_code(&app, &far).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let ahead = codes::totp_code(&secret, unix(&app) + 30).unwrap();
    assert_redirect_to(&type_code(&app, &ahead).await, "/users");
    let (_, page) = app.get_html("/users").await;
    assert!(
        !page.contains("Set up an authenticator app"),
        "no offer once an app is set up"
    );
}

async fn a_recovery_code_signs_in_once(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let (_, recovery) = enrol(&app).await;
    app.logout().await;
    app.post_password(OWNER, PASSWORD).await;
    let typed = recovery[3].to_uppercase();
    assert_redirect_to(&type_code(&app, &typed).await, "/users");
    let used = app.audit_details(org_id, "mfa.recovery_code_used").await;
    assert_eq!(used[0]["codes_left"], 9);
    app.logout().await;
    app.post_password(OWNER, PASSWORD).await;
    assert_eq!(
        type_code(&app, &recovery[3]).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn reset_mfa_removes_the_app_ends_sessions_and_is_audited(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let agent_id = agent(&app, org_id).await;
    let (browser, response) = app.browser_login("ada@acme.io", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Ada sets up an app of her own (her role does not require one).
    let response = app
        .post_from_page(
            &browser,
            "/account",
            "/account/mfa/totp",
            &[("mfa_password", PASSWORD)],
        )
        .await;
    assert_redirect_to(&response, "/account/mfa/totp");
    let page = browser
        .get(app.url("/account/mfa/totp"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = page
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .replace(' ', "");
    let code = codes::totp_code(&secret, unix(&app)).unwrap();
    let response = app
        .post_from_page(
            &browser,
            "/account/mfa/totp",
            "/account/mfa/totp/confirm",
            &[("code", &code)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    // The row offers Reset MFA; the dialog says what happens.
    let (_, list) = app.get_html("/users?q=ada").await;
    assert!(list.contains("Reset MFA"));
    let dialog = app
        .hx_get(&format!("/users/{agent_id}/reset-mfa"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Reset MFA?") && dialog.contains("signed out everywhere"));
    let response = app
        .hx_post(&format!("/users/{agent_id}/reset-mfa"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Two-step verification was reset. The user was signed out.")
    );
    // Ada's session ended; the app is gone and her password alone signs her in again.
    let response = browser.get(app.url("/account")).send().await.unwrap();
    assert!(location_of(&response).unwrap().starts_with("/login"));
    let (has_app, codes_left) = app
        .db(move |c| {
            let secret: Option<String> = users::table
                .find(agent_id)
                .select(users::totp_secret)
                .first(c)
                .unwrap();
            let left: i64 = recovery_codes::table
                .filter(recovery_codes::user_id.eq(agent_id))
                .count()
                .get_result(c)
                .unwrap();
            (secret.is_some(), left)
        })
        .await;
    assert!(!has_app && codes_left == 0);
    let (_, response) = app.browser_login("ada@acme.io", PASSWORD).await;
    assert_redirect_to(&response, "/account");
    let reset = app.audit_details(org_id, "mfa.reset").await;
    assert_eq!(reset[0]["had_app"], true);
    app.mail()
        .message_about("ada@acme.io", "two-step verification was reset")
        .await;

    // Only users.manage may reset, and never one's own.
    let response = app
        .hx_post(
            &format!("/users/{}/reset-mfa", app.org_owner(org_id).await),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let manager = app
        .add_people(
            org_id,
            vec![Person {
                first: "Max",
                last: "Manager",
                email: "max@acme.io",
                status: "active",
                roles: &["Manager"],
                active_minutes_ago: None,
            }],
        )
        .await;
    assert!(!manager.is_empty());
    let (manager_browser, _) = app.browser_login("max@acme.io", PASSWORD).await;
    let response = app
        .post_from_page(
            &manager_browser,
            "/account",
            &format!("/users/{agent_id}/reset-mfa"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn a_role_that_starts_requiring_mfa_ends_password_only_sessions(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    agent(&app, org_id).await;
    let (browser, response) = app.browser_login("ada@acme.io", PASSWORD).await;
    assert_redirect_to(&response, "/account");
    assert_eq!(
        browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // The Owner now requires a second step of Agents too.
    app.get_html("/settings").await;
    let response = app
        .post_form(
            "/settings/security",
            &[
                ("max_failed_logins", "5"),
                ("lock_after_inactive_days", "90"),
                ("password_min_length", "12"),
                ("password_max_age_days", "120"),
                ("mfa_role", "Owner"),
                ("mfa_role", "Admin"),
                ("mfa_role", "Supervisor"),
                ("mfa_role", "Agent"),
                ("session_idle_minutes", "30"),
                ("session_max_hours", "12"),
                ("audit_retention_days", "365"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Ada's password-only session is over; signing in now asks for the emailed code.
    let response = browser.get(app.url("/account")).send().await.unwrap();
    assert!(location_of(&response).unwrap().starts_with("/login"));
    let (_, response) = app.browser_login("ada@acme.io", PASSWORD).await;
    assert_redirect_to(&response, "/account");
    let sign_ins = app.audit_details(org_id, "auth.sign_in").await;
    assert_eq!(sign_ins[0]["second_factor"], "email");
}

async fn the_second_step_needs_a_right_password_first(app: TestApp) {
    app.setup_first_org("Acme", OWNER).await;
    app.logout().await;
    let response = app.get("/login/mfa").await;
    assert_redirect_to(&response, "/login?notice=timeout");
    let response = app.post_form("/login/mfa", &[("code", "123456")]).await;
    assert_redirect_to(&response, "/login?notice=timeout");
    // A wrong password never reaches the second step.
    let response = app.post_password(OWNER, "not the password at all").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
