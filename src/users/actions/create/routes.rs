//! `GET/POST /users/new`: the Create User dialog.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::forms::CreateForm;
use super::service::{self, CreateError, Creator};
use super::views::CreateDialog;
use crate::auth::permissions::Permission;
use crate::fields::views::{sections, Shown};
use crate::licenses::store::products;
use crate::orgs::catalog::grantable_roles;
use crate::users::actions::edit::views::{GroupPicker, LicenseChoice};
use crate::users::actions::lifecycle::routes::editor_of;
use crate::validation::FieldErrors;
use crate::web::errors::{triage, ServiceError};
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/new", web::get().to(create_form))
        .route("/users/new", web::post().to(create));
}

impl ServiceError for CreateError {
    fn sort(self) -> Result<Self, AppError> {
        match self {
            CreateError::Database(e) => Err(e.into()),
            shown => Ok(shown),
        }
    }
}

/// Creating someone is inviting them with a whole profile: both permissions.
fn require(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Permission::UsersInvite)?;
    user.require(Permission::UsersEdit)
}

async fn dialog(
    state: &State,
    user: &CurrentUser,
    form: CreateForm,
    errors: FieldErrors,
) -> Result<CreateDialog, AppError> {
    let (org_id, held) = (user.org_id, user.permissions);
    state
        .db(move |conn| {
            let roles = grantable_roles(conn, org_id, held)?;
            let licenses = products(conn, org_id)?
                .iter()
                .map(|p| LicenseChoice::from_product(p, form.product_ids.contains(&p.id)))
                .collect();
            let divisions = crate::users::actions::edit::store::divisions(conn, org_id)?;
            let selected: Vec<i64> = form.group_ids.iter().copied().collect();
            let group_pickers =
                GroupPicker::all(crate::groups::store::all(conn, org_id)?, Some(&selected));
            let fields = crate::fields::store::all(conn, org_id)?;
            let values = form
                .fields
                .as_shown(&fields, &crate::fields::store::Values::new());
            let shown = Shown {
                fields: &fields,
                values: &values,
                roles: &form.role_ids,
            };
            let field_sections = sections(&shown, |_| true);
            let username_required = crate::users::username::required(conn, org_id)?;
            Ok(CreateDialog {
                form,
                roles,
                licenses,
                divisions,
                group_pickers,
                field_sections,
                username_required,
                errors,
            })
        })
        .await
}

pub async fn create_form(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    require(&user)?;
    htmx::Fragment::of(&req)?;
    htmx::html(&dialog(&state, &user, CreateForm::default(), FieldErrors::default()).await?)
}

pub async fn create(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    require(&user)?;
    let form = CreateForm::from_pairs(&pairs);
    let editor = editor_of(&user);
    let name = user.display_name();
    let base_url = state.base_url.clone();
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let posted = form.clone();
    let outcome = state
        .db(move |conn| {
            let creator = Creator {
                editor: &editor,
                name: &name,
                base_url: &base_url,
            };
            triage(service::create(conn, &creator, &posted, &meta, now))
        })
        .await?;
    match outcome {
        Ok(created) => {
            let message = format!(
                "User created. {} gets an email to confirm the account and choose a password.",
                created.email
            );
            let mut effects = htmx::Hx::new()
                .toast(htmx::ToastKind::Success, &message)
                .close_dialog()
                .users_changed();
            if let Some(notice) = crate::licenses::last_seat_notice(&created.last_seats) {
                effects = effects.notice(htmx::ToastKind::Info, &notice);
            }
            effects.empty()
        }
        Err(CreateError::Invalid(errors)) => htmx::html_with_status(
            &dialog(&state, &user, form, errors).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(CreateError::Database(e)) => Err(e.into()),
    }
}
