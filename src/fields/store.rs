//! User field queries: the organization's fields, and the values users hold.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::definition::{compile, Access, Choice, Field, Kind, Required};
use crate::db::schema::{user_field_values, user_fields};
use crate::db::DbConn;

/// A field as the database holds it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_fields)]
pub struct FieldRow {
    pub id: i64,
    pub field_key: String,
    pub label: String,
    pub kind: String,
    pub section: String,
    pub position: i32,
    pub help: String,
    pub required: String,
    pub required_roles: String,
    pub is_unique: bool,
    pub min_length: Option<i32>,
    pub max_length: Option<i32>,
    pub pattern: String,
    pub pattern_message: String,
    pub options: String,
    pub show_when_key: String,
    pub show_when_value: String,
    pub access: String,
    pub searchable: bool,
}

impl From<FieldRow> for Field {
    fn from(row: FieldRow) -> Field {
        let required = match row.required.as_str() {
            "always" => Required::Always,
            "roles" => Required::Roles(
                row.required_roles
                    .split(',')
                    .filter_map(|id| id.trim().parse().ok())
                    .collect(),
            ),
            _ => Required::Never,
        };
        Field {
            id: row.id,
            kind: Kind::parse(&row.kind).unwrap_or(Kind::Text),
            // A pattern that no longer compiles (it was checked when saved) checks nothing.
            pattern: compile(&row.pattern).ok().flatten(),
            pattern_source: row.pattern,
            pattern_message: row.pattern_message,
            options: Choice::parse_lines(&row.options),
            show_when: (!row.show_when_key.is_empty())
                .then_some((row.show_when_key, row.show_when_value)),
            access: Access::parse(&row.access).unwrap_or_default(),
            key: row.field_key,
            label: row.label,
            section: row.section,
            position: row.position,
            help: row.help,
            required,
            unique: row.is_unique,
            min_length: row.min_length,
            max_length: row.max_length,
            searchable: row.searchable,
        }
    }
}

/// The organization's fields, by section order then position.
pub fn all(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<Field>> {
    let rows: Vec<FieldRow> = user_fields::table
        .filter(user_fields::org_id.eq(org_id))
        .order((user_fields::position, user_fields::id))
        .select(FieldRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Field::from).collect())
}

pub fn find(conn: &mut DbConn, org_id: i64, field_id: i64) -> QueryResult<Option<Field>> {
    let row: Option<FieldRow> = user_fields::table
        .filter(user_fields::org_id.eq(org_id))
        .filter(user_fields::id.eq(field_id))
        .select(FieldRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(Field::from))
}

pub fn key_taken(conn: &mut DbConn, org_id: i64, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        user_fields::table
            .filter(user_fields::org_id.eq(org_id))
            .filter(user_fields::field_key.eq(key)),
    ))
    .get_result(conn)
}

/// The next position at the end of the list.
pub fn next_position(conn: &mut DbConn, org_id: i64) -> QueryResult<i32> {
    let last: Option<i32> = user_fields::table
        .filter(user_fields::org_id.eq(org_id))
        .select(diesel::dsl::max(user_fields::position))
        .first(conn)?;
    Ok(last.map_or(10, |p| p + 10))
}

/// The columns a field's definition writes (all but id, org and key).
type Columns = (
    (
        diesel::dsl::Eq<user_fields::label, String>,
        diesel::dsl::Eq<user_fields::kind, &'static str>,
        diesel::dsl::Eq<user_fields::section, String>,
        diesel::dsl::Eq<user_fields::position, i32>,
        diesel::dsl::Eq<user_fields::help, String>,
        diesel::dsl::Eq<user_fields::required, &'static str>,
        diesel::dsl::Eq<user_fields::required_roles, String>,
        diesel::dsl::Eq<user_fields::is_unique, bool>,
    ),
    (
        diesel::dsl::Eq<user_fields::min_length, Option<i32>>,
        diesel::dsl::Eq<user_fields::max_length, Option<i32>>,
        diesel::dsl::Eq<user_fields::pattern, String>,
        diesel::dsl::Eq<user_fields::pattern_message, String>,
        diesel::dsl::Eq<user_fields::options, String>,
        diesel::dsl::Eq<user_fields::show_when_key, String>,
        diesel::dsl::Eq<user_fields::show_when_value, String>,
        diesel::dsl::Eq<user_fields::access, &'static str>,
        diesel::dsl::Eq<user_fields::searchable, bool>,
    ),
);

