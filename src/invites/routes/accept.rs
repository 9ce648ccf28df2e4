//! The public invite link: the set-a-password form and accepting the invitation.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::service::{self, InviteLink};
use super::super::views::{AcceptPage, InviteInvalidPage};
use crate::auth::password;
use crate::auth::routes::sign_in_session;
use crate::web::htmx;
use crate::web::request_meta::origin_of;
use crate::web::{csrf, AppError, State};

fn invalid_link() -> Result<HttpResponse, AppError> {
    htmx::html_with_status(&InviteInvalidPage, StatusCode::GONE)
}

/// The organization's enabled providers, and whether it requires them (Require SSO: no
/// password is chosen, the invitation is accepted through a provider).
async fn sign_in_ways(state: &State, org_id: i64) -> Result<(Vec<(i64, String)>, bool), AppError> {
    let (providers, policy) = state
        .db(move |conn| {
            Ok((
                crate::sso::store::providers(conn, org_id)?,
                crate::sso::store::policy(conn, org_id)?,
            ))
        })
        .await?;
    let enabled: Vec<(i64, String)> = providers
        .into_iter()
        .filter(|p| p.enabled)
        .map(|p| (p.id, p.name))
        .collect();
    let required = policy.required && !enabled.is_empty();
    Ok((enabled, required))
}

pub async fn accept_form(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = token.into_inner();
    let (lookup, now) = (secret.clone(), state.clock.now());
    match state
        .db(move |conn| Ok(service::look_up(conn, &lookup, now)?))
        .await?
    {
        InviteLink::Unusable => invalid_link(),
        InviteLink::Valid {
            invitee,
            org,
            min_length,
        } => {
            let org_id = invitee.org_id;
            let (providers, sso_required) = sign_in_ways(&state, org_id).await?;
            htmx::html(&AcceptPage {
                csrf: csrf::token(&req),
                token: secret,
                org,
                name: format!("{} {}", invitee.first_name, invitee.last_name),
                email: invitee.email,
                error: None,
                min_length,
                providers,
                sso_required,
            })
        }
    }
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn accept(
    req: HttpRequest,
    state: State,
    session: Session,
    token: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let secret = token.into_inner();
    let (lookup, now) = (secret.clone(), state.clock.now());
    let InviteLink::Valid {
        invitee,
        org,
        min_length,
    } = state
        .db(move |conn| Ok(service::look_up(conn, &lookup, now)?))
        .await?
    else {
        return invalid_link();
    };
    if sign_in_ways(&state, invitee.org_id).await?.1 {
        return Err(AppError::Denied(format!(
            "{org} requires single sign-on: accept the invitation with its identity provider's button."
        )));
    }
    let personal = [
        invitee.first_name.as_str(),
        invitee.last_name.as_str(),
        invitee.email.as_str(),
        org.as_str(),
    ];
    let mut errors = crate::validation::FieldErrors::default();
    password::check_new(
        &form.password,
        &form.password_confirm,
        min_length,
        &personal,
        &mut errors,
    );
    let problem = errors
        .get("password")
        .or(errors.get("password_confirm"))
        .map(str::to_owned);
    if let Some(error) = problem {
        let page = AcceptPage {
            csrf: csrf::token(&req),
            token: secret,
            org,
            name: format!("{} {}", invitee.first_name, invitee.last_name),
            email: invitee.email,
            error: Some(error),
            min_length,
            providers: Vec::new(),
            sso_required: false,
        };
        return htmx::html_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let hash = state.hasher.hash(form.password.clone()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    match state
        .db(move |conn| Ok(service::accept(conn, &secret, Some(&hash), &meta, now)?))
        .await?
    {
        Some(user_id) => welcome(&req, &state, &session, user_id).await,
        None => invalid_link(),
    }
}

/// The invitation is accepted: a console session, unless the account is for the products only.
async fn welcome(
    req: &HttpRequest,
    state: &State,
    session: &Session,
    user_id: i64,
) -> Result<HttpResponse, AppError> {
    let product_only = state
        .db(move |conn| {
            Ok(crate::users::product_access::is_product_only(
                conn, user_id,
            )?)
        })
        .await?;
    if product_only {
        // The account is ready for the products; the console stays closed to it.
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", "/login?notice=product-only"))
            .finish());
    }
    // The emailed link proved the mailbox: with the new password, that is two factors.
    sign_in_session(
        req,
        session,
        user_id,
        crate::auth::session_store::Proof::TwoFactor,
    )?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .finish())
}
