//! `gatehouse seed-demo --users N`: the organization "Demo Corp" filled with realistic,
//! deterministic users, for trying the console and for the benchmark.

use std::time::Instant;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{divisions, organizations, users};
use crate::db::{write_tx, DbConn};
use crate::groups::Kind;

mod fields;
pub mod lead;
mod people;
mod rng;
pub mod workspaces;
use crate::{insert_batch, orgs};
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

pub struct SeedReport {
    pub org_id: i64,
    pub users: u64,
    pub seconds: f64,
}

/// Replaces Demo Corp with `count` users plus the admin. `password_hash` is used for every
/// demo account (hashed once by the caller).
pub fn seed(conn: &mut DbConn, count: u64, password_hash: &str) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let created = reference_date() - chrono::Duration::days(400);
    let reference = reference_date();
    let org_id = fresh_org(conn, count, created)?;
    let mut spread = people::Spread::load(conn, org_id, count, created)?;
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
        let admin_id = people::insert_admin(conn, &spread, password_hash, (created, reference))?;
        let stamps = people::Stamps {
            created,
            reference,
            seeded_at: chrono::Utc::now().naive_utc(),
        };
        spread.insert_people(conn, admin_id, password_hash, &stamps)?;
        if let DbConn::Sqlite(c) = conn {
            rebuild_search_index(c)?;
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

/// Demo Corp afresh (its old rows cascade away), with its domain, divisions and groups.
fn fresh_org(conn: &mut DbConn, count: u64, created: NaiveDateTime) -> anyhow::Result<i64> {
    write_tx(conn, |conn| -> anyhow::Result<i64> {
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
    })
}

/// The same trigger as migrations/sqlite's foundation creates. 'optimize' after 'rebuild'
/// leaves the index as one segment where later merges do not reach it: left as rebuilt, the
/// first writers' merges rewrote all of it inside their commits (at 1,000,000 users the 12th
/// change of a user's search text after the seed took 0.4 s and the 168th 1.7 s; with it,
/// 3,000 changes took 0.24 s in all, not 2.35).
fn rebuild_search_index(c: &mut diesel::SqliteConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    c.batch_execute(
        "INSERT INTO users_fts (users_fts) VALUES ('rebuild');
         INSERT INTO users_fts (users_fts) VALUES ('optimize');
         CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
             INSERT INTO users_fts (rowid, search_text) VALUES (new.id, new.search_text);
         END;",
    )
}