fn columns(field: &Field) -> Columns {
    let (when_key, when_value) = field.show_when.clone().unwrap_or_default();
    (
        (
            user_fields::label.eq(field.label.clone()),
            user_fields::kind.eq(field.kind.code()),
            user_fields::section.eq(field.section.clone()),
            user_fields::position.eq(field.position),
            user_fields::help.eq(field.help.clone()),
            user_fields::required.eq(field.required.code()),
            user_fields::required_roles.eq(field.required.role_ids()),
            user_fields::is_unique.eq(field.unique),
        ),
        (
            user_fields::min_length.eq(field.min_length),
            user_fields::max_length.eq(field.max_length),
            user_fields::pattern.eq(field.pattern_source.clone()),
            user_fields::pattern_message.eq(field.pattern_message.clone()),
            user_fields::options.eq(Choice::lines(&field.options)),
            user_fields::show_when_key.eq(when_key),
            user_fields::show_when_value.eq(when_value),
            user_fields::access.eq(field.access.code()),
            user_fields::searchable.eq(field.searchable),
        ),
    )
}

pub fn insert(
    conn: &mut DbConn,
    org_id: i64,
    field: &Field,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    crate::orgs::catalog::bump(conn, org_id)?;
    diesel::insert_into(user_fields::table)
        .values((
            user_fields::org_id.eq(org_id),
            user_fields::field_key.eq(&field.key),
            user_fields::created_at.eq(now),
            columns(field),
        ))
        .execute(conn)?;
    user_fields::table
        .filter(user_fields::org_id.eq(org_id))
        .filter(user_fields::field_key.eq(&field.key))
        .select(user_fields::id)
        .first(conn)
}

pub fn update(conn: &mut DbConn, field: &Field) -> QueryResult<()> {
    bump_for(conn, field.id)?;
    diesel::update(user_fields::table.find(field.id))
        .set(columns(field))
        .execute(conn)
        .map(drop)
}

/// Deletes the field and every value held in it (the catalogue first, then its holders in id
/// order: their list facts and search text change).
pub fn delete(conn: &mut DbConn, field_id: i64) -> QueryResult<()> {
    bump_for(conn, field_id)?;
    let holding = super::holders::of(conn, field_id)?;
    crate::users::store::lock_all_for_change(conn, &holding)?;
    diesel::delete(user_field_values::table.filter(user_field_values::field_id.eq(field_id)))
        .execute(conn)?;
    diesel::delete(user_fields::table.find(field_id))
        .execute(conn)
        .map(drop)
}

/// The field's organization's catalogue (which lists its fields) changes.
fn bump_for(conn: &mut DbConn, field_id: i64) -> QueryResult<()> {
    let org_id: Option<i64> = user_fields::table
        .find(field_id)
        .select(user_fields::org_id)
        .first(conn)
        .optional()?;
    match org_id {
        Some(org_id) => crate::orgs::catalog::bump(conn, org_id),
        None => Ok(()),
    }
}

/// Every value held in a field: (user id, value), for a change of type.
pub fn values_in(conn: &mut DbConn, field_id: i64) -> QueryResult<Vec<(i64, String)>> {
    user_field_values::table
        .filter(user_field_values::field_id.eq(field_id))
        .select((user_field_values::user_id, user_field_values::value))
        .load(conn)
}

/// A user's values by field id (a multiple choice's in no set order).
pub type Values = BTreeMap<i64, Vec<String>>;

pub fn values_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Values> {
    let rows: Vec<(i64, String)> = user_field_values::table
        .filter(user_field_values::user_id.eq(user_id))
        .select((user_field_values::field_id, user_field_values::value))
        .load(conn)?;
    let mut values = Values::new();
    for (field, value) in rows {
        values.entry(field).or_default().push(value);
    }
    Ok(values)
}

