//! The checks of an Edit User save, each rule beside its field: status and credentials,
//! roles, Supervisor chat access, seats and groups.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::super::forms::UserChange;
use super::super::store;
use crate::audit;
use crate::db::DbConn;
use crate::divisions::store as divisions;
use crate::fields;
use crate::groups;
use crate::licenses::store::{self as licenses, products, take_seat};
use crate::orgs::catalog::grantable_roles;
use crate::users::authority::{self, Act, Editor};
use crate::users::status;
use crate::validation::FieldErrors;

/// Invitations stay pending; the Active toggle decides the rest.
pub(super) fn status_of(current: &store::EditRow, form: &UserChange) -> &'static str {
    match (current.status.as_str(), form.active) {
        (status::INVITED, _) => status::INVITED,
        (_, Some(true)) => status::ACTIVE,
        (_, Some(false)) => status::INACTIVE,
        (s, None) if s == status::INACTIVE => status::INACTIVE,
        _ => status::ACTIVE,
    }
}

/// The field's message when the editor may not do `act` to the target.
fn refuse(
    (me, target): (&authority::Standing, &authority::Standing),
    field: &'static str,
    act: Act,
    errors: &mut FieldErrors,
) {
    if let Err(refusal) = authority::check(me, target, act) {
        errors.add(field, refusal.to_string());
    }
}

/// Status, email and the login IP allowlist: each needs its own authority.
pub(super) fn check_credentials(
    parties: (&authority::Standing, &authority::Standing),
    current: &store::EditRow,
    form: &UserChange,
    new_status: &str,
    errors: &mut FieldErrors,
) {
    if new_status != current.status {
        refuse(parties, "active", Act::Status, errors);
    }
    if form.email.as_str() != current.email {
        refuse(parties, "email", Act::Credentials, errors);
    }
    if form.ip_allowlist != current.ip_allowlist {
        refuse(parties, "ip_allowlist", Act::Credentials, errors);
    }
}

/// The roles the user ends with: only roles within the editor's own access change; the rest
/// stay as they are; at least one.
pub(super) fn roles_of(
    conn: &mut DbConn,
    editor: &Editor,
    parties: (&authority::Standing, &authority::Standing),
    held: &BTreeSet<i64>,
    wanted: &BTreeSet<i64>,
    errors: &mut FieldErrors,
) -> QueryResult<BTreeSet<i64>> {
    let grantable: BTreeSet<i64> = grantable_roles(conn, editor.org_id, editor.permissions)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let desired: BTreeSet<i64> = held
        .iter()
        .filter(|r| !grantable.contains(r))
        .chain(wanted.iter().filter(|r| grantable.contains(r)))
        .copied()
        .collect();
    if desired != *held {
        refuse(parties, "roles", Act::Access, errors);
    }
    if errors.get("roles").is_none() {
        if wanted
            .iter()
            .any(|r| !grantable.contains(r) && !held.contains(r))
        {
            errors.add("roles", authority::BEYOND);
        } else if desired.is_empty() {
            errors.add("roles", "Choose at least one role.");
        }
    }
    Ok(desired)
}

/// Supervisor chat access as saved: the scope and the assigned divisions before and after.
pub(super) struct Chat {
    pub(super) scope: String,
    pub(super) held: BTreeSet<i64>,
    pub(super) want: BTreeSet<i64>,
}

/// Chat access is a Supervisor's: for anyone else what was there stays (the dialog hides the
/// choice, which a browser still posts). A Supervisor's Assigned divisions only needs at least
/// one of the organization's divisions; All divisions clears them.
pub(super) fn chat_of(
    conn: &mut DbConn,
    (user_id, current): (i64, &store::EditRow),
    form: &UserChange,
    desired: &BTreeSet<i64>,
    org_divisions: &[(i64, String)],
    errors: &mut FieldErrors,
) -> QueryResult<Chat> {
    let supervisor = crate::users::store::role_id_by_name(
        conn,
        current.org_id,
        crate::auth::permissions::SUPERVISOR,
    )
    .ok();
    let is_supervisor = supervisor.is_some_and(|role| desired.contains(&role));
    let scope = if is_supervisor {
        &form.chat_scope
    } else {
        &current.chat_scope
    };
    let held = divisions::assigned(conn, user_id)?;
    let assigned_only = scope == super::super::CHAT_ASSIGNED;
    let want = match (is_supervisor, assigned_only) {
        (false, _) => held.clone(),
        (true, false) => BTreeSet::new(),
        (true, true) => form
            .chat_division_ids
            .clone()
            .unwrap_or_else(|| held.clone()),
    };
    if is_supervisor && assigned_only {
        if want
            .iter()
            .any(|id| !org_divisions.iter().any(|(d, _)| d == id))
        {
            errors.add("chat_divisions", "Choose divisions from the list.");
        } else if want.is_empty() {
            errors.add(
                "chat_divisions",
                "Choose at least one division for Assigned divisions only.",
            );
        }
    }
    Ok(Chat {
        scope: scope.clone(),
        held,
        want,
    })
}

/// The licenses before and after, and the products whose last seat the save took.
pub(super) struct Seats {
    pub(super) had: BTreeSet<i64>,
    pub(super) want: BTreeSet<i64>,
    pub(super) last_seats: Vec<String>,
}

