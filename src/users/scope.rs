//! Scoped administration: a person whose administration is limited to some divisions and
//! teams sees and acts on only the people in them — in the list, its count, search, export,
//! bulk "all matching", Activity, and every action on a user (anyone else answers 404, as
//! another organization's user does).
//!
//! A person is in a scope when their division is one of its divisions or they belong to one
//! of its teams. The Owner and tenant superusers are never scoped. A deleted division or team
//! leaves its rows matching nobody, so a scope only narrows.

use std::collections::BTreeSet;

use diesel::prelude::*;

use crate::auth::permissions::{Permission, Permissions};
use crate::db::schema::{admin_scopes, group_members, users};
use crate::db::sql::{Bind, Sql};
use crate::db::DbConn;

/// Why a scoped administrator may not put someone where they do not reach.
pub const OUTSIDE: &str = "You manage only people in your divisions and teams: choose one of your divisions (or keep them in one of your teams).";

/// Why a scoped administrator's invitation is not sent.
pub const NO_INVITES: &str = "You manage only people in your divisions and teams, and an invitation has no division: add this person with Create User, where you choose their division.";

pub const DIVISION: &str = "division";
pub const TEAM: &str = "team";

/// The divisions and teams someone administers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub divisions: BTreeSet<i64>,
    pub teams: BTreeSet<i64>,
}

impl Scope {
    /// From the signed-in query's aggregate (`d12,t5`); `None` when empty (no scope: all).
    pub fn parse(units: Option<&str>) -> Option<Scope> {
        let mut scope = Scope::default();
        for unit in units.unwrap_or("").split(',') {
            let (kind, id) = unit.split_at(unit.len().min(1));
            match (kind, id.parse::<i64>()) {
                ("d", Ok(id)) => {
                    scope.divisions.insert(id);
                }
                ("t", Ok(id)) => {
                    scope.teams.insert(id);
                }
                _ => {}
            }
        }
        (!scope.is_empty()).then_some(scope)
    }

    pub fn is_empty(&self) -> bool {
        self.divisions.is_empty() && self.teams.is_empty()
    }

    /// Whether someone of this division and these groups is in the scope.
    pub fn reaches(&self, division: Option<i64>, groups: &BTreeSet<i64>) -> bool {
        division.is_some_and(|d| self.divisions.contains(&d))
            || groups.iter().any(|g| self.teams.contains(g))
    }

    /// Every division and team of `self` is in `other`.
    pub fn within(&self, other: &Scope) -> bool {
        self.divisions.is_subset(&other.divisions) && self.teams.is_subset(&other.teams)
    }

    /// Appends ` AND (…)`: the user whose id is `id_column` and division `division_column`
    /// is in the scope.
    pub fn push_condition(&self, sql: &mut Sql, id_column: &str, division_column: &str) {
        sql.push(" AND (");
        let mut first = true;
        if let (Some(only), 1, true) = (
            self.divisions.first(),
            self.divisions.len(),
            self.teams.is_empty(),
        ) {
            // One division: an equality, which (org_id, division_id, name_key, id) walks in
            // name order.
            sql.push(division_column).push(" = ");
            sql.bind(Bind::Int(*only));
            first = false;
        } else if !self.divisions.is_empty() {
            sql.push(division_column).push(" IN (");
            push_ids(sql, &self.divisions);
            sql.push(")");
            first = false;
        }
        if !self.teams.is_empty() {
            if !first {
                sql.push(" OR ");
            }
            sql.push(id_column)
                .push(" IN (SELECT sg.user_id FROM group_members sg WHERE sg.group_id IN (");
            push_ids(sql, &self.teams);
            sql.push("))");
        }
        sql.push(")");
    }

    /// Appends ` AND (…)`: the user id in `id_column` is someone in the scope (for tables
    /// that name a user without their division, such as the audit log).
    pub fn push_user_condition(&self, sql: &mut Sql, id_column: &str) {
        sql.push(" AND ")
            .push(id_column)
            .push(" IN (SELECT su.id FROM users su WHERE 1 = 1");
        self.push_condition(sql, "su.id", "su.division_id");
        sql.push(")");
    }
}

fn push_ids(sql: &mut Sql, ids: &BTreeSet<i64>) {
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Bind::Int(*id));
    }
}

