//! Sign-up domains: one organization per domain (the database decides races), never a public
//! mail service, added only by someone on the domain or by the operator on the command line.

use std::sync::{Arc, Barrier};

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

use crate::both;
use crate::cli::gatehouse_cli;
use crate::helpers::{assert_redirect_to, someone, TestApp, PASSWORD};
use crate::signup::sign_up;
use gatehouse::orgs::domains::{self, AddedBy, DomainError};
use gatehouse::orgs::service::create_org;

both!(
    another_organization_cannot_take_over_a_signup_domain,
    public_mail_domains_are_refused_and_nothing_is_saved,
    only_someone_with_an_address_on_a_domain_adds_it_and_anyone_removes_one,
    the_operator_adds_and_removes_signup_domains_on_the_command_line,
    two_organizations_racing_for_one_domain_end_with_exactly_one_holder,
    the_migration_moves_each_domain_to_the_first_organization_and_reverts,
);

/// The refusal beside the sign-up domains field of a Settings page.
fn domains_error(page: &str) -> String {
    let marker = "id=\"signup_domains-error\">";
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("no message beside the sign-up domains: {page}"));
    let rest = &page[at + marker.len()..];
    rest[..rest.find("</p>").expect("end of the message")].to_owned()
}

/// Self sign-up of `email` through the emailed link; the organization they joined.
async fn join_by_signup(app: &TestApp, first: &str, email: &str) -> i64 {
    let response = sign_up(app, first, "Visitor", email).await;
    assert_eq!(response.status(), StatusCode::OK);
    let link = app
        .mail()
        .message_about(email, "Confirm your email")
        .await
        .link("/signup/verify/")
        .expect("confirmation link");
    let joined = app
        .submit_page_form(
            &app.new_browser(),
            &link,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_redirect_to(&joined, "/");
    app.org_of(email).await
}

async fn settings_changes(app: &TestApp, org_id: i64) -> usize {
    app.audit_details(org_id, "org.settings_changed")
        .await
        .len()
}

async fn another_organization_cannot_take_over_a_signup_domain(app: TestApp) {
    let demo = app.setup_first_org("Demo Corp", "olive@demo.test").await;
    assert_eq!(app.signup_domains(demo).await, vec!["demo.test"]);
    app.logout().await;

    // The reproduction: `gatehouse org create "Claimer Inc"`, whose Owner saves
    // demo.test and gmail.com in Settings.
    let now = app.state.clock.now();
    let (claimer, link) = app
        .db(move |c| create_org(c, "Claimer Inc", now).unwrap())
        .await;
    app.complete_setup(&link, None, "Claire", "Claimer", "claire@claimer.test")
        .await;
    let response = app
        .post_form(
            "/settings",
            &[
                ("signup_domains", "claimer.test, demo.test, gmail.com"),
                ("invite_days", "9"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    let message = domains_error(&page);
    assert!(
        message.contains("Only someone whose own email address is at demo.test can add it")
            && message.contains("gmail.com is a public mail service"),
        "{message}"
    );
    assert!(
        page.contains("value=\"claimer.test, demo.test, gmail.com\""),
        "what was typed stays"
    );
    assert_eq!(app.signup_domains(claimer).await, vec!["claimer.test"]);
    assert_eq!(app.signup_domains(demo).await, vec!["demo.test"]);
    assert_eq!(settings_changes(&app, claimer).await, 0, "nothing saved");
    app.logout().await;

    // Someone with a demo.test address who sets up an organization of their own does not get
    // the domain either: not at setup, not in Settings.
    let (mallory, link) = app
        .db(move |c| create_org(c, "Mallory Ltd", now).unwrap())
        .await;
    app.complete_setup(&link, None, "Mallory", "Malice", "mallory@demo.test")
        .await;
    assert!(app.signup_domains(mallory).await.is_empty());
    let response = app
        .post_form(
            "/settings",
            &[("signup_domains", "demo.test"), ("invite_days", "7")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let message = domains_error(&response.text().await.unwrap());
    assert!(
        message.contains("demo.test is already a sign-up domain of another organization"),
        "{message}"
    );
    assert!(app.signup_domains(mallory).await.is_empty());
    app.logout().await;

    // A new demo.test address signing up still joins Demo Corp.
    assert_eq!(
        join_by_signup(&app, "Victor", "victor@demo.test").await,
        demo
    );
}

async fn public_mail_domains_are_refused_and_nothing_is_saved(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    for public in ["gmail.com", "yahoo.co.uk", "hotmail.fr", "proton.me"] {
        let typed = format!("acme.io, {public}");
        let response = app
            .post_form(
                "/settings",
                &[("signup_domains", &typed), ("invite_days", "14")],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{public}"
        );
        let message = domains_error(&response.text().await.unwrap());
        assert!(
            message.starts_with(&format!("{public} is a public mail service")),
            "{message}"
        );
    }
    assert_eq!(app.signup_domains(org_id).await, vec!["acme.io"]);
    let invite_days = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::organizations;
            organizations::table
                .find(org_id)
                .select(organizations::invite_days)
                .first::<i32>(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        invite_days, 7,
        "the invitation lifetime was not saved either"
    );
    assert_eq!(settings_changes(&app, org_id).await, 0);
    app.logout().await;

    // An organization whose Owner has a public address starts with no sign-up domain, and
    // nobody with such an address can sign up into it.
    let now = app.state.clock.now();
    let (gmail_org, link) = app
        .db(move |c| create_org(c, "Garage Band", now).unwrap())
        .await;
    app.complete_setup(&link, None, "Gary", "Garage", "gary@gmail.com")
        .await;
    assert!(app.signup_domains(gmail_org).await.is_empty());
    let response = app
        .post_form(
            "/settings",
            &[("signup_domains", "gmail.com"), ("invite_days", "7")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.signup_domains(gmail_org).await.is_empty());
    app.logout().await;
    let response = sign_up(&app, "Greta", "Gmail", "greta@gmail.com").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn only_someone_with_an_address_on_a_domain_adds_it_and_anyone_removes_one(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let response = app
        .post_form(
            "/settings",
            &[
                ("signup_domains", "acme.io, acme.co.uk"),
                ("invite_days", "7"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let message = domains_error(&response.text().await.unwrap());
    assert!(
        message.contains("Only someone whose own email address is at acme.co.uk can add it")
            && message.contains("yours is at acme.io"),
        "{message}"
    );
    assert_eq!(app.signup_domains(org_id).await, vec!["acme.io"]);
    app.logout().await;

    // A colleague whose address is at acme.co.uk, and who manages Settings, adds it.
    app.add_people(org_id, vec![someone("Uma", "uma@acme.co.uk", "Admin")])
        .await;
    assert_redirect_to(&app.login_as("uma@acme.co.uk", PASSWORD).await, "/users");
    let response = app
        .post_form(
            "/settings",
            &[
                ("signup_domains", "acme.io, Acme.co.uk"),
                ("invite_days", "7"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.signup_domains(org_id).await,
        vec!["acme.co.uk", "acme.io"]
    );
    let changed = app.audit_details(org_id, "org.settings_changed").await;
    assert_eq!(changed[0]["before"]["signup_domains"], "acme.io");
    assert_eq!(changed[0]["after"]["signup_domains"], "acme.co.uk, acme.io");
    app.logout().await;

    // Removing is always allowed, also a domain that is not one's own.
    app.login_as("olive@acme.io", PASSWORD).await;
    let response = app
        .post_form(
            "/settings",
            &[("signup_domains", "acme.io"), ("invite_days", "7")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.signup_domains(org_id).await, vec!["acme.io"]);
    let changed = app.audit_details(org_id, "org.settings_changed").await;
    assert_eq!(
        changed[0]["before"]["signup_domains"],
        "acme.co.uk, acme.io"
    );
    assert_eq!(changed[0]["after"]["signup_domains"], "acme.io");
}

async fn the_operator_adds_and_removes_signup_domains_on_the_command_line(app: TestApp) {
    let acme = app.setup_first_org("Acme", "olive@acme.io").await;
    let now = app.state.clock.now();
    let (globex, _) = app.db(move |c| create_org(c, "Globex", now).unwrap()).await;

    let run = gatehouse_cli(
        &app,
        &["org", "domain", "add", "--org", "acme", "@Acme.co.uk"],
    );
    assert!(run.status.success(), "{run:?}");
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        "acme.co.uk is now a sign-up domain of acme."
    );
    assert_eq!(
        app.signup_domains(acme).await,
        vec!["acme.co.uk", "acme.io"]
    );
    let changed = app.audit_details(acme, "org.settings_changed").await;
    assert_eq!(changed[0]["after"]["signup_domains"], "acme.co.uk, acme.io");
    let events = app
        .db(move |c| gatehouse::audit::store::recent(c, acme, 1).unwrap())
        .await;
    assert_eq!(events[0].actor_label, "command line");

    // Another organization's domain and public mail services are refused here too.
    for (domain, expected) in [
        (
            "acme.io",
            "acme.io is already a sign-up domain of another organization",
        ),
        ("gmx.net", "gmx.net is a public mail service"),
        ("not a domain", "`not a domain` is not a domain name"),
    ] {
        let run = gatehouse_cli(&app, &["org", "domain", "add", "--org", "Globex", domain]);
        assert!(!run.status.success(), "{domain}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(expected), "{domain}: {stderr}");
    }
    assert!(app.signup_domains(globex).await.is_empty());
    let run = gatehouse_cli(
        &app,
        &["org", "domain", "add", "--org", "nope", "nope.test"],
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains("no organization is called `nope`"));

    // Removing frees the domain for another organization.
    let run = gatehouse_cli(
        &app,
        &["org", "domain", "remove", "--org", "acme", "acme.co.uk"],
    );
    assert!(run.status.success(), "{run:?}");
    assert_eq!(app.signup_domains(acme).await, vec!["acme.io"]);
    let run = gatehouse_cli(
        &app,
        &["org", "domain", "add", "--org", "globex", "acme.co.uk"],
    );
    assert!(run.status.success(), "{run:?}");
    assert_eq!(app.signup_domains(globex).await, vec!["acme.co.uk"]);
    let again = gatehouse_cli(
        &app,
        &["org", "domain", "remove", "--org", "acme", "acme.co.uk"],
    );
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        "acme.co.uk was not a sign-up domain of acme."
    );
}

async fn two_organizations_racing_for_one_domain_end_with_exactly_one_holder(app: TestApp) {
    // Through the console: an Admin of each organization, both with an address at race.test,
    // save it at the same moment.
    let alpha = app.setup_first_org("Alpha", "olive@alpha.test").await;
    app.logout().await;
    let now = app.state.clock.now();
    let (bravo, link) = app.db(move |c| create_org(c, "Bravo", now).unwrap()).await;
    app.complete_setup(&link, None, "Bea", "Bravo", "bea@bravo.test")
        .await;
    app.add_people(alpha, vec![someone("Ann", "ann@race.test", "Admin")])
        .await;
    app.add_people(bravo, vec![someone("Ben", "ben@race.test", "Admin")])
        .await;
    let (ann, _) = app.browser_login("ann@race.test", PASSWORD).await;
    let (ben, _) = app.browser_login("ben@race.test", PASSWORD).await;
    let save = |browser: reqwest::Client, own: &'static str| {
        let app = &app;
        async move {
            let typed = format!("{own}, race.test");
            app.submit_page_form(
                &browser,
                "/settings",
                &[("signup_domains", &typed), ("invite_days", "7")],
            )
            .await
            .status()
        }
    };
    let (a, b) = futures_util::future::join(save(ann, "alpha.test"), save(ben, "bravo.test")).await;
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY],
        "one saves, the other is told"
    );
    let holders = [
        app.signup_domains(alpha)
            .await
            .contains(&"race.test".to_owned()),
        app.signup_domains(bravo)
            .await
            .contains(&"race.test".to_owned()),
    ];
    assert_eq!(holders.iter().filter(|h| **h).count(), 1);

    // Straight at the rule, many at once: for each domain eight writers (four per
    // organization) start together on connections of their own; exactly one claim stands and
    // the others are refused (not an error).
    let manager = gatehouse::db::Manager::new(app.state.config.database_url.clone());
    let results = actix_web::web::block(move || {
        let mut outcomes = Vec::new();
        for round in 0..5 {
            let domain = format!("race{round}.test");
            let barrier = Arc::new(Barrier::new(8));
            let writers: Vec<_> = (0..8)
                .map(|i| {
                    let (manager, barrier, domain) =
                        (manager.clone(), barrier.clone(), domain.clone());
                    let org = if i % 2 == 0 { alpha } else { bravo };
                    std::thread::spawn(move || {
                        let mut conn = manager.connect_now().expect("connection");
                        let mut wanted =
                            gatehouse::orgs::store::signup_domains_of(&mut conn, org).unwrap();
                        wanted.push(domain);
                        barrier.wait();
                        let now = chrono::Utc::now().naive_utc();
                        match domains::replace(&mut conn, org, &wanted, AddedBy::Operator, now) {
                            Ok(_) => Some(org),
                            Err(DomainError::Refused(_)) => None,
                            Err(DomainError::Database(e)) => panic!("a database error: {e}"),
                        }
                    })
                })
                .collect();
            let winners: Vec<i64> = writers
                .into_iter()
                .filter_map(|w| w.join().expect("writer"))
                .collect();
            outcomes.push((domain, winners));
        }
        outcomes
    })
    .await
    .unwrap();
    for (domain, winners) in results {
        // Writers of the winning organization after the first find it theirs already.
        let mut orgs = winners.clone();
        orgs.dedup();
        assert_eq!(orgs.len(), 1, "{domain}: {winners:?}");
        let holder = app
            .db({
                let domain = domain.clone();
                move |c| {
                    use diesel::prelude::*;
                    use gatehouse::db::schema::signup_domains;
                    signup_domains::table
                        .filter(signup_domains::domain.eq(domain))
                        .select(signup_domains::org_id)
                        .load::<i64>(c)
                        .unwrap()
                }
            })
            .await;
        assert_eq!(holder, vec![orgs[0]], "{domain}");
    }
}

async fn the_migration_moves_each_domain_to_the_first_organization_and_reverts(app: TestApp) {
    use diesel::prelude::*;
    use diesel_migrations::MigrationHarness;
    use gatehouse::db::{DbConn, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

    /// Reverts the migrations down to and including the one that made `signup_domains` a
    /// table (later ones come back with `migrate`).
    fn revert_to_column(conn: &mut DbConn) {
        loop {
            let version = match conn {
                DbConn::Sqlite(c) => c
                    .revert_last_migration(SQLITE_MIGRATIONS)
                    .map(|v| v.to_string()),
                DbConn::Pg(c) => c
                    .revert_last_migration(POSTGRES_MIGRATIONS)
                    .map(|v| v.to_string()),
            }
            .expect("revert");
            if version.replace('-', "").starts_with("20261208000009") {
                break;
            }
        }
    }

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Listed {
        #[diesel(sql_type = diesel::sql_types::Text)]
        slug: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        signup_domains: String,
    }

    let (moved, restored) = app
        .db(|c| {
            // Back to the comma-separated column, as an install from before had it.
            revert_to_column(c);
            c.batch_execute(
                "INSERT INTO organizations (name, slug, signup_domains, created_at) VALUES
                    ('Demo Corp', 'demo-corp', 'demo.test', '2026-01-01 00:00:00'),
                    ('Claimer Inc', 'claimer-inc', 'demo.test, gmail.com,  @Claimer.test yahoo.co.uk', '2026-01-02 00:00:00'),
                    ('Empty', 'empty', '', '2026-01-03 00:00:00')",
            )
            .unwrap();
            gatehouse::db::migrate(c).unwrap();
            let moved: Vec<(String, String)> = {
                use gatehouse::db::schema::{organizations, signup_domains};
                signup_domains::table
                    .inner_join(organizations::table)
                    .order(signup_domains::domain)
                    .select((signup_domains::domain, organizations::slug))
                    .load(c)
                    .unwrap()
            };
            revert_to_column(c);
            let listing = diesel::sql_query("SELECT slug, signup_domains FROM organizations ORDER BY id");
            let restored: Vec<Listed> = match c {
                DbConn::Sqlite(c) => listing.load(c),
                DbConn::Pg(c) => listing.load(c),
            }
            .unwrap();
            gatehouse::db::migrate(c).unwrap();
            (moved, restored)
        })
        .await;
    assert_eq!(
        moved,
        vec![
            ("claimer.test".to_owned(), "claimer-inc".to_owned()),
            ("demo.test".to_owned(), "demo-corp".to_owned()),
        ],
        "the first organization keeps a domain two listed; public mail services are dropped"
    );
    let listed = |slug: &str, domains: &str| Listed {
        slug: slug.into(),
        signup_domains: domains.into(),
    };
    assert_eq!(
        restored,
        vec![
            listed("demo-corp", "demo.test"),
            listed("claimer-inc", "claimer.test"),
            listed("empty", ""),
        ]
    );
}