/// Whether another user holds this value in a unique field (any case).
pub fn value_taken(
    conn: &mut DbConn,
    field_id: i64,
    value: &str,
    user_id: i64,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        user_field_values::table
            .filter(user_field_values::field_id.eq(field_id))
            .filter(user_field_values::value_key.eq(super::value_key(value)))
            .filter(user_field_values::user_id.ne(user_id)),
    ))
    .get_result(conn)
}

/// Replaces the user's values in one field.
pub fn set_values(
    conn: &mut DbConn,
    user_id: i64,
    field: &Field,
    values: &[String],
) -> QueryResult<()> {
    diesel::delete(
        user_field_values::table
            .filter(user_field_values::user_id.eq(user_id))
            .filter(user_field_values::field_id.eq(field.id)),
    )
    .execute(conn)?;
    let mut seen = BTreeSet::new();
    for value in values {
        let key = super::value_key(value);
        if !seen.insert(key.clone()) {
            continue;
        }
        // One row at a time: a field holds one value, a multiple choice a few.
        diesel::insert_into(user_field_values::table)
            .values((
                user_field_values::user_id.eq(user_id),
                user_field_values::field_id.eq(field.id),
                user_field_values::value.eq(value),
                user_field_values::unique_key.eq(field.unique.then(|| key.clone())),
                user_field_values::value_key.eq(&key),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Marks the field's values unique (or not): fills or clears unique_key. Fails on a unique
/// violation when two users hold the same value.
pub fn set_unique(conn: &mut DbConn, field_id: i64, unique: bool) -> QueryResult<()> {
    let values = user_field_values::table.filter(user_field_values::field_id.eq(field_id));
    if unique {
        diesel::update(values)
            .set(user_field_values::unique_key.eq(user_field_values::value_key.nullable()))
            .execute(conn)
            .map(drop)
    } else {
        diesel::update(values)
            .set(user_field_values::unique_key.eq(None::<String>))
            .execute(conn)
            .map(drop)
    }
}

/// Whether two users hold the same value in the field (it cannot become unique then).
pub fn has_duplicates(conn: &mut DbConn, field_id: i64) -> QueryResult<bool> {
    let duplicated: Option<String> = user_field_values::table
        .filter(user_field_values::field_id.eq(field_id))
        .group_by(user_field_values::value_key)
        .having(diesel::dsl::count_star().gt(1))
        .select(user_field_values::value_key)
        .first(conn)
        .optional()?;
    Ok(duplicated.is_some())
}

/// Removes one user's values in a field (values no longer valid after a change of type).
pub fn remove_values(conn: &mut DbConn, field_id: i64, user_ids: &[i64]) -> QueryResult<()> {
    for chunk in user_ids.chunks(500) {
        diesel::delete(
            user_field_values::table
                .filter(user_field_values::field_id.eq(field_id))
                .filter(user_field_values::user_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// The values of many users, by user (one query per 500 users).
/// Every (user, field, value) these users hold, by the primary key (user_id, …), the ids bound
/// as one parameter so the statement is prepared once per connection.
pub fn value_rows(conn: &mut DbConn, user_ids: &[i64]) -> QueryResult<Vec<(i64, i64, String)>> {
    #[derive(QueryableByName)]
    struct Held {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        user_id: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        field_id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let mut sql = crate::db::sql::Sql::new();
    sql.push("SELECT user_id, field_id, value FROM user_field_values WHERE ")
        .any_of("user_id", user_ids);
    Ok(crate::db::sql::load::<Held>(conn, sql)?
        .into_iter()
        .map(|h| (h.user_id, h.field_id, h.value))
        .collect())
}

pub fn values_of_many(
    conn: &mut DbConn,
    user_ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, Values>> {
    let mut by_user: std::collections::HashMap<i64, Values> = Default::default();
    for chunk in user_ids.chunks(500) {
        for (user, field, value) in value_rows(conn, chunk)? {
            by_user
                .entry(user)
                .or_default()
                .entry(field)
                .or_default()
                .push(value);
        }
    }
    Ok(by_user)
}
