//! The demo's user fields and the values its people hold.

use diesel::prelude::*;

use crate::db::schema::user_field_values;
use crate::db::DbConn;

/// The demo's user fields, as a dialer company keeps them: Auto Dial (a choice), Caller ID
/// Number (a phone) and Virtual Extension (unique). Answers their ids in that order.
pub(super) fn demo_fields(
    conn: &mut DbConn,
    org_id: i64,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<[i64; 3]> {
    use crate::fields::{store, Choice, Field, Kind};
    let mut auto_dial = Field::for_test("auto_dial", "Auto Dial", Kind::Choice);
    auto_dial.options = Choice::parse_lines(
        "off | Off\npreview | Preview\nprogressive | Progressive\npredictive | Predictive",
    );
    let caller_id = Field::for_test("caller_id_number", "Caller ID Number", Kind::Phone);
    let mut extension = Field::for_test("virtual_extension", "Virtual Extension", Kind::Text);
    extension.unique = true;
    let mut ids = [0; 3];
    for (index, mut field) in [auto_dial, caller_id, extension].into_iter().enumerate() {
        field.section = "Dialing".into();
        field.position = 10 * (index as i32 + 1);
        ids[index] = store::insert(conn, org_id, &field, now)?;
    }
    Ok(ids)
}

pub(super) type ValueRow = (
    diesel::dsl::Eq<user_field_values::user_id, i64>,
    diesel::dsl::Eq<user_field_values::field_id, i64>,
    diesel::dsl::Eq<user_field_values::value, String>,
    diesel::dsl::Eq<user_field_values::value_key, String>,
    diesel::dsl::Eq<user_field_values::unique_key, Option<String>>,
);

/// One user's demo values: Auto Dial for most (predictive for a quarter), a caller ID and an
/// extension for everyone.
pub(super) fn demo_values(fields: &[i64; 3], user_id: i64, roll: u64) -> Vec<ValueRow> {
    let row = |field: i64, value: String, unique: bool| {
        let key = value.to_lowercase();
        (
            user_field_values::user_id.eq(user_id),
            user_field_values::field_id.eq(field),
            user_field_values::value.eq(value),
            user_field_values::value_key.eq(key.clone()),
            user_field_values::unique_key.eq(unique.then_some(key)),
        )
    };
    let mut rows = vec![
        row(fields[1], format!("+1 555 {:07}", user_id), false),
        row(fields[2], (100_000 + user_id).to_string(), true),
    ];
    let dial = match roll {
        0..=24 => Some("predictive"),
        25..=59 => Some("progressive"),
        60..=89 => Some("preview"),
        _ => None,
    };
    if let Some(dial) = dial {
        rows.push(row(fields[0], dial.to_owned(), false));
    }
    rows
}
