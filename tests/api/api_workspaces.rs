//! `/api/v1/workspaces`: the workspaces, each one's members for whoever manages it, and ADD
//! USER, EDIT and Revoke Access through the workspace Users page's own rules.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::api_tokens::{api, json as body_of, make_token, problem};
use crate::both;
use crate::helpers::{someone, TestApp, PASSWORD};
use crate::scim::scim;

both!(
    members_are_added_edited_and_revoked_through_the_api,
    a_workspace_manager_token_acts_only_in_their_workspace,
    scim_shows_each_users_workspaces_read_only,
);

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn workspace_named(app: &TestApp, token: &str, name: &str) -> (i64, Value) {
    let list = body_of(api(app, "GET", "/api/v1/workspaces", token).await).await;
    let found = list
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {list}"))
        .clone();
    (found["id"].as_i64().unwrap(), found)
}

async fn level_in(app: &TestApp, token: &str, workspace: i64, email: &str) -> Option<String> {
    let page = body_of(
        api(
            app,
            "GET",
            &format!("/api/v1/workspaces/{workspace}/members"),
            token,
        )
        .await,
    )
    .await;
    page["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .map(|m| m["level"].as_str().unwrap().to_owned())
}

async fn members_are_added_edited_and_revoked_through_the_api(app: TestApp) {
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
    let (ada, bob) = (ids[0], ids[1]);
    app.get_html("/settings/workspaces").await;
    app.post_form("/settings/workspaces", &[("name", "Support")])
        .await;
    let token = make_token(
        &app,
        "/settings/api-tokens",
        "Provisioning",
        &["users:read", "users:write"],
    )
    .await;
    let (support, listed) = workspace_named(&app, &token, "Support").await;
    assert_eq!(listed["members"], 0);
    assert_eq!(listed["archived"], false);
    let members = format!("/api/v1/workspaces/{support}/members");

    // A level that does not exist: 422, nobody added.
    let refused = send(
        &app,
        "POST",
        &members,
        &token,
        json!({"email": "ada@acme.io", "level": "boss"}),
    )
    .await;
    problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(level_in(&app, &token, support, "ada@acme.io").await, None);
    // Someone of the organization joins; someone new is invited to both at once.
    for (email, level) in [("ada@acme.io", "manager"), ("bob@acme.io", "agent")] {
        let added = send(
            &app,
            "POST",
            &members,
            &token,
            json!({"email": email, "level": level}),
        )
        .await;
        assert_eq!(added.status(), StatusCode::CREATED);
        assert_eq!(body_of(added).await["invited"], false);
    }
    let invited = send(
        &app,
        "POST",
        &members,
        &token,
        json!({"email": "new@acme.io", "level": "agent", "restrictions": ["no_export"]}),
    )
    .await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    assert_eq!(body_of(invited).await["invited"], true);
    let page = body_of(api(&app, "GET", &members, &token).await).await;
    let new = page["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "new@acme.io")
        .unwrap()
        .clone();
    assert_eq!(new["status"], "invited");
    assert_eq!(new["restrictions"], json!(["no_export"]));
    // Twice: the message of the page, nothing changed.
    let again = send(
        &app,
        "POST",
        &members,
        &token,
        json!({"email": "ada@acme.io", "level": "agent"}),
    )
    .await;
    problem(again, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        level_in(&app, &token, support, "ada@acme.io")
            .await
            .as_deref(),
        Some("manager")
    );

    // EDIT: Bob becomes Owner; the last Owner cannot step down; nobody edits their own.
    let bob_path = format!("{members}/{bob}");
    let edited = send(&app, "PUT", &bob_path, &token, json!({"level": "owner"})).await;
    assert_eq!(edited.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        level_in(&app, &token, support, "bob@acme.io")
            .await
            .as_deref(),
        Some("owner")
    );
    let last = send(&app, "PUT", &bob_path, &token, json!({"level": "agent"})).await;
    problem(last, StatusCode::FORBIDDEN).await;
    assert_eq!(
        level_in(&app, &token, support, "bob@acme.io")
            .await
            .as_deref(),
        Some("owner")
    );
    assert!(app
        .audit_actions(org_id)
        .await
        .iter()
        .any(|a| a == "workspace.member_changed"));

    // Revoke Access: Ada's contacts in Support go to Bob; she stays in the organization.
    app.add_records(org_id, ada, "contact", 3).await;
    app.db(move |c| {
        use diesel::prelude::*;
        use gatehouse::db::schema::owned_records as r;
        diesel::update(r::table.filter(r::owner_id.eq(ada)))
            .set(r::workspace_id.eq(support))
            .execute(c)
            .unwrap();
    })
    .await;
    let not_member = send(
        &app,
        "DELETE",
        &format!("{members}/{ada}?reassign_to=999999"),
        &token,
        json!({}),
    )
    .await;
    problem(not_member, StatusCode::UNPROCESSABLE_ENTITY).await;
    let revoked = send(
        &app,
        "DELETE",
        &format!("{members}/{ada}?reassign_to={bob}"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(body_of(revoked).await["records_moved"], 3);
    assert_eq!(level_in(&app, &token, support, "ada@acme.io").await, None);
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
    let owners = app.record_owners(org_id).await;
    assert_eq!(owners.iter().filter(|o| **o == Some(bob)).count(), 3);
    // Gone is gone: 404; and a workspace that does not exist: 404.
    problem(
        send(
            &app,
            "DELETE",
            &format!("{members}/{ada}"),
            &token,
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        api(&app, "GET", "/api/v1/workspaces/999999/members", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // A read-only token changes nothing.
    let reader = make_token(&app, "/settings/api-tokens", "Reader", &["users:read"]).await;
    let refused = send(&app, "PUT", &bob_path, &reader, json!({"level": "agent"})).await;
    problem(refused, StatusCode::FORBIDDEN).await;
    let details = app.audit_details(org_id, "workspace.access_revoked").await;
    assert!(
        details.iter().any(|d| d["workspace"] == "Support"),
        "{details:?}"
    );
}

async fn a_workspace_manager_token_acts_only_in_their_workspace(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Max", "max@acme.io", "Manager"),
                someone("Ada", "ada@acme.io", "Agent"),
            ],
        )
        .await;
    let ada = ids[1];
    app.get_html("/settings/workspaces").await;
    app.post_form("/settings/workspaces", &[("name", "Support")])
        .await;
    let owner_token = make_token(
        &app,
        "/settings/api-tokens",
        "Owner's",
        &["users:read", "users:write"],
    )
    .await;
    let (support, _) = workspace_named(&app, &owner_token, "Support").await;
    let (first, _) = workspace_named(&app, &owner_token, "Acme").await;
    let added = send(
        &app,
        "POST",
        &format!("/api/v1/workspaces/{support}/members"),
        &owner_token,
        json!({"email": "max@acme.io", "level": "manager"}),
    )
    .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let olive = app.org_owner(org_id).await;
    let olive_added = send(
        &app,
        "POST",
        &format!("/api/v1/workspaces/{support}/members"),
        &owner_token,
        json!({"email": "olive@acme.io", "level": "owner"}),
    )
    .await;
    assert_eq!(olive_added.status(), StatusCode::CREATED);

    app.logout().await;
    app.login_as("max@acme.io", PASSWORD).await;
    let max = make_token(
        &app,
        "/account/api-tokens",
        "Max's",
        &["users:read", "users:write"],
    )
    .await;
    // In Support, where he is a Manager: Ada joins.
    let added = send(
        &app,
        "POST",
        &format!("/api/v1/workspaces/{support}/members"),
        &max,
        json!({"email": "ada@acme.io", "level": "agent"}),
    )
    .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    // The first workspace, where he is an Agent: as if it did not exist.
    problem(
        api(
            &app,
            "GET",
            &format!("/api/v1/workspaces/{first}/members"),
            &max,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        send(
            &app,
            "DELETE",
            &format!("/api/v1/workspaces/{first}/members/{ada}"),
            &max,
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Not the Owner's access, not his own, and no Owner level from a Manager.
    let on_olive = send(
        &app,
        "DELETE",
        &format!("/api/v1/workspaces/{support}/members/{olive}"),
        &max,
        json!({}),
    )
    .await;
    assert!(on_olive.status().is_client_error());
    let own = send(
        &app,
        "PUT",
        &format!("/api/v1/workspaces/{support}/members/{}", ids[0]),
        &max,
        json!({"level": "agent"}),
    )
    .await;
    problem(own, StatusCode::FORBIDDEN).await;
    let promote = send(
        &app,
        "PUT",
        &format!("/api/v1/workspaces/{support}/members/{ada}"),
        &max,
        json!({"level": "owner"}),
    )
    .await;
    assert!(promote.status().is_client_error());
    assert_eq!(
        level_in(&app, &owner_token, support, "ada@acme.io")
            .await
            .as_deref(),
        Some("agent")
    );
    assert_eq!(
        level_in(&app, &owner_token, support, "olive@acme.io")
            .await
            .as_deref(),
        Some("owner")
    );
}

const WORKSPACES: &str = "urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Workspaces";

async fn scim_shows_each_users_workspaces_read_only(app: TestApp) {
    use reqwest::Method;
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    let token = make_token(
        &app,
        "/settings/api-tokens",
        "Okta",
        &["scim", "users:read", "users:write"],
    )
    .await;
    let user_path = format!("/scim/v2/Users/{ada}");
    // One workspace: nothing of workspaces, as in the console.
    let (_, schemas) = scim(&app, Method::GET, "/scim/v2/Schemas", &token, None).await;
    assert!(!schemas.to_string().contains(WORKSPACES));
    let (_, user) = scim(&app, Method::GET, &user_path, &token, None).await;
    assert!(user.get(WORKSPACES).is_none(), "{user}");

    app.get_html("/settings/workspaces").await;
    app.post_form("/settings/workspaces", &[("name", "Support")])
        .await;
    let (support, _) = workspace_named(&app, &token, "Support").await;
    let added = send(
        &app,
        "POST",
        &format!("/api/v1/workspaces/{support}/members"),
        &token,
        json!({"email": "ada@acme.io", "level": "manager"}),
    )
    .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let (status, user) = scim(&app, Method::GET, &user_path, &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let places = user[WORKSPACES]["workspaces"]
        .as_array()
        .expect("workspaces")
        .clone();
    let scim_level = |name: &str| {
        places
            .iter()
            .find(|p| p["display"] == name)
            .map(|p| p["level"].as_str().unwrap().to_owned())
    };
    assert_eq!(scim_level("Acme").as_deref(), Some("agent"));
    assert_eq!(scim_level("Support").as_deref(), Some("manager"));
    assert!(user["schemas"].to_string().contains(WORKSPACES));
    let (status, schema) = scim(
        &app,
        Method::GET,
        &format!("/scim/v2/Schemas/{WORKSPACES}"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(schema["attributes"][0]["mutability"], "readOnly");
    let (_, types) = scim(
        &app,
        Method::GET,
        "/scim/v2/ResourceTypes/User",
        &token,
        None,
    )
    .await;
    assert!(types["schemaExtensions"].to_string().contains(WORKSPACES));
    // A provider's PUT that sends the part back changed: ignored (read-only).
    let mut back = user.clone();
    back[WORKSPACES]["workspaces"] = json!([{"value": support.to_string(), "level": "owner"}]);
    let (status, _) = scim(&app, Method::PUT, &user_path, &token, Some(back)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        level_in(&app, &token, support, "ada@acme.io")
            .await
            .as_deref(),
        Some("manager")
    );
}
