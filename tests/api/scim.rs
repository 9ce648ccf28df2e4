//! SCIM 2.0 under `/scim/v2`, driven as Entra ID and Okta drive it: discovery, create,
//! `userName eq` lookups, PATCH in each provider's dialect, PUT, deactivate and delete, each
//! through the console's own rules and audited as the token.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::api_tokens::make_token;
use crate::both;
use crate::helpers::{someone, TestApp};

both!(
    discovery_publishes_what_gatehouse_keeps_and_errors_are_scim_errors,
    a_provisioned_user_is_active_at_once_and_found_by_user_name,
    entras_patches_apply_capitalised_ops_string_booleans_and_dotted_keys,
    oktas_pathless_deactivate_and_whole_user_put_apply,
    delete_removes_the_user_and_leaves_their_records_unassigned,
    scim_keeps_to_its_scope_its_organization_and_its_versions,
);

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub async fn scim(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("Accept", "application/scim+json");
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("SCIM request");
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    (status, value)
}

pub fn new_user(user_name: &str, given: &str, email: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": user_name,
        "name": { "givenName": given, "familyName": "Test" },
        "emails": [{ "value": email, "type": "work", "primary": true }],
        "active": true,
        "externalId": format!("ext-{given}"),
    })
}

pub async fn token(app: &TestApp) -> String {
    make_token(app, "/settings/api-tokens", "Entra", &["scim"]).await
}

