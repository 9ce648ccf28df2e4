//! What the command line does (create-admin, org create, seed-demo, unblock, audit export),
//! through the same library calls or the real binary, then checked through the web.

use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, emails_in, TestApp, PASSWORD};
use gatehouse::orgs::service::{create_admin, create_org, NewOwner};

both!(
    create_admin_adds_an_admin_who_can_sign_in,
    create_admin_owner_sets_up_a_fresh_organization_once,
    organizations_never_see_each_other,
    seed_demo_fills_demo_corp_deterministically,
    gatehouse_unblock_rescues_a_blocked_owner,
    audit_export_into_a_pipe_closed_after_the_first_line_stops_quietly,
    org_create_without_base_url_warns_that_the_link_may_not_be_the_public_address,
);

async fn owner(app: &TestApp, email: &'static str) -> NewOwner {
    NewOwner {
        org_name: None,
        first_name: "Cli".into(),
        last_name: "Admin".into(),
        email: email.into(),
        password_hash: app.state.hasher.hash(PASSWORD.into()).await.unwrap(),
    }
}

async fn create_admin_adds_an_admin_who_can_sign_in(app: TestApp) {
    app.setup_first_org("Acme Corp", "olive@acme.io").await;
    app.logout().await;
    let person = owner(&app, "cli@acme.io").await;
    let now = app.state.clock.now();
    let result = app
        .db(move |c| create_admin(c, "acme-corp", (&person, false), now).map_err(|e| e.to_string()))
        .await;
    assert!(result.is_ok());
    let person = owner(&app, "cli@acme.io").await;
    let again = app
        .db(move |c| create_admin(c, "Acme Corp", (&person, false), now).map_err(|e| e.to_string()))
        .await;
    assert_eq!(again.unwrap_err(), "cli@acme.io already has an account");
    let person = owner(&app, "x@acme.io").await;
    let missing = app
        .db(move |c| create_admin(c, "nope", (&person, false), now).map_err(|e| e.to_string()))
        .await;
    assert!(missing
        .unwrap_err()
        .contains("no organization is called `nope`"));
    assert_redirect_to(&app.login_as("cli@acme.io", PASSWORD).await, "/users");
    let (_, page) = app.get_html("/users?q=cli").await;
    assert!(page.contains("<span class=\"chip\">Admin</span>"));
}

async fn create_admin_owner_sets_up_a_fresh_organization_once(app: TestApp) {
    let now = app.state.clock.now();
    let (org_id, link) = app.db(move |c| create_org(c, "Bravo", now).unwrap()).await;
    let person = owner(&app, "bea@bravo.test").await;
    let made = app
        .db(move |c| create_admin(c, "bravo", (&person, true), now).map_err(|e| e.to_string()))
        .await;
    assert!(made.is_ok(), "{made:?}");
    // One Owner: a second is refused, and the setup link no longer works.
    let person = owner(&app, "ben@bravo.test").await;
    let again = app
        .db(move |c| create_admin(c, "Bravo", (&person, true), now).map_err(|e| e.to_string()))
        .await;
    assert!(again.unwrap_err().contains("Bravo already has an Owner"));
    let (_, page) = app.get_html(&format!("/setup?token={link}")).await;
    assert!(page.contains("Setup link not valid"), "{page}");
    assert_redirect_to(&app.login_as("bea@bravo.test", PASSWORD).await, "/users");
    let (_, page) = app.get_html("/users?q=bea").await;
    assert!(page.contains("<span class=\"chip\">Owner</span>"), "{page}");
    let created = app.audit_details(org_id, "user.created").await;
    assert_eq!(created[0]["role"], "Owner");
}

