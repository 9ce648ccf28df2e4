//! Planning and applying a bulk action. The plan says, for every selected user, whether they
//! change, are already as asked, or are left out (and why); applying re-plans inside the write
//! transaction, so what changes is what the rules allow at that moment, all or nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::Action;
use crate::audit::{self, action, Actor, Event};
use crate::auth::permissions::OWNER;
use crate::db::schema::{license_assignments, products, user_roles, users};
use crate::db::{write_tx, DbConn};
use crate::invites::store::{assign_license, grantable_roles};
use crate::users::edit::service::Editor;
use crate::users::forms::{ListQuery, Page};
use crate::users::lifecycle::service::{delete_in, set_active_in, LifecycleError, Reassign};
use crate::users::{edit, status, store as users_store};
use crate::web::request_meta::RequestMeta;

/// Ids per query when loading many users.
const BATCH: usize = 500;

/// Which users a bulk action is for.
#[derive(Debug, Clone)]
pub enum Selection {
    /// The ticked rows.
    Ids(Vec<i64>),
    /// Everyone matching the list's filter (search, role, Show Only Active Users).
    Matching(ListQuery),
}

#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// The action cannot be done as asked (seats, a role beyond one's access …): nothing changed.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The ids of the selection that belong to the organization, in list order for a filter.
pub fn resolve(conn: &mut DbConn, org_id: i64, selection: &Selection) -> QueryResult<Vec<i64>> {
    match selection {
        Selection::Ids(ids) => {
            let mut found = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(BATCH) {
                found.extend(
                    users::table
                        .filter(users::org_id.eq(org_id))
                        .filter(users::id.eq_any(chunk))
                        .select(users::id)
                        .load::<i64>(conn)?,
                );
            }
            found.sort_unstable();
            found.dedup();
            Ok(found)
        }
        Selection::Matching(query) => {
            let mut query = query.clone();
            query.page = Page::First;
            let mut ids = Vec::new();
            loop {
                let (rows, more) = users_store::list_chunk(
                    conn,
                    org_id,
                    &query,
                    crate::users::export::CHUNK,
                    users_store::Columns::Page,
                )?;
                let Some(last) = rows.last() else { break };
                query.page = Page::After(last.cursor(query.sort));
                ids.extend(rows.iter().map(|r| r.id));
                if !more {
                    break;
                }
            }
            Ok(ids)
        }
    }
}

/// What a selected user needs for the rules.
struct Target {
    id: i64,
    name: String,
    status: String,
    roles: BTreeSet<i64>,
    products: BTreeSet<i64>,
}

fn load_targets(conn: &mut DbConn, org_id: i64, ids: &[i64]) -> QueryResult<Vec<Target>> {
    let mut targets = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH) {
        let rows: Vec<(i64, String, String, String)> = users::table
            .filter(users::org_id.eq(org_id))
            .filter(users::id.eq_any(chunk))
            .order(users::id)
            .select((
                users::id,
                users::first_name,
                users::last_name,
                users::status,
            ))
            .load(conn)?;
        let mut held_roles: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for (user_id, role_id) in user_roles::table
            .filter(user_roles::user_id.eq_any(chunk))
            .select((user_roles::user_id, user_roles::role_id))
            .load::<(i64, i64)>(conn)?
        {
            held_roles.entry(user_id).or_default().insert(role_id);
        }
        let mut held_products: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for (user_id, product_id) in license_assignments::table
            .filter(license_assignments::user_id.eq_any(chunk))
            .select((
                license_assignments::user_id,
                license_assignments::product_id,
            ))
            .load::<(i64, i64)>(conn)?
        {
            held_products.entry(user_id).or_default().insert(product_id);
        }
        targets.extend(rows.into_iter().map(|(id, first, last, status)| Target {
            roles: held_roles.remove(&id).unwrap_or_default(),
            products: held_products.remove(&id).unwrap_or_default(),
            id,
            name: format!("{first} {last}"),
            status,
        }));
    }
    Ok(targets)
}

/// What the action would do.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// "Assign the role Supervisor", "Delete" …
    pub label: String,
    /// The users who change.
    pub changing: Vec<i64>,
    /// How many are already as asked.
    pub unchanged: usize,
    /// Users left out, with why ("Olive Owner: the Owner cannot be deactivated").
    pub left_out: Vec<String>,
    /// Why the action cannot be done at all (then nothing is offered).
    pub refusal: Option<String>,
    /// For Delete: what the users to delete own ("40 contacts, 3 leads").
    pub owned: String,
    /// For a license: the product's name and its seats left before the action.
    pub seats: Option<(String, i32)>,
}

