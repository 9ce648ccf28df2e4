//! A temporary password, Reset Password's second way: an administrator sets it and sees it
//! once (it is never stored in clear, emailed, logged or audited); the holder's sessions end,
//! and at the next sign-in they must choose their own (the expired-password page). Every
//! password change ends it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;

use crate::audit::{self, action, Actor, Event, Origin};
use crate::db::schema::{temporary_passwords, users};
use crate::db::{write_tx, DbConn};
use crate::users::authority::{self, Act, Denied, Editor};
use crate::users::status;

/// Letters and digits nobody misreads when reading a password aloud or off a screen.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";

/// A random password of at least `min_length` characters in groups of four
/// (`k7Qm-3xPa-…`): about 5.6 bits a character, 90 bits at 16.
pub fn generate(min_length: usize) -> String {
    // n groups are 5n - 1 characters long.
    let groups = (min_length + 1).div_ceil(5).max(4);
    let mut rng = rand::thread_rng();
    (0..groups)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Ends the user's temporary password, if they had one (their own replaced it).
pub fn end(conn: &mut DbConn, user_id: i64) -> QueryResult<()> {
    diesel::delete(temporary_passwords::table.find(user_id))
        .execute(conn)
        .map(drop)
}

/// Gives an active user the temporary password whose hash is `password_hash`, if `editor`
/// may reset their credentials; false when there is no such active user.
pub fn set(
    conn: &mut DbConn,
    editor: &Editor,
    user_id: i64,
    password_hash: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<bool, Denied> {
    write_tx(conn, |conn| {
        authority::ensure(conn, editor, user_id, Act::ResetCredentials)?;
        let Some(user) = super::store::session_user(conn, user_id)?
            .filter(|u| u.org_id == editor.org_id && u.status == status::ACTIVE)
        else {
            return Ok(false);
        };
        diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(password_hash),
                users::password_changed_at.eq(now),
                users::failed_logins.eq(0),
                users::updated_at.eq(now),
                users::version.eq(users::version + 1),
            ))
            .execute(conn)?;
        end(conn, user_id)?;
        diesel::insert_into(temporary_passwords::table)
            .values((
                temporary_passwords::user_id.eq(user_id),
                temporary_passwords::set_by.eq(editor.id),
                temporary_passwords::set_at.eq(now),
            ))
            .execute(conn)?;
        let ended = super::store::delete_user_sessions(conn, user_id)?;
        let event = Event {
            org_id: Some(editor.org_id),
            actor: &Actor::user(editor.id, &editor.email),
            action: action::TEMPORARY_PASSWORD_SET,
            target: Some((user_id, &user.email)),
            details: serde_json::json!({ "sessions_ended": ended }),
            meta,
        };
        audit::record(conn, event, now)?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::generate;

    #[test]
    fn temporary_passwords_are_long_grouped_and_different() {
        let one = generate(12);
        assert_eq!(one.len(), 19, "{one}");
        assert!(one.split('-').all(|group| group.len() == 4), "{one}");
        assert_ne!(one, generate(12));
        let long = generate(30);
        assert!(long.chars().count() >= 30, "{long}");
        assert!(long.split('-').all(|group| group.len() == 4), "{long}");
        assert!(crate::auth::password::check_policy(&one, 12, &["ada@acme.io"]).is_ok());
    }
}
