//! Writing users through `/api/v1/users`: create and update go through Create User's and
//! Edit User's own rules (the same field messages, as problem details), an update with a stale
//! `If-Match` answers 412 and changes nothing, and a token reaches no one its maker may not.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::api_tokens::{json as body_of, make_token, problem};
use crate::both;
use crate::helpers::{someone, TestApp};

both!(
    a_user_is_created_through_create_users_rules,
    an_update_with_a_stale_if_match_answers_412_and_changes_nothing,
    an_update_gives_edit_users_field_messages_and_keeps_what_it_does_not_name,
    a_body_that_is_not_json_is_a_problem_too,
);

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("API request")
}

async fn role_id(app: &TestApp, org_id: i64, name: &'static str) -> i64 {
    app.db(move |c| gatehouse::users::store::role_id_by_name(c, org_id, name).unwrap())
        .await
}

async fn a_user_is_created_through_create_users_rules(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let agent = role_id(&app, org_id, "Agent").await;
    let token = make_token(
        &app,
        "/settings/api-tokens",
        "HR",
        &["users:write", "users:read"],
    )
    .await;
    let response = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/users",
        &token,
        &json!({ "first_name": "Ada", "last_name": "Lovelace", "email": "ADA@acme.io", "role_ids": [agent] }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let user = body_of(response).await;
    assert_eq!(location, format!("/api/v1/users/{}", user["id"]));
    assert_eq!(user["email"], "ada@acme.io");
    assert_eq!(user["status"], "invited");
    app.mail().message_to("ada@acme.io").await;
    // The same address again, no role, a bad name: each field's message, nothing made.
    let response = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/users",
        &token,
        &json!({ "first_name": " ", "last_name": "X", "email": "ada@acme.io", "role_ids": [] }),
    )
    .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in ["first_name", "email", "roles"] {
        assert!(fields.contains(&field), "{field} in {body}");
    }
    // A role beyond the maker's access is refused as the page refuses it.
    let owner = role_id(&app, org_id, "Owner").await;
    let response = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/users",
        &token,
        &json!({ "first_name": "Eve", "last_name": "X", "email": "eve@acme.io", "role_ids": [owner] }),
    )
    .await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let (_, activity) = app.get_html("/activity").await;
    assert!(activity.contains("API token “HR” (olive@acme.io)"));
}

async fn an_update_with_a_stale_if_match_answers_412_and_changes_nothing(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    let token = make_token(
        &app,
        "/settings/api-tokens",
        "Sync",
        &["users:write", "users:read"],
    )
    .await;
    let path = format!("/api/v1/users/{ada}");
    let got = app
        .client
        .get(app.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let etag = got.headers()["etag"].to_str().unwrap().to_owned();
    let first = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&token)
        .header("If-Match", &etag)
        .json(&json!({ "first_name": "Augusta" }))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let newer = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(newer, etag);
    assert_eq!(body_of(first).await["first_name"], "Augusta");
    // The same ETag again: someone (this token) saved since.
    let again = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&token)
        .header("If-Match", &etag)
        .json(&json!({ "first_name": "Ada" }))
        .send()
        .await
        .unwrap();
    let body = problem(again, StatusCode::PRECONDITION_FAILED).await;
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("changed this user"));
    let now = body_of(
        app.client
            .get(app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(now["first_name"], "Augusta");
}

async fn an_update_gives_edit_users_field_messages_and_keeps_what_it_does_not_name(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Supervisor"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    let (ada, olive) = (ids[0], app.org_owner(org_id).await);
    let token = make_token(
        &app,
        "/settings/api-tokens",
        "Sync",
        &["users:write", "users:read"],
    )
    .await;
    let path = format!("/api/v1/users/{ada}");
    let response = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        &token,
        &json!({ "email": "bob@acme.io", "phone": "call me", "timezone": "Nowhere" }),
    )
    .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let text = body.to_string();
    assert!(
        text.contains("Use digits, spaces and + - ( ) only"),
        "{text}"
    );
    let response = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        &token,
        &json!({ "email": "bob@acme.io" }),
    )
    .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        body.to_string()
            .contains("Another account already uses this email address."),
        "{body}"
    );
    // A phone alone: the roles and everything else stay.
    let response = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        &token,
        &json!({ "phone": "+44 20 7946 0000" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let user = body_of(response).await;
    assert_eq!(user["phone"], "+44 20 7946 0000");
    assert_eq!(user["roles"], json!(["Supervisor"]));
    assert_eq!(user["email"], "ada@acme.io");
    // The Owner is the Owner's alone: an Admin's token cannot rename them.
    app.add_people(org_id, vec![someone("Adam", "adam@acme.io", "Admin")])
        .await;
    app.logout().await;
    app.login_as("adam@acme.io", crate::helpers::PASSWORD).await;
    let adam = make_token(&app, "/settings/api-tokens", "Adam", &["users:write"]).await;
    let response = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/users/{olive}"),
        &adam,
        &json!({ "email": "mallory@evil.test" }),
    )
    .await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::UNPROCESSABLE_ENTITY].contains(&response.status()),
        "{}",
        response.status()
    );
    let email: String = app
        .db(move |c| {
            gatehouse::users::store::email_of(c, olive)
                .unwrap()
                .unwrap()
        })
        .await;
    assert_eq!(email, "olive@acme.io");
}

async fn a_body_that_is_not_json_is_a_problem_too(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    let token = make_token(&app, "/settings/api-tokens", "Sync", &["users:write"]).await;
    let response = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/users/{ada}"),
        &token,
        &json!({ "nickname": "x" }),
    )
    .await;
    let body = problem(response, StatusCode::BAD_REQUEST).await;
    assert!(body["detail"].as_str().unwrap().contains("nickname"));
}
