//! Send Invites: every row of the grid or none.

use chrono::NaiveDateTime;

use crate::audit::Actor;
use crate::audit::Origin;
use crate::db::{write_tx, DbConn};
use crate::invites::forms::{RawRow, RowErrors};
use crate::licenses::store as licenses;
use crate::users::{normalize_email, status, store as users_store};

use super::{send_link, Invitee, Inviter, SendError, Sender};

/// What an invitee copies from another user: their roles (the grid ticks those within the
/// inviter's access) and their permission overrides within the inviter's own permissions.
#[derive(Debug, Clone)]
pub struct CopiedAccess {
    pub role_ids: Vec<i64>,
    /// (permission, granted)
    pub overrides: Vec<(String, bool)>,
}

impl CopiedAccess {
    pub fn note(&self, email: &str) -> String {
        match self.overrides.len() {
            0 => format!("Roles of {email} ticked."),
            1 => format!("Roles of {email} ticked; their 1 permission override comes too."),
            n => format!("Roles of {email} ticked; their {n} permission overrides come too."),
        }
    }
}

/// The access of the organization's user with `email`, as far as `held` may hand it on.
pub fn access_to_copy(
    conn: &mut DbConn,
    org_id: i64,
    held: crate::auth::permissions::Permissions,
    email: &str,
) -> diesel::QueryResult<Option<CopiedAccess>> {
    use crate::db::schema::users;
    use diesel::prelude::*;
    let source: Option<i64> = users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::email.eq(email))
        .select(users::id)
        .first(conn)
        .optional()?;
    let Some(source) = source else {
        return Ok(None);
    };
    let overrides = crate::auth::store::permission_overrides(conn, source)?
        .into_iter()
        .filter(|(name, _)| {
            let one = crate::auth::permissions::Permissions::default().with_name(name);
            !one.is_empty() && held.covers(one)
        })
        .collect();
    Ok(Some(CopiedAccess {
        role_ids: crate::users::actions::edit::store::role_ids(conn, source)?,
        overrides,
    }))
}

/// Sends the grid: every row is saved, holds its seats, gets its link, email and audit event,
/// in one transaction; any problem (an email taken, a seat gone) writes nothing.
pub fn send_invites(
    conn: &mut DbConn,
    inviter: &Inviter,
    rows: &[RawRow],
    base_url: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<usize, SendError> {
    write_tx(conn, |conn| {
        let org = crate::orgs::store::name_of(conn, inviter.org_id)?;
        let products = licenses::products(conn, inviter.org_id)?;
        let mut errors = seat_shortages(rows, &products);
        let actor = Actor::user(inviter.id, &inviter.email);
        let sender = Sender {
            org_id: inviter.org_id,
            inviter_name: &inviter.name,
            actor: &actor,
            base_url,
            days: crate::orgs::store::invite_days(conn, inviter.org_id)?,
        };
        let mut sent = 0;
        for (row, errors) in rows.iter().zip(errors.iter_mut()) {
            if row.is_blank() {
                continue;
            }
            let Some(copied) = admissible(conn, inviter, row, errors)? else {
                continue;
            };
            if invite_row(
                conn,
                (&sender, &org),
                (row, copied),
                (&products, errors),
                (meta, now),
            )? {
                sent += 1;
            }
        }
        if errors.iter().any(|e| !e.is_empty()) {
            // Err rolls the whole transaction back: nothing saved, nothing sent.
            return Err(SendError::Invalid(errors));
        }
        Ok(sent)
    })
}

/// Seats first, against what is free now, so each row hears which product ran out.
fn seat_shortages(rows: &[RawRow], products: &[licenses::Product]) -> Vec<RowErrors> {
    let mut errors: Vec<RowErrors> = rows.iter().map(|_| RowErrors::default()).collect();
    for product in products {
        let wanted: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.is_blank() && r.product_ids.contains(&product.id))
            .map(|(i, _)| i)
            .collect();
        if wanted.len() as i32 > product.available() {
            for &i in wanted.iter().skip(product.available() as usize) {
                errors[i].licenses = Some(seat_message(
                    &product.name,
                    product.available(),
                    wanted.len(),
                ));
            }
        }
    }
    errors
}

