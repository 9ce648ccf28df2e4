//! A change to several people at once locks them in one order (by id, as a bulk action goes):
//! a group deleted, a role's holders moved, a group's members set over SCIM and a division's
//! users moved each meet their people in another order (name, insertion, the table's), and on
//! PostgreSQL each membership's list facts lock its person (migrations 000031, 000034). Here
//! another transaction locks Zed, then Amy (Zed's id is the lower, Amy comes first by name
//! and by insertion) while the change runs: both must finish. Without the change locking in
//! id order first, each held one person and waited for the other, and PostgreSQL failed one.
//! A bulk action over everyone matching goes in list order, 500 people at a time.

use std::future::Future;
use std::time::Duration;

use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::helpers::{someone, TestApp};
use gatehouse::db::schema::{group_members, users};

both!(
    a_group_deleted_while_its_members_are_locked_in_id_order_waits_its_turn,
    a_role_deleted_moving_its_holders_waits_its_turn,
    a_scim_group_whose_members_are_replaced_waits_its_turn,
    a_division_deleted_moving_its_users_waits_its_turn,
    a_bulk_action_over_everyone_matching_waits_its_turn,
    records_imported_for_several_owners_wait_their_turn,
);

/// Zed (the lower id) and Amy, both Agents of Acme: (org, zed, amy).
async fn zed_and_amy(app: &TestApp) -> (i64, i64, i64) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Zed", "zed@acme.io", "Agent"),
                someone("Amy", "amy@acme.io", "Agent"),
            ],
        )
        .await;
    assert!(ids[0] < ids[1]);
    (org_id, ids[0], ids[1])
}

/// Runs `change` while another transaction locks Zed, waits, then locks Amy; answers the
/// change's status once both are done, the other transaction having committed.
async fn beside_an_id_order_locker<F>(
    app: &TestApp,
    (zed, amy): (i64, i64),
    change: F,
) -> StatusCode
where
    F: Future<Output = StatusCode>,
{
    let locker = app.db(move |c| {
        gatehouse::db::write_tx(c, |c| {
            gatehouse::users::store::lock_for_change(c, zed)?;
            // The change starts meanwhile; without the ordered lock it meets Amy first.
            until_someone_waits(c)?;
            gatehouse::users::store::lock_for_change(c, amy)
        })
    });
    let change = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        change.await
    };
    let (locked, status) = futures_util::future::join(locker, change).await;
    assert!(locked.is_ok(), "the other transaction: {locked:?}");
    status
}

/// On PostgreSQL, until another transaction waits for this one (the change, stopped at Zed:
/// whatever it does before, it has done); on SQLite, whose writers take turns, a while.
fn until_someone_waits(c: &mut gatehouse::db::DbConn) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let gatehouse::db::DbConn::Pg(pg) = c else {
        std::thread::sleep(Duration::from_millis(500));
        return Ok(());
    };
    for _ in 0..1_000 {
        // pg_stat_activity is read once per transaction unless told to read it again.
        diesel::sql_query("SELECT pg_stat_clear_snapshot()").execute(pg)?;
        let waiting: Waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))",
        )
        .get_result(pg)?;
        if waiting.n > 0 {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the change never waited for the transaction holding Zed");
}

async fn a_group_deleted_while_its_members_are_locked_in_id_order_waits_its_turn(app: TestApp) {
    let (org_id, zed, amy) = zed_and_amy(&app).await;
    crate::groups::create_group(&app, "tag", "VIP").await;
    let vip = crate::groups::group_named(&app, org_id, "VIP").await;
    for user_id in [amy, zed] {
        app.db(move |c| gatehouse::groups::store::add_member(c, user_id, vip).unwrap())
            .await;
    }
    let path = format!("/settings/groups/{vip}/delete");
    let status = beside_an_id_order_locker(&app, (zed, amy), async {
        app.hx_post(&path, &[]).await.status()
    })
    .await;
    assert_eq!(status, StatusCode::OK);
    let left = members_of(&app, vip).await;
    assert_eq!(left, 0);
    assert_eq!(
        app.audit_details(org_id, "group.deleted").await[0]["members"],
        2
    );
}

async fn a_role_deleted_moving_its_holders_waits_its_turn(app: TestApp) {
    let (org_id, zed, amy) = zed_and_amy(&app).await;
    app.hx_post(
        "/settings/roles",
        &[
            ("name", "Night shift"),
            ("description", "Nights"),
            ("permission", "users.view"),
        ],
    )
    .await;
    let night = app
        .db(move |c| {
            gatehouse::orgs::catalog::load_roles(c, org_id)
                .unwrap()
                .into_iter()
                .find(|r| r.name == "Night shift")
                .expect("the role")
                .id
        })
        .await;
    for user_id in [amy, zed] {
        app.db(move |c| gatehouse::users::store::add_role(c, user_id, night).unwrap())
            .await;
    }
    let manager = app.role_id(org_id, "Manager").await.to_string();
    let path = format!("/settings/roles/{night}/delete");
    let status = beside_an_id_order_locker(&app, (zed, amy), async {
        app.hx_post(&path, &[("move_to", manager.as_str())])
            .await
            .status()
    })
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.audit_details(org_id, "role.deleted").await[0]["moved"],
        2
    );
}

