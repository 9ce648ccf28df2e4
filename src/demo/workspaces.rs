//! `seed-demo --workspaces N`: Demo Corp spread over N workspaces ("Demo Corp" and
//! "Workspace 2" … "Workspace N"), each person in one of them (by id), the admin Owner of all.
//! The benchmark measures the organization's list and a workspace's Users page this way.

use chrono::NaiveDateTime;

use crate::db::sql::{execute, Bind, Sql};
use crate::db::{write_tx, DbConn};
use crate::workspaces::{store, Level};

pub fn spread(
    conn: &mut DbConn,
    org_id: i64,
    count: i64,
    now: NaiveDateTime,
) -> anyhow::Result<Vec<i64>> {
    use diesel::prelude::*;
    let admin: i64 = crate::db::schema::users::table
        .filter(crate::db::schema::users::email.eq(super::ADMIN_EMAIL))
        .select(crate::db::schema::users::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| anyhow::anyhow!("seed the demo first"))?;
    write_tx(conn, |conn| -> anyhow::Result<Vec<i64>> {
        let first = store::first_active(conn, org_id)?
            .ok_or_else(|| anyhow::anyhow!("the demo has no workspace"))?;
        let mut ids = vec![first];
        for n in 2..=count {
            let name = format!("Workspace {n}");
            let id = match store::all(conn, org_id)?
                .into_iter()
                .find(|w| w.name == name)
            {
                Some(w) => w.id,
                None => store::insert(conn, org_id, &name, now)?,
            };
            ids.push(id);
        }
        for (k, &workspace_id) in ids.iter().enumerate().skip(1) {
            // Those whose id falls to this workspace move here from the first.
            let mut sql = Sql::new();
            sql.push(
                "INSERT INTO workspace_members \
                 (workspace_id, user_id, level, restrictions, created_at, name_key) SELECT ",
            )
            .bind(Bind::Int(workspace_id))
            .push(", u.id, 'agent', '', u.created_at, u.name_key FROM users u WHERE u.org_id = ")
            .bind(Bind::Int(org_id))
            .push(&format!(" AND u.id % {count} = {k} AND u.id <> "))
            .bind(Bind::Int(admin))
            .push(" AND NOT EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = ")
            .bind(Bind::Int(workspace_id))
            .push(" AND m.user_id = u.id)");
            execute(conn, sql)?;
            let mut sql = Sql::new();
            sql.push("DELETE FROM workspace_members WHERE workspace_id = ")
                .bind(Bind::Int(first))
                .push(" AND user_id IN (SELECT m.user_id FROM workspace_members m WHERE m.workspace_id = ")
                .bind(Bind::Int(workspace_id))
                .push(") AND user_id <> ")
                .bind(Bind::Int(admin));
            execute(conn, sql)?;
            store::set_member(conn, workspace_id, admin, Level::Owner, now)?;
        }
        Ok(ids)
    })
}
