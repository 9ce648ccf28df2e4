//! Import users: a CSV of users with fields, groups, roles and licenses; Check lists every bad
//! line and writes nothing; Import writes all or nothing, through Create User's rules.

use reqwest::StatusCode;

use crate::both;
use crate::fields::apply_dialer;
use crate::helpers::{someone, TestApp};

both!(
    an_import_with_bad_lines_lists_each_and_writes_nothing,
    a_checked_import_creates_every_user_with_profile_and_email,
    seats_and_unknown_columns_are_refused_before_anything_is_written,
);

const OWNER: &str = "olive@acme.io";

async fn post(app: &TestApp, csv: &str, mode: &str) -> reqwest::Response {
    app.get_html("/users/import-users").await;
    app.post_form("/users/import-users", &[("csv", csv), ("mode", mode)])
        .await
}

async fn people(app: &TestApp) -> usize {
    app.db(|c| {
        gatehouse::users::store::list_page(
            c,
            1,
            &gatehouse::users::forms::ListQuery::from_pairs(&[("active".into(), "0".into())]),
        )
        .unwrap()
        .0
        .len()
    })
    .await
}

async fn an_import_with_bad_lines_lists_each_and_writes_nothing(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    apply_dialer(&app).await;
    app.add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await;
    let before = people(&app).await;
    let csv = "email,first_name,last_name,roles,tags,sip_option,custom_sip_uri\n\
               dana@acme.io,Dana,D,Agent,,webrtc,\n\
               eve@acme.io,Eve,E,Astronaut,,,\n\
               ann@acme.io,Ann,Again,Agent,,,\n\
               fay@acme.io,Fay,F,Agent,,custom,\n\
               dana@acme.io,Dana,Twice,Agent,,,\n\
               gus@acme.io,Gus,G,Agent,Nonesuch,,\n";
    for mode in ["check", "import"] {
        let response = post(&app, csv, mode).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{mode}"
        );
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Nothing was imported: 5 lines need attention."),
            "{page}"
        );
        for (line, reason) in [
            (3, "Unknown role “Astronaut”."),
            (
                4,
                "email: This person already has an account or a pending invitation.",
            ),
            (5, "custom_sip_uri: Enter Custom SIP URI."),
            (
                6,
                "email: This person already has an account or a pending invitation.",
            ),
            (7, "Unknown tag “Nonesuch”."),
        ] {
            assert!(
                page.contains(&format!("<tr><td>{line}</td>")) && page.contains(reason),
                "line {line}: {reason}: {page}"
            );
        }
        assert!(!page.contains("<tr><td>2</td>"), "line 2 is fine");
    }
    assert_eq!(people(&app).await, before);
    assert_eq!(app.mail().count_to("dana@acme.io"), 0);
    assert!(app.audit_details(org_id, "user.created").await.is_empty());
}

async fn a_checked_import_creates_every_user_with_profile_and_email(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    apply_dialer(&app).await;
    crate::groups::create_group(&app, "tag", "VIP").await;
    crate::groups::create_group(&app, "team", "North").await;
    let before = people(&app).await;
    let dialer = app.product_id(org_id, "Dialer").await;
    let (_, used) = app.seats(dialer).await;
    let csv = "email,first_name,last_name,username,roles,licenses,tags,teams,caller_id_number,caldav_token\n\
               dana@acme.io,Dana,D,dana,Agent;Supervisor,Dialer,VIP,North,+1 555 0100,tok-import-1\n\
               \"eve@acme.io\",Eve,\"E, Jr.\",,agent,,,,,\n";
    let response = post(&app, csv, "check").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("All 2 users are ready to import. Nothing was written yet."),
        "{page}"
    );
    assert!(
        page.contains("dana@acme.io,Dana"),
        "the text stays for the import"
    );
    assert_eq!(people(&app).await, before);
    assert_eq!(app.seats(dialer).await.1, used, "the check took no seat");

    let response = post(&app, csv, "import").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Imported 2 users: each gets an email"),
        "{page}"
    );
    assert_eq!(people(&app).await, before + 2);
    assert_eq!(app.seats(dialer).await.1, used + 1);
    let (_, list) = app.get_html("/users?active=0&q=eve").await;
    assert!(list.contains("Eve E, Jr."), "{list}");
    let dana = app
        .db(|c| {
            gatehouse::users::store::list_page(
                c,
                1,
                &gatehouse::users::forms::ListQuery::from_pairs(&[("q".into(), "dana".into())]),
            )
            .unwrap()
            .0
            .remove(0)
        })
        .await;
    assert_eq!(dana.username.as_deref(), Some("dana"));
    let mut roles: Vec<&str> = dana.role_names.as_deref().unwrap().split(',').collect();
    roles.sort();
    assert_eq!(roles, ["Agent", "Supervisor"]);
    let groups = app
        .db(move |c| gatehouse::groups::store::of_user(c, dana.id).unwrap())
        .await;
    assert_eq!(groups.len(), 2);
    let values = app
        .db(move |c| gatehouse::fields::store::values_of(c, dana.id).unwrap())
        .await;
    assert!(values.values().any(|v| v == &["+1 555 0100"]));
    assert!(values.values().any(|v| v == &["tok-import-1"]));
    app.mail()
        .message_about("eve@acme.io", "Confirm your account at Acme")
        .await;
    let imported = app.audit_details(org_id, "users.imported").await;
    assert_eq!(imported[0]["created"], 2);
    let created = app.audit_details(org_id, "user.created").await;
    assert_eq!(created.len(), 2);
    assert!(!serde_json::to_string(&created)
        .unwrap()
        .contains("tok-import-1"));
}

async fn seats_and_unknown_columns_are_refused_before_anything_is_written(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let before = people(&app).await;
    let response = post(&app, "email,shoe_size\nx@acme.io,44\n", "import").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Unknown column “shoe_size”"));
    let response = post(&app, "", "check").await;
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("There is nothing to import"));

    // Three seats of Dialer: the fourth line runs out, and nothing is written.
    let dialer = app.product_id(org_id, "Dialer").await;
    let (seats, used) = app.seats(dialer).await;
    let free = (seats - used) as usize;
    let mut csv = String::from("email,first_name,last_name,roles,licenses\n");
    for i in 0..=free {
        csv.push_str(&format!("p{i}@acme.io,Pat,No{i},Agent,Dialer\n"));
    }
    let response = post(&app, &csv, "import").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains(&format!("<tr><td>{}</td>", free + 2))
            && page.contains("No Dialer seats are left."),
        "{page}"
    );
    assert_eq!(app.seats(dialer).await, (seats, used));
    assert_eq!(people(&app).await, before);
}
