//! Settings → Sign-in (`settings.manage` to see it; only the Owner changes it: a provider is a
//! way into every account, the Owner's too), Test sign-in's result, and unlinking a user's
//! provider on My account and in Edit User.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::service::{self, SsoError};
use super::store::{self, Policy, Provider};
use super::views::{EditProviderPage, ProviderForm, ProviderLine, SignInPage};
use crate::auth::permissions::Permission;
use crate::validation::FieldErrors;
use crate::web::confirm::ConfirmDialog;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::shell::Shell;
use crate::web::{htmx, AppError, CurrentUser, State};

mod links;

pub use links::test_result;
use links::{unlink_own, unlink_user};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/sign-in", web::get().to(show))
        .route("/settings/sign-in", web::post().to(add))
        .route("/settings/sign-in/policy", web::post().to(save_policy))
        .route("/settings/sign-in/{id}", web::get().to(edit_form))
        .route("/settings/sign-in/{id}", web::post().to(edit))
        .route(
            "/settings/sign-in/{id}/test",
            web::get().to(super::flow::test),
        )
        .route(
            "/settings/sign-in/{id}/delete",
            web::get().to(confirm_delete),
        )
        .route("/settings/sign-in/{id}/delete", web::post().to(delete))
        .route("/sso/{id}/start", web::get().to(super::flow::start))
        .route("/sso/callback", web::get().to(super::flow::callback))
        .route("/account/sso/{id}/link", web::get().to(super::flow::link))
        .route("/account/sso/{id}/unlink", web::post().to(unlink_own))
        .route("/users/{id}/sso/{link}/unlink", web::post().to(unlink_user));
}

impl ServiceError for SsoError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            SsoError::NotFound => Err(AppError::NotFound),
            SsoError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

/// Changing how people sign in: the Owner only.
fn require_owner(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::SettingsManage)?;
    if user.is_owner() {
        Ok(())
    } else {
        Err(AppError::Denied(
            "Only the Owner changes how people sign in.".into(),
        ))
    }
}

async fn page(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
) -> Result<SignInPage, AppError> {
    let (org_id, held) = (user.org_id, user.permissions);
    let (providers, policy, roles, products, slug) = state
        .db(move |conn| {
            let roles = crate::orgs::catalog::grantable_roles(conn, org_id, held)?
                .into_iter()
                .filter(|(_, name)| name != crate::auth::permissions::OWNER)
                .collect::<Vec<_>>();
            let products = crate::licenses::store::products(conn, org_id)?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect::<Vec<_>>();
            Ok((
                store::providers(conn, org_id)?,
                store::policy(conn, org_id)?,
                roles,
                products,
                crate::orgs::store::slug_of(conn, org_id)?,
            ))
        })
        .await?;
    let (roles, products) = SignInPage::policy_choices(&policy, roles, products);
    Ok(SignInPage {
        shell: Shell::new(req, user, SignInPage::nav()),
        redirect_url: super::redirect_url(&state.base_url),
        sign_in_url: format!("{}/login?org={slug}", state.base_url),
        providers: providers.iter().map(ProviderLine::of).collect(),
        can_change: user.is_owner(),
        form: ProviderForm::blank(),
        errors: FieldErrors::default(),
        required: policy.required,
        roles,
        products,
        policy_errors: FieldErrors::default(),
        presets: super::PRESETS,
    })
}

pub async fn show(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    htmx::html(&page(&req, &state, &user).await?)
}

pub(super) fn saved(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location.to_owned()))
        .finish()
}

