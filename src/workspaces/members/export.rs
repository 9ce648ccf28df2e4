//! `GET /workspaces/{id}/users/export.csv?q=`: the workspace's users as CSV, honouring the
//! search, streamed a chunk at a time (User Management's list engine, filtered to the
//! workspace; one batched query for the memberships of each chunk).

use actix_web::{web, HttpResponse};
use tokio::sync::mpsc;

use super::routes::steward_of;
use crate::users::export::{field, CHUNK};
use crate::users::forms::{ListQuery, Page};
use crate::users::store::{self, UserListRow};
use crate::web::{AppError, CurrentUser, State};
use crate::workspaces::{store as workspaces, Membership, Restriction};

const HEADER: &str = "Name,Email,Access Level,Restrictions,Status,Last active\r\n";

fn line(row: &UserListRow, membership: Option<&Membership>) -> String {
    let status = match row.status.as_str() {
        "invited" => "Pending",
        "inactive" => "Inactive",
        _ => "Active",
    };
    let (level, restrictions) = membership.map_or(("", String::new()), |m| {
        let labels: Vec<&str> = m.restrictions.iter().map(|r| r.label()).collect();
        (m.level.label(), labels.join("; "))
    });
    let last_active = row
        .last_active_at
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default();
    format!(
        "{},{},{level},{},{status},{last_active}\r\n",
        field(&format!("{} {}", row.first_name, row.last_name)),
        field(&row.email),
        field(&restrictions),
    )
}

pub async fn export(
    state: State,
    user: CurrentUser,
    id: web::Path<i64>,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (steward, workspace) = steward_of(&state, &user, id.into_inner()).await?;
    steward.check(Restriction::NoExport)?;
    let mut query = ListQuery::from_pairs(&pairs).seen_by(None, state.clock.now());
    query.workspace_id = Some(workspace.id);
    query.active_only = false;
    query.page = Page::First;
    let org_id = steward.org_id;
    let (sender, mut receiver) = mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    let pool = state.pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let failed = |e: diesel::result::Error| {
            log::error!("workspace export failed: {e}");
            let _ = sender.blocking_send(Err(std::io::Error::other("export failed")));
        };
        let Ok(mut conn) = pool.get() else { return };
        if sender.blocking_send(Ok(web::Bytes::from(HEADER))).is_err() {
            return;
        }
        loop {
            let chunk = store::list_chunk(&mut conn, org_id, &query, CHUNK, store::Columns::Page)
                .and_then(|(rows, more)| {
                    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                    let memberships = workspaces::memberships_of(&mut conn, workspace.id, &ids)?;
                    Ok((rows, more, memberships))
                });
            let (rows, more, memberships) = match chunk {
                Ok(chunk) => chunk,
                Err(e) => return failed(e),
            };
            let text: String = rows
                .iter()
                .map(|row| line(row, memberships.get(&row.id)))
                .collect();
            if sender.blocking_send(Ok(web::Bytes::from(text))).is_err() {
                return;
            }
            match (more, rows.last()) {
                (true, Some(last)) => query.page = Page::After(last.cursor(query.sort)),
                _ => return,
            }
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"workspace-users.csv\"",
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body))
}
