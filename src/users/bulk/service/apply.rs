//! Applying a bulk action: the plan again inside the write transaction, then each user's
//! change with its audit row.

use chrono::NaiveDateTime;
use serde_json::json;

use super::changes::record;
use super::{plan_with, selection, Action, Applied, BulkError, Loaded};
use crate::audit::Origin;
use crate::db::{write_tx, DbConn};
use crate::licenses::store::{self as licenses, take_seats};
use crate::users::actions::edit;
use crate::users::actions::lifecycle::service::{delete_in, set_active_in, Reassign};
use crate::users::authority::Editor;
use crate::users::store as users_store;

/// Applies the action to the selection in one transaction: every change or none.
pub fn apply(
    conn: &mut DbConn,
    editor: &Editor,
    (action, value): (Action, &str),
    ids: &[i64],
    reassign: Reassign,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Applied, BulkError> {
    write_tx(conn, |conn| {
        let (plan, loaded) = plan_with(conn, editor, (action, value), ids)?;
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
        // Every person it changes, and whoever receives their records, locked in id order
        // first: a selection of all matching goes in list order, and another change to several
        // of them (a bulk action, a group deleted) must not hold one while waiting for another.
        let mut locked = plan.changing.clone();
        if let Reassign::To(new_owner) = reassign {
            locked.push(new_owner);
        }
        users_store::lock_all_for_change(conn, &locked)?;
        let org_groups = match action {
            Action::AddGroup(_) | Action::RemoveGroup(_) => {
                crate::groups::store::all(conn, editor.org_id)?
            }
            _ => Vec::new(),
        };
        for &user_id in &plan.changing {
            let each = Each {
                loaded: &loaded,
                org_groups: &org_groups,
                reassign,
            };
            apply_one(conn, editor, (action, user_id), &each, (meta, now))?;
        }
        selection::still_in_scope(conn, (editor.scope.as_ref(), action), &plan.changing)?;
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

/// What every user's change shares.
struct Each<'a> {
    loaded: &'a Loaded,
    org_groups: &'a [crate::groups::store::Group],
    reassign: Reassign,
}

/// One user's change, audited.
fn apply_one(
    conn: &mut DbConn,
    editor: &Editor,
    (action, user_id): (Action, i64),
    each: &Each<'_>,
    (meta, now): (&Origin, NaiveDateTime),
) -> Result<(), BulkError> {
    let (loaded, org_groups, reassign) = (each.loaded, each.org_groups, each.reassign);
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
                crate::users::authority::bound_by(conn, editor, user_id)?;
            } else {
                edit::store::remove_role(conn, user_id, role)?;
            }
            let after = edit::store::role_ids(conn, user_id)?;
            record(
                conn,
                editor,
                user_id,
                ("role_ids", json!(before), json!(after)),
                meta,
                now,
            )?;
        }
        Action::AddLicense(product) | Action::RemoveLicense(product) => {
            let before = licenses::product_ids_of(conn, user_id)?;
            if action == Action::AddLicense(product) {
                licenses::assign(conn, user_id, product, now)?;
            } else {
                licenses::release(conn, user_id, product)?;
            }
            let after = licenses::product_ids_of(conn, user_id)?;
            record(
                conn,
                editor,
                user_id,
                ("product_ids", json!(before), json!(after)),
                meta,
                now,
            )?;
        }
        Action::SetField(_) => {
            if let Some(set) = &loaded.field_set {
                let (before, after) = set.apply(conn, user_id)?;
                record(
                    conn,
                    editor,
                    user_id,
                    (&set.field.label, before, after),
                    meta,
                    now,
                )?;
            }
        }
        Action::AddGroup(group) | Action::RemoveGroup(group) => {
            use crate::groups::store::{self as groups, labels};
            let before = groups::of_user(conn, user_id)?;
            if action == Action::AddGroup(group) {
                groups::add_member(conn, user_id, group)?;
            } else {
                groups::remove_member(conn, user_id, group)?;
            }
            let after = groups::of_user(conn, user_id)?;
            let change = (
                "groups",
                json!(labels(org_groups, &before)),
                json!(labels(org_groups, &after)),
            );
            record(conn, editor, user_id, change, meta, now)?;
        }
        Action::JoinWorkspace(_) | Action::LeaveWorkspace(_) => {
            if let Some(set) = &loaded.workspace {
                let email = users_store::email_of(conn, user_id)?.unwrap_or_default();
                set.apply(conn, editor, (user_id, &email), (meta, now))?;
            }
        }
    }
    Ok(())
}
