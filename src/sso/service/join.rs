//! Auto sign-up through a provider: a new user with the policy's role and licenses.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::record;
use super::sign_in::Refusal;
use crate::audit::{action, Actor, Origin};
use crate::db::DbConn;
use crate::orgs::domains;
use crate::sso::oidc::Claims;
use crate::sso::store::{self, Policy, Provider};
use crate::users::{status, store as users_store};

/// Auto sign-up through the provider: allowed while the organization takes sign-ups from the
/// address's domain; the policy's role (else Agent) and licenses, a license skipped when no
/// seat is left (the Owners are told).
pub(super) fn join(
    conn: &mut DbConn,
    provider: &Provider,
    claims: &Claims,
    email: &str,
    (meta, now): (&Origin, NaiveDateTime),
) -> QueryResult<Result<i64, Refusal>> {
    let org = crate::orgs::store::name_of(conn, provider.org_id)?;
    let domain = domains::domain_of(email);
    let open = crate::orgs::store::org_taking_signups_from(conn, &domain)?
        .is_some_and(|(id, _)| id == provider.org_id);
    if !open {
        return Ok(Err(Refusal::new(
            "not_a_user",
            format!("You have no account in {org} yet. Ask an administrator of {org} for an invitation."),
        )));
    }
    let (first, last) = names(claims, email);
    let mut new_user =
        users_store::NewUser::new(provider.org_id, email, &first, &last, status::ACTIVE, now);
    new_user.password_hash = None;
    let user_id = users_store::insert_user(conn, &new_user)?;
    let policy = store::policy(conn, provider.org_id)?;
    let role_id = match policy.role_id {
        Some(role) => role,
        None => {
            users_store::role_id_by_name(conn, provider.org_id, crate::auth::permissions::AGENT)?
        }
    };
    users_store::add_role(conn, user_id, role_id)?;
    let (licensed, no_seat) = licenses(conn, provider.org_id, user_id, &policy, now)?;
    let actor = Actor::user(user_id, email);
    let details = serde_json::json!({
        "first_name": first, "last_name": last, "via": provider.name,
        "role_id": role_id, "licenses": licensed, "no_seat_left": no_seat,
    });
    record(
        conn,
        (&actor, provider.org_id),
        (action::SIGNED_UP, Some((user_id, email)), details),
        (meta, now),
    )?;
    if !no_seat.is_empty() {
        tell_owners(conn, provider.org_id, email, &no_seat, now)?;
    }
    Ok(Ok(user_id))
}

/// First and last name from the token, else from the address.
fn names(claims: &Claims, email: &str) -> (String, String) {
    let (guess_first, guess_last) = crate::invites::service::name_from_email(email);
    let pick = |given: &str, guess: String| {
        let given = given.trim();
        if given.is_empty() {
            guess
        } else {
            given.chars().take(100).collect()
        }
    };
    (
        pick(&claims.given_name, guess_first),
        pick(&claims.family_name, guess_last),
    )
}

/// Takes a seat of each of the policy's products: the names licensed, and those left out.
fn licenses(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
    policy: &Policy,
    now: NaiveDateTime,
) -> QueryResult<(Vec<String>, Vec<String>)> {
    let products = crate::licenses::store::products(conn, org_id)?;
    let (mut licensed, mut no_seat) = (Vec::new(), Vec::new());
    for product in products
        .iter()
        .filter(|p| policy.product_ids.contains(&p.id))
    {
        if crate::licenses::store::take_seat(conn, product.id)? {
            crate::licenses::store::assign(conn, user_id, product.id, now)?;
            licensed.push(product.name.clone());
        } else {
            no_seat.push(product.name.clone());
        }
    }
    Ok((licensed, no_seat))
}

fn tell_owners(
    conn: &mut DbConn,
    org_id: i64,
    email: &str,
    no_seat: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    for (owner_id, owner_email, first_name) in
        crate::api::tokens::store::active_owners(conn, org_id)?
    {
        let notice = crate::mail::Simple {
            first_name: &first_name,
            paragraphs: vec![format!(
                "{email} joined through single sign-on, but no seat of {} was left, so they have no license for it. Add seats or free one in Settings → Products, then assign it in Edit User.",
                no_seat.join(", ")
            )],
            link: None,
            footer: "You receive this as an Owner of your organization in Gatehouse.",
        };
        let out = notice.email(
            Some(org_id),
            Some(owner_id),
            "sso_no_seat",
            &owner_email,
            "Someone joined without a license: no seat left",
        );
        crate::mail::store::enqueue(conn, &out, now)?;
    }
    Ok(())
}
