//! `/settings/api-tokens` (the organization's tokens, `settings.manage`) and
//! `/account/api-tokens` (one's own personal tokens): the list, a new token (its secret shown
//! once), Revoke after a confirmation.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::service::{self, Maker, TokenError, TokenRequest};
use super::views::{TokenLine, TokenList, TokensPage};
use super::{store, Scope, Scopes};
use crate::auth::permissions::Permission;
use crate::validation::FieldErrors;
use crate::web::confirm::ConfirmDialog;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The same handlers for both: the path tells whose tokens (`Kind::of`).
    cfg.route("/settings/api-tokens", web::get().to(show))
        .route("/settings/api-tokens", web::post().to(create))
        .route("/settings/api-tokens/{id}/revoke", web::get().to(confirm))
        .route("/settings/api-tokens/{id}/revoke", web::post().to(revoke))
        .route("/account/api-tokens", web::get().to(show))
        .route("/account/api-tokens", web::post().to(create))
        .route("/account/api-tokens/{id}/revoke", web::get().to(confirm))
        .route("/account/api-tokens/{id}/revoke", web::post().to(revoke));
}

impl ServiceError for TokenError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            TokenError::NotFound => Err(AppError::NotFound),
            TokenError::Refused(message) => Err(AppError::Denied(message)),
            TokenError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

/// Whose tokens a page shows: the organization's, or the signed-in person's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Organization,
    Personal,
}

impl Kind {
    /// The page's kind, by where it lives (`/account/…` is one's own).
    fn of(req: &HttpRequest) -> Kind {
        if req.path().starts_with("/account/") {
            Kind::Personal
        } else {
            Kind::Organization
        }
    }

    fn base(self) -> &'static str {
        match self {
            Kind::Organization => "/settings/api-tokens",
            Kind::Personal => "/account/api-tokens",
        }
    }

    fn personal(self) -> bool {
        self == Kind::Personal
    }

    fn require(self, user: &CurrentUser) -> Result<(), AppError> {
        match self {
            Kind::Organization => user.require(Permission::SettingsManage),
            Kind::Personal => Ok(()),
        }
    }
}

fn maker_of(user: &CurrentUser) -> Maker {
    Maker {
        id: user.id,
        org_id: user.org_id,
        email: user.email.clone(),
        permissions: user.permissions,
        actor: user.actor(),
    }
}

async fn list(state: &State, user: &CurrentUser, kind: Kind) -> Result<TokenList, AppError> {
    let (org_id, own) = (user.org_id, kind.personal().then_some(user.id));
    let now = state.clock.now();
    let rows = state
        .db(move |conn| Ok(store::list(conn, org_id, own)?))
        .await?;
    Ok(TokenList {
        lines: rows.into_iter().map(|r| TokenLine::of(r, now)).collect(),
        base: kind.base(),
        personal: kind.personal(),
    })
}

async fn page(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    kind: Kind,
    asked: &TokenRequest,
) -> Result<TokensPage, AppError> {
    let nav = if kind.personal() {
        Nav::Account
    } else {
        Nav::Settings
    };
    // Only the scopes that give the maker something: a token never holds more than they do.
    let offered: Vec<Scope> = Scope::ALL
        .into_iter()
        .filter(|s| user.permissions.meets(s.permissions()))
        .collect();
    let (scopes, expiries) = TokensPage::choices(&offered, &asked.scopes, asked.expires_days);
    Ok(TokensPage {
        shell: Shell::new(req, user, nav),
        personal: kind.personal(),
        base: kind.base(),
        secret: None,
        made_name: String::new(),
        name: asked.name.clone(),
        scopes,
        expiries,
        errors: FieldErrors::default(),
        list: list(state, user, kind).await?,
    })
}

/// A page that may hold a secret is never kept by a cache.
fn no_store(response: Result<HttpResponse, AppError>) -> Result<HttpResponse, AppError> {
    let mut response = response?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub async fn show(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let kind = Kind::of(&req);
    kind.require(&user)?;
    let fresh = TokenRequest {
        expires_days: Some(90),
        ..TokenRequest::default()
    };
    htmx::html(&page(&req, &state, &user, kind, &fresh).await?)
}

/// The posted form: `name`, each ticked `scope`, `expires` (days or `never`).
fn request_of(pairs: &[(String, String)], kind: Kind) -> Result<TokenRequest, FieldErrors> {
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let listed: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.as_str())
        .collect();
    let scopes = Scopes::parse(&listed.join(",")).map_err(|m| FieldErrors::one("scopes", m))?;
    let expires_days = match get("expires") {
        "never" => None,
        days => Some(
            days.parse()
                .map_err(|_| FieldErrors::one("expires", "Choose an expiry from the list."))?,
        ),
    };
    Ok(TokenRequest {
        name: get("name").to_owned(),
        scopes,
        expires_days,
        personal: kind.personal(),
    })
}

pub async fn create(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let kind = Kind::of(&req);
    kind.require(&user)?;
    let (request, parsed) = match request_of(&pairs, kind) {
        Ok(request) => (request.clone(), Ok(request)),
        Err(errors) => (TokenRequest::default(), Err(errors)),
    };
    let outcome = match parsed {
        Err(errors) => Err(TokenError::Invalid(errors)),
        Ok(request) => {
            let maker = maker_of(&user);
            let meta = origin_of(&req, &state.config.trusted_proxies);
            let now = state.clock.now();
            state
                .db(move |conn| triage(service::create(conn, &maker, &request, &meta, now)))
                .await?
        }
    };
    match outcome {
        Ok(made) => {
            let fresh = TokenRequest {
                expires_days: Some(90),
                ..TokenRequest::default()
            };
            let mut view = page(&req, &state, &user, kind, &fresh).await?;
            view.secret = Some(made.secret);
            view.made_name = request.name.trim().to_owned();
            no_store(htmx::html(&view))
        }
        Err(error) => {
            let mut view = page(&req, &state, &user, kind, &request).await?;
            view.errors = match error {
                TokenError::Invalid(errors) => errors,
                other => FieldErrors::one("name", other.to_string()),
            };
            no_store(htmx::html_with_status(
                &view,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}

pub async fn confirm(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (kind, id) = (Kind::of(&req), id.into_inner());
    kind.require(&user)?;
    htmx::Fragment::of(&req)?;
    let (org_id, me) = (user.org_id, user.id);
    let token = state
        .db(move |conn| {
            store::find(conn, org_id, id)?
                .filter(|t| !kind.personal() || (t.personal && t.user_id == me))
                .ok_or(AppError::NotFound)
        })
        .await?;
    htmx::html(&ConfirmDialog {
        action_url: format!("{}/{}/revoke", kind.base(), token.id),
        title: format!("Revoke the token “{}”?", token.name),
        message: format!(
            "Whatever uses it ({}…, made by {}) stops working at once. This cannot be undone: a new token must be made and given to it.",
            token.prefix, token.maker
        ),
        button: "Revoke",
        danger: true,
        alternative: None,
    })
}

pub async fn revoke(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (kind, id) = (Kind::of(&req), id.into_inner());
    kind.require(&user)?;
    let editor = crate::users::actions::lifecycle::routes::editor_of(&user);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let token = state
        .db(move |conn| {
            triage(service::revoke(
                conn,
                &editor,
                (id, kind.personal()),
                &meta,
                now,
            ))?
            .map_err(|shown| AppError::BadRequest(shown.to_string()))
        })
        .await?;
    let message = format!("Token “{}” revoked.", token.name);
    htmx::replaced("#token-list", &list(&state, &user, kind).await?, &message)
}
