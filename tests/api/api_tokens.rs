//! API tokens and `/api/v1/users`: made in Settings → API tokens (the secret shown once, only
//! its hash kept), on My account, or by `gatehouse token create`; scopes and the maker's
//! permissions of the moment enforced; problem+json errors; keyset paging without gaps;
//! another organization's ids answer 404; a revoked token or a deactivated maker stops.

use reqwest::StatusCode;
use serde_json::Value;

use crate::both;
use crate::cli::gatehouse_cli;
use crate::helpers::{someone, spawn_app_with, Backend, TestApp, PASSWORD};

both!(
    a_token_made_in_settings_is_shown_once_kept_hashed_listed_and_audited,
    the_api_refuses_without_a_usable_token_in_problem_details,
    scopes_and_the_makers_permissions_bound_what_a_token_does,
    a_token_stops_with_its_maker_and_when_revoked,
    another_organizations_ids_answer_404_and_scoped_makers_see_their_people_only,
    the_user_list_pages_by_cursor_through_every_user_once,
    the_effective_access_names_roles_permissions_and_licenses,
    the_command_line_prints_a_token_alone_on_its_last_line,
    openapi_describes_the_api,
);

crate::both_backends!(requests_past_the_limit_get_429_with_retry_after);

/// Makes a token on the page (signed in as someone with `settings.manage` for an
/// organization token, anyone for `personal`): the secret from the page.
pub async fn make_token(app: &TestApp, base: &str, name: &str, scopes: &[&str]) -> String {
    let mut fields = vec![("name", name), ("expires", "30")];
    fields.extend(scopes.iter().map(|s| ("scope", *s)));
    let response = app.post_form(base, &fields).await;
    assert_eq!(response.status(), StatusCode::OK, "{base}");
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    let page = response.text().await.unwrap();
    let start = page
        .find("id=\"made-secret\"")
        .expect("the secret is shown");
    let value = &page[start..];
    let value = &value[value.find("value=\"").unwrap() + 7..];
    value[..value.find('"').unwrap()].to_owned()
}

pub async fn api(app: &TestApp, method: &str, path: &str, token: &str) -> reqwest::Response {
    let request = match method {
        "POST" => app.client.post(app.url(path)),
        _ => app.client.get(app.url(path)),
    };
    request
        .bearer_auth(token)
        .send()
        .await
        .expect("API request")
}

pub async fn json(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON ({e}): {text}"))
}

/// A problem answer: its status, content type and body.
pub async fn problem(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let body = json(response).await;
    assert_eq!(body["status"], status.as_u16());
    body
}

