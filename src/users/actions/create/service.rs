//! Create User: one person with the whole profile (roles, licenses, division, groups, fields),
//! checked, saved, audited and emailed a link to confirm the account and choose a password,
//! all in one transaction; any problem writes nothing.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

use super::forms::CreateForm;
use crate::audit::{self, action, Actor, Changes, Event, Origin};
use crate::db::{write_tx, DbConn};
use crate::fields::profile::{self, Editor as FieldEditor};
use crate::groups;
use crate::licenses::store::{self as licenses, products, take_seat};
use crate::mail;
use crate::orgs::catalog::grantable_roles;
use crate::users::authority::Editor;
use crate::users::{product_access, status, store as users};
use crate::validation::{EmailAddress, FieldErrors, PersonName};

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// Who creates, and where the link in the email points.
pub struct Creator<'a> {
    pub editor: &'a Editor,
    /// "Olive Owner", as the email names them.
    pub name: &'a str,
    pub base_url: &'a str,
}

/// What a creation did.
#[derive(Debug)]
pub struct Created {
    pub user_id: i64,
    pub email: String,
    /// Products whose last seat it took.
    pub last_seats: Vec<String>,
}

pub fn create(
    conn: &mut DbConn,
    creator: &Creator<'_>,
    form: &CreateForm,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Created, CreateError> {
    match create_once(conn, creator, form, meta, now) {
        // Another save took the address or a unique value between the check and the write:
        // once more, and the check names the field.
        Err(CreateError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => create_once(conn, creator, form, meta, now),
        other => other,
    }
}

pub fn create_once(
    conn: &mut DbConn,
    creator: &Creator<'_>,
    form: &CreateForm,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Created, CreateError> {
    let editor = creator.editor;
    let org_id = editor.org_id;
    write_tx(conn, |conn| {
        let mut errors = FieldErrors::default();
        let first = PersonName::parse(&form.first_name, "a first name")
            .map_err(|m| errors.add("first_name", m))
            .ok();
        let last = PersonName::parse(&form.last_name, "a last name")
            .map_err(|m| errors.add("last_name", m))
            .ok();
        let email = EmailAddress::parse(&form.email)
            .map_err(|m| errors.add("email", m))
            .ok();
        if let Some(email) = &email {
            if users::email_taken(conn, email.as_str())? {
                errors.add(
                    "email",
                    "This person already has an account or a pending invitation.",
                );
            }
        }
        let username = username_for(conn, org_id, &form.username, &mut errors)?;
        let (division, org_groups) = check_placement(conn, editor, form, &mut errors)?;
        let fields = crate::fields::store::all(conn, org_id)?;
        let none = crate::fields::store::Values::new();
        let profile = profile::check(
            &fields,
            &none,
            &form.fields,
            (FieldEditor::Admin, &form.role_ids),
            &mut errors,
        );
        profile.check_unique(conn, 0, &mut errors)?;
        let last_seats = take_seats(conn, org_id, &form.product_ids, &mut errors)?;
        let (Some(first), Some(last), Some(email), true) = (first, last, email, errors.is_empty())
        else {
            // Err rolls the transaction back: the seats taken above are free again.
            return Err(CreateError::Invalid(errors));
        };
        let new_user = users::NewUser::new(
            org_id,
            email.as_str(),
            first.as_str(),
            last.as_str(),
            match form.provisioned {
                None => status::INVITED,
                Some(true) => status::ACTIVE,
                Some(false) => status::INACTIVE,
            },
            now,
        );
        let user_id = users::insert_user(conn, &new_user)?;
        write_holdings(
            conn,
            (editor, user_id),
            form,
            (division, username.as_deref()),
            &profile,
            now,
        )?;
        users::refresh_search_text(conn, user_id)?;
        // Provisioned by an identity provider: nothing to confirm (they sign in through it,
        // or choose a password with "Forgot your password?").
        if form.provisioned.is_none() {
            let person = (user_id, first.as_str(), email.as_str());
            send_link(conn, creator, person, form.product_only, now)?;
        }
        let created = (user_id, email.as_str(), (first.as_str(), last.as_str()));
        let placed = (username.as_deref(), division, org_groups.as_slice());
        record_created(conn, editor, form, created, placed, &profile, (meta, now))?;
        Ok(Created {
            user_id,
            email: email.to_string(),
            last_seats,
        })
    })
}

/// The new user's roles (bounded by the creator's access), licenses, division, groups, field
/// values, username, product-only mark and phone.
fn write_holdings(
    conn: &mut DbConn,
    (editor, user_id): (&Editor, i64),
    form: &CreateForm,
    (division, username): (Option<i64>, Option<&str>),
    profile: &profile::ProfileChange,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    for role_id in &form.role_ids {
        users::add_role(conn, user_id, *role_id)?;
    }
    crate::users::authority::bound_by(conn, editor, user_id)?;
    for product_id in &form.product_ids {
        licenses::assign(conn, user_id, *product_id, now)?;
    }
    if division.is_some() {
        users::set_division(conn, user_id, division)?;
    }
    for group_id in &form.group_ids {
        groups::store::add_member(conn, user_id, *group_id)?;
    }
    profile.apply(conn, user_id)?;
    if username.is_some() {
        crate::users::username::set(conn, editor.org_id, user_id, username)?;
    }
    if form.product_only {
        product_access::mark(conn, user_id, now)?;
    }
    if !form.phone.is_empty() {
        users::set_phone(conn, user_id, &form.phone)?;
    }
    Ok(())
}

/// The username, if one is given: its shape, unique in the organization, and required when
/// the organization says so.
fn username_for(
    conn: &mut DbConn,
    org_id: i64,
    raw: &str,
    errors: &mut FieldErrors,
) -> diesel::QueryResult<Option<String>> {
    Ok(match crate::users::username::check(raw) {
        Err(problem) => {
            errors.add("username", problem);
            None
        }
        Ok(None) => {
            if crate::users::username::required(conn, org_id)? {
                errors.add(
                    "username",
                    "Enter a username: your organization requires one.",
                );
            }
            None
        }
        Ok(Some(name)) => {
            if crate::users::username::taken(conn, org_id, &name, 0)? {
                errors.add(
                    "username",
                    "Another user of your organization has this username.",
                );
            }
            Some(name)
        }
    })
}

/// The roles (within the creator's access), the division and the groups, as the creator's
/// scope allows: the division's id and the organization's groups.
fn check_placement(
    conn: &mut DbConn,
    editor: &Editor,
    form: &CreateForm,
    errors: &mut FieldErrors,
) -> diesel::QueryResult<(Option<i64>, Vec<groups::store::Group>)> {
    let org_id = editor.org_id;
    let grantable: BTreeSet<i64> = grantable_roles(conn, org_id, editor.permissions)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    if form.role_ids.is_empty() {
        errors.add("roles", "Choose at least one role.");
    } else if !form.role_ids.is_subset(&grantable) {
        errors.add("roles", "You can only give roles within your own access.");
    }
    let division = form.division_id();
    if division.is_none() && !form.division.trim().is_empty() {
        errors.add("division", "Choose a division from the list.");
    }
    let org_divisions = crate::users::actions::edit::store::divisions(conn, org_id)?;
    if division.is_some_and(|d| !org_divisions.iter().any(|(id, _)| *id == d)) {
        errors.add("division", "Choose a division from the list.");
    }
    if let Some(scope) = &editor.scope {
        if !scope.reaches(division, &form.group_ids) {
            errors.add("division", crate::users::scope::OUTSIDE);
        }
    }
    let org_groups = groups::store::all(conn, org_id)?;
    if form
        .group_ids
        .iter()
        .any(|id| !org_groups.iter().any(|g| g.id == *id))
    {
        errors.add("groups", "Choose groups from the lists.");
    }
    Ok((division, org_groups))
}

/// Takes a seat of each product (given back with the transaction on any error): the products
/// whose last seat it took.
fn take_seats(
    conn: &mut DbConn,
    org_id: i64,
    product_ids: &BTreeSet<i64>,
    errors: &mut FieldErrors,
) -> diesel::QueryResult<Vec<String>> {
    let catalogue = products(conn, org_id)?;
    let mut last_seats = Vec::new();
    for product_id in product_ids {
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
        } else if product.seats_used + 1 >= product.seats {
            last_seats.push(product.name.clone());
        }
    }
    Ok(last_seats)
}

/// The `user.created` audit row: the profile as created.
fn record_created(
    conn: &mut DbConn,
    editor: &Editor,
    form: &CreateForm,
    (user_id, email, (first, last)): (i64, &str, (&str, &str)),
    (username, division, org_groups): (Option<&str>, Option<i64>, &[groups::store::Group]),
    profile: &profile::ProfileChange,
    (meta, now): (&Origin, NaiveDateTime),
) -> diesel::QueryResult<()> {
    let mut fields_set = Changes::default();
    profile.audit(&mut fields_set);
    let details = json!({
        "email": email,
        "username": username,
        "first_name": first,
        "last_name": last,
        "role_ids": form.role_ids,
        "product_ids": form.product_ids,
        "division_id": division,
        "groups": groups::store::labels(org_groups, &form.group_ids),
        "fields": fields_set.into_details()["after"],
        "product_access_only": form.product_only,
        "provisioned": form.provisioned.is_some(),
    });
    let actor = Actor::user(editor.id, &editor.email);
    let event = Event {
        org_id: Some(editor.org_id),
        actor: &actor,
        action: action::USER_CREATED,
        target: Some((user_id, email)),
        details,
        meta,
    };
    audit::record(conn, event, now)
}

/// The email with the person's sign-in and a link to confirm the account and choose a
/// password (as long-lived as an invitation, and cancelled like one).
fn send_link(
    conn: &mut DbConn,
    creator: &Creator<'_>,
    (user_id, first_name, email): (i64, &str, &str),
    product_only: bool,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let org_id = creator.editor.org_id;
    let org = crate::orgs::store::name_of(conn, org_id)?;
    let days = crate::orgs::store::invite_days(conn, org_id)?;
    let link = crate::invites::service::new_invite_link(
        conn,
        org_id,
        user_id,
        creator.base_url,
        days,
        now,
    )?;
    let mut paragraphs = vec![
        format!(
            "{} created an account for you at {org} on Gatehouse. You sign in with your email address, {email}.",
            creator.name
        ),
        "Confirm your account and choose your password here:".to_owned(),
    ];
    if product_only {
        paragraphs.insert(
            1,
            format!("Your account gives you access to {org}'s products; it does not open the Gatehouse console."),
        );
    }
    let footer = format!(
        "The link works once and expires in {days} days. If you did not expect this, ignore this email."
    );
    let message = mail::Simple {
        first_name,
        paragraphs,
        link: Some(("Confirm my account", &link)),
        footer: &footer,
    };
    let email = message.email(
        Some(org_id),
        Some(user_id),
        mail::views::INVITE_MAIL,
        email,
        &format!("Confirm your account at {org}"),
    );
    mail::store::enqueue(conn, &email, now)
}
