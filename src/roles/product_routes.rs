//! Settings → Products: `GET /settings/products`, adding a permission to a product, and the
//! rename and delete dialogs of a product permission.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::products::{self, ProductPermissionError, Reach};
use crate::auth::permissions::Permission;
use crate::licenses::product_permissions::{self as store, ProductPermission};
use crate::users::actions::lifecycle::routes::editor_of;
use crate::validation::FieldErrors;
use crate::web::confirm::RenameDialog;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/products", web::get().to(show))
        .route("/settings/products/{id}/permissions", web::post().to(add))
        .route(
            "/settings/product-permissions/{id}/rename",
            web::get().to(rename_dialog),
        )
        .route(
            "/settings/product-permissions/{id}/rename",
            web::post().to(rename),
        )
        .route(
            "/settings/product-permissions/{id}/delete",
            web::get().to(delete_dialog),
        )
        .route(
            "/settings/product-permissions/{id}/delete",
            web::post().to(delete),
        );
}

impl ServiceError for ProductPermissionError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            ProductPermissionError::NotFound => Err(AppError::NotFound),
            ProductPermissionError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

fn shown(error: ProductPermissionError) -> FieldErrors {
    match error {
        ProductPermissionError::Invalid(errors) => errors,
        other => FieldErrors::one("name", other.to_string()),
    }
}

/// A product with its seats and its own permissions.
struct ProductCard {
    id: i64,
    name: String,
    seats: i32,
    used: i32,
    permissions: Vec<ProductPermission>,
}

#[derive(Template)]
#[template(path = "roles/products.html")]
struct ProductsPage {
    shell: Shell,
    notice: Option<String>,
    cards: ProductCards,
}

#[derive(Template)]
#[template(path = "roles/_product_cards.html")]
struct ProductCards {
    csrf: String,
    products: Vec<ProductCard>,
    /// The product whose "Add permission" field was refused, with what was typed.
    typed: Option<(i64, String)>,
    errors: FieldErrors,
}

impl ProductCards {
    fn typed_for(&self, product: &i64) -> &str {
        match &self.typed {
            Some((id, name)) if id == product => name,
            _ => "",
        }
    }

    fn error_for(&self, product: &i64) -> Option<&str> {
        match &self.typed {
            Some((id, _)) if id == product => self.errors.get("name"),
            _ => None,
        }
    }
}

#[derive(Template)]
#[template(path = "roles/_product_permission_delete.html")]
struct DeleteDialog {
    permission: ProductPermission,
    reach: Reach,
    refusal: Option<String>,
}

async fn page(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
) -> Result<ProductsPage, AppError> {
    let org_id = user.org_id;
    let (catalogue, permissions) = state
        .db(move |conn| {
            Ok((
                crate::licenses::store::products(conn, org_id)?,
                store::all(conn, org_id)?,
            ))
        })
        .await?;
    let products = catalogue
        .into_iter()
        .map(|p| ProductCard {
            permissions: permissions
                .iter()
                .filter(|pp| pp.product_id == p.id)
                .cloned()
                .collect(),
            id: p.id,
            name: p.name,
            seats: p.seats,
            used: p.seats_used,
        })
        .collect();
    let shell = Shell::new(req, user, Nav::Settings);
    Ok(ProductsPage {
        cards: ProductCards {
            csrf: shell.csrf.clone(),
            products,
            typed: None,
            errors: FieldErrors::default(),
        },
        shell,
        notice: None,
    })
}

pub async fn show(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    htmx::html(&page(&req, &state, &user).await?)
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

pub async fn add(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    let product_id = path.into_inner();
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (editor, now) = (editor_of(&user), state.clock.now());
    let name = form.name.clone();
    let outcome = state
        .db(move |conn| triage(products::add(conn, &editor, product_id, &name, &meta, now)))
        .await?;
    let mut view = page(&req, &state, &user).await?;
    match outcome {
        Ok(added) => {
            view.notice = Some(format!(
                "{} added. Give it to roles in Settings → Roles.",
                added.label()
            ));
            htmx::html(&view)
        }
        Err(error) => {
            view.cards.typed = Some((product_id, form.name.clone()));
            view.cards.errors = shown(error);
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

async fn find(state: &State, org_id: i64, id: i64) -> Result<ProductPermission, AppError> {
    state
        .db(move |conn| {
            store::all(conn, org_id)?
                .into_iter()
                .find(|p| p.id == id)
                .ok_or(AppError::NotFound)
        })
        .await
}

fn rename_view(permission: &ProductPermission, name: String, errors: FieldErrors) -> RenameDialog {
    RenameDialog {
        action_url: format!("/settings/product-permissions/{}/rename", permission.id),
        title: format!("Rename permission “{}”", permission.label()),
        name,
        errors,
    }
}

pub async fn rename_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    htmx::Fragment::of(&req)?;
    let permission = find(&state, user.org_id, path.into_inner()).await?;
    let name = permission.name.clone();
    htmx::html(&rename_view(&permission, name, FieldErrors::default()))
}

/// After a change in a dialog: the page again (the dialog closes with it).
async fn changed(
    req: &HttpRequest,
    state: &State,
    user: &CurrentUser,
    message: String,
) -> Result<HttpResponse, AppError> {
    let view = page(req, state, user).await?;
    htmx::replaced("#product-cards", &view.cards, &message)
}

pub async fn rename(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    let permission = find(&state, user.org_id, path.into_inner()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (editor, now) = (editor_of(&user), state.clock.now());
    let (id, name) = (permission.id, form.name.clone());
    let outcome = state
        .db(move |conn| triage(products::rename(conn, &editor, id, &name, &meta, now)))
        .await?;
    match outcome {
        Ok(()) => {
            let message = format!("Permission renamed to “{}”.", form.name.trim());
            changed(&req, &state, &user, message).await
        }
        Err(error) => htmx::html_with_status(
            &rename_view(&permission, form.name.clone(), shown(error)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

async fn delete_view(state: &State, org_id: i64, id: i64) -> Result<DeleteDialog, AppError> {
    let permission = find(state, org_id, id).await?;
    let shown = permission.clone();
    let reach = state
        .db(move |conn| Ok(products::reach(conn, org_id, &shown)?))
        .await?;
    Ok(DeleteDialog {
        permission,
        reach,
        refusal: None,
    })
}

pub async fn delete_dialog(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&delete_view(&state, user.org_id, path.into_inner()).await?)
}

pub async fn delete(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RolesManage)?;
    let mut view = delete_view(&state, user.org_id, path.into_inner()).await?;
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let (editor, now) = (editor_of(&user), state.clock.now());
    let id = view.permission.id;
    let outcome = state
        .db(move |conn| triage(products::delete(conn, &editor, id, &meta, now)))
        .await?;
    match outcome {
        Ok(()) => {
            let message = format!("{} deleted.", view.permission.label());
            changed(&req, &state, &user, message).await
        }
        Err(error) => {
            view.refusal = Some(error.to_string());
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
