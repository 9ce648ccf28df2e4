//! Send Invites: every row of the grid or none.

use chrono::NaiveDateTime;

use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::db::{write_tx, DbConn};
use crate::invites::forms::{RawRow, RowErrors};
use crate::licenses::store as licenses;
use crate::mail::{self};
use crate::users::{normalize_email, status, store as users_store};

use super::{new_invite_link, Inviter, SendError};

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
        let days = crate::orgs::store::invite_days(conn, inviter.org_id)?;
        let products = licenses::products(conn, inviter.org_id)?;
        let mut errors: Vec<RowErrors> = rows.iter().map(|_| RowErrors::default()).collect();
        // Seats first, against what is free now, so each row hears which product ran out.
        for product in &products {
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
        let actor = Actor::user(inviter.id, &inviter.email);
        let mut sent = 0;
        for (i, row) in rows.iter().enumerate() {
            if row.is_blank() {
                continue;
            }
            let email = normalize_email(&row.email);
            if inviter.scope.is_some() {
                // An invitee has no division yet: they would be nobody's a scoped
                // administrator manages.
                errors[i].email = Some(crate::users::scope::NO_INVITES.into());
                continue;
            }
            if users_store::email_taken(conn, &email)? {
                errors[i].email =
                    Some("This person already has an account or a pending invitation.".into());
                continue;
            }
            let copied = match normalize_email(&row.copy_from) {
                from if from.is_empty() => None,
                from => match access_to_copy(conn, inviter.org_id, inviter.permissions, &from)? {
                    Some(access) => Some((from, access)),
                    None => {
                        errors[i].roles = Some(format!(
                            "No user of your organization has the email {from}."
                        ));
                        None
                    }
                },
            };
            if !errors[i].is_empty() {
                continue;
            }
            let (first, last) = (row.first_name.trim(), row.last_name.trim());
            let new_user = users_store::NewUser::new(
                inviter.org_id,
                &email,
                first,
                last,
                status::INVITED,
                now,
            );
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
                    errors[i].licenses = Some(seat_message(name, 0, 1));
                    break;
                }
                licenses::assign(conn, user_id, *product_id, now)?;
            }
            if !errors[i].is_empty() {
                continue;
            }
            let link = new_invite_link(conn, inviter.org_id, user_id, base_url, days, now)?;
            let text = mail::views::InviteText {
                first_name: first,
                inviter: &inviter.name,
                org: &org,
                link: &link,
                days,
            };
            mail::store::enqueue(
                conn,
                &mail::views::invite_email(inviter.org_id, user_id, &email, text),
                now,
            )?;
            let details = serde_json::json!({
                "email": email, "first_name": first, "last_name": last,
                "role_ids": row.role_ids, "product_ids": row.product_ids,
                "copied_from": copied.as_ref().map(|(from, _)| from),
                "overrides": copied.as_ref().map(|(_, a)| a.overrides.iter().map(|(p, g)| (p.clone(), serde_json::json!(if *g { "grant" } else { "deny" }))).collect::<serde_json::Map<_, _>>()),
            });
            audit::record(
                conn,
                Event {
                    org_id: Some(inviter.org_id),
                    actor: &actor,
                    action: action::USER_INVITED,
                    target: Some((user_id, &email)),
                    details,
                    meta,
                },
                now,
            )?;
            sent += 1;
        }
        if errors.iter().any(|e| !e.is_empty()) {
            // Err rolls the whole transaction back: nothing saved, nothing sent.
            return Err(SendError::Invalid(errors));
        }
        Ok(sent)
    })
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
