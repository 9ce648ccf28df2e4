use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, Person, TestApp, PASSWORD};

both!(
    signing_in_with_the_right_password_opens_the_console,
    wrong_credentials_get_one_generic_message,
    anonymous_visitors_are_sent_to_sign_in,
    state_changing_requests_without_the_csrf_token_are_refused,
    signing_out_ends_the_session_on_the_server,
    a_role_without_users_view_gets_a_clear_403_page,
    pages_carry_the_security_headers,
    people_without_user_management_land_on_my_account,
    a_login_ip_allowlist_keeps_other_networks_out,
    each_sign_in_step_starts_a_new_session_id,
    a_fresh_browser_finds_the_favicon_without_signing_in,
);

async fn signing_in_with_the_right_password_opens_the_console(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    app.logout().await;
    let response = app.login_as("OLIVE@acme.io", PASSWORD).await;
    assert_redirect_to(&response, "/users");
    let (status, page) = app.get_html("/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Olive Owner"));
    let org_id = app.org_of("olive@acme.io").await;
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"auth.sign_in".to_owned()));
    // The session id changes at sign-in.
    assert!(response
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("gatehouse_session=")));
}

async fn wrong_credentials_get_one_generic_message(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.logout().await;
    let wrong_password = app
        .login_as("olive@acme.io", "not the password at all")
        .await;
    assert_eq!(wrong_password.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong_password = wrong_password.text().await.unwrap();
    let unknown = app
        .login_as("nobody@acme.io", PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    for page in [&wrong_password, &unknown] {
        assert!(page.contains("Incorrect email, username or password."));
    }
    assert!(
        wrong_password.contains("value=\"olive@acme.io\""),
        "the email is kept"
    );
    // Not signed in.
    assert_redirect_to(&app.get("/users").await, "/login?next=%2Fusers");
    let actions = app.audit_actions(org_id).await;
    assert!(actions.contains(&"auth.sign_in_failed".to_owned()));
    let failures = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::users;
            users::table
                .filter(users::org_id.eq(org_id))
                .select(users::failed_logins)
                .first::<i32>(c)
                .unwrap()
        })
        .await;
    assert_eq!(failures, 1);
}

async fn anonymous_visitors_are_sent_to_sign_in(app: TestApp) {
    assert_redirect_to(
        &app.get("/users?q=ada").await,
        "/login?next=%2Fusers%3Fq%3Dada",
    );
    assert_redirect_to(&app.get("/").await, "/login?next=%2F");
    // htmx requests are told where to go instead of receiving a sign-in page as a fragment.
    let response = app.hx_get("/users").await;
    assert_eq!(
        response.headers().get("HX-Redirect").unwrap(),
        "/login?next=%2Fusers"
    );
    // Public pages stay public.
    assert_eq!(app.get("/login").await.status(), StatusCode::OK);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let (status, page) = app.get_html("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Not found"));
}

