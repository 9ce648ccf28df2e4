//! Two-step verification on My account: set up an authenticator app, renew recovery codes,
//! remove the app. Each asks for the current password first.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::routes::{check_current_password, me, page, refused};
use crate::mfa::views::{group_secret, EnrolPage, RecoveryCodesPage};
use crate::mfa::{codes, service};
use crate::validation::FieldErrors;
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/mfa/totp", web::post().to(start))
        .route("/account/mfa/totp", web::get().to(enrol_form))
        .route("/account/mfa/totp/confirm", web::post().to(confirm))
        .route("/account/mfa/totp/disable", web::post().to(disable))
        .route("/account/mfa/recovery-codes", web::post().to(renew_codes));
}

/// The secret being set up, kept server-side in the session until a code confirms it.
const SETUP_SECRET: &str = "totp_setup";

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    mfa_password: String,
}

/// The password was right, or My account again with the message beside the field.
async fn password_checked(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    typed: &str,
) -> Result<Option<HttpResponse>, AppError> {
    let mut errors = FieldErrors::default();
    check_current_password(state, user, typed, "mfa_password", &mut errors).await?;
    if errors.is_empty() {
        return Ok(None);
    }
    Ok(Some(refused(&page(req, state, user, None, errors).await?)?))
}

fn to(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location.to_owned()))
        .finish()
}

pub async fn start(
    req: HttpRequest,
    state: State,
    session: Session,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    if user.has_totp {
        return Ok(to("/account"));
    }
    if let Some(refusal) = password_checked(&req, &state, &user, &form.mfa_password).await? {
        return Ok(refusal);
    }
    session
        .insert(SETUP_SECRET, codes::new_totp_secret())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
    Ok(to("/account/mfa/totp"))
}

fn enrol_page(
    req: &HttpRequest,
    user: &CurrentUser,
    secret: &str,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let url = codes::otpauth_url(secret, &user.email)
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("TOTP secret unusable")))?;
    let view = EnrolPage {
        shell: Shell::new(req, user, Nav::Account),
        qr_svg: codes::qr_svg(&url)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("QR code")))?,
        secret_groups: group_secret(secret),
        errors,
    };
    let status = if view.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    htmx::html_with_status(&view, status)
}

pub async fn enrol_form(
    req: HttpRequest,
    session: Session,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    match session.get::<String>(SETUP_SECRET).ok().flatten() {
        Some(secret) if !user.has_totp => enrol_page(&req, &user, &secret, FieldErrors::default()),
        _ => Ok(to("/account")),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn confirm(
    req: HttpRequest,
    state: State,
    session: Session,
    user: CurrentUser,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some(secret) = session.get::<String>(SETUP_SECRET).ok().flatten() else {
        return Ok(to("/account"));
    };
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (me, now, code, typed_secret) = (
        me(&user),
        state.clock.now(),
        form.code.clone(),
        secret.clone(),
    );
    let recovery = state
        .db(move |conn| {
            Ok(service::enable_totp(
                conn,
                &me,
                &typed_secret,
                &code,
                &meta,
                now,
            )?)
        })
        .await?;
    let Some(recovery) = recovery else {
        let mut errors = FieldErrors::default();
        errors.add(
            "code",
            "That code is not right. Check the app shows Gatehouse and the clock of your phone is correct, then type the current code.",
        );
        return enrol_page(&req, &user, &secret, errors);
    };
    session.remove(SETUP_SECRET);
    htmx::html(&RecoveryCodesPage {
        shell: Shell::new(&req, &user, Nav::Account),
        codes: recovery,
    })
}

pub async fn disable(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    if let Some(refusal) = password_checked(&req, &state, &user, &form.mfa_password).await? {
        return Ok(refusal);
    }
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (me, now) = (me(&user), state.clock.now());
    state
        .db(move |conn| Ok(service::disable_totp(conn, &me, &meta, now)?))
        .await?;
    Ok(to("/account?changed=totp-off"))
}

pub async fn renew_codes(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    if let Some(refusal) = password_checked(&req, &state, &user, &form.mfa_password).await? {
        return Ok(refusal);
    }
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (me, now) = (me(&user), state.clock.now());
    match state
        .db(move |conn| Ok(service::regenerate_recovery_codes(conn, &me, &meta, now)?))
        .await?
    {
        Some(codes) => htmx::html(&RecoveryCodesPage {
            shell: Shell::new(&req, &user, Nav::Account),
            codes,
        }),
        None => Ok(to("/account")),
    }
}
