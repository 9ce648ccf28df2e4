//! Sign-in, the signed-in user on every request, and lockout.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamp};

use crate::db::schema::{roles, user_permission_overrides, user_roles, users};
use crate::db::DbConn;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct LoginCandidate {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: String,
    pub locked_at: Option<NaiveDateTime>,
    /// `failed_logins` or `inactivity` while blocked.
    pub lock_reason: Option<String>,
    pub password_hash: Option<String>,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// The confirmed secret of the authenticator app, when one is set up.
    pub totp_secret: Option<String>,
    pub unblocked_at: Option<NaiveDateTime>,
    /// Where the account may sign in from (CIDR blocks, comma-separated); empty: anywhere.
    pub ip_allowlist: String,
}

impl LoginCandidate {
    /// Whether a sign-in from `ip` is allowed. A list that no longer parses, or an address
    /// that is not one, allows nothing: the list is there to keep people out.
    pub fn signs_in_from(&self, ip: &str) -> bool {
        ip_allowed(&self.ip_allowlist, ip)
    }

    /// Where inactivity counts from: the last sign-in (or the account's creation when it never
    /// signed in; an invitation's acceptance signs the person in), or the last unblock.
    pub fn quiet_since(&self) -> NaiveDateTime {
        crate::auth::inactivity::quiet_since(self.last_login_at, self.created_at, self.unblocked_at)
    }
}

pub fn find_login_candidate(conn: &mut DbConn, email: &str) -> QueryResult<Option<LoginCandidate>> {
    users::table
        .filter(users::email.eq(email))
        .select(LoginCandidate::as_select())
        .load(conn)
        .map(crate::db::unique)
}

pub fn login_candidate(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<LoginCandidate>> {
    users::table
        .find(user_id)
        .select(LoginCandidate::as_select())
        .load(conn)
        .map(crate::db::unique)
}

/// The names of the user's roles.
pub fn role_names(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<String>> {
    user_roles::table
        .inner_join(roles::table)
        .filter(user_roles::user_id.eq(user_id))
        .select(roles::name)
        .load(conn)
}

/// The organization of a user, if there is such a user.
pub fn org_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<i64>> {
    users::table
        .find(user_id)
        .select(users::org_id)
        .first(conn)
        .optional()
}

pub fn record_sign_in(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::failed_logins.eq(0),
            users::last_login_at.eq(now),
            users::last_active_at.eq(now),
        ))
        .execute(conn)
}

/// Counts a failed sign-in in one statement, so concurrent failures lose no increment.
pub fn record_failed_sign_in(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
    ip: &str,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::failed_logins.eq(users::failed_logins + 1),
            users::last_failed_login_at.eq(now),
            users::last_failed_login_ip.eq(ip),
        ))
        .execute(conn)
}

// ---- the signed-in user ----

#[derive(Debug, Queryable)]
pub struct SessionUserRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: String,
    pub locked_at: Option<NaiveDateTime>,
    pub last_active_at: Option<NaiveDateTime>,
}

pub fn session_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<SessionUserRow>> {
    users::table
        .find(user_id)
        .select((
            users::id,
            users::org_id,
            users::email,
            users::first_name,
            users::last_name,
            users::status,
            users::locked_at,
            users::last_active_at,
        ))
        .first(conn)
        .optional()
}

/// The signed-in user with what the organization's policy says about them, their role ids
/// and permission overrides: one query on every request.
#[derive(Debug, QueryableByName)]
pub struct SignedInRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub org_id: i64,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub first_name: String,
    #[diesel(sql_type = Text)]
    pub last_name: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub locked_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub last_active_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub password_changed_at: Option<NaiveDateTime>,
    /// A temporary password an administrator set: to be replaced at once.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub password_must_change: bool,
    /// An authenticator app is set up.
    #[diesel(sql_type = Bool)]
    pub has_totp: bool,
    #[diesel(sql_type = Integer)]
    pub password_max_age_days: i32,
    #[diesel(sql_type = Text)]
    pub mfa_required_roles: String,
    #[diesel(sql_type = Text)]
    pub mfa_required_permissions: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub catalog_version: i64,
    #[diesel(sql_type = Bool)]
    pub superuser: bool,
    /// Role ids, comma-separated.
    #[diesel(sql_type = Nullable<Text>)]
    pub role_ids: Option<String>,
    /// Overrides as `+users.invite,-audit.view`.
    #[diesel(sql_type = Nullable<Text>)]
    pub overrides: Option<String>,
    /// Scoped administration, as `users::scope::Scope::parse` reads it.
    #[diesel(sql_type = Nullable<Text>)]
    pub scope: Option<String>,
    /// The workspace last switched to in the header.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub workspace_id: Option<i64>,
    /// How many active workspaces the organization has (the switcher shows from two).
    #[diesel(sql_type = BigInt)]
    pub workspace_count: i64,
    /// The user fields the person shows as the list's extra columns (ids, comma-separated).
    #[diesel(sql_type = Nullable<Text>)]
    pub list_columns: Option<String>,
}

impl SignedInRow {
    pub fn role_ids(&self) -> Vec<i64> {
        self.role_ids
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect()
    }
}

