//! The organization's user fields over SCIM: published as an extension schema (types, option
//! codes, secrets write-only), written through Edit User's checks (show-when, patterns,
//! options), kept by a provider's PUT that does not know them, audited without secrets.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::fields::{apply_dialer, field_id};
use crate::helpers::TestApp;
use crate::scim::{new_user, scim, token};
use gatehouse::fields::store;

both!(
    the_user_fields_are_an_extension_schema_of_the_organization,
    user_fields_are_written_through_edit_users_checks,
);

const FIELDS: &str = "urn:ietf:params:scim:schemas:extension:gatehouse:2.0:User";
async fn held(app: &TestApp, id: i64) -> store::Values {
    app.db(move |c| store::values_of(c, id).unwrap()).await
}

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn the_user_fields_are_an_extension_schema_of_the_organization(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let t = token(&app).await;
    // No fields yet: no extension published.
    let (_, schemas) = scim(&app, Method::GET, "/scim/v2/Schemas", &t, None).await;
    assert!(!schemas.to_string().contains(FIELDS), "{schemas}");
    let (status, _) = scim(
        &app,
        Method::GET,
        &format!("/scim/v2/Schemas/{FIELDS}"),
        &t,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    apply_dialer(&app).await;
    let (status, schema) = scim(
        &app,
        Method::GET,
        &format!("/scim/v2/Schemas/{FIELDS}"),
        &t,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{schema}");
    let attribute = |name: &str| -> Value {
        schema["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {schema}"))
    };
    assert_eq!(
        attribute("sip_option")["canonicalValues"],
        json!(["custom", "webrtc", "pbx"])
    );
    assert_eq!(attribute("assign_leads")["type"], "boolean");
    assert_eq!(attribute("caldav_token")["returned"], "never");
    assert_eq!(attribute("caldav_token")["mutability"], "writeOnly");
    // Required only while shown: not of every user.
    assert_eq!(attribute("custom_sip_uri")["required"], false);
    let (_, types) = scim(&app, Method::GET, "/scim/v2/ResourceTypes/User", &t, None).await;
    assert!(types["schemaExtensions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["schema"] == FIELDS));
    let (_, all) = scim(&app, Method::GET, "/scim/v2/Schemas", &t, None).await;
    assert_eq!(all["totalResults"], 4);
}

async fn user_fields_are_written_through_edit_users_checks(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let t = token(&app).await;
    apply_dialer(&app).await;
    let mut body = new_user("ann", "Ann", "ann@acme.io");
    body["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", FIELDS]);
    body[FIELDS] = json!({
        "sip_option": "Use custom URI",
        "custom_sip_uri": "sip:ann@pbx.acme.io",
        "caldav_token": "tok-Zq9-very-secret",
        "assign_leads": "True",
        "not_a_field": "ignored",
    });
    let (status, ann) = scim(&app, Method::POST, "/scim/v2/Users", &t, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{ann}");
    assert_eq!(
        ann[FIELDS],
        json!({"sip_option": "custom", "custom_sip_uri": "sip:ann@pbx.acme.io", "assign_leads": true})
    );
    assert!(!ann.to_string().contains("tok-Zq9"));
    let id: i64 = ann["id"].as_str().unwrap().parse().unwrap();
    let caldav = field_id(&app, org_id, "caldav_token").await;
    assert_eq!(held(&app, id).await[&caldav], ["tok-Zq9-very-secret"]);
    let path = format!("/scim/v2/Users/{id}");

    // A value the field refuses: 400 naming it, nothing saved.
    for (key, value) in [
        ("sip_option", "carrier pigeon"),
        ("extension", "12345678901"),
    ] {
        let patch = json!({"schemas": [PATCH], "Operations": [
            {"op": "Replace", "path": format!("{FIELDS}:{key}"), "value": value},
        ]});
        let (status, error) = scim(&app, Method::PATCH, &path, &t, Some(patch)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key}: {error}");
        assert_eq!(error["scimType"], "invalidValue");
        assert!(error["detail"].as_str().unwrap().contains(key), "{error}");
    }
    let before = app.audit_details(org_id, "user.updated").await.len();
    // Entra's path-less replace with a URN key; a PBX user's extension is shown and kept.
    let patch = json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "value": {
        format!("{FIELDS}:sip_option"): "pbx",
        format!("{FIELDS}:extension"): "1001",
    }}]});
    let (status, user) = scim(&app, Method::PATCH, &path, &t, Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    // Custom SIP URI is hidden now: it holds nothing.
    assert_eq!(
        user[FIELDS],
        json!({"sip_option": "pbx", "extension": "1001", "assign_leads": true})
    );
    let edits = app.audit_details(org_id, "user.updated").await;
    assert_eq!(edits.len(), before + 1);
    assert_eq!(edits[0]["after"]["SIP Option"], "Use PBXs");
    assert!(!serde_json::to_string(&edits).unwrap().contains("tok-Zq9"));

    // Okta's PUT of the whole user, knowing nothing of the fields: they stay.
    let (status, user) = scim(
        &app,
        Method::PUT,
        &path,
        &t,
        Some(new_user("ann", "Annie", "ann@acme.io")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["name"]["givenName"], "Annie");
    assert_eq!(user[FIELDS]["extension"], "1001");
    assert_eq!(held(&app, id).await[&caldav], ["tok-Zq9-very-secret"]);

    // Removing one field, then unticking the box.
    let patch = json!({"schemas": [PATCH], "Operations": [
        {"op": "remove", "path": format!("{FIELDS}:extension")},
        {"op": "replace", "path": format!("{FIELDS}:assign_leads"), "value": false},
    ]});
    let (status, user) = scim(&app, Method::PATCH, &path, &t, Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user[FIELDS], json!({"sip_option": "pbx"}));
    // A PUT with the extension replaces it whole; a secret sent as null is removed.
    let mut whole = new_user("ann", "Annie", "ann@acme.io");
    whole[FIELDS] = json!({"auto_dial": "Predictive", "caldav_token": null});
    let (status, user) = scim(&app, Method::PUT, &path, &t, Some(whole)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user[FIELDS], json!({"auto_dial": "predictive"}));
    assert!(!held(&app, id).await.contains_key(&caldav));
    // Filtering on a field is not offered: a clear invalidFilter.
    let (status, error) = scim(
        &app,
        Method::GET,
        "/scim/v2/Users?filter=extension%20eq%20%221001%22",
        &t,
        None,
    )
    .await;
    assert_eq!(
        (status, error["scimType"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalidFilter"))
    );
}
