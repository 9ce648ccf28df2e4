//! `gatehouse seed-demo --users N`: the organization "Demo Corp" filled with realistic,
//! deterministic users, for trying the console and for the benchmark.

use std::time::Instant;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::permissions::{ADMIN, AGENT, MANAGER, OWNER, SUPERVISOR};
use crate::db::schema::{
    divisions, group_members, license_assignments, organizations, products, user_field_values,
    user_roles, users,
};
use crate::db::{write_tx, DbConn};
use crate::groups::Kind;
use crate::users::{name_key, search_text, status};

mod fields;
pub mod lead;
mod rng;
pub mod workspaces;
use crate::{insert_batch, orgs};
use fields::{demo_fields, demo_values};
use rng::Rng;
pub const ORG_NAME: &str = "Demo Corp";
pub const ADMIN_EMAIL: &str = "admin@demo.test";
/// Search term that matches about 500 users at any N (their mail domain), for the benchmark.
pub const SEARCH_TERM: &str = "northwind";
const SEARCH_MATCHES: u64 = 500;

/// Activity falls in the 120 days before the start of the seeding day (UTC): the same data
/// all day, and recent enough for the time-based rules (inactivity, password age) to hold for
/// it as they would for a real organization.
pub fn reference_date() -> NaiveDateTime {
    chrono::Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
}

/// The demo organization blocks accounts unused for this long (the default policy); older demo
/// users are seeded as blocked for inactivity, as the periodic check would leave them.
const INACTIVE_DAYS: i64 = 90;

/// Given and family names, one per line (data, kept out of the code).
/// The demo's groups and the share of users (per cent) holding each; every user is on one
/// of the four teams.
const GROUPS: &[(Kind, &str, u64)] = &[
    (Kind::Tag, "VIP", 2),
    (Kind::Tag, "Key account", 5),
    (Kind::Skill, "Spanish", 20),
    (Kind::Skill, "French", 10),
    (Kind::Team, "North", 25),
    (Kind::Team, "South", 25),
    (Kind::Team, "East", 25),
    (Kind::Team, "West", 25),
];

const FIRST_NAMES: &str = include_str!("first_names.txt");
const LAST_NAMES: &str = include_str!("last_names.txt");

const DIVISIONS: &[&str] = &[
    "North",
    "South",
    "East",
    "West",
    "Enterprise",
    "SMB",
    "Support",
    "Partners",
];
const DOMAINS: &[&str] = &[
    "demo.test",
    "corp.demo.test",
    "sales.demo.test",
    "support.demo.test",
];

#[derive(Insertable)]
#[diesel(table_name = users)]
struct DemoUser {
    org_id: i64,
    email: String,
    first_name: String,
    last_name: String,
    name_key: String,
    search_text: String,
    status: &'static str,
    password_hash: Option<String>,
    password_changed_at: Option<NaiveDateTime>,
    last_login_at: Option<NaiveDateTime>,
    last_active_at: Option<NaiveDateTime>,
    locked_at: Option<NaiveDateTime>,
    lock_reason: Option<&'static str>,
    inactivity_warned_at: Option<NaiveDateTime>,
    division_id: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Roles by share of users (per mille): most are agents.
fn role_for(rng: &mut Rng) -> &'static str {
    match rng.below(1000) {
        0..=9 => ADMIN,
        10..=59 => MANAGER,
        60..=159 => SUPERVISOR,
        _ => AGENT,
    }
}

pub struct SeedReport {
    pub org_id: i64,
    pub users: u64,
    pub seconds: f64,
}

