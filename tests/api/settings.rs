use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{Person, TestApp, PASSWORD};
use gatehouse::db::schema::{organizations, products};

both!(
    owners_change_signup_domains_and_invitation_lifetime,
    seat_counts_change_but_never_below_what_is_in_use,
    settings_are_refused_to_roles_without_the_permission,
);

async fn owners_change_signup_domains_and_invitation_lifetime(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let (status, page) = app.get_html("/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("value=\"acme.io\"") && page.contains("value=\"7\""));
    let response = app
        .post_form(
            "/settings",
            &[
                ("signup_domains", "acme.io, not a domain"),
                ("invite_days", "0"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("is not a domain name")
            && page.contains("Enter a whole number of days from 1 to 90.")
    );
    assert!(
        page.contains("value=\"acme.io, not a domain\""),
        "what was typed stays"
    );
    assert_eq!(app.signup_domains(org_id).await, vec!["acme.io"]);
    assert_eq!(invite_days(&app, org_id).await, 7);

    let response = app
        .post_form(
            "/settings",
            &[
                ("signup_domains", "Acme.io, acme.io"),
                ("invite_days", "14"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Settings saved."));
    assert_eq!(app.signup_domains(org_id).await, vec!["acme.io"]);
    assert_eq!(invite_days(&app, org_id).await, 14);
    let events = app
        .db(move |c| gatehouse::audit::store::recent(c, org_id, 5).unwrap())
        .await;
    let changed = events
        .iter()
        .find(|e| e.action == "org.settings_changed")
        .unwrap();
    assert!(
        changed.details.contains("\"before\"") && changed.details.contains("\"invite_days\":14")
    );
}

async fn seat_counts_change_but_never_below_what_is_in_use(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let (dialer, crm) = app
        .db(move |c| {
            let ids: Vec<i64> = products::table
                .filter(products::org_id.eq(org_id))
                .order(products::id)
                .select(products::id)
                .load(c)
                .unwrap();
            let (dialer, crm) = (ids[0], ids[2]);
            diesel::update(products::table.find(dialer))
                .set(products::seats_used.eq(2))
                .execute(c)
                .unwrap();
            (dialer, crm)
        })
        .await;
    let (d, cr) = (format!("seats_{dialer}"), format!("seats_{crm}"));
    let response = app
        .post_form("/settings/seats", &[(d.as_str(), "1"), (cr.as_str(), "10")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("2 seats are in use, so Dialer cannot go below that."));
    let seats = app
        .db(move |c| {
            products::table
                .find(crm)
                .select(products::seats)
                .first::<i32>(c)
                .unwrap()
        })
        .await;
    assert_eq!(seats, 3, "all or nothing");
    let response = app
        .post_form("/settings/seats", &[(d.as_str(), "2"), (cr.as_str(), "10")])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let seats = app
        .db(move |c| {
            products::table
                .filter(products::org_id.eq(org_id))
                .order(products::id)
                .select(products::seats)
                .load::<i32>(c)
                .unwrap()
        })
        .await;
    assert_eq!(seats, vec![2, 3, 10]);
    assert!(app
        .audit_actions(org_id)
        .await
        .contains(&"licenses.seats_changed".to_owned()));
    let response = app
        .post_form("/settings/seats", &[(d.as_str(), "lots")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn settings_are_refused_to_roles_without_the_permission(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(
        org_id,
        vec![Person {
            first: "Manny",
            last: "Manager",
            email: "manny@acme.io",
            status: "active",
            roles: &["Manager"],
            active_minutes_ago: None,
        }],
    )
    .await;
    app.logout().await;
    app.login_as("manny@acme.io", PASSWORD).await;
    assert_eq!(app.get("/settings").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.post_form(
            "/settings",
            &[("signup_domains", "evil.io"), ("invite_days", "9")]
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post_form("/users/auto-signup", &[("allow", "0")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.signup_domains(org_id).await, vec!["acme.io"]);
    assert_eq!(invite_days(&app, org_id).await, 7);
}

async fn invite_days(app: &TestApp, org_id: i64) -> i32 {
    app.db(move |c| {
        organizations::table
            .find(org_id)
            .select(organizations::invite_days)
            .first::<i32>(c)
            .unwrap()
    })
    .await
}
