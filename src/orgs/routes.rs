//! `GET/POST /setup`: the one-time link that creates an organization's Owner.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::forms::SetupForm;
use super::service::{self, NewOwner, SetupError};
use super::views::{SetupInvalidPage, SetupPage};
use crate::auth::routes::sign_in_session;
use crate::web::request_meta::RequestMeta;
use crate::web::{csrf, htmx, AppError, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/setup", web::get().to(form))
        .route("/setup", web::post().to(submit));
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn invalid() -> Result<HttpResponse, AppError> {
    htmx::html_with_status(&SetupInvalidPage, StatusCode::GONE)
}

pub async fn form(
    req: HttpRequest,
    state: State,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let secret = query.into_inner().token;
    let now = state.clock.now();
    let lookup = secret.clone();
    let Some(org_name) = state
        .db(move |conn| Ok(service::setup_context(conn, &lookup, now)?))
        .await?
    else {
        return invalid();
    };
    htmx::html(&SetupPage {
        csrf: csrf::token(&req),
        token: secret,
        org_name,
        form_org_name: String::new(),
        first_name: String::new(),
        last_name: String::new(),
        email: String::new(),
        errors: Default::default(),
    })
}

pub async fn submit(
    req: HttpRequest,
    state: State,
    session: Session,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let now = state.clock.now();
    let secret = form.token.clone();
    let Some(org_name) = state
        .db(move |conn| Ok(service::setup_context(conn, &secret, now)?))
        .await?
    else {
        return invalid();
    };
    let rerender = |errors| {
        htmx::html_with_status(
            &SetupPage {
                csrf: csrf::token(&req),
                token: form.token.clone(),
                org_name: org_name.clone(),
                form_org_name: form.org_name.clone(),
                first_name: form.first_name.clone(),
                last_name: form.last_name.clone(),
                email: form.email.clone(),
                errors,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let valid = match form.validate(org_name.is_none()) {
        Ok(valid) => valid,
        Err(errors) => return rerender(errors),
    };
    let password_hash = state.hasher.hash(valid.password.clone()).await?;
    let owner = NewOwner {
        org_name: valid.org_name,
        first_name: valid.first_name,
        last_name: valid.last_name,
        email: valid.email,
        password_hash,
    };
    let meta = RequestMeta::of(&req, &state.config.trusted_proxies);
    let secret = form.token.clone();
    let result = state
        .db(
            move |conn| match service::complete_setup(conn, &secret, &owner, &meta, now) {
                Ok(user_id) => Ok(Ok(user_id)),
                Err(SetupError::Database(e)) => Err(e.into()),
                Err(other) => Ok(Err(other)),
            },
        )
        .await?;
    match result {
        Ok(user_id) => {
            // The emailed link proved the mailbox: with the new password, that is two factors.
            sign_in_session(
                &req,
                &session,
                user_id,
                crate::auth::session_store::Proof::TwoFactor,
            )?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", "/users"))
                .finish())
        }
        Err(SetupError::EmailTaken) => {
            let mut errors = crate::web::form_errors::FieldErrors::default();
            errors.add("email", "This email address already has an account. Sign in instead, or use another address.");
            rerender(errors)
        }
        Err(_) => invalid(),
    }
}
