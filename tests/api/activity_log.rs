//! The audit log beyond the page: CSV and JSON-lines exports, retention, and the query plans
//! that keep filters and paging on indexes at a million events.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::activity::{event_count, many_events};
use crate::both;
use crate::helpers::{Backend, TestApp};

both!(
    the_csv_export_streams_the_current_filter,
    retention_deletes_each_organizations_old_events_in_batches,
    the_cli_export_prints_one_json_line_per_event,
    filters_and_paging_are_driven_by_indexes,
);

async fn the_csv_export_streams_the_current_filter(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let olive = app.org_owner(org_id).await;
    many_events(&app, org_id, olive, 2_100).await;
    let (_, page) = app.get_html("/activity?action=auth.sign_in").await;
    assert!(page.contains("href=\"/activity/export.csv?action=auth.sign_in\""));
    let response = app.get("/activity/export.csv?action=auth.sign_in").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(response.content_length().is_none(), "streamed");
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Time (UTC),Actor,Action,Target,Changes,IP,User agent"
    );
    // The 2,100 made here and the Owner's own from the setup link.
    assert_eq!(
        lines.len(),
        1 + 2_100 + 1,
        "every one, across several chunks"
    );
    assert!(lines.last().unwrap().contains("Via: setup"));
    assert!(lines[1].contains(",Signed in,") && lines[1].contains("N: 2099"));
    let csv = app
        .get("/activity/export.csv?action=org.setup")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2);
}

async fn retention_deletes_each_organizations_old_events_in_batches(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let olive = app.org_owner(org_id).await;
    many_events(&app, org_id, olive, 2_500).await;
    let before = event_count(&app, org_id).await;
    // 400 days later, one fresh event: everything else is past the default 365 days.
    app.state.clock.advance(chrono::Duration::days(400));
    many_events(&app, org_id, olive, 1).await;
    let now = app.state.clock.now();
    let deleted = app
        .db(move |c| gatehouse::audit::retention::purge(c, now).unwrap())
        .await;
    assert_eq!(deleted, before, "all old events, over several batches");
    assert_eq!(event_count(&app, org_id).await, 1);
    // A longer retention keeps them.
    app.db(move |c| {
        use gatehouse::db::schema::organizations;
        diesel::update(organizations::table.find(org_id))
            .set(organizations::audit_retention_days.eq(1000))
            .execute(c)
            .unwrap();
    })
    .await;
    many_events(&app, org_id, olive, 3).await;
    app.state.clock.advance(chrono::Duration::days(500));
    let now = app.state.clock.now();
    let deleted = app
        .db(move |c| gatehouse::audit::retention::purge(c, now).unwrap())
        .await;
    assert_eq!(deleted, 0);
}

async fn the_cli_export_prints_one_json_line_per_event(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let olive = app.org_owner(org_id).await;
    many_events(&app, org_id, olive, 1_200).await;
    let (lines, unknown) = app
        .db(|c| {
            let mut out = Vec::new();
            gatehouse::activity::export::json_lines(c, Some("acme"), None, &mut out).unwrap();
            let unknown =
                gatehouse::activity::export::json_lines(c, Some("nope"), None, &mut Vec::new())
                    .unwrap_err()
                    .to_string();
            (String::from_utf8(out).unwrap(), unknown)
        })
        .await;
    let events: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), event_count(&app, org_id).await);
    assert_eq!(events[0]["action"], "org.setup", "oldest first");
    let last = events.last().unwrap();
    assert_eq!(last["action"], "auth.sign_in");
    assert_eq!(last["org"], "acme");
    assert_eq!(last["details"]["n"], 1199);
    for key in [
        "id",
        "time",
        "actor_id",
        "actor",
        "target_id",
        "target",
        "ip",
        "user_agent",
    ] {
        assert!(last.get(key).is_some(), "{key}");
    }
    assert!(last["time"].as_str().unwrap().ends_with('Z'));
    assert!(unknown.contains("no organization has the slug `nope`"));
    // --since
    let tomorrow = (app.state.clock.now() + chrono::Duration::days(1)).date();
    let since = gatehouse::activity::export::parse_since(&tomorrow.to_string()).unwrap();
    let count = app
        .db(move |c| {
            gatehouse::activity::export::json_lines(c, None, Some(since), &mut Vec::new()).unwrap()
        })
        .await;
    assert_eq!(count, 0);
    assert!(gatehouse::activity::export::parse_since("last week").is_err());
}

