//! Two instances on one PostgreSQL database, as behind a load balancer: a session made on one
//! works on the other, and the per-address sign-in limit and the lockout count attempts on
//! both together (SQLite serves one instance, which counts in memory).

use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{location_of, someone, spawn_app_with, Backend, PASSWORD};
use crate::smtp::TestSmtp;

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
    // The shared counters are unlogged (migration 000035): a count's commit waits for no WAL
    // flush, and a crash only starts the counts again.
    #[derive(diesel::QueryableByName)]
    struct Persistence {
        #[diesel(sql_type = diesel::sql_types::Text)]
        persistence: String,
    }
    let persistence = app
        .db(|c| {
            use diesel::RunQueryDsl;
            diesel::sql_query(
                "SELECT relpersistence::text AS persistence FROM pg_class WHERE relname = 'rate_hits'",
            )
            .get_result::<Persistence>(c)
            .unwrap()
            .persistence
        })
        .await;
    assert_eq!(persistence, "u");
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

both_backends!(fifty_invitations_queued_while_mail_is_down_are_delivered_once_by_either_instance);

/// Fifty invitations sent through two instances while the mail server is down wait in the
/// outbox, shown as retrying; when it is back, both instances work the one outbox and every
/// invitation arrives exactly once, whichever instance sends it.
async fn fifty_invitations_queued_while_mail_is_down_are_delivered_once_by_either_instance(
    backend: Backend,
) {
    use diesel::prelude::*;
    use gatehouse::db::schema::{email_outbox, products};

    if backend == Backend::Sqlite {
        // One instance serves a SQLite file; the single-instance retry is in invites.rs.
        return;
    }
    // A port where no mail server listens yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some(app) = spawn_app_with(backend, move |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await
    else {
        return;
    };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let response = app.hx_post("/users/auto-signup", &[("allow", "0")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (agent, dialer) = (
        app.role_id(org_id, "Agent").await.to_string(),
        app.product_id(org_id, "Dialer").await,
    );
    app.db(move |c| {
        diesel::update(products::table.find(dialer))
            .set(products::seats.eq(100))
            .execute(c)
            .unwrap()
    })
    .await;
    let dialer = dialer.to_string();
    let other = app.start_another_instance().await;
    let token = app.csrf().await;
    let emails: Vec<String> = (0..50).map(|i| format!("p{i:02}@acme.io")).collect();
    for (half, address) in [(0, &app.address), (1, &other.address)] {
        let mut form: Vec<(String, String)> = Vec::new();
        for (row, email) in emails[half * 25..half * 25 + 25].iter().enumerate() {
            form.extend([
                (format!("first_name_{row}"), format!("Person{half}{row}")),
                (format!("last_name_{row}"), "Example".into()),
                (format!("email_{row}"), email.clone()),
                (format!("role_{row}"), agent.clone()),
                (format!("product_{row}"), dialer.clone()),
            ]);
        }
        let response = app
            .client
            .post(format!("{address}/users/invite"))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &token)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "invitations saved on {address}"
        );
    }
    let invitations = || {
        app.db(|c| {
            email_outbox::table
                .filter(email_outbox::kind.eq("invite"))
                .select((email_outbox::status, email_outbox::attempts))
                .load::<(String, i32)>(c)
                .unwrap()
        })
    };
    // Each instance tries, fails and schedules a retry: every one is shown as retrying.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let rows = invitations().await;
        assert_eq!(rows.len(), 50);
        if rows.iter().all(|(_, attempts)| *attempts >= 1) {
            assert!(rows.iter().all(|(status, _)| status == "pending"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no attempt on some: {rows:?}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, page) = app.get_html("/users?q=p0").await;
    assert!(page.contains("Not delivered yet — retrying"));

    // The mail server comes back; past the backoff both instances look for due mail.
    let smtp = TestSmtp::start_on(port);
    for state in [&app.state, &other.state] {
        state.clock.advance(chrono::Duration::minutes(2));
        state.mail_wakeup.notify_one();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while invitations()
        .await
        .iter()
        .any(|(status, _)| status != "sent")
    {
        assert!(std::time::Instant::now() < deadline, "not all sent");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Nothing is due any more on either instance, however often they look.
    for state in [&app.state, &other.state] {
        state.clock.advance(chrono::Duration::hours(2));
        state.mail_wakeup.notify_one();
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    for email in &emails {
        assert_eq!(smtp.count_to(email), 1, "{email} got its invitation once");
    }
    assert!(smtp.received().iter().all(|m| m.to.len() == 1));
}
