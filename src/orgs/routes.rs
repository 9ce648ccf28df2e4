//! The one-time setup link that creates an organization's Owner, in two steps:
//! `GET/POST /setup` (the form), then `POST /setup/code` (the code emailed to the address),
//! with `POST /setup/resend` ("Send a new code") and `POST /setup/change` ("Use a different
//! address", back to the form with what was typed).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::forms::SetupForm;
use super::service::{NewOwner, SetupError};
use super::setup::{self, Confirmed, SetupLink, Typed};
use super::views::{SetupCodePage, SetupInvalidPage, SetupPage};
use crate::auth::routes::sign_in_session;
use crate::validation::FieldErrors;
use crate::web::request_meta::origin_of;
use crate::web::{csrf, htmx, AppError, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/setup", web::get().to(form))
        .route("/setup", web::post().to(submit))
        .route("/setup/code", web::post().to(confirm))
        .route("/setup/resend", web::post().to(resend))
        .route("/setup/change", web::post().to(change));
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    code: String,
}

const TOO_MANY_CODES: &str = "This setup link has sent as many codes as it may. Ask whoever runs Gatehouse for a new setup link.";
const EMAIL_TAKEN: &str =
    "This email address already has an account. Sign in instead, or use another address.";
const BUSY: &str = "This setup link was used in another window at the same moment. Open the link again and check what it shows.";

fn invalid() -> Result<HttpResponse, AppError> {
    htmx::html_with_status(&SetupInvalidPage, StatusCode::GONE)
}

/// Back to the link, which shows the step it is at.
fn to_link(secret: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/setup?token={secret}")))
        .finish()
}

async fn look_up(state: &State, secret: &str) -> Result<Option<SetupLink>, AppError> {
    let (secret, now) = (secret.to_owned(), state.clock.now());
    state
        .db(move |conn| Ok(setup::look_up(conn, &secret, now)?))
        .await
}

/// The form, filled with `typed`.
fn form_page(
    req: &HttpRequest,
    secret: &str,
    link: &SetupLink,
    typed: &Typed,
    errors: FieldErrors,
    notice: Option<String>,
) -> SetupPage {
    SetupPage {
        csrf: csrf::token(req),
        token: secret.to_owned(),
        org_name: link.org_name.clone(),
        form_org_name: typed.org_name.clone().unwrap_or_default(),
        first_name: typed.first_name.clone(),
        last_name: typed.last_name.clone(),
        email: typed.email.clone(),
        errors,
        notice,
    }
}

/// The code step for the form waiting on the link.
fn code_page(
    req: &HttpRequest,
    secret: &str,
    link: &SetupLink,
    typed: &Typed,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = SetupCodePage {
        csrf: csrf::token(req),
        token: secret.to_owned(),
        org_name: typed
            .org_name
            .clone()
            .or_else(|| link.org_name.clone())
            .unwrap_or_else(|| "your organization".into()),
        email: typed.email.clone(),
        notice,
        error,
    };
    htmx::html_with_status(&page, status)
}

fn email_error(message: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.add("email", message);
    errors
}

/// `GET /setup?token=`: the form, or the code step when a code is out for the form.
pub async fn form(
    req: HttpRequest,
    state: State,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let secret = query.into_inner().token;
    let Some(link) = look_up(&state, &secret).await? else {
        return invalid();
    };
    match &link.waiting {
        Some(typed) => code_page(&req, &secret, &link, typed, None, None),
        None => htmx::html(&form_page(
            &req,
            &secret,
            &link,
            &Typed::default(),
            FieldErrors::default(),
            None,
        )),
    }
}

