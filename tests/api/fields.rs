//! User fields: Settings → User fields (define, change, delete, presets) and the values people
//! hold, saved through Edit User with every rule checked on the server.

use reqwest::StatusCode;

use crate::both;
use crate::edit::{dialog, fields_of, post};
use crate::helpers::{someone, toast_of, TestApp};
use gatehouse::fields::store;

both!(
    fields_are_defined_and_a_bad_definition_changes_nothing,
    fields_are_settings_and_another_organizations_answer_404,
    the_dialer_preset_creates_its_fields_once,
    edit_user_saves_fields_by_section_with_show_when_and_required,
    a_secret_is_never_in_a_page_or_the_audit,
    a_unique_value_is_held_once_even_by_two_parallel_saves,
    a_field_required_for_a_role_binds_only_those_holding_it,
    changing_a_type_asks_to_confirm_and_removes_what_no_longer_fits,
    a_person_edits_only_the_fields_opened_to_them_on_my_account,
    the_list_filters_by_a_field_shows_chosen_columns_and_exports_fields,
    search_user_finds_searchable_fields_and_usernames,
    a_bulk_action_over_a_field_filter_keeps_to_it,
    bulk_set_field_checks_the_value_once_and_each_users_rules,
    a_field_made_renamed_or_deleted_on_one_instance_is_in_the_list_of_every_instance,
);

const OWNER: &str = "olive@acme.io";

pub async fn field_id(app: &TestApp, org_id: i64, key: &'static str) -> i64 {
    app.db(move |c| {
        store::all(c, org_id)
            .unwrap()
            .into_iter()
            .find(|f| f.key == key)
            .map(|f| f.id)
            .expect("field")
    })
    .await
}

pub async fn create_field(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![("required", "never"), ("access", "admins")];
    form.extend_from_slice(fields);
    app.hx_post("/settings/fields", &form).await
}

pub async fn apply_dialer(app: &TestApp) -> reqwest::Response {
    app.get_html("/settings/fields").await;
    app.hx_post("/settings/fields/presets/dialer", &[]).await
}

async fn values(app: &TestApp, user_id: i64) -> std::collections::BTreeMap<i64, Vec<String>> {
    app.db(move |c| store::values_of(c, user_id).unwrap()).await
}

