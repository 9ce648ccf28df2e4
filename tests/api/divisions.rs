//! Settings → Divisions: create, rename, delete moving the division's users; names unique
//! per organization; another organization's ids answer 404.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{someone, toast_of, TestApp, PASSWORD};
use gatehouse::db::schema::users;
use gatehouse::divisions::store;

both!(
    divisions_are_created_renamed_and_deleted_moving_their_users,
    a_division_name_is_unique_and_bad_input_changes_nothing,
    divisions_are_settings_and_another_organizations_answer_404,
);

const OWNER: &str = "olive@acme.io";

async fn create(app: &TestApp, name: &str) -> reqwest::Response {
    app.get_html("/settings/divisions").await;
    app.post_form("/settings/divisions", &[("name", name)])
        .await
}

async fn division_named(app: &TestApp, org_id: i64, name: &'static str) -> i64 {
    app.db(move |c| {
        store::all_with_counts(c, org_id)
            .unwrap()
            .into_iter()
            .find(|(d, _)| d.name == name)
            .map(|(d, _)| d.id)
            .expect("division")
    })
    .await
}

async fn division_of(app: &TestApp, user_id: i64) -> Option<i64> {
    app.db(move |c| {
        users::table
            .find(user_id)
            .select(users::division_id)
            .first(c)
            .unwrap()
    })
    .await
}

async fn put_in(app: &TestApp, user_ids: Vec<i64>, division: i64) {
    app.db(move |c| {
        diesel::update(users::table.filter(users::id.eq_any(user_ids)))
            .set(users::division_id.eq(division))
            .execute(c)
            .unwrap();
    })
    .await;
}

