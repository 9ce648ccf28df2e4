//! Discovery (RFC 7644 §4): what this service provider supports, its resource types and the
//! schemas of their attributes, exactly as far as Gatehouse stores them (an attribute it
//! would not keep is not published, so a client never sends it in vain).

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::error::{ScimError, CONTENT_TYPE};
use super::{base, ScimCaller};
use crate::web::State;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub use super::groups::model::GROUP_SCHEMA;
use super::users::enterprise::ENTERPRISE;
use super::users::fields::{schema_attributes, FIELDS};
use super::users::places::{self, WORKSPACES};
use crate::fields::Field;

/// The caller's organization's user fields (its extension schema's attributes), and whether
/// it shows workspaces (a second active one: the workspaces extension).
async fn org_extensions(
    caller: &ScimCaller,
    state: &State,
) -> Result<(Vec<Field>, bool), ScimError> {
    let org_id = caller.get()?.editor().org_id;
    Ok(state
        .db(move |conn| {
            Ok((
                crate::fields::store::all(conn, org_id)?,
                places::shown_in(conn, org_id)?,
            ))
        })
        .await?)
}

fn scim(value: Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Content-Type", CONTENT_TYPE))
        .body(value.to_string())
}

pub async fn config(caller: ScimCaller, state: State) -> Result<HttpResponse, ScimError> {
    caller.get()?;
    Ok(scim(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": format!("{}/api/v1/openapi.json", state.base_url),
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": super::users::MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "An API token with the scim scope (Settings → API tokens).",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", base(&state)),
        },
    })))
}

/// The User resource type; the user-fields extension while the organization has fields, the
/// workspaces one while it has several workspaces.
fn user_resource_type(state: &State, (has_fields, has_places): (bool, bool)) -> Value {
    let mut extensions = vec![json!({ "schema": ENTERPRISE, "required": false })];
    if has_fields {
        extensions.push(json!({ "schema": FIELDS, "required": false }));
    }
    if has_places {
        extensions.push(json!({ "schema": WORKSPACES, "required": false }));
    }
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A person of the organization",
        "schema": USER_SCHEMA,
        "schemaExtensions": extensions,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/User", base(state)),
        },
    })
}

fn group_resource_type(state: &State) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "A group of the organization: a tag, skill group or team",
        "schema": GROUP_SCHEMA,
        "schemaExtensions": [],
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/Group", base(state)),
        },
    })
}

fn list(items: Vec<Value>) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}

pub async fn resource_types(caller: ScimCaller, state: State) -> Result<HttpResponse, ScimError> {
    let (fields, has_places) = org_extensions(&caller, &state).await?;
    Ok(scim(list(vec![
        user_resource_type(&state, (!fields.is_empty(), has_places)),
        group_resource_type(&state),
    ])))
}

pub async fn resource_type(
    caller: ScimCaller,
    state: State,
    name: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    match name.as_str() {
        "User" => {
            let (fields, has_places) = org_extensions(&caller, &state).await?;
            Ok(scim(user_resource_type(
                &state,
                (!fields.is_empty(), has_places),
            )))
        }
        "Group" => {
            caller.get()?;
            Ok(scim(group_resource_type(&state)))
        }
        _ => {
            caller.get()?;
            Err(ScimError::not_found())
        }
    }
}

/// One attribute of a schema.
fn attribute(
    name: &str,
    kind: &str,
    (required, mutability): (bool, &str),
    description: &str,
) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": required,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
    })
}

