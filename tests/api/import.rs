//! Import of owned records by CSV: a report per line, nothing written on error.

use reqwest::StatusCode;

use crate::both;
use crate::helpers::{someone, TestApp, PASSWORD};

both!(importing_records_reports_every_bad_line_and_writes_all_or_nothing);

async fn importing_records_reports_every_bad_line_and_writes_all_or_nothing(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
                someone("Max", "max@acme.io", "Manager"),
            ],
        )
        .await;
    let (ada, bob) = (ids[0], ids[1]);
    let (status, page) = app.get_html("/users/import").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("kind,reference,owner email"));

    let bad = "kind,reference,owner email\ncontact,C-1,ada@acme.io\ngadget,G-1,ada@acme.io\nlead,L-1,stranger@acme.io\n";
    let response = app.post_form("/users/import", &[("csv", bad)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let report = response.text().await.unwrap();
    assert!(report.contains("Nothing was imported"));
    assert!(report.contains("`gadget` is not a kind of record: use contact, lead or client."));
    assert!(
        report.contains("No user of your organization has the email stranger@acme.io."),
        "the unknown owner is in the same report"
    );
    assert!(
        report.contains("gadget,G-1,ada@acme.io"),
        "the text stays in the box"
    );
    assert!(app.record_owners(org_id).await.is_empty());
    // The owner check needs the database: also all or nothing.
    let unknown = "contact,C-1,ada@acme.io\nlead,L-1,stranger@acme.io\n";
    let report = app
        .post_form("/users/import", &[("csv", unknown)])
        .await
        .text()
        .await
        .unwrap();
    assert!(report.contains("No user of your organization has the email stranger@acme.io."));
    assert!(app.record_owners(org_id).await.is_empty());

    let good = "contact,C-1,ada@acme.io\n\"lead\",\"L-1, Northwind\",BOB@acme.io\nclient,K-1,ada@acme.io\n";
    let page = app
        .post_form("/users/import", &[("csv", good)])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Imported 3 records: 3 new, 0 with a new owner, 0 already as listed."));
    assert_eq!(
        app.record_owners(org_id).await,
        vec![Some(ada), Some(ada), Some(bob)]
    );
    // New records belong to the organization's first workspace.
    let (first, held) = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::owned_records;
            let first = gatehouse::workspaces::store::first_active(c, org_id).unwrap();
            let held: Vec<Option<i64>> = owned_records::table
                .select(owned_records::workspace_id)
                .load(c)
                .unwrap();
            (first, held)
        })
        .await;
    assert_eq!(held, vec![first; 3]);
    let again = "contact,C-1,bob@acme.io\nclient,K-1,ada@acme.io\n";
    let page = app
        .post_form("/users/import", &[("csv", again)])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Imported 2 records: 0 new, 1 with a new owner, 1 already as listed."));
    let imported = app.audit_details(org_id, "records.imported").await;
    assert_eq!(imported.len(), 2);
    assert_eq!(imported[0]["reassigned"], 1);
    // The records show in the Delete dialog.
    let dialog = app
        .hx_get(&format!("/users/{ada}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Ada owns 1 client."));
    // Managers (no users.manage) cannot import.
    let (browser, _) = app.browser_login("max@acme.io", PASSWORD).await;
    let response = app
        .post_from_page(&browser, "/account", "/users/import", &[("csv", good)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
