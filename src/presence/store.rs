//! Presence rows (one per open live connection) and the reads the poller needs.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    organizations, presence, role_permissions, sessions, user_permission_overrides, user_roles,
    users,
};
use crate::db::DbConn;

/// A connection as its row holds it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = presence)]
pub struct NewPresence {
    pub connection_id: String,
    pub user_id: i64,
    pub org_id: i64,
    pub instance_id: String,
    pub last_beat: NaiveDateTime,
    pub session_hash: String,
    pub opened_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, rows: &[NewPresence]) -> QueryResult<usize> {
    let mut done = 0;
    for chunk in rows.chunks(200) {
        done += crate::insert_batch!(conn, presence::table, chunk)?;
    }
    Ok(done)
}

pub fn delete(conn: &mut DbConn, ids: &[String]) -> QueryResult<usize> {
    let mut done = 0;
    for chunk in ids.chunks(500) {
        done += diesel::delete(presence::table.filter(presence::connection_id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(done)
}

/// The instance's heartbeat: every row it holds is fresh again. Returns how many it holds.
pub fn beat(conn: &mut DbConn, instance_id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(presence::table.filter(presence::instance_id.eq(instance_id)))
        .set(presence::last_beat.eq(now))
        .execute(conn)
}

pub fn delete_instance(conn: &mut DbConn, instance_id: &str) -> QueryResult<usize> {
    diesel::delete(presence::table.filter(presence::instance_id.eq(instance_id))).execute(conn)
}

/// The connections of `sessions` beyond `max` per session over every instance (fresh since
/// `fresh`), the oldest first to go: the cap holds per session, not per instance.
pub fn crowded(
    conn: &mut DbConn,
    sessions: &[String],
    fresh: NaiveDateTime,
    max: usize,
) -> QueryResult<Vec<String>> {
    let mut rows: Vec<(String, NaiveDateTime, String)> = Vec::new();
    for chunk in sessions.chunks(500) {
        rows.extend(
            presence::table
                .filter(presence::session_hash.eq_any(chunk))
                .filter(presence::last_beat.ge(fresh))
                .select((
                    presence::session_hash,
                    presence::opened_at,
                    presence::connection_id,
                ))
                .load::<(String, NaiveDateTime, String)>(conn)?,
        );
    }
    // Newest first within each session; past the first `max`, each goes.
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)));
    let mut crowded = Vec::new();
    let mut held = 0;
    for (i, (session, _, id)) in rows.iter().enumerate() {
        held = if i > 0 && rows[i - 1].0 == *session {
            held + 1
        } else {
            1
        };
        if held > max {
            crowded.push(id.clone());
        }
    }
    Ok(crowded)
}

/// Removes rows nobody has beaten since `cutoff` (their instance stopped or crashed).
pub fn sweep(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(presence::table.filter(presence::last_beat.lt(cutoff))).execute(conn)
}

/// Who is online in each of `orgs`: a fresh live connection anywhere, or a request since
/// `recent` (Last active is moved at most once a minute, so this errs towards online).
pub fn online(
    conn: &mut DbConn,
    orgs: &[i64],
    fresh: NaiveDateTime,
    recent: NaiveDateTime,
) -> QueryResult<HashMap<i64, HashSet<i64>>> {
    let mut online: HashMap<i64, HashSet<i64>> =
        orgs.iter().map(|o| (*o, HashSet::new())).collect();
    // Someone deactivated or blocked is offline at once, whatever their last request.
    let live: Vec<(i64, i64)> = presence::table
        .inner_join(users::table.on(users::id.eq(presence::user_id)))
        .filter(presence::org_id.eq_any(orgs))
        .filter(presence::last_beat.ge(fresh))
        .filter(users::status.eq(crate::users::status::ACTIVE))
        .filter(users::locked_at.is_null())
        .select((presence::org_id, presence::user_id))
        .distinct()
        .load(conn)?;
    // Through (org_id, active_sort, id): only the recently active are read.
    let requests: Vec<(i64, i64)> = users::table
        .filter(users::org_id.eq_any(orgs))
        .filter(users::active_sort.gt(recent))
        .filter(users::status.eq(crate::users::status::ACTIVE))
        .filter(users::locked_at.is_null())
        .select((users::org_id, users::id))
        .load(conn)?;
    for (org_id, user_id) in live.into_iter().chain(requests) {
        online.entry(org_id).or_default().insert(user_id);
    }
    Ok(online)
}

