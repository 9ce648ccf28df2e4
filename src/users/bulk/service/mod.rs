//! Planning and applying a bulk action. The plan says, for every selected user, whether they
//! change, are already as asked, or are left out (and why); applying re-plans inside the write
//! transaction, so what changes is what the rules allow at that moment, all or nothing.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::Action;
use crate::db::schema::products;
use crate::db::DbConn;
use crate::orgs::catalog::grantable_roles;
use crate::users::actions::lifecycle::service::LifecycleError;
use crate::users::authority::{self, Act, Editor, Refusal};
use crate::users::status;

mod apply;
mod changes;
mod fields;
mod selection;
mod workspaces;

pub use apply::apply;
use changes::bulk_reason;

use selection::{load_targets, BATCH};
pub use selection::{resolve, Selection};

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

/// What the action does to each user; `value` is Set field's (other actions ignore it).
pub fn plan(
    conn: &mut DbConn,
    editor: &Editor,
    (action, value): (Action, &str),
    ids: &[i64],
) -> Result<Plan, BulkError> {
    Ok(plan_with(conn, editor, (action, value), ids)?.0)
}

/// What an action loads once for all its users.
#[derive(Default)]
struct Loaded {
    field_set: Option<fields::FieldSet>,
    workspace: Option<workspaces::WorkspaceSet>,
}

fn plan_with(
    conn: &mut DbConn,
    editor: &Editor,
    (action, value): (Action, &str),
    ids: &[i64],
) -> Result<(Plan, Loaded), BulkError> {
    let mut plan = Plan::default();
    let mut loaded = Loaded::default();
    plan.label = label(conn, editor, (action, value), ids, (&mut plan, &mut loaded))?;
    let act = act_of(action);
    if !editor.permissions.has(act.needs()) {
        return Err(BulkError::Refused(Refusal::Lacks(act.needs()).to_string()));
    }
    let me = editor.standing();
    let targets = load_targets(conn, editor.org_id, ids)?;
    let target_ids: Vec<i64> = targets.iter().map(|t| t.id).collect();
    let standings = authority::standings_of(conn, editor.org_id, &target_ids)?;
    for target in targets {
        let pending = target.status == status::INVITED;
        let leave_out = |why: &str| Some(format!("{}: {why}", target.name));
        let refused = standings
            .get(&target.id)
            .map(|standing| authority::check(&me, standing, act))
            .and_then(Result::err);
        let (change, out) = match action {
            _ if refused.is_some() => (false, leave_out(&bulk_reason(refused, action))),
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
            Action::AddGroup(g) => (!target.groups.contains(&g), None),
            Action::RemoveGroup(g) => (target.groups.contains(&g), None),
            Action::SetField(_) => match &loaded.field_set {
                Some(set) => set.sort(&target),
                None => (false, None),
            },
            Action::JoinWorkspace(_) | Action::LeaveWorkspace(_) => match &loaded.workspace {
                Some(set) => set.sort(&target),
                None => (false, None),
            },
            Action::Activate | Action::Deactivate if pending => {
                (false, leave_out("the invitation is not accepted yet"))
            }
            Action::Activate => (target.status == status::INACTIVE, None),
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
    if let Some(set) = &loaded.field_set {
        plan.refusal = plan.refusal.or(set.unique_refusal(conn, &plan.changing)?);
    }
    if action == Action::Delete {
        plan.owned = owned_by(conn, &plan.changing)?;
    }
    Ok((plan, loaded))
}

/// The action's words ("Assign the role Supervisor"), with what it loads once for all users.
fn label(
    conn: &mut DbConn,
    editor: &Editor,
    (action, value): (Action, &str),
    ids: &[i64],
    (plan, loaded): (&mut Plan, &mut Loaded),
) -> Result<String, BulkError> {
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
    let group = |conn: &mut DbConn, id: i64| -> Result<String, BulkError> {
        let group = crate::groups::store::find(conn, editor.org_id, id)?
            .ok_or_else(|| BulkError::Refused("Choose a group from the list.".into()))?;
        Ok(format!("{} “{}”", group.kind().label(), group.name))
    };
    Ok(match action {
        Action::SetField(id) => {
            let (label, set) = fields::FieldSet::of(conn, editor.org_id, id, value, ids)?;
            loaded.field_set = Some(set);
            label
        }
        Action::JoinWorkspace(id) | Action::LeaveWorkspace(id) => {
            let join = matches!(action, Action::JoinWorkspace(_));
            let (label, set) = workspaces::WorkspaceSet::of(conn, editor, (id, join), ids)?;
            loaded.workspace = Some(set);
            label
        }
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
        Action::AddGroup(id) => format!("Add the {}", group(conn, id)?),
        Action::RemoveGroup(id) => format!("Remove the {}", group(conn, id)?),
        Action::Activate => "Activate".into(),
        Action::Deactivate => "Deactivate".into(),
        Action::Delete => "Delete".into(),
    })
}

/// What the editor's standing must allow over each user.
fn act_of(action: Action) -> Act {
    match action {
        Action::AddRole(_) | Action::RemoveRole(_) => Act::Access,
        Action::JoinWorkspace(_) | Action::LeaveWorkspace(_) => Act::Access,
        Action::AddLicense(_) | Action::RemoveLicense(_) => Act::Licenses,
        Action::AddGroup(_) | Action::RemoveGroup(_) => Act::Profile,
        Action::SetField(_) => Act::Profile,
        Action::Activate | Action::Deactivate => Act::Status,
        Action::Delete => Act::Delete,
    }
}

/// What the users to delete own, in words ("40 contacts, 3 leads").
fn owned_by(conn: &mut DbConn, ids: &[i64]) -> QueryResult<String> {
    use crate::db::schema::owned_records;
    let mut totals: Vec<(String, i64)> = Vec::new();
    for chunk in ids.chunks(BATCH) {
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
    Ok(crate::users::actions::lifecycle::describe_owned(&totals))
}
