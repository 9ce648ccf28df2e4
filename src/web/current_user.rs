//! `CurrentUser`: the signed-in person, reloaded from the database on every request, so a
//! deactivated or blocked user is signed out at their next click, a role that now requires a
//! second factor asks for it, and an expired password is changed before anything else.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest};

use super::{AppError, State};
use crate::auth::permissions::{Permission, Permissions, OWNER};
use crate::auth::session_store::{Proof, USER_ID};
use crate::auth::store;
use crate::orgs::catalog::Catalog;
use crate::users::status;

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: Vec<String>,
    pub permissions: Permissions,
    /// An authenticator app is set up.
    pub has_totp: bool,
    /// The organization requires a second factor of one of the user's roles.
    pub mfa_required: bool,
    pub password_expired: bool,
    /// The password is a temporary one an administrator set (then `password_expired` too).
    pub temporary_password: bool,
    /// A tenant superuser: every permission in the organization.
    pub superuser: bool,
    /// Scoped administration: sees and acts on only these divisions' and teams' people
    /// (`None`: the whole organization; never set for the Owner or a superuser).
    pub scope: Option<crate::users::scope::Scope>,
    /// The workspace last switched to in the header (unchecked: the switcher checks it).
    pub workspace_id: Option<i64>,
    /// The organization has several active workspaces: the header offers a switcher.
    pub several_workspaces: bool,
    /// The user fields this person chose to show as the list's extra columns (ids).
    pub list_columns: Vec<i64>,
}

impl CurrentUser {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.has(permission)
    }

    /// Refuses with 403 unless the user holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Refuses someone who administers only part of the organization: what the action
    /// changes reaches everyone (importing records reassigns them across it).
    pub fn require_whole_organization(&self) -> Result<(), AppError> {
        match self.scope {
            None => Ok(()),
            Some(_) => Err(AppError::Denied(
                "You manage only some divisions and teams: this reaches the whole organization, so it is for its administrators.".into(),
            )),
        }
    }

    pub fn is_owner(&self) -> bool {
        self.roles.iter().any(|r| r == OWNER)
    }

    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor::user(self.id, &self.email)
    }
}

/// Whether a request counts as activity (moves Last active); live connections do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Activity {
    Counts,
    Quiet,
}

tokio::task_local! {
    /// The signed-in user, loaded by the session store in the same trip to the database as
    /// the session itself and taken by the extractor: one blocking hop fewer per request.
    static PRELOADED: std::cell::RefCell<Option<(i64, Option<CurrentUser>)>>;
}

/// Middleware, wrapped outside the session middleware: console requests get a slot for the
/// preloaded user (static files and health checks do not, so the store loads no user for
/// them).
pub async fn preloading(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let path = req.path();
    if path.starts_with("/static/") || path == "/healthz" || path == "/readyz" {
        next.call(req).await
    } else {
        PRELOADED
            .scope(std::cell::RefCell::new(None), next.call(req))
            .await
    }
}

/// Whether this request has a slot for a preloaded user.
pub fn wants_preload() -> bool {
    PRELOADED.try_with(|_| ()).is_ok()
}

/// Loads the user of a session for the slot (`quiet`: a live connection, which is not
/// activity). The session store calls this inside its own blocking task.
pub fn load_for_session(
    conn: &mut crate::db::DbConn,
    catalog: &Catalog,
    user_id: i64,
    now: chrono::NaiveDateTime,
    quiet: bool,
) -> diesel::QueryResult<Option<CurrentUser>> {
    let activity = if quiet {
        Activity::Quiet
    } else {
        Activity::Counts
    };
    load(conn, catalog, user_id, now, activity)
}

/// Puts the preloaded user in this request's slot.
pub fn offer_preloaded(user_id: i64, user: Option<CurrentUser>) {
    let _ = PRELOADED.try_with(|slot| *slot.borrow_mut() = Some((user_id, user)));
}

fn take_preloaded(user_id: i64) -> Option<Option<CurrentUser>> {
    PRELOADED
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten()
        .filter(|(id, _)| *id == user_id)
        .map(|(_, user)| user)
}

