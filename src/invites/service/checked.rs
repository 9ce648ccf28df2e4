//! Send Invites as one use case for every entry point (the grid, the API): refused while the
//! organization signs people up automatically; each row checked (every field, email syntax,
//! once only, roles within the inviter's access, the organization's products); then every row
//! sent, or none.

use chrono::NaiveDateTime;

use super::{send_invites, Inviter, SendError};
use crate::audit::Origin;
use crate::db::DbConn;
use crate::invites::forms::{check_rows, RawRow, RowErrors};

/// Why nobody can be invited while sign-up is automatic.
pub const AUTO_SIGNUP_ON: &str = "Turn off Allow users to signup automatically to invite people.";

pub fn invite_rows(
    conn: &mut DbConn,
    inviter: &Inviter,
    rows: &[RawRow],
    base_url: &str,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<usize, SendError> {
    let org_id = inviter.org_id;
    if crate::orgs::store::allow_auto_signup(conn, org_id)? {
        return Err(SendError::Refused(AUTO_SIGNUP_ON.into()));
    }
    let roles: Vec<i64> = crate::orgs::catalog::grantable_roles(conn, org_id, inviter.permissions)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let products: Vec<i64> = crate::licenses::store::products(conn, org_id)?
        .iter()
        .map(|p| p.id)
        .collect();
    let errors = check_rows(rows, &roles, &products);
    if errors.iter().any(|e| !e.is_empty()) {
        return Err(SendError::Invalid(errors));
    }
    if rows.iter().all(RawRow::is_blank) {
        let first = RowErrors {
            first_name: Some("Fill in at least one row.".into()),
            ..RowErrors::default()
        };
        return Err(SendError::Invalid(vec![first]));
    }
    send_invites(conn, inviter, rows, base_url, meta, now)
}
