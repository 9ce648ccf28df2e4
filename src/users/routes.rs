//! User Management handlers.

use actix_web::{web, HttpRequest, HttpResponse};

use super::forms::ListQuery;
use super::store::{self, columns};
use super::views::{BulkBar, Filters, GroupOptions, RowActions, UsersPage, UsersTable};
use crate::auth::permissions::Permission;
use crate::invites::views::SignupControls;
use crate::web::shell::{Nav, Shell};
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .route("/users/columns", web::post().to(choose_columns));
}

/// `GET /users`: the whole page, or only the table for htmx (search, filters, sorting, paging).
pub async fn list(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersView)?;
    let query = ListQuery::from_pairs(&pairs).seen_by(user.scope.as_ref(), state.clock.now());
    let org_id = user.org_id;
    let full_page = !htmx::is_htmx(&req);
    let now = state.clock.now();
    let lookup = query.clone();
    let actions = RowActions::of(&user);
    let bulk_for = (full_page && actions.can_manage).then_some(user.permissions);
    let app = state.get_ref().clone();
    let chosen = user.list_columns.clone();
    let scope = user.scope.clone();
    let (rows, more, catalog, groups, mut columns, around) = state
        .db(move |conn| {
            let (rows, more) = store::list_page(conn, org_id, &lookup)?;
            // Roles, products, groups and workspaces come from memory; what each role gives
            // decides which actions each row offers.
            let catalog = app.catalog.of(conn, org_id)?;
            let groups = catalog.groups.clone();
            let columns = Columns::load(conn, &chosen, &rows, &catalog)?;
            let around = if full_page {
                Around::load(
                    conn,
                    (org_id, scope.as_ref()),
                    (&catalog, &groups),
                    &columns,
                    bulk_for,
                )?
            } else {
                Around::default()
            };
            Ok((rows, more, catalog, groups, columns, around))
        })
        .await?;
    let Around {
        roles,
        allow_auto_signup,
        scope_note,
        bulk,
    } = around;
    let names = crate::groups::GroupNames::of(&groups);
    let mut table = UsersTable::new(&query, rows, more, now, actions, (&catalog, &names));
    columns.fill(&mut table);
    htmx::page_or_fragment(&req, table, |table| UsersPage {
        shell: Shell::new(&req, &user, Nav::Users),
        controls: SignupControls {
            allow_auto_signup,
            can_change: user.can(Permission::SettingsManage),
            can_invite: user.can(Permission::UsersInvite),
            can_create: user.can(Permission::UsersInvite) && user.can(Permission::UsersEdit),
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
            fields: columns.filterable(),
            field: query.field.clone(),
            workspace_id: query.workspace_id,
            workspaces: columns.workspaces.clone(),
        },
        columns: columns.choices(),
        table,
        bulk,
        scope_note,
    })
}

/// What the whole page shows around the table: the role filter, the sign-up switch, whom a
/// scoped viewer manages, and the bulk bar.
#[derive(Default)]
struct Around {
    roles: Vec<(i64, String)>,
    allow_auto_signup: bool,
    scope_note: Option<String>,
    bulk: Option<BulkBar>,
}

impl Around {
    fn load(
        conn: &mut crate::db::DbConn,
        (org_id, scope): (i64, Option<&crate::users::scope::Scope>),
        (catalog, groups): (
            &crate::orgs::catalog::OrgCatalog,
            &[crate::groups::store::Group],
        ),
        columns: &Columns,
        bulk_for: Option<crate::auth::permissions::Permissions>,
    ) -> diesel::QueryResult<Self> {
        // The sign-up switch comes with the catalogue (its changes move the version on).
        let allow_auto_signup = catalog.allow_auto_signup;
        let scope_note = match scope {
            Some(scope) => {
                let divisions = crate::users::actions::edit::store::divisions(conn, org_id)?;
                let teams: Vec<(i64, String)> =
                    groups.iter().map(|g| (g.id, g.name.clone())).collect();
                Some(crate::users::scope::describe(
                    Some(scope),
                    &divisions,
                    &teams,
                ))
            }
            None => None,
        };
        let bulk = bulk_for.map(|permissions| BulkBar {
            roles: catalog.grantable(permissions),
            products: catalog.products.clone(),
            groups: GroupOptions::of(groups),
            fields: columns.settable(),
            workspaces: columns.workspaces.clone(),
        });
        Ok(Self {
            roles: catalog.role_names(),
            allow_auto_signup,
            scope_note,
            bulk,
        })
    }
}