async fn a_token_made_in_settings_is_shown_once_kept_hashed_listed_and_audited(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let secret = make_token(
        &app,
        "/settings/api-tokens",
        "Okta",
        &["users:read", "scim"],
    )
    .await;
    assert!(secret.starts_with("gh_") && secret.len() > 40);
    // Only its hash is kept; the list shows its start, never all of it.
    let stored: (String, String) = app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::api_tokens as t;
            t::table
                .select((t::token_hash, t::prefix))
                .first(c)
                .unwrap()
        })
        .await;
    assert_ne!(stored.0, secret);
    assert!(secret.starts_with(&stored.1));
    let (_, page) = app.get_html("/settings/api-tokens").await;
    assert!(page.contains("Okta") && page.contains(&stored.1));
    assert!(!page.contains(&secret), "the secret is shown once only");
    assert!(page.contains("SCIM provisioning"));
    // Bad input: a message beside each field, nothing made.
    let response = app
        .post_form("/settings/api-tokens", &[("name", " "), ("expires", "30")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Enter a name."));
    assert!(page.contains("Choose at least one scope."));
    let response = app
        .post_form(
            "/settings/api-tokens",
            &[("name", "X"), ("scope", "root"), ("expires", "30")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let count: i64 = app
        .db(|c| {
            use diesel::prelude::*;
            gatehouse::db::schema::api_tokens::table
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(count, 1);
    let (_, activity) = app.get_html("/activity").await;
    assert!(activity.contains("API token created"));
}

async fn the_api_refuses_without_a_usable_token_in_problem_details(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    // A browser's session counts for nothing on the API.
    let response = app.get("/api/v1/users").await;
    let body = problem(response, StatusCode::UNAUTHORIZED).await;
    assert!(body["detail"].as_str().unwrap().contains("Bearer"));
    let response = api(&app, "GET", "/api/v1/users", "gh_not-a-token").await;
    assert_eq!(
        response.headers().get("www-authenticate").unwrap(),
        "Bearer realm=\"gatehouse\""
    );
    let body = problem(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body["detail"], "This API token is not known.");
    // No CSRF token needed (none is sent), and none refused for it: the token decides.
    let response = api(&app, "POST", "/api/v1/users/1/deactivate", "nope").await;
    problem(response, StatusCode::UNAUTHORIZED).await;
}

async fn scopes_and_the_makers_permissions_bound_what_a_token_does(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Max", "max@acme.io", "Manager"),
            ],
        )
        .await;
    let ada = ids[0];
    let read = make_token(&app, "/settings/api-tokens", "Reader", &["users:read"]).await;
    let write = make_token(&app, "/settings/api-tokens", "Writer", &["users:write"]).await;
    let body = json(api(&app, "GET", "/api/v1/users", &read).await).await;
    assert!(body["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["email"] == "ada@acme.io"));
    // Reading needs users:read; a write token without it reads nothing.
    let path = format!("/api/v1/users/{ada}/deactivate");
    let body = problem(api(&app, "POST", &path, &read).await, StatusCode::FORBIDDEN).await;
    assert!(body["detail"].as_str().unwrap().contains("users:write"));
    problem(
        api(&app, "GET", "/api/v1/users", &write).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
    // The write token deactivates through Deactivate's own rules, audited as the token.
    let response = api(&app, "POST", &path, &write).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("etag").is_some());
    assert_eq!(json(response).await["status"], "inactive");
    assert_eq!(app.status_of(ada).await.as_deref(), Some("inactive"));
    let actor: String = app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::audit_events as a;
            a::table
                .filter(a::action.eq("user.updated"))
                .order(a::id.desc())
                .select(a::actor_label)
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(actor, "API token “Writer” (olive@acme.io)");
    // Nobody acts on themselves' betters: a Manager's personal token cannot touch the Owner,
    // and a scope the Manager gives nothing to is refused at creation.
    app.logout().await;
    app.login_as("max@acme.io", PASSWORD).await;
    let response = app
        .post_form(
            "/account/api-tokens",
            &[("name", "Audit"), ("scope", "webhooks"), ("expires", "30")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("a token never holds more than its maker"));
    assert_eq!(
        app.get("/settings/api-tokens").await.status(),
        StatusCode::FORBIDDEN
    );
    let max = make_token(
        &app,
        "/account/api-tokens",
        "Mine",
        &["users:read", "users:write"],
    )
    .await;
    let olive = app.org_owner(org_id).await;
    let path = format!("/api/v1/users/{olive}/deactivate");
    problem(api(&app, "POST", &path, &max).await, StatusCode::FORBIDDEN).await;
    assert_eq!(app.status_of(olive).await.as_deref(), Some("active"));
}

async fn a_token_stops_with_its_maker_and_when_revoked(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Adam", "adam@acme.io", "Admin"),
                someone("Max", "max@acme.io", "Manager"),
            ],
        )
        .await;
    let (adam, max) = (ids[0], ids[1]);
    let olive_token = make_token(&app, "/settings/api-tokens", "CI", &["users:read"]).await;
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let adam_token = make_token(&app, "/settings/api-tokens", "Adam's", &["users:read"]).await;
    assert_eq!(
        api(&app, "GET", "/api/v1/users", &adam_token)
            .await
            .status(),
        StatusCode::OK
    );
    let token_id = |name: &'static str| {
        app.db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::api_tokens as t;
            t::table
                .filter(t::name.eq(name))
                .select(t::id)
                .first::<i64>(c)
                .unwrap()
        })
    };
    // Adam sees the Owner's token but cannot revoke it (the Owner's credentials are hers),
    // nor reach it from his own page.
    let ci = token_id("CI").await;
    assert_eq!(
        app.hx_get(&format!("/account/api-tokens/{ci}/revoke"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let refused = app
        .hx_post(&format!("/settings/api-tokens/{ci}/revoke"), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        api(&app, "GET", "/api/v1/users", &olive_token)
            .await
            .status(),
        StatusCode::OK
    );
    // Max's personal token is listed in Settings for the administrators.
    app.logout().await;
    app.login_as("max@acme.io", PASSWORD).await;
    let max_token = make_token(&app, "/account/api-tokens", "Max's script", &["users:read"]).await;
    app.logout().await;
    app.login_as("olive@acme.io", PASSWORD).await;
    let (_, page) = app.get_html("/settings/api-tokens").await;
    assert!(page.contains("Max&#39;s script") || page.contains("Max's script"));
    assert!(page.contains(">Personal<"));
    // The Owner revokes Adam's token after a confirmation.
    let adams = token_id("Adam's").await;
    let dialog = app
        .hx_get(&format!("/settings/api-tokens/{adams}/revoke"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Revoke the token"));
    let response = app
        .hx_post(&format!("/settings/api-tokens/{adams}/revoke"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = problem(
        api(&app, "GET", "/api/v1/users", &adam_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(body["detail"], "This API token was revoked.");
    // A personal token keeps to its maker's login IP allowlist.
    app.db(move |c| {
        use diesel::prelude::*;
        use gatehouse::db::schema::users;
        diesel::update(users::table.find(max))
            .set(users::ip_allowlist.eq("10.0.0.0/8"))
            .execute(c)
            .unwrap()
    })
    .await;
    let body = problem(
        api(&app, "GET", "/api/v1/users", &max_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("networks"));
    // Deactivated: the organization's token Adam made stops while he is; Max's personal token
    // is revoked for good with his sessions.
    app.hx_post(&format!("/users/{adam}/deactivate"), &[]).await;
    app.hx_post(&format!("/users/{max}/deactivate"), &[]).await;
    assert_eq!(app.status_of(adam).await.as_deref(), Some("inactive"));
    app.hx_post(&format!("/users/{max}/activate"), &[]).await;
    let revoked: bool = app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::api_tokens as t;
            t::table
                .filter(t::name.eq("Max's script"))
                .select(t::revoked_at.is_not_null())
                .first(c)
                .unwrap()
        })
        .await;
    assert!(revoked, "a personal token ends with its maker's sessions");
    let (_, activity) = app.get_html("/activity").await;
    assert!(activity.contains("API token revoked"));
}

async fn another_organizations_ids_answer_404_and_scoped_makers_see_their_people_only(
    app: TestApp,
) {
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
    let gus = make_token(
        &app,
        "/settings/api-tokens",
        "G",
        &["users:read", "users:write"],
    )
    .await;
    for (method, path) in [
        ("GET", format!("/api/v1/users/{ada}")),
        ("GET", format!("/api/v1/users/{ada}/access")),
        ("POST", format!("/api/v1/users/{ada}/deactivate")),
    ] {
        problem(api(&app, method, &path, &gus).await, StatusCode::NOT_FOUND).await;
    }
    let body = json(api(&app, "GET", "/api/v1/users?active=0", &gus).await).await;
    let emails: Vec<&str> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec!["gus@globex.io"]);
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
}

async fn the_user_list_pages_by_cursor_through_every_user_once(app: TestApp) {
    let hash = app.state.hasher.hash(PASSWORD.into()).await.unwrap();
    let report = app
        .db(move |c| gatehouse::demo::seed(c, 10_000, &hash).unwrap())
        .await;
    let org_id = report.org_id;
    let secret = app
        .db(move |c| {
            use gatehouse::api::tokens::service::{self, TokenRequest};
            let maker = service::owner_as_maker(c, "Demo Corp").unwrap().unwrap();
            let request = TokenRequest {
                name: "Pager".into(),
                scopes: gatehouse::api::tokens::Scopes::parse("users:read").unwrap(),
                expires_days: None,
                personal: false,
            };
            let now = chrono::Utc::now().naive_utc();
            service::create(c, &maker, &request, &Default::default(), now)
                .unwrap()
                .secret
        })
        .await;
    let total: i64 = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::users;
            users::table
                .filter(users::org_id.eq(org_id))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    let mut seen = std::collections::HashSet::new();
    let mut next = Some("/api/v1/users?active=0&sort=email".to_owned());
    let mut pages = 0;
    let mut last_email = String::new();
    while let Some(path) = next {
        let response = api(&app, "GET", &path, &secret).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let link = response
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let body = json(response).await;
        for user in body["users"].as_array().unwrap() {
            let email = user["email"].as_str().unwrap().to_owned();
            assert!(email > last_email, "in order, no repeats");
            last_email = email;
            assert!(seen.insert(user["id"].as_i64().unwrap()));
        }
        next = body["next"].as_str().map(str::to_owned);
        assert_eq!(link.is_some(), next.is_some());
        pages += 1;
    }
    assert_eq!(seen.len() as i64, total, "every user once, none missing");
    assert_eq!(pages, (total + 49) / 50);
}

async fn the_effective_access_names_roles_permissions_and_licenses(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let sam = app
        .add_people(org_id, vec![someone("Sam", "sam@acme.io", "Manager")])
        .await[0];
    let token = make_token(&app, "/settings/api-tokens", "Dialer", &["users:read"]).await;
    let response = api(&app, "GET", &format!("/api/v1/users/{sam}"), &token).await;
    let etag = response
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let user = json(response).await;
    assert_eq!(etag, format!("W/\"{}\"", user["version"]));
    assert_eq!(user["email"], "sam@acme.io");
    let access = json(api(&app, "GET", &format!("/api/v1/users/{sam}/access"), &token).await).await;
    assert_eq!(access["roles"], serde_json::json!(["Manager"]));
    assert_eq!(access["active"], true);
    let permissions: Vec<&str> = access["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(permissions, vec!["users.view", "audit.view"]);
    assert!(access["licenses"].is_array());
    assert!(access["product_permissions"].is_array());
    assert!(access["chat_scope"].is_string());
}

async fn the_command_line_prints_a_token_alone_on_its_last_line(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let out = gatehouse_cli(
        &app,
        &[
            "token",
            "create",
            "--org",
            "acme",
            "--name",
            "Provisioning",
            "--scopes",
            "scim,users:read",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let secret = stdout.lines().last().unwrap().trim().to_owned();
    assert!(secret.starts_with("gh_"));
    assert_eq!(
        api(&app, "GET", "/api/v1/users", &secret).await.status(),
        StatusCode::OK
    );
    let bad = gatehouse_cli(
        &app,
        &[
            "token", "create", "--org", "acme", "--name", "X", "--scopes", "root",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("“root” is not a scope"));
    let (_, activity) = app.get_html("/activity").await;
    assert!(activity.contains("command line"));
}

async fn openapi_describes_the_api(app: TestApp) {
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let doc = json(response).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/access",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

async fn requests_past_the_limit_get_429_with_retry_after(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| c.api_requests_per_minute = 3).await else {
        return;
    };
    app.setup_first_org("Acme", "olive@acme.io").await;
    let token = make_token(&app, "/settings/api-tokens", "Busy", &["users:read"]).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = api(&app, "GET", "/api/v1/users", &token).await;
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&wait));
            problem(response, StatusCode::TOO_MANY_REQUESTS).await;
        }
    }
    // The window may turn over between two requests: at most three in a row pass.
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    if backend == Backend::Postgres {
        // Two instances count one token's requests together: two on each are four of three.
        let other = app.start_another_instance().await;
        let shared = make_token(&app, "/settings/api-tokens", "Shared", &["users:read"]).await;
        let client = reqwest::Client::new();
        // Not across a minute's end (each minute counts afresh).
        let second = chrono::Utc::now().timestamp().rem_euclid(60);
        if second > 50 {
            actix_web::rt::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
        }
        let mut statuses = Vec::new();
        for base in [&app.address, &other.address, &app.address, &other.address] {
            let response = client
                .get(format!("{base}/api/v1/users"))
                .bearer_auth(&shared)
                .send()
                .await
                .unwrap();
            statuses.push(response.status());
        }
        assert_eq!(
            statuses,
            [
                StatusCode::OK,
                StatusCode::OK,
                StatusCode::OK,
                StatusCode::TOO_MANY_REQUESTS
            ]
        );
    }
    // Refused secrets count per client address: past the limit, even a fresh guess is turned
    // away before the database is asked.
    let mut guesses = Vec::new();
    for n in 0..5 {
        let response = api(&app, "GET", "/api/v1/users", &format!("gh_guess{n}")).await;
        guesses.push(response.status());
    }
    assert_eq!(guesses[0], StatusCode::UNAUTHORIZED);
    assert!(
        guesses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{guesses:?}"
    );
}
