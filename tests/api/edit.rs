use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{toast_of, Person, TestApp, PASSWORD};
use gatehouse::db::schema::{products, users};

both!(
    edit_user_saves_and_swaps_the_row,
    edit_mistakes_are_shown_beside_fields_and_nothing_is_saved,
    deactivating_asks_to_confirm_releases_licenses_and_ends_sessions,
    nobody_deactivates_themselves_or_the_owner_or_changes_their_own_roles,
    a_stale_edit_is_refused_naming_who_changed_the_user,
    seats_run_out_with_a_message_naming_the_product,
    chat_access_is_offered_and_kept_only_for_supervisors_with_their_divisions,
);

async fn org_with_ada(app: &TestApp) -> (i64, i64) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![Person {
                first: "Ada",
                last: "Lovelace",
                email: "ada@acme.io",
                status: "active",
                roles: &["Agent"],
                active_minutes_ago: Some(5),
            }],
        )
        .await;
    (org_id, ids[0])
}

async fn ids(app: &TestApp, org_id: i64) -> (String, String, String) {
    app.db(move |c| {
        let role = gatehouse::users::store::role_id_by_name(c, org_id, "Supervisor").unwrap();
        let agent = gatehouse::users::store::role_id_by_name(c, org_id, "Agent").unwrap();
        let dialer: i64 = products::table
            .filter(products::org_id.eq(org_id))
            .filter(products::name.eq("Dialer"))
            .select(products::id)
            .first(c)
            .unwrap();
        (role.to_string(), agent.to_string(), dialer.to_string())
    })
    .await
}

