//! User queries: the list (`list`), and the few reads and writes every part of users needs.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{roles, user_roles, users};
use crate::db::DbConn;

pub mod columns;
mod list;
mod walk;

pub use list::*;

/// The organization's roles, for the All roles filter.
pub fn org_roles(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<(i64, String)>> {
    roles::table
        .filter(roles::org_id.eq(org_id))
        .order(roles::id)
        .select((roles::id, roles::name))
        .load(conn)
}

pub fn role_id_by_name(conn: &mut DbConn, org_id: i64, name: &str) -> QueryResult<i64> {
    roles::table
        .filter(roles::org_id.eq(org_id))
        .filter(roles::name.eq(name))
        .select(roles::id)
        .load(conn)
        .map(crate::db::unique)?
        .ok_or(diesel::result::Error::NotFound)
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub org_id: i64,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub name_key: String,
    pub search_text: String,
    pub status: &'a str,
    pub password_hash: Option<&'a str>,
    pub password_changed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl<'a> NewUser<'a> {
    pub fn new(
        org_id: i64,
        email: &'a str,
        first_name: &'a str,
        last_name: &'a str,
        status: &'a str,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            org_id,
            email,
            first_name,
            last_name,
            name_key: super::name_key(first_name, last_name),
            search_text: super::search_text(first_name, last_name, email),
            status,
            password_hash: None,
            password_changed_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Inserts a user and returns its id (emails are unique install-wide).
pub fn insert_user(conn: &mut DbConn, user: &NewUser<'_>) -> QueryResult<i64> {
    let id = insert_person(conn, user)?;
    // Everyone who joins the organization joins its first workspace (every entry point
    // creates people here: invitations, Create User, sign-up, imports, setup).
    crate::workspaces::store::join_organization(
        conn,
        user.org_id,
        id,
        crate::workspaces::Level::Agent,
        user.created_at,
    )?;
    Ok(id)
}

/// Inserts a user who joins no workspace (the caller chooses one) and returns its id.
pub fn insert_person(conn: &mut DbConn, user: &NewUser<'_>) -> QueryResult<i64> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    users::table
        .filter(users::email.eq(user.email))
        .select(users::id)
        .first(conn)
}

/// A user's name ("First Last"), if the user exists.
pub fn name_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<String>> {
    let found: Option<(String, String)> = users::table
        .find(user_id)
        .select((users::first_name, users::last_name))
        .first(conn)
        .optional()?;
    Ok(found.map(|(first, last)| format!("{first} {last}")))
}

/// A user's email address, if the user exists.
pub fn email_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .select(users::email)
        .load(conn)
        .map(crate::db::unique)
}

/// The organization's user with this (normalized) address.
pub fn id_by_email(conn: &mut DbConn, org_id: i64, email: &str) -> QueryResult<Option<i64>> {
    users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::email.eq(email))
        .select(users::id)
        .load(conn)
        .map(crate::db::unique)
}

pub fn email_taken(conn: &mut DbConn, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::email.eq(email)),
    ))
    .get_result(conn)
}

pub fn add_role(conn: &mut DbConn, user_id: i64, role_id: i64) -> QueryResult<()> {
    diesel::insert_into(user_roles::table)
        .values((
            user_roles::user_id.eq(user_id),
            user_roles::role_id.eq(role_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the user belongs to the organization (every per-user URL checks this; another
/// organization's ids answer 404).
pub fn exists_in_org(conn: &mut DbConn, org_id: i64, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::org_id.eq(org_id)),
    ))
    .get_result(conn)
}

/// Puts a user in a division (or none).
pub fn set_division(conn: &mut DbConn, user_id: i64, division_id: Option<i64>) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::division_id.eq(division_id))
        .execute(conn)
        .map(drop)
}

pub fn set_phone(conn: &mut DbConn, user_id: i64, phone: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::phone.eq(phone))
        .execute(conn)
        .map(drop)
}

