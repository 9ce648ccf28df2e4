//! Who may act on whom, at every entry point: nobody acts on a user who holds a permission
//! they lack, only the Owner acts on the Owner's credentials and access, and the list offers
//! only what the viewer may do.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{someone, toast_of, TestApp, PASSWORD};

both!(
    a_manager_given_users_manage_cannot_take_over_the_owner_or_an_admin,
    an_admin_cannot_change_the_owners_credentials_but_may_edit_their_name,
    an_admins_change_of_someones_email_waits_for_the_new_address,
    rows_offer_only_the_actions_the_viewer_may_take,
    a_deactivated_user_is_offline_at_once,
);

const OWNER: &str = "olive@acme.io";
const ATTACKER: &str = "attacker@evil.test";

/// Olive (Owner), Adam (Admin), Max (Manager with overrides granting every users.* act) and
/// Ada (Agent).
async fn acme(app: &TestApp) -> (i64, i64, i64, i64, i64) {
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Adam", "adam@acme.io", "Admin"),
                someone("Max", "max@acme.io", "Manager"),
                someone("Ada", "ada@acme.io", "Agent"),
            ],
        )
        .await;
    let max = ids[1];
    app.db(move |c| {
        use gatehouse::db::schema::user_permission_overrides as o;
        // What users.manage was before the finer catalogue.
        for permission in [
            "users.edit",
            "users.access",
            "users.status",
            "users.delete",
            "users.credentials",
        ] {
            diesel::insert_into(o::table)
                .values((
                    o::user_id.eq(max),
                    o::permission.eq(permission),
                    o::granted.eq(true),
                ))
                .execute(c)
                .unwrap();
        }
    })
    .await;
    let owner = app.org_owner(org_id).await;
    (org_id, owner, ids[0], ids[1], ids[2])
}

/// The Edit User fields as someone would post them without the dialog.
fn edit_fields<'a>(
    first: &'a str,
    email: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("first_name", first),
        ("last_name", "Person"),
        ("email", email),
        ("phone", ""),
        ("timezone", "UTC"),
        ("language", "en"),
        ("chat_scope", "all"),
        ("division", ""),
        ("ip_allowlist", ""),
        ("version", "1"),
    ];
    fields.extend_from_slice(extra);
    fields
}

async fn email_of(app: &TestApp, user_id: i64) -> String {
    app.db(move |c| {
        use gatehouse::db::schema::users;
        users::table
            .find(user_id)
            .select(users::email)
            .first::<String>(c)
            .unwrap()
    })
    .await
}

