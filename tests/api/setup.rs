use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, location_of, TestApp, PASSWORD};

both!(
    the_setup_link_creates_the_organization_and_its_owner_once,
    setup_mistakes_are_shown_beside_their_fields_and_nothing_is_created,
    a_setup_link_from_org_create_sets_up_that_organization,
    the_owner_exists_only_once_the_code_emailed_to_their_address_comes_back,
    wrong_codes_are_counted_and_refused_and_a_new_code_replaces_a_used_up_one,
    a_mistyped_address_is_corrected_on_the_same_link,
    the_setup_code_expires_after_ten_minutes,
);

async fn the_setup_link_creates_the_organization_and_its_owner_once(app: TestApp) {
    let now = app.state.clock.now();
    let secret = app
        .db(move |c| gatehouse::orgs::service::first_run_link(c, now).unwrap())
        .await
        .expect("link");
    // Only the hash is stored.
    let stored_hash = gatehouse::auth::tokens::hash_token(&secret);
    let plain = secret.clone();
    let (hash_found, plain_found) = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::tokens;
            let hashes: Vec<String> = tokens::table.select(tokens::token_hash).load(c).unwrap();
            (hashes.contains(&stored_hash), hashes.contains(&plain))
        })
        .await;
    assert!(hash_found && !plain_found);

    app.complete_setup(&secret, Some("Acme"), "Ada", "Lovelace", "Ada@Acme.io")
        .await;
    let (status, page) = app.get_html("/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("User Management"));
    assert!(
        page.contains("ada@acme.io"),
        "emails are stored case-folded"
    );
    assert!(page.contains("Owner"));

    let org_id = app.org_of("ada@acme.io").await;
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"org.setup".to_owned()));

    // The link is spent: the page and the form both refuse it.
    app.logout().await;
    let (status, page) = app.get_html(&format!("/setup?token={secret}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("cannot be used"));
    let response = app
        .post_form(
            "/setup",
            &[
                ("token", &secret),
                ("org_name", "Evil"),
                ("first_name", "Eve"),
                ("last_name", "Mallory"),
                ("email", "eve@evil.io"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    let eve_exists = app
        .db(|c| gatehouse::users::store::email_taken(c, "eve@evil.io").unwrap())
        .await;
    assert!(!eve_exists);
    // With an organization in place no new first-run link is offered.
    let now = app.state.clock.now();
    assert!(app
        .db(move |c| gatehouse::orgs::service::first_run_link(c, now).unwrap())
        .await
        .is_none());
}

async fn setup_mistakes_are_shown_beside_their_fields_and_nothing_is_created(app: TestApp) {
    let now = app.state.clock.now();
    let secret = app
        .db(move |c| gatehouse::orgs::service::first_run_link(c, now).unwrap())
        .await
        .unwrap();
    app.get_html(&format!("/setup?token={secret}")).await;
    let response = app
        .post_form(
            "/setup",
            &[
                ("token", &secret),
                ("org_name", ""),
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("email", "not-an-email"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("id=\"org_name-error\">Enter your organization&#39;s name.")
            || page.contains("id=\"org_name-error\">Enter your organization's name."),
        "{page}"
    );
    assert!(page.contains("id=\"email-error\">Enter an email address like name@example.com."));
    assert!(page.contains("id=\"password-error\">Use at least 12 characters"));
    assert!(
        page.contains("value=\"Lovelace\""),
        "what was typed is kept"
    );
    let (orgs, users) = app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::{organizations, users};
            (
                organizations::table.count().get_result::<i64>(c).unwrap(),
                users::table.count().get_result::<i64>(c).unwrap(),
            )
        })
        .await;
    assert_eq!((orgs, users), (0, 0));

    // Mismatched confirmation.
    let response = app
        .post_form(
            "/setup",
            &[
                ("token", &secret),
                ("org_name", "Acme"),
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("email", "ada@acme.io"),
                ("password", PASSWORD),
                ("password_confirm", "correct horse battery stable"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("The two passwords do not match."));
    // The link still works after mistakes.
    let (status, _) = app.get_html(&format!("/setup?token={secret}")).await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_setup_link_from_org_create_sets_up_that_organization(app: TestApp) {
    let now = app.state.clock.now();
    let (org_id, secret) = app
        .db(move |c| gatehouse::orgs::service::create_org(c, "Globex", now).unwrap())
        .await;
    let (_, page) = app.get_html(&format!("/setup?token={secret}")).await;
    assert!(page.contains("Set up Globex"));
    assert!(
        !page.contains("name=\"org_name\""),
        "the organization already has its name"
    );
    let response = app
        .complete_setup(&secret, None, "Hank", "Scorpio", "hank@globex.test")
        .await;
    assert_redirect_to(&response, "/users");
    assert_eq!(app.org_of("hank@globex.test").await, org_id);
    let actions = app.audit_actions(org_id).await;
    assert!(
        actions.contains(&"org.created".to_owned()) && actions.contains(&"org.setup".to_owned())
    );
}

/// (organizations, users) in the database.
async fn counts(app: &TestApp) -> (i64, i64) {
    app.db(|c| {
        use diesel::prelude::*;
        use gatehouse::db::schema::{organizations, users};
        (
            organizations::table.count().get_result::<i64>(c).unwrap(),
            users::table.count().get_result::<i64>(c).unwrap(),
        )
    })
    .await
}

/// The setup link's token row: (what it holds, tries at the current code).
async fn link_row(app: &TestApp, secret: &str) -> (String, i32) {
    let hash = gatehouse::auth::tokens::hash_token(secret);
    app.db(move |c| {
        use diesel::prelude::*;
        use gatehouse::db::schema::tokens;
        tokens::table
            .filter(tokens::token_hash.eq(hash))
            .select((tokens::payload, tokens::attempts))
            .first::<(String, i32)>(c)
            .unwrap()
    })
    .await
}

async fn first_run_link(app: &TestApp) -> String {
    let now = app.state.clock.now();
    app.db(move |c| gatehouse::orgs::service::first_run_link(c, now).unwrap())
        .await
        .expect("a fresh install offers a setup link")
}

/// Fills the setup form (first run, organization Acme); answers the response.
async fn fill_form(app: &TestApp, secret: &str, email: &str) -> reqwest::Response {
    app.get_html(&format!("/setup?token={secret}")).await;
    app.post_form(
        "/setup",
        &[
            ("token", secret),
            ("org_name", "Acme"),
            ("first_name", "Olive"),
            ("last_name", "Owner"),
            ("email", email),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await
}

async fn enter_code(app: &TestApp, secret: &str, code: &str) -> reqwest::Response {
    app.get_html(&format!("/setup?token={secret}")).await;
    app.post_form("/setup/code", &[("token", secret), ("code", code)])
        .await
}

/// A 6-digit code that is not `code`.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn the_owner_exists_only_once_the_code_emailed_to_their_address_comes_back(app: TestApp) {
    let secret = first_run_link(&app).await;
    let response = fill_form(&app, &secret, "Olive@Acme.io").await;
    assert_eq!(
        location_of(&response),
        Some(format!("/setup?token={secret}")),
        "the form leads to the code step"
    );
    assert_eq!(counts(&app).await, (0, 0), "nothing is created yet");
    // Between the steps the password is kept only as its argon2id hash.
    let (held, _) = link_row(&app, &secret).await;
    assert!(
        !held.contains(PASSWORD) && held.contains("$argon2id$"),
        "{held}"
    );

    // Reopening the link shows the step it is at, with the address to check.
    let (status, page) = app.get_html(&format!("/setup?token={secret}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("We emailed a 6-digit code to <strong>olive@acme.io</strong>"));
    assert!(page.contains("Send a new code") && page.contains("Use a different address"));
    let message = app
        .mail()
        .message_about("olive@acme.io", "setup code")
        .await;
    assert_eq!(message.subject(), "Your Gatehouse setup code");
    let code = message.code().expect("a 6-digit code");
    assert!(
        !held.contains(&code),
        "the code is kept only as a salted hash"
    );

    let response = enter_code(&app, &secret, &code).await;
    assert_redirect_to(&response, "/users");
    assert_eq!(counts(&app).await, (1, 1));
    let (status, page) = app.get_html("/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("olive@acme.io") && page.contains("Owner"));

    let org_id = app.org_of("olive@acme.io").await;
    let setup = app.audit_details(org_id, "org.setup").await;
    assert_eq!(setup[0]["owner"]["email"], "olive@acme.io");
    assert_eq!(setup[0]["email_confirmed"], "emailed code");
    assert_eq!(
        app.audit_details(org_id, "auth.sign_in").await[0]["via"],
        "setup"
    );
    assert_eq!(app.signup_domains(org_id).await, vec!["acme.io"]);
    // The link is spent and holds nothing any more.
    assert_eq!(link_row(&app, &secret).await.0, "");
    app.logout().await;
    let (status, _) = app.get_html(&format!("/setup?token={secret}")).await;
    assert_eq!(status, StatusCode::GONE);
    let again = app
        .post_form("/setup/code", &[("token", &secret), ("code", &code)])
        .await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert_eq!(counts(&app).await, (1, 1));
}

async fn wrong_codes_are_counted_and_refused_and_a_new_code_replaces_a_used_up_one(app: TestApp) {
    let secret = first_run_link(&app).await;
    fill_form(&app, &secret, "olive@acme.io").await;
    let code = app.mail().setup_code("olive@acme.io", 0).await;
    let wrong = other_than(&code);

    let response = enter_code(&app, &secret, &wrong).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("That code is not right") && page.contains("4 tries left"),
        "{page}"
    );
    assert_eq!(link_row(&app, &secret).await.1, 1, "the try is counted");
    assert_eq!(counts(&app).await, (0, 0), "nothing created");

    for left in [3, 2, 1] {
        let page = enter_code(&app, &secret, &wrong)
            .await
            .text()
            .await
            .unwrap();
        let expected = if left == 1 {
            "1 try left".to_owned()
        } else {
            format!("{left} tries left")
        };
        assert!(page.contains(&expected), "{page}");
    }
    let page = enter_code(&app, &secret, &wrong)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("tried too many times"), "{page}");
    // After five tries even the right code is refused.
    let response = enter_code(&app, &secret, &code).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(link_row(&app, &secret).await.1, 5);
    assert_eq!(counts(&app).await, (0, 0));

    // Send a new code: the old one stays void, the new one works.
    let seen = app.mail().count_to("olive@acme.io");
    app.get_html(&format!("/setup?token={secret}")).await;
    let response = app.post_form("/setup/resend", &[("token", &secret)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("A new code is on its way to olive@acme.io"));
    let fresh = app.mail().setup_code("olive@acme.io", seen).await;
    assert_eq!(
        link_row(&app, &secret).await.1,
        0,
        "a new code has its own tries"
    );
    if fresh != code {
        let response = enter_code(&app, &secret, &code).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_redirect_to(&enter_code(&app, &secret, &fresh).await, "/users");
    assert_eq!(counts(&app).await, (1, 1));
}

async fn a_mistyped_address_is_corrected_on_the_same_link(app: TestApp) {
    let now = app.state.clock.now();
    let (org_id, secret) = app
        .db(move |c| gatehouse::orgs::service::create_org(c, "Globex", now).unwrap())
        .await;
    app.get_html(&format!("/setup?token={secret}")).await;
    let typo = "hank@globex.tset";
    app.post_form(
        "/setup",
        &[
            ("token", &secret),
            ("first_name", "Hank"),
            ("last_name", "Scorpio"),
            ("email", typo),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await;
    let (_, page) = app.get_html(&format!("/setup?token={secret}")).await;
    assert!(page.contains(&format!("<strong>{typo}</strong>")) && page.contains("Globex"));
    let lost = app.mail().setup_code(typo, 0).await;

    // Use a different address: the form again, with what was typed.
    let response = app.post_form("/setup/change", &[("token", &secret)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Set up Globex"));
    assert!(
        page.contains("value=\"Hank\"")
            && page.contains("value=\"Scorpio\"")
            && page.contains(&format!("value=\"{typo}\"")),
        "{page}"
    );
    assert!(
        !page.contains(PASSWORD),
        "the password is asked again, never shown"
    );
    // The code sent to the wrong address no longer works.
    let response = app
        .post_form("/setup/code", &[("token", &secret), ("code", &lost)])
        .await;
    assert_eq!(
        location_of(&response),
        Some(format!("/setup?token={secret}"))
    );
    assert_eq!(counts(&app).await, (1, 0));

    // The right address, on the same link.
    app.complete_setup(&secret, None, "Hank", "Scorpio", "hank@globex.test")
        .await;
    assert_eq!(app.org_of("hank@globex.test").await, org_id);
    assert_eq!(counts(&app).await, (1, 1));
    let typo_account = app
        .db(move |c| gatehouse::users::store::email_taken(c, typo).unwrap())
        .await;
    assert!(!typo_account);
}

async fn the_setup_code_expires_after_ten_minutes(app: TestApp) {
    let secret = first_run_link(&app).await;
    fill_form(&app, &secret, "olive@acme.io").await;
    let code = app.mail().setup_code("olive@acme.io", 0).await;
    app.state.clock.advance(chrono::Duration::minutes(10));
    let response = enter_code(&app, &secret, &code).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("This code has expired"));
    assert_eq!(counts(&app).await, (0, 0));
    // The link itself still works: a new code, typed in time, sets up the Owner.
    let seen = app.mail().count_to("olive@acme.io");
    app.post_form("/setup/resend", &[("token", &secret)]).await;
    let fresh = app.mail().setup_code("olive@acme.io", seen).await;
    app.state.clock.advance(chrono::Duration::minutes(9));
    assert_redirect_to(&enter_code(&app, &secret, &fresh).await, "/users");
    assert_eq!(counts(&app).await, (1, 1));
}
