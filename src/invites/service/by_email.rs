//! Inviting someone by their address alone (a workspace's ADD USER): they join the
//! organization invited, holding no role and no license until someone gives one.

use chrono::NaiveDateTime;

use crate::audit::{Actor, Origin};
use crate::db::DbConn;
use crate::users::{normalize_email, status, store as users_store};

use super::{send_link, Invitee, Sender};

/// Where the invitation leads and who sends it.
pub struct Invitation<'a> {
    pub org_id: i64,
    pub inviter: &'a Actor,
    pub inviter_name: &'a str,
    /// The workspace the invitee joins (the caller makes them a member).
    pub workspace: &'a str,
    pub base_url: &'a str,
}

/// A name to show until the invitee changes it, from the address: "jane.doe@…" is
/// ("Jane", "Doe"), "jdoe@…" is ("Jdoe", ""); a "+tag" is left out.
pub fn name_from_email(email: &str) -> (String, String) {
    let local = email.split(['@', '+']).next().unwrap_or_default();
    let mut words = local
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect()
            })
        });
    let first = words.next().unwrap_or_else(|| local.to_owned());
    (first, words.collect::<Vec<_>>().join(" "))
}

/// Invites `email` to the organization (within the caller's transaction): the person, their
/// link, the email and the audit event. `None` when the address already has an account or a
/// pending invitation (here or in another organization).
pub fn invite_by_email(
    conn: &mut DbConn,
    invitation: &Invitation<'_>,
    email: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<i64>> {
    let email = normalize_email(email);
    if users_store::email_taken(conn, &email)? {
        return Ok(None);
    }
    let (first, last) = name_from_email(&email);
    let new_user = users_store::NewUser::new(
        invitation.org_id,
        &email,
        &first,
        &last,
        status::INVITED,
        now,
    );
    let user_id = users_store::insert_person(conn, &new_user)?;
    let org = crate::orgs::store::name_of(conn, invitation.org_id)?;
    let days = crate::orgs::store::invite_days(conn, invitation.org_id)?;
    let place = format!("{org} (workspace {})", invitation.workspace);
    let sender = Sender {
        org_id: invitation.org_id,
        inviter_name: invitation.inviter_name,
        actor: invitation.inviter,
        base_url: invitation.base_url,
        days,
    };
    let invitee = Invitee {
        user_id,
        email: &email,
        first_name: &first,
        place: &place,
        details: serde_json::json!({
            "email": email, "first_name": first, "last_name": last,
            "role_ids": [], "product_ids": [], "workspace": invitation.workspace,
        }),
    };
    send_link(conn, &sender, invitee, meta, now)?;
    Ok(Some(user_id))
}

#[cfg(test)]
mod tests {
    use super::name_from_email;

    #[test]
    fn a_name_comes_from_the_address() {
        let name = |e: &str| name_from_email(e);
        assert_eq!(name("jane.doe@acme.io"), ("Jane".into(), "Doe".into()));
        assert_eq!(name("JDOE@acme.io"), ("Jdoe".into(), String::new()));
        assert_eq!(
            name("mary_ann-van.dyke+crm@acme.io"),
            ("Mary".into(), "Ann Van Dyke".into())
        );
        assert_eq!(name("...@acme.io"), ("...".into(), String::new()));
    }
}
