//! Forgot password and the emailed reset link.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::users::normalize_email;
use crate::web::request_meta::origin_of;
use crate::web::{csrf, htmx, AppError, State};

pub async fn forgot_form(req: HttpRequest) -> Result<HttpResponse, AppError> {
    htmx::html(&crate::auth::views::ForgotPage {
        csrf: csrf::token(&req),
        email: String::new(),
        sent: false,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot(
    req: HttpRequest,
    state: State,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let email = normalize_email(&form.email);
    let page = |sent: bool, error: Option<String>, status: StatusCode| {
        let page = crate::auth::views::ForgotPage {
            csrf: csrf::token(&req),
            email: form.email.clone(),
            sent,
            error,
        };
        htmx::html_with_status(&page, status)
    };
    if !crate::users::is_valid_email(&email) {
        return page(
            false,
            Some("Enter an email address like name@example.com.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    if !state.signup_ip_limiter.allow(&state, &meta.ip, now).await?
        || !state
            .signup_email_limiter
            .allow(&state, &format!("reset:{email}"), now)
            .await?
    {
        return page(
            false,
            Some("Too many requests. Wait a few minutes, then try again.".into()),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let base_url = state.base_url.clone();
    // The same answer whether or not an email was sent.
    state
        .db(move |conn| Ok(crate::auth::reset::request(conn, &email, &base_url, now)?))
        .await?;
    page(true, None, StatusCode::OK)
}

pub async fn reset_form(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = token.into_inner();
    let (lookup, now) = (secret.clone(), state.clock.now());
    let found = state
        .db(move |conn| Ok(crate::auth::reset::look_up(conn, &lookup, now)?))
        .await?;
    reset_page(&req, secret, found, Default::default())
}

fn reset_page(
    req: &HttpRequest,
    token: String,
    found: Option<crate::auth::reset::ResetAccount>,
    errors: crate::validation::FieldErrors,
) -> Result<HttpResponse, AppError> {
    let valid = found.is_some();
    let account = found.unwrap_or_default();
    let status = match (valid, errors.is_empty()) {
        (false, _) => StatusCode::GONE,
        (true, true) => StatusCode::OK,
        (true, false) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let page = crate::auth::views::ResetPage {
        csrf: csrf::token(req),
        token,
        name: format!("{} {}", account.first_name, account.last_name),
        email: account.email,
        errors,
        valid,
        min_length: account.min_length,
    };
    htmx::html_with_status(&page, status)
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn reset(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
    form: web::Form<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let secret = token.into_inner();
    let (lookup, now) = (secret.clone(), state.clock.now());
    let found = state
        .db(move |conn| Ok(crate::auth::reset::look_up(conn, &lookup, now)?))
        .await?;
    let Some(account) = found.clone() else {
        return reset_page(&req, secret, None, Default::default());
    };
    let mut errors = crate::validation::FieldErrors::default();
    crate::auth::password::check_new(
        &form.password,
        &form.password_confirm,
        account.min_length,
        &[&account.first_name, &account.last_name, &account.email],
        &mut errors,
    );
    if !errors.is_empty() {
        return reset_page(&req, secret, found, errors);
    }
    let hash = state.hasher.hash(form.password.clone()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let done = state
        .db(move |conn| {
            Ok(crate::auth::reset::complete(
                conn, &secret, &hash, &meta, now,
            )?)
        })
        .await?;
    if !done {
        return reset_page(&req, String::new(), None, Default::default());
    }
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/login?reset=1"))
        .finish())
}
