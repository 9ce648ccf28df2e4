use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, Person, TestApp, PASSWORD};

both!(
    export_streams_the_current_filter_as_csv,
    export_needs_users_view
);

async fn export_streams_the_current_filter_as_csv(app: TestApp) {
    let hash = app.state.hasher.hash(PASSWORD.into()).await.unwrap();
    app.db(move |c| gatehouse::demo::seed(c, 2_500, &hash).unwrap())
        .await;
    assert_redirect_to(
        &app.login_as(gatehouse::demo::ADMIN_EMAIL, PASSWORD).await,
        "/users",
    );
    let (_, page) = app.get_html("/users?q=northwind").await;
    assert!(
        page.contains("href=\"/users/export.csv?q=northwind\""),
        "the Export link carries the filter"
    );

    let response = app.get("/users/export.csv?active=0").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(response
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("users.csv"));
    assert!(
        response.content_length().is_none(),
        "streamed in chunks, not buffered whole"
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Name,Email,Roles,Licenses,User Tags,Skill Groups,Teams,Status,Lock state,Last login,Last active,Created,Username,auto_dial,caller_id_number,virtual_extension"
    );
    assert_eq!(
        lines.len(),
        1 + 2_502, // the admin, the lead and the 2,500
        "every user once, across several chunks"
    );
    let mut emails: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    emails.dedup();
    assert_eq!(emails.len(), 2_502);
    let admin = lines
        .iter()
        .find(|l| l.contains("admin@demo.test"))
        .unwrap();
    assert!(
        admin.starts_with("Demo Admin,admin@demo.test,Owner,,,,,Active,,"),
        "{admin}"
    );
    // The filter applies: search and the active toggle.
    let csv = app
        .get("/users/export.csv?q=northwind&active=0")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1 + 500);
    let active_only = app.get("/users/export.csv").await.text().await.unwrap();
    assert!(!active_only.contains(",Inactive,") && active_only.contains(",Pending,"));
}

async fn export_needs_users_view(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(
        org_id,
        vec![Person {
            first: "Agnes",
            last: "Agent",
            email: "agnes@acme.io",
            status: "active",
            roles: &["Agent"],
            active_minutes_ago: None,
        }],
    )
    .await;
    app.logout().await;
    assert_redirect_to(
        &app.get("/users/export.csv").await,
        "/login?next=%2Fusers%2Fexport.csv",
    );
    app.login_as("agnes@acme.io", PASSWORD).await;
    assert_eq!(
        app.get("/users/export.csv").await.status(),
        StatusCode::FORBIDDEN
    );
}
