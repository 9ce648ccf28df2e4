//! Bulk actions: the ticked rows or everyone matching the filter, confirmed with a count, one
//! transaction, one audit event per user.

use reqwest::StatusCode;

use crate::both;
use crate::helpers::{someone, toast_of, Person, TestApp, PASSWORD};

both!(
    a_bulk_license_fits_all_or_nothing_with_the_seat_message,
    a_bulk_role_over_a_filter_changes_everyone_matching_it,
    bulk_deactivate_and_delete_leave_out_oneself_and_the_owner,
    concurrent_assignments_never_oversubscribe_a_product,
    selecting_all_matching_keeps_to_the_whole_filter_last_active_included,
    bulk_remove_role_remove_license_and_activate,
);

const OWNER: &str = "olive@acme.io";

async fn agents(app: &TestApp, org_id: i64, emails: &[&'static str]) -> Vec<i64> {
    app.add_people(
        org_id,
        emails
            .iter()
            .map(|email| someone("Agent", email, "Agent"))
            .collect(),
    )
    .await
}

fn selection<'a>(action: &'a str, ids: &'a [String]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![("action", action)];
    fields.extend(ids.iter().map(|id| ("ids", id.as_str())));
    fields
}

async fn a_bulk_license_fits_all_or_nothing_with_the_seat_message(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids: Vec<String> = agents(
        &app,
        org_id,
        &["a1@acme.io", "a2@acme.io", "a3@acme.io", "a4@acme.io"],
    )
    .await
    .iter()
    .map(i64::to_string)
    .collect();
    let dialer = app.product_id(org_id, "Dialer").await;
    let action = format!("license_add:{dialer}");
    app.get_html("/users").await;
    // Four users, three seats: refused, nothing assigned.
    let dialog = app
        .hx_post("/users/bulk/confirm", &selection(&action, &ids))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Assign a Dialer license?"));
    assert!(dialog.contains(
        "Assigning Dialer to 4 users needs 4 seats, and only 3 seats are left. Nothing was assigned"
    ));
    assert!(!dialog.contains(">Confirm<"), "nothing to confirm");
    let mut confirmed = selection(&action, &ids);
    confirmed.push(("confirmed", "1"));
    let response = app.hx_post("/users/bulk", &confirmed).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(toast_of(response.headers())
        .unwrap()
        .contains("needs 4 seats"));
    assert_eq!(app.seats(dialer).await, (3, 0));

    // Three fit, in one go, each with its event; they were the last three.
    let dialog = app
        .hx_post("/users/bulk/confirm", &selection(&action, &ids[..3]))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("3 users will change."));
    let mut confirmed = selection(&action, &ids[..3]);
    confirmed.push(("confirmed", "1"));
    let response = app.hx_post("/users/bulk", &confirmed).await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("3 users changed. That was the last Dialer seat: none remain. Free seats from other users or add seats in Settings.")
    );
    assert_eq!(app.seats(dialer).await, (3, 3));
    let events = app.audit_details(org_id, "user.updated").await;
    assert_eq!(events.len(), 3);
    assert!(events
        .iter()
        .all(|e| e["bulk"] == true && e["after"]["product_ids"][0] == dialer));
    // Asking again changes nobody: they hold it already.
    let dialog = app
        .hx_post("/users/bulk/confirm", &selection(&action, &ids[..3]))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Nothing to change") && dialog.contains("3 already as asked."));
}

async fn a_bulk_role_over_a_filter_changes_everyone_matching_it(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let people: Vec<Person> = (0..60)
        .map(|i| {
            let email: &'static str = Box::leak(
                if i % 2 == 0 {
                    format!("p{i}@northwind.test")
                } else {
                    format!("p{i}@acme.io")
                }
                .into_boxed_str(),
            );
            someone("Pat", email, "Agent")
        })
        .collect();
    app.add_people(org_id, people).await;
    let supervisor = app.role_id(org_id, "Supervisor").await.to_string();
    app.get_html("/users?q=northwind").await;
    // More than a page matches; the count comes on demand.
    let count = app
        .hx_get("/users/bulk/count?q=northwind&active=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(count.contains("All <strong>30</strong> users matching this filter are selected."));
    let action = format!("role_add:{supervisor}");
    let fields = [
        ("action", action.as_str()),
        ("all_matching", "1"),
        ("q", "northwind"),
        ("role", ""),
        ("active", "1"),
    ];
    let dialog = app
        .hx_post("/users/bulk/confirm", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains("Assign the role Supervisor?") && dialog.contains("30 users will change.")
    );
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "1"));
    let response = app.hx_post("/users/bulk", &confirmed).await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("30 users changed.")
    );
    let (_, supervisors) = app
        .get_html(&format!("/users?role={supervisor}&active=0"))
        .await;
    let emails = crate::helpers::emails_in(&supervisors);
    assert_eq!(emails.len(), 30);
    assert!(emails.iter().all(|e| e.ends_with("@northwind.test")));
    assert_eq!(app.audit_details(org_id, "user.updated").await.len(), 30);
}