async fn discovery_publishes_what_gatehouse_keeps_and_errors_are_scim_errors(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let t = token(&app).await;
    let (status, config) = scim(
        &app,
        Method::GET,
        "/scim/v2/ServiceProviderConfig",
        &t,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["etag"]["supported"], true);
    let (_, types) = scim(&app, Method::GET, "/scim/v2/ResourceTypes", &t, None).await;
    assert_eq!(types["Resources"][0]["endpoint"], "/Users");
    let (_, schema) = scim(
        &app,
        Method::GET,
        &format!("/scim/v2/Schemas/{USER}"),
        &t,
        None,
    )
    .await;
    let names: Vec<&str> = schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"userName") && names.contains(&"emails") && names.contains(&"active"));
    let (status, error) = scim(
        &app,
        Method::POST,
        "/scim/v2/ServiceProviderConfig",
        &t,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error["status"], "405");
    let (status, error) = scim(&app, Method::GET, "/scim/v2/Nothing", &t, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        error["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    // A token without the scim scope is refused, as a SCIM error.
    let other = make_token(&app, "/settings/api-tokens", "Reader", &["users:read"]).await;
    let (status, error) = scim(&app, Method::GET, "/scim/v2/Users", &other, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["status"], "403");
}

async fn a_provisioned_user_is_active_at_once_and_found_by_user_name(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let t = token(&app).await;
    let (status, ada) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        &t,
        Some(new_user("ada@acme.io", "Ada", "ada@acme.io")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ada}");
    assert_eq!(ada["active"], true);
    assert_eq!(ada["userName"], "ada@acme.io");
    assert_eq!(ada["externalId"], "ext-Ada");
    let id = ada["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.status_of(id.parse().unwrap()).await.as_deref(),
        Some("active")
    );
    // The same userName again: 409 uniqueness.
    let (status, error) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        &t,
        Some(new_user("ada@acme.io", "Ada", "ada@acme.io")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["scimType"], "uniqueness");
    // Entra looks people up by userName (any case), by externalId, and by random ids.
    for filter in [
        r#"userName eq "ADA@acme.io""#,
        r#"externalId eq "ext-Ada""#,
        r#"emails[type eq "work"].value eq "ada@acme.io""#,
    ] {
        let path = format!("/scim/v2/Users?filter={}", urlencode(filter));
        let (status, list) = scim(&app, Method::GET, &path, &t, None).await;
        assert_eq!(status, StatusCode::OK, "{filter}: {list}");
        assert_eq!(list["totalResults"], 1, "{filter}");
        assert_eq!(list["Resources"][0]["id"], id.as_str());
    }
    // A userName that is a username, not an address: found by it (any case) and by the address.
    let (status, bob) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        &t,
        Some(new_user("bob.smith", "Bob", "bob@acme.io")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");
    for filter in [r#"userName eq "Bob.Smith""#, r#"userName eq "bob@acme.io""#] {
        let path = format!("/scim/v2/Users?filter={}", urlencode(filter));
        let (_, list) = scim(&app, Method::GET, &path, &t, None).await;
        assert_eq!(list["totalResults"], 1, "{filter}: {list}");
        assert_eq!(list["Resources"][0]["id"], bob["id"], "{filter}");
    }
    let path = format!(
        "/scim/v2/Users?filter={}",
        urlencode(r#"id eq "8f2c1e8a-0000-4b8e-9c1a-123456789abc""#)
    );
    let (status, list) = scim(&app, Method::GET, &path, &t, None).await;
    assert_eq!(
        (status, list["totalResults"].clone()),
        (StatusCode::OK, json!(0))
    );
    let (status, error) = scim(
        &app,
        Method::GET,
        &format!("/scim/v2/Users?filter={}", urlencode(r#"title eq "x""#)),
        &t,
        None,
    )
    .await;
    assert_eq!(
        (status, error["scimType"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalidFilter"))
    );
    // attributes / excludedAttributes.
    let (_, only) = scim(
        &app,
        Method::GET,
        &format!("/scim/v2/Users/{id}?attributes=userName"),
        &t,
        None,
    )
    .await;
    assert!(
        only.get("emails").is_none()
            && only["userName"] == "ada@acme.io"
            && only["id"] == id.as_str()
    );
    let (_, without) = scim(
        &app,
        Method::GET,
        &format!("/scim/v2/Users/{id}?excludedAttributes=emails"),
        &t,
        None,
    )
    .await;
    assert!(without.get("emails").is_none() && without.get("name").is_some());
    // Provisioned: no email asking them to confirm anything.
    assert!(app
        .mail()
        .received()
        .iter()
        .all(|m| !m.to.iter().any(|t| t == "ada@acme.io")));
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

async fn entras_patches_apply_capitalised_ops_string_booleans_and_dotted_keys(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let t = token(&app).await;
    let (_, ada) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        &t,
        Some(new_user("ada@acme.io", "Ada", "ada@acme.io")),
    )
    .await;
    let id = ada["id"].as_str().unwrap().to_owned();
    let path = format!("/scim/v2/Users/{id}");
    let body = json!({ "schemas": [PATCH], "Operations": [
        { "op": "Replace", "value": { "name.givenName": "Augusta", "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName": "King" } },
        { "op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+44 20 7946 0000" },
        { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "augusta@acme.io" },
        { "op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D" },
    ]});
    let (status, user) = scim(&app, Method::PATCH, &path, &t, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["name"]["givenName"], "Augusta");
    assert_eq!(user["name"]["familyName"], "King");
    assert_eq!(user["phoneNumbers"][0]["value"], "+44 20 7946 0000");
    // The identity provider vouches for the address: it counts at once.
    assert_eq!(user["emails"][0]["value"], "augusta@acme.io");
    let body = json!({ "schemas": [PATCH], "Operations": [{ "op": "Replace", "path": "active", "value": "False" }] });
    let (status, user) = scim(&app, Method::PATCH, &path, &t, Some(body)).await;
    assert_eq!(
        (status, user["active"].clone()),
        (StatusCode::OK, json!(false))
    );
    assert_eq!(
        app.status_of(id.parse().unwrap()).await.as_deref(),
        Some("inactive")
    );
    let (_, activity) = app.get_html("/activity").await;
    assert!(activity.contains("API token “Entra” (olive@acme.io)"));
    let _ = org_id;
}

async fn oktas_pathless_deactivate_and_whole_user_put_apply(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let t = token(&app).await;
    let (_, bob) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        &t,
        Some(new_user("bob", "Bob", "bob@acme.io")),
    )
    .await;
    let id = bob["id"].as_str().unwrap().to_owned();
    assert_eq!(bob["userName"], "bob");
    let path = format!("/scim/v2/Users/{id}");
    let mut whole = new_user("bob", "Robert", "bob@acme.io");
    whole["id"] = id.clone().into();
    let (status, user) = scim(&app, Method::PUT, &path, &t, Some(whole)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["name"]["givenName"], "Robert");
    let body = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "value": { "active": false } }] });
    let (status, user) = scim(&app, Method::PATCH, &path, &t, Some(body)).await;
    assert_eq!(
        (status, user["active"].clone()),
        (StatusCode::OK, json!(false))
    );
    let body = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "value": { "active": true } }] });
    let (_, user) = scim(&app, Method::PATCH, &path, &t, Some(body)).await;
    assert_eq!(user["active"], true);
}