pub fn signed_in_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<SignedInRow>> {
    use crate::db::sql::{load, Bind, Sql};
    let (role_ids, overrides) = match crate::db::backend_of(conn) {
        crate::db::Backend::Sqlite => (
            "group_concat(ur.role_id, ',')",
            "group_concat((CASE WHEN po.granted THEN '+' ELSE '-' END) || po.permission, ',')",
        ),
        crate::db::Backend::Postgres => (
            "string_agg(ur.role_id::text, ',')",
            "string_agg((CASE WHEN po.granted THEN '+' ELSE '-' END) || po.permission, ',')",
        ),
    };
    let scope = crate::users::scope::aggregate_sql(crate::db::backend_of(conn));
    let mut sql = Sql::new();
    sql.push(&format!(
        "SELECT u.id, u.org_id, u.email, u.first_name, u.last_name, u.status, u.locked_at, \
         u.last_active_at, u.password_changed_at, \
         EXISTS (SELECT 1 FROM temporary_passwords tp WHERE tp.user_id = u.id) AS password_must_change, \
         u.totp_secret IS NOT NULL AS has_totp, \
         o.password_max_age_days, o.mfa_required_roles, o.mfa_required_permissions, \
         o.catalog_version, \
         EXISTS (SELECT 1 FROM superusers su WHERE su.user_id = u.id) AS superuser, \
         (SELECT {role_ids} FROM user_roles ur WHERE ur.user_id = u.id) AS role_ids, \
         (SELECT {overrides} FROM user_permission_overrides po WHERE po.user_id = u.id) AS overrides, \
         {scope} AS scope, \
         (SELECT cw.workspace_id FROM current_workspaces cw WHERE cw.user_id = u.id) AS workspace_id, \
         (SELECT COUNT(*) FROM workspaces w WHERE w.org_id = u.org_id AND w.archived_at IS NULL) \
         AS workspace_count, \
         (SELECT lc.field_ids FROM list_columns lc WHERE lc.user_id = u.id) AS list_columns \
         FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.id = "
    ));
    sql.bind(Bind::Int(user_id));
    Ok(load::<SignedInRow>(conn, sql)?.into_iter().next())
}

pub fn permission_overrides(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<(String, bool)>> {
    user_permission_overrides::table
        .filter(user_permission_overrides::user_id.eq(user_id))
        .select((
            user_permission_overrides::permission,
            user_permission_overrides::granted,
        ))
        .load(conn)
}

/// Presence: moves Last active forward, at most once a minute per user.
pub fn touch_last_active(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set(users::last_active_at.eq(now))
        .execute(conn)
}

/// Blocks an account that has been quiet since before `cutoff`; true only for the request
/// that did it.
pub fn block_if_inactive(
    conn: &mut DbConn,
    user_id: i64,
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .find(user_id)
            .filter(users::locked_at.is_null())
            .filter(users::status.eq(crate::users::status::ACTIVE))
            .filter(crate::auth::inactivity::quiet_before_sql(cutoff)),
    )
    .set((
        users::locked_at.eq(now),
        users::lock_reason.eq("inactivity"),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Blocks the user when the failure count reached `limit` and nobody blocked them yet; true
/// only for the one request that did it (so one email goes out, however many race).
pub fn block_if_over(
    conn: &mut DbConn,
    user_id: i64,
    limit: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .find(user_id)
            .filter(users::locked_at.is_null())
            .filter(users::failed_logins.ge(limit)),
    )
    .set((
        users::locked_at.eq(now),
        users::lock_reason.eq("failed_logins"),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Clears a block and the failure counter, and starts a new quiet spell (so an account
/// blocked for inactivity can sign in); false when the user was not blocked.
pub fn unblock(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .find(user_id)
            .filter(users::locked_at.is_not_null()),
    )
    .set((
        users::locked_at.eq(None::<NaiveDateTime>),
        users::lock_reason.eq(None::<String>),
        users::failed_logins.eq(0),
        users::unblocked_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The accounts a name given at sign-in may mean. An address has an @; anything else is a
/// username, unique in its organization only: the same username may name a few accounts of
/// different organizations, and the password tells which (each tried; none right reads as an
/// unknown name, so no tenant's account is counted a failure, or locked, for another's).
pub fn sign_in_candidates(
    conn: &mut DbConn,
    name: &str,
) -> diesel::QueryResult<Vec<LoginCandidate>> {
    let addresses = if name.contains('@') {
        vec![name.to_owned()]
    } else {
        let mut addresses = Vec::new();
        for id in crate::users::username::users_named(conn, name)? {
            addresses.extend(crate::users::store::email_of(conn, id)?);
        }
        addresses
    };
    let mut candidates = Vec::new();
    for address in addresses {
        candidates.extend(find_login_candidate(conn, &address)?);
    }
    Ok(candidates)
}

/// Whether `ip` is within an account's login IP allowlist (empty: anywhere). A list that no
/// longer parses, or an address that is not one, allows nothing.
pub fn ip_allowed(allowlist: &str, ip: &str) -> bool {
    if allowlist.trim().is_empty() {
        return true;
    }
    let (Ok(nets), Ok(ip)) = (
        crate::config::parse_cidrs(allowlist),
        ip.parse::<std::net::IpAddr>(),
    ) else {
        return false;
    };
    nets.iter().any(|net| net.contains(&ip))
}