/// `POST /setup`: checks the form, hashes the password and emails a code to the address.
pub async fn submit(
    req: HttpRequest,
    state: State,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let secret = form.token.clone();
    let Some(link) = look_up(&state, &secret).await? else {
        return invalid();
    };
    let typed = Typed {
        org_name: Some(form.org_name.clone()),
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        email: form.email.clone(),
    };
    let rerender = |errors| {
        htmx::html_with_status(
            &form_page(&req, &secret, &link, &typed, errors, None),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let valid = match form.validate(link.org_name.is_none()) {
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
    let (lookup, now) = (secret.clone(), state.clock.now());
    let sent = state
        .db(
            move |conn| match setup::send_code(conn, &lookup, &owner, now) {
                Err(SetupError::Database(e)) => Err(e.into()),
                other => Ok(other),
            },
        )
        .await?;
    match sent {
        Ok(_) => Ok(to_link(&secret)),
        Err(SetupError::EmailTaken) => rerender(email_error(EMAIL_TAKEN)),
        Err(SetupError::TooManyCodes) => rerender(email_error(TOO_MANY_CODES)),
        Err(SetupError::Busy) => rerender(email_error(BUSY)),
        Err(_) => invalid(),
    }
}

/// `POST /setup/code`: the right code creates the Owner (and the organization) and signs them
/// in; the code proved the mailbox, so with the new password that is two factors.
pub async fn confirm(
    req: HttpRequest,
    state: State,
    session: Session,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let CodeForm {
        token: secret,
        code,
    } = form.into_inner();
    let Some(link) = look_up(&state, &secret).await? else {
        return invalid();
    };
    let Some(typed) = link.waiting.clone() else {
        return Ok(to_link(&secret));
    };
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (lookup, now) = (secret.clone(), state.clock.now());
    let outcome = state
        .db(
            move |conn| match setup::confirm(conn, &lookup, &code, &meta, now) {
                Err(SetupError::Database(e)) => Err(e.into()),
                other => Ok(other),
            },
        )
        .await?;
    let wrong = |message: String| code_page(&req, &secret, &link, &typed, None, Some(message));
    let form_again = |typed: &Typed| {
        htmx::html_with_status(
            &form_page(&req, &secret, &link, typed, email_error(EMAIL_TAKEN), None),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    match outcome {
        Ok(Confirmed::Owner(user_id)) => {
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
        Ok(Confirmed::Wrong { tries_left }) => wrong(format!(
            "That code is not right. Check the newest email and try again ({tries_left} {} left).",
            if tries_left == 1 { "try" } else { "tries" }
        )),
        Ok(Confirmed::CodeUsedUp) => wrong(
            "This code has expired or was tried too many times. Use Send a new code below.".into(),
        ),
        Ok(Confirmed::EmailTaken(taken)) => form_again(&taken),
        Err(SetupError::EmailTaken) => form_again(&typed),
        Err(SetupError::NoCode) => Ok(to_link(&secret)),
        Err(SetupError::Busy) => wrong(BUSY.into()),
        Err(_) => invalid(),
    }
}

/// `POST /setup/resend`: a new code to the same address; the earlier one stops working.
pub async fn resend(
    req: HttpRequest,
    state: State,
    form: web::Form<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let secret = form.into_inner().token;
    let Some(link) = look_up(&state, &secret).await? else {
        return invalid();
    };
    let Some(typed) = link.waiting.clone() else {
        return Ok(to_link(&secret));
    };
    let (lookup, now) = (secret.clone(), state.clock.now());
    let sent = state
        .db(move |conn| match setup::resend_code(conn, &lookup, now) {
            Err(SetupError::Database(e)) => Err(e.into()),
            other => Ok(other),
        })
        .await?;
    match sent {
        Ok(email) => {
            let notice =
                format!("A new code is on its way to {email}. Earlier codes no longer work.");
            code_page(&req, &secret, &link, &typed, Some(notice), None)
        }
        Err(SetupError::TooManyCodes) => code_page(
            &req,
            &secret,
            &link,
            &typed,
            None,
            Some(TOO_MANY_CODES.into()),
        ),
        Err(SetupError::Busy) => code_page(&req, &secret, &link, &typed, None, Some(BUSY.into())),
        Err(SetupError::NoCode) => Ok(to_link(&secret)),
        Err(_) => invalid(),
    }
}

/// `POST /setup/change`: "Use a different address". The code stops working and the form comes
/// back with what was typed, on the same link.
pub async fn change(
    req: HttpRequest,
    state: State,
    form: web::Form<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let secret = form.into_inner().token;
    let Some(link) = look_up(&state, &secret).await? else {
        return invalid();
    };
    let (lookup, now) = (secret.clone(), state.clock.now());
    let changed = state
        .db(
            move |conn| match setup::change_address(conn, &lookup, now) {
                Err(SetupError::Database(e)) => Err(e.into()),
                other => Ok(other),
            },
        )
        .await?;
    match changed {
        Ok(typed) => htmx::html(&form_page(
            &req,
            &secret,
            &link,
            &typed,
            FieldErrors::default(),
            Some("Correct the address and enter your password again; we will send a new code. The code sent before no longer works.".into()),
        )),
        Err(SetupError::Busy) => Ok(to_link(&secret)),
        Err(_) => invalid(),
    }
}
