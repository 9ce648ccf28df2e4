//! Usernames: a core field beside the email address, unique in the organization whatever its
//! case, required when the organization says so. People sign in with either.

use diesel::prelude::*;

use crate::db::schema::{username_policies, usernames};
use crate::db::DbConn;

/// The longest username.
pub const MAX: usize = 40;

/// A username as typed: trimmed; `None` when empty. 2 to 40 letters, digits and `. _ -`,
/// starting with a letter or digit (never an `@`: that is how sign-in tells it from an email).
pub fn check(raw: &str) -> Result<Option<String>, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let shape = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if !shape || name.chars().count() < 2 || name.chars().count() > MAX {
        return Err(format!(
            "Use 2 to {MAX} letters, digits, dots, dashes or underscores, starting with a letter or digit."
        ));
    }
    Ok(Some(name.to_owned()))
}

/// The key a username is unique by.
pub fn key(name: &str) -> String {
    name.to_lowercase()
}

pub fn of_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<String>> {
    usernames::table
        .find(user_id)
        .select(usernames::username)
        .first(conn)
        .optional()
}

/// Whether another user of the organization has this username (any case).
pub fn taken(conn: &mut DbConn, org_id: i64, name: &str, except: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        usernames::table
            .filter(usernames::org_id.eq(org_id))
            .filter(usernames::username_key.eq(key(name)))
            .filter(usernames::user_id.ne(except)),
    ))
    .get_result(conn)
}

/// Sets (or with `None` removes) the user's username.
pub fn set(conn: &mut DbConn, org_id: i64, user_id: i64, name: Option<&str>) -> QueryResult<()> {
    diesel::delete(usernames::table.find(user_id)).execute(conn)?;
    let Some(name) = name else {
        return Ok(());
    };
    diesel::insert_into(usernames::table)
        .values((
            usernames::user_id.eq(user_id),
            usernames::org_id.eq(org_id),
            usernames::username.eq(name),
            usernames::username_key.eq(key(name)),
        ))
        .execute(conn)
        .map(drop)
}

/// The users (of any organization) whose username this is, at most 5: sign-in tries the
/// password on each.
pub fn users_named(conn: &mut DbConn, name: &str) -> QueryResult<Vec<i64>> {
    usernames::table
        .filter(usernames::username_key.eq(key(name)))
        .select(usernames::user_id)
        .order(usernames::user_id)
        .limit(5)
        .load(conn)
}

pub fn required(conn: &mut DbConn, org_id: i64) -> QueryResult<bool> {
    Ok(username_policies::table
        .find(org_id)
        .select(username_policies::required)
        .first(conn)
        .optional()?
        .unwrap_or(false))
}

pub fn set_required(conn: &mut DbConn, org_id: i64, required: bool) -> QueryResult<()> {
    diesel::delete(username_policies::table.find(org_id)).execute(conn)?;
    diesel::insert_into(username_policies::table)
        .values((
            username_policies::org_id.eq(org_id),
            username_policies::required.eq(required),
        ))
        .execute(conn)
        .map(drop)
}

/// Settings: the organization requires a username of everyone (or not), audited in the same
/// transaction. Answers how many users have none yet.
pub fn require(
    conn: &mut DbConn,
    (actor, org_id): (&crate::audit::Actor, i64),
    wanted: bool,
    meta: &crate::audit::Origin,
    now: chrono::NaiveDateTime,
) -> QueryResult<i64> {
    crate::db::write_tx(conn, |conn| {
        let before = required(conn, org_id)?;
        if before != wanted {
            set_required(conn, org_id, wanted)?;
            let mut changes = crate::audit::Changes::default();
            changes.field("username_required", before, wanted);
            let event = crate::audit::Event {
                org_id: Some(org_id),
                actor,
                action: crate::audit::action::SETTINGS_CHANGED,
                target: None,
                details: changes.into_details(),
                meta,
            };
            crate::audit::record(conn, event, now)?;
        }
        without_username(conn, org_id)
    })
}

/// How many of the organization's users have no username.
pub fn without_username(conn: &mut DbConn, org_id: i64) -> QueryResult<i64> {
    use crate::db::schema::users;
    users::table
        .filter(users::org_id.eq(org_id))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            usernames::table.filter(usernames::user_id.eq(users::id)),
        )))
        .count()
        .get_result(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_checked() {
        assert_eq!(check("  jdoe ").unwrap().as_deref(), Some("jdoe"));
        assert_eq!(check("").unwrap(), None);
        assert_eq!(check("J.Doe-2_x").unwrap().as_deref(), Some("J.Doe-2_x"));
        for bad in ["a", "j@doe", "-jdoe", "j doe", &"x".repeat(41)] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert_eq!(key("JDoe"), "jdoe");
    }
}
