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
use crate::auth::permissions::Permissions;
use crate::db::schema::{user_permission_overrides, users};
use crate::db::{write_tx, DbConn};
use crate::orgs::catalog::grantable_roles;
use crate::users::actions::edit;
use crate::users::authority::{self, Act, Denied, Editor, Refusal};
use crate::users::scope::{self, Scope};
use crate::users::store as users_store;

/// Roles and overrides as the dialog shows or saves them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    pub role_ids: BTreeSet<i64>,
    /// By stored name (`users.invite`, `product:3`).
    pub overrides: BTreeMap<String, Override>,
    /// Whom they administer (`None`: everyone in the organization).
    pub scope: Option<Scope>,
}

pub fn overrides_of(conn: &mut DbConn, user_id: i64) -> QueryResult<BTreeMap<String, Override>> {
    Ok(crate::auth::store::permission_overrides(conn, user_id)?
        .into_iter()
        .filter(|(name, _)| !Permissions::of_name(name).is_empty())
        .map(|(name, granted)| {
            let o = if granted {
                Override::Grant
            } else {
                Override::Deny
            };
            (name, o)
        })
        .collect())
}

/// What `access` adds up to: the ticked roles' permissions (from `roles`), overrides on top.
pub fn effective(access: &Access, roles: &[crate::orgs::catalog::Role]) -> Permissions {
    let given = roles
        .iter()
        .filter(|r| access.role_ids.contains(&r.id))
        .map(|r| r.permissions)
        .fold(Permissions::default(), Permissions::union);
    let written: String = access
        .overrides
        .iter()
        .map(|(name, o)| match o {
            Override::Grant => format!("+{name},"),
            Override::Deny => format!("-{name},"),
        })
        .collect();
    given.overridden(&written)
}

