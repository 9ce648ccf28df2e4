//! The Edit User dialog as the editor may see it: what is saved (or what was typed), and which
//! roles, licenses and switches their standing over the user leaves open.

use chrono::NaiveDateTime;

use super::forms::EditForm;
use super::store::{self, EditRow};
use super::views::{EditDialog, GroupPicker, LicenseChoice, RoleChoice};
use crate::auth::permissions::OWNER;
use crate::db::DbConn;
use crate::fields::views as fields_views;
use crate::licenses::store::{product_ids_of, products};
use crate::orgs::catalog::grantable_roles;
use crate::users::authority::{self, Act, Editor};
use crate::users::status;
use crate::validation::FieldErrors;
use crate::web::AppError;

/// The user's saved details as the dialog's form.
struct Saved {
    current: EditRow,
    held: Vec<i64>,
    had: Vec<i64>,
}

fn saved_form(conn: &mut DbConn, saved: &Saved) -> diesel::QueryResult<EditForm> {
    let (current, user_id) = (&saved.current, saved.current.id);
    let assigned = crate::divisions::store::assigned(conn, user_id)?;
    let in_groups = crate::groups::store::of_user(conn, user_id)?;
    let username = crate::users::username::of_user(conn, user_id)?;
    Ok(EditForm {
        first_name: current.first_name.clone(),
        last_name: current.last_name.clone(),
        email: current.email.clone(),
        username: Some(username.unwrap_or_default()),
        phone: current.phone.clone(),
        timezone: current.timezone.clone(),
        language: current.language.clone(),
        call_recording: current.call_recording,
        division: current
            .division_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        chat_scope: current.chat_scope.clone(),
        chat_division_ids: Some(assigned.into_iter().collect()),
        ip_allowlist: current.ip_allowlist.clone(),
        active: Some(current.status != status::INACTIVE),
        role_ids: saved.held.clone(),
        product_ids: saved.had.clone(),
        group_ids: Some(in_groups.into_iter().collect()),
        fields: None,
        version: current.version,
        confirmed: false,
        superuser: None,
    })
}

/// The roles, ticked as the form has them; locked where the editor may not change them.
fn role_choices(
    conn: &mut DbConn,
    editor: &Editor,
    form: &EditForm,
    may_grant: bool,
) -> diesel::QueryResult<Vec<RoleChoice>> {
    let grantable: Vec<i64> = grantable_roles(conn, editor.org_id, editor.permissions)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    Ok(crate::users::store::org_roles(conn, editor.org_id)?
        .into_iter()
        .map(|(id, name)| RoleChoice {
            checked: form.role_ids.contains(&id),
            locked: !may_grant || name == OWNER || !grantable.contains(&id),
            id,
            name,
        })
        .collect())
}

/// The products with the seats left; the user's own seat is theirs to keep.
fn license_choices(
    conn: &mut DbConn,
    org_id: i64,
    (form, had): (&EditForm, &[i64]),
    may_assign: bool,
) -> diesel::QueryResult<Vec<LicenseChoice>> {
    Ok(products(conn, org_id)?
        .iter()
        .map(|p| {
            let mut choice = LicenseChoice::from_product(p, form.product_ids.contains(&p.id));
            if had.contains(&p.id) {
                choice.left += 1;
            }
            choice.locked = !may_assign;
            choice
        })
        .collect())
}

/// The offered time zones, with the form's own first when it is not among them.
fn timezones(form: &EditForm) -> Vec<String> {
    let mut timezones: Vec<String> = super::TIMEZONES.iter().map(|t| t.to_string()).collect();
    if !timezones.contains(&form.timezone) && !form.timezone.is_empty() {
        timezones.insert(0, form.timezone.clone());
    }
    timezones
}

/// The user fields in their sections, with the posted values over the saved ones.
fn field_sections(
    conn: &mut DbConn,
    (org_id, user_id): (i64, i64),
    form: &EditForm,
) -> diesel::QueryResult<Vec<fields_views::FieldSection>> {
    let org_fields = crate::fields::store::all(conn, org_id)?;
    let values = crate::fields::store::values_of(conn, user_id)?;
    let values = match &form.fields {
        Some(posted) => posted.as_shown(&org_fields, &values),
        None => values,
    };
    let role_set = form.role_ids.iter().copied().collect();
    let shown = fields_views::Shown {
        fields: &org_fields,
        values: &values,
        roles: &role_set,
    };
    Ok(fields_views::sections(&shown, |_| true))
}

/// The user's saved details as Edit User's form (what an API update starts from).
pub fn current_form(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
) -> diesel::QueryResult<Option<EditForm>> {
    let Some(current) = store::edit_row(conn, org_id, user_id)? else {
        return Ok(None);
    };
    let saved = Saved {
        held: store::role_ids(conn, user_id)?,
        had: product_ids_of(conn, user_id)?,
        current,
    };
    saved_form(conn, &saved).map(Some)
}

pub fn build(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    form: Option<EditForm>,
    now: NaiveDateTime,
) -> Result<EditDialog, AppError> {
    let org_id = editor.org_id;
    let me = editor.standing();
    let current = store::edit_row(conn, org_id, user_id)?.ok_or(AppError::NotFound)?;
    let target = authority::visible_standing(conn, editor, user_id)?;
    authority::check(&me, &target, Act::Profile)?;
    let may = |act| authority::check(&me, &target, act).is_ok();
    let pending_email = crate::account::email::pending_email_change(conn, user_id, now)?;
    let saved = Saved {
        held: store::role_ids(conn, user_id)?,
        had: product_ids_of(conn, user_id)?,
        current,
    };
    let form = match form {
        Some(form) => form,
        None => saved_form(conn, &saved)?,
    };
    let superuser = match form.superuser {
        Some(ticked) => ticked,
        None => authority::is_superuser(conn, user_id)?,
    };
    let current = &saved.current;
    let sso_links = crate::sso::store::identities_of(conn, user_id)?
        .iter()
        .map(crate::sso::views::LinkLine::of)
        .collect();
    Ok(EditDialog {
        user_id,
        sso_links,
        sso_unlink: may(Act::ResetCredentials),
        superuser,
        superuser_offered: !target.owner,
        superuser_editable: me.owner && !target.owner && target.id != me.id,
        group_pickers: GroupPicker::all(
            crate::groups::store::all(conn, org_id)?,
            form.group_ids.as_deref(),
        ),
        field_sections: field_sections(conn, (org_id, user_id), &form)?,
        show_active: may(Act::Status) && current.status != status::INVITED,
        credentials_locked: !may(Act::Credentials),
        credentials_note: authority::check(&me, &target, Act::Credentials)
            .err()
            .map(|r| r.to_string())
            .unwrap_or_default(),
        pending_email,
        pending: current.status == status::INVITED,
        was_active: current.status == status::ACTIVE,
        roles: role_choices(conn, editor, &form, may(Act::Access))?,
        licenses: license_choices(conn, org_id, (&form, &saved.had), may(Act::Licenses))?,
        divisions: store::divisions(conn, org_id)?,
        timezones: timezones(&form),
        form,
        errors: FieldErrors::default(),
        alert: None,
        confirm_deactivate: false,
    })
}