async fn organizations_never_see_each_other(app: TestApp) {
    let now = app.state.clock.now();
    let (_, a_link) = app.db(move |c| create_org(c, "Alpha", now).unwrap()).await;
    let (b_org, b_link) = app.db(move |c| create_org(c, "Bravo", now).unwrap()).await;
    app.complete_setup(&b_link, None, "Bea", "Bravo", "bea@bravo.test")
        .await;
    app.logout().await;
    app.complete_setup(&a_link, None, "Al", "Alpha", "al@alpha.test")
        .await;
    let (_, page) = app.get_html("/users?active=0").await;
    assert_eq!(emails_in(&page), vec!["al@alpha.test"]);
    let (_, page) = app.get_html("/users?q=bravo&active=0").await;
    assert!(emails_in(&page).is_empty());
    let (_, page) = app.get_html("/users?q=be").await;
    assert!(emails_in(&page).is_empty());
    // Another organization's role id filters nothing in (and shows nobody).
    let b_role = app
        .db(move |c| gatehouse::users::store::role_id_by_name(c, b_org, "Owner").unwrap())
        .await;
    let (status, page) = app.get_html(&format!("/users?role={b_role}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(emails_in(&page).is_empty());
    assert!(!page.contains("bea@bravo.test"));
    // Every per-user URL of the other organization answers 404 and changes nothing.
    let bea = app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::users;
            users::table
                .filter(users::email.eq("bea@bravo.test"))
                .select(users::id)
                .first::<i64>(c)
                .unwrap()
        })
        .await;
    for action in ["edit", "unblock", "resend", "revoke", "reset-password"] {
        let path = format!("/users/{bea}/{action}");
        assert_eq!(
            app.hx_get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
        assert_eq!(
            app.hx_post(&path, &[("first_name", "Hacked")])
                .await
                .status(),
            StatusCode::NOT_FOUND,
            "POST {path}"
        );
    }
    let name = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::users;
            users::table
                .find(bea)
                .select(users::first_name)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    assert_eq!(name, "Bea");
}

async fn seed_demo_fills_demo_corp_deterministically(app: TestApp) {
    let hash = app.state.hasher.hash(PASSWORD.into()).await.unwrap();
    let hash2 = hash.clone();
    let report = app
        .db(move |c| gatehouse::demo::seed(c, 1000, &hash).unwrap())
        .await;
    // The admin, the lead (an Admin of one division) and the 1,000.
    assert_eq!(report.users, 1002);
    let first = snapshot(&app).await;
    // Refilling gives the same people.
    app.db(move |c| gatehouse::demo::seed(c, 1000, &hash2).unwrap())
        .await;
    assert_eq!(snapshot(&app).await, first);
    let inactive = first.iter().filter(|(_, s)| s == "inactive").count();
    let invited = first.iter().filter(|(_, s)| s == "invited").count();
    assert!(
        (60..=140).contains(&inactive),
        "about 10% inactive: {inactive}"
    );
    assert!(invited > 0);
    let search_hits = first
        .iter()
        .filter(|(e, _)| e.contains(gatehouse::demo::SEARCH_TERM))
        .count();
    assert_eq!(search_hits, 500);
    // The admin signs in and sees a full page.
    assert_redirect_to(
        &app.login_as(gatehouse::demo::ADMIN_EMAIL, PASSWORD).await,
        "/users",
    );
    let (_, page) = app.get_html("/users").await;
    assert_eq!(emails_in(&page).len(), 50);
    assert!(page.contains("rel=\"next\""));
    // The lead sees only their division, and everyone is in the first workspace.
    app.logout().await;
    app.login_as(gatehouse::demo::lead::LEAD_EMAIL, PASSWORD)
        .await;
    let (_, page) = app.get_html("/users?active=0").await;
    assert!(page
        .contains("You manage only some of the organization: <strong>Divisions: North</strong>"));
    let (members, users) = app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::{users, workspace_members};
            let members: i64 = workspace_members::table.count().get_result(c).unwrap();
            let users: i64 = users::table.count().get_result(c).unwrap();
            (members, users)
        })
        .await;
    assert_eq!(members, users);
}

async fn snapshot(app: &TestApp) -> Vec<(String, String)> {
    app.db(|c| {
        use diesel::prelude::*;
        use gatehouse::db::schema::users;
        users::table
            .order(users::email)
            .select((users::email, users::status))
            .load(c)
            .unwrap()
    })
    .await
}