#[derive(Debug, Queryable)]
struct SessionCheck {
    id_hash: String,
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    status: String,
    locked: bool,
    idle_minutes: i32,
    max_hours: i32,
}

/// Which of these sessions still stand: not signed out, not expired, not idle or older than
/// the organization allows, the user active and not blocked. Reads only: a live connection
/// never keeps a session alive.
pub fn standing_sessions(
    conn: &mut DbConn,
    hashes: &[String],
    now: NaiveDateTime,
) -> QueryResult<HashSet<String>> {
    let mut standing = HashSet::new();
    for chunk in hashes.chunks(500) {
        let rows: Vec<SessionCheck> = sessions::table
            .inner_join(users::table.on(users::id.nullable().eq(sessions::user_id)))
            .inner_join(organizations::table.on(organizations::id.eq(users::org_id)))
            .filter(sessions::id_hash.eq_any(chunk))
            .select((
                sessions::id_hash,
                sessions::created_at,
                sessions::last_seen_at,
                sessions::expires_at,
                users::status,
                users::locked_at.is_not_null(),
                organizations::session_idle_minutes,
                organizations::session_max_hours,
            ))
            .load(conn)?;
        for row in rows {
            let idle = chrono::Duration::minutes(row.idle_minutes.into());
            let lifetime = chrono::Duration::hours(row.max_hours.into());
            let ok = row.expires_at > now
                && row.last_seen_at + idle > now
                && row.created_at + lifetime > now
                && row.status == crate::users::status::ACTIVE
                && !row.locked;
            if ok {
                standing.insert(row.id_hash);
            }
        }
    }
    Ok(standing)
}

/// Which of these (user, permission) pairs still hold: the user's roles grant it, or an
/// override grants it, and no override denies it (the same rule as `CurrentUser`).
pub fn holders(
    conn: &mut DbConn,
    checks: &[(i64, &'static str)],
) -> QueryResult<HashSet<(i64, &'static str)>> {
    if checks.is_empty() {
        return Ok(HashSet::new());
    }
    let users: Vec<i64> = checks.iter().map(|(u, _)| *u).collect();
    let names: Vec<&str> = checks.iter().map(|(_, p)| *p).collect();
    let grants: Vec<(i64, String)> = user_roles::table
        .inner_join(role_permissions::table.on(role_permissions::role_id.eq(user_roles::role_id)))
        .filter(user_roles::user_id.eq_any(&users))
        .filter(role_permissions::permission.eq_any(&names))
        .select((user_roles::user_id, role_permissions::permission))
        .load(conn)?;
    let overrides: Vec<(i64, String, bool)> = user_permission_overrides::table
        .filter(user_permission_overrides::user_id.eq_any(&users))
        .filter(user_permission_overrides::permission.eq_any(&names))
        .select((
            user_permission_overrides::user_id,
            user_permission_overrides::permission,
            user_permission_overrides::granted,
        ))
        .load(conn)?;
    let mut held: HashSet<(i64, String)> = grants.into_iter().collect();
    for (user, permission, granted) in overrides {
        if granted {
            held.insert((user, permission));
        } else {
            held.remove(&(user, permission));
        }
    }
    Ok(checks
        .iter()
        .filter(|(user, permission)| held.contains(&(*user, (*permission).to_owned())))
        .copied()
        .collect())
}
