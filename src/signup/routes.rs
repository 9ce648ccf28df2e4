//! `GET/POST /signup`, `GET/POST /signup/verify/{token}`.

use crate::web::errors::triage;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::service::{self, Pending, Requested};
use super::views::{CheckEmailPage, SignupPage, VerifyInvalidPage, VerifyPage};
use crate::auth::password;
use crate::auth::routes::sign_in_session;
use crate::users::{is_valid_email, normalize_email};
use crate::validation::FieldErrors;
use crate::web::request_meta::origin_of;
use crate::web::{csrf, htmx, AppError, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/signup", web::get().to(form))
        .route("/signup", web::post().to(submit))
        .route("/signup/verify/{token}", web::get().to(verify_form))
        .route("/signup/verify/{token}", web::post().to(verify));
}

#[derive(Debug, Default, Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email: String,
}

fn page(
    req: &HttpRequest,
    form: &SignupForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let page = SignupPage {
        csrf: csrf::token(req),
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        email: form.email.clone(),
        errors,
    };
    htmx::html_with_status(&page, status)
}

pub async fn form(req: HttpRequest) -> Result<HttpResponse, AppError> {
    page(
        &req,
        &SignupForm::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
}

pub async fn submit(
    req: HttpRequest,
    state: State,
    form: web::Form<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let first_name = errors.required("first_name", &form.first_name, "your first name");
    let last_name = errors.required("last_name", &form.last_name, "your last name");
    if first_name.chars().count() > 100 || last_name.chars().count() > 100 {
        errors.add("last_name", "Names are limited to 100 characters.");
    }
    let email = normalize_email(&form.email);
    if !is_valid_email(&email) {
        errors.add("email", "Enter an email address like name@example.com.");
    }
    if !errors.is_empty() {
        return page(&req, &form, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    if !state.signup_ip_limiter.allow(&state, &meta.ip, now).await?
        || !state
            .signup_email_limiter
            .allow(&state, &email, now)
            .await?
    {
        errors.add(
            "email",
            "Too many sign-up attempts. Wait a few minutes, then try again.",
        );
        return page(&req, &form, errors, StatusCode::TOO_MANY_REQUESTS);
    }
    let pending = Pending {
        first_name,
        last_name,
        email: email.clone(),
    };
    let base_url = state.base_url.clone();
    match state
        .db(move |conn| Ok(service::request(conn, &pending, &base_url, now)?))
        .await?
    {
        Requested::EmailSent => htmx::html(&CheckEmailPage { email }),
        Requested::DomainClosed => {
            let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
            errors.add(
                "email",
                format!("Sign-up is not open for {domain} addresses. Ask your organization's administrator for an invitation."),
            );
            page(&req, &form, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

fn invalid(message: &str) -> Result<HttpResponse, AppError> {
    htmx::html_with_status(
        &VerifyInvalidPage {
            message: message.to_owned(),
        },
        StatusCode::GONE,
    )
}

const INVALID_LINK: &str = "This confirmation link is invalid, expired or already used.";

pub async fn verify_form(
    req: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = token.into_inner();
    let (lookup, now) = (secret.clone(), state.clock.now());
    let Some((pending, org, min_length)) = state
        .db(move |conn| Ok(service::look_up(conn, &lookup, now)?))
        .await?
    else {
        return invalid(INVALID_LINK);
    };
    htmx::html(&VerifyPage {
        csrf: csrf::token(&req),
        token: secret,
        org,
        name: format!("{} {}", pending.first_name, pending.last_name),
        email: pending.email,
        errors: FieldErrors::default(),
        min_length,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn verify(
    req: HttpRequest,
    state: State,
    session: Session,
    token: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let secret = token.into_inner();
    let (lookup, now) = (secret.clone(), state.clock.now());
    let Some((pending, org, min_length)) = state
        .db(move |conn| Ok(service::look_up(conn, &lookup, now)?))
        .await?
    else {
        return invalid(INVALID_LINK);
    };
    let personal = [
        pending.first_name.as_str(),
        pending.last_name.as_str(),
        pending.email.as_str(),
        org.as_str(),
    ];
    let mut errors = FieldErrors::default();
    password::check_new(
        &form.password,
        &form.password_confirm,
        min_length,
        &personal,
        &mut errors,
    );
    if !errors.is_empty() {
        let page = VerifyPage {
            csrf: csrf::token(&req),
            token: secret,
            org,
            name: format!("{} {}", pending.first_name, pending.last_name),
            email: pending.email,
            errors,
            min_length,
        };
        return htmx::html_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let hash = state.hasher.hash(form.password.clone()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let outcome = state
        .db(move |conn| triage(service::confirm(conn, &secret, &hash, &meta, now)))
        .await?;
    match outcome {
        Ok(user_id) => {
            // The emailed link proved the mailbox: with the new password, that is two factors.
            sign_in_session(
                &req,
                &session,
                user_id,
                crate::auth::session_store::Proof::TwoFactor,
            )?;
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", "/"))
                .finish())
        }
        Err(error) => invalid(&error.to_string()),
    }
}
