//! `POST /users/bulk/confirm` (what would change), `POST /users/bulk` (change it) and
//! `GET /users/bulk/count` (select all users matching the filter).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::service::{self, BulkError, Selection};
use super::views::{thousands, AllMatching, BulkConfirm, SelectionFields};
use super::Action;
use crate::auth::permissions::Permission;
use crate::licenses::last_seat_notice;
use crate::users::actions::lifecycle::routes::{editor_of, refusal};
use crate::users::actions::lifecycle::service::{reassign_target, Reassign};
use crate::users::forms::ListQuery;
use crate::web::errors::triage;
use crate::web::request_meta::origin_of;
use crate::web::{htmx, AppError, CurrentUser, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/bulk/count", web::get().to(count))
        .route("/users/bulk/confirm", web::post().to(confirm))
        .route("/users/bulk", web::post().to(apply));
}

/// Reasons listed in the dialog before "and N more".
const LEFT_OUT_SHOWN: usize = 8;

type Pairs = web::Form<Vec<(String, String)>>;

fn last<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The ticked rows, or every user matching the list's filter (all of it: search, role, group,
/// user field, Show Only Active Users and Last active, measured at `now`).
fn selection_of(
    pairs: &[(String, String)],
    (scope, now): (Option<&crate::users::scope::Scope>, chrono::NaiveDateTime),
) -> (Selection, SelectionFields) {
    let fields = SelectionFields {
        ids: pairs
            .iter()
            .filter(|(k, _)| k == "ids")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
        all_matching: last(pairs, "all_matching") == "1",
        q: last(pairs, "q").to_owned(),
        role: last(pairs, "role").to_owned(),
        group: last(pairs, "group").to_owned(),
        field: last(pairs, "field").to_owned(),
        field_value: last(pairs, "field_value").to_owned(),
        field_empty: last(pairs, "field_empty").to_owned(),
        active: last(pairs, "active").to_owned(),
        last_active: last(pairs, "last_active").to_owned(),
        set_value: last(pairs, "set_value").to_owned(),
    };
    let selection = if fields.all_matching {
        let filter: Vec<(String, String)> = [
            ("q", &fields.q),
            ("role", &fields.role),
            ("group", &fields.group),
            ("field", &fields.field),
            ("field_value", &fields.field_value),
            ("field_empty", &fields.field_empty),
            ("active", &fields.active),
            ("last_active", &fields.last_active),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
        Selection::Matching(ListQuery::from_pairs(&filter).seen_by(scope, now))
    } else {
        Selection::Ids(fields.ids.clone())
    };
    (selection, fields)
}

fn action_of(pairs: &[(String, String)]) -> Result<Action, AppError> {
    Action::parse(last(pairs, "action")).ok_or_else(|| {
        AppError::BadRequest("Choose a bulk action from the list, then Apply.".into())
    })
}

fn bulk_error(error: BulkError) -> AppError {
    match error {
        BulkError::Refused(message) => AppError::Conflict(message),
        BulkError::Lifecycle(e) => refusal(e),
        BulkError::Database(e) => e.into(),
    }
}

/// The confirmation dialog for `action` on the selection.
async fn dialog(
    state: &State,
    user: &CurrentUser,
    action: Action,
    selection: Selection,
    fields: SelectionFields,
) -> Result<BulkConfirm, AppError> {
    let editor = editor_of(user);
    let value = fields.set_value.clone();
    let plan = state
        .db(move |conn| {
            let ids = service::resolve(conn, editor.org_id, editor.scope.as_ref(), &selection)?;
            service::plan(conn, &editor, (action, &value), &ids).map_err(bulk_error)
        })
        .await?;
    let left_out_more = plan.left_out.len().saturating_sub(LEFT_OUT_SHOWN);
    Ok(BulkConfirm {
        action: action.as_param(),
        label: plan.label,
        selection: fields,
        changing: plan.changing.len(),
        unchanged: plan.unchanged,
        left_out: plan.left_out.into_iter().take(LEFT_OUT_SHOWN).collect(),
        left_out_more,
        refusal: plan.refusal,
        is_delete: action == Action::Delete,
        owned: plan.owned,
        reassign_email: String::new(),
        leave_unassigned: false,
        reassign_error: None,
    })
}

pub async fn confirm(
    state: State,
    user: CurrentUser,
    pairs: Pairs,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersView)?;
    let action = action_of(&pairs)?;
    let (selection, fields) = selection_of(&pairs, (user.scope.as_ref(), state.clock.now()));
    if !fields.all_matching && fields.ids.is_empty() {
        return Err(AppError::BadRequest(
            "Tick the users to change first (or select all users matching the filter).".into(),
        ));
    }
    htmx::html(&dialog(&state, &user, action, selection, fields).await?)
}

pub async fn apply(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: Pairs,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersView)?;
    let action = action_of(&pairs)?;
    let (selection, fields) = selection_of(&pairs, (user.scope.as_ref(), state.clock.now()));
    let leave = last(&pairs, "reassign") != "user";
    let email = last(&pairs, "reassign_email").to_owned();
    let editor = editor_of(&user);
    let meta = origin_of(&req, &state.config.trusted_proxies);
    let now = state.clock.now();
    let find = selection.clone();
    let value = fields.set_value.clone();
    let outcome = state
        .db(move |conn| {
            let ids = service::resolve(conn, editor.org_id, editor.scope.as_ref(), &find)?;
            let reassign = if action != Action::Delete || leave {
                Reassign::Nobody
            } else {
                // Whether the new owner is among those deleted is the plan's to say: the
                // selection may hold people who are left out (the Owner, oneself).
                match triage(reassign_target(conn, &editor, &email, &[]))? {
                    Ok(to) => to,
                    Err(shown) => return Ok(Err(shown.to_string())),
                }
            };
            let applied =
                service::apply(conn, &editor, (action, &value), &ids, reassign, &meta, now);
            Ok(Ok(applied.map_err(bulk_error)?))
        })
        .await?;
    match outcome {
        Ok(applied) => {
            let changed = applied.changed;
            let mut message = format!(
                "{} user{} changed.",
                thousands(changed),
                if changed == 1 { "" } else { "s" }
            );
            if let Some(notice) = applied.last_seat.and_then(|name| last_seat_notice(&[name])) {
                message = format!("{message} {notice}");
            }
            Ok(htmx::changed(&req, &message))
        }
        Err(message) => {
            let mut view = dialog(&state, &user, action, selection, fields).await?;
            view.reassign_email = last(&pairs, "reassign_email").to_owned();
            view.reassign_error = Some(message);
            htmx::html_with_status(&view, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// How many users match the filter: the answer to "Select all users matching this filter".
pub async fn count(
    req: HttpRequest,
    state: State,
    user: CurrentUser,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersView)?;
    htmx::Fragment::of(&req)?;
    let query = ListQuery::from_pairs(&pairs).seen_by(user.scope.as_ref(), state.clock.now());
    let org_id = user.org_id;
    let count = state
        .db(move |conn| {
            let all = Selection::Matching(query);
            Ok(service::resolve(conn, org_id, None, &all)?.len())
        })
        .await?;
    htmx::html(&AllMatching { count })
}
