//! Authorization over the whole route table, driven from one list: every route the source
//! registers must be in `ROUTES` with who may use it, so a new route without a decision fails
//! here. Then, on every route: anonymous visitors are sent to sign in, an Agent (no console
//! permission) is refused every admin route, and an Admin of another organization gets 404
//! for this organization's ids.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use crate::both;
use crate::helpers::{location_of, someone, TestApp, PASSWORD};

both!(
    anonymous_visitors_are_sent_to_sign_in_on_every_console_route,
    an_agent_is_refused_every_admin_route,
    each_route_refuses_an_admin_who_lacks_only_its_permission,
    another_organizations_admin_gets_404_for_this_organizations_ids,
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No sign-in needed (sign-in itself, emailed links, health, static files).
    Public,
    /// Any signed-in person (their own account, the live connection).
    SignedIn,
    /// A console permission.
    Needs(&'static str),
    /// Any one of these (a page with a part for each).
    NeedsAny(&'static [&'static str]),
    /// A workspace's own Owners and Managers, or `users.access` over the whole organization
    /// (tests/api/workspace_members.rs checks who).
    Steward,
    /// An API token with this scope (a browser's session counts for nothing there:
    /// tests/api/api_tokens.rs checks scopes, permissions and organizations).
    Token(&'static str),
}

use Access::*;

/// Every route of the console: method, path pattern, who may use it.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/", SignedIn),
    ("GET", "/healthz", Public),
    ("GET", "/readyz", Public),
    // Its own bearer token (GATEHOUSE_METRICS_TOKEN), not a session: tests/api/metrics.rs.
    ("GET", "/metrics", Public),
    ("GET", "/favicon.ico", Public),
    ("GET", "/static/{file}", Public),
    ("GET", "/login", Public),
    ("POST", "/login", Public),
    ("GET", "/login/mfa", Public),
    ("POST", "/login/mfa", Public),
    ("POST", "/login/mfa/resend", Public),
    ("POST", "/logout", SignedIn),
    ("GET", "/password/forgot", Public),
    ("POST", "/password/forgot", Public),
    ("GET", "/password/reset/{token}", Public),
    ("POST", "/password/reset/{token}", Public),
    ("GET", "/unblock/{token}", Public),
    ("POST", "/unblock/{token}", Public),
    ("GET", "/email/confirm/{token}", Public),
    ("POST", "/email/confirm/{token}", Public),
    ("GET", "/invite/{token}", Public),
    ("POST", "/invite/{token}", Public),
    ("GET", "/setup", Public),
    ("POST", "/setup", Public),
    ("POST", "/setup/change", Public),
    ("POST", "/setup/code", Public),
    ("POST", "/setup/resend", Public),
    ("GET", "/signup", Public),
    ("POST", "/signup", Public),
    ("GET", "/signup/verify/{token}", Public),
    ("POST", "/signup/verify/{token}", Public),
    ("GET", "/account", SignedIn),
    ("POST", "/account/email", SignedIn),
    ("POST", "/account/email/cancel", SignedIn),
    ("POST", "/account/profile", SignedIn),
    ("POST", "/account/password", SignedIn),
    ("GET", "/account/password/expired", SignedIn),
    ("POST", "/account/password/expired", SignedIn),
    ("POST", "/account/sign-out-everywhere", SignedIn),
    ("GET", "/account/mfa/totp", SignedIn),
    ("POST", "/account/mfa/totp", SignedIn),
    ("POST", "/account/mfa/totp/confirm", SignedIn),
    ("POST", "/account/mfa/totp/disable", SignedIn),
    ("POST", "/account/mfa/recovery-codes", SignedIn),
    ("GET", "/presence/stream", SignedIn),
    ("GET", "/activity", Needs("audit.view")),
    ("GET", "/activity/export.csv", Needs("audit.view")),
    ("GET", "/activity/stream", Needs("audit.view")),
    (
        "GET",
        "/settings",
        NeedsAny(&["settings.manage", "licenses.manage"]),
    ),
    ("POST", "/settings", Needs("settings.manage")),
    (
        "GET",
        "/settings/inactivity-preview",
        Needs("settings.manage"),
    ),
    ("POST", "/settings/seats", Needs("licenses.manage")),
    ("POST", "/settings/security", Needs("settings.manage")),
    ("GET", "/settings/divisions", Needs("directory.manage")),
    ("POST", "/settings/divisions", Needs("directory.manage")),
    (
        "GET",
        "/settings/divisions/{id}/rename",
        Needs("directory.manage"),
    ),
    (
        "POST",
        "/settings/divisions/{id}/rename",
        Needs("directory.manage"),
    ),
    (
        "GET",
        "/settings/divisions/{id}/delete",
        Needs("directory.manage"),
    ),
    (
        "POST",
        "/settings/divisions/{id}/delete",
        Needs("directory.manage"),
    ),
    ("GET", "/settings/fields", Needs("directory.manage")),
    ("POST", "/settings/fields", Needs("directory.manage")),
    ("GET", "/settings/fields/new", Needs("directory.manage")),
    (
        "GET",
        "/settings/fields/{id}/edit",
        Needs("directory.manage"),
    ),
    (
        "POST",
        "/settings/fields/{id}/edit",
        Needs("directory.manage"),
    ),
    (
        "GET",
        "/settings/fields/{id}/delete",
        Needs("directory.manage"),
    ),
    (
        "POST",
        "/settings/fields/{id}/delete",
        Needs("directory.manage"),
    ),
    (
        "POST",
        "/settings/fields/presets/{code}",
        Needs("directory.manage"),
    ),
    (
        "POST",
        "/settings/fields/username",
        Needs("directory.manage"),
    ),
    ("GET", "/workspaces/switcher", SignedIn),
    ("POST", "/workspaces/switch", SignedIn),
    ("GET", "/workspaces/{id}/users", Steward),
    ("GET", "/workspaces/{id}/users/export.csv", Steward),
    ("POST", "/workspaces/{id}/users", Steward),
    ("GET", "/workspaces/{id}/users/add", Steward),
    ("GET", "/workspaces/{id}/users/{member}/edit", Steward),
    ("POST", "/workspaces/{id}/users/{member}/edit", Steward),
    ("GET", "/workspaces/{id}/users/{member}/revoke", Steward),
    ("POST", "/workspaces/{id}/users/{member}/revoke", Steward),
    ("GET", "/settings/workspaces", Needs("directory.manage")),
    ("POST", "/settings/workspaces", Needs("directory.manage")),
    (
        "GET",
        "/settings/workspaces/{id}/rename",
        Needs("directory.manage"),
    ),
    (
        "POST",
        "/settings/workspaces/{id}/rename",
        Needs("directory.manage"),
    ),
    (
        "GET",
        "/settings/workspaces/{id}/archive",
        Needs("directory.manage"),
    ),
    (
        "POST",
        "/settings/workspaces/{id}/archive",
        Needs("directory.manage"),
    ),
    ("GET", "/settings/groups", Needs("directory.manage")),
    ("POST", "/settings/groups", Needs("directory.manage")),
    (
        "GET",
        "/settings/groups/{id}/rename",
        Needs("directory.manage"),
    ),
    (
        "POST",
        "/settings/groups/{id}/rename",
        Needs("directory.manage"),
    ),
    (
        "GET",
        "/settings/groups/{id}/delete",
        Needs("directory.manage"),
    ),
    (
        "POST",
        "/settings/groups/{id}/delete",
        Needs("directory.manage"),
    ),
    ("GET", "/settings/roles", Needs("roles.manage")),
    ("POST", "/settings/roles", Needs("roles.manage")),
    ("GET", "/settings/roles/new", Needs("roles.manage")),
    ("POST", "/settings/roles/preview", Needs("roles.manage")),
    ("GET", "/settings/roles/{id}/edit", Needs("roles.manage")),
    ("POST", "/settings/roles/{id}/edit", Needs("roles.manage")),
    ("GET", "/settings/roles/{id}/delete", Needs("roles.manage")),
    ("POST", "/settings/roles/{id}/delete", Needs("roles.manage")),
    ("GET", "/settings/products", Needs("roles.manage")),
    (
        "POST",
        "/settings/products/{id}/permissions",
        Needs("roles.manage"),
    ),
    (
        "GET",
        "/settings/product-permissions/{id}/rename",
        Needs("roles.manage"),
    ),
    (
        "POST",
        "/settings/product-permissions/{id}/rename",
        Needs("roles.manage"),
    ),
    (
        "GET",
        "/settings/product-permissions/{id}/delete",
        Needs("roles.manage"),
    ),
    (
        "POST",
        "/settings/product-permissions/{id}/delete",
        Needs("roles.manage"),
    ),
    ("GET", "/users", Needs("users.view")),
    ("POST", "/users/columns", Needs("users.view")),
    ("GET", "/users/export.csv", Needs("users.view")),
    ("GET", "/users/auto-signup", Needs("settings.manage")),
    ("POST", "/users/auto-signup", Needs("settings.manage")),
    ("GET", "/users/invite", Needs("users.invite")),
    ("POST", "/users/invite", Needs("users.invite")),
    ("GET", "/users/invite/copy", Needs("users.invite")),
    ("GET", "/users/invite/row", Needs("users.invite")),
    ("GET", "/users/import", Needs("users.edit")),
    ("POST", "/users/import", Needs("users.edit")),
    ("GET", "/users/lookup", Needs("users.view")),
    ("POST", "/users/bulk", Needs("users.view")),
    ("POST", "/users/bulk/confirm", Needs("users.view")),
    ("GET", "/users/bulk/count", Needs("users.view")),
    ("GET", "/users/{id}/edit", Needs("users.edit")),
    ("POST", "/users/{id}/edit", Needs("users.edit")),
    ("GET", "/users/{id}/permissions", Needs("users.access")),
    ("POST", "/users/{id}/permissions", Needs("users.access")),
    (
        "POST",
        "/users/{id}/permissions/preview",
        Needs("users.access"),
    ),
    ("GET", "/users/{id}/delete", Needs("users.delete")),
    ("POST", "/users/{id}/delete", Needs("users.delete")),
    ("POST", "/users/{id}/activate", Needs("users.status")),
    ("POST", "/users/{id}/deactivate", Needs("users.status")),
    ("GET", "/users/{id}/unblock", Needs("users.status")),
    ("POST", "/users/{id}/unblock", Needs("users.status")),
    (
        "GET",
        "/users/{id}/reset-password",
        Needs("users.credentials"),
    ),
    (
        "POST",
        "/users/{id}/reset-password",
        Needs("users.credentials"),
    ),
    (
        "POST",
        "/users/{id}/temporary-password",
        Needs("users.credentials"),
    ),
    ("GET", "/users/{id}/reset-mfa", Needs("users.credentials")),
    ("POST", "/users/{id}/reset-mfa", Needs("users.credentials")),
    ("GET", "/users/{id}/resend", Needs("users.invite")),
    ("POST", "/users/{id}/resend", Needs("users.invite")),
    ("GET", "/users/{id}/revoke", Needs("users.invite")),
    ("POST", "/users/{id}/revoke", Needs("users.invite")),
    ("GET", "/users/{id}/confirm", Needs("users.invite")),
    ("POST", "/users/{id}/confirm", Needs("users.invite")),
    // Creating is inviting with the whole profile: users.invite and users.edit both.
    ("GET", "/users/new", Needs("users.invite")),
    ("GET", "/users/import-users", Needs("users.invite")),
    ("POST", "/users/import-users", Needs("users.invite")),
    ("POST", "/users/new", Needs("users.invite")),
    ("GET", "/api/v1/openapi.json", Public),
    ("GET", "/api/v1/users", Token("users:read")),
    ("GET", "/api/v1/users/{id}", Token("users:read")),
    ("GET", "/api/v1/users/{id}/access", Token("users:read")),
    ("POST", "/api/v1/users", Token("users:write")),
    ("PATCH", "/api/v1/users/{id}", Token("users:write")),
    ("DELETE", "/api/v1/users/{id}", Token("users:write")),
    ("POST", "/api/v1/invitations", Token("users:write")),
    (
        "POST",
        "/api/v1/invitations/{id}/resend",
        Token("users:write"),
    ),
    ("DELETE", "/api/v1/invitations/{id}", Token("users:write")),
    ("GET", "/api/v1/roles", Token("users:read")),
    ("GET", "/api/v1/products", Token("users:read")),
    ("GET", "/api/v1/groups", Token("users:read")),
    ("GET", "/api/v1/fields", Token("users:read")),
    ("GET", "/api/v1/audit", Token("audit:read")),
    ("GET", "/api/v1/workspaces", Token("users:read")),
    (
        "GET",
        "/api/v1/workspaces/{id}/members",
        Token("users:read"),
    ),
    (
        "POST",
        "/api/v1/workspaces/{id}/members",
        Token("users:write"),
    ),
    (
        "PUT",
        "/api/v1/workspaces/{id}/members/{member}",
        Token("users:write"),
    ),
    (
        "DELETE",
        "/api/v1/workspaces/{id}/members/{member}",
        Token("users:write"),
    ),
    ("GET", "/scim/v2/ServiceProviderConfig", Token("scim")),
    ("GET", "/scim/v2/ResourceTypes", Token("scim")),
    ("GET", "/scim/v2/ResourceTypes/{name}", Token("scim")),
    ("GET", "/scim/v2/Schemas", Token("scim")),
    ("GET", "/scim/v2/Schemas/{id}", Token("scim")),
    ("GET", "/scim/v2/Users", Token("scim")),
    ("POST", "/scim/v2/Users", Token("scim")),
    ("POST", "/scim/v2/Users/.search", Token("scim")),
    ("POST", "/scim/v2/.search", Token("scim")),
    ("GET", "/scim/v2/Users/{id}", Token("scim")),
    ("PUT", "/scim/v2/Users/{id}", Token("scim")),
    ("PATCH", "/scim/v2/Users/{id}", Token("scim")),
    ("DELETE", "/scim/v2/Users/{id}", Token("scim")),
    ("GET", "/scim/v2/Groups", Token("scim")),
    ("POST", "/scim/v2/Groups", Token("scim")),
    ("POST", "/scim/v2/Groups/.search", Token("scim")),
    ("GET", "/scim/v2/Groups/{id}", Token("scim")),
    ("PUT", "/scim/v2/Groups/{id}", Token("scim")),
    ("PATCH", "/scim/v2/Groups/{id}", Token("scim")),
    ("DELETE", "/scim/v2/Groups/{id}", Token("scim")),
    (
        "POST",
        "/api/v1/users/{id}/deactivate",
        Token("users:write"),
    ),
    ("POST", "/api/v1/users/{id}/activate", Token("users:write")),
    ("GET", "/settings/api-tokens", Needs("settings.manage")),
    ("POST", "/settings/api-tokens", Needs("settings.manage")),
    (
        "GET",
        "/settings/api-tokens/{id}/revoke",
        Needs("settings.manage"),
    ),
    (
        "POST",
        "/settings/api-tokens/{id}/revoke",
        Needs("settings.manage"),
    ),
    ("GET", "/settings/webhooks", Needs("settings.manage")),
    ("POST", "/settings/webhooks", Needs("settings.manage")),
    (
        "GET",
        "/settings/webhooks/{id}/delete",
        Needs("settings.manage"),
    ),
    (
        "POST",
        "/settings/webhooks/{id}/delete",
        Needs("settings.manage"),
    ),
    (
        "POST",
        "/settings/webhooks/{id}/resume",
        Needs("settings.manage"),
    ),
    ("GET", "/settings/sign-in", Needs("settings.manage")),
    ("POST", "/settings/sign-in", Needs("settings.manage")),
    ("POST", "/settings/sign-in/policy", Needs("settings.manage")),
    ("GET", "/settings/sign-in/{id}", Needs("settings.manage")),
    ("POST", "/settings/sign-in/{id}", Needs("settings.manage")),
    (
        "GET",
        "/settings/sign-in/{id}/test",
        Needs("settings.manage"),
    ),
    (
        "GET",
        "/settings/sign-in/{id}/delete",
        Needs("settings.manage"),
    ),
    (
        "POST",
        "/settings/sign-in/{id}/delete",
        Needs("settings.manage"),
    ),
    ("GET", "/sso/{id}/start", Public),
    ("GET", "/sso/callback", Public),
    ("GET", "/account/sso/{id}/link", SignedIn),
    ("POST", "/account/sso/{id}/unlink", SignedIn),
    (
        "POST",
        "/users/{id}/sso/{link}/unlink",
        Needs("users.credentials"),
    ),
    ("GET", "/account/api-tokens", SignedIn),
    ("POST", "/account/api-tokens", SignedIn),
    ("GET", "/account/api-tokens/{id}/revoke", SignedIn),
    ("POST", "/account/api-tokens/{id}/revoke", SignedIn),
];