fn load(
    conn: &mut crate::db::DbConn,
    catalog: &Catalog,
    user_id: i64,
    now: chrono::NaiveDateTime,
    activity: Activity,
) -> diesel::QueryResult<Option<CurrentUser>> {
    let Some(row) = store::signed_in_user(conn, user_id)? else {
        return Ok(None);
    };
    if row.status != status::ACTIVE || row.locked_at.is_some() {
        store::delete_user_sessions(conn, user_id)?;
        return Ok(None);
    }
    // The catalogue as this request sees it: a role edited on any instance since counts now.
    let org = catalog.at(conn, row.org_id, row.catalog_version)?;
    let given = catalog.roles(conn, row.org_id, &row.role_ids())?;
    let roles: Vec<String> = given.iter().map(|role| role.name.clone()).collect();
    let everything = row.superuser || roles.iter().any(|r| r == OWNER);
    let scope = if everything {
        None
    } else {
        crate::users::scope::Scope::parse(row.scope.as_deref())
    };
    let permissions = if everything {
        org.everything()
    } else {
        Permissions::from_roles_and_overrides(
            given.iter().map(|role| role.permissions),
            row.overrides.as_deref().unwrap_or(""),
        )
    };
    // Someone who administers part of the organization holds no organization-wide
    // permission (settings, the directory's fields and divisions, roles): those reach
    // everyone.
    let permissions = match &scope {
        Some(_) => crate::users::scope::people_only(permissions),
        None => permissions,
    };
    if activity == Activity::Counts
        && row
            .last_active_at
            .is_none_or(|seen| now - seen >= chrono::Duration::minutes(1))
    {
        store::touch_last_active(conn, user_id, now)?;
    }
    let mfa_required = roles.iter().any(|role| {
        row.mfa_required_roles
            .split(',')
            .any(|r| r.trim().eq_ignore_ascii_case(role))
    }) || permissions
        .meets(Permissions::from_names(&row.mfa_required_permissions, ""));
    let password_expired = row.password_must_change
        || row.password_max_age_days > 0
            && row.password_changed_at.is_some_and(|changed| {
                changed + chrono::Duration::days(row.password_max_age_days.into()) <= now
            });
    Ok(Some(CurrentUser {
        id: row.id,
        org_id: row.org_id,
        email: row.email,
        first_name: row.first_name,
        last_name: row.last_name,
        roles,
        permissions,
        has_totp: row.has_totp,
        mfa_required,
        password_expired,
        temporary_password: row.password_must_change,
        superuser: row.superuser,
        scope,
        workspace_id: row.workspace_id,
        several_workspaces: row.workspace_count > 1,
        list_columns: crate::users::store::columns::parse(row.list_columns.as_deref()),
    }))
}

/// The signed-in user id in the session, if any.
pub fn session_user_id(session: &Session) -> Option<i64> {
    session.get::<i64>(USER_ID).ok().flatten()
}

/// The signed-in user of a live connection: the same checks, but Last active stays where it
/// is (see `presence::quiet`).
pub async fn without_activity(req: &HttpRequest) -> Result<CurrentUser, AppError> {
    extract_with(
        req.get_session(),
        req.app_data::<State>().cloned(),
        false,
        Activity::Quiet,
    )
    .await
}

async fn extract(
    session: Session,
    state: Option<State>,
    allow_expired_password: bool,
) -> Result<CurrentUser, AppError> {
    extract_with(session, state, allow_expired_password, Activity::Counts).await
}

async fn extract_with(
    session: Session,
    state: Option<State>,
    allow_expired_password: bool,
    activity: Activity,
) -> Result<CurrentUser, AppError> {
    let state = state.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("app state missing")))?;
    let user_id = session_user_id(&session).ok_or_else(|| {
        if state.health.unreachable_recently() {
            // The session could not be read: the database, not the person, is the problem.
            AppError::Unavailable
        } else {
            AppError::Unauthorized
        }
    })?;
    let now = state.clock.now();
    let preloaded = match activity {
        Activity::Counts => take_preloaded(user_id),
        Activity::Quiet => None,
    };
    let user = match preloaded {
        Some(user) => user,
        None => {
            state
                .db({
                    let state = state.clone();
                    move |conn| Ok(load(conn, &state.catalog, user_id, now, activity)?)
                })
                .await?
        }
    };
    let Some(user) = user else {
        session.purge();
        return Err(AppError::Unauthorized);
    };
    // A role that requires a second factor is never used on a password alone (the policy or
    // the roles may have changed since this session signed in): sign in again.
    if user.mfa_required && Proof::of(&session) != Proof::TwoFactor {
        session.purge();
        return Err(AppError::StepUp);
    }
    if user.password_expired && !allow_expired_password {
        return Err(AppError::PasswordExpired);
    }
    Ok(user)
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(extract(
            req.get_session(),
            req.app_data::<State>().cloned(),
            false,
        ))
    }
}

/// The signed-in user even when their password has expired: only for the page that changes it.
pub struct WithExpiredPassword(pub CurrentUser);

impl FromRequest for WithExpiredPassword {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let (session, state) = (req.get_session(), req.app_data::<State>().cloned());
        Box::pin(async move { extract(session, state, true).await.map(WithExpiredPassword) })
    }
}
