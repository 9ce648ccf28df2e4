//! One input rule for all text: control characters are refused with a message (4xx) on every
//! route and both backends, never a 500, a truncated file or a stored NUL; and the page after
//! sign-in is always on this site.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{location_of, someone, TestApp, PASSWORD};

both!(
    nul_bytes_anywhere_are_refused_with_a_message_and_change_nothing,
    names_must_be_one_line_of_text,
    sign_in_goes_only_to_a_path_on_this_site,
);

const OWNER: &str = "olive@acme.io";

async fn nul_bytes_anywhere_are_refused_with_a_message_and_change_nothing(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    for path in [
        "/users?q=%00",
        "/users?q=abc%00",
        "/activity?q=%00",
        "/activity?actor=a%00b",
        "/users/lookup?q=%00",
        "/users/bulk/count?q=%00",
        "/users/export.csv?q=%00",
        "/activity/export.csv?q=%00",
        "/users?q=%1b%5b31m",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("contains a control character"),
            "{path}: {body}"
        );
    }
    let edit = app
        .hx_post(
            &format!("/users/{ada}/edit"),
            &[
                ("first_name", "A\u{0}da"),
                ("last_name", "Agent"),
                ("email", "ada@acme.io"),
                ("timezone", "UTC"),
                ("language", "en"),
                ("chat_scope", "all"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(edit.status(), StatusCode::BAD_REQUEST);
    for (path, fields) in [
        (
            "/users/bulk",
            vec![
                ("action", "deactivate"),
                ("all_matching", "1"),
                ("q", "\u{0}"),
                ("confirmed", "1"),
            ],
        ),
        (
            "/users/{ada}/delete",
            vec![("reassign", "user"), ("reassign_email", "a\u{0}b@acme.io")],
        ),
    ] {
        let path = path.replace("{ada}", &ada.to_string());
        let response = app.hx_post(&path, &fields).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
    // Without signing in, too.
    app.logout().await;
    for path in ["/login", "/password/forgot"] {
        app.get_html(path).await;
        let response = app
            .post_form(path, &[("email", "a\u{0}b@acme.io"), ("password", "x")])
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("contains a control character"));
    }
    let names: Vec<String> = app
        .db(|c| {
            use gatehouse::db::schema::users;
            users::table.select(users::first_name).load(c).unwrap()
        })
        .await;
    assert!(names.iter().all(|n| !n.contains('\0')));
}

async fn names_must_be_one_line_of_text(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    let agent = app.role_id(org_id, "Agent").await.to_string();
    for name in ["A\nda", "A\r\nda", "A\tda"] {
        let response = app
            .hx_post(
                &format!("/users/{ada}/edit"),
                &[
                    ("first_name", name),
                    ("last_name", "Agent"),
                    ("email", "ada@acme.io"),
                    ("timezone", "UTC"),
                    ("language", "en"),
                    ("chat_scope", "all"),
                    ("role", agent.as_str()),
                    ("active", "1"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("Use one line of plain text"), "{name:?}");
    }
    // The invite grid says the same next to the name.
    app.db(move |c| gatehouse::orgs::store::set_allow_auto_signup(c, org_id, false).unwrap())
        .await;
    let dialer = app.product_id(org_id, "Dialer").await.to_string();
    let response = app
        .hx_post(
            "/users/invite",
            &[
                ("first_name_0", "Bo\nb"),
                ("last_name_0", "Builder"),
                ("email_0", "bob@acme.io"),
                ("role_0", agent.as_str()),
                ("product_0", dialer.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Use one line of plain text"));
    let first: String = app
        .db(move |c| {
            use gatehouse::db::schema::users;
            users::table
                .find(ada)
                .select(users::first_name)
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(first, "Ada");
}

async fn sign_in_goes_only_to_a_path_on_this_site(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    app.add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await;
    // Signed in: /login?next=… goes straight on, but never off this site.
    for next in [
        "/%09/evil.test",
        "/%0a/evil.test",
        "/%5C/evil.test",
        "//evil.test",
        "https://evil.test",
    ] {
        let response = app.get(&format!("/login?next={next}")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location_of(&response).as_deref(), Some("/"), "{next}");
    }
    assert_eq!(
        location_of(&app.get("/login?next=/activity").await).as_deref(),
        Some("/activity")
    );
    // Signing in with a hostile next: no 500, no other host.
    for next in ["/\t/evil.test", "/\n/x", "/\r\n/x"] {
        let browser = app.new_browser();
        let page = crate::helpers::page_of(&browser, &app.url("/login")).await;
        let response = crate::helpers::post_from(
            &browser,
            &app.url("/login"),
            &page,
            &[
                ("email", "ada@acme.io"),
                ("password", PASSWORD),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        let location = location_of(&response).unwrap();
        assert!(
            location.starts_with('/')
                && !location.starts_with("//")
                && !location.contains(['\t', '\n', '\r']),
            "{next:?} → {location:?}"
        );
    }
}