/// The real `gatehouse` binary on the test's database (BASE_URL unset unless a test sets it).
fn gatehouse_command(app: &TestApp, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .args(args)
        .env("DATABASE_URL", &app.state.config.database_url.target)
        .env("GATEHOUSE_DATA_DIR", &app.state.config.data_dir)
        .env_remove("BASE_URL");
    command
}

/// Runs the real `gatehouse` binary against the test's database.
pub fn gatehouse_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    gatehouse_command(app, args)
        .output()
        .expect("run gatehouse")
}

async fn gatehouse_unblock_rescues_a_blocked_owner(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.logout().await;
    let browser = app.new_browser();
    for _ in 0..6 {
        app.submit_page_form(
            &browser,
            "/login",
            &[("email", "olive@acme.io"), ("password", "not her password")],
        )
        .await;
    }
    assert_eq!(
        app.login_as("olive@acme.io", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the last Owner is blocked"
    );

    let run = gatehouse_cli(&app, &["unblock", "OLIVE@acme.io"]);
    assert!(run.status.success(), "{run:?}");
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        "Unblocked olive@acme.io. They can sign in again."
    );
    let again = gatehouse_cli(&app, &["unblock", "olive@acme.io"]);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        "olive@acme.io was not blocked."
    );
    let nobody = gatehouse_cli(&app, &["unblock", "nobody@acme.io"]);
    assert!(!nobody.status.success());
    assert!(
        String::from_utf8_lossy(&nobody.stderr).contains("no account has the email nobody@acme.io")
    );

    let unblocked = app.audit_details(org_id, "auth.unblocked").await;
    assert_eq!(unblocked.len(), 1);
    assert_eq!(unblocked[0]["via"], "administrator");
    assert_redirect_to(&app.login_as("olive@acme.io", PASSWORD).await, "/users");
}

async fn audit_export_into_a_pipe_closed_after_the_first_line_stops_quietly(app: TestApp) {
    use std::io::BufRead;
    use std::process::Stdio;
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let olive = app.org_owner(org_id).await;
    // Far more than a pipe buffers (64 KiB), so the export is still writing when it closes.
    crate::activity::many_events(&app, org_id, olive, 2_000).await;

    // `gatehouse audit export | head -1`
    let mut export = gatehouse_command(&app, &["audit", "export"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gatehouse");
    let mut first = String::new();
    let mut reader = std::io::BufReader::new(export.stdout.take().expect("stdout"));
    reader.read_line(&mut first).expect("the first line");
    drop(reader);
    let done = export.wait_with_output().expect("gatehouse ends");

    let line: serde_json::Value = serde_json::from_str(&first).expect("a JSON line");
    assert_eq!(line["org"], "acme");
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert!(
        done.status.success(),
        "exit status {:?}: {stderr}",
        done.status
    );
}

async fn org_create_without_base_url_warns_that_the_link_may_not_be_the_public_address(
    app: TestApp,
) {
    let run = gatehouse_cli(&app, &["org", "create", "Globex"]);
    assert!(run.status.success(), "{run:?}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stdout.contains("http://127.0.0.1:8080/setup?token="),
        "{stdout}"
    );
    assert!(
        stderr.contains("Warning: BASE_URL is not set")
            && stderr.contains("default listen address http://127.0.0.1:8080")
            && stderr.contains("Set BASE_URL (or --base-url) to the console's public URL"),
        "{stderr}"
    );

    // With BASE_URL the link starts with it, and nothing is said.
    let run = gatehouse_command(&app, &["org", "create", "Initech"])
        .env("BASE_URL", "https://console.example/")
        .output()
        .expect("run gatehouse");
    assert!(run.status.success(), "{run:?}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let link = stdout
        .lines()
        .find(|l| l.contains("/setup?token="))
        .expect("the setup link");
    assert!(
        link.starts_with("https://console.example/setup?token="),
        "{link}"
    );
    assert!(!String::from_utf8_lossy(&run.stderr).contains("BASE_URL"));
    // The printed link works (on this test server's own address).
    let token = link.split("token=").nth(1).expect("token").to_owned();
    let (status, page) = app.get_html(&format!("/setup?token={token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Initech"),
        "the setup page names the organization"
    );
}