/// The dialog's current fields as a form, with changes applied.
pub fn fields_of(dialog: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_fragment(dialog);
    let mut fields = Vec::new();
    let inputs = scraper::Selector::parse("input, select, textarea").unwrap();
    for element in doc.select(&inputs) {
        let e = element.value();
        let Some(name) = e.attr("name") else { continue };
        if changes.iter().any(|(k, _)| *k == name) || e.attr("disabled").is_some() {
            continue;
        }
        let kind = e.attr("type").unwrap_or("");
        if (kind == "checkbox" || kind == "radio") && e.attr("checked").is_none() {
            continue;
        }
        let value = match e.name() {
            "select" => element
                .select(&scraper::Selector::parse("option[selected]").unwrap())
                .next()
                .and_then(|o| o.value().attr("value"))
                .unwrap_or("")
                .to_owned(),
            "textarea" => element.text().collect(),
            _ => e.attr("value").unwrap_or("").to_owned(),
        };
        fields.push((name.to_owned(), value));
    }
    fields.extend(
        changes
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    fields
}

pub async fn post(app: &TestApp, id: i64, fields: &[(String, String)]) -> reqwest::Response {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.hx_post(&format!("/users/{id}/edit"), &borrowed).await
}

pub async fn dialog(app: &TestApp, id: i64) -> String {
    let response = app.hx_get(&format!("/users/{id}/edit")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

async fn edit_user_saves_and_swaps_the_row(app: TestApp) {
    let (org_id, ada) = org_with_ada(&app).await;
    let (supervisor, agent, dialer) = ids(&app, org_id).await;
    let form = dialog(&app, ada).await;
    assert!(
        form.contains("Edit User")
            && form.contains("All divisions")
            && form.contains("Assigned divisions only")
            && form.contains("> Active</label>")
    );
    let mut fields = fields_of(
        &form,
        &[
            ("first_name", "Augusta Ada"),
            ("phone", "+44 20 7946 0000"),
            ("chat_scope", "assigned"),
            ("ip_allowlist", "10.0.0.0/8"),
        ],
    );
    fields.push(("role".into(), supervisor.clone()));
    fields.push(("product".into(), dialer.clone()));
    let north = app
        .db(move |c| gatehouse::divisions::store::insert(c, org_id, "North").unwrap())
        .await;
    fields.push(("chat_division".into(), north.to_string()));
    let response = post(&app, ada, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("User details have been updated successfully!")
    );
    assert_eq!(
        response.headers().get("HX-Retarget").unwrap(),
        &format!("#user-{ada}")
    );
    let row = response.text().await.unwrap();
    assert!(row
        .trim_start()
        .starts_with(&format!("<tr id=\"user-{ada}\"")));
    assert!(
        row.contains("Augusta Ada Lovelace")
            && row.contains(">Supervisor</span>")
            && row.contains(">Agent</span>")
            && row.contains(">Dialer</span>")
    );
    let (phone, scope, ips, version) = app
        .db(move |c| {
            users::table
                .find(ada)
                .select((
                    users::phone,
                    users::chat_scope,
                    users::ip_allowlist,
                    users::version,
                ))
                .first::<(String, String, String, i32)>(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        (phone.as_str(), scope.as_str(), ips.as_str(), version),
        ("+44 20 7946 0000", "assigned", "10.0.0.0/8", 2)
    );
    let events = app
        .db(move |c| gatehouse::audit::store::recent(c, org_id, 5).unwrap())
        .await;
    let updated = events.iter().find(|e| e.action == "user.updated").unwrap();
    assert!(
        updated.details.contains("\"before\":{")
            && updated.details.contains("Augusta Ada")
            && updated.details.contains("\"first_name\":\"Ada\"")
    );
    let _ = agent;
    // Search finds the new name.
    let (_, page) = app.get_html("/users?q=augusta").await;
    assert!(page.contains("ada@acme.io"));
}

async fn edit_mistakes_are_shown_beside_fields_and_nothing_is_saved(app: TestApp) {
    let (_, ada) = org_with_ada(&app).await;
    let form = dialog(&app, ada).await;
    let fields = fields_of(
        &form,
        &[
            ("first_name", " "),
            ("email", "olive@acme.io"),
            ("ip_allowlist", "10.0.0.0/33"),
        ],
    );
    let response = post(&app, ada, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.headers().get("HX-Retarget").unwrap(),
        "#edit-dialog"
    );
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Enter a first name.") && page.contains("not an IP address or CIDR block")
    );
    // The email clash is found once the fields are fine.
    let fields = fields_of(&form, &[("email", "olive@acme.io")]);
    let page = post(&app, ada, &fields).await.text().await.unwrap();
    assert!(page.contains("Another account already uses this email address."));
    let (email, version) = app
        .db(move |c| {
            users::table
                .find(ada)
                .select((users::email, users::version))
                .first::<(String, i32)>(c)
                .unwrap()
        })
        .await;
    assert_eq!((email.as_str(), version), ("ada@acme.io", 1));
}

async fn deactivating_asks_to_confirm_releases_licenses_and_ends_sessions(app: TestApp) {
    let (org_id, ada) = org_with_ada(&app).await;
    let (_, _, dialer) = ids(&app, org_id).await;
    // Ada gets a seat and signs in elsewhere.
    let form = dialog(&app, ada).await;
    let mut fields = fields_of(&form, &[]);
    fields.push(("product".into(), dialer.clone()));
    assert_eq!(post(&app, ada, &fields).await.status(), StatusCode::OK);
    let (ada_browser, signed_in) = app.browser_login("ada@acme.io", PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        ada_browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // Active off: first a confirmation, nothing saved.
    let form = dialog(&app, ada).await;
    let off = fields_of(&form, &[("active", "0")]);
    let response = post(&app, ada, &off).await;
    assert_eq!(response.status(), StatusCode::OK);
    let confirm = response.text().await.unwrap();
    assert!(confirm.contains("Deactivate Ada Lovelace?") && confirm.contains(">Confirm</button>"));
    let status = app
        .db(move |c| {
            users::table
                .find(ada)
                .select(users::status)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    assert_eq!(status, "active");
    // Confirm.
    let confirmed = fields_of(&confirm, &[("active", "0")]);
    let response = post(&app, ada, &confirmed).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains(">Inactive</span>"));
    let (status, used) = app
        .db(move |c| {
            let status = users::table
                .find(ada)
                .select(users::status)
                .first::<String>(c)
                .unwrap();
            let used = products::table
                .filter(products::org_id.eq(org_id))
                .filter(products::name.eq("Dialer"))
                .select(products::seats_used)
                .first::<i32>(c)
                .unwrap();
            (status, used)
        })
        .await;
    assert_eq!((status.as_str(), used), ("inactive", 0));
    // Her next request is signed out.
    let response = ada_browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Show Only Active Users hides her; off, she is there and can be reactivated.
    let (_, page) = app.get_html("/users?q=ada").await;
    assert!(!page.contains("ada@acme.io"));
    let (_, page) = app.get_html("/users?q=ada&active=0").await;
    assert!(page.contains("ada@acme.io"));
    let form = dialog(&app, ada).await;
    let on = fields_of(&form, &[("active", "1")]);
    let response = post(&app, ada, &on).await;
    assert!(response.text().await.unwrap().contains(">Active</span>"));
}

async fn nobody_deactivates_themselves_or_the_owner_or_changes_their_own_roles(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let people = app
        .add_people(
            org_id,
            vec![Person {
                first: "Adam",
                last: "Admin",
                email: "adam@acme.io",
                status: "active",
                roles: &["Admin"],
                active_minutes_ago: None,
            }],
        )
        .await;
    let olive = app
        .db(|c| {
            users::table
                .filter(users::email.eq("olive@acme.io"))
                .select(users::id)
                .first::<i64>(c)
                .unwrap()
        })
        .await;
    // Own dialog: no Active toggle, roles locked.
    let own = dialog(&app, olive).await;
    assert!(!own.contains("> Active</label>"));
    let forced = fields_of(&own, &[("active", "0")]);
    let response = post(&app, olive, &forced).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("You cannot deactivate your own account."));
    let (supervisor, _, _) = ids(&app, org_id).await;
    let mut more = fields_of(&own, &[]);
    more.push(("role".into(), supervisor));
    let response = post(&app, olive, &more).await;
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("You cannot change your own roles or permissions."));
    // An Admin cannot deactivate the Owner.
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let owner_dialog = dialog(&app, olive).await;
    let off = fields_of(&owner_dialog, &[("active", "0"), ("confirmed", "1")]);
    let response = post(&app, olive, &off).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("The Owner cannot be deactivated."));
    let _ = people;
    let status = app
        .db(move |c| {
            users::table
                .find(olive)
                .select(users::status)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    assert_eq!(status, "active");
}

async fn a_stale_edit_is_refused_naming_who_changed_the_user(app: TestApp) {
    let (_, ada) = org_with_ada(&app).await;
    let opened = dialog(&app, ada).await;
    // Someone else saves first.
    let first = fields_of(&opened, &[("last_name", "Byron")]);
    assert_eq!(post(&app, ada, &first).await.status(), StatusCode::OK);
    // The old dialog's save is refused and the dialog reloads with what is saved now.
    let late = fields_of(&opened, &[("phone", "123")]);
    let response = post(&app, ada, &late).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("olive@acme.io changed this user after you opened the dialog"));
    assert!(page.contains("value=\"Byron\""));
    let phone = app
        .db(move |c| {
            users::table
                .find(ada)
                .select(users::phone)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    assert_eq!(phone, "");

    // Her own email change, confirmed from the new address, moves the user on too.
    let opened = dialog(&app, ada).await;
    let (own, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    let account = own.get(app.url("/account")).send().await.unwrap();
    let token = crate::helpers::csrf_of(&account.text().await.unwrap()).unwrap();
    let response = own
        .post(app.url("/account/email"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("new_email", "ada@new.io"),
            ("email_password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    crate::helpers::assert_redirect_to(&response, "/account?changed=email");
    let link = app
        .mail()
        .message_about("ada@new.io", "Confirm your new Gatehouse email address")
        .await
        .link("/email/confirm/")
        .unwrap();
    let done = app.submit_page_form(&own, &link, &[]).await;
    assert_eq!(done.status(), StatusCode::OK);
    let late = fields_of(&opened, &[("phone", "456")]);
    let response = post(&app, ada, &late).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("ada@acme.io changed this user after you opened the dialog"),
        "{page}"
    );
    assert!(page.contains("value=\"ada@new.io\""));
}

async fn seats_run_out_with_a_message_naming_the_product(app: TestApp) {
    let (org_id, ada) = org_with_ada(&app).await;
    let (_, _, dialer) = ids(&app, org_id).await;
    app.db(move |c| {
        diesel::update(
            products::table
                .filter(products::org_id.eq(org_id))
                .filter(products::name.eq("Dialer")),
        )
        .set(products::seats_used.eq(3))
        .execute(c)
        .unwrap()
    })
    .await;
    let form = dialog(&app, ada).await;
    assert!(form.contains("Dialer <span class=\"muted\">(0 of 3 left)</span>"));
    let mut fields = fields_of(&form, &[]);
    let dialer_id = dialer.clone();
    fields.push(("product".into(), dialer));
    let response = post(&app, ada, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains(
        "No Dialer seats are left. Free one from another user, or add seats in Settings."
    ));
    let used = app
        .db(move |c| {
            products::table
                .filter(products::org_id.eq(org_id))
                .filter(products::name.eq("Dialer"))
                .select(products::seats_used)
                .first::<i32>(c)
                .unwrap()
        })
        .await;
    assert_eq!(used, 3);

    // With one seat left, taking it says that none remain.
    app.db(move |c| {
        diesel::update(
            products::table
                .filter(products::org_id.eq(org_id))
                .filter(products::name.eq("Dialer")),
        )
        .set(products::seats_used.eq(2))
        .execute(c)
        .unwrap()
    })
    .await;
    let form = dialog(&app, ada).await;
    let mut fields = fields_of(&form, &[]);
    fields.push(("product".into(), dialer_id.clone()));
    let response = post(&app, ada, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let trigger = response
        .headers()
        .get("hx-trigger")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        trigger.contains("That was the last Dialer seat: none remain."),
        "{trigger}"
    );
}

async fn chat_access_is_offered_and_kept_only_for_supervisors_with_their_divisions(app: TestApp) {
    let (org_id, ada) = org_with_ada(&app).await;
    let (supervisor, _, _) = ids(&app, org_id).await;
    let scope = || {
        app.db(move |c| {
            users::table
                .find(ada)
                .select(users::chat_scope)
                .first::<String>(c)
                .unwrap()
        })
    };
    // An Agent: the choice is hidden, and a posted one changes nothing.
    let form = dialog(&app, ada).await;
    assert!(form.contains("<fieldset class=\"checks stacked\" data-supervisor-only hidden>"));
    let fields = fields_of(&form, &[("chat_scope", "assigned")]);
    assert_eq!(post(&app, ada, &fields).await.status(), StatusCode::OK);
    assert_eq!(scope().await, "all");
    // Made a Supervisor, the choice shows and counts: Assigned divisions only needs one.
    let (north, south) = app
        .db(move |c| {
            (
                gatehouse::divisions::store::insert(c, org_id, "North").unwrap(),
                gatehouse::divisions::store::insert(c, org_id, "South").unwrap(),
            )
        })
        .await;
    let form = dialog(&app, ada).await;
    let mut fields = fields_of(&form, &[("chat_scope", "assigned")]);
    fields.push(("role".into(), supervisor));
    let response = post(&app, ada, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Choose at least one division for Assigned divisions only."));
    assert_eq!(scope().await, "all");
    // Another organization's division is refused too.
    let now = app.state.clock.now();
    let theirs = app
        .db(move |c| {
            let (other, _) = gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap();
            gatehouse::divisions::store::insert(c, other, "Theirs").unwrap()
        })
        .await;
    let mut refused = fields.clone();
    refused.push(("chat_division".into(), theirs.to_string()));
    let response = post(&app, ada, &refused).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Choose divisions from the list."));
    fields.push(("chat_division".into(), north.to_string()));
    fields.push(("chat_division".into(), south.to_string()));
    assert_eq!(post(&app, ada, &fields).await.status(), StatusCode::OK);
    assert_eq!(scope().await, "assigned");
    let form = dialog(&app, ada).await;
    assert!(form.contains("<fieldset class=\"checks stacked\" data-supervisor-only>"));
    assert!(form.contains(&format!("value=\"{north}\" checked> North")));
    let updated = app.audit_details(org_id, "user.updated").await;
    assert_eq!(
        updated[0]["after"]["chat_divisions"],
        serde_json::json!(["North", "South"])
    );
    // Edit permissions shows the effective access.
    let permissions = app
        .hx_get(&format!("/users/{ada}/permissions"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        permissions.contains("Assigned divisions only: North, South."),
        "{permissions}"
    );
    // All divisions clears the assignment.
    let form = dialog(&app, ada).await;
    let fields = fields_of(&form, &[("chat_scope", "all")]);
    assert_eq!(post(&app, ada, &fields).await.status(), StatusCode::OK);
    let assigned = app
        .db(move |c| gatehouse::divisions::store::assigned(c, ada).unwrap())
        .await;
    assert!(assigned.is_empty());
    let permissions = app
        .hx_get(&format!("/users/{ada}/permissions"))
        .await
        .text()
        .await
        .unwrap();
    assert!(permissions.contains("<strong>Supervisor chat access:</strong> All divisions."));
}