/// What a scoped person holds: their permissions without the organization-wide ones
/// (settings, directory, roles), which reach everyone whatever the scope.
pub fn people_only(permissions: Permissions) -> Permissions {
    ORG_WIDE
        .into_iter()
        .fold(permissions, |set, p| set.without(p))
}

/// Permissions over the whole organization rather than over people.
pub const ORG_WIDE: [Permission; 3] = [
    Permission::SettingsManage,
    Permission::DirectoryManage,
    Permission::RolesManage,
];

/// The SQL aggregate of a user's scope as `Scope::parse` reads it, for `SELECT … AS scope`
/// with the user as `u`.
pub fn aggregate_sql(backend: crate::db::Backend) -> &'static str {
    match backend {
        crate::db::Backend::Sqlite => {
            "(SELECT group_concat(substr(a.kind, 1, 1) || CAST(a.unit_id AS TEXT), ',') \
             FROM admin_scopes a WHERE a.user_id = u.id)"
        }
        crate::db::Backend::Postgres => {
            "(SELECT string_agg(substr(a.kind, 1, 1) || CAST(a.unit_id AS TEXT), ',') \
             FROM admin_scopes a WHERE a.user_id = u.id)"
        }
    }
}

/// A user's scope as stored (`None`: the whole organization).
pub fn of(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<Scope>> {
    let rows: Vec<(String, i64)> = admin_scopes::table
        .filter(admin_scopes::user_id.eq(user_id))
        .select((admin_scopes::kind, admin_scopes::unit_id))
        .load(conn)?;
    let mut scope = Scope::default();
    for (kind, id) in rows {
        if kind == DIVISION {
            scope.divisions.insert(id);
        } else {
            scope.teams.insert(id);
        }
    }
    Ok((!scope.is_empty()).then_some(scope))
}

/// Which of these users have a scope.
pub fn scoped_among(conn: &mut DbConn, ids: &[i64]) -> QueryResult<BTreeSet<i64>> {
    let mut scoped = BTreeSet::new();
    for chunk in ids.chunks(500) {
        #[derive(QueryableByName)]
        struct Scoped {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            user_id: i64,
        }
        let mut sql = Sql::new();
        sql.push("SELECT DISTINCT user_id FROM admin_scopes WHERE ")
            .any_of("user_id", chunk);
        scoped.extend(
            crate::db::sql::load::<Scoped>(conn, sql)?
                .into_iter()
                .map(|s| s.user_id),
        );
    }
    Ok(scoped)
}

/// Replaces a user's scope (`None`: the whole organization).
pub fn set(conn: &mut DbConn, user_id: i64, scope: Option<&Scope>) -> QueryResult<()> {
    diesel::delete(admin_scopes::table.filter(admin_scopes::user_id.eq(user_id))).execute(conn)?;
    let Some(scope) = scope else {
        return Ok(());
    };
    let rows: Vec<_> = scope
        .divisions
        .iter()
        .map(|id| (DIVISION, *id))
        .chain(scope.teams.iter().map(|id| (TEAM, *id)))
        .map(|(kind, id)| {
            (
                admin_scopes::user_id.eq(user_id),
                admin_scopes::kind.eq(kind),
                admin_scopes::unit_id.eq(id),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::insert_batch!(conn, admin_scopes::table, &rows)?;
    }
    Ok(())
}

/// Keeps a person's scope within `bound`: theirs if it already lies within, else `bound`
/// itself. Returns whether it changed.
pub fn keep_within(conn: &mut DbConn, bound: &Scope, user_id: i64) -> QueryResult<bool> {
    match of(conn, user_id)? {
        Some(theirs) if theirs.within(bound) => Ok(false),
        _ => set(conn, user_id, Some(bound)).map(|()| true),
    }
}

/// A unit no division or team has: a scope left with nothing else matches nobody.
pub const NOBODY: i64 = 0;

/// Whoever's scope names the division or team: a deletion of it writes their scopes again, so
/// it locks them with the unit's people, in one id order.
pub fn holders_of_unit(conn: &mut DbConn, kind: &str, unit_id: i64) -> QueryResult<Vec<i64>> {
    admin_scopes::table
        .filter(admin_scopes::kind.eq(kind))
        .filter(admin_scopes::unit_id.eq(unit_id))
        .select(admin_scopes::user_id)
        .load(conn)
}

/// A division or team is deleted (in its transaction): the scopes naming it stop naming it
/// (SQLite may give its id to the next one made), and someone left with no unit keeps a
/// scope that matches nobody — never "everyone".
pub fn retire_unit(conn: &mut DbConn, kind: &str, unit_id: i64) -> QueryResult<()> {
    // Their rows are locked already (`holders_of_unit`, with the unit's people).
    let named = admin_scopes::table
        .filter(admin_scopes::kind.eq(kind))
        .filter(admin_scopes::unit_id.eq(unit_id));
    let holders: Vec<i64> = named.select(admin_scopes::user_id).load(conn)?;
    diesel::delete(named).execute(conn)?;
    let still: BTreeSet<i64> = scoped_among(conn, &holders)?;
    let rows: Vec<_> = holders
        .iter()
        .filter(|id| !still.contains(id))
        .map(|id| {
            (
                admin_scopes::user_id.eq(*id),
                admin_scopes::kind.eq(DIVISION),
                admin_scopes::unit_id.eq(NOBODY),
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        crate::insert_batch!(conn, admin_scopes::table, chunk)?;
    }
    Ok(())
}

/// Whether the user is in the scope (their division, or one of their teams).
pub fn contains(conn: &mut DbConn, scope: &Scope, user_id: i64) -> QueryResult<bool> {
    Ok(!members(conn, scope, &[user_id])?.is_empty())
}

/// Those of `ids` who are in the scope, in two queries per 500 whatever their number.
pub fn members(conn: &mut DbConn, scope: &Scope, ids: &[i64]) -> QueryResult<Vec<i64>> {
    let divisions: Vec<i64> = scope.divisions.iter().copied().collect();
    let teams: Vec<i64> = scope.teams.iter().copied().collect();
    let mut found = Vec::new();
    for chunk in ids.chunks(500) {
        found.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .filter(users::division_id.eq_any(&divisions))
                .select(users::id)
                .load::<i64>(conn)?,
        );
        if !teams.is_empty() {
            found.extend(
                group_members::table
                    .filter(group_members::user_id.eq_any(chunk))
                    .filter(group_members::group_id.eq_any(&teams))
                    .select(group_members::user_id)
                    .load::<i64>(conn)?,
            );
        }
    }
    found.sort_unstable();
    found.dedup();
    Ok(found)
}

/// Describes a scope for audit details and the dialog: "Divisions: North; Teams: Night shift".
pub fn describe(
    scope: Option<&Scope>,
    divisions: &[(i64, String)],
    teams: &[(i64, String)],
) -> String {
    let Some(scope) = scope else {
        return "Everyone in the organization".into();
    };
    let names = |all: &[(i64, String)], ids: &BTreeSet<i64>| {
        let mut names: Vec<&str> = all
            .iter()
            .filter(|(id, _)| ids.contains(id))
            .map(|(_, n)| n.as_str())
            .collect();
        names.sort_unstable();
        names.join(", ")
    };
    let mut parts = Vec::new();
    if !scope.divisions.is_empty() {
        parts.push(format!("Divisions: {}", names(divisions, &scope.divisions)));
    }
    if !scope.teams.is_empty() {
        parts.push(format!("Teams: {}", names(teams, &scope.teams)));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_from_the_aggregate_and_compare() {
        assert_eq!(Scope::parse(None), None);
        assert_eq!(Scope::parse(Some("")), None);
        let scope = Scope::parse(Some("d12,t5,d3,x9")).unwrap();
        assert_eq!(scope.divisions, BTreeSet::from([3, 12]));
        assert_eq!(scope.teams, BTreeSet::from([5]));
        let narrower = Scope::parse(Some("d3")).unwrap();
        assert!(narrower.within(&scope));
        assert!(!scope.within(&narrower));
    }

    #[test]
    fn a_scope_condition_binds_each_unit() {
        let scope = Scope::parse(Some("d1,d2,t7")).unwrap();
        let mut sql = Sql::new();
        sql.push("x");
        scope.push_condition(&mut sql, "u.id", "u.division_id");
        let text = format!("{sql:?}");
        assert!(text.contains("u.division_id IN ("), "{text}");
        let one = Scope::parse(Some("d4")).unwrap();
        let mut sql = Sql::new();
        one.push_condition(&mut sql, "u.id", "u.division_id");
        assert!(format!("{sql:?}").contains("u.division_id = "));
        assert!(text.contains("group_members sg"), "{text}");
        assert_eq!(text.matches("Int(").count(), 3, "{text}");
    }
}
