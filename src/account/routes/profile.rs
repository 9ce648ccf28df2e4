//! `POST /account/profile`: the fields the organization lets people edit themselves.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{me, page, refused};
use crate::fields::own::{self, OwnError};
use crate::fields::profile::Posted;
use crate::fields::store::Values;
use crate::fields::views::{sections, FieldSection, Shown};
use crate::fields::Access;
use crate::validation::FieldErrors;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

impl ServiceError for OwnError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            OwnError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

/// The person's own fields in sections: as held, or as posted after a refusal.
pub async fn own_sections(
    state: &State,
    user: &CurrentUser,
    posted: Option<Posted>,
) -> Result<Vec<FieldSection>, AppError> {
    let (org_id, user_id) = (user.org_id, user.id);
    state
        .db(move |conn| {
            let fields = crate::fields::store::all(conn, org_id)?;
            if !fields.iter().any(|f| f.access == Access::SelfEdit) {
                return Ok(Vec::new());
            }
            let held: Values = crate::fields::store::values_of(conn, user_id)?;
            let roles = crate::users::actions::edit::store::role_ids(conn, user_id)?
                .into_iter()
                .collect();
            let values = match &posted {
                Some(posted) => posted.as_shown(&fields, &held),
                None => held,
            };
            let shown = Shown {
                fields: &fields,
                values: &values,
                roles: &roles,
            };
            Ok(sections(&shown, |f| f.access == Access::SelfEdit))
        })
        .await
}

pub async fn save_profile(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let posted = Posted::from_pairs(&pairs);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (who, now) = (me(&user), state.clock.now());
    let sent = posted.clone();
    let outcome = state
        .db(move |conn| triage(own::save(conn, &who, &sent, &meta, now)))
        .await?;
    match outcome {
        Ok(changed) => {
            let notice = match changed {
                0 => "Nothing to save: your profile is as it was.",
                _ => "Your profile was saved.",
            };
            let view = page(
                &req,
                &state,
                &user,
                Some(notice.into()),
                FieldErrors::default(),
            )
            .await?;
            htmx::html(&view)
        }
        Err(OwnError::Invalid(errors)) => {
            let mut view = page(&req, &state, &user, None, errors).await?;
            view.field_sections = own_sections(&state, &user, Some(posted)).await?;
            refused(&view)
        }
        Err(OwnError::Database(e)) => Err(e.into()),
    }
}
