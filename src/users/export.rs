//! Export: the users matching the current filter as CSV, streamed in chunks, so 100,000 users
//! never sit in memory at once.

use actix_web::{web, HttpResponse};
use tokio::sync::mpsc;

use super::forms::{ListQuery, Page};
use super::store::{self, UserListRow};
use crate::auth::permissions::Permission;
use crate::groups::Kind;
use crate::web::{AppError, CurrentUser, State};

/// Rows fetched per query while exporting.
pub const CHUNK: usize = 1_000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/export.csv", web::get().to(export));
}

const HEADER: &str = "Name,Email,Roles,Licenses,User Tags,Skill Groups,Teams,Status,Lock state,\
     Last login,Last active,Created,Username\r\n";

/// One CSV field: quoted when needed; a leading = + - @ is defused so spreadsheets do not run
/// it as a formula (CSV injection).
pub fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

fn time(value: Option<chrono::NaiveDateTime>) -> String {
    value
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The header: the list's columns, then each user field (but secrets) by its key, as the
/// import reads them.
fn header(fields: &[crate::fields::Field]) -> String {
    let mut header = HEADER.trim_end().to_owned();
    for field in fields {
        header.push(',');
        header.push_str(&self::field(&field.key));
    }
    header.push_str("\r\n");
    header
}

fn line(row: &UserListRow, names: &crate::groups::GroupNames, extra: &[String]) -> String {
    let mut roles: Vec<&str> = row
        .role_names
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .collect();
    roles.sort_unstable();
    let mut licenses: Vec<&str> = row
        .license_names
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .collect();
    licenses.sort_unstable();
    let status = match row.status.as_str() {
        "invited" => "Pending",
        "inactive" => "Inactive",
        _ => "Active",
    };
    let lock = match row.lock_reason.as_deref() {
        Some("failed_logins") => "Blocked (failed sign-ins)",
        Some("inactivity") => "Blocked (inactivity)",
        _ => "",
    };
    let groups = names.of_ids(row.group_ids.as_deref());
    let of_kind = |kind: Kind| {
        let names: Vec<&str> = groups
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, name)| name.as_str())
            .collect();
        field(&names.join("; "))
    };
    let cells = [
        field(&format!("{} {}", row.first_name, row.last_name)),
        field(&row.email),
        field(&roles.join("; ")),
        field(&licenses.join("; ")),
        of_kind(Kind::Tag),
        of_kind(Kind::Skill),
        of_kind(Kind::Team),
        status.to_owned(),
        lock.to_owned(),
        time(row.last_login_at),
        time(row.last_active_at),
        time(row.created_at),
        field(row.username.as_deref().unwrap_or("")),
    ];
    let mut cells = cells.to_vec();
    cells.extend(extra.iter().map(|value| field(value)));
    format!("{}\r\n", cells.join(","))
}

/// `GET /users/export.csv?q=&role=&active=&sort=`: the list's filter, every page of it.
pub async fn export(
    state: State,
    user: CurrentUser,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::UsersView)?;
    let mut query = ListQuery::from_pairs(&pairs).seen_by(user.scope.as_ref(), state.clock.now());
    query.page = Page::First;
    let org_id = user.org_id;
    // A small channel: the reader waits for the client, so memory stays flat.
    let (sender, mut receiver) = mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    let pool = state.pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let Ok(mut conn) = pool.get() else { return };
        let named = crate::groups::store::all(&mut conn, org_id).and_then(|groups| {
            let fields = crate::fields::store::all(&mut conn, org_id)?;
            Ok((groups, fields))
        });
        let (names, fields) = match named {
            Ok((groups, fields)) => (
                crate::groups::GroupNames::of(&groups),
                // A secret is never written out.
                fields
                    .into_iter()
                    .filter(|f| !f.is_secret())
                    .collect::<Vec<_>>(),
            ),
            Err(e) => {
                log::error!("export failed: {e}");
                let _ = sender.blocking_send(Err(std::io::Error::other("export failed")));
                return;
            }
        };
        if sender
            .blocking_send(Ok(web::Bytes::from(header(&fields))))
            .is_err()
        {
            return;
        }
        loop {
            let (rows, more) =
                match store::list_chunk(&mut conn, org_id, &query, CHUNK, store::Columns::Export) {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        log::error!("export failed: {e}");
                        let _ = sender.blocking_send(Err(std::io::Error::other("export failed")));
                        return;
                    }
                };
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut values = match store::columns::values(&mut conn, &ids, &fields) {
                Ok(values) => values,
                Err(e) => {
                    log::error!("export failed: {e}");
                    let _ = sender.blocking_send(Err(std::io::Error::other("export failed")));
                    return;
                }
            };
            let mut text = String::with_capacity(rows.len() * 120);
            for row in &rows {
                let extra = values.remove(&row.id).unwrap_or_default();
                text.push_str(&line(row, &names, &extra));
            }
            if sender.blocking_send(Ok(web::Bytes::from(text))).is_err() {
                return; // the client went away
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
        .insert_header(("Content-Disposition", "attachment; filename=\"users.csv\""))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
