use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, TestApp, PASSWORD};

both!(
    the_setup_link_creates_the_organization_and_its_owner_once,
    setup_mistakes_are_shown_beside_their_fields_and_nothing_is_created,
    a_setup_link_from_org_create_sets_up_that_organization,
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
