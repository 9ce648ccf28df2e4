//! Deleting users (with their records reassigned or left unassigned) and Deactivate instead.

use reqwest::StatusCode;

use crate::both;
use crate::helpers::{location_of, someone, toast_of, TestApp, PASSWORD};

both!(
    deleting_reassigns_the_records_frees_the_seats_and_keeps_a_snapshot,
    a_wrong_new_owner_changes_nothing_and_records_can_be_left_unassigned,
    nobody_deletes_themselves_or_the_owner,
    deactivate_instead_signs_out_and_frees_the_seats,
);

const OWNER: &str = "olive@acme.io";

async fn deleting_reassigns_the_records_frees_the_seats_and_keeps_a_snapshot(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    let (ada, bob) = (ids[0], ids[1]);
    let dialer = app.product_id(org_id, "Dialer").await;
    app.give_license(ada, dialer).await;
    app.add_records(org_id, ada, "contact", 2).await;
    app.add_records(org_id, ada, "lead", 1).await;
    let (ada_browser, _) = app.browser_login("ada@acme.io", PASSWORD).await;

    let dialog = app
        .hx_get(&format!("/users/{ada}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("This cannot be undone."));
    assert!(dialog.contains("Ada owns 2 contacts, 1 lead."));
    assert!(dialog.contains("Deactivate instead"));
    assert!(dialog.contains("their Dialer seat is freed"));
    // A plain GET of the fragment goes to the list.
    assert_eq!(
        location_of(&app.get(&format!("/users/{ada}/delete")).await).as_deref(),
        Some("/users")
    );

    let response = app
        .hx_post(
            &format!("/users/{ada}/delete"),
            &[("reassign", "user"), ("reassign_email", "BOB@acme.io")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("ada@acme.io was deleted. 3 records went to BOB@acme.io.")
    );
    assert_eq!(app.status_of(ada).await, None);
    assert_eq!(app.record_owners(org_id).await, vec![Some(bob); 3]);
    assert_eq!(app.seats(dialer).await.1, 0, "the seat is free again");
    let response = ada_browser.get(app.url("/account")).send().await.unwrap();
    assert!(location_of(&response).unwrap().starts_with("/login"));
    let deleted = app.audit_details(org_id, "user.deleted").await;
    assert_eq!(deleted[0]["snapshot"]["user"]["email"], "ada@acme.io");
    assert_eq!(deleted[0]["snapshot"]["roles"][0], "Agent");
    assert_eq!(deleted[0]["snapshot"]["licenses"][0], "Dialer");
    assert_eq!(deleted[0]["owned_records"]["contact"], 2);
    assert_eq!(deleted[0]["reassigned_to"], "bob@acme.io");
    // The row is gone from the list.
    let (_, list) = app.get_html("/users?active=0").await;
    assert!(!list.contains("ada@acme.io"));
}

async fn a_wrong_new_owner_changes_nothing_and_records_can_be_left_unassigned(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Ivy", "ivy@acme.io", "Agent"),
            ],
        )
        .await;
    let (ada, ivy) = (ids[0], ids[1]);
    app.add_records(org_id, ada, "client", 2).await;
    // An inactive user cannot receive records.
    app.get_html("/users").await;
    app.hx_post(&format!("/users/{ivy}/deactivate"), &[]).await;
    for (email, message) in [
        (
            "nobody@acme.io",
            "No active user of your organization has the email nobody@acme.io.",
        ),
        (
            "ivy@acme.io",
            "No active user of your organization has the email ivy@acme.io.",
        ),
        (
            "ada@acme.io",
            "Choose someone who is not being deleted to receive the records.",
        ),
    ] {
        let response = app
            .hx_post(
                &format!("/users/{ada}/delete"),
                &[("reassign", "user"), ("reassign_email", email)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{email}: {page}");
        assert!(
            page.contains(&format!("value=\"{email}\"")),
            "what was typed stays"
        );
    }
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
    assert_eq!(app.record_owners(org_id).await, vec![Some(ada); 2]);

    let response = app
        .hx_post(&format!("/users/{ada}/delete"), &[("reassign", "nobody")])
        .await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("ada@acme.io was deleted. 2 records are now unassigned.")
    );
    assert_eq!(app.record_owners(org_id).await, vec![None; 2]);
    let deleted = app.audit_details(org_id, "user.deleted").await;
    assert!(deleted[0]["reassigned_to"].is_null());

    // Activity still finds a deleted member's events by their email.
    let (_, page) = app.get_html("/activity?target=ada%40acme.io").await;
    assert!(page
        .contains("ada@acme.io was deleted from your organization: their past events are shown."));
    let rows = crate::activity::rows_of(&page);
    assert!(
        rows.first().is_some_and(|r| r.contains("User deleted")),
        "{rows:?}"
    );
    assert!(!page.contains("Nobody in your organization has the email"));
}

async fn nobody_deletes_themselves_or_the_owner(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Adam", "adam@acme.io", "Admin"),
                someone("Max", "max@acme.io", "Manager"),
            ],
        )
        .await;
    let (adam, max) = (ids[0], ids[1]);
    let owner = app.org_owner(org_id).await;
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    for (id, message) in [
        (owner, "The Owner cannot be deleted. Nothing was changed."),
        (
            adam,
            "You cannot delete your own account. Nothing was changed.",
        ),
    ] {
        let response = app
            .hx_post(&format!("/users/{id}/delete"), &[("reassign", "nobody")])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(toast_of(response.headers()).as_deref(), Some(message));
    }
    let response = app
        .hx_post(&format!("/users/{owner}/deactivate"), &[])
        .await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("The Owner cannot be deactivated. Nothing was changed.")
    );
    assert_eq!(app.status_of(owner).await.as_deref(), Some("active"));
    // Without users.manage: refused.
    let (browser, _) = app.browser_login("max@acme.io", PASSWORD).await;
    let response = app
        .post_from_page(
            &browser,
            "/account",
            &format!("/users/{adam}/delete"),
            &[("reassign", "nobody")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(app.status_of(adam).await.is_some() && app.status_of(max).await.is_some());
    // Another organization's user is not found.
    let other = app
        .db(|c| {
            let now = chrono::Utc::now().naive_utc();
            gatehouse::orgs::service::create_org(c, "Other", now)
                .unwrap()
                .0
        })
        .await;
    let stranger = app
        .add_people(other, vec![someone("Sam", "sam@other.io", "Agent")])
        .await[0];
    let response = app
        .hx_post(
            &format!("/users/{stranger}/delete"),
            &[("reassign", "nobody")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn deactivate_instead_signs_out_and_frees_the_seats(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    let crm = app.product_id(org_id, "CRM").await;
    app.give_license(ada, crm).await;
    let (ada_browser, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    app.get_html("/users").await;
    let response = app.hx_post(&format!("/users/{ada}/deactivate"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(toast_of(response.headers())
        .unwrap()
        .contains("deactivated"));
    assert_eq!(app.status_of(ada).await.as_deref(), Some("inactive"));
    assert_eq!(app.seats(crm).await.1, 0);
    let response = ada_browser.get(app.url("/account")).send().await.unwrap();
    assert!(location_of(&response).unwrap().starts_with("/login"));
    let updated = app.audit_details(org_id, "user.updated").await;
    assert_eq!(updated[0]["before"]["status"], "active");
    assert_eq!(updated[0]["after"]["status"], "inactive");
    assert_eq!(updated[0]["before"]["product_ids"][0], crm);
    // Activate brings the account back (without licenses).
    app.hx_post(&format!("/users/{ada}/activate"), &[]).await;
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
}