async fn bulk_deactivate_and_delete_leave_out_oneself_and_the_owner(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Adam", "adam@acme.io", "Admin"),
                someone("Bea", "bea@acme.io", "Agent"),
                someone("Cal", "cal@acme.io", "Agent"),
            ],
        )
        .await;
    let (adam, bea, cal) = (ids[0], ids[1], ids[2]);
    let owner = app.org_owner(org_id).await;
    app.add_records(org_id, bea, "lead", 2).await;
    app.add_records(org_id, cal, "client", 1).await;
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let all: Vec<String> = [owner, adam, bea, cal].iter().map(i64::to_string).collect();

    let dialog = app
        .hx_post("/users/bulk/confirm", &selection("deactivate", &all))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("2 users will change."));
    assert!(dialog.contains("Olive Owner: the Owner cannot be deactivated or deleted"));
    assert!(dialog.contains("Adam Test: that is your own account"));
    let mut confirmed = selection("deactivate", &all);
    confirmed.push(("confirmed", "1"));
    app.hx_post("/users/bulk", &confirmed).await;
    for (id, status) in [
        (owner, "active"),
        (adam, "active"),
        (bea, "inactive"),
        (cal, "inactive"),
    ] {
        assert_eq!(app.status_of(id).await.as_deref(), Some(status));
    }

    // Delete says it cannot be undone, what they own, and asks who gets it.
    let dialog = app
        .hx_post("/users/bulk/confirm", &selection("delete", &all))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("This cannot be undone"));
    assert!(dialog.contains("They own 2 leads, 1 client."));
    let mut confirmed = selection("delete", &all);
    confirmed.extend([
        ("confirmed", "1"),
        ("reassign", "user"),
        ("reassign_email", "bea@acme.io"),
    ]);
    let response = app.hx_post("/users/bulk", &confirmed).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("No active user of your organization has the email bea@acme.io."));
    confirmed.retain(|(k, _)| *k != "reassign_email");
    confirmed.push(("reassign_email", "olive@acme.io"));
    let response = app.hx_post("/users/bulk", &confirmed).await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("2 users changed.")
    );
    assert_eq!(app.status_of(bea).await, None);
    assert_eq!(app.status_of(cal).await, None);
    assert_eq!(app.record_owners(org_id).await, vec![Some(owner); 3]);
    assert_eq!(app.audit_details(org_id, "user.deleted").await.len(), 2);
}