fn user_schema(state: &State) -> Value {
    let mut user_name = attribute(
        "userName",
        "string",
        (true, "readWrite"),
        "The username, or the email address when the user has none.",
    );
    user_name["uniqueness"] = "server".into();
    let mut name = attribute("name", "complex", (true, "readWrite"), "The user's name.");
    name["subAttributes"] = json!([
        attribute("givenName", "string", (true, "readWrite"), "First name."),
        attribute("familyName", "string", (true, "readWrite"), "Last name."),
    ]);
    let mut emails = attribute(
        "emails",
        "complex",
        (true, "readWrite"),
        "The user's one email address (they sign in with it).",
    );
    emails["multiValued"] = true.into();
    emails["subAttributes"] = json!([
        attribute("value", "string", (true, "readWrite"), "The address."),
        attribute(
            "type",
            "string",
            (false, "readWrite"),
            "As the provider gave it (work, home …)."
        ),
        attribute(
            "primary",
            "boolean",
            (false, "readWrite"),
            "As the provider gave it."
        ),
    ]);
    let mut phones = attribute(
        "phoneNumbers",
        "complex",
        (false, "readWrite"),
        "The user's phone number.",
    );
    phones["multiValued"] = true.into();
    phones["subAttributes"] = json!([
        attribute(
            "value",
            "string",
            (true, "readWrite"),
            "Digits, spaces and + - ( )."
        ),
        attribute(
            "type",
            "string",
            (false, "readWrite"),
            "As the provider gave it."
        ),
    ]);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A person of the organization",
        "attributes": [
            user_name,
            name,
            attribute("displayName", "string", (false, "readOnly"), "First and last name."),
            attribute("active", "boolean", (true, "readWrite"), "Whether the user may sign in and hold licenses."),
            emails,
            phones,
        ],
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{USER_SCHEMA}", base(state)),
        },
    })
}

fn group_schema(state: &State) -> Value {
    let mut name = attribute(
        "displayName",
        "string",
        (true, "readWrite"),
        "The group's name.",
    );
    name["uniqueness"] = "server".into();
    let mut members = attribute(
        "members",
        "complex",
        (false, "readWrite"),
        "The users in the group.",
    );
    members["multiValued"] = true.into();
    let mut reference = attribute("$ref", "reference", (false, "immutable"), "The user's URI.");
    reference["referenceTypes"] = json!(["User"]);
    members["subAttributes"] = json!([
        attribute("value", "string", (false, "immutable"), "The user's id."),
        reference,
    ]);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A group of the organization",
        "attributes": [name, members],
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{GROUP_SCHEMA}", base(state)),
        },
    })
}

fn enterprise_schema(state: &State) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": ENTERPRISE,
        "name": "EnterpriseUser",
        "description": "Enterprise user (the parts Gatehouse keeps)",
        "attributes": [
            attribute("department", "string", (false, "readWrite"), "Places the user in the division of that name, when there is one."),
            attribute("employeeNumber", "string", (false, "readWrite"), "As the provider sent it."),
        ],
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{ENTERPRISE}", base(state)),
        },
    })
}

/// The organization's user fields as an extension schema.
fn fields_schema(state: &State, fields: &[Field]) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": FIELDS,
        "name": "UserFields",
        "description": "The user fields the organization defines (Settings → User fields)",
        "attributes": schema_attributes(fields),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{FIELDS}", base(state)),
        },
    })
}

/// The workspaces extension's schema.
fn places_schema(state: &State) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": WORKSPACES,
        "name": "Workspaces",
        "description": "The user's workspaces and access levels (read-only; change them in the console or /api/v1/workspaces)",
        "attributes": places::schema_attributes(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{WORKSPACES}", base(state)),
        },
    })
}

pub async fn schemas(caller: ScimCaller, state: State) -> Result<HttpResponse, ScimError> {
    let (fields, has_places) = org_extensions(&caller, &state).await?;
    let mut all = vec![
        user_schema(&state),
        enterprise_schema(&state),
        group_schema(&state),
    ];
    if !fields.is_empty() {
        all.push(fields_schema(&state, &fields));
    }
    if has_places {
        all.push(places_schema(&state));
    }
    Ok(scim(list(all)))
}

pub async fn schema(
    caller: ScimCaller,
    state: State,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let (fields, has_places) = org_extensions(&caller, &state).await?;
    match id.as_str() {
        FIELDS if !fields.is_empty() => Ok(scim(fields_schema(&state, &fields))),
        WORKSPACES if has_places => Ok(scim(places_schema(&state))),
        USER_SCHEMA => Ok(scim(user_schema(&state))),
        GROUP_SCHEMA => Ok(scim(group_schema(&state))),
        ENTERPRISE => Ok(scim(enterprise_schema(&state))),
        _ => Err(ScimError::not_found()),
    }
}
