use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, csrf_of, TestApp, PASSWORD};
use gatehouse::db::schema::{email_outbox, license_assignments, users};

both!(
    people_with_an_allowed_domain_sign_up_by_email_and_join_as_agents,
    other_domains_and_closed_sign_up_are_refused_and_nothing_is_written,
    a_known_address_gets_the_same_answer_and_no_second_account,
    sign_up_is_rate_limited_per_email,
);

/// Fills the public sign-up form in a fresh browser.
pub async fn sign_up(app: &TestApp, first: &str, last: &str, email: &str) -> reqwest::Response {
    let browser = app.new_browser();
    let page = browser
        .get(app.url("/signup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign up"));
    browser
        .post(app.url("/signup"))
        .form(&[
            ("csrf_token", csrf_of(&page).unwrap().as_str()),
            ("first_name", first),
            ("last_name", last),
            ("email", email),
        ])
        .send()
        .await
        .unwrap()
}

async fn people_with_an_allowed_domain_sign_up_by_email_and_join_as_agents(app: TestApp) {
    // The Owner's domain is the first sign-up domain; sign-up is on by default.
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let response = sign_up(&app, "Sam", "Signup", "Sam@Acme.io").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Check your email"));
    let message = app.mail().message_to("sam@acme.io").await;
    assert!(message
        .subject()
        .contains("Confirm your email to join Acme"));
    let link = message.link("/signup/verify/").expect("confirmation link");

    let browser = app.new_browser();
    let page = browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sam Signup") && page.contains("sam@acme.io"));
    let token = csrf_of(&page).unwrap();
    let weak = browser
        .post(&link)
        .form(&[
            ("csrf_token", token.as_str()),
            ("password", "password1234"),
            ("password_confirm", "password1234"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap().contains("too easy to guess"));
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
    assert_redirect_to(&browser.get(app.url("/")).send().await.unwrap(), "/account");

    let (status, roles, licenses) = app
        .db(|c| {
            let (id, status): (i64, String) = users::table
                .filter(users::email.eq("sam@acme.io"))
                .select((users::id, users::status))
                .first(c)
                .unwrap();
            let roles: Vec<String> = gatehouse::auth::store::role_names(c, id).unwrap();
            let licenses = license_assignments::table
                .filter(license_assignments::user_id.eq(id))
                .count()
                .get_result::<i64>(c)
                .unwrap();
            (status, roles, licenses)
        })
        .await;
    assert_eq!(status, "active");
    assert_eq!(roles, vec!["Agent"]);
    assert_eq!(licenses, 0);
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"user.signed_up".to_owned()));
    let sign_ins = app.audit_details(org_id, "auth.sign_in").await;
    assert_eq!(
        sign_ins[0]["via"], "sign-up",
        "joining signs in, audited as such"
    );
    let (_, list) = app.get_html("/users?q=sam").await;
    assert!(list.contains("sam@acme.io") && list.contains(">Active</span>"));
    // The link worked once.
    assert_eq!(
        app.new_browser().get(&link).send().await.unwrap().status(),
        StatusCode::GONE
    );
}

async fn other_domains_and_closed_sign_up_are_refused_and_nothing_is_written(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let response = sign_up(&app, "Eve", "Outsider", "eve@other.io").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Sign-up is not open for other.io addresses"));
    assert!(page.contains("value=\"Eve\""));
    // Missing fields.
    let response = sign_up(&app, "", "", "nope").await;
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Enter your first name.")
            && page.contains("Enter an email address like name@example.com.")
    );
    // Sign-up turned off: the Owner's own domain is closed too.
    app.hx_post("/users/auto-signup", &[("allow", "0")]).await;
    let response = sign_up(&app, "Sam", "Signup", "sam@acme.io").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (people, mail) = app
        .db(|c| {
            (
                users::table.count().get_result::<i64>(c).unwrap(),
                // Only the Owner's setup code was ever written.
                email_outbox::table
                    .filter(email_outbox::kind.ne("setup_code"))
                    .count()
                    .get_result::<i64>(c)
                    .unwrap(),
            )
        })
        .await;
    assert_eq!((people, mail), (1, 0));
}

async fn a_known_address_gets_the_same_answer_and_no_second_account(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let response = sign_up(&app, "Olive", "Again", "olive@acme.io").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Check your email"));
    let message = app
        .mail()
        .message_about("olive@acme.io", "You already have")
        .await;
    assert!(message.link("/signup/verify/").is_none());
    let accounts = app
        .db(|c| {
            users::table
                .filter(users::email.eq("olive@acme.io"))
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(accounts, 1);
}

async fn sign_up_is_rate_limited_per_email(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    for _ in 0..3 {
        assert_eq!(
            sign_up(&app, "Sam", "Signup", "sam@acme.io").await.status(),
            StatusCode::OK
        );
    }
    let response = sign_up(&app, "Sam", "Signup", "sam@acme.io").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Too many sign-up attempts"));
    // Another address from the same network is still fine.
    assert_eq!(
        sign_up(&app, "Pat", "Other", "pat@acme.io").await.status(),
        StatusCode::OK
    );
}