/// Whether the row may be invited (its messages noted otherwise), with the access it copies.
fn admissible(
    conn: &mut DbConn,
    inviter: &Inviter,
    row: &RawRow,
    errors: &mut RowErrors,
) -> diesel::QueryResult<Option<Option<(String, CopiedAccess)>>> {
    let email = normalize_email(&row.email);
    if inviter.scope.is_some() {
        // An invitee has no division yet: they would be nobody's a scoped administrator
        // manages.
        errors.email = Some(crate::users::scope::NO_INVITES.into());
        return Ok(None);
    }
    if users_store::email_taken(conn, &email)? {
        errors.email = Some("This person already has an account or a pending invitation.".into());
        return Ok(None);
    }
    let copied = match normalize_email(&row.copy_from) {
        from if from.is_empty() => None,
        from => match access_to_copy(conn, inviter.org_id, inviter.permissions, &from)? {
            Some(access) => Some((from, access)),
            None => {
                errors.roles = Some(format!(
                    "No user of your organization has the email {from}."
                ));
                None
            }
        },
    };
    Ok(errors.is_empty().then_some(copied))
}

/// Saves one row's invitee with their roles, copied overrides and seats, then their link,
/// email and audit row; `false` (with the row's message) when a seat went meanwhile.
fn invite_row(
    conn: &mut DbConn,
    (sender, org): (&Sender<'_>, &str),
    (row, copied): (&RawRow, Option<(String, CopiedAccess)>),
    (products, errors): (&[licenses::Product], &mut RowErrors),
    (meta, now): (&Origin, NaiveDateTime),
) -> diesel::QueryResult<bool> {
    let email = normalize_email(&row.email);
    let (first, last) = (row.first_name.trim(), row.last_name.trim());
    let new_user =
        users_store::NewUser::new(sender.org_id, &email, first, last, status::INVITED, now);
    let user_id = users_store::insert_user(conn, &new_user)?;
    for role_id in &row.role_ids {
        users_store::add_role(conn, user_id, *role_id)?;
    }
    if let Some((_, access)) = &copied {
        for (permission, granted) in &access.overrides {
            use crate::db::schema::user_permission_overrides as upo;
            use diesel::prelude::*;
            diesel::insert_into(upo::table)
                .values((
                    upo::user_id.eq(user_id),
                    upo::permission.eq(permission),
                    upo::granted.eq(granted),
                ))
                .execute(conn)?;
        }
    }
    for product_id in &row.product_ids {
        if !licenses::take_seat(conn, *product_id)? {
            // Someone else took the last seat meanwhile.
            let name = products
                .iter()
                .find(|p| p.id == *product_id)
                .map(|p| p.name.as_str())
                .unwrap_or("this product");
            errors.licenses = Some(seat_message(name, 0, 1));
            return Ok(false);
        }
        licenses::assign(conn, user_id, *product_id, now)?;
    }
    let details = serde_json::json!({
        "email": email, "first_name": first, "last_name": last,
        "role_ids": row.role_ids, "product_ids": row.product_ids,
        "copied_from": copied.as_ref().map(|(from, _)| from),
        "overrides": copied.as_ref().map(|(_, a)| a.overrides.iter().map(|(p, g)| (p.clone(), serde_json::json!(if *g { "grant" } else { "deny" }))).collect::<serde_json::Map<_, _>>()),
    });
    let invitee = Invitee {
        user_id,
        email: &email,
        first_name: first,
        place: org,
        details,
    };
    send_link(conn, sender, invitee, meta, now)?;
    Ok(true)
}

fn seat_message(product: &str, available: i32, wanted: usize) -> String {
    if available == 0 {
        format!("No {product} seats are left. Free a seat or ask whoever manages licenses to add more in Settings.")
    } else {
        format!(
            "Only {available} {product} seat{} left for {wanted} rows. Untick {product} on some rows or add seats in Settings.",
            if available == 1 { "" } else { "s" }
        )
    }
}
