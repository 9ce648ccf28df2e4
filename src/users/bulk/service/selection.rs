//! Which users a bulk action is for, and what the rules need to know about each.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;

use crate::db::schema::{license_assignments, user_roles, users};
use crate::db::DbConn;
use crate::users::forms::{ListQuery, Page};
use crate::users::store as users_store;

/// Ids per query when loading many users.
pub(super) const BATCH: usize = 500;

/// Which users a bulk action is for.
#[derive(Debug, Clone)]
pub enum Selection {
    /// The ticked rows.
    Ids(Vec<i64>),
    /// Everyone matching the list's filter (search, role, Show Only Active Users).
    Matching(ListQuery),
}

/// The ids of the selection that belong to the organization, in list order for a filter.
/// The selected users of the organization that `scope` (the actor's) reaches: ticked ids
/// outside it are dropped, as another organization's are; "all matching" runs the list's
/// filter, which the handler already set to the viewer's scope.
pub fn resolve(
    conn: &mut DbConn,
    org_id: i64,
    scope: Option<&crate::users::scope::Scope>,
    selection: &Selection,
) -> QueryResult<Vec<i64>> {
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
            match scope {
                Some(scope) => crate::users::scope::members(conn, scope, &found),
                None => Ok(found),
            }
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
pub(super) struct Target {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) status: String,
    pub(super) roles: BTreeSet<i64>,
    pub(super) products: BTreeSet<i64>,
    pub(super) groups: BTreeSet<i64>,
}

pub(super) fn load_targets(
    conn: &mut DbConn,
    org_id: i64,
    ids: &[i64],
) -> QueryResult<Vec<Target>> {
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
        let mut held_groups = crate::groups::store::of_users(conn, chunk)?;
        targets.extend(rows.into_iter().map(|(id, first, last, status)| Target {
            groups: held_groups.remove(&id).unwrap_or_default(),
            roles: held_roles.remove(&id).unwrap_or_default(),
            products: held_products.remove(&id).unwrap_or_default(),
            id,
            name: format!("{first} {last}"),
            status,
        }));
    }
    Ok(targets)
}

/// A scoped administrator's change leaves everyone it changed within their scope (taking
/// people out of one's last team would hand them to nobody): refused otherwise.
pub fn still_in_scope(
    conn: &mut DbConn,
    (scope, action): (
        Option<&crate::users::scope::Scope>,
        crate::users::bulk::Action,
    ),
    changed: &[i64],
) -> Result<(), super::BulkError> {
    let (Some(scope), crate::users::bulk::Action::RemoveGroup(_)) = (scope, action) else {
        return Ok(());
    };
    if crate::users::scope::members(conn, scope, changed)?.len() == changed.len() {
        Ok(())
    } else {
        Err(super::BulkError::Refused(
            "This would take people out of the divisions and teams you manage. Nothing was changed.".into(),
        ))
    }
}
