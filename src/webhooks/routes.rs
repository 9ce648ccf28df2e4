//! Settings → Webhooks: `GET/POST /settings/webhooks`, delete after a confirmation, resume a
//! paused endpoint. `settings.manage`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::service::{self, NewEndpoint, WebhookError};
use super::store;
use super::views::{DeliveryLine, EndpointLine, EndpointList, WebhooksPage};
use crate::auth::permissions::Permission;
use crate::validation::FieldErrors;
use crate::web::confirm::ConfirmDialog;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::shell::Shell;
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/webhooks", web::get().to(show))
        .route("/settings/webhooks", web::post().to(create))
        .route(
            "/settings/webhooks/{id}/delete",
            web::get().to(confirm_delete),
        )
        .route("/settings/webhooks/{id}/delete", web::post().to(delete))
        .route("/settings/webhooks/{id}/resume", web::post().to(resume));
}

/// Endpoints receive what the audit log records: `settings.manage` and `audit.view` both.
fn require(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::SettingsManage)?;
    user.require(Permission::AuditView)
}

impl ServiceError for WebhookError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            WebhookError::NotFound => Err(AppError::NotFound),
            WebhookError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

async fn list(state: &State, org_id: i64) -> Result<EndpointList, AppError> {
    let (endpoints, deliveries) = state
        .db(move |conn| {
            Ok((
                store::endpoints(conn, org_id)?,
                store::recent(conn, org_id, 50)?,
            ))
        })
        .await?;
    let urls: Vec<(i64, String)> = endpoints.iter().map(|e| (e.id, e.url.clone())).collect();
    Ok(EndpointList {
        endpoints: endpoints.into_iter().map(EndpointLine::of).collect(),
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryLine::of(d, &urls))
            .collect(),
    })
}

async fn page(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
) -> Result<WebhooksPage, AppError> {
    Ok(WebhooksPage {
        shell: Shell::new(req, user, WebhooksPage::nav()),
        secret: None,
        url: String::new(),
        events: WebhooksPage::choices(&[]),
        errors: FieldErrors::default(),
        list: list(state, user.org_id).await?,
    })
}

pub async fn show(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    require(&user)?;
    htmx::html(&page(&req, &state, &user).await?)
}

pub async fn create(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    require(&user)?;
    let asked = NewEndpoint {
        url: pairs
            .iter()
            .rev()
            .find(|(k, _)| k == "url")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        events: pairs
            .iter()
            .filter(|(k, _)| k == "event")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let allow_private = state.config.webhooks_allow_private;
    let request = asked.clone();
    let outcome = state
        .db(move |conn| {
            triage(service::create(
                conn,
                (&actor, org_id),
                &request,
                allow_private,
                (&meta, now),
            ))
        })
        .await?;
    let mut view = page(&req, &state, &user).await?;
    let mut response = match outcome {
        Ok((_, secret)) => {
            view.secret = Some(secret);
            htmx::html(&view)?
        }
        Err(error) => {
            view.url = asked.url.clone();
            view.events = WebhooksPage::choices(&asked.events);
            view.errors = match error {
                WebhookError::Invalid(errors) => errors,
                other => FieldErrors::one("url", other.to_string()),
            };
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)?
        }
    };
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

async fn find(state: &State, org_id: i64, id: i64) -> Result<store::Endpoint, AppError> {
    state
        .db(move |conn| store::find(conn, org_id, id)?.ok_or(AppError::NotFound))
        .await
}

pub async fn confirm_delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    require(&user)?;
    htmx::Fragment::of(&req)?;
    let endpoint = find(&state, user.org_id, id.into_inner()).await?;
    htmx::html(&ConfirmDialog {
        action_url: format!("/settings/webhooks/{}/delete", endpoint.id),
        title: format!("Delete the webhook to {}?", endpoint.url),
        message: "Nothing more is sent to it, and deliveries still queued for it are dropped. This cannot be undone.".into(),
        button: "Delete",
        danger: true,
        alternative: None,
    })
}

async fn act(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    id: i64,
    resume: bool,
) -> Result<HttpResponse, AppError> {
    require(user)?;
    let meta = origin_of(req, &state.config.trusted_proxies);
    let (actor, org_id, now) = (user.actor(), user.org_id, state.clock.now());
    let endpoint = state
        .db(move |conn| {
            let what = if resume {
                service::Act::Resume
            } else {
                service::Act::Delete
            };
            let done = service::act(conn, (&actor, org_id), (id, what), (&meta, now));
            triage(done)?.map_err(|shown| AppError::BadRequest(shown.to_string()))
        })
        .await?;
    let message = if resume {
        format!(
            "Webhook to {} resumed: what was queued is sent now.",
            endpoint.url
        )
    } else {
        format!("Webhook to {} deleted.", endpoint.url)
    };
    htmx::replaced("#webhook-list", &list(state, user.org_id).await?, &message)
}

pub async fn delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    act(&req, &state, &user, id.into_inner(), false).await
}

pub async fn resume(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    act(&req, &state, &user, id.into_inner(), true).await
}
