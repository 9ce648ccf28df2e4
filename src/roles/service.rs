//! Creating, changing and deleting roles: the rules, the audit event and the catalogue's new
//! version in one transaction.
//!
//! - Nobody gives a role a permission they do not hold.
//! - Nobody changes or deletes a role they hold (their own access).
//! - Nobody changes a role held by someone who holds more than they do: a change to a role is
//!   a change to every holder.
//! - The Owner role is fixed; a role in use is deleted only by moving its holders to another.

use chrono::NaiveDateTime;
use serde_json::json;

use super::preview::preview_of;
pub use super::preview::{preview, Preview};
use super::{is_fixed, is_signup_role, keeps_name, labels_of, store};
use crate::audit::{self, action, Event, Origin};
use crate::auth::permissions::{Permissions, OWNER};
use crate::db::{write_tx, DbConn};
use crate::licenses::product_permissions::{self, ProductPermission};
use crate::orgs::catalog::{self, load_roles, Role};
use crate::users::authority::{self, Editor};
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("That role does not exist, or belongs to another organization.")]
    NotFound,
    /// The whole change is refused (the dialog says why).
    #[error("{0}")]
    Refused(String),
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The role dialog as posted.
#[derive(Debug, Clone, Default)]
pub struct RoleForm {
    pub name: String,
    pub description: String,
    /// Stored permission names.
    pub permissions: Vec<String>,
}

impl RoleForm {
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let last = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Self {
            name: last("name"),
            description: last("description"),
            permissions: pairs
                .iter()
                .filter(|(k, _)| k == "permission")
                .map(|(_, v)| v.clone())
                .collect(),
        }
    }

    pub fn of(role: &Role) -> Self {
        Self {
            name: role.name.clone(),
            description: role.description.clone(),
            permissions: role.permissions.names(),
        }
    }
}

const DESCRIPTION_MAX: usize = 200;

/// The checked form: a name, a description, a set of the organization's permissions.
struct Checked {
    name: String,
    description: String,
    permissions: Permissions,
}

fn check(
    conn: &mut DbConn,
    editor: &Editor,
    form: &RoleForm,
    role: Option<&Role>,
    products: &[ProductPermission],
) -> Result<Checked, RoleError> {
    let mut errors = FieldErrors::default();
    let name = match crate::groups::check_name(&form.name) {
        Ok(name) => name,
        Err(message) => {
            errors.add("name", message);
            String::new()
        }
    };
    if let Some(role) = role.filter(|r| keeps_name(r) && r.name != name) {
        errors.add(
            "name",
            format!(
                "{} is a built-in role the console finds by its name: describe it and set its permissions, but keep the name.",
                role.name
            ),
        );
    } else if !name.is_empty() && store::name_taken(conn, editor.org_id, &name, role.map(|r| r.id))?
    {
        errors.add("name", "There is already a role with this name.");
    }
    let description = form.description.trim().to_owned();
    if description.chars().count() > DESCRIPTION_MAX {
        errors.add(
            "description",
            format!("Use at most {DESCRIPTION_MAX} characters."),
        );
    }
    let everything = catalog::everything(products);
    let mut permissions = Permissions::default();
    for name in &form.permissions {
        let one = Permissions::default().with_name(name);
        if one.is_empty() || !everything.covers(one) {
            errors.add("permissions", "Choose from the permissions listed.");
        }
        permissions = permissions.union(one);
    }
    // Keeping what the role gives already is not giving it: only what is added must be theirs.
    let kept = role.map(|r| r.permissions).unwrap_or_default();
    let beyond = editor.permissions.union(kept).missing(permissions);
    if !beyond.is_empty() {
        errors.add(
            "permissions",
            format!(
                "You can only give permissions you hold yourself. Not yours: {}.",
                labels_of(beyond, products).join(", ")
            ),
        );
    }
    if errors.is_empty() {
        Ok(Checked {
            name,
            description,
            permissions,
        })
    } else {
        Err(RoleError::Invalid(errors))
    }
}

/// The role, if the editor may change it (or delete it): not the Owner's, not one of their
/// own, no holder above them.
fn changeable(conn: &mut DbConn, editor: &Editor, role_id: i64) -> Result<Role, RoleError> {
    let role = load_roles(conn, editor.org_id)?
        .into_iter()
        .find(|r| r.id == role_id)
        .ok_or(RoleError::NotFound)?;
    if is_fixed(&role) {
        return Err(RoleError::Refused(
            "The Owner role holds every permission and cannot be changed.".into(),
        ));
    }
    let holders = store::holders(conn, role_id)?;
    if holders.contains(&editor.id) {
        return Err(RoleError::Refused(
            "You hold this role: ask another administrator to change it (nobody changes their own access)."
                .into(),
        ));
    }
    let above = authority::standings_of(conn, editor.org_id, &holders)?
        .values()
        .filter(|s| !authority::covers(editor.permissions, s.permissions))
        .count();
    if above > 0 {
        return Err(RoleError::Refused(format!(
            "{} in this role {} permissions you do not have: only someone who holds all of them can change it.",
            people(above),
            if above == 1 { "holds" } else { "hold" }
        )));
    }
    Ok(role)
}