async fn a_manager_given_users_manage_cannot_take_over_the_owner_or_an_admin(app: TestApp) {
    let (org_id, owner, adam, _max, ada) = acme(&app).await;
    // An invitation to the Admin role, made by the Owner.
    let invited = app
        .add_people(
            org_id,
            vec![crate::helpers::Person {
                first: "Ivy",
                last: "Invited",
                email: "ivy@acme.io",
                status: "invited",
                roles: &["Admin"],
                active_minutes_ago: None,
            }],
        )
        .await[0];
    app.logout().await;
    app.login_as("max@acme.io", PASSWORD).await;
    let events_before = app.audit_actions(org_id).await.len();
    for target in [owner, adam] {
        let path = |action: &str| format!("/users/{target}/{action}");
        let response = app.hx_get(&path("edit")).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(toast_of(response.headers())
            .unwrap()
            .starts_with("This user holds permissions you do not have"));
        let response = app
            .hx_post(
                &path("edit"),
                &edit_fields("Olive", ATTACKER, &[("active", "1")]),
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "edit of {target}");
        for action in [
            "reset-mfa",
            "reset-password",
            "unblock",
            "deactivate",
            "activate",
        ] {
            let response = app.hx_post(&path(action), &[]).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{action} of {target}"
            );
        }
        let response = app
            .hx_post(&path("delete"), &[("reassign", "nobody")])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        for dialog in [
            "reset-password",
            "reset-mfa",
            "unblock",
            "delete",
            "permissions",
        ] {
            let response = app.hx_get(&path(dialog)).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{dialog} dialog of {target}"
            );
        }
        let response = app
            .hx_post(&path("permissions"), &[("version", "1"), ("role", "1")])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    // Bulk: both are left out, saying why; nothing changes.
    let ids = [owner.to_string(), adam.to_string()];
    let mut fields = vec![("action", "deactivate")];
    fields.extend(ids.iter().map(|id| ("ids", id.as_str())));
    let dialog = app
        .hx_post("/users/bulk/confirm", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Adam Test: they hold permissions you do not have"));
    fields.push(("confirmed", "1"));
    app.hx_post("/users/bulk", &fields).await;
    assert_eq!(app.status_of(owner).await.as_deref(), Some("active"));
    assert_eq!(app.status_of(adam).await.as_deref(), Some("active"));
    // The Admin's invitation is beyond Max too.
    for action in ["resend", "revoke"] {
        let response = app
            .hx_post(&format!("/users/{invited}/{action}"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(email_of(&app, owner).await, OWNER);
    assert_eq!(app.mail().count_to(ATTACKER), 0);
    // Nothing changed; each refused attempt on a higher user is written down as such.
    let actions = app.audit_actions(org_id).await;
    let refused = actions
        .iter()
        .filter(|a| *a == "user.change_refused")
        .count();
    assert!(refused >= 2, "{actions:?}");
    assert_eq!(actions.len() - refused, events_before);
    // Max still manages the Agent.
    let response = app
        .hx_post(
            &format!("/users/{ada}/edit"),
            &edit_fields("Ada", "ada@acme.io", &[("active", "1"), ("role", "")]),
        )
        .await;
    assert_ne!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .hx_post(&format!("/users/{ada}/reset-password"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn an_admin_cannot_change_the_owners_credentials_but_may_edit_their_name(app: TestApp) {
    let (_org_id, owner, _adam, _max, _ada) = acme(&app).await;
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let dialog = app
        .hx_get(&format!("/users/{owner}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dialog.contains("readonly"),
        "email and allowlist are locked"
    );
    assert!(dialog.contains("Only the Owner can change the Owner"));
    assert!(!dialog.contains("> Active</label>"));
    let owner_role = app.role_id(_org_id, "Owner").await.to_string();
    for (field, value) in [("email", ATTACKER), ("ip_allowlist", "10.0.0.0/8")] {
        let mut fields = edit_fields("Olive", OWNER, &[("role", owner_role.as_str())]);
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let response = app.hx_post(&format!("/users/{owner}/edit"), &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("Only the Owner can change the Owner"));
    }
    for action in ["reset-password", "reset-mfa"] {
        let response = app.hx_post(&format!("/users/{owner}/{action}"), &[]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{action}");
        assert!(toast_of(response.headers())
            .unwrap()
            .starts_with("Only the Owner can change the Owner's"));
    }
    // A profile field is fine.
    let response = app
        .hx_post(
            &format!("/users/{owner}/edit"),
            &edit_fields("Olivia", OWNER, &[("role", owner_role.as_str())]),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(email_of(&app, owner).await, OWNER);
    let ip = app
        .db(move |c| {
            use gatehouse::db::schema::users;
            users::table
                .find(owner)
                .select((users::first_name, users::ip_allowlist))
                .first::<(String, String)>(c)
                .unwrap()
        })
        .await;
    assert_eq!(ip, ("Olivia".to_owned(), String::new()));
}

async fn an_admins_change_of_someones_email_waits_for_the_new_address(app: TestApp) {
    let (org_id, _owner, _adam, _max, ada) = acme(&app).await;
    let agent = app.role_id(org_id, "Agent").await.to_string();
    let response = app
        .hx_post(
            &format!("/users/{ada}/edit"),
            &edit_fields(
                "Ada",
                "ada@new.test",
                &[("active", "1"), ("role", agent.as_str())],
            ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(toast_of(response.headers())
        .unwrap()
        .contains("counts once ada@new.test confirms it"));
    // Nothing changed for sign-in yet; the old address is told.
    assert_eq!(email_of(&app, ada).await, "ada@acme.io");
    app.mail()
        .message_about(
            "ada@acme.io",
            "A change of your Gatehouse email address was requested",
        )
        .await;
    let confirm = app
        .mail()
        .message_about("ada@new.test", "Confirm your new Gatehouse email address")
        .await;
    assert!(confirm
        .raw
        .contains("An administrator of your organization asked"));
    let dialog = app
        .hx_get(&format!("/users/{ada}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Waiting for ada@new.test to confirm"));
    let requested = app
        .audit_details(org_id, "auth.email_change_requested")
        .await;
    assert_eq!(requested[0]["new_email"], "ada@new.test");
    let browser = app.new_browser();
    // Ada opens the link and presses its button: now the new address is hers.
    let link = confirm.link("/email/confirm/").expect("confirm link");
    let page = crate::helpers::page_of(&browser, &link).await;
    crate::helpers::post_from(&browser, &link, &page, &[]).await;
    assert_eq!(email_of(&app, ada).await, "ada@new.test");
}

async fn rows_offer_only_the_actions_the_viewer_may_take(app: TestApp) {
    let (_org_id, owner, adam, max, ada) = acme(&app).await;
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let page = app.get_html("/users?active=0").await.1;
    let row = |id: i64| {
        let start = page.find(&format!("<tr id=\"user-{id}\"")).expect("row");
        let end = page[start..].find("</tr>").unwrap() + start;
        page[start..end].to_owned()
    };
    // The Owner's row: Edit (names), Activity and ticking (for licenses); no Delete, resets
    // or permissions.
    let theirs = row(owner);
    for absent in ["/delete", "/reset-password", "/permissions"] {
        assert!(!theirs.contains(absent), "Owner's row offers {absent}");
    }
    assert!(theirs.contains(&format!("/users/{owner}/edit")));
    // One's own row: Edit only.
    let own = row(adam);
    for absent in ["/delete", "/reset-password", "/permissions"] {
        assert!(!own.contains(absent), "own row offers {absent}");
    }
    // Someone below: everything.
    let below = row(ada);
    for present in [
        "/delete",
        "/reset-password",
        "/permissions",
        "/edit",
        "name=\"ids\"",
    ] {
        assert!(below.contains(present), "Agent's row lacks {present}");
    }
    // A Manager with users.manage sees no action on the Admin's row, all on the Agent's.
    app.logout().await;
    app.login_as("max@acme.io", PASSWORD).await;
    let page = app.get_html("/users?active=0").await.1;
    let start = page.find(&format!("<tr id=\"user-{adam}\"")).unwrap();
    let admin_row = &page[start..start + page[start..].find("</tr>").unwrap()];
    for absent in [
        "/edit",
        "/delete",
        "/reset-password",
        "/permissions",
        "name=\"ids\"",
    ] {
        assert!(
            !admin_row.contains(absent),
            "Admin's row offers {absent} to Max"
        );
    }
    let start = page.find(&format!("<tr id=\"user-{ada}\"")).unwrap();
    let agent_row = &page[start..start + page[start..].find("</tr>").unwrap()];
    assert!(agent_row.contains("/edit") && agent_row.contains("/delete"));
    let _ = max;
}

async fn a_deactivated_user_is_offline_at_once(app: TestApp) {
    let (_org_id, _owner, _adam, _max, ada) = acme(&app).await;
    // Ada works in her own browser: online.
    let (browser, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    browser.get(app.url("/account")).send().await.unwrap();
    let online = |page: &str| {
        let start = page.find(&format!("<tr id=\"user-{ada}\"")).unwrap();
        page[start..start + page[start..].find("</tr>").unwrap()].contains("presence online")
    };
    assert!(online(&app.get_html("/users").await.1));
    let response = app.hx_post(&format!("/users/{ada}/deactivate"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!online(&app.get_html("/users?active=0").await.1));
}
