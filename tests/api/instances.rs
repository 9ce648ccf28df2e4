//! Two instances on one PostgreSQL database, as behind a load balancer: a session made on one
//! works on the other, and the per-address sign-in limit and the lockout count attempts on
//! both together (SQLite serves one instance, which counts in memory).

use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{location_of, someone, spawn_app_with, Backend, PASSWORD};

both_backends!(two_instances_share_sessions_the_sign_in_limit_and_the_lockout);

async fn two_instances_share_sessions_the_sign_in_limit_and_the_lockout(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| c.login_attempts_per_minute = 6).await else {
        return;
    };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(
        org_id,
        vec![
            someone("Ann", "ann@acme.io", "Agent"),
            someone("Bob", "bob@acme.io", "Agent"),
        ],
    )
    .await;
    if backend == Backend::Sqlite {
        // One instance: the limit counts in memory, all the same.
        app.logout().await;
        let mut refused = false;
        for _ in 0..8 {
            let response = app.post_password("nobody@acme.io", "wrong").await;
            refused |= response.status() == StatusCode::TOO_MANY_REQUESTS;
        }
        assert!(refused);
        return;
    }
    // This minute's count starts here (setting up the organization signed in already).
    app.db(|c| {
        use diesel::RunQueryDsl;
        diesel::sql_query("DELETE FROM rate_hits")
            .execute(c)
            .unwrap()
    })
    .await;
    let other = app.start_another_instance().await;
    // Signed in on A (app's client), the same cookie works on B.
    let on_b = app.client.get(other.url("/users")).send().await.unwrap();
    assert_eq!(on_b.status(), StatusCode::OK);

    // Bob's wrong passwords, alternating between the instances, add up to one lockout.
    let sign_in = |address: String, email: &'static str, password: &'static str| {
        let browser = app.new_browser();
        async move {
            let url = format!("{address}/login");
            let page = browser
                .get(&url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = crate::helpers::csrf_of(&page).unwrap();
            browser
                .post(&url)
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("email", email),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let addresses = [app.address.clone(), other.address.clone()];
    let mut statuses = Vec::new();
    for i in 0..8 {
        let response = sign_in(addresses[i % 2].clone(), "bob@acme.io", "wrong").await;
        statuses.push(response.status());
    }
    // Six attempts a minute from this address, on both instances together.
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        2,
        "{statuses:?}"
    );
    let locked: Option<chrono::NaiveDateTime> = app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::users;
            users::table
                .filter(users::email.eq("bob@acme.io"))
                .select(users::locked_at)
                .first(c)
                .unwrap()
        })
        .await;
    assert!(
        locked.is_some(),
        "six wrong passwords over two instances block Bob"
    );
    // Ann, from the same address, waits for the next minute on both instances.
    let response = sign_in(other.address.clone(), "ann@acme.io", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(location_of(&response).is_none());
}