async fn fields_are_defined_and_a_bad_definition_changes_nothing(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let (status, page) = app.get_html("/settings/fields").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No user fields yet."), "{page}");
    assert!(page.contains("Apply Dialer profile") && page.contains("Apply CRM profile"));

    let dialog = app
        .hx_get("/settings/fields/new")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains("New field")
            && dialog.contains("Single choice")
            && dialog.contains(">Secret</option>")
    );

    let response = create_field(
        &app,
        &[
            ("label", "Employee number"),
            ("kind", "text"),
            ("section", "HR"),
            ("pattern", "E[0-9]{4}"),
            ("pattern_message", "Use E and four digits, such as E0042."),
            ("unique", "1"),
            ("searchable", "1"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Field “Employee number” created.")
    );
    let list = response.text().await.unwrap();
    assert!(
        list.contains("<code>employee_number</code>"),
        "the key comes from the label: {list}"
    );
    assert!(list.contains("Unique") && list.contains("Searchable") && list.contains("<h3>HR</h3>"));

    // Each bad definition: its message beside its input, nothing written.
    for (fields, input, message) in [
        (
            vec![("label", ""), ("kind", "text")],
            "fd-label-error",
            "Enter a label.",
        ),
        (
            vec![("label", "Employee number"), ("kind", "text")],
            "fd-label-error",
            "Another field has this label.",
        ),
        (
            vec![("label", "Mail"), ("key", "email"), ("kind", "text")],
            "fd-key-error",
            "This key names a built-in column",
        ),
        (
            vec![("label", "Code"), ("kind", "text"), ("pattern", "([a-z")],
            "fd-pattern-error",
            "not a valid regular expression",
        ),
        (
            vec![("label", "Mood"), ("kind", "choice"), ("options", "")],
            "fd-options-error",
            "Enter at least one option",
        ),
        (
            vec![("label", "Mood"), ("kind", "choice"), ("options", "a\nA")],
            "fd-options-error",
            "“A” is listed twice.",
        ),
        (
            vec![("label", "Token"), ("kind", "secret"), ("unique", "1")],
            "unique",
            "A secret field cannot be unique.",
        ),
        (
            vec![
                ("label", "Band"),
                ("kind", "text"),
                ("min_length", "9"),
                ("max_length", "3"),
            ],
            "fd-max-error",
            "Make the maximum at least the minimum.",
        ),
        (
            vec![
                ("label", "Later"),
                ("kind", "text"),
                ("show_when_key", "nope"),
            ],
            "fd-when-key-error",
            "Choose a field from the list.",
        ),
        (
            vec![("label", "Later"), ("kind", "wobbly")],
            "fd-kind-error",
            "Choose a type from the list.",
        ),
    ] {
        let response = create_field(&app, &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{message}: {body}");
        if input != "unique" {
            assert!(body.contains(&format!("id=\"{input}\"")), "{input}: {body}");
        }
    }
    let count = app.db(move |c| store::all(c, org_id).unwrap().len()).await;
    assert_eq!(count, 1);
    let created = app.audit_details(org_id, "field.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["key"], "employee_number");
}

async fn fields_are_settings_and_another_organizations_answer_404(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_field(&app, &[("label", "Badge"), ("kind", "text")]).await;
    let badge = field_id(&app, org_id, "badge").await;
    let now = app.state.clock.now();
    let theirs = app
        .db(move |c| {
            let (other, _) = gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap();
            let mut field = gatehouse::fields::Field::for_test(
                "theirs",
                "Theirs",
                gatehouse::fields::Kind::Text,
            );
            field.position = 1;
            store::insert(c, other, &field, now).unwrap()
        })
        .await;
    for path in [
        format!("/settings/fields/{theirs}/edit"),
        format!("/settings/fields/{theirs}/delete"),
    ] {
        assert_eq!(
            app.hx_get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
        let response = app
            .hx_post(&path, &[("label", "Mine"), ("kind", "text")])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.hx_post("/settings/fields/presets/nonesuch", &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let still = app
        .db(move |c| {
            store::all(c, 0).unwrap().len()
                + gatehouse::fields::holders::count(c, theirs).unwrap() as usize
        })
        .await;
    assert_eq!(still, 0);

    // A Manager manages users, not settings.
    app.add_people(org_id, vec![someone("Max", "max@acme.io", "Manager")])
        .await;
    app.logout().await;
    app.login_as("max@acme.io", crate::helpers::PASSWORD).await;
    assert_eq!(
        app.get("/settings/fields").await.status(),
        StatusCode::FORBIDDEN
    );
    let response = app
        .hx_post(&format!("/settings/fields/{badge}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.hx_post("/settings/fields/presets/dialer", &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.db(move |c| store::all(c, org_id).unwrap().len()).await,
        1
    );
}

async fn the_dialer_preset_creates_its_fields_once(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let response = apply_dialer(&app).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Dialer profile applied: 13 fields created.")
    );
    let list = response.text().await.unwrap();
    assert!(list.contains("<h3>SIP settings</h3>"), "{list}");
    assert!(list.contains("Shown when SIP Option is Use custom URI"));
    let fields = app.db(move |c| store::all(c, org_id).unwrap()).await;
    let kind = |key: &str| fields.iter().find(|f| f.key == key).map(|f| f.kind.code());
    assert_eq!(kind("caldav_token"), Some("secret"));
    assert_eq!(kind("pbx_password"), Some("secret"));
    assert_eq!(kind("caller_id_number"), Some("phone"));
    assert_eq!(kind("sip_option"), Some("choice"));

    let again = apply_dialer(&app).await;
    assert_eq!(
        toast_of(again.headers()).as_deref(),
        Some("Dialer profile: every field exists already; nothing changed.")
    );
    assert_eq!(
        app.db(move |c| store::all(c, org_id).unwrap().len()).await,
        13
    );
    assert_eq!(app.audit_details(org_id, "field.created").await.len(), 13);

    // The CRM profile adds the country list; without script the page answers in full.
    let page = app
        .post_form("/settings/fields/presets/crm", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("CRM profile applied: 1 field created."),
        "{page}"
    );
    let country = app
        .db(move |c| {
            store::all(c, org_id)
                .unwrap()
                .into_iter()
                .find(|f| f.key == "country")
                .unwrap()
        })
        .await;
    assert!(country.options.len() > 240);
    assert_eq!(
        country.choice("France").map(|c| c.code.as_str()),
        Some("FR")
    );
}

async fn edit_user_saves_fields_by_section_with_show_when_and_required(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    apply_dialer(&app).await;
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    let (option, uri) = (
        field_id(&app, org_id, "sip_option").await,
        field_id(&app, org_id, "custom_sip_uri").await,
    );

    let page = dialog(&app, ann).await;
    for legend in [
        "<legend>Account</legend>",
        "<legend>Dialing</legend>",
        "<legend>SIP settings</legend>",
    ] {
        assert!(page.contains(legend), "{legend}: {page}");
    }
    assert!(
        page.contains("data-show-when=\"field.sip_option\" data-show-value=\"custom\" hidden"),
        "the URI is hidden until SIP Option is custom"
    );

    // Custom URI chosen, URI empty: required, beside the field; nothing saved.
    let fields = fields_of(
        &page,
        &[("field.sip_option", "custom"), ("field.custom_sip_uri", "")],
    );
    let response = post(&app, ann, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("id=\"f-custom_sip_uri-error\">Enter Custom SIP URI.</p>"),
        "{body}"
    );
    assert!(
        body.contains("data-show-when=\"field.sip_option\" data-show-value=\"custom\">"),
        "shown again, as posted"
    );
    assert!(values(&app, ann).await.is_empty());

    // A URI of the wrong shape gets the organization's own message.
    let fields = fields_of(
        &page,
        &[
            ("field.sip_option", "custom"),
            ("field.custom_sip_uri", "pbx.example.com"),
        ],
    );
    let body = post(&app, ann, &fields).await.text().await.unwrap();
    assert!(
        body.contains("Enter a SIP URI such as sip:1001@pbx.example.com."),
        "{body}"
    );

    let fields = fields_of(
        &page,
        &[
            ("field.sip_option", "custom"),
            ("field.custom_sip_uri", "sip:1001@pbx.example.com"),
            ("field.caller_id_number", "+1 555 0100"),
            ("field.assign_leads", "1"),
        ],
    );
    let response = post(&app, ann, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let held = values(&app, ann).await;
    assert_eq!(held[&option], ["custom"]);
    assert_eq!(held[&uri], ["sip:1001@pbx.example.com"]);
    let edits = app.audit_details(org_id, "user.updated").await;
    assert_eq!(edits[0]["after"]["SIP Option"], "Use custom URI");
    assert_eq!(
        edits[0]["after"]["Custom SIP URI"],
        "sip:1001@pbx.example.com"
    );
    assert_eq!(
        edits[0]["before"]["Custom SIP URI"],
        serde_json::Value::Null
    );

    // WebRTC: the URI is hidden, so what is posted for it is ignored and the value goes.
    let page = dialog(&app, ann).await;
    assert!(page.contains("value=\"sip:1001@pbx.example.com\""));
    let fields = fields_of(
        &page,
        &[
            ("field.sip_option", "webrtc"),
            ("field.custom_sip_uri", "not a uri"),
        ],
    );
    let response = post(&app, ann, &fields).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let held = values(&app, ann).await;
    assert_eq!(held[&option], ["webrtc"]);
    assert!(!held.contains_key(&uri));

    // Bad values of each type are refused beside their field.
    let page = dialog(&app, ann).await;
    let fields = fields_of(
        &page,
        &[
            ("field.caller_id_number", "call me"),
            ("field.oauth_email", "nope"),
            ("field.auto_dial", "sometimes"),
        ],
    );
    let body = post(&app, ann, &fields).await.text().await.unwrap();
    assert!(
        body.contains("id=\"f-caller_id_number-error\">Enter a phone number"),
        "{body}"
    );
    assert!(body.contains("id=\"f-oauth_email-error\">"));
    assert!(body.contains("Choose Auto Dial from the list."));
    assert_eq!(values(&app, ann).await[&option], ["webrtc"]);
}

async fn a_secret_is_never_in_a_page_or_the_audit(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    apply_dialer(&app).await;
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    let token = field_id(&app, org_id, "caldav_token").await;
    const SECRET: &str = "tok-Zq9-very-secret";
    let page = dialog(&app, ann).await;
    assert!(page.contains("Not set. It is never shown again."));
    let fields = fields_of(&page, &[("field.caldav_token", SECRET)]);
    let response = post(&app, ann, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.text().await.unwrap().contains(SECRET));
    assert_eq!(values(&app, ann).await[&token], [SECRET]);

    let page = dialog(&app, ann).await;
    assert!(!page.contains(SECRET));
    assert!(page.contains("Set. Type a new value to replace it."));
    // Saving with the secret left blank keeps it.
    let fields = fields_of(&page, &[("first_name", "Annie")]);
    assert_eq!(post(&app, ann, &fields).await.status(), StatusCode::OK);
    assert_eq!(values(&app, ann).await[&token], [SECRET]);
    // A refused save does not echo it either.
    let page = dialog(&app, ann).await;
    let fields = fields_of(
        &page,
        &[("field.caldav_token", SECRET), ("field.oauth_email", "bad")],
    );
    let body = post(&app, ann, &fields).await.text().await.unwrap();
    assert!(!body.contains(SECRET) && body.contains("f-oauth_email-error"));

    for path in [
        "/users",
        "/activity",
        "/users/export.csv",
        "/activity/export.csv",
    ] {
        let body = app.get(path).await.text().await.unwrap();
        assert!(!body.contains(SECRET), "{path}");
    }
    let edits = app.audit_details(org_id, "user.updated").await;
    let all = serde_json::to_string(&edits).unwrap();
    assert!(!all.contains(SECRET));
    assert!(edits
        .iter()
        .any(|e| e["after"]["CalDAV token"] == "changed"));

    // Remove it.
    let page = dialog(&app, ann).await;
    let fields = fields_of(&page, &[("clear.caldav_token", "1")]);
    assert_eq!(post(&app, ann, &fields).await.status(), StatusCode::OK);
    assert!(!values(&app, ann).await.contains_key(&token));
    let edits = app.audit_details(org_id, "user.updated").await;
    assert_eq!(edits[0]["before"]["CalDAV token"], "set");
    assert_eq!(edits[0]["after"]["CalDAV token"], "not set");
}

async fn a_unique_value_is_held_once_even_by_two_parallel_saves(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    apply_dialer(&app).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ann", "ann@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    let (ann, bob) = (ids[0], ids[1]);
    let extension = field_id(&app, org_id, "virtual_extension").await;

    let page = dialog(&app, ann).await;
    let fields = fields_of(&page, &[("field.virtual_extension", "1001")]);
    assert_eq!(post(&app, ann, &fields).await.status(), StatusCode::OK);
    let page = dialog(&app, bob).await;
    let fields = fields_of(&page, &[("field.virtual_extension", "1001")]);
    let response = post(&app, bob, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Another user already has this Virtual Extension."),
        "{body}"
    );

    // Two saves at once claim 2002: one wins, the other is told beside the field.
    let (page_ann, page_bob) = (dialog(&app, ann).await, dialog(&app, bob).await);
    let fields_ann = fields_of(&page_ann, &[("field.virtual_extension", "2002")]);
    let fields_bob = fields_of(&page_bob, &[("field.virtual_extension", "2002")]);
    let (a, b) = tokio::join!(post(&app, ann, &fields_ann), post(&app, bob, &fields_bob));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY]);
    let loser = if a.status() == StatusCode::OK { b } else { a };
    assert!(loser
        .text()
        .await
        .unwrap()
        .contains("Another user already has this Virtual Extension."));
    let holders = app
        .db(move |c| store::values_in(c, extension).unwrap())
        .await
        .into_iter()
        .filter(|(_, v)| v == "2002")
        .count();
    assert_eq!(holders, 1);
}

async fn a_field_required_for_a_role_binds_only_those_holding_it(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let supervisor = app.role_id(org_id, "Supervisor").await.to_string();
    let response = create_field(
        &app,
        &[
            ("label", "Desk"),
            ("kind", "text"),
            ("required", "roles"),
            ("required_role", &supervisor),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    let page = dialog(&app, ann).await;
    assert!(!page.contains("Desk <span class=\"muted\">(required)</span>"));
    let fields = fields_of(&page, &[("first_name", "Annie")]);
    assert_eq!(post(&app, ann, &fields).await.status(), StatusCode::OK);

    // Made a Supervisor, she needs a desk.
    let page = dialog(&app, ann).await;
    let mut fields = fields_of(&page, &[]);
    fields.push(("role".into(), supervisor.clone()));
    let response = post(&app, ann, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("id=\"f-desk-error\">Enter Desk.</p>"),
        "{body}"
    );
    assert!(body.contains("Desk <span class=\"muted\">(required)</span>"));
    fields.retain(|(k, _)| k != "field.desk");
    fields.push(("field.desk".into(), "B-12".into()));
    assert_eq!(post(&app, ann, &fields).await.status(), StatusCode::OK);

    // A role the organization lacks cannot be named.
    let response = create_field(
        &app,
        &[
            ("label", "Other"),
            ("kind", "text"),
            ("required", "roles"),
            ("required_role", "999999"),
        ],
    )
    .await;
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Choose roles from the list."));
}

async fn changing_a_type_asks_to_confirm_and_removes_what_no_longer_fits(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_field(&app, &[("label", "Badge"), ("kind", "text")]).await;
    let badge = field_id(&app, org_id, "badge").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ann", "ann@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    for (id, value) in [(ids[0], "12"), (ids[1], "twelve")] {
        let page = dialog(&app, id).await;
        let fields = fields_of(&page, &[("field.badge", value)]);
        assert_eq!(post(&app, id, &fields).await.status(), StatusCode::OK);
    }
    let (_, page) = app.get_html("/settings/fields").await;
    assert!(
        page.contains("<td>2</td>"),
        "two users hold a value: {page}"
    );

    let dialog_html = app
        .hx_get(&format!("/settings/fields/{badge}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let mut fields = fields_of(&dialog_html, &[("kind", "number")]);
    fields.push(("kind".into(), "number".into()));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = format!("/settings/fields/{badge}/edit");
    let response = app.hx_post(&path, &borrowed).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("2 users hold a value in this field; the values of 1 user do not fit the new definition and will be removed."),
        "{body}"
    );
    assert!(body.contains("Confirm and save"));
    assert_eq!(
        values(&app, ids[1]).await[&badge],
        ["twelve"],
        "nothing changed yet"
    );

    let mut confirmed = borrowed.clone();
    confirmed.push(("confirmed", "1"));
    let response = app.hx_post(&path, &confirmed).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(values(&app, ids[0]).await[&badge], ["12"]);
    assert!(!values(&app, ids[1]).await.contains_key(&badge));
    let changed = app.audit_details(org_id, "field.changed").await;
    assert_eq!(changed[0]["after"]["type"], "Number");
    assert_eq!(changed[0]["values_removed"], 1);

    // A secret stays a secret.
    create_field(&app, &[("label", "Pin"), ("kind", "secret")]).await;
    let pin = field_id(&app, org_id, "pin").await;
    let response = app
        .hx_post(
            &format!("/settings/fields/{pin}/edit"),
            &[("label", "Pin"), ("kind", "text"), ("access", "admins")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("A secret stays a secret"));

    // Delete: the confirmation counts the holders; the values go with the field.
    let confirm = app
        .hx_get(&format!("/settings/fields/{badge}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("1 user holds a value in it"), "{confirm}");
    let response = app
        .hx_post(&format!("/settings/fields/{badge}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("Field “Badge” deleted.")
    );
    assert!(values(&app, ids[0]).await.is_empty());
    let deleted = app.audit_details(org_id, "field.deleted").await;
    assert_eq!(deleted[0]["holders"], 1);

    // A field others depend on is not deleted.
    apply_dialer(&app).await;
    let option = field_id(&app, org_id, "sip_option").await;
    let response = app
        .hx_post(&format!("/settings/fields/{option}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let said = format!(
        "{:?} {}",
        toast_of(response.headers()),
        response.text().await.unwrap()
    );
    assert!(
        said.contains("Custom SIP URI shows only when this field has a value"),
        "{said}"
    );
}

async fn a_person_edits_only_the_fields_opened_to_them_on_my_account(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_field(
        &app,
        &[
            ("label", "Nickname"),
            ("kind", "text"),
            ("max_length", "20"),
            ("access", "self"),
        ],
    )
    .await;
    create_field(&app, &[("label", "Salary band"), ("kind", "text")]).await;
    let (nickname, band) = (
        field_id(&app, org_id, "nickname").await,
        field_id(&app, org_id, "salary_band").await,
    );
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    app.logout().await;
    app.login_as("ann@acme.io", crate::helpers::PASSWORD).await;
    let (_, page) = app.get_html("/account").await;
    assert!(
        page.contains("<h2 id=\"profile-heading\">Profile</h2>"),
        "{page}"
    );
    assert!(page.contains("name=\"field.nickname\""));
    assert!(
        !page.contains("Salary band"),
        "admins' fields are not hers to see"
    );

    // Too long: the message beside it, as typed, nothing saved.
    let long = "x".repeat(21);
    let response = app
        .post_form(
            "/account/profile",
            &[("fields", "1"), ("field.nickname", &long)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("id=\"f-nickname-error\">Use at most 20 characters.</p>"),
        "{body}"
    );
    assert!(body.contains(&format!("value=\"{long}\"")));
    assert!(values(&app, ann).await.is_empty());

    // Her field saved; the admins' field, posted anyway, untouched.
    let response = app
        .post_form(
            "/account/profile",
            &[
                ("fields", "1"),
                ("field.nickname", "Annie"),
                ("field.salary_band", "A1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Your profile was saved."));
    let held = values(&app, ann).await;
    assert_eq!(held[&nickname], ["Annie"]);
    assert!(!held.contains_key(&band));
    let edits = app.audit_details(org_id, "user.updated").await;
    assert_eq!(
        edits[0]["after"],
        serde_json::json!({ "Nickname": "Annie" })
    );
}

async fn set(app: &TestApp, org_id: i64, user_id: i64, key: &'static str, values: &[&str]) {
    let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
    app.db(move |c| {
        let field = store::all(c, org_id)
            .unwrap()
            .into_iter()
            .find(|f| f.key == key)
            .unwrap();
        store::set_values(c, user_id, &field, &values).unwrap()
    })
    .await;
}

async fn the_list_filters_by_a_field_shows_chosen_columns_and_exports_fields(app: TestApp) {
    use crate::helpers::emails_in;
    let org_id = app.setup_first_org("Acme", OWNER).await;
    apply_dialer(&app).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ann", "ann@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
                someone("Cid", "cid@acme.io", "Agent"),
            ],
        )
        .await;
    set(&app, org_id, ids[0], "auto_dial", &["predictive"]).await;
    set(&app, org_id, ids[0], "virtual_extension", &["1001"]).await;
    set(&app, org_id, ids[1], "auto_dial", &["preview"]).await;
    set(&app, org_id, ids[2], "caldav_token", &["s3cret-token"]).await;
    let auto_dial = field_id(&app, org_id, "auto_dial").await;
    let token = field_id(&app, org_id, "caldav_token").await;

    // Equals, by the option's label (or code), and is empty.
    let (_, page) = app
        .get_html(&format!("/users?field={auto_dial}&field_value=Predictive"))
        .await;
    assert_eq!(emails_in(&page), ["ann@acme.io"]);
    assert!(page.contains("<legend>User field</legend>"));
    let (_, page) = app
        .get_html(&format!("/users?field={auto_dial}&field_value=preview"))
        .await;
    assert_eq!(emails_in(&page), ["bob@acme.io"]);
    let (_, page) = app
        .get_html(&format!("/users?field={auto_dial}&field_empty=1"))
        .await;
    assert_eq!(emails_in(&page), [OWNER, "cid@acme.io"]);
    // Holders come in name order, and a rename (by any path) moves them.
    set(&app, org_id, ids[2], "auto_dial", &["predictive"]).await;
    let filter = format!("/users?field={auto_dial}&field_value=predictive");
    assert_eq!(
        emails_in(&app.get_html(&filter).await.1),
        ["ann@acme.io", "cid@acme.io"]
    );
    let ann = ids[0];
    app.db(move |c| {
        use diesel::prelude::*;
        use gatehouse::db::schema::users;
        diesel::update(users::table.find(ann))
            .set((
                users::first_name.eq("Zoe"),
                users::name_key.eq(gatehouse::users::name_key("Zoe", "Test")),
            ))
            .execute(c)
            .unwrap();
    })
    .await;
    assert_eq!(
        emails_in(&app.get_html(&filter).await.1),
        ["cid@acme.io", "ann@acme.io"]
    );
    set(&app, org_id, ids[2], "auto_dial", &[]).await;
    // A secret's value is never a filter: it would tell the secret.
    let (_, page) = app
        .get_html(&format!("/users?field={token}&field_value=s3cret-token"))
        .await;
    assert!(emails_in(&page).is_empty());
    // The filter carries into the export and the sort links.
    let csv = app
        .get(&format!(
            "/users/export.csv?field={auto_dial}&field_value=predictive"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",oauth_email,assign_leads,auto_dial,caller_id_name,caller_id_number,virtual_extension,sip_option,custom_sip_uri,pbx_username,extension,dynamic_extension"), "{header}");
    assert!(!header.contains("caldav_token") && !header.contains("pbx_password"));
    assert!(
        csv.lines().nth(1).unwrap().contains(",Predictive,,,1001,"),
        "{csv}"
    );

    // Columns: chosen once, remembered; a secret cannot be one.
    let (_, page) = app.get_html("/users").await;
    assert!(page.contains("Show these columns"));
    assert!(!page.contains("name=\"column\" value=\"{token}\""));
    let response = app
        .post_form(
            "/users/columns",
            &[
                ("column", &auto_dial.to_string()),
                ("column", &token.to_string()),
                ("back", "/users?active=0"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    crate::helpers::assert_redirect_to(&response, "/users?active=0");
    let (_, page) = app.get_html("/users").await;
    assert!(page.contains("<th scope=\"col\">Auto Dial</th>"), "{page}");
    assert!(!page.contains("<th scope=\"col\">CalDAV token</th>"));
    assert!(page.contains("<td class=\"field-value\">Predictive</td>"));
    assert!(!page.contains("s3cret-token"));
    // An edited row comes back with its column.
    let dialog_html = dialog(&app, ids[1]).await;
    let fields = fields_of(&dialog_html, &[("field.auto_dial", "progressive")]);
    let row = post(&app, ids[1], &fields).await.text().await.unwrap();
    assert!(
        row.contains("<td class=\"field-value\">Progressive</td>"),
        "{row}"
    );
    // Off-site addresses are not followed back.
    let response = app
        .post_form("/users/columns", &[("back", "//evil.example/users")])
        .await;
    crate::helpers::assert_redirect_to(&response, "/users");

    // The holders of the value are walked in name order from the field's own index (each
    // value keeps its user's name_key): never the organization's other users, never a sort.
    let plan = app
        .db(move |c| {
            let query = gatehouse::users::forms::ListQuery::from_pairs(&[
                ("field".into(), auto_dial.to_string()),
                ("field_value".into(), "predictive".into()),
            ]);
            gatehouse::users::store::explain_list(c, org_id, &query)
                .unwrap()
                .join("\n")
        })
        .await;
    if app.backend == crate::helpers::Backend::Sqlite {
        let inner: Vec<&str> = plan.lines().take_while(|l| *l != "SCAN page").collect();
        assert_eq!(
            inner,
            [
                "CO-ROUTINE page",
                "SEARCH fv USING COVERING INDEX user_field_values_name (field_id=? AND value_key=?)",
                "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)",
            ],
            "{plan}"
        );
    }
}

async fn search_user_finds_searchable_fields_and_usernames(app: TestApp) {
    use crate::helpers::emails_in;
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_field(
        &app,
        &[
            ("label", "Employee number"),
            ("kind", "text"),
            ("searchable", "1"),
        ],
    )
    .await;
    create_field(&app, &[("label", "Shoe size"), ("kind", "text")]).await;
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    let page = dialog(&app, ann).await;
    let fields = fields_of(
        &page,
        &[
            ("field.employee_number", "E0042"),
            ("field.shoe_size", "Size44"),
            ("username", "annie.t"),
        ],
    );
    assert_eq!(post(&app, ann, &fields).await.status(), StatusCode::OK);
    for (term, found) in [
        ("e0042", true),
        ("0042", true),
        ("annie.t", true),
        ("size44", false),
    ] {
        let (_, page) = app.get_html(&format!("/users?q={term}")).await;
        assert_eq!(emails_in(&page) == ["ann@acme.io"], found, "{term}");
    }
    // No longer searchable: its values leave Search User.
    let number = field_id(&app, org_id, "employee_number").await;
    let dialog_html = app
        .hx_get(&format!("/settings/fields/{number}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let mut form = fields_of(&dialog_html, &[]);
    form.retain(|(k, _)| k != "searchable");
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let response = app
        .hx_post(&format!("/settings/fields/{number}/edit"), &borrowed)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, page) = app.get_html("/users?q=e0042").await;
    assert!(emails_in(&page).is_empty());
    let (_, page) = app.get_html("/users?q=annie").await;
    assert_eq!(emails_in(&page), ["ann@acme.io"]);
}

async fn a_bulk_action_over_a_field_filter_keeps_to_it(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    apply_dialer(&app).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ann", "ann@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
                someone("Cid", "cid@acme.io", "Agent"),
            ],
        )
        .await;
    set(&app, org_id, ids[0], "auto_dial", &["predictive"]).await;
    set(&app, org_id, ids[1], "auto_dial", &["predictive"]).await;
    let auto_dial = field_id(&app, org_id, "auto_dial").await.to_string();
    app.get_html("/users").await;
    let count = app
        .hx_get(&format!(
            "/users/bulk/count?active=1&field={auto_dial}&field_value=Predictive"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        count.contains("All <strong>2</strong> users matching this filter"),
        "{count}"
    );
    let fields = [
        ("action", "deactivate"),
        ("all_matching", "1"),
        ("active", "1"),
        ("field", auto_dial.as_str()),
        ("field_value", "Predictive"),
    ];
    let dialog = app
        .hx_post("/users/bulk/confirm", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("2 users will change."), "{dialog}");
    assert!(
        dialog.contains("name=\"field_value\" value=\"Predictive\""),
        "sent on"
    );
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "1"));
    let response = app.hx_post("/users/bulk", &confirmed).await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("2 users changed.")
    );
    for (id, status) in ids.into_iter().zip(["inactive", "inactive", "active"]) {
        assert_eq!(app.status_of(id).await.as_deref(), Some(status));
    }
}

async fn bulk_set_field_checks_the_value_once_and_each_users_rules(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    apply_dialer(&app).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ann", "ann@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
                someone("Cid", "cid@acme.io", "Agent"),
            ],
        )
        .await;
    set(&app, org_id, ids[0], "sip_option", &["custom"]).await;
    let (auto_dial, uri, extension, token) = (
        field_id(&app, org_id, "auto_dial").await,
        field_id(&app, org_id, "custom_sip_uri").await,
        field_id(&app, org_id, "virtual_extension").await,
        field_id(&app, org_id, "caldav_token").await,
    );
    let (_, page) = app.get_html("/users").await;
    assert!(page.contains(&format!(
        "<option value=\"field_set:{auto_dial}\">Set Auto Dial…</option>"
    )));
    assert!(
        !page.contains(&format!("field_set:{token}")),
        "never a secret"
    );
    let ticked: Vec<String> = ids.iter().map(i64::to_string).collect();
    let confirm = |action: String, value: &'static str| {
        let mut fields: Vec<(String, String)> = vec![
            ("action".into(), action),
            ("set_value".into(), value.into()),
        ];
        fields.extend(ticked.iter().map(|id| ("ids".to_owned(), id.clone())));
        fields
    };
    let post = |fields: Vec<(String, String)>| {
        let app = &app;
        async move {
            let borrowed: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            app.hx_post("/users/bulk/confirm", &borrowed).await
        }
    };

    // A bad value is refused once, for all; nothing changes.
    let response = post(confirm(format!("field_set:{auto_dial}"), "sometimes")).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(toast_of(response.headers())
        .unwrap_or_default()
        .contains("Choose Auto Dial from the list."));

    // By label: three users change, audited one by one.
    let fields = confirm(format!("field_set:{auto_dial}"), "Predictive");
    let dialog = post(fields.clone()).await.text().await.unwrap();
    assert!(
        dialog.contains("Set Auto Dial to “Predictive”?")
            && dialog.contains("3 users will change."),
        "{dialog}"
    );
    assert!(dialog.contains("name=\"set_value\" value=\"Predictive\""));
    let mut confirmed = fields.clone();
    confirmed.push(("confirmed".into(), "1".into()));
    let borrowed: Vec<(&str, &str)> = confirmed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = app.hx_post("/users/bulk", &borrowed).await;
    assert_eq!(
        toast_of(response.headers()).as_deref(),
        Some("3 users changed.")
    );
    for id in &ids {
        assert_eq!(values(&app, *id).await[&auto_dial], ["predictive"]);
    }
    let edits = app.audit_details(org_id, "user.updated").await;
    assert_eq!(edits.len(), 3);
    assert_eq!(edits[0]["after"]["Auto Dial"], "Predictive");
    assert_eq!(edits[0]["bulk"], true);

    // Show-when: only Ann's SIP Option shows the URI; the others are left out, saying why.
    let dialog = post(confirm(format!("field_set:{uri}"), "sip:9@pbx.example.com"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("1 user will change."), "{dialog}");
    assert!(
        dialog.contains("Bob Test: Custom SIP URI shows only when SIP Option is Use custom URI"),
        "{dialog}"
    );

    // Unique: one value for three users is refused.
    let response = post(confirm(format!("field_set:{extension}"), "1001")).await;
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Virtual Extension is unique: no two users may hold “1001”."),
        "{body}"
    );
    // A secret is never set in bulk.
    let response = post(confirm(format!("field_set:{token}"), "x")).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
}

/// User Management takes the organization's fields (its column choices and filters) from the
/// catalogue in memory: a field made, renamed or deleted on any instance bumps the catalogue,
/// so the next list everywhere follows.
async fn a_field_made_renamed_or_deleted_on_one_instance_is_in_the_list_of_every_instance(
    app: TestApp,
) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    // SQLite serves one instance: the same instance's cache must follow too.
    let other = (app.backend == crate::helpers::Backend::Postgres)
        .then_some(app.start_another_instance().await);
    let lists = || {
        let mut urls = vec![app.url("/users")];
        urls.extend(other.as_ref().map(|o| o.url("/users")));
        let client = app.client.clone();
        async move {
            let mut pages = Vec::new();
            for url in urls {
                pages.push(client.get(url).send().await.unwrap().text().await.unwrap());
            }
            pages
        }
    };
    let chooser = |id: i64, label: &str| format!("value=\"{id}\"> {label}</label>");
    for page in lists().await {
        assert!(!page.contains("> Badge</label>"));
    }
    create_field(&app, &[("label", "Badge"), ("kind", "text")]).await;
    let badge = field_id(&app, org_id, "badge").await;
    for page in lists().await {
        assert!(page.contains(&chooser(badge, "Badge")), "{page}");
    }
    let dialog_html = app
        .hx_get(&format!("/settings/fields/{badge}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let fields = fields_of(&dialog_html, &[("label", "Badge number")]);
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = app
        .hx_post(&format!("/settings/fields/{badge}/edit"), &borrowed)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    for page in lists().await {
        assert!(page.contains(&chooser(badge, "Badge number")), "{page}");
        assert!(!page.contains(&chooser(badge, "Badge")), "{page}");
    }
    let response = app
        .hx_post(&format!("/settings/fields/{badge}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    for page in lists().await {
        assert!(!page.contains(&chooser(badge, "Badge number")), "{page}");
    }
}