fn people(n: usize) -> String {
    match n {
        1 => "1 person".into(),
        n => format!("{n} people"),
    }
}

/// Writes the audit event of a catalogue change and moves the catalogue's version on, so
/// every instance loads it again (roles and product permissions both).
pub(super) fn record(
    conn: &mut DbConn,
    editor: &Editor,
    what: &str,
    details: serde_json::Value,
    (meta, now): (&Origin, NaiveDateTime),
) -> diesel::QueryResult<()> {
    let actor = audit::Actor::user(editor.id, &editor.email);
    let event = Event {
        org_id: Some(editor.org_id),
        actor: &actor,
        action: what,
        target: None,
        details,
        meta,
    };
    audit::record(conn, event, now)?;
    catalog::bump(conn, editor.org_id)?;
    Ok(())
}

pub fn create(
    conn: &mut DbConn,
    editor: &Editor,
    form: &RoleForm,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<i64, RoleError> {
    write_tx(conn, |conn| {
        let products = product_permissions::all(conn, editor.org_id)?;
        let checked = check(conn, editor, form, None, &products)?;
        let id = store::insert(conn, editor.org_id, &checked.name, &checked.description)?;
        store::set_permissions(conn, id, &checked.permissions.names())?;
        let details = json!({
            "name": checked.name,
            "description": checked.description,
            "permissions": labels_of(checked.permissions, &products),
        });
        record(conn, editor, action::ROLE_CREATED, details, (meta, now))?;
        Ok(id)
    })
}

pub fn update(
    conn: &mut DbConn,
    editor: &Editor,
    role_id: i64,
    form: &RoleForm,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Preview, RoleError> {
    write_tx(conn, |conn| {
        let role = changeable(conn, editor, role_id)?;
        let products = product_permissions::all(conn, editor.org_id)?;
        let checked = check(conn, editor, form, Some(&role), &products)?;
        let preview = preview_of(
            conn,
            editor.org_id,
            Some(&role),
            checked.permissions,
            &products,
        )?;
        if checked.name != role.name {
            store::rename_in_mfa_policy(conn, editor.org_id, &role.name, Some(&checked.name))?;
        }
        store::update(conn, role_id, &checked.name, &checked.description)?;
        store::set_permissions(conn, role_id, &checked.permissions.names())?;
        let details = json!({
            "role": checked.name,
            "before": {
                "name": role.name,
                "description": role.description,
                "permissions": labels_of(role.permissions, &products),
            },
            "after": {
                "name": checked.name,
                "description": checked.description,
                "permissions": labels_of(checked.permissions, &products),
            },
            "granted": preview.grants,
            "revoked": preview.revokes,
            "affected": preview.affected,
        });
        record(conn, editor, action::ROLE_CHANGED, details, (meta, now))?;
        Ok(preview)
    })
}

/// Deletes a role; its holders move to `move_to` (required while anyone holds it). Answers
/// how many people moved.
pub fn delete(
    conn: &mut DbConn,
    editor: &Editor,
    role_id: i64,
    move_to: Option<i64>,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<usize, RoleError> {
    write_tx(conn, |conn| {
        let role = changeable(conn, editor, role_id)?;
        if is_signup_role(&role) {
            return Err(RoleError::Refused(format!(
                "People who sign themselves up get the {} role: it cannot be deleted. Change its permissions instead.",
                role.name
            )));
        }
        let holders = store::holders(conn, role_id)?;
        let all = load_roles(conn, editor.org_id)?;
        let target = match move_to {
            None if !holders.is_empty() => {
                return Err(RoleError::Invalid(FieldErrors::one(
                    "move_to",
                    format!(
                        "{} {} this role: choose a role to move them to.",
                        people(holders.len()),
                        if holders.len() == 1 { "holds" } else { "hold" }
                    ),
                )))
            }
            None => None,
            Some(to) => {
                let found = all
                    .iter()
                    .find(|r| r.id == to && r.id != role_id && r.name != OWNER)
                    .ok_or_else(|| {
                        RoleError::Invalid(FieldErrors::one(
                            "move_to",
                            "Choose another role from the list.",
                        ))
                    })?;
                if !editor.permissions.covers(found.permissions) {
                    return Err(RoleError::Invalid(FieldErrors::one(
                        "move_to",
                        "You can only move people to a role whose permissions you hold yourself.",
                    )));
                }
                Some(found.clone())
            }
        };
        let products = product_permissions::all(conn, editor.org_id)?;
        // The organization's row (its catalogue) before the holders' rows, in the order every
        // catalogue change that reaches people takes them (a group or a field deleted).
        catalog::bump(conn, editor.org_id)?;
        let moved = store::delete_moving(conn, role_id, move_to)?;
        store::rename_in_mfa_policy(conn, editor.org_id, &role.name, None)?;
        let details = json!({
            "name": role.name,
            "permissions": labels_of(role.permissions, &products),
            "moved": moved,
            "moved_to": target.map(|t| t.name),
        });
        record(conn, editor, action::ROLE_DELETED, details, (meta, now))?;
        Ok(moved)
    })
}
