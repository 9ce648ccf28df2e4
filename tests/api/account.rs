use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, TestApp, PASSWORD};

both!(
    changing_the_password_needs_the_current_one_and_ends_other_sessions,
    sign_out_everywhere_ends_every_session,
);

const NEW_PASSWORD: &str = "violet orbit lantern meadow";

/// Signs the Owner in from a second browser.
async fn second_browser(app: &TestApp) -> reqwest::Client {
    let (other, response) = app.browser_login("olive@acme.io", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        other.get(app.url("/users")).send().await.unwrap().status(),
        StatusCode::OK
    );
    other
}

async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let other = second_browser(&app).await;
    let (status, page) = app.get_html("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("My account") && page.contains("Sign out everywhere"));
    let wrong = app
        .post_form(
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("This is not your current password."));
    assert_eq!(
        other.get(app.url("/users")).send().await.unwrap().status(),
        StatusCode::OK,
        "nothing changed"
    );
    let response = app
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_redirect_to(&response, "/account?changed=password");
    // This browser carries on; the other one is signed out.
    let (status, page) = app.get_html("/account?changed=password").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Your password was changed"));
    assert_redirect_to(
        &other.get(app.url("/users")).send().await.unwrap(),
        "/login?next=%2Fusers",
    );
    app.logout().await;
    assert_eq!(
        app.login_as("olive@acme.io", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_redirect_to(&app.login_as("olive@acme.io", NEW_PASSWORD).await, "/users");
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"auth.password_changed".to_owned()));
}

async fn sign_out_everywhere_ends_every_session(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let other = second_browser(&app).await;
    app.get_html("/account").await;
    let response = app.post_form("/account/sign-out-everywhere", &[]).await;
    assert_redirect_to(&response, "/login?signed_out=1");
    assert_redirect_to(&app.get("/users").await, "/login?next=%2Fusers");
    assert_redirect_to(
        &other.get(app.url("/users")).send().await.unwrap(),
        "/login?next=%2Fusers",
    );
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"auth.signed_out_everywhere".to_owned()));
}