async fn state_changing_requests_without_the_csrf_token_are_refused(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    // Sign-out without a token: refused, and the session survives.
    let response = app.post_form_without_csrf("/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("nothing was changed"));
    assert_eq!(app.get("/users").await.status(), StatusCode::OK);
    // A wrong token, as a form field and as the htmx header.
    let response = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .client
        .post(app.url("/logout"))
        .header("X-CSRF-Token", "forged")
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(crate::helpers::toast_of(response.headers())
        .unwrap()
        .contains("nothing was changed"));
    // A cross-site origin is refused even with the right token.
    let token = app.csrf().await;
    let response = app
        .client
        .post(app.url("/logout"))
        .header("Origin", "https://evil.example")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/users").await.status(), StatusCode::OK);
    // Browsers send `Origin: null` on same-origin form posts under Referrer-Policy: no-referrer;
    // with the right token and Sec-Fetch-Site: same-origin that is fine.
    let response = app
        .client
        .get(app.url("/users"))
        .header("Origin", "null")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .client
        .post(app.url("/account/sign-out-everywhere"))
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "a cross-site post is refused whatever its Origin"
    );
    // The right token through the htmx header works.
    let response = app
        .client
        .post(app.url("/logout"))
        .header("X-CSRF-Token", token)
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers().get("HX-Redirect").unwrap(),
        "/login?signed_out=1"
    );
    // Sign-in itself needs the token too.
    let response = app
        .post_form_without_csrf(
            "/login",
            &[("email", "olive@acme.io"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn signing_out_ends_the_session_on_the_server(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    // Keep a copy of the session cookie, as a thief would.
    let cookie = app.client.get(app.url("/users")).send().await.unwrap();
    assert_eq!(cookie.status(), StatusCode::OK);
    let sessions_before = app
        .db(|c| {
            use diesel::prelude::*;
            gatehouse::db::schema::sessions::table
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert!(sessions_before >= 1);
    let response = app.logout().await;
    assert_redirect_to(&response, "/login?signed_out=1");
    let sessions_after = app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::sessions;
            sessions::table
                .filter(sessions::user_id.is_not_null())
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(sessions_after, 0);
    assert_redirect_to(&app.get("/users").await, "/login?next=%2Fusers");
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"auth.sign_out".to_owned()));
}

async fn a_role_without_users_view_gets_a_clear_403_page(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(
        org_id,
        vec![
            Person {
                first: "Agnes",
                last: "Agent",
                email: "agnes@acme.io",
                status: "active",
                roles: &["Agent"],
                active_minutes_ago: None,
            },
            Person {
                first: "Manny",
                last: "Manager",
                email: "manny@acme.io",
                status: "active",
                roles: &["Manager"],
                active_minutes_ago: None,
            },
        ],
    )
    .await;
    app.logout().await;
    let response = app.login_as("agnes@acme.io", PASSWORD).await;
    assert_redirect_to(&response, "/account");
    let (status, page) = app.get_html("/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Access denied") && page.contains("You do not have permission"));
    // Home takes them to what they may see, and the navigation offers only that.
    assert_redirect_to(&app.get("/").await, "/account");
    let (status, page) = app.get_html("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("href=\"/users\""));
    assert_eq!(app.get("/settings").await.status(), StatusCode::FORBIDDEN);
    let response = app.hx_get("/users").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(crate::helpers::toast_of(response.headers())
        .unwrap()
        .contains("permission"));

    app.logout().await;
    app.login_as("manny@acme.io", PASSWORD).await;
    assert_eq!(app.get("/users").await.status(), StatusCode::OK);
    assert_eq!(app.get("/activity").await.status(), StatusCode::OK);
    assert_eq!(app.get("/settings").await.status(), StatusCode::FORBIDDEN);
}

async fn pages_carry_the_security_headers(app: TestApp) {
    let response = app.get("/login").await;
    let headers = response.headers();
    let csp = headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(headers.get("referrer-policy").unwrap(), "no-referrer");
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

async fn people_without_user_management_land_on_my_account(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(
        org_id,
        vec![crate::helpers::someone("Ada", "ada@acme.io", "Agent")],
    )
    .await;
    let (_, response) = app.browser_login("ada@acme.io", PASSWORD).await;
    assert_redirect_to(&response, "/account");
    // A page asked for first still wins.
    let browser = app.new_browser();
    let response = app
        .submit_page_form(
            &browser,
            "/login?next=%2Faccount%3Fchanged%3Demail",
            &[
                ("email", "ada@acme.io"),
                ("password", PASSWORD),
                ("next", "/account?changed=email"),
            ],
        )
        .await;
    assert_redirect_to(&response, "/account?changed=email");
}

async fn a_login_ip_allowlist_keeps_other_networks_out(app: TestApp) {
    use diesel::prelude::*;
    use gatehouse::db::schema::users;
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(
        org_id,
        vec![crate::helpers::someone("Ada", "ada@acme.io", "Agent")],
    )
    .await;
    let allow = |list: &'static str| {
        app.db(move |c| {
            diesel::update(users::table.filter(users::email.eq("ada@acme.io")))
                .set(users::ip_allowlist.eq(list))
                .execute(c)
                .unwrap();
        })
    };
    let failed_logins = || {
        app.db(|c| {
            users::table
                .filter(users::email.eq("ada@acme.io"))
                .select(users::failed_logins)
                .first::<i32>(c)
                .unwrap()
        })
    };
    allow("10.0.0.0/8").await;
    let browser = app.new_browser();
    let sign_in = |password: &'static str| {
        let (app, browser) = (&app, &browser);
        async move {
            app.submit_page_form(
                browser,
                "/login",
                &[("email", "ada@acme.io"), ("password", password)],
            )
            .await
        }
    };
    // The right password from elsewhere: refused, saying why; not a failed guess.
    let response = sign_in(PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Your account cannot sign in from this network (127.0.0.1)."),
        "{page}"
    );
    assert_eq!(failed_logins().await, 0);
    let refused = app.audit_details(org_id, "auth.sign_in_failed").await;
    assert_eq!(refused[0]["reason"], "ip_not_allowed");
    let account = browser.get(app.url("/account")).send().await.unwrap();
    assert_ne!(account.status(), StatusCode::OK, "not signed in");
    // A wrong password learns nothing about the list.
    let response = sign_in("not the password").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!response.text().await.unwrap().contains("network"));
    // Her network on the list: in.
    allow("10.0.0.0/8, 127.0.0.0/8").await;
    assert_redirect_to(&sign_in(PASSWORD).await, "/account");
}