/// What an applied action did.
#[derive(Debug)]
pub struct Applied {
    /// How many users changed.
    pub changed: usize,
    /// The product whose last seat the action took ("none remain" follows).
    pub last_seat: Option<String>,
}

pub fn plan(
    conn: &mut DbConn,
    editor: &Editor,
    action: Action,
    ids: &[i64],
) -> Result<Plan, BulkError> {
    let owner_role = users_store::role_id_by_name(conn, editor.org_id, OWNER)?;
    let grantable: BTreeMap<i64, String> =
        grantable_roles(conn, editor.org_id, editor.permissions)?
            .into_iter()
            .collect();
    let role_name = |id: i64| -> Result<String, BulkError> {
        grantable.get(&id).cloned().ok_or_else(|| {
            BulkError::Refused("You can only give or take roles within your own access.".into())
        })
    };
    let product = |conn: &mut DbConn, id: i64| -> Result<(String, i32), BulkError> {
        products::table
            .find(id)
            .filter(products::org_id.eq(editor.org_id))
            .select((products::name, products::seats - products::seats_used))
            .first::<(String, i32)>(conn)
            .optional()?
            .ok_or_else(|| BulkError::Refused("Choose a product from the list.".into()))
    };
    let mut plan = Plan::default();
    plan.label = match action {
        Action::AddRole(id) => format!("Assign the role {}", role_name(id)?),
        Action::RemoveRole(id) => format!("Remove the role {}", role_name(id)?),
        Action::AddLicense(id) | Action::RemoveLicense(id) => {
            let (name, left) = product(conn, id)?;
            let label = if matches!(action, Action::AddLicense(_)) {
                format!("Assign a {name} license")
            } else {
                format!("Remove the {name} license")
            };
            plan.seats = Some((name, left));
            label
        }
        Action::Activate => "Activate".into(),
        Action::Deactivate => "Deactivate".into(),
        Action::Delete => "Delete".into(),
    };
    for target in load_targets(conn, editor.org_id, ids)? {
        let is_self = target.id == editor.id;
        let is_owner = target.roles.contains(&owner_role);
        let pending = target.status == status::INVITED;
        let leave_out = |why: &str| Some(format!("{}: {why}", target.name));
        let (change, out) = match action {
            Action::AddRole(_) | Action::RemoveRole(_) if is_self => {
                (false, leave_out("nobody changes their own roles"))
            }
            Action::AddRole(role) => (!target.roles.contains(&role), None),
            Action::RemoveRole(role) if target.roles.contains(&role) && target.roles.len() == 1 => {
                (false, leave_out("it is their only role"))
            }
            Action::RemoveRole(role) => (target.roles.contains(&role), None),
            Action::AddLicense(_) if target.status == status::INACTIVE => {
                (false, leave_out("inactive users hold no licenses"))
            }
            Action::AddLicense(p) => (!target.products.contains(&p), None),
            Action::RemoveLicense(p) => (target.products.contains(&p), None),
            Action::Activate | Action::Deactivate if pending => {
                (false, leave_out("the invitation is not accepted yet"))
            }
            Action::Activate => (target.status == status::INACTIVE, None),
            Action::Deactivate | Action::Delete if is_self => {
                (false, leave_out("that is your own account"))
            }
            Action::Deactivate | Action::Delete if is_owner => (
                false,
                leave_out("the Owner cannot be deactivated or deleted"),
            ),
            Action::Deactivate => (target.status == status::ACTIVE, None),
            Action::Delete => (true, None),
        };
        match (change, out) {
            (_, Some(reason)) => plan.left_out.push(reason),
            (true, None) => plan.changing.push(target.id),
            (false, None) => plan.unchanged += 1,
        }
    }
    if let (Action::AddLicense(_), Some((product_name, seats_left))) = (action, &plan.seats) {
        let (needed, seats_left) = (plan.changing.len() as i32, *seats_left);
        if needed > seats_left {
            plan.refusal = Some(format!(
                "Assigning {product_name} to {needed} users needs {needed} seats, and {} left. Nothing was assigned: choose fewer users, free {product_name} seats from others, or add seats in Settings.",
                match seats_left.max(0) {
                    0 => "no seats are".to_owned(),
                    1 => "only 1 seat is".to_owned(),
                    n => format!("only {n} seats are"),
                }
            ));
        }
    }
    if action == Action::Delete {
        let mut totals: Vec<(String, i64)> = Vec::new();
        for chunk in plan.changing.chunks(BATCH) {
            use crate::db::schema::owned_records;
            let counts: Vec<(String, i64)> = owned_records::table
                .filter(owned_records::owner_id.eq_any(chunk))
                .group_by(owned_records::kind)
                .select((owned_records::kind, diesel::dsl::count_star()))
                .load(conn)?;
            for (kind, n) in counts {
                match totals.iter_mut().find(|(k, _)| *k == kind) {
                    Some(total) => total.1 += n,
                    None => totals.push((kind, n)),
                }
            }
        }
        plan.owned = crate::users::lifecycle::describe_owned(&totals);
    }
    Ok(plan)
}