/// An inactive user holds no license; otherwise seats are taken or given back (in the save's
/// transaction: a refusal rolls them back).
pub(super) fn licenses_of(
    conn: &mut DbConn,
    (org_id, user_id): (i64, i64),
    (parties, form): ((&authority::Standing, &authority::Standing), &UserChange),
    new_status: &str,
    now: NaiveDateTime,
    errors: &mut FieldErrors,
) -> QueryResult<Seats> {
    let had: BTreeSet<i64> = licenses::product_ids_of(conn, user_id)?
        .into_iter()
        .collect();
    // Deactivating gives the seats back whoever deactivates; choosing licenses needs
    // licenses.manage.
    let want: BTreeSet<i64> = if new_status == status::INACTIVE {
        BTreeSet::new()
    } else {
        form.product_ids.clone()
    };
    if new_status != status::INACTIVE && want != had {
        refuse(parties, "licenses", Act::Licenses, errors);
        if errors.get("licenses").is_some() {
            return Ok(Seats {
                want: had.clone(),
                had,
                last_seats: Vec::new(),
            });
        }
    }
    let catalogue = products(conn, org_id)?;
    let mut last_seats = Vec::new();
    for product_id in had.difference(&want) {
        licenses::release(conn, user_id, *product_id)?;
    }
    for product_id in want.difference(&had) {
        let Some(product) = catalogue.iter().find(|p| p.id == *product_id) else {
            errors.add("licenses", "Choose from the products listed.");
            continue;
        };
        if !take_seat(conn, product.id)? {
            errors.add(
                "licenses",
                format!(
                    "No {} seats are left. Free one from another user, or add seats in Settings.",
                    product.name
                ),
            );
            continue;
        }
        licenses::assign(conn, user_id, product.id, now)?;
        if product.seats_used + 1 >= product.seats {
            last_seats.push(product.name.clone());
        }
    }
    Ok(Seats {
        had,
        want,
        last_seats,
    })
}

/// The user's groups before and after.
pub(super) struct GroupChange {
    org: Vec<groups::store::Group>,
    held: BTreeSet<i64>,
    want: BTreeSet<i64>,
}

impl GroupChange {
    pub(super) fn apply(&self, conn: &mut DbConn, user_id: i64) -> QueryResult<()> {
        for group in self.held.difference(&self.want) {
            groups::store::remove_member(conn, user_id, *group)?;
        }
        for group in self.want.difference(&self.held) {
            groups::store::add_member(conn, user_id, *group)?;
        }
        Ok(())
    }

    pub(super) fn audit(&self, changes: &mut audit::Changes) {
        changes.field(
            "groups",
            groups::store::labels(&self.org, &self.held),
            groups::store::labels(&self.org, &self.want),
        );
    }
}

/// Groups: any of the organization's, when the form had the pickers.
pub(super) fn groups_of(
    conn: &mut DbConn,
    (org_id, user_id): (i64, i64),
    form: &UserChange,
    errors: &mut FieldErrors,
) -> QueryResult<GroupChange> {
    let org = groups::store::all(conn, org_id)?;
    let held = groups::store::of_user(conn, user_id)?;
    let want = form.group_ids.clone().unwrap_or_else(|| held.clone());
    if want.iter().any(|id| !org.iter().any(|g| g.id == *id)) {
        errors.add("groups", "Choose groups from the lists.");
    }
    Ok(GroupChange { org, held, want })
}

/// The user's field values: checked against the organization's fields when the form had them
/// (required for the roles they will hold, show-when, unique).
pub(super) fn profile_of(
    conn: &mut DbConn,
    ((org_id, user_id), parties): ((i64, i64), (&authority::Standing, &authority::Standing)),
    form: &UserChange,
    roles: &BTreeSet<i64>,
    errors: &mut FieldErrors,
) -> QueryResult<fields::profile::ProfileChange> {
    let Some(posted) = &form.fields else {
        return Ok(fields::profile::ProfileChange::default());
    };
    let org_fields = fields::store::all(conn, org_id)?;
    let held = fields::store::values_of(conn, user_id)?;
    let editor = (fields::profile::Editor::Admin, roles);
    let change = fields::profile::check(&org_fields, &held, posted, editor, errors);
    change.check_unique(conn, user_id, errors)?;
    // The OAuth Email signs the person in through the organization's provider: a
    // credential, changed only with the authority that changes their email.
    if let Some(oauth) = change
        .changes
        .iter()
        .find(|c| c.field.key == crate::sso::OAUTH_EMAIL)
    {
        if let Err(refusal) = authority::check(parties.0, parties.1, Act::Credentials) {
            errors.add_named(
                fields::profile::input_name(&oauth.field),
                refusal.to_string(),
            );
        }
    }
    Ok(change)
}

/// The username before and after, when the form had one: checked (unique in the
/// organization, required when it says so, the Owner's theirs alone to change).
pub(super) fn username_of(
    conn: &mut DbConn,
    (org_id, user_id): (i64, i64),
    parties: (&authority::Standing, &authority::Standing),
    form: &UserChange,
    errors: &mut FieldErrors,
) -> QueryResult<(Option<String>, Option<String>)> {
    let held = crate::users::username::of_user(conn, user_id)?;
    let Some(wanted) = form.username.clone() else {
        return Ok((held.clone(), held));
    };
    let may_change = authority::check(parties.0, parties.1, Act::Credentials).is_ok();
    // Required: asked for at the next save of someone who has none (by whoever may set it).
    if wanted.is_none() && may_change && crate::users::username::required(conn, org_id)? {
        errors.add(
            "username",
            "Enter a username: your organization requires one.",
        );
    }
    if wanted == held {
        return Ok((held.clone(), held));
    }
    refuse(parties, "username", Act::Credentials, errors);
    if let Some(name) = &wanted {
        if crate::users::username::taken(conn, org_id, name, user_id)? {
            errors.add(
                "username",
                "Another user of your organization has this username.",
            );
        }
    }
    Ok((held, wanted))
}
