//! The demo's people: the admin, then `count` users in batches, each with a role, licenses,
//! groups and field values drawn from fixed random sequences (the same data at any run).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::fields::{demo_fields, demo_values, ValueRow};
use super::rng::Rng;
use super::{ADMIN_EMAIL, DOMAINS, FIRST_NAMES, GROUPS, INACTIVE_DAYS, LAST_NAMES, SEARCH_MATCHES};
use crate::auth::permissions::{ADMIN, AGENT, MANAGER, OWNER, SUPERVISOR};
use crate::db::schema::{
    divisions, group_members, license_assignments, products, user_field_values, user_roles, users,
};
use crate::db::DbConn;
use crate::groups::Kind;
use crate::insert_batch;
use crate::users::{name_key, search_text, status};

const BATCH: u64 = 2_000;

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

/// When things happened: the organization's creation, the day activity is measured to, and
/// the seeding's own instant (blocks and warnings before it are as the periodic check leaves
/// them).
pub(super) struct Stamps {
    pub(super) created: NaiveDateTime,
    pub(super) reference: NaiveDateTime,
    pub(super) seeded_at: NaiveDateTime,
}

/// What the users are spread over (the organization's ids), and the random sequences.
pub(super) struct Spread {
    org_id: i64,
    count: u64,
    group_ids: Vec<i64>,
    field_ids: [i64; 3],
    division_ids: Vec<i64>,
    role_ids: HashMap<String, i64>,
    product_ids: Vec<i64>,
    first_names: Vec<&'static str>,
    last_names: Vec<&'static str>,
    rng: Rng,
    group_rng: Rng,
    field_rng: Rng,
}