/// Applies the action to the selection in one transaction: every change or none.
pub fn apply(
    conn: &mut DbConn,
    editor: &Editor,
    action: Action,
    ids: &[i64],
    reassign: Reassign,
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> Result<Applied, BulkError> {
    write_tx(conn, |conn| {
        let plan = plan(conn, editor, action, ids)?;
        if let Some(refusal) = plan.refusal {
            return Err(BulkError::Refused(refusal));
        }
        if let Reassign::To(new_owner) = reassign {
            if plan.changing.contains(&new_owner) {
                return Err(BulkError::Refused(
                    "Choose someone who is not being deleted to receive the records.".into(),
                ));
            }
        }
        if let Action::AddLicense(product_id) = action {
            if !take_seats(conn, product_id, plan.changing.len() as i32)? {
                return Err(BulkError::Refused(
                    "The seats were taken meanwhile. Nothing was assigned: look at the seats left and try again.".into(),
                ));
            }
        }
        for &user_id in &plan.changing {
            match action {
                Action::Activate | Action::Deactivate => {
                    set_active_in(conn, editor, user_id, action == Action::Activate, meta, now)?;
                }
                Action::Delete => {
                    delete_in(conn, editor, user_id, reassign, meta, now)?;
                }
                Action::AddRole(role) | Action::RemoveRole(role) => {
                    let before = edit::store::role_ids(conn, user_id)?;
                    if action == Action::AddRole(role) {
                        users_store::add_role(conn, user_id, role)?;
                    } else {
                        edit::store::remove_role(conn, user_id, role)?;
                    }
                    let after = edit::store::role_ids(conn, user_id)?;
                    record(
                        conn,
                        editor,
                        user_id,
                        ("role_ids", before, after),
                        meta,
                        now,
                    )?;
                }
                Action::AddLicense(product) | Action::RemoveLicense(product) => {
                    let before = edit::store::product_ids(conn, user_id)?;
                    if action == Action::AddLicense(product) {
                        assign_license(conn, user_id, product, now)?;
                    } else {
                        edit::store::release_license(conn, user_id, product)?;
                    }
                    let after = edit::store::product_ids(conn, user_id)?;
                    record(
                        conn,
                        editor,
                        user_id,
                        ("product_ids", before, after),
                        meta,
                        now,
                    )?;
                }
            }
        }
        let last_seat = match (action, plan.seats) {
            (Action::AddLicense(_), Some((name, left)))
                if !plan.changing.is_empty() && left == plan.changing.len() as i32 =>
            {
                Some(name)
            }
            _ => None,
        };
        Ok(Applied {
            changed: plan.changing.len(),
            last_seat,
        })
    })
}

/// Takes `count` seats of a product in one guarded update (0 rows: not enough left), so
/// concurrent assignments never oversubscribe.
fn take_seats(conn: &mut DbConn, product_id: i64, count: i32) -> QueryResult<bool> {
    if count == 0 {
        return Ok(true);
    }
    let updated = diesel::update(
        products::table
            .find(product_id)
            .filter((products::seats_used + count).le(products::seats)),
    )
    .set(products::seats_used.eq(products::seats_used + count))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The user's audit event for a bulk role or license change; the version moves on, so an
/// Edit dialog opened before sees that someone changed the user.
fn record(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    (field, before, after): (&str, Vec<i64>, Vec<i64>),
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    let email: String = users::table
        .find(user_id)
        .select(users::email)
        .first(conn)?;
    audit::record(
        conn,
        Event {
            org_id: Some(editor.org_id),
            actor: &Actor::user(editor.id, &editor.email),
            action: action::USER_UPDATED,
            target: Some((user_id, &email)),
            details: json!({ "before": { field: before }, "after": { field: after }, "bulk": true }),
            meta,
        },
        now,
    )
}
