//! Each user row keeps its roles, licenses and groups for the list (migration 000031, kept by
//! triggers): whatever path assigns, removes, renames or deletes, the kept columns equal what
//! the membership tables say.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{toast_of, Backend, TestApp, PASSWORD};

both!(
    a_users_roles_licenses_and_groups_on_the_list_follow_every_change,
    two_transactions_giving_one_person_groups_at_once_both_show,
    a_transaction_that_already_references_someone_and_another_both_add_their_groups,
    two_changes_of_one_person_that_reference_them_before_their_groups_take_turns,
);

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    wrong: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    with_roles: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    with_licenses: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    with_groups: i64,
}

/// How many users' kept columns differ from their memberships (and how many hold some).
async fn kept(app: &TestApp) -> Counts {
    let (agg, text) = match app.backend {
        Backend::Sqlite => ("group_concat", ""),
        Backend::Postgres => ("string_agg", "::text"),
    };
    let sql = format!(
        "SELECT \
           SUM(CASE WHEN COALESCE(u.role_names, '') <> COALESCE((SELECT {agg}(r.name, ',' ORDER BY r.name) \
               FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id), '') \
             OR COALESCE(u.license_names, '') <> COALESCE((SELECT {agg}(p.name, ',' ORDER BY p.name) \
               FROM license_assignments la JOIN products p ON p.id = la.product_id WHERE la.user_id = u.id), '') \
             OR COALESCE(u.group_ids, '') <> COALESCE((SELECT {agg}(gm.group_id{text}, ',' ORDER BY gm.group_id) \
               FROM group_members gm WHERE gm.user_id = u.id), '') \
           THEN 1 ELSE 0 END) AS wrong, \
           SUM(CASE WHEN u.role_names IS NOT NULL THEN 1 ELSE 0 END) AS with_roles, \
           SUM(CASE WHEN u.license_names IS NOT NULL THEN 1 ELSE 0 END) AS with_licenses, \
           SUM(CASE WHEN u.group_ids IS NOT NULL THEN 1 ELSE 0 END) AS with_groups \
         FROM users u"
    );
    app.db(move |c| diesel::sql_query(sql).get_result::<Counts>(c).unwrap())
        .await
}