/// (method, path) of every `.route("…", web::get()…)` in the source.
fn registered_routes() -> BTreeSet<(String, String)> {
    fn walk(dir: &std::path::Path, found: &mut BTreeSet<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, found);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            let compact: String = text.split_whitespace().collect();
            for piece in compact.split(".route(\"").skip(1) {
                let Some((route, rest)) = piece.split_once('"') else {
                    continue;
                };
                let method = ["get", "post", "put", "patch", "delete"]
                    .into_iter()
                    .find(|m| rest.starts_with(&format!(",web::{m}()")));
                if let Some(method) = method {
                    found.insert((method.to_uppercase(), route.to_owned()));
                }
            }
        }
    }
    let mut found = BTreeSet::new();
    walk(std::path::Path::new("src"), &mut found);
    found
}

#[test]
fn every_route_the_source_registers_is_in_the_table_with_who_may_use_it() {
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let registered = registered_routes();
    assert!(registered.len() > 50, "the scan found the routes");
    let missing: Vec<_> = registered.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "routes without an access decision in tests/api/routes.rs: {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "listed but no longer registered: {stale:?}"
    );
}

pub fn concrete(path: &str, user_id: i64) -> String {
    path.replace("{id}", &user_id.to_string())
        .replace("{member}", &user_id.to_string())
        .replace("{token}", "not-a-real-token")
        .replace("{file}", "app.css")
        .replace("{link}", "1")
}