pub async fn add(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    require_owner(&user)?;
    let form = ProviderForm::from_pairs(&pairs);
    let fields = match service::check_form(&form, true) {
        Ok(fields) => fields,
        Err(errors) => {
            let mut view = page(&req, &state, &user).await?;
            view.form = ProviderForm {
                client_secret: String::new(),
                ..form
            };
            view.errors = errors;
            return htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    state
        .db(move |conn| {
            triage(service::save_provider(
                conn,
                (&actor, org_id),
                None,
                &fields,
                (&meta, now),
            ))?
            .map_err(|e| AppError::BadRequest(e.to_string()))
        })
        .await?;
    Ok(saved("/settings/sign-in"))
}

async fn find(state: &State, org_id: i64, id: i64) -> Result<Provider, AppError> {
    state
        .db(move |conn| store::provider(conn, org_id, id)?.ok_or(AppError::NotFound))
        .await
}

pub async fn edit_form(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    let provider = find(&state, user.org_id, id.into_inner()).await?;
    require_owner(&user)?;
    htmx::html(&EditProviderPage {
        shell: Shell::new(&req, &user, EditProviderPage::nav()),
        id: provider.id,
        form: ProviderForm::of(&provider),
        has_secret: !provider.client_secret.is_empty(),
        errors: FieldErrors::default(),
        presets: super::PRESETS,
    })
}

pub async fn edit(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    let provider = find(&state, user.org_id, id.into_inner()).await?;
    require_owner(&user)?;
    let form = ProviderForm::from_pairs(&pairs);
    let fields = match service::check_form(&form, false) {
        Ok(fields) => fields,
        Err(errors) => {
            let view = EditProviderPage {
                shell: Shell::new(&req, &user, EditProviderPage::nav()),
                id: provider.id,
                form: ProviderForm {
                    client_secret: String::new(),
                    ..form
                },
                has_secret: !provider.client_secret.is_empty(),
                errors,
                presets: super::PRESETS,
            };
            return htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now, id) = (user.actor(), user.org_id, state.clock.now(), provider.id);
    state
        .db(move |conn| {
            let done =
                service::save_provider(conn, (&actor, org_id), Some(id), &fields, (&meta, now));
            triage(done)?.map_err(|e| AppError::BadRequest(e.to_string()))
        })
        .await?;
    Ok(saved("/settings/sign-in"))
}

pub async fn confirm_delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    htmx::Fragment::of(&req)?;
    let provider = find(&state, user.org_id, id.into_inner()).await?;
    require_owner(&user)?;
    htmx::html(&ConfirmDialog {
        action_url: format!("/settings/sign-in/{}/delete", provider.id),
        title: format!("Remove {}?", provider.name),
        message: format!("Nobody can sign in with {} any more, and every account's link to it is removed (people keep their passwords, if they have one). This cannot be undone.", provider.name),
        button: "Remove",
        danger: true,
        alternative: None,
    })
}

pub async fn delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::SettingsManage)?;
    find(&state, user.org_id, *id).await?;
    require_owner(&user)?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now, id) = (
        user.actor(),
        user.org_id,
        state.clock.now(),
        id.into_inner(),
    );
    let (provider, linked) = state
        .db(move |conn| {
            triage(service::remove_provider(
                conn,
                (&actor, org_id),
                id,
                (&meta, now),
            ))?
            .map_err(|e| AppError::BadRequest(e.to_string()))
        })
        .await?;
    let message = format!(
        "{} removed; {linked} link{} to it removed.",
        provider.name,
        if linked == 1 { "" } else { "s" }
    );
    if htmx::is_htmx(&req) {
        htmx::Hx::new()
            .redirect("/settings/sign-in")
            .toast(htmx::ToastKind::Success, &message)
            .empty()
    } else {
        Ok(saved("/settings/sign-in"))
    }
}

pub async fn save_policy(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    require_owner(&user)?;
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let policy = Policy {
        required: get("required") == Some("1"),
        role_id: get("role").and_then(|r| r.parse().ok()),
        product_ids: pairs
            .iter()
            .filter(|(k, _)| k == "product")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
    };
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, held, now) = (
        user.actor(),
        user.org_id,
        user.permissions,
        state.clock.now(),
    );
    let asked = policy.clone();
    let outcome = state
        .db(move |conn| {
            triage(service::save_policy(
                conn,
                (&actor, org_id, held),
                &asked,
                (&meta, now),
            ))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(saved("/settings/sign-in")),
        Err(error) => {
            let mut view = page(&req, &state, &user).await?;
            view.required = policy.required;
            view.policy_errors = match error {
                SsoError::Invalid(errors) => errors,
                other => FieldErrors::one("required", other.to_string()),
            };
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
