//! Changing one's email address, and the link sent to the new one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{check_current_password, me, page, refused};
use crate::account::email::{self, EmailError};
use crate::validation::FieldErrors;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::{csrf, htmx, AppError, CurrentUser, State};

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    new_email: String,
    #[serde(default)]
    email_password: String,
}

pub async fn change_email(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let email = crate::users::normalize_email(&form.new_email);
    if !crate::users::is_valid_email(&email) {
        errors.add("new_email", "Enter an email address like name@example.com.");
    } else if email == user.email {
        errors.add("new_email", "This is your email address already.");
    }
    check_current_password(
        &state,
        &user,
        &form.email_password,
        "email_password",
        &mut errors,
    )
    .await?;
    if errors.is_empty() {
        let meta = origin_of(&req, &state.config.trusted_proxies);
        let (me, now, new_email) = (me(&user), state.clock.now(), email.clone());
        let base_url = state.base_url.clone();
        let outcome = state
            .db(move |conn| {
                triage(email::request_email_change(
                    conn, &me, &new_email, &base_url, &meta, now,
                ))
            })
            .await?;
        match outcome {
            Ok(()) => {
                return Ok(HttpResponse::SeeOther()
                    .insert_header(("Location", "/account?changed=email"))
                    .finish());
            }
            Err(error) => errors.add("new_email", error.to_string()),
        }
    }
    let mut view = page(&req, &state, &user, None, errors).await?;
    view.new_email = form.new_email.clone();
    refused(&view)
}

pub async fn cancel_email_change(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (me, now) = (me(&user), state.clock.now());
    state
        .db(move |conn| Ok(email::cancel_email_change(conn, &me, &meta, now)?))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/account?changed=email-cancelled"))
        .finish())
}

/// The link sent to the new address, and what came of it.
#[derive(Template)]
#[template(path = "account/confirm_email.html")]
pub struct ConfirmEmailPage {
    pub csrf: String,
    pub token: String,
    pub step: ConfirmStep,
}

pub enum ConfirmStep {
    /// Not pressed yet: from which address to which.
    Ask {
        old: String,
        new: String,
    },
    Done(email::Confirmed),
}

/// A button first: a GET never changes anything (mail scanners open links).
pub async fn confirm_email_form(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (secret, now) = (token.into_inner(), state.clock.now());
    let lookup = secret.clone();
    let link = state
        .db(move |conn| Ok(email::look_up_email_change(conn, &lookup, now)?))
        .await?;
    let (step, status) = match link {
        Some(link) => (
            ConfirmStep::Ask {
                old: link.user.email,
                new: link.new_email,
            },
            StatusCode::OK,
        ),
        None => (ConfirmStep::Done(email::Confirmed::Gone), StatusCode::GONE),
    };
    let page = ConfirmEmailPage {
        csrf: csrf::token(&req),
        token: secret,
        step,
    };
    htmx::html_with_status(&page, status)
}

pub async fn confirm_email(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (secret, now) = (token.into_inner(), state.clock.now());
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let done = state
        .db(move |conn| Ok(email::confirm_email_change(conn, &secret, &meta, now)?))
        .await?;
    let status = match done {
        email::Confirmed::Changed(_) => StatusCode::OK,
        email::Confirmed::Taken(_) => StatusCode::CONFLICT,
        email::Confirmed::Gone => StatusCode::GONE,
    };
    let page = ConfirmEmailPage {
        csrf: csrf::token(&req),
        token: String::new(),
        step: ConfirmStep::Done(done),
    };
    htmx::html_with_status(&page, status)
}

impl ServiceError for EmailError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            EmailError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}
