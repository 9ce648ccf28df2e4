use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, csrf_of, page_of, post_from, Person, TestApp, PASSWORD};
use gatehouse::db::schema::users;

both!(
    more_than_five_wrong_passwords_block_the_account_and_email_an_unblock_link,
    an_administrator_unblocks_a_user,
    parallel_wrong_passwords_lose_no_count_and_never_fail,
    parallel_wrong_passwords_past_the_limit_block_once,
);

async fn agent(app: &TestApp) -> i64 {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(
        org_id,
        vec![Person {
            first: "Bea",
            last: "Blocked",
            email: "bea@acme.io",
            status: "active",
            roles: &["Agent"],
            active_minutes_ago: None,
        }],
    )
    .await;
    org_id
}

async fn wrong_password(
    app: &TestApp,
    browser: &reqwest::Client,
    email: &str,
) -> reqwest::Response {
    app.submit_page_form(
        browser,
        "/login",
        &[("email", email), ("password", "not the right password")],
    )
    .await
}

async fn more_than_five_wrong_passwords_block_the_account_and_email_an_unblock_link(app: TestApp) {
    let org_id = agent(&app).await;
    let browser = app.new_browser();
    for attempt in 1..=6 {
        let response = wrong_password(&app, &browser, "bea@acme.io").await;
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("Incorrect email, username or password."));
        // The default blocks after more than 5: the 5th does not, the 6th does.
        if attempt == 5 {
            let (_, list) = app.get_html("/users?q=bea").await;
            assert!(
                !list.contains("Blocked (failed sign-ins)"),
                "blocked at the 5th"
            );
        }
    }
    // Blocked: even the right password gets the same generic answer.
    let response = app
        .submit_page_form(
            &browser,
            "/login",
            &[("email", "bea@acme.io"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Incorrect email, username or password."));
    // The list shows the block with its reason, count and address.
    let (_, list) = app.get_html("/users?q=bea").await;
    assert!(
        list.contains("Blocked (failed sign-ins)")
            && list.contains("Failed sign-ins: 6")
            && list.contains("127.0.0.1")
    );
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"auth.blocked".to_owned()));

    // The person gets one email with a single-use link; opening it changes nothing until pressed.
    let message = app.mail().message_to("bea@acme.io").await;
    assert!(message.subject().contains("blocked"));
    let link = message.link("/unblock/").unwrap();
    let person = app.new_browser();
    let page = page_of(&person, &link).await;
    assert!(page.contains("Unblock my account"));
    let still = app
        .db(|c| {
            users::table
                .filter(users::email.eq("bea@acme.io"))
                .select(users::locked_at)
                .first::<Option<chrono::NaiveDateTime>>(c)
                .unwrap()
        })
        .await;
    assert!(still.is_some());
    let done = post_from(&person, &link, &page, &[]).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done
        .text()
        .await
        .unwrap()
        .contains("Your account is unblocked"));
    let again = post_from(&person, &link, &page, &[]).await;
    assert_eq!(again.status(), StatusCode::GONE);
    // Signs in again; the counter starts from zero.
    let response = app
        .submit_page_form(
            &person,
            "/login",
            &[("email", "bea@acme.io"), ("password", PASSWORD)],
        )
        .await;
    assert_redirect_to(&response, "/account");
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"auth.unblocked".to_owned()));
    assert_eq!(
        app.mail()
            .received()
            .iter()
            .filter(|m| m.to.contains(&"bea@acme.io".to_owned()))
            .count(),
        1
    );
}

async fn an_administrator_unblocks_a_user(app: TestApp) {
    agent(&app).await;
    let browser = app.new_browser();
    for _ in 0..6 {
        wrong_password(&app, &browser, "bea@acme.io").await;
    }
    let id = app
        .db(|c| {
            users::table
                .filter(users::email.eq("bea@acme.io"))
                .select(users::id)
                .first::<i64>(c)
                .unwrap()
        })
        .await;
    let (_, list) = app.get_html("/users?q=bea").await;
    assert!(list.contains(&format!("hx-get=\"/users/{id}/unblock\"")));
    let confirm = app
        .hx_get(&format!("/users/{id}/unblock"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        confirm.contains("Unblock user?")
            && confirm.contains("failed sign-in count starts from zero")
    );
    let response = app.hx_post(&format!("/users/{id}/unblock"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (locked, failures) = app
        .db(move |c| {
            users::table
                .find(id)
                .select((users::locked_at, users::failed_logins))
                .first::<(Option<chrono::NaiveDateTime>, i32)>(c)
                .unwrap()
        })
        .await;
    assert!(locked.is_none());
    assert_eq!(failures, 0);
    // Not blocked any more: a second unblock is refused.
    assert_eq!(
        app.hx_post(&format!("/users/{id}/unblock"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

/// Twenty wrong passwords for bea@acme.io at once, from one browser; their statuses.
async fn twenty_wrong_passwords_at_once(app: &TestApp) -> Vec<StatusCode> {
    let browser = app.new_browser();
    let page = browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&page).unwrap();
    let attempts = (0..20).map(|_| {
        browser
            .post(app.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", "bea@acme.io"),
                ("password", "not the right password"),
            ])
            .send()
    });
    futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect()
}

async fn bea_failures_and_lock(app: &TestApp) -> (i32, Option<String>) {
    app.db(|c| {
        users::table
            .filter(users::email.eq("bea@acme.io"))
            .select((users::failed_logins, users::lock_reason))
            .first(c)
            .unwrap()
    })
    .await
}

async fn count_of(app: &TestApp, org_id: i64, action: &str) -> usize {
    app.audit_actions(org_id)
        .await
        .into_iter()
        .filter(|a| a == action)
        .count()
}

async fn parallel_wrong_passwords_lose_no_count_and_never_fail(app: TestApp) {
    let org_id = agent(&app).await;
    // Raise the limit so every attempt is counted, not cut short by the block.
    app.db(move |c| {
        use gatehouse::db::schema::organizations;
        diesel::update(organizations::table.find(org_id))
            .set(organizations::max_failed_logins.eq(100))
            .execute(c)
            .unwrap()
    })
    .await;
    let statuses = twenty_wrong_passwords_at_once(&app).await;
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(bea_failures_and_lock(&app).await, (20, None));
    assert_eq!(count_of(&app, org_id, "auth.sign_in_failed").await, 20);
}

async fn parallel_wrong_passwords_past_the_limit_block_once(app: TestApp) {
    // The organization's limit of 5, under 20 attempts at once (the per-IP limit is 30).
    let org_id = agent(&app).await;
    let statuses = twenty_wrong_passwords_at_once(&app).await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY),
        "the same answer for all, and no 500: {statuses:?}"
    );
    let (failures, lock) = bea_failures_and_lock(&app).await;
    assert_eq!(lock.as_deref(), Some("failed_logins"), "left blocked");
    assert!((5..=20).contains(&failures), "{failures}");
    assert_eq!(count_of(&app, org_id, "auth.sign_in_failed").await, 20);
    assert_eq!(
        count_of(&app, org_id, "auth.blocked").await,
        1,
        "blocked once"
    );
    let message = app.mail().message_to("bea@acme.io").await;
    assert!(message.link("/unblock/").is_some(), "her unblock link");
}