/// Replaces Demo Corp with `count` users plus the admin. `password_hash` is used for every
/// demo account (hashed once by the caller).
pub fn seed(conn: &mut DbConn, count: u64, password_hash: &str) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let first_names: Vec<&str> = FIRST_NAMES.lines().collect();
    let last_names: Vec<&str> = LAST_NAMES.lines().collect();
    let created = reference_date() - chrono::Duration::days(400);
    let reference = reference_date();
    let seeded_at = chrono::Utc::now().naive_utc();
    let org_id = write_tx(conn, |conn| -> anyhow::Result<i64> {
        let existing: Option<i64> = organizations::table
            .filter(organizations::name.eq(ORG_NAME))
            .select(organizations::id)
            .first(conn)
            .optional()?;
        if let Some(id) = existing {
            // Refill: the whole organization goes (its rows cascade) and comes back fresh.
            diesel::delete(organizations::table.find(id)).execute(conn)?;
        }
        diesel::delete(users::table.filter(users::email.eq(ADMIN_EMAIL))).execute(conn)?;
        let seats = i32::try_from(count + 1).unwrap_or(i32::MAX);
        let org_id = orgs::store::create(conn, ORG_NAME, seats, created)?;
        // Unless another organization holds it already.
        orgs::domains::claim(conn, org_id, "demo.test", created)?;
        let rows: Vec<_> = DIVISIONS
            .iter()
            .map(|d| {
                (
                    divisions::org_id.eq(org_id),
                    divisions::name.eq(*d),
                    divisions::name_key.eq(crate::groups::name_key(d)),
                )
            })
            .collect();
        insert_batch!(conn, divisions::table, &rows)?;
        for (kind, name, _) in GROUPS {
            crate::groups::store::insert(conn, org_id, *kind, name, created)?;
        }
        Ok(org_id)
    })?;
    // Group ids in GROUPS' order; their own random sequence leaves the users as they were.
    let made = crate::groups::store::all(conn, org_id)?;
    let group_ids: Vec<i64> = GROUPS
        .iter()
        .map(|(_, name, _)| made.iter().find(|g| g.name == *name).map_or(0, |g| g.id))
        .collect();
    let mut group_rng = Rng(0x0060_0F5E_ED00_0000 ^ count);
    let field_ids = demo_fields(conn, org_id, created)?;
    let mut field_rng = Rng(0x00F1_E1D5_EED0_0000 ^ count);
    let division_ids: Vec<i64> = divisions::table
        .filter(divisions::org_id.eq(org_id))
        .order(divisions::id)
        .select(divisions::id)
        .load(conn)?;
    let role_ids: std::collections::HashMap<String, i64> =
        crate::users::store::org_roles(conn, org_id)?
            .into_iter()
            .map(|(id, name)| (name, id))
            .collect();
    let product_ids: Vec<i64> = products::table
        .filter(products::org_id.eq(org_id))
        .order(products::id)
        .select(products::id)
        .load(conn)?;

    let mut rng = Rng(0x6A7E_40A5_E000_0000 ^ count);
    let search_every = (count / SEARCH_MATCHES).max(1);
    const BATCH: u64 = 2_000;
    // A bulk load: no fsyncs on this connection (the command exits when done). A bigger page
    // cache was tried and is slower: every statement's savepoint walks the cached dirty pages.
    if let DbConn::Sqlite(c) = conn {
        use diesel::connection::SimpleConnection;
        c.batch_execute("PRAGMA synchronous = OFF;")?;
    }
    write_tx(conn, |conn| -> anyhow::Result<()> {
        // SQLite: the search index is built once at the end rather than row by row through
        // its trigger (per-row trigger statements cost most of the load).
        if let DbConn::Sqlite(c) = conn {
            use diesel::connection::SimpleConnection;
            c.batch_execute("DROP TRIGGER users_fts_insert;")?;
        }
        // The admin first: the Owner of Demo Corp.
        let admin = DemoUser {
            org_id,
            email: ADMIN_EMAIL.into(),
            first_name: "Demo".into(),
            last_name: "Admin".into(),
            name_key: name_key("Demo", "Admin"),
            search_text: search_text("Demo", "Admin", ADMIN_EMAIL),
            status: status::ACTIVE,
            password_hash: Some(password_hash.to_owned()),
            password_changed_at: Some(reference),
            last_login_at: Some(reference),
            last_active_at: Some(reference),
            locked_at: None,
            lock_reason: None,
            inactivity_warned_at: None,
            division_id: None,
            created_at: created,
            updated_at: created,
        };
        insert_batch!(conn, users::table, &vec![admin])?;
        let admin_id: i64 = users::table
            .filter(users::email.eq(ADMIN_EMAIL))
            .select(users::id)
            .first(conn)?;
        diesel::insert_into(user_roles::table)
            .values((
                user_roles::user_id.eq(admin_id),
                user_roles::role_id.eq(role_ids[OWNER]),
            ))
            .execute(conn)?;

        let mut seats_used = vec![0i32; product_ids.len()];
        let mut start = 0;
        while start < count {
            let end = (start + BATCH).min(count);
            let mut batch = Vec::with_capacity((end - start) as usize);
            let mut plans = Vec::with_capacity(batch.capacity());
            for i in start..end {
                let first = rng.pick(&first_names);
                let last = rng.pick(&last_names);
                let domain = if i % search_every == 0 {
                    "northwind.demo.test"
                } else {
                    rng.pick(DOMAINS)
                };
                let local: String = format!("{}.{}", first, last)
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                let email = format!("{local}.{i}@{domain}");
                let roll = rng.below(100);
                let status = match roll {
                    0..=9 => status::INACTIVE,
                    10..=11 => status::INVITED,
                    _ => status::ACTIVE,
                };
                let invited = status == status::INVITED;
                let last_active = (!invited)
                    .then(|| reference - chrono::Duration::seconds(rng.below(120 * 86_400) as i64));
                // As the periodic check leaves them: blocked past the limit, warned within
                // the week before it.
                let blocked_at = last_active
                    .map(|t| t + chrono::Duration::days(INACTIVE_DAYS))
                    .filter(|at| *at < seeded_at && status == status::ACTIVE);
                let warned_at = last_active
                    .map(|t| t + chrono::Duration::days(INACTIVE_DAYS - 7))
                    .filter(|at| *at < seeded_at && status == status::ACTIVE);
                let password_changed = reference - chrono::Duration::days(rng.below(100) as i64);
                let role = role_for(&mut rng);
                let licensed: Vec<bool> = [70, 40, 30]
                    .iter()
                    .map(|share| {
                        status != status::INACTIVE && role != MANAGER && rng.below(100) < *share
                    })
                    .collect();
                plans.push((role, licensed));
                batch.push(DemoUser {
                    org_id,
                    name_key: name_key(first, last),
                    search_text: search_text(first, last, &email),
                    email,
                    first_name: first.into(),
                    last_name: last.into(),
                    status,
                    password_hash: (!invited).then(|| password_hash.to_owned()),
                    password_changed_at: (!invited).then_some(password_changed),
                    last_login_at: last_active,
                    last_active_at: last_active,
                    locked_at: blocked_at,
                    lock_reason: blocked_at.map(|_| "inactivity"),
                    inactivity_warned_at: warned_at,
                    division_id: Some(division_ids[rng.below(division_ids.len() as u64) as usize]),
                    created_at: created,
                    updated_at: created,
                });
            }
            insert_batch!(conn, users::table, &batch)?;
            // Ids were handed out in insert order by this, the only writer.
            let ids: Vec<i64> = users::table
                .filter(users::org_id.eq(org_id))
                .filter(users::id.gt(admin_id))
                .order(users::id.desc())
                .limit((end - start) as i64)
                .select(users::id)
                .load(conn)?;
            let mut role_rows = Vec::with_capacity(ids.len());
            let mut license_rows = Vec::new();
            let mut member_rows = Vec::new();
            let mut value_rows = Vec::new();
            for (id, (role, licensed)) in ids.into_iter().rev().zip(plans) {
                value_rows.extend(demo_values(&field_ids, id, field_rng.below(100)));
                let team = 4 + group_rng.below(4) as usize;
                for (index, (kind, _, share)) in GROUPS.iter().enumerate() {
                    let holds = match kind {
                        Kind::Team => index == team,
                        _ => group_rng.below(100) < *share,
                    };
                    if holds {
                        member_rows.push((
                            group_members::user_id.eq(id),
                            group_members::group_id.eq(group_ids[index]),
                        ));
                    }
                }
                role_rows.push((
                    user_roles::user_id.eq(id),
                    user_roles::role_id.eq(role_ids[role]),
                ));
                for (index, has) in licensed.into_iter().enumerate() {
                    if has {
                        seats_used[index] += 1;
                        license_rows.push((
                            license_assignments::user_id.eq(id),
                            license_assignments::product_id.eq(product_ids[index]),
                            license_assignments::created_at.eq(created),
                        ));
                    }
                }
            }
            for chunk in role_rows.chunks(5_000) {
                insert_batch!(conn, user_roles::table, chunk)?;
            }
            for chunk in license_rows.chunks(5_000) {
                insert_batch!(conn, license_assignments::table, chunk)?;
            }
            for chunk in member_rows.chunks(5_000) {
                insert_batch!(conn, group_members::table, chunk)?;
            }
            for chunk in value_rows.chunks(5_000) {
                insert_batch!(conn, user_field_values::table, chunk)?;
            }
            start = end;
        }
        for (product_id, used) in product_ids.iter().zip(seats_used) {
            diesel::update(products::table.find(product_id))
                .set(products::seats_used.eq(used))
                .execute(conn)?;
        }
        if let DbConn::Sqlite(c) = conn {
            use diesel::connection::SimpleConnection;
            // The same trigger as migrations/sqlite's foundation creates. 'optimize' after
            // 'rebuild' leaves the index as one segment where later merges do not reach it:
            // left as rebuilt, the first writers' merges rewrote all of it inside their commits
            // (at 1,000,000 users the 12th change of a user's search text after the seed took
            // 0.4 s and the 168th 1.7 s; with it, 3,000 changes took 0.24 s in all, not 2.35).
            c.batch_execute(
                "INSERT INTO users_fts (users_fts) VALUES ('rebuild');
                 INSERT INTO users_fts (users_fts) VALUES ('optimize');
                 CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
                     INSERT INTO users_fts (rowid, search_text) VALUES (new.id, new.search_text);
                 END;",
            )?;
        }
        Ok(crate::workspaces::store::everyone_joins(conn, org_id, ADMIN_EMAIL).map(drop)?)
    })?;
    lead::add(conn, org_id, password_hash, reference)?;
    crate::db::analyze(conn)?;
    Ok(SeedReport {
        org_id,
        users: count + 2,
        seconds: started.elapsed().as_secs_f64(),
    })
}
