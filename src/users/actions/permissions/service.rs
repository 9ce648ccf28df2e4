//! Saving roles and permission overrides, with the rules: nobody changes their own access,
//! nobody grants what they do not hold, the Owner keeps every permission, and the audit event
//! is written in the same transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::Override;
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::auth::permissions::Permission;
use crate::db::schema::{user_permission_overrides, users};
use crate::db::{write_tx, DbConn};
use crate::orgs::catalog::grantable_roles;
use crate::users::actions::edit;
use crate::users::authority::{self, Act, Denied, Editor, Refusal};
use crate::users::store as users_store;

/// Roles and overrides as the dialog shows or saves them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    pub role_ids: BTreeSet<i64>,
    pub overrides: BTreeMap<&'static str, Override>,
}

pub fn overrides_of(
    conn: &mut DbConn,
    user_id: i64,
) -> QueryResult<BTreeMap<&'static str, Override>> {
    Ok(crate::auth::store::permission_overrides(conn, user_id)?
        .into_iter()
        .filter_map(|(name, granted)| {
            Permission::parse(&name).map(|p| {
                let o = if granted {
                    Override::Grant
                } else {
                    Override::Deny
                };
                (p.as_str(), o)
            })
        })
        .collect())
}

pub fn access_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Access> {
    Ok(Access {
        role_ids: edit::store::role_ids(conn, user_id)?.into_iter().collect(),
        overrides: overrides_of(conn, user_id)?,
    })
}

/// Every role of the organization with the permissions it gives.
pub fn role_permissions_of(
    conn: &mut DbConn,
    org_id: i64,
) -> QueryResult<Vec<(i64, String, Vec<Permission>)>> {
    Ok(crate::orgs::catalog::load_roles(conn, org_id)?
        .into_iter()
        .map(|role| {
            let given = Permission::ALL
                .iter()
                .copied()
                .filter(|p| role.permissions.has(*p))
                .collect();
            (role.id, role.name, given)
        })
        .collect())
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("That user does not exist, or belongs to another organization.")]
    NotFound,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{0}")]
    Invalid(String),
    #[error("{by} changed this user after you opened the dialog.")]
    Stale { by: String },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What the editor may hand out: roles within their access (never Owner) and the permissions
/// they hold themselves.
pub struct Grantable {
    pub roles: BTreeSet<i64>,
    pub permissions: BTreeSet<&'static str>,
}

pub fn grantable(conn: &mut DbConn, editor: &Editor) -> QueryResult<Grantable> {
    Ok(Grantable {
        roles: grantable_roles(conn, editor.org_id, editor.permissions)?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
        permissions: Permission::ALL
            .into_iter()
            .filter(|p| editor.permissions.has(*p))
            .map(Permission::as_str)
            .collect(),
    })
}

/// `wanted` as the editor may set it on top of `held`: what is beyond their access stays as
/// it was.
pub fn within_access(held: &Access, wanted: &Access, allowed: &Grantable) -> Access {
    let role_ids = held
        .role_ids
        .iter()
        .filter(|r| !allowed.roles.contains(r))
        .chain(wanted.role_ids.iter().filter(|r| allowed.roles.contains(r)))
        .copied()
        .collect();
    let overrides = Permission::ALL
        .into_iter()
        .map(Permission::as_str)
        .filter_map(|p| {
            let source = if allowed.permissions.contains(p) {
                wanted
            } else {
                held
            };
            source.overrides.get(p).map(|o| (p, *o))
        })
        .collect();
    Access {
        role_ids,
        overrides,
    }
}

/// Saves the user's roles and overrides if nobody saved the user since `version` was read.
pub fn save(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    wanted: &Access,
    version: i32,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), AccessError> {
    write_tx(conn, |conn| {
        let current =
            edit::store::edit_row(conn, editor.org_id, user_id)?.ok_or(AccessError::NotFound)?;
        if current.version != version {
            let by = edit::store::last_editor(conn, user_id)?.unwrap_or_else(|| "Someone".into());
            return Err(AccessError::Stale { by });
        }
        match authority::ensure(conn, editor, user_id, Act::Access) {
            Ok(_) => {}
            Err(Denied::NotFound) => return Err(AccessError::NotFound),
            Err(Denied::Refused(refusal)) => return Err(AccessError::Refused(refusal)),
            Err(Denied::Database(e)) => return Err(e.into()),
        }
        let held = access_of(conn, user_id)?;
        let allowed = grantable(conn, editor)?;
        if wanted
            .role_ids
            .iter()
            .any(|r| !allowed.roles.contains(r) && !held.role_ids.contains(r))
        {
            return Err(AccessError::Invalid(
                "You can only give roles within your own access.".into(),
            ));
        }
        let desired = within_access(&held, wanted, &allowed);
        if desired.role_ids.is_empty() {
            return Err(AccessError::Invalid("Choose at least one role.".into()));
        }
        if desired == held {
            return Ok(());
        }
        for role in held.role_ids.difference(&desired.role_ids) {
            edit::store::remove_role(conn, user_id, *role)?;
        }
        for role in desired.role_ids.difference(&held.role_ids) {
            users_store::add_role(conn, user_id, *role)?;
        }
        diesel::delete(
            user_permission_overrides::table.filter(user_permission_overrides::user_id.eq(user_id)),
        )
        .execute(conn)?;
        for (permission, o) in &desired.overrides {
            diesel::insert_into(user_permission_overrides::table)
                .values((
                    user_permission_overrides::user_id.eq(user_id),
                    user_permission_overrides::permission.eq(*permission),
                    user_permission_overrides::granted.eq(*o == Override::Grant),
                ))
                .execute(conn)?;
        }
        let bumped = diesel::update(
            users::table
                .find(user_id)
                .filter(users::version.eq(version)),
        )
        .set((
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
        if bumped != 1 {
            let by = edit::store::last_editor(conn, user_id)?.unwrap_or_else(|| "Someone".into());
            return Err(AccessError::Stale { by });
        }
        let show = |a: &Access| {
            json!({
                "role_ids": a.role_ids,
                "overrides": a.overrides.iter().map(|(p, o)| (p.to_string(), json!(if *o == Override::Grant { "grant" } else { "deny" }))).collect::<serde_json::Map<_, _>>(),
            })
        };
        audit::record(
            conn,
            Event {
                org_id: Some(editor.org_id),
                actor: &Actor::user(editor.id, &editor.email),
                action: action::PERMISSIONS_CHANGED,
                target: Some((user_id, &current.email)),
                details: json!({ "before": show(&held), "after": show(&desired) }),
                meta,
            },
            now,
        )?;
        Ok(())
    })
}