pub fn access_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Access> {
    Ok(Access {
        role_ids: edit::store::role_ids(conn, user_id)?.into_iter().collect(),
        overrides: overrides_of(conn, user_id)?,
        scope: scope::of(conn, user_id)?,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("That user does not exist, or belongs to another organization.")]
    NotFound,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{0}")]
    Invalid(String),
    /// Beyond the editor's own access (a role, a scope they do not hold): shown in the
    /// dialog, and written to the audit log.
    #[error("{0}")]
    Beyond(String),
    #[error("{by} changed this user after you opened the dialog.")]
    Stale { by: String },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What the editor may hand out: roles within their access (never Owner) and the permissions
/// they hold themselves.
pub struct Grantable {
    pub roles: BTreeSet<i64>,
    /// Stored names, console and product.
    pub permissions: BTreeSet<String>,
}

pub fn grantable(conn: &mut DbConn, editor: &Editor) -> QueryResult<Grantable> {
    Ok(Grantable {
        roles: grantable_roles(conn, editor.org_id, editor.permissions)?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
        permissions: editor.permissions.names().into_iter().collect(),
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
    let names: BTreeSet<&String> = held
        .overrides
        .keys()
        .chain(wanted.overrides.keys())
        .collect();
    let overrides = names
        .into_iter()
        .filter_map(|p| {
            let source = if allowed.permissions.contains(p) {
                wanted
            } else {
                held
            };
            source.overrides.get(p).map(|o| (p.clone(), *o))
        })
        .collect();
    // A scope the editor may not give stays as it was (the save says why).
    Access {
        role_ids,
        overrides,
        scope: wanted.scope.clone(),
    }
}

/// Why a scope cannot be given, if it cannot: an editor who administers only some divisions
/// and teams gives only a part of their own; the Owner and superusers administer everything;
/// every unit is one of the organization's divisions or teams.
pub fn scope_problem(
    conn: &mut DbConn,
    editor: &Editor,
    target: &authority::Standing,
    wanted: Option<&Scope>,
) -> QueryResult<Option<AccessError>> {
    let Some(wanted) = wanted else {
        return Ok(editor.scope.as_ref().map(|_| {
            AccessError::Beyond("You manage only some divisions and teams, so you cannot give someone the whole organization.".into())
        }));
    };
    if wanted.is_empty() {
        return Ok(Some(AccessError::Invalid(
            "Choose at least one division or team, or Everyone in the organization.".into(),
        )));
    }
    if target.owner || authority::is_superuser(conn, target.id)? {
        return Ok(Some(AccessError::Invalid(
            "The Owner and tenant superusers manage the whole organization: their scope cannot be limited.".into(),
        )));
    }
    if let Some(mine) = &editor.scope {
        if !wanted.within(mine) {
            return Ok(Some(AccessError::Beyond(
                "You can only give divisions and teams you manage yourself.".into(),
            )));
        }
    }
    let divisions: BTreeSet<i64> = edit::store::divisions(conn, editor.org_id)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let teams: BTreeSet<i64> = crate::groups::store::all(conn, editor.org_id)?
        .into_iter()
        .filter(|g| g.kind() == crate::groups::Kind::Team)
        .map(|g| g.id)
        .collect();
    if !wanted.divisions.is_subset(&divisions) || !wanted.teams.is_subset(&teams) {
        return Ok(Some(AccessError::Invalid(
            "Choose divisions and teams from the lists.".into(),
        )));
    }
    Ok(None)
}

/// Saves the user's roles, overrides and scope if nobody saved the user since `version` was
/// read. An attempt beyond the editor's access (a higher user, a role or scope they do not
/// hold) is refused and written to the audit log.
pub fn save(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    wanted: &Access,
    version: i32,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<(), AccessError> {
    let result = save_once(conn, editor, user_id, wanted, version, meta, now);
    let reason = match &result {
        Err(AccessError::Refused(refusal)) => Some(refusal.to_string()),
        Err(AccessError::Beyond(problem)) => Some(problem.clone()),
        _ => None,
    };
    if let Some(reason) = reason {
        authority::record_refusal(
            conn,
            editor,
            user_id,
            ("change roles and permissions", &reason),
            (meta, now),
        )?;
    }
    result
}

fn save_once(
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
        let target = match authority::ensure(conn, editor, user_id, Act::Access) {
            Ok(target) => target,
            Err(Denied::NotFound) => return Err(AccessError::NotFound),
            Err(Denied::Refused(refusal)) => return Err(AccessError::Refused(refusal)),
            Err(Denied::Database(e)) => return Err(e.into()),
        };
        let held = access_of(conn, user_id)?;
        // A scoped editor hands out only scoped access (within their own), even to someone
        // who had none: the roles they give would otherwise reach the whole organization.
        if wanted.scope != held.scope || editor.scope.is_some() {
            if let Some(problem) = scope_problem(conn, editor, &target, wanted.scope.as_ref())? {
                return Err(problem);
            }
        }
        let allowed = grantable(conn, editor)?;
        if wanted
            .role_ids
            .iter()
            .any(|r| !allowed.roles.contains(r) && !held.role_ids.contains(r))
        {
            return Err(AccessError::Beyond(authority::BEYOND.into()));
        }
        let desired = within_access(&held, wanted, &allowed);
        if desired.role_ids.is_empty() {
            return Err(AccessError::Invalid("Choose at least one role.".into()));
        }
        if desired == held {
            return Ok(());
        }
        write_access(conn, user_id, &held, &desired)?;
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
        record_change(
            conn,
            editor,
            (user_id, &current.email),
            (&held, &desired),
            (meta, now),
        )?;
        Ok(())
    })
}

/// Writes the roles, overrides and scope that differ from what is held.
fn write_access(
    conn: &mut DbConn,
    user_id: i64,
    held: &Access,
    desired: &Access,
) -> diesel::QueryResult<()> {
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
                user_permission_overrides::permission.eq(permission),
                user_permission_overrides::granted.eq(*o == Override::Grant),
            ))
            .execute(conn)?;
    }
    if desired.scope != held.scope {
        scope::set(conn, user_id, desired.scope.as_ref())?;
    }
    Ok(())
}

/// The audit row of a change, with what was held and what is now, in words.
fn record_change(
    conn: &mut DbConn,
    editor: &Editor,
    (user_id, email): (i64, &str),
    (held, desired): (&Access, &Access),
    (meta, now): (&Origin, NaiveDateTime),
) -> diesel::QueryResult<()> {
    let divisions = edit::store::divisions(conn, editor.org_id)?;
    let teams: Vec<(i64, String)> = crate::groups::store::all(conn, editor.org_id)?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let show = |a: &Access| {
        json!({
            "manages": scope::describe(a.scope.as_ref(), &divisions, &teams),
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
            target: Some((user_id, email)),
            details: json!({ "before": show(held), "after": show(desired) }),
            meta,
        },
        now,
    )?;
    Ok(())
}