async fn a_scim_group_whose_members_are_replaced_waits_its_turn(app: TestApp) {
    let (_, zed, amy) = zed_and_amy(&app).await;
    let token = crate::scim::token(&app).await;
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Sales",
        "members": [{ "value": zed.to_string() }],
    });
    let (status, group) =
        crate::scim::scim(&app, Method::POST, "/scim/v2/Groups", &token, Some(group)).await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let path = format!("/scim/v2/Groups/{}", group["id"].as_str().unwrap());
    // Amy joins (first), Zed leaves (after).
    let replace = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": "members", "value": [{ "value": amy.to_string() }] }],
    });
    let status = beside_an_id_order_locker(&app, (zed, amy), async {
        crate::scim::scim(&app, Method::PATCH, &path, &token, Some(replace))
            .await
            .0
    })
    .await;
    assert!(status.is_success(), "{status}");
    let (_, group) = crate::scim::scim(&app, Method::GET, &path, &token, None).await;
    let members: Vec<&str> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, [amy.to_string()]);
}

async fn a_division_deleted_moving_its_users_waits_its_turn(app: TestApp) {
    let (org_id, zed, amy) = zed_and_amy(&app).await;
    for name in ["North", "South"] {
        app.get_html("/settings/divisions").await;
        app.post_form("/settings/divisions", &[("name", name)])
            .await;
    }
    let named = |name: &'static str| {
        app.db(move |c| {
            gatehouse::divisions::store::all_with_counts(c, org_id)
                .unwrap()
                .into_iter()
                .find(|(d, _)| d.name == name)
                .map(|(d, _)| d.id)
                .expect("division")
        })
    };
    let (north, south) = (named("North").await, named("South").await);
    // Amy first, then Zed: Zed's row is written last (PostgreSQL's scan meets Amy first).
    for user_id in [amy, zed] {
        app.db(move |c| {
            diesel::update(users::table.find(user_id))
                .set(users::division_id.eq(north))
                .execute(c)
                .unwrap()
        })
        .await;
    }
    let path = format!("/settings/divisions/{north}/delete");
    let south_id = south.to_string();
    let status = beside_an_id_order_locker(&app, (zed, amy), async {
        app.hx_post(&path, &[("move_to", south_id.as_str())])
            .await
            .status()
    })
    .await;
    assert_eq!(status, StatusCode::OK);
    let moved: i64 = app
        .db(move |c| {
            users::table
                .filter(users::division_id.eq(south))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(moved, 2);
}

async fn a_bulk_action_over_everyone_matching_waits_its_turn(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    // Zed first (the lowest id, last by name), then 500 people before him by name: the
    // selection's first 500 hold every Amy, its last Zed.
    let mut people = vec![someone("Zed", "zed@northwind.test", "Agent")];
    people.extend((0..500).map(|i| {
        let email: &'static str = Box::leak(format!("amy{i}@northwind.test").into_boxed_str());
        someone("Amy", email, "Agent")
    }));
    let ids = app.add_people(org_id, people).await;
    let (zed, amy) = (ids[0], ids[1]);
    crate::groups::create_group(&app, "tag", "VIP").await;
    let vip = crate::groups::group_named(&app, org_id, "VIP").await;
    let action = format!("group_add:{vip}");
    let fields = [
        ("action", action.as_str()),
        ("all_matching", "1"),
        ("q", "northwind"),
        ("active", "0"),
        ("confirmed", "1"),
    ];
    app.get_html("/users?q=northwind").await;
    let status = beside_an_id_order_locker(&app, (zed, amy), async {
        app.hx_post("/users/bulk", &fields).await.status()
    })
    .await;
    assert_eq!(status, StatusCode::OK);
    let tagged = members_of(&app, vip).await;
    assert_eq!(tagged, 501);
}

/// Records imported for Amy, then Zed: each new record's owner check holds a share of its
/// owner's row, which a change locking Amy must wait for.
async fn records_imported_for_several_owners_wait_their_turn(app: TestApp) {
    let (org_id, zed, amy) = zed_and_amy(&app).await;
    app.get_html("/users/import").await;
    let csv = "contact,C-1,amy@acme.io\nlead,L-1,zed@acme.io\n";
    let status = beside_an_id_order_locker(&app, (zed, amy), async {
        app.post_form("/users/import", &[("csv", csv)])
            .await
            .status()
    })
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut owners = app.record_owners(org_id).await;
    owners.sort();
    assert_eq!(owners, vec![Some(zed), Some(amy)]);
}

/// How many people hold the group.
async fn members_of(app: &TestApp, group: i64) -> i64 {
    app.db(move |c| {
        group_members::table
            .filter(group_members::group_id.eq(group))
            .count()
            .get_result(c)
            .unwrap()
    })
    .await
}