async fn delete_removes_the_user_and_leaves_their_records_unassigned(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let t = token(&app).await;
    let (_, cy) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        &t,
        Some(new_user("cy@acme.io", "Cy", "cy@acme.io")),
    )
    .await;
    let id: i64 = cy["id"].as_str().unwrap().parse().unwrap();
    app.add_records(org_id, id, "contact", 2).await;
    let (status, _) = scim(
        &app,
        Method::DELETE,
        &format!("/scim/v2/Users/{id}"),
        &t,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.status_of(id).await, None);
    assert!(app.record_owners(org_id).await.iter().all(Option::is_none));
    let (status, error) = scim(&app, Method::GET, &format!("/scim/v2/Users/{id}"), &t, None).await;
    assert_eq!(
        (status, error["status"].clone()),
        (StatusCode::NOT_FOUND, json!("404"))
    );
}

async fn scim_keeps_to_its_scope_its_organization_and_its_versions(app: TestApp) {
    let acme = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada = app
        .add_people(acme, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    let t = token(&app).await;
    // A stale If-Match: 412, nothing changed.
    let path = format!("/scim/v2/Users/{ada}");
    let body = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "name.givenName", "value": "Eve" }] });
    let response = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&t)
        .header("If-Match", "W/\"999\"")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    let (_, user) = scim(&app, Method::GET, &path, &t, None).await;
    assert_eq!(user["name"]["givenName"], "Ada");
    // The Owner's address never moves at once, even by the Owner's own token: it waits for
    // the new address to confirm it.
    let olive = app.org_owner(acme).await;
    let body_email = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "emails[type eq \"work\"].value", "value": "olive@elsewhere.test" }] });
    let (status, owner) = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Users/{olive}"),
        &t,
        Some(body_email),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{owner}");
    assert_eq!(owner["emails"][0]["value"], "olive@acme.io");
    // Another organization's token: 404 for Acme's ids, and none of Acme's people listed.
    app.logout().await;
    let globex = app
        .db(|c| {
            gatehouse::orgs::store::create(c, "Globex", 3, chrono::Utc::now().naive_utc()).unwrap()
        })
        .await;
    app.add_people(globex, vec![someone("Gus", "gus@globex.io", "Admin")])
        .await;
    app.login_as("gus@globex.io", crate::helpers::PASSWORD)
        .await;
    let gus = token(&app).await;
    for method in [Method::GET, Method::DELETE] {
        let (status, _) = scim(&app, method, &path, &gus, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = scim(&app, Method::PATCH, &path, &gus, Some(body)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = scim(&app, Method::GET, "/scim/v2/Users?count=200", &gus, None).await;
    let _ = &list;
    assert!(list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["userName"] != "ada@acme.io"));
    assert_eq!(app.status_of(ada).await.as_deref(), Some("active"));
}
