//! The extra columns of the users list: the user fields each person chose to show, and their
//! values for one page of users (one query for the page, whatever its size).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::list_columns;
use crate::db::DbConn;
use crate::fields::Field;

/// The most extra columns a list shows.
pub const MAX_COLUMNS: usize = 5;

/// The field ids of a person's remembered choice (`list_columns.field_ids`, read with the
/// signed-in user).
pub fn parse(field_ids: Option<&str>) -> Vec<i64> {
    field_ids
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.parse().ok())
        .collect()
}

/// The fields of `ids` (a person's choice) shown as columns, in the order of the
/// organization's fields (secrets never; fields deleted since are left out).
pub fn chosen(ids: &[i64], fields: &[Field]) -> Vec<Field> {
    fields
        .iter()
        .filter(|f| ids.contains(&f.id) && !f.is_secret())
        .take(MAX_COLUMNS)
        .cloned()
        .collect()
}

/// Remembers the columns this person chose.
pub fn choose(conn: &mut DbConn, user_id: i64, field_ids: &[i64]) -> QueryResult<()> {
    let ids = field_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    diesel::delete(list_columns::table.find(user_id)).execute(conn)?;
    diesel::insert_into(list_columns::table)
        .values((
            list_columns::user_id.eq(user_id),
            list_columns::field_ids.eq(ids),
        ))
        .execute(conn)
        .map(drop)
}

/// Each user's values in the columns, as shown ("" when empty; a multiple choice's labels
/// joined by commas).
pub fn values(
    conn: &mut DbConn,
    user_ids: &[i64],
    columns: &[Field],
) -> QueryResult<HashMap<i64, Vec<String>>> {
    if columns.is_empty() || user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // By user only: the primary key (user_id, …) answers; with the field ids in the query too,
    // SQLite may walk the field index instead, through every user's value.
    let rows = crate::fields::store::value_rows(conn, user_ids)?;
    let mut held: HashMap<(i64, i64), Vec<String>> = HashMap::new();
    for (user, field, value) in rows {
        if columns.iter().any(|f| f.id == field) {
            held.entry((user, field)).or_default().push(value);
        }
    }
    Ok(user_ids
        .iter()
        .map(|user| {
            let cells = columns
                .iter()
                .map(|field| {
                    let mut values = held.get(&(*user, field.id)).cloned().unwrap_or_default();
                    // A multiple choice in its options' order.
                    values.sort_by_key(|v| field.options.iter().position(|o| &o.code == v));
                    values
                        .iter()
                        .map(|v| field.display(v))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect();
            (*user, cells)
        })
        .collect())
}