async fn filters_and_paging_are_driven_by_indexes(app: TestApp) {
    use gatehouse::activity::forms::{Filter, Page};
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let olive = app.org_owner(org_id).await;
    // Realistic, ANALYZEd data: 60,000 events of 300 people over 300 days, 11 common actions
    // and a rare one.
    let start = app.state.clock.now() - chrono::Duration::days(300);
    app.db(move |c| {
        use diesel::connection::SimpleConnection;
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000) \
             INSERT INTO audit_events (org_id, actor_id, actor_label, action, target_id, target_label, details, ip, user_agent, created_at) \
             SELECT {org_id}, 100000 + (i % 300), 'user' || (i % 300) || '@acme.io', \
             CASE WHEN i % 997 = 0 THEN 'auth.blocked' ELSE CASE i % 11 WHEN 0 THEN 'auth.sign_in' WHEN 1 THEN 'auth.sign_in_failed' \
             WHEN 2 THEN 'user.updated' WHEN 3 THEN 'auth.sign_out' WHEN 4 THEN 'user.invited' WHEN 5 THEN 'mfa.reset' \
             WHEN 6 THEN 'org.settings_changed' WHEN 7 THEN 'auth.unblocked' WHEN 8 THEN 'user.created' \
             WHEN 9 THEN 'auth.password_changed' ELSE 'licenses.seats_changed' END END, \
             200000 + (i % 700), 'target' || (i % 700) || '@acme.io', '{{\"before\":{{\"phone\":\"+1 555 ' || i || '\",\"timezone\":\"Europe/London\"}},\"after\":{{\"phone\":\"+1 555 ' || (i + 7) || '\",\"timezone\":\"America/New_York\"}}}}', '10.0.' || (i % 250) || '.1', 'agent', \
             {start} FROM n",
            start = match app.backend {
                Backend::Sqlite => format!("datetime('{}', '+' || (i * 432) || ' seconds')", start.format("%Y-%m-%d %H:%M:%S")),
                Backend::Postgres => format!("TIMESTAMP '{}' + (i * 432) * INTERVAL '1 second'", start.format("%Y-%m-%d %H:%M:%S")),
            }
        );
        c.batch_execute(&sql).unwrap();
        gatehouse::db::analyze(c).unwrap();
    })
    .await;
    let base = Filter {
        org_id,
        ..Filter::default()
    };
    let day = |d: i64| start + chrono::Duration::days(d);
    /// Name, filter, page, then the indexes each backend's plan must use.
    type Case = (
        &'static str,
        Filter,
        Page,
        &'static [&'static str],
        &'static [&'static str],
    );
    let cases: Vec<Case> = vec![
        // One organization holds every event here, so walking the primary key is as good as
        // (org_id, id); either is an index walk from the cursor.
        (
            "newest",
            base.clone(),
            Page::First,
            &["audit_events_org|PRIMARY KEY"],
            &["audit_events_org|audit_events_pkey"],
        ),
        (
            "older page",
            base.clone(),
            Page::After(40_000),
            &["audit_events_org|PRIMARY KEY"],
            &["audit_events_org|audit_events_pkey"],
        ),
        (
            "rare action",
            Filter {
                action: Some("auth.blocked".into()),
                ..base.clone()
            },
            Page::First,
            &["audit_events_org_action"],
            &["audit_events_org_action"],
        ),
        (
            "actor",
            Filter {
                actor_id: Some(100_007),
                ..base.clone()
            },
            Page::First,
            &["audit_events_actor"],
            &["audit_events_actor"],
        ),
        (
            "target",
            Filter {
                target_id: Some(200_007),
                ..base.clone()
            },
            Page::First,
            &["audit_events_target"],
            &["audit_events_target"],
        ),
        (
            "user",
            Filter {
                user_id: Some(olive),
                ..base.clone()
            },
            Page::First,
            &["audit_events_actor", "audit_events_target"],
            &["audit_events_actor", "audit_events_target"],
        ),
        (
            "dates",
            Filter {
                since: Some(day(100)),
                until: Some(day(110)),
                ..base.clone()
            },
            Page::First,
            &["audit_events_org_time"],
            &["audit_events_org_time"],
        ),
        (
            "search",
            Filter {
                // A changed value of two events (the phone of event 31330's after and 31337's
                // before): rare enough that a planner looks it up rather than walking.
                search: Some("+1 555 31337\"".into()),
                ..base.clone()
            },
            Page::First,
            &["audit_fts"],
            &["audit_events_search_trgm"],
        ),
    ];
    for (name, filter, page, sqlite, postgres) in cases {
        let plan = app
            .db(move |c| {
                gatehouse::activity::store::explain(c, &filter, &page)
                    .unwrap()
                    .join("\n")
            })
            .await;
        let wanted = match app.backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        for index in wanted {
            assert!(
                index.split('|').any(|i| plan.contains(i)),
                "{name}: {index} not in\n{plan}"
            );
        }
        match app.backend {
            Backend::Sqlite => assert!(
                !plan.lines().any(|l| {
                    let step = l.trim_start_matches(['|', '-', '`', ' ']);
                    step == "SCAN e" || step == "SCAN t"
                }),
                "{name}: a table scan\n{plan}"
            ),
            Backend::Postgres => assert!(
                !plan.contains("Seq Scan on audit_events"),
                "{name}: a table scan\n{plan}"
            ),
        }
    }
}