async fn a_users_roles_licenses_and_groups_on_the_list_follow_every_change(app: TestApp) {
    let hash = app.state.hasher.hash(PASSWORD.into()).await.unwrap();
    let org_id = app
        .db(move |c| gatehouse::demo::seed(c, 600, &hash).unwrap().org_id)
        .await;
    crate::helpers::assert_redirect_to(
        &app.login_as(gatehouse::demo::ADMIN_EMAIL, PASSWORD).await,
        "/users",
    );
    // The seed's bulk inserts.
    let seeded = kept(&app).await;
    assert_eq!(seeded.wrong, 0);
    assert!(seeded.with_roles > 500 && seeded.with_licenses > 100 && seeded.with_groups > 50);

    // A role made, given to three people and renamed on its page.
    let response = app
        .hx_post(
            "/settings/roles",
            &[
                ("name", "Helpdesk"),
                ("description", ""),
                ("permission", "users.view"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let helpdesk = app.role_id(org_id, "Helpdesk").await;
    app.db(move |c| {
        use gatehouse::db::schema::users;
        let ids: Vec<i64> = users::table
            .filter(users::org_id.eq(org_id))
            .filter(users::email.ne(gatehouse::demo::ADMIN_EMAIL))
            .order(users::id)
            .select(users::id)
            .limit(3)
            .load(c)
            .unwrap();
        for id in ids {
            gatehouse::users::store::add_role(c, id, helpdesk).unwrap();
        }
    })
    .await;
    let response = app
        .hx_post(
            &format!("/settings/roles/{helpdesk}/edit"),
            &[
                ("name", "Helpdesk L1"),
                ("description", ""),
                ("permission", "users.view"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let agent = app.role_id(org_id, "Agent").await;
    // A tag added in bulk to every Agent (the filter), then a group deleted with its members.
    let vip = crate::groups::group_named(&app, org_id, "VIP").await;
    let action = format!("group_add:{vip}");
    let agent_id = agent.to_string();
    let mut fields = vec![
        ("action", action.as_str()),
        ("all_matching", "1"),
        ("q", ""),
        ("role", agent_id.as_str()),
        ("group", ""),
        ("active", "0"),
        ("confirmed", "1"),
    ];
    let response = app.hx_post("/users/bulk", &fields).await;
    assert!(toast_of(response.headers())
        .unwrap()
        .ends_with("users changed."));
    let key = crate::groups::group_named(&app, org_id, "Key account").await;
    let response = app
        .hx_post(&format!("/settings/groups/{key}/delete"), &[])
        .await;
    assert!(toast_of(response.headers()).unwrap().contains("deleted"));
    fields.clear();
    // A product renamed and a person deleted (their rows go by cascade), straight in the
    // database: the triggers hold whatever writes.
    app.db(move |c| {
        use gatehouse::db::schema::{products, users};
        diesel::update(products::table.filter(products::org_id.eq(org_id)))
            .set(products::name.eq(products::name.concat(" (2027)")))
            .execute(c)
            .unwrap();
        let someone: i64 = users::table
            .filter(users::org_id.eq(org_id))
            .filter(users::email.ne(gatehouse::demo::ADMIN_EMAIL))
            .order(users::id.desc())
            .select(users::id)
            .first(c)
            .unwrap();
        diesel::delete(users::table.find(someone))
            .execute(c)
            .unwrap();
    })
    .await;
    let after = kept(&app).await;
    assert_eq!(after.wrong, 0);
    assert!(after.with_roles > 500 && after.with_licenses > 100 && after.with_groups > 50);

    // The list shows what the rows keep.
    let (_, page) = app.get_html("/users?active=0").await;
    assert!(page.contains("Helpdesk L1"), "{page}");
    assert!(page.contains(" (2027)"), "{page}");
}

/// Two writers give the same person a group each, their transactions overlapping: the row
/// keeps both (PostgreSQL's trigger locks the user's row before it aggregates, so the second
/// sees the first's commit; SQLite's writers take turns).
async fn two_transactions_giving_one_person_groups_at_once_both_show(app: TestApp) {
    use gatehouse::db::schema::{group_members, org_groups};
    let (ann, vip, key) = ann_and_two_tags(&app).await;
    let give = |group: i64| {
        app.db(move |c| {
            gatehouse::db::write_tx(c, |c| {
                diesel::insert_into(group_members::table)
                    .values((
                        group_members::user_id.eq(ann),
                        group_members::group_id.eq(group),
                    ))
                    .execute(c)?;
                // Still open while the other writer starts.
                std::thread::sleep(std::time::Duration::from_millis(300));
                Ok::<_, diesel::result::Error>(())
            })
            .unwrap()
        })
    };
    futures_util::future::join(give(vip), give(key)).await;
    let ids = kept_group_ids(&app, ann).await;
    let mut expected = vec![vip, key];
    expected.sort();
    assert_eq!(ids, expected);
    let held: i64 = app
        .db(move |c| {
            group_members::table
                .inner_join(org_groups::table)
                .filter(group_members::user_id.eq(ann))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(held, 2);
}

/// A save that already wrote a row referencing the person (an audit row, a mail: on
/// PostgreSQL the foreign key holds a KEY SHARE lock on their row) then gives them a group,
/// while another transaction gives them one too. Before migration 000034 the two deadlocked
/// (each held the shared lock the other's refresh waited on) and PostgreSQL failed one.
async fn a_transaction_that_already_references_someone_and_another_both_add_their_groups(
    app: TestApp,
) {
    use gatehouse::db::schema::group_members;
    let (ann, vip, key) = ann_and_two_tags(&app).await;
    let give = move |c: &mut gatehouse::db::DbConn, group: i64| {
        diesel::insert_into(group_members::table)
            .values((
                group_members::user_id.eq(ann),
                group_members::group_id.eq(group),
            ))
            .execute(c)
    };
    let first = app.db(move |c| {
        gatehouse::db::write_tx(c, |c| {
            if let gatehouse::db::DbConn::Pg(pg) = c {
                diesel::sql_query(format!(
                    "SELECT 1 FROM users WHERE id = {ann} FOR KEY SHARE"
                ))
                .execute(pg)?;
            }
            // The other transaction starts meanwhile and waits for this one.
            std::thread::sleep(std::time::Duration::from_millis(400));
            give(c, vip)
        })
    });
    let second = async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        app.db(move |c| gatehouse::db::write_tx(c, |c| give(c, key)))
            .await
    };
    let (first, second) = futures_util::future::join(first, second).await;
    assert!(first.is_ok(), "the first transaction: {first:?}");
    assert!(second.is_ok(), "the second transaction: {second:?}");
    let ids = kept_group_ids(&app, ann).await;
    let mut expected = vec![vip, key];
    expected.sort();
    assert_eq!(ids, expected, "both groups on the list");
}

/// Two changes of one person (as an Edit User save: rows that reference them first, their
/// groups after) at once: with the person's row locked first, the second waits for the first;
/// without it each held the KEY SHARE the other's group needed (a deadlock on PostgreSQL).
async fn two_changes_of_one_person_that_reference_them_before_their_groups_take_turns(
    app: TestApp,
) {
    use gatehouse::db::schema::group_members;
    let (ann, vip, key) = ann_and_two_tags(&app).await;
    let (first, second) = futures_util::future::join(change(&app, ann, vip, 400), async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        change(&app, ann, key, 0).await
    })
    .await;
    assert!(first.is_ok(), "the first change: {first:?}");
    assert!(second.is_ok(), "the second change: {second:?}");
    let held: i64 = app
        .db(move |c| {
            group_members::table
                .filter(group_members::user_id.eq(ann))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(held, 2);
}

/// Locks the person first, references them, waits `pause` ms, then gives them `group`.
async fn change(app: &TestApp, ann: i64, group: i64, pause: u64) -> QueryResult<usize> {
    use gatehouse::db::schema::group_members;
    app.db(move |c| {
        gatehouse::db::write_tx(c, |c| {
            gatehouse::users::store::lock_for_change(c, ann)?;
            // A row that references the person (chat divisions, a field value).
            if let gatehouse::db::DbConn::Pg(pg) = c {
                diesel::sql_query(format!(
                    "SELECT 1 FROM users WHERE id = {ann} FOR KEY SHARE"
                ))
                .execute(pg)?;
            }
            std::thread::sleep(std::time::Duration::from_millis(pause));
            diesel::insert_into(group_members::table)
                .values((
                    group_members::user_id.eq(ann),
                    group_members::group_id.eq(group),
                ))
                .execute(c)
        })
    })
    .await
}

/// An organization with Ann (an Agent) and two tags: (Ann, VIP, Key account).
async fn ann_and_two_tags(app: &TestApp) -> (i64, i64, i64) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ann = app
        .add_people(
            org_id,
            vec![crate::helpers::someone("Ann", "ann@acme.io", "Agent")],
        )
        .await[0];
    for (kind, name) in [("tag", "VIP"), ("tag", "Key account")] {
        crate::groups::create_group(app, kind, name).await;
    }
    let vip = crate::groups::group_named(app, org_id, "VIP").await;
    let key = crate::groups::group_named(app, org_id, "Key account").await;
    (ann, vip, key)
}

/// The group ids the user's row keeps for the list, sorted.
async fn kept_group_ids(app: &TestApp, user_id: i64) -> Vec<i64> {
    #[derive(QueryableByName)]
    struct Kept {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        group_ids: Option<String>,
    }
    let kept = app
        .db(move |c| {
            diesel::sql_query(format!("SELECT group_ids FROM users WHERE id = {user_id}"))
                .get_result::<Kept>(c)
                .unwrap()
                .group_ids
        })
        .await;
    let mut ids: Vec<i64> = kept
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.parse().ok())
        .collect();
    ids.sort();
    ids
}
