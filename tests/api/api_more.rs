//! The rest of `/api/v1` so far: Delete with reassignment, an invitation through Send
//! Invites' own rules, the catalogue (roles, products, groups, fields) and the audit log by
//! cursor — each as its console counterpart decides.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::api_tokens::{api, json as body_of, make_token, problem};
use crate::both;
use crate::helpers::{someone, TestApp};

both!(
    delete_hands_records_to_the_named_user_or_leaves_them_unassigned,
    an_invitation_goes_through_send_invites_rules,
    the_catalogue_lists_roles_products_groups_and_fields,
    the_audit_log_pages_by_cursor_and_keeps_to_the_organization,
);

async fn delete_hands_records_to_the_named_user_or_leaves_them_unassigned(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
                someone("Cy", "cy@acme.io", "Agent"),
            ],
        )
        .await;
    let (ada, bob, cy) = (ids[0], ids[1], ids[2]);
    app.add_records(org_id, ada, "contact", 2).await;
    app.add_records(org_id, cy, "lead", 1).await;
    let token = make_token(&app, "/settings/api-tokens", "Offboard", &["users:write"]).await;
    let delete = |path: String| {
        let (client, url, token) = (app.client.clone(), app.url(&path), token.clone());
        async move { client.delete(url).bearer_auth(token).send().await.unwrap() }
    };
    // Nobody by that address: the field's message, nothing deleted.
    let response = delete(format!("/api/v1/users/{ada}?reassign_to=nobody@acme.io")).await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
    let response = delete(format!("/api/v1/users/{ada}?reassign_to=bob@acme.io")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_of(response).await;
    assert_eq!(body["records_moved"], 2);
    assert_eq!(app.status_of(ada).await, None);
    let response = delete(format!("/api/v1/users/{cy}")).await;
    assert_eq!(body_of(response).await["records_unassigned"], 1);
    let owners = app.record_owners(org_id).await;
    assert_eq!(owners.iter().filter(|o| **o == Some(bob)).count(), 2);
    assert_eq!(owners.iter().filter(|o| o.is_none()).count(), 1);
    // The Owner is nobody's to delete.
    let olive = app.org_owner(org_id).await;
    let response = delete(format!("/api/v1/users/{olive}")).await;
    assert!(response.status().is_client_error());
    assert_eq!(app.status_of(olive).await.as_deref(), Some("active"));
    // Gone is gone: 404.
    problem(
        delete(format!("/api/v1/users/{ada}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn send_json(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn an_invitation_goes_through_send_invites_rules(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.db(move |c| gatehouse::orgs::store::set_allow_auto_signup(c, org_id, false).unwrap())
        .await;
    let token = make_token(
        &app,
        "/settings/api-tokens",
        "HR",
        &["users:write", "users:read"],
    )
    .await;
    let products = body_of(api(&app, "GET", "/api/v1/products", &token).await).await;
    let product = products[0]["id"].as_i64().unwrap();
    let roles = body_of(api(&app, "GET", "/api/v1/roles", &token).await).await;
    let agent = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Agent")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let invitation = json!({
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.io",
        "role_ids": [agent], "product_ids": [product],
    });
    let response = send_json(&app, "/api/v1/invitations", &token, &invitation).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user = body_of(response).await;
    assert_eq!(user["status"], "invited");
    assert_eq!(user["licenses"].as_array().unwrap().len(), 1);
    app.mail().message_to("ada@acme.io").await;
    // Resent, then revoked: the link goes, and with it the person and their seat.
    let id = user["id"].as_i64().unwrap();
    let resent = app
        .client
        .post(app.url(&format!("/api/v1/invitations/{id}/resend")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resent.status(), StatusCode::NO_CONTENT);
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/invitations/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.status_of(id).await, None);
    let olive = app.org_owner(org_id).await;
    let not_pending = app
        .client
        .delete(app.url(&format!("/api/v1/invitations/{olive}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(not_pending.status().is_client_error());
    let response = send_json(&app, "/api/v1/invitations", &token, &invitation).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // Again: the address is taken; no role: the roles' message.
    let response = send_json(&app, "/api/v1/invitations", &token, &invitation).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "email");
    let response = send_json(
        &app,
        "/api/v1/invitations",
        &token,
        &json!({ "first_name": "Bo", "last_name": "B", "email": "bo@acme.io", "role_ids": [], "product_ids": [product] }),
    )
    .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "role_ids");
    // While sign-up is automatic, nobody is invited.
    app.db(move |c| gatehouse::orgs::store::set_allow_auto_signup(c, org_id, true).unwrap())
        .await;
    let response = send_json(
        &app,
        "/api/v1/invitations",
        &token,
        &json!({ "first_name": "Cy", "last_name": "C", "email": "cy@acme.io", "role_ids": [agent], "product_ids": [product] }),
    )
    .await;
    problem(response, StatusCode::CONFLICT).await;
}

async fn the_catalogue_lists_roles_products_groups_and_fields(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let token = make_token(&app, "/settings/api-tokens", "Read", &["users:read"]).await;
    let roles = body_of(api(&app, "GET", "/api/v1/roles", &token).await).await;
    let owner = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Owner")
        .unwrap();
    assert!(owner["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("settings.manage")));
    let products = body_of(api(&app, "GET", "/api/v1/products", &token).await).await;
    assert!(products[0]["seats"].is_i64() && products[0]["permissions"].is_array());
    let groups = body_of(api(&app, "GET", "/api/v1/groups", &token).await).await;
    assert!(groups.is_array());
    let fields = body_of(api(&app, "GET", "/api/v1/fields", &token).await).await;
    assert!(fields.is_array());
    let audit = make_token(&app, "/settings/api-tokens", "NoRead", &["audit:read"]).await;
    problem(
        api(&app, "GET", "/api/v1/roles", &audit).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn the_audit_log_pages_by_cursor_and_keeps_to_the_organization(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let olive = app.org_owner(org_id).await;
    crate::activity::many_events(&app, org_id, olive, 250).await;
    let globex = app
        .db(|c| {
            gatehouse::orgs::store::create(c, "Globex", 3, chrono::Utc::now().naive_utc()).unwrap()
        })
        .await;
    crate::activity::many_events(&app, globex, olive, 5).await;
    let token = make_token(&app, "/settings/api-tokens", "SIEM", &["audit:read"]).await;
    let mut next = Some("/api/v1/audit".to_owned());
    let (mut seen, mut last) = (0, 0);
    while let Some(path) = next {
        let body = body_of(api(&app, "GET", &path, &token).await).await;
        for event in body["events"].as_array().unwrap() {
            let id = event["id"].as_i64().unwrap();
            assert!(id > last, "oldest first, once each");
            last = id;
            seen += 1;
        }
        next = body["next"].as_str().map(str::to_owned);
    }
    let in_acme: i64 = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::audit_events as a;
            a::table
                .filter(a::org_id.eq(org_id))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(seen, in_acme, "every event of Acme, none of Globex");
    let future = api(&app, "GET", "/api/v1/audit?since=2999-01-01", &token).await;
    assert_eq!(body_of(future).await["events"], json!([]));
    let bad = api(&app, "GET", "/api/v1/audit?since=yesterday", &token).await;
    problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
}