/// A user's role and which products they hold, before their id is known.
type Holdings = (&'static str, Vec<bool>);

impl Spread {
    pub(super) fn load(
        conn: &mut DbConn,
        org_id: i64,
        count: u64,
        created: NaiveDateTime,
    ) -> QueryResult<Self> {
        // Group ids in GROUPS' order; their own random sequence leaves the users as they were.
        let made = crate::groups::store::all(conn, org_id)?;
        let group_ids = GROUPS
            .iter()
            .map(|(_, name, _)| made.iter().find(|g| g.name == *name).map_or(0, |g| g.id))
            .collect();
        let field_ids = demo_fields(conn, org_id, created)?;
        let division_ids = divisions::table
            .filter(divisions::org_id.eq(org_id))
            .order(divisions::id)
            .select(divisions::id)
            .load(conn)?;
        let role_ids = crate::users::store::org_roles(conn, org_id)?
            .into_iter()
            .map(|(id, name)| (name, id))
            .collect();
        let product_ids = products::table
            .filter(products::org_id.eq(org_id))
            .order(products::id)
            .select(products::id)
            .load(conn)?;
        Ok(Spread {
            org_id,
            count,
            group_ids,
            field_ids,
            division_ids,
            role_ids,
            product_ids,
            first_names: FIRST_NAMES.lines().collect(),
            last_names: LAST_NAMES.lines().collect(),
            rng: Rng(0x6A7E_40A5_E000_0000 ^ count),
            group_rng: Rng(0x0060_0F5E_ED00_0000 ^ count),
            field_rng: Rng(0x00F1_E1D5_EED0_0000 ^ count),
        })
    }

    /// The `i`th user, and what they hold.
    fn person(&mut self, i: u64, password_hash: &str, stamps: &Stamps) -> (DemoUser, Holdings) {
        let rng = &mut self.rng;
        let first = rng.pick(&self.first_names);
        let last = rng.pick(&self.last_names);
        let domain = if i % (self.count / SEARCH_MATCHES).max(1) == 0 {
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
        let status = match rng.below(100) {
            0..=9 => status::INACTIVE,
            10..=11 => status::INVITED,
            _ => status::ACTIVE,
        };
        let invited = status == status::INVITED;
        let reference = stamps.reference;
        let last_active = (!invited)
            .then(|| reference - chrono::Duration::seconds(rng.below(120 * 86_400) as i64));
        // As the periodic check leaves them: blocked past the limit, warned within the week
        // before it.
        let after = |days: i64| {
            last_active
                .map(|t| t + chrono::Duration::days(days))
                .filter(|at| *at < stamps.seeded_at && status == status::ACTIVE)
        };
        let (blocked_at, warned_at) = (after(INACTIVE_DAYS), after(INACTIVE_DAYS - 7));
        let password_changed = reference - chrono::Duration::days(rng.below(100) as i64);
        let role = role_for(rng);
        let licensed: Vec<bool> = [70, 40, 30]
            .iter()
            .map(|share| status != status::INACTIVE && role != MANAGER && rng.below(100) < *share)
            .collect();
        let division = self.division_ids[rng.below(self.division_ids.len() as u64) as usize];
        let user = DemoUser {
            org_id: self.org_id,
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
            division_id: Some(division),
            created_at: stamps.created,
            updated_at: stamps.created,
        };
        (user, (role, licensed))
    }

    /// Every user after the admin, in batches, with their roles, licenses, groups and field
    /// values; then each product's seats used.
    pub(super) fn insert_people(
        &mut self,
        conn: &mut DbConn,
        admin_id: i64,
        password_hash: &str,
        stamps: &Stamps,
    ) -> QueryResult<()> {
        let mut seats_used = vec![0i32; self.product_ids.len()];
        let mut start = 0;
        while start < self.count {
            let end = (start + BATCH).min(self.count);
            let (batch, plans): (Vec<DemoUser>, Vec<Holdings>) = (start..end)
                .map(|i| self.person(i, password_hash, stamps))
                .unzip();
            insert_batch!(conn, users::table, &batch)?;
            // Ids were handed out in insert order by this, the only writer.
            let ids: Vec<i64> = users::table
                .filter(users::org_id.eq(self.org_id))
                .filter(users::id.gt(admin_id))
                .order(users::id.desc())
                .limit((end - start) as i64)
                .select(users::id)
                .load(conn)?;
            let ids = ids.into_iter().rev().zip(plans);
            self.insert_holdings(conn, ids, &mut seats_used, stamps.created)?;
            start = end;
        }
        for (product_id, used) in self.product_ids.iter().zip(seats_used) {
            diesel::update(products::table.find(product_id))
                .set(products::seats_used.eq(used))
                .execute(conn)?;
        }
        Ok(())
    }

    /// A batch's roles, licenses, group memberships and field values.
    fn insert_holdings(
        &mut self,
        conn: &mut DbConn,
        people: impl Iterator<Item = (i64, Holdings)>,
        seats_used: &mut [i32],
        created: NaiveDateTime,
    ) -> QueryResult<()> {
        let mut role_rows = Vec::new();
        let mut license_rows = Vec::new();
        let mut member_rows = Vec::new();
        let mut value_rows: Vec<ValueRow> = Vec::new();
        for (id, (role, licensed)) in people {
            value_rows.extend(demo_values(&self.field_ids, id, self.field_rng.below(100)));
            let team = 4 + self.group_rng.below(4) as usize;
            for (index, (kind, _, share)) in GROUPS.iter().enumerate() {
                let holds = match kind {
                    Kind::Team => index == team,
                    _ => self.group_rng.below(100) < *share,
                };
                if holds {
                    member_rows.push((
                        group_members::user_id.eq(id),
                        group_members::group_id.eq(self.group_ids[index]),
                    ));
                }
            }
            role_rows.push((
                user_roles::user_id.eq(id),
                user_roles::role_id.eq(self.role_ids[role]),
            ));
            for (index, has) in licensed.into_iter().enumerate() {
                if has {
                    seats_used[index] += 1;
                    license_rows.push((
                        license_assignments::user_id.eq(id),
                        license_assignments::product_id.eq(self.product_ids[index]),
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
        Ok(())
    }
}

/// The admin first: the Owner of Demo Corp.
pub(super) fn insert_admin(
    conn: &mut DbConn,
    spread: &Spread,
    password_hash: &str,
    (created, reference): (NaiveDateTime, NaiveDateTime),
) -> QueryResult<i64> {
    let admin = DemoUser {
        org_id: spread.org_id,
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
            user_roles::role_id.eq(spread.role_ids[OWNER]),
        ))
        .execute(conn)?;
    Ok(admin_id)
}