/// A request as the console sends it: htmx for GETs of fragments, the CSRF token on POSTs.
async fn call(app: &TestApp, method: &str, path: &str) -> reqwest::Response {
    if method == "GET" {
        app.hx_get(path).await
    } else {
        app.hx_post(path, &[]).await
    }
}

async fn anonymous_visitors_are_sent_to_sign_in_on_every_console_route(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    app.logout().await;
    app.get_html("/login").await;
    for (method, pattern, access) in ROUTES {
        if *access == Public {
            continue;
        }
        let path = concrete(pattern, ada);
        // The API: 401 with a bearer challenge, as problem details.
        if let Token(_) = access {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let response = app
                .client
                .request(method.clone(), app.url(&path))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path}"
            );
            let kind = response.headers().get("content-type").unwrap().to_owned();
            assert!(
                kind == "application/problem+json" || kind == "application/scim+json",
                "{method} {path}: {kind:?}"
            );
            continue;
        }
        // A live stream answers 204: the browser's EventSource stops reconnecting.
        if pattern.ends_with("/stream") {
            let response = app.get(&path).await;
            assert_eq!(response.status(), StatusCode::NO_CONTENT, "GET {path}");
            continue;
        }
        // A page: the sign-in page, coming back here afterwards.
        if *method == "GET" {
            let response = app.get(&path).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "GET {path}");
            assert!(
                location_of(&response).is_some_and(|l| l.starts_with("/login")),
                "GET {path} → {:?}",
                location_of(&response)
            );
        }
        // A fragment or an action: the sign-in page too, through htmx, and nothing done.
        let response = call(&app, method, &path).await;
        let to_sign_in = response
            .headers()
            .get("HX-Redirect")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/login"))
            || location_of(&response).is_some_and(|l| l.starts_with("/login"))
            || response.status() == StatusCode::UNAUTHORIZED;
        assert!(to_sign_in, "{method} {path} answered {}", response.status());
    }
}

