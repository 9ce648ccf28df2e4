//! User Management handlers.

use actix_web::{web, HttpRequest, HttpResponse};

use super::forms::ListQuery;
use super::store;
use super::views::{BulkBar, Filters, GroupOptions, RowActions, UsersPage, UsersTable};
use crate::auth::permissions::Permission;
use crate::invites::views::SignupControls;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list));
}

/// `GET /users`: the whole page, or only the table for htmx (search, filters, sorting, paging).
pub async fn list(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersView)?;
    let mut query = ListQuery::from_pairs(&pairs);
    query.as_of = Some(state.clock.now());
    let org_id = user.org_id;
    let full_page = !htmx::is_htmx(&req);
    let now = state.clock.now();
    let lookup = query.clone();
    let actions = RowActions::of(&user);
    let bulk_for = (full_page && actions.can_manage).then_some(user.permissions);
    let app = state.get_ref().clone();
    let (rows, more, catalog, roles, groups, allow_auto_signup, bulk) = state
        .db(move |conn| {
            let (rows, more) = store::list_page(conn, org_id, &lookup)?;
            // Roles and products come from memory; what each role gives decides which
            // actions each row offers.
            let catalog = app.catalog.of(conn, org_id)?;
            let groups = crate::groups::store::all(conn, org_id)?;
            if !full_page {
                return Ok((rows, more, catalog, Vec::new(), groups, false, None));
            }
            // The sign-up switch (which changes) comes from the database.
            let allow = crate::orgs::store::allow_auto_signup(conn, org_id)?;
            let bulk = bulk_for.map(|permissions| BulkBar {
                roles: catalog.grantable(permissions),
                products: catalog.products.clone(),
                groups: GroupOptions::of(&groups),
            });
            let names = catalog.role_names();
            Ok((rows, more, catalog, names, groups, allow, bulk))
        })
        .await?;
    let names = crate::groups::GroupNames::of(&groups);
    let table = UsersTable::new(&query, rows, more, now, actions, (&catalog, &names));
    htmx::page_or_fragment(&req, table, |table| UsersPage {
        shell: Shell::new(&req, &user, Nav::Users),
        controls: SignupControls {
            allow_auto_signup,
            can_change: user.can(Permission::SettingsManage),
            can_invite: user.can(Permission::UsersInvite),
        },
        filters: Filters {
            search: query.search.clone(),
            role_id: query.role_id,
            active_only: query.active_only,
            last_active: query.last_active,
            sort: query.sort.as_param(),
            roles,
            group_id: query.group_id,
            groups: GroupOptions::of(&groups),
        },
        table,
        bulk,
    })
}