async fn divisions_are_created_renamed_and_deleted_moving_their_users(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let (status, page) = app.get_html("/settings/divisions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No divisions yet.") && page.contains(">Divisions</a>"));
    let response = create(&app, "  North  ").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Division “North” created."));
    create(&app, "South").await;
    let (north, south) = (
        division_named(&app, org_id, "North").await,
        division_named(&app, org_id, "South").await,
    );
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ann", "ann@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    put_in(&app, ids.clone(), north).await;
    let (_, page) = app.get_html("/settings/divisions").await;
    assert!(page.contains(">North</td>\n        <td>2</td>"), "{page}");
    // The Edit User dialog offers it.
    let dialog = crate::edit::dialog(&app, ids[0]).await;
    assert!(dialog.contains(&format!(
        "<option value=\"{north}\" selected>North</option>"
    )));

    // Rename in a dialog.
    let dialog = app
        .hx_get(&format!("/settings/divisions/{north}/rename"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Rename division “North”"));
    let response = app
        .hx_post(
            &format!("/settings/divisions/{north}/rename"),
            &[("name", "North East")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(toast_of(response.headers())
        .unwrap()
        .contains("Division renamed to “North East”."));
    assert!(response.text().await.unwrap().contains(">North East</td>"));

    // Delete asks where its users go, and moves them with it.
    let dialog = app
        .hx_get(&format!("/settings/divisions/{north}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Delete division “North East”?"), "{dialog}");
    assert!(dialog.contains("2 users are in it."), "{dialog}");
    assert!(dialog.contains(&format!("<option value=\"{south}\">South</option>")));
    assert!(!dialog.contains(&format!("<option value=\"{north}\"")));
    let south_id = south.to_string();
    let response = app
        .hx_post(
            &format!("/settings/divisions/{north}/delete"),
            &[("move_to", south_id.as_str())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(toast_of(response.headers())
        .unwrap()
        .contains("Division “North East” deleted; its 2 users moved."));
    assert_eq!(division_of(&app, ids[0]).await, Some(south));
    assert_eq!(division_of(&app, ids[1]).await, Some(south));
    // A Supervisor whose only assigned division goes is named in the question.
    let sue = app
        .add_people(org_id, vec![someone("Sue", "sue@acme.io", "Supervisor")])
        .await[0];
    app.db(move |c| {
        gatehouse::divisions::store::assign(c, sue, &[south].into_iter().collect()).unwrap()
    })
    .await;
    let dialog = app
        .hx_get(&format!("/settings/divisions/{south}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains("1 Supervisor chats with this division only"),
        "{dialog}"
    );
    // And to no division.
    let response = app
        .hx_post(
            &format!("/settings/divisions/{south}/delete"),
            &[("move_to", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(division_of(&app, ids[0]).await, None);

    let created = app.audit_details(org_id, "division.created").await;
    assert_eq!(created.len(), 2);
    let renamed = app.audit_details(org_id, "division.renamed").await;
    assert_eq!(renamed[0]["before"]["name"], "North");
    let deleted = app.audit_details(org_id, "division.deleted").await;
    assert!(deleted
        .iter()
        .any(|d| d["name"] == "North East" && d["moved"] == 2 && d["moved_to"] == "South"));
    let (_, activity) = app.get_html("/activity").await;
    assert!(activity.contains("Division deleted"));
}

async fn a_division_name_is_unique_and_bad_input_changes_nothing(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create(&app, "North").await;
    let response = create(&app, "NORTH").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("There is already a division with this name."));
    assert!(page.contains("value=\"NORTH\""), "what was typed stays");
    let response = create(&app, "   ").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Enter a name."));
    create(&app, "South").await;
    let (north, south) = (
        division_named(&app, org_id, "North").await,
        division_named(&app, org_id, "South").await,
    );
    let response = app
        .hx_post(
            &format!("/settings/divisions/{south}/rename"),
            &[("name", "north")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("There is already a division with this name."));
    // A move to itself or to nonsense is refused beside the field; nothing is deleted.
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    put_in(&app, vec![ann], north).await;
    let north_id = north.to_string();
    for move_to in [north_id.as_str(), "x", "999999"] {
        let response = app
            .hx_post(
                &format!("/settings/divisions/{north}/delete"),
                &[("move_to", move_to)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{move_to}"
        );
        let dialog = response.text().await.unwrap();
        assert!(
            dialog.contains("Choose another division.")
                || dialog.contains("Choose a division from the list."),
            "{dialog}"
        );
    }
    assert_eq!(division_of(&app, ann).await, Some(north));
    let names: Vec<String> = app
        .db(move |c| {
            store::all_with_counts(c, org_id)
                .unwrap()
                .into_iter()
                .map(|(d, _)| d.name)
                .collect()
        })
        .await;
    assert_eq!(names, ["North", "South"]);
    assert!(app
        .audit_details(org_id, "division.deleted")
        .await
        .is_empty());
}

async fn divisions_are_settings_and_another_organizations_answer_404(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create(&app, "North").await;
    let north = division_named(&app, org_id, "North").await;
    let now = app.state.clock.now();
    let (other_org, _) = app
        .db(move |c| gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap())
        .await;
    let theirs = app
        .db(move |c| store::insert(c, other_org, "Theirs").unwrap())
        .await;
    for path in [
        format!("/settings/divisions/{theirs}/rename"),
        format!("/settings/divisions/{theirs}/delete"),
    ] {
        assert_eq!(app.hx_get(&path).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            app.hx_post(&path, &[("name", "Mine")]).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    // Nor may another organization's division receive this one's users.
    let theirs_id = theirs.to_string();
    let response = app
        .hx_post(
            &format!("/settings/divisions/{north}/delete"),
            &[("move_to", theirs_id.as_str())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.add_people(org_id, vec![someone("Max", "max@acme.io", "Manager")])
        .await;
    app.logout().await;
    app.login_as("max@acme.io", PASSWORD).await;
    assert_eq!(
        app.get("/settings/divisions").await.status(),
        StatusCode::FORBIDDEN
    );
    let response = app
        .hx_post(&format!("/settings/divisions/{north}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let left = app
        .db(move |c| {
            (
                store::all_with_counts(c, org_id).unwrap().len(),
                store::all_with_counts(c, other_org).unwrap().len(),
            )
        })
        .await;
    assert_eq!(left, (1, 1));
}
