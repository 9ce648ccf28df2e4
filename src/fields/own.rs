//! My account: the person edits the fields their organization opened to them.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::profile::{self, Editor, Posted};
use super::store;
use crate::account::service::Me;
use crate::audit::{action, Changes, Origin};
use crate::db::{write_tx, DbConn};
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum OwnError {
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// Saves the person's own fields (those marked "the user on My account"); answers how many
/// changed. Fields only administrators edit stay as they are, whatever was posted.
pub fn save(
    conn: &mut DbConn,
    me: &Me,
    posted: &Posted,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<usize, OwnError> {
    match save_once(conn, me, posted, meta, now) {
        // Another save took a unique value between this one's check and its write: once
        // more, and the check names the field.
        Err(OwnError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => save_once(conn, me, posted, meta, now),
        other => other,
    }
}

fn save_once(
    conn: &mut DbConn,
    me: &Me,
    posted: &Posted,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<usize, OwnError> {
    write_tx(conn, |conn| {
        let fields = store::all(conn, me.org_id)?;
        let held = store::values_of(conn, me.user_id)?;
        let roles: BTreeSet<i64> = crate::users::actions::edit::store::role_ids(conn, me.user_id)?
            .into_iter()
            .collect();
        let mut errors = FieldErrors::default();
        let change = profile::check(
            &fields,
            &held,
            posted,
            (Editor::Myself, &roles),
            &mut errors,
        );
        change.check_unique(conn, me.user_id, &mut errors)?;
        if !errors.is_empty() {
            return Err(OwnError::Invalid(errors));
        }
        if change.changes.is_empty() {
            return Ok(0);
        }
        change.apply(conn, me.user_id)?;
        // An Edit User dialog opened before sees that the user changed.
        crate::users::store::touch(conn, me.user_id, now)?;
        crate::users::store::refresh_search_text(conn, me.user_id)?;
        let mut changes = Changes::default();
        change.audit(&mut changes);
        me.record(
            conn,
            action::USER_UPDATED,
            changes.into_details(),
            meta,
            now,
        )?;
        Ok(change.changes.len())
    })
}