async fn concurrent_assignments_never_oversubscribe_a_product(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let emails: Vec<&'static str> = (0..8)
        .map(|i| &*Box::leak(format!("c{i}@acme.io").into_boxed_str()))
        .collect();
    let ids: Vec<String> = agents(&app, org_id, &emails)
        .await
        .iter()
        .map(i64::to_string)
        .collect();
    let omni = app.product_id(org_id, "Omnichannel").await;
    let action = format!("license_add:{omni}");
    app.get_html("/users").await;
    // Four requests of two users each race for three seats.
    let requests = ids.chunks(2).map(|pair| {
        let mut fields = selection(&action, pair);
        fields.push(("confirmed", "1"));
        let fields: Vec<(String, String)> = fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let app = &app;
        async move {
            let borrowed: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            app.hx_post("/users/bulk", &borrowed).await.status()
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(won, 1, "{statuses:?}");
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT));
    assert_eq!(app.seats(omni).await, (3, 2));
    // Exactly the winner's two assignments exist.
    let holders = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::license_assignments;
            license_assignments::table
                .filter(license_assignments::product_id.eq(omni))
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(holders, 2);
}

async fn selecting_all_matching_keeps_to_the_whole_filter_last_active_included(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let person = |first, email, minutes| Person {
        first,
        last: "Agent",
        email,
        status: "active",
        roles: &["Agent"],
        active_minutes_ago: Some(minutes),
    };
    let idle = 60 * 24 * 120;
    let ids = app
        .add_people(
            org_id,
            vec![
                person("Ida", "ida@acme.io", idle),
                person("Ike", "ike@acme.io", idle),
                person("Rae", "rae@acme.io", 30),
                person("Ray", "ray@acme.io", 60),
            ],
        )
        .await;
    app.get_html("/users?last_active=idle90d").await;
    let count = app
        .hx_get("/users/bulk/count?q=&active=1&last_active=idle90d")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        count.contains("All <strong>2</strong> users matching this filter are selected."),
        "{count}"
    );
    let fields = [
        ("action", "deactivate"),
        ("all_matching", "1"),
        ("q", ""),
        ("role", ""),
        ("active", "1"),
        ("last_active", "idle90d"),
    ];
    let dialog = app
        .hx_post("/users/bulk/confirm", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("2 users will change."), "{dialog}");
    assert!(
        dialog.contains("name=\"last_active\" value=\"idle90d\""),
        "the dialog sends the same filter on"
    );
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "1"));
    let response = app.hx_post("/users/bulk", &confirmed).await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("2 users changed.")
    );
    for (id, status) in ids
        .into_iter()
        .zip(["inactive", "inactive", "active", "active"])
    {
        assert_eq!(
            app.status_of(id).await.as_deref(),
            Some(status),
            "user {id}"
        );
    }
    assert_eq!(
        app.status_of(app.org_owner(org_id).await).await.as_deref(),
        Some("active")
    );
}

async fn bulk_remove_role_remove_license_and_activate(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids: Vec<String> = agents(&app, org_id, &["r1@acme.io", "r2@acme.io", "r3@acme.io"])
        .await
        .iter()
        .map(i64::to_string)
        .collect();
    let dialer = app.product_id(org_id, "Dialer").await;
    let supervisor = app.role_id(org_id, "Supervisor").await;
    app.get_html("/users").await;
    let apply = |action: String, ids: Vec<String>| {
        let app = &app;
        async move {
            let mut fields = selection(&action, &ids);
            fields.push(("confirmed", "1"));
            toast_of(app.hx_post("/users/bulk", &fields).await.headers()).unwrap_or_default()
        }
    };
    let emails_with = |filter: String| {
        let app = &app;
        async move { crate::helpers::emails_in(&app.get_html(&filter).await.1) }
    };

    // Licenses: all three get one, two give it back; the seats follow.
    apply(format!("license_add:{dialer}"), ids.clone()).await;
    assert_eq!(app.seats(dialer).await, (3, 3));
    let dialog = app
        .hx_post(
            "/users/bulk/confirm",
            &selection(&format!("license_remove:{dialer}"), &ids[..2]),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("2 users will change."), "{dialog}");
    assert_eq!(
        apply(format!("license_remove:{dialer}"), ids[..2].to_vec()).await,
        "2 users changed."
    );
    assert_eq!(app.seats(dialer).await, (3, 1));

    // Roles: Supervisor for all, then taken from one.
    apply(format!("role_add:{supervisor}"), ids.clone()).await;
    assert_eq!(
        apply(format!("role_remove:{supervisor}"), ids[..1].to_vec()).await,
        "1 user changed."
    );
    let supervisors = emails_with(format!("/users?role={supervisor}")).await;
    assert_eq!(supervisors, vec!["r2@acme.io", "r3@acme.io"]);

    // Deactivated and activated again: active, and the released license stays released.
    apply("deactivate".into(), ids[1..].to_vec()).await;
    assert_eq!(
        app.seats(dialer).await,
        (3, 0),
        "deactivation releases seats"
    );
    assert_eq!(
        apply("activate".into(), ids[1..].to_vec()).await,
        "2 users changed."
    );
    for id in &ids {
        assert_eq!(
            app.status_of(id.parse().unwrap()).await.as_deref(),
            Some("active")
        );
    }
    let events = app.audit_details(org_id, "user.updated").await;
    assert_eq!(
        events.len(),
        3 + 2 + 3 + 1 + 2 + 2,
        "one event per user and action"
    );
}