/// The session id a response sets, if it sets one.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find_map(|c| c.strip_prefix("gatehouse_session="))
        .map(|c| c.split(';').next().unwrap_or("").to_owned())
}

async fn each_sign_in_step_starts_a_new_session_id(app: TestApp) {
    // The Owner's sign-in has two steps: the password (a marker session), then the code.
    app.setup_first_org("Acme", "olive@acme.io").await;
    let browser = app.new_browser();
    let seen = app.mail().count_to("olive@acme.io");
    let first = app
        .submit_page_form(
            &browser,
            "/login",
            &[("email", "olive@acme.io"), ("password", PASSWORD)],
        )
        .await;
    assert_redirect_to(&first, "/login/mfa");
    let marker = session_cookie(&first).expect("a session for the second step");
    let code = app.mail().sign_in_code("olive@acme.io", seen).await;
    let second = app
        .submit_page_form(&browser, "/login/mfa", &[("code", &code)])
        .await;
    assert_redirect_to(&second, "/users");
    let signed_in = session_cookie(&second).expect("a new session at sign-in");
    assert_ne!(
        marker, signed_in,
        "the id changes when the person is let in"
    );
    // A session id from before is worth nothing now.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/users"))
        .header("Cookie", format!("gatehouse_session={marker}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
}

async fn a_fresh_browser_finds_the_favicon_without_signing_in(app: TestApp) {
    let response = app.get("/favicon.ico").await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("content-type").as_deref(), Some("image/x-icon"));
    let cache = header("cache-control").unwrap_or_default();
    assert!(
        cache.contains("public") && cache.contains("max-age=2592000"),
        "{cache}"
    );
    let icon = response.bytes().await.unwrap();
    // An icon file (reserved 0, type 1) holding the 16x16 and the 32x32 image.
    assert_eq!(&icon[..6], &[0, 0, 1, 0, 2, 0]);
    assert_eq!((icon[6], icon[22]), (16, 32));
    // Every page names it, signed in or not.
    let (_, login) = app.get_html("/login").await;
    assert!(login.contains("<link rel=\"icon\" href=\"/favicon.ico\""));
    app.setup_first_org("Acme", "olive@acme.io").await;
    let (_, users) = app.get_html("/users").await;
    assert!(users.contains("<link rel=\"icon\" href=\"/favicon.ico\""));
}