/// The user fields a list shows as extra columns, and their values for the page's rows; the
/// workspaces of each row, when the organization has several.
struct Columns {
    /// The organization's catalogue (its fields).
    catalog: std::sync::Arc<crate::orgs::catalog::OrgCatalog>,
    shown: Vec<crate::fields::Field>,
    values: std::collections::HashMap<i64, Vec<String>>,
    /// The active workspaces (none when there is only one).
    workspaces: Vec<(i64, String)>,
    places: std::collections::HashMap<i64, Vec<String>>,
}

impl Columns {
    fn load(
        conn: &mut crate::db::DbConn,
        chosen: &[i64],
        rows: &[store::UserListRow],
        catalog: &std::sync::Arc<crate::orgs::catalog::OrgCatalog>,
    ) -> diesel::QueryResult<Columns> {
        let shown = columns::chosen(chosen, &catalog.fields);
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let values = columns::values(conn, &ids, &shown)?;
        let workspaces = catalog.several_workspaces().to_vec();
        let places = if workspaces.is_empty() {
            Default::default()
        } else {
            crate::workspaces::store::names_of_members(conn, &ids)?
        };
        Ok(Columns {
            catalog: catalog.clone(),
            shown,
            values,
            workspaces,
            places,
        })
    }

    fn fill(&mut self, table: &mut UsersTable) {
        table.extra_columns = self.shown.iter().map(|f| f.label.clone()).collect();
        for row in &mut table.rows {
            row.extra = self.values.remove(&row.id).unwrap_or_default();
            row.workspaces = self.places.remove(&row.id).unwrap_or_default();
        }
    }

    fn filterable(&self) -> Vec<(i64, String)> {
        // Never a secret: even "is empty" would tell who has one.
        self.catalog
            .fields
            .iter()
            .filter(|f| !f.is_secret())
            .map(|f| (f.id, f.label.clone()))
            .collect()
    }

    fn settable(&self) -> Vec<(i64, String)> {
        // Nor the OAuth Email: a way in, changed one person at a time in Edit User.
        self.catalog
            .fields
            .iter()
            .filter(|f| !f.is_secret() && f.key != crate::sso::OAUTH_EMAIL)
            .map(|f| (f.id, f.label.clone()))
            .collect()
    }

    fn choices(&self) -> Vec<(i64, String, bool)> {
        self.catalog
            .fields
            .iter()
            .filter(|f| !f.is_secret())
            .map(|f| {
                (
                    f.id,
                    f.label.clone(),
                    self.shown.iter().any(|s| s.id == f.id),
                )
            })
            .collect()
    }
}

/// `POST /users/columns`: the extra columns this person shows, remembered; back to the list.
async fn choose_columns(
    state: State,
    user: CurrentUser,
    pairs: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersView)?;
    let wanted: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "column")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    if wanted.len() > columns::MAX_COLUMNS {
        return Err(AppError::BadRequest(format!(
            "Choose at most {} columns.",
            columns::MAX_COLUMNS
        )));
    }
    let back = pairs
        .iter()
        .find(|(k, _)| k == "back")
        .map(|(_, v)| v.as_str())
        .filter(|v| *v == "/users" || v.starts_with("/users?"))
        .unwrap_or("/users")
        .to_owned();
    let (org_id, viewer) = (user.org_id, user.id);
    state
        .db(move |conn| {
            // Only the organization's own fields, never a secret.
            let fields = crate::fields::store::all(conn, org_id)?;
            let ids: Vec<i64> = fields
                .iter()
                .filter(|f| wanted.contains(&f.id) && !f.is_secret())
                .map(|f| f.id)
                .collect();
            columns::choose(conn, viewer, &ids)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, back))
        .finish())
}
