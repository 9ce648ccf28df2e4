//! Revoke Access: the confirmation (what the member holds here, whom it may go to) and the
//! revocation itself.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::routes::{last, member, steward_of, table};
use super::service::{self, HandOver, MemberError, Steward};
use super::views::RevokeDialog;
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

async fn revoke_view(
    state: &State,
    steward: &Steward,
    (workspace_id, user_id): (i64, i64),
) -> Result<RevokeDialog, AppError> {
    let (name, _) = member(state, steward, (workspace_id, user_id)).await?;
    let (records, others) = state
        .db(move |conn| {
            let records = service::records_of(conn, workspace_id, user_id)?;
            let others = crate::workspaces::store::members_named(conn, workspace_id)?
                .into_iter()
                .filter(|(id, _)| *id != user_id)
                .collect();
            Ok((records, others))
        })
        .await?;
    Ok(RevokeDialog {
        workspace_id,
        user_id,
        name,
        records,
        others,
        hand_over: false,
        to: None,
        error: None,
    })
}

pub async fn revoke_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    htmx::Fragment::of(&req)?;
    let (workspace_id, user_id) = path.into_inner();
    let (steward, workspace) = steward_of(&state, &user, workspace_id).await?;
    steward.check(crate::workspaces::Restriction::NoRevoke)?;
    htmx::html(&revoke_view(&state, &steward, (workspace.id, user_id)).await?)
}

pub async fn revoke(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (workspace_id, user_id) = path.into_inner();
    let (steward, workspace) = steward_of(&state, &user, workspace_id).await?;
    let (name, _) = member(&state, &steward, (workspace.id, user_id)).await?;
    let hand_over = last(&pairs, "hand_over") == "1";
    let to = last(&pairs, "to").parse::<i64>().ok();
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let outcome = match (hand_over, to) {
        (true, None) => Err(MemberError::Invalid(
            "Choose the member who receives the contacts, or untick the box to leave them unassigned."
                .into(),
        )),
        (true, Some(to)) => Ok(HandOver::To(to)),
        (false, _) => Ok(HandOver::Unassigned),
    };
    let outcome = match outcome {
        Ok(hand) => {
            let (s, w) = (steward.clone(), workspace.clone());
            state
                .db(move |conn| {
                    Ok(service::revoke(
                        conn,
                        (&s, &w),
                        (user_id, hand),
                        (&meta, now),
                    ))
                })
                .await?
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(moved) => {
            let table = table(&state, (&steward, workspace.id), &[]).await?;
            let records = match (moved, hand_over) {
                (0, _) => String::new(),
                (n, false) => format!(" {n} records are now unassigned."),
                (n, true) => format!(" {n} records were handed over."),
            };
            htmx::replaced(
                "#member-table",
                &table,
                &format!(
                    "{name} no longer has access to {}.{records}",
                    workspace.name
                ),
            )
        }
        Err(MemberError::Invalid(message) | MemberError::Refused(message)) => {
            let mut view = revoke_view(&state, &steward, (workspace.id, user_id)).await?;
            view.hand_over = hand_over;
            view.to = to;
            view.error = Some(message);
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other.into()),
    }
}
