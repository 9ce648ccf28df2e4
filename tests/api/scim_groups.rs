//! SCIM `/Groups` as Entra ID and Okta drive them: a group made with members, one member
//! removed by value (only that one goes), `replace members []`, `excludedAttributes=members`,
//! a `displayName eq` lookup; members only people the token's maker may change; audited.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{someone, TestApp, PASSWORD};
use crate::scim::{new_user, scim, token};

both!(
    groups_are_made_looked_up_and_their_members_changed_as_providers_do,
    group_members_are_people_the_maker_may_change,
    the_enterprise_department_places_the_user_in_that_division,
);

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn ids(group: &Value) -> Vec<String> {
    group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|e| e["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn groups_are_made_looked_up_and_their_members_changed_as_providers_do(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let t = token(&app).await;
    let mut people = Vec::new();
    for (name, email) in [
        ("Ada", "ada@acme.io"),
        ("Bob", "bob@acme.io"),
        ("Cy", "cy@acme.io"),
    ] {
        let (_, user) = scim(
            &app,
            Method::POST,
            "/scim/v2/Users",
            &t,
            Some(new_user(email, name, email)),
        )
        .await;
        people.push(user["id"].as_str().unwrap().to_owned());
    }
    let body = json!({
        "schemas": [GROUP], "displayName": "Sales", "externalId": "g-1",
        "members": people.iter().map(|id| json!({ "value": id })).collect::<Vec<_>>(),
    });
    let (status, group) = scim(&app, Method::POST, "/scim/v2/Groups", &t, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    assert_eq!(ids(&group).len(), 3);
    let path = format!("/scim/v2/Groups/{}", group["id"].as_str().unwrap());
    // The same name again: 409 uniqueness.
    let (status, error) = scim(
        &app,
        Method::POST,
        "/scim/v2/Groups",
        &t,
        Some(json!({ "schemas": [GROUP], "displayName": "Sales" })),
    )
    .await;
    assert_eq!(
        (status, error["scimType"].clone()),
        (StatusCode::CONFLICT, json!("uniqueness"))
    );
    // Entra: remove one member by value; only that one goes.
    let remove = json!({ "schemas": [PATCH], "Operations": [{ "op": "Remove", "path": "members", "value": [{ "value": people[1] }] }] });
    let (status, group) = scim(&app, Method::PATCH, &path, &t, Some(remove)).await;
    assert_eq!(status, StatusCode::OK, "{group}");
    assert_eq!(ids(&group), vec![people[0].clone(), people[2].clone()]);
    // Entra reads groups without their members; finds them by displayName.
    let (_, lean) = scim(
        &app,
        Method::GET,
        &format!("{path}?excludedAttributes=members"),
        &t,
        None,
    )
    .await;
    assert!(lean.get("members").is_none() && lean["displayName"] == "Sales");
    let (_, found) = scim(
        &app,
        Method::GET,
        "/scim/v2/Groups?filter=displayName%20eq%20%22sales%22",
        &t,
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 1);
    // Okta: replace members with nothing empties the group; rename.
    let empty = json!({ "schemas": [PATCH], "Operations": [
        { "op": "replace", "path": "members", "value": [] },
        { "op": "replace", "value": { "displayName": "Sales EMEA" } },
    ]});
    let (_, group) = scim(&app, Method::PATCH, &path, &t, Some(empty)).await;
    assert!(ids(&group).is_empty());
    assert_eq!(group["displayName"], "Sales EMEA");
    // In the console: a tag of that name, nobody in it.
    let (_, page) = app.get_html("/settings/groups").await;
    assert!(page.contains("Sales EMEA"));
    let (_, activity) = app.get_html("/activity").await;
    assert!(activity.contains("Group members changed"));
    let (status, _) = scim(&app, Method::DELETE, &path, &t, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = scim(&app, Method::GET, &path, &t, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn group_members_are_people_the_maker_may_change(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(org_id, vec![someone("Adam", "adam@acme.io", "Admin")])
        .await;
    let olive = app.org_owner(org_id).await;
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let t = token(&app).await;
    // Adam may not put the Owner in a group (her profile is hers): nothing is made.
    let body = json!({ "schemas": [GROUP], "displayName": "Leads", "members": [{ "value": olive.to_string() }] });
    let (status, _) = scim(&app, Method::POST, "/scim/v2/Groups", &t, Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = scim(&app, Method::GET, "/scim/v2/Groups", &t, None).await;
    assert!(list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["displayName"] != "Leads"));
    // Someone of another organization, or nobody: 400.
    let body =
        json!({ "schemas": [GROUP], "displayName": "Leads", "members": [{ "value": "999999" }] });
    let (status, error) = scim(&app, Method::POST, "/scim/v2/Groups", &t, Some(body)).await;
    assert_eq!(
        (status, error["scimType"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalidValue"))
    );
}

async fn the_enterprise_department_places_the_user_in_that_division(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.get_html("/settings/divisions").await;
    app.post_form("/settings/divisions", &[("name", "Sales")])
        .await;
    let t = token(&app).await;
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let mut body = new_user("eve@acme.io", "Eve", "eve@acme.io");
    body[enterprise] = json!({ "department": "sales", "employeeNumber": "E-7" });
    let (status, eve) = scim(&app, Method::POST, "/scim/v2/Users", &t, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{eve}");
    assert_eq!(eve[enterprise]["department"], "sales");
    assert_eq!(eve[enterprise]["employeeNumber"], "E-7");
    assert!(eve["schemas"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == enterprise));
    let id: i64 = eve["id"].as_str().unwrap().parse().unwrap();
    let division: Option<String> = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::{divisions, users};
            users::table
                .left_join(divisions::table.on(divisions::id.nullable().eq(users::division_id)))
                .filter(users::id.eq(id))
                .select(divisions::name.nullable())
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(division.as_deref(), Some("Sales"));
    // Entra's PATCH of the department by its URN path.
    let patch = json!({ "schemas": [PATCH], "Operations": [{ "op": "Replace", "path": format!("{enterprise}:department"), "value": "R&D" }] });
    let (status, eve) = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Users/{id}"),
        &t,
        Some(patch),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(eve[enterprise]["department"], "R&D");
    let _ = org_id;
}
