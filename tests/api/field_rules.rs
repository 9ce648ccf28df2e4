//! Rules found by an attacker's pass over user fields: a secret's value never leaks through a
//! change of its definition or a show-when rule; what an editor may not change stays.

use reqwest::StatusCode;

use crate::both;
use crate::edit::{dialog, fields_of, post};
use crate::fields::{create_field, field_id};
use crate::helpers::{someone, TestApp, PASSWORD};

both!(
    a_secret_is_never_checked_against_a_new_pattern,
    a_field_others_depend_on_never_becomes_a_secret,
    my_account_leaves_admins_fields_as_they_are_even_when_hidden,
    every_change_of_a_definition_is_audited,
    values_kept_through_a_change_of_type_are_stored_as_the_new_type_stores_them,
);

const OWNER: &str = "olive@acme.io";

async fn edit_field(app: &TestApp, id: i64, changes: &[(&str, &str)]) -> reqwest::Response {
    let html = app
        .hx_get(&format!("/settings/fields/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let mut form = fields_of(&html, changes);
    form.retain(|(k, _)| !changes.iter().any(|(c, _)| c == k));
    form.extend(
        changes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.hx_post(&format!("/settings/fields/{id}/edit"), &borrowed)
        .await
}

async fn a_secret_is_never_checked_against_a_new_pattern(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_field(&app, &[("label", "Pin"), ("kind", "secret")]).await;
    let pin = field_id(&app, org_id, "pin").await;
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    let page = dialog(&app, ann).await;
    post(&app, ann, &fields_of(&page, &[("field.pin", "k7secret")])).await;
    // Whatever the guess, the answer is the same: saved, nothing removed, no count.
    for guess in ["k.*", "z.*"] {
        let response = edit_field(&app, pin, &[("pattern", guess)]).await;
        assert_eq!(response.status(), StatusCode::OK, "{guess}");
    }
    let held = app
        .db(move |c| gatehouse::fields::store::values_of(c, ann).unwrap())
        .await;
    assert_eq!(
        held[&pin],
        ["k7secret"],
        "kept: new rules apply to new values"
    );
}

async fn a_field_others_depend_on_never_becomes_a_secret(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_field(&app, &[("label", "Mode"), ("kind", "text")]).await;
    create_field(
        &app,
        &[
            ("label", "Extra"),
            ("kind", "text"),
            ("show_when_key", "mode"),
            ("show_when_value", "s3cr"),
        ],
    )
    .await;
    let mode = field_id(&app, org_id, "mode").await;
    let response = edit_field(&app, mode, &[("kind", "secret")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Extra shows only when this field has a value"));
}

async fn my_account_leaves_admins_fields_as_they_are_even_when_hidden(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_field(
        &app,
        &[("label", "Mode"), ("kind", "text"), ("access", "self")],
    )
    .await;
    create_field(
        &app,
        &[
            ("label", "Desk"),
            ("kind", "text"),
            ("show_when_key", "mode"),
            ("show_when_value", "office"),
        ],
    )
    .await;
    let desk = field_id(&app, org_id, "desk").await;
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    let page = dialog(&app, ann).await;
    let fields = fields_of(&page, &[("field.mode", "office"), ("field.desk", "B-12")]);
    assert_eq!(post(&app, ann, &fields).await.status(), StatusCode::OK);
    app.logout().await;
    app.login_as("ann@acme.io", PASSWORD).await;
    let response = app
        .post_form(
            "/account/profile",
            &[("fields", "1"), ("field.mode", "home")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let held = app
        .db(move |c| gatehouse::fields::store::values_of(c, ann).unwrap())
        .await;
    assert_eq!(held[&desk], ["B-12"], "not hers to change");
}

async fn every_change_of_a_definition_is_audited(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_field(&app, &[("label", "Badge"), ("kind", "text")]).await;
    let badge = field_id(&app, org_id, "badge").await;
    let response = edit_field(
        &app,
        badge,
        &[
            ("searchable", "1"),
            ("help", "On the lanyard"),
            ("pattern", "[0-9]+"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed = app.audit_details(org_id, "field.changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["after"]["searchable"], true);
    assert_eq!(changed[0]["after"]["help"], "On the lanyard");
    assert_eq!(changed[0]["after"]["pattern"], "[0-9]+");
}

async fn values_kept_through_a_change_of_type_are_stored_as_the_new_type_stores_them(app: TestApp) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    create_field(&app, &[("label", "Line"), ("kind", "text")]).await;
    let line = field_id(&app, org_id, "line").await;
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    let page = dialog(&app, ann).await;
    post(
        &app,
        ann,
        &fields_of(&page, &[("field.line", "Use WebRTC")]),
    )
    .await;
    let change = [
        ("kind", "choice"),
        ("options", "webrtc | Use WebRTC\ncustom | Use custom URI"),
        ("confirmed", "1"),
    ];
    assert_eq!(
        edit_field(&app, line, &change).await.status(),
        StatusCode::OK
    );
    let held = app
        .db(move |c| gatehouse::fields::store::values_of(c, ann).unwrap())
        .await;
    assert_eq!(
        held[&line],
        ["webrtc"],
        "the option's code, as a choice stores it"
    );
}
