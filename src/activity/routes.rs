//! Activity handlers: the page (or only its table for htmx) and the CSV export.

use actix_web::{web, HttpRequest, HttpResponse};

use super::forms::ActivityQuery;
use super::views::{ActivityPage, ActivityTable, FilterBar};
use super::{export, service, store, stream};
use crate::auth::permissions::Permission;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/activity", web::get().to(list))
        .route("/activity/export.csv", web::get().to(export::csv))
        .route("/activity/stream", web::get().to(stream::stream));
}

/// `GET /activity`: newest first, filtered, one keyset page; the table alone for htmx.
pub async fn list(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::AuditView)?;
    let query = ActivityQuery::from_pairs(&pairs);
    let (org_id, viewer, scope) = (user.org_id, user.id, user.scope.clone());
    let lookup = query.clone();
    let (resolved, rows, more, names) = state
        .db(move |conn| {
            let resolved = service::resolve(conn, org_id, (viewer, scope.as_ref()), &lookup)?;
            if resolved.hidden {
                return Err(AppError::NotFound);
            }
            let (rows, more) =
                store::chunk(conn, &resolved.filter, &lookup.page(), store::PAGE_SIZE)?;
            let names = store::names(conn, org_id)?;
            Ok((resolved, rows, more, names))
        })
        .await?;
    let bar = FilterBar::new(&query, &resolved);
    let table = ActivityTable::new(&query, resolved, rows, more, &names, state.clock.now());
    htmx::page_or_fragment(&req, table, |table| ActivityPage {
        shell: Shell::new(&req, &user, Nav::Activity),
        bar,
        table,
    })
}