async fn an_agent_is_refused_every_admin_route(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    app.logout().await;
    app.login_as("ada@acme.io", PASSWORD).await;
    let mut wrong = Vec::new();
    for (method, pattern, access) in ROUTES {
        // Only what cannot end her own session (sign-out, a new password …).
        let harmless = matches!(access, Needs(_) | NeedsAny(_)) || *method == "GET";
        if !harmless || *access == Public || matches!(access, Token(_)) {
            continue;
        }
        let path = concrete(pattern, ids[1]);
        let response = call(&app, method, &path).await;
        match access {
            Needs(_) | NeedsAny(_) if response.status() != StatusCode::FORBIDDEN => {
                wrong.push(format!(
                    "{method} {path} needs {access:?}, answered {}",
                    response.status()
                ));
            }
            SignedIn
                if *method == "GET" && !pattern.contains("stream") && !pattern.contains("{id}") =>
            {
                assert!(
                    response.status().is_success() || response.status().is_redirection(),
                    "{method} {path} is open to any signed-in person: {}",
                    response.status()
                )
            }
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "not refused:\n{}", wrong.join("\n"));
    assert_eq!(app.status_of(ids[1]).await.as_deref(), Some("active"));
}

/// Each route checks the very permission it needs: an Admin denied only that one (every
/// other console permission held) is refused, and nothing is done.
async fn each_route_refuses_an_admin_who_lacks_only_its_permission(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Adam", "adam@acme.io", "Admin"),
                someone("Ada", "ada@acme.io", "Agent"),
            ],
        )
        .await;
    let (adam, ada) = (ids[0], ids[1]);
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let needed: BTreeSet<&str> = ROUTES
        .iter()
        .filter_map(|(_, _, access)| match access {
            Needs(p) => Some(*p),
            _ => None,
        })
        .collect();
    assert!(needed.len() >= 10, "the table names the finer permissions");
    let mut wrong = Vec::new();
    for permission in needed {
        app.db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::user_permission_overrides as o;
            diesel::delete(o::table.filter(o::user_id.eq(adam)))
                .execute(c)
                .unwrap();
            diesel::insert_into(o::table)
                .values((
                    o::user_id.eq(adam),
                    o::permission.eq(permission),
                    o::granted.eq(false),
                ))
                .execute(c)
                .unwrap();
        })
        .await;
        for (method, pattern, access) in ROUTES {
            if *access != Needs(permission) {
                continue;
            }
            let path = concrete(pattern, ada);
            let response = call(&app, method, &path).await;
            if response.status() != StatusCode::FORBIDDEN {
                wrong.push(format!(
                    "{method} {path} without {permission} answered {}",
                    response.status()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "not refused:\n{}", wrong.join("\n"));
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
}

async fn another_organizations_admin_gets_404_for_this_organizations_ids(app: TestApp) {
    let acme = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada = app
        .add_people(acme, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    app.logout().await;
    let globex = app
        .db(|c| {
            gatehouse::orgs::store::create(c, "Globex", 3, chrono::Utc::now().naive_utc()).unwrap()
        })
        .await;
    app.add_people(globex, vec![someone("Gus", "gus@globex.io", "Admin")])
        .await;
    app.login_as("gus@globex.io", PASSWORD).await;
    // Acme's own workspace (its id differs from any of Globex's, unlike a user's might not).
    let workspace = app
        .db(move |c| {
            gatehouse::workspaces::store::first_active(c, acme)
                .unwrap()
                .unwrap()
        })
        .await;
    // The API's own ids: tests/api/api_tokens.rs, with a token of the other organization.
    let console = ROUTES
        .iter()
        .filter(|(_, p, access)| p.contains("{id}") && !matches!(access, Token(_)));
    for (method, pattern, _) in console {
        let id = if pattern.contains("/workspaces/") {
            workspace
        } else {
            ada
        };
        let path = concrete(pattern, id);
        let response = call(&app, method, &path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
}
