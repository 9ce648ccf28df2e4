//! Saving settings, audited with before and after.

use chrono::NaiveDateTime;

use super::store::{self, OrgSettings};
use crate::audit::{self, action, Actor, Event};
use crate::db::{write_tx, DbConn};
use crate::invites::store::products;
use crate::web::request_meta::RequestMeta;

pub fn save_org_settings(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    new: &OrgSettings,
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    write_tx(conn, |conn| {
        let before = store::org_settings(conn, org_id)?;
        store::save_org_settings(conn, org_id, new)?;
        let details = serde_json::json!({
            "before": { "signup_domains": before.signup_domains, "invite_days": before.invite_days },
            "after": { "signup_domains": new.signup_domains, "invite_days": new.invite_days },
        });
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor,
                action: action::SETTINGS_CHANGED,
                target: None,
                details,
                meta,
            },
            now,
        )
    })
}

#[derive(Debug, thiserror::Error)]
pub enum SeatsError {
    /// Messages by product id; nothing was saved.
    #[error("some seat counts were refused")]
    Invalid(Vec<(i64, String)>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Saves every product's seat count, or none of them.
pub fn save_seats(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    wanted: &[(i64, String)],
    meta: &RequestMeta,
    now: NaiveDateTime,
) -> Result<(), SeatsError> {
    write_tx(conn, |conn| {
        let current = products(conn, org_id)?;
        let mut problems = Vec::new();
        let mut changes = Vec::new();
        for product in &current {
            let Some((_, text)) = wanted.iter().find(|(id, _)| *id == product.id) else {
                continue;
            };
            let Some(seats) = text
                .parse::<i32>()
                .ok()
                .filter(|s| (0..=super::MAX_SEATS).contains(s))
            else {
                problems.push((
                    product.id,
                    format!(
                        "Enter a whole number of seats from 0 to {}.",
                        super::MAX_SEATS
                    ),
                ));
                continue;
            };
            if seats == product.seats {
                continue;
            }
            if !store::set_seats(conn, org_id, product.id, seats)? {
                problems.push((
                    product.id,
                    format!(
                        "{} seats are in use, so {} cannot go below that. Free seats first.",
                        product.seats_used, product.name
                    ),
                ));
                continue;
            }
            changes.push(serde_json::json!({ "product": product.name, "before": product.seats, "after": seats }));
        }
        if !problems.is_empty() {
            return Err(SeatsError::Invalid(problems));
        }
        if !changes.is_empty() {
            let details = serde_json::json!({ "seats": changes });
            audit::record(
                conn,
                Event {
                    org_id: Some(org_id),
                    actor,
                    action: action::SEATS_CHANGED,
                    target: None,
                    details,
                    meta,
                },
                now,
            )?;
        }
        Ok(())
    })
}