/// Writes the user's Search User text again: name and email, username, and the values of the
/// organization's fields marked searchable. Every writer of any of them calls this after.
pub fn refresh_search_text(conn: &mut DbConn, user_id: i64) -> QueryResult<()> {
    use crate::db::schema::{user_field_values, user_fields, usernames};
    let Some((first, last, email)): Option<(String, String, String)> = users::table
        .find(user_id)
        .select((users::first_name, users::last_name, users::email))
        .first(conn)
        .optional()?
    else {
        return Ok(());
    };
    let username: Option<String> = usernames::table
        .find(user_id)
        .select(usernames::username)
        .first(conn)
        .optional()?;
    let values: Vec<String> = user_field_values::table
        .inner_join(user_fields::table)
        .filter(user_field_values::user_id.eq(user_id))
        .filter(user_fields::searchable.eq(true))
        .order((user_fields::position, user_fields::id))
        .select(user_field_values::value)
        .load(conn)?;
    let mut text = super::search_text(&first, &last, &email);
    for extra in username.iter().chain(values.iter()) {
        text.push(' ');
        text.push_str(&extra.to_lowercase());
    }
    diesel::update(users::table.find(user_id))
        .set(users::search_text.eq(text))
        .execute(conn)
        .map(drop)
}

/// The same for every user holding a value in a field (it became searchable, or stopped).
pub fn refresh_search_text_of_holders(conn: &mut DbConn, field_id: i64) -> QueryResult<()> {
    // In id order, as every change to several people locks them (`lock_all_for_change`).
    for user_id in crate::fields::holders::of(conn, field_id)? {
        refresh_search_text(conn, user_id)?;
    }
    Ok(())
}

/// The user changed outside Edit User: the version moves on, so a dialog opened before says so.
pub fn touch(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Makes a user a tenant superuser, or not.
pub fn set_superuser(
    conn: &mut DbConn,
    user_id: i64,
    superuser: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use crate::db::schema::superusers;
    diesel::delete(superusers::table.filter(superusers::user_id.eq(user_id))).execute(conn)?;
    if superuser {
        crate::insert_batch!(
            conn,
            superusers::table,
            &vec![(
                superusers::user_id.eq(user_id),
                superusers::created_at.eq(now)
            )]
        )?;
    }
    Ok(())
}

/// Locks the person's row for the rest of the transaction (PostgreSQL; SQLite's writers take
/// turns already). A change to someone writes rows that reference them — chat divisions,
/// field values, a username: each a foreign key's KEY SHARE on their row — before their
/// groups and roles, whose list facts need FOR UPDATE on it: two such changes of one person
/// at once each held the shared lock the other waited on (a deadlock, and one of them failed).
/// Taken first, the second change waits for the first and then sees its version.
pub fn lock_for_change(conn: &mut DbConn, user_id: i64) -> QueryResult<()> {
    lock_all_for_change(conn, &[user_id])
}

/// Locks these people's rows (PostgreSQL), in id order, before a change to several of them (a
/// group deleted, a role's holders moved, a group's members set). Each membership's list facts
/// lock its person (migrations 000031, 000034) in the order the statement meets them — name
/// order, insertion order —, while a bulk action goes in id order: two such changes sharing
/// two people could each hold one and wait for the other. Taken in one order, they take turns.
pub fn lock_all_for_change(conn: &mut DbConn, user_ids: &[i64]) -> QueryResult<()> {
    lock_all(conn, user_ids, "FOR UPDATE")
}

/// Takes, in id order, the share lock that rows referencing these people take one by one
/// (PostgreSQL's foreign key check: FOR KEY SHARE) — before writing many such rows in another
/// order (records imported in the file's order): a shared lock held on one while a change to
/// several people waits for it, and that change holding the next, is a deadlock too.
pub fn reference_all(conn: &mut DbConn, user_ids: &[i64]) -> QueryResult<()> {
    lock_all(conn, user_ids, "FOR KEY SHARE")
}

fn lock_all(conn: &mut DbConn, user_ids: &[i64], strength: &str) -> QueryResult<()> {
    if let (DbConn::Pg(pg), false) = (conn, user_ids.is_empty()) {
        diesel::sql_query(format!(
            "SELECT 1 FROM users WHERE id = ANY($1) ORDER BY id {strength}"
        ))
        .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(user_ids)
        .execute(pg)?;
    }
    Ok(())
}
