//! The Activity page: events of each kind of change with readable before/after, filters and
//! keyset paging, one user's activity, permissions, fragments.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both;
use crate::helpers::{assert_redirect_to, link_rel, Person, TestApp, PASSWORD};

both!(
    sign_ins_and_failed_sign_ins_are_listed_newest_first_with_labels,
    an_edit_shows_its_before_and_after_and_a_refused_edit_writes_nothing,
    settings_invites_and_mfa_changes_read_as_summaries,
    filters_narrow_by_actor_target_action_dates_and_search,
    paging_walks_every_event_once_without_gaps_or_repeats,
    a_users_activity_shows_them_as_actor_and_as_target,
    agents_are_refused_and_visitors_are_sent_to_sign_in,
    htmx_gets_only_the_table_and_plain_requests_the_whole_page,
);

pub fn person(first: &'static str, email: &'static str, roles: &'static [&'static str]) -> Person {
    Person {
        first,
        last: "Example",
        email,
        status: "active",
        roles,
        active_minutes_ago: Some(30),
    }
}

/// The `<tr id="event-…">` rows of a page, in order.
pub fn rows_of(html: &str) -> Vec<String> {
    html.split("<tr id=\"event-")
        .skip(1)
        .map(|rest| rest.split("</tr>").next().unwrap_or("").to_owned())
        .collect()
}

fn ids_of(html: &str) -> Vec<i64> {
    rows_of(html)
        .iter()
        .filter_map(|row| row.split('"').next()?.parse().ok())
        .collect()
}

async fn sign_ins_and_failed_sign_ins_are_listed_newest_first_with_labels(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(org_id, vec![person("Ada", "ada@acme.io", &["Agent"])])
        .await;
    let stranger = app.new_browser();
    let refused = app
        .submit_page_form(
            &stranger,
            "/login",
            &[("email", "ada@acme.io"), ("password", "not the password")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, signed_in) = app.browser_login("ada@acme.io", PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let (status, page) = app.get_html("/activity").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<h1>Activity</h1>") && page.contains("aria-current=\"page\""));
    let rows = rows_of(&page);
    assert!(
        rows[0].contains(">Signed in<") && rows[0].contains("ada@acme.io"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains(">Sign-in failed<") && rows[1].contains("Reason: wrong password"),
        "{}",
        rows[1]
    );
    assert!(rows[0].contains("<time datetime=\"") && rows[0].contains("title=\""));
    assert!(rows[0].contains("Just now"));
    assert!(rows[0].contains("127.0.0.1"), "the IP is shown");
    // The actor links to their own activity.
    assert!(rows[0].contains("href=\"/activity?user="));
}

/// The Edit User dialog's fields as a form, with `changes` applied.
async fn edit_fields(app: &TestApp, id: i64, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let dialog = app
        .hx_get(&format!("/users/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_fragment(&dialog);
    let inputs = scraper::Selector::parse("input, select, textarea").unwrap();
    let selected = scraper::Selector::parse("option[selected]").unwrap();
    let mut fields = Vec::new();
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
                .select(&selected)
                .next()
                .and_then(|o| o.value().attr("value"))
                .unwrap_or("")
                .to_owned(),
            "textarea" => element.text().collect(),
            _ => e.attr("value").unwrap_or("").to_owned(),
        };
        fields.push((name.to_owned(), value));
    }
    fields.extend(changes.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    fields
}

async fn post_edit(app: &TestApp, id: i64, fields: &[(String, String)]) -> reqwest::Response {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.hx_post(&format!("/users/{id}/edit"), &borrowed).await
}

/// How many events the organization has.
pub async fn event_count(app: &TestApp, org_id: i64) -> usize {
    app.db(move |c| {
        use gatehouse::db::schema::audit_events;
        audit_events::table
            .filter(audit_events::org_id.eq(org_id))
            .count()
            .get_result::<i64>(c)
            .unwrap() as usize
    })
    .await
}

async fn an_edit_shows_its_before_and_after_and_a_refused_edit_writes_nothing(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada = app
        .add_people(org_id, vec![person("Ada", "ada@acme.io", &["Agent"])])
        .await[0];
    let fields = edit_fields(&app, ada, &[("phone", "+44 20 7946 0000")]).await;
    assert_eq!(post_edit(&app, ada, &fields).await.status(), StatusCode::OK);
    let updated = app.audit_details(org_id, "user.updated").await;
    assert_eq!(updated[0]["before"]["phone"], "");
    assert_eq!(updated[0]["after"]["phone"], "+44 20 7946 0000");
    assert_eq!(
        updated[0]["after"].as_object().unwrap().len(),
        1,
        "only what changed"
    );
    let (_, page) = app.get_html("/activity").await;
    let row = &rows_of(&page)[0];
    assert!(row.contains(">User updated<") && row.contains("ada@acme.io"));
    assert!(row.contains("Phone: none → +44 20 7946 0000"), "{row}");

    // Refused: a stale dialog, then a validation error. Neither writes an event.
    let before = event_count(&app, org_id).await;
    let stale = post_edit(&app, ada, &fields).await;
    assert!(
        stale.status().is_client_error(),
        "a stale dialog is refused"
    );
    let fresh = edit_fields(&app, ada, &[("email", "not an email")]).await;
    assert_eq!(
        post_edit(&app, ada, &fresh).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(event_count(&app, org_id).await, before, "nothing written");
}

async fn settings_invites_and_mfa_changes_read_as_summaries(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let response = app
        .post_form(
            "/settings",
            &[("signup_domains", ""), ("invite_days", "14")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed = app.audit_details(org_id, "org.settings_changed").await;
    assert_eq!(changed[0]["before"]["invite_days"], 7);
    assert_eq!(changed[0]["after"]["invite_days"], 14);
    // An invitation.
    assert_eq!(
        app.hx_post("/users/auto-signup", &[("allow", "0")])
            .await
            .status(),
        StatusCode::OK
    );
    let (agent, dialer) = app
        .db(move |c| {
            use gatehouse::db::schema::products;
            let agent = gatehouse::users::store::role_id_by_name(c, org_id, "Agent").unwrap();
            let dialer: i64 = products::table
                .filter(products::org_id.eq(org_id))
                .filter(products::name.eq("Dialer"))
                .select(products::id)
                .first(c)
                .unwrap();
            (agent.to_string(), dialer.to_string())
        })
        .await;
    let invited = app
        .hx_post(
            "/users/invite",
            &[
                ("first_name_0", "Ivy"),
                ("last_name_0", "Example"),
                ("email_0", "ivy@acme.io"),
                ("role_0", agent.as_str()),
                ("product_0", dialer.as_str()),
            ],
        )
        .await;
    assert_eq!(invited.status(), StatusCode::OK);
    // An authenticator app.
    app.get_html("/account").await;
    let response = app
        .post_form("/account/mfa/totp", &[("mfa_password", PASSWORD)])
        .await;
    assert_redirect_to(&response, "/account/mfa/totp");
    let (_, page) = app.get_html("/account/mfa/totp").await;
    let secret: String = page
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .replace(' ', "");
    let now = app.state.clock.now().and_utc().timestamp();
    let code = gatehouse::mfa::codes::totp_code(&secret, now).unwrap();
    let response = app
        .post_form("/account/mfa/totp/confirm", &[("code", &code)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let (_, page) = app.get_html("/activity").await;
    let rows = rows_of(&page);
    let find = |label: &str| {
        rows.iter()
            .find(|r| r.contains(&format!(">{label}<")))
            .unwrap_or_else(|| panic!("no {label} row in {page}"))
            .clone()
    };
    assert!(find("Authenticator app set up").contains("olive@acme.io"));
    assert!(find("User invited").contains("ivy@acme.io"));
    assert!(find("Automatic sign-up changed").contains("olive@acme.io"));
    let settings = find("Settings changed");
    assert!(
        settings.contains("Invite days: 7 → 14")
            && settings.contains("Sign-up domains: acme.io → none"),
        "{settings}"
    );
}

async fn filters_narrow_by_actor_target_action_dates_and_search(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                person("Ada", "ada@acme.io", &["Agent"]),
                person("Bob", "bob@acme.io", &["Agent"]),
            ],
        )
        .await;
    let (ada, bob) = (ids[0], ids[1]);
    app.browser_login("ada@acme.io", PASSWORD).await;
    app.browser_login("bob@acme.io", "wrong password here")
        .await;
    let fields = edit_fields(&app, bob, &[("phone", "555-0199")]).await;
    assert_eq!(post_edit(&app, bob, &fields).await.status(), StatusCode::OK);

    let actions_of = |page: &str| -> Vec<String> {
        rows_of(page)
            .iter()
            .map(|r| {
                r.split("<span class=\"chip\">")
                    .nth(1)
                    .and_then(|s| s.split('<').next())
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    };
    // Action type.
    let (_, page) = app.get_html("/activity?action=auth.sign_in_failed").await;
    assert_eq!(actions_of(&page), vec!["Sign-in failed"]);
    assert!(page.contains("<option value=\"auth.sign_in_failed\" selected>Sign-in failed</option>"));
    // Actor (by email): Olive's own events only.
    let (_, page) = app.get_html("/activity?actor=OLIVE%40acme.io").await;
    let rows = rows_of(&page);
    assert!(!rows.is_empty() && rows.iter().all(|r| r.contains("olive@acme.io")));
    assert!(!actions_of(&page).contains(&"Sign-in failed".to_owned()));
    // Target: Bob's failed sign-in and his edit.
    let (_, page) = app.get_html("/activity?target=bob%40acme.io").await;
    assert_eq!(actions_of(&page), vec!["User updated", "Sign-in failed"]);
    // Both together.
    let (_, page) = app
        .get_html("/activity?target=bob%40acme.io&actor=olive%40acme.io")
        .await;
    assert_eq!(actions_of(&page), vec!["User updated"]);
    // An email nobody has says so and shows nothing.
    let (_, page) = app.get_html("/activity?actor=nobody%40acme.io").await;
    assert!(rows_of(&page).is_empty());
    assert!(page.contains("Nobody in your organization has the email nobody@acme.io"));
    // Search: a substring of what changed, of an email, of an IP.
    let (_, page) = app.get_html("/activity?q=0199").await;
    assert_eq!(actions_of(&page), vec!["User updated"]);
    let (_, page) = app.get_html("/activity?q=ADA%40ACME").await;
    assert_eq!(actions_of(&page), vec!["Signed in"]);
    let (_, page) = app.get_html("/activity?q=ad").await;
    assert!(page.contains("Search needs at least 3 characters"));
    // Dates, read in the viewer's time zone (UTC here): today is in, yesterday is not.
    let today = app.state.clock.now().date();
    let yesterday = today.pred_opt().unwrap();
    let (_, page) = app
        .get_html(&format!("/activity?from={today}&to={today}"))
        .await;
    assert!(rows_of(&page).len() >= 4);
    let (_, page) = app.get_html(&format!("/activity?to={yesterday}")).await;
    assert!(rows_of(&page).is_empty() && page.contains("No activity matches"));
    let (_, page) = app.get_html("/activity?from=soon").await;
    assert!(page.contains("From is not a date"));
    // Dates follow the viewer's own time zone: far east, "today" in UTC may be tomorrow.
    app.db(move |c| {
        use gatehouse::db::schema::users;
        diesel::update(users::table.filter(users::email.eq("olive@acme.io")))
            .set(users::timezone.eq("Pacific/Kiritimati"))
            .execute(c)
            .unwrap();
    })
    .await;
    let (_, page) = app.get_html(&format!("/activity?to={yesterday}")).await;
    assert!(page.contains("(Pacific/Kiritimati)"));
    let _ = ada;
}

/// Writes `n` sign-in events for the user, straight into the table (test data).
pub async fn many_events(app: &TestApp, org_id: i64, user_id: i64, n: usize) {
    let now = app.state.clock.now();
    app.db(move |c| {
        let actor = gatehouse::audit::Actor::user(user_id, "many@acme.io");
        let meta = gatehouse::audit::Origin::default();
        for i in 0..n {
            gatehouse::audit::record(
                c,
                gatehouse::audit::Event {
                    org_id: Some(org_id),
                    actor: &actor,
                    action: "auth.sign_in",
                    target: Some((user_id, "many@acme.io")),
                    details: serde_json::json!({ "n": i }),
                    meta: &meta,
                },
                now,
            )
            .unwrap();
        }
    })
    .await;
}

async fn paging_walks_every_event_once_without_gaps_or_repeats(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let olive = app.org_owner(org_id).await;
    many_events(&app, org_id, olive, 120).await;
    let total = event_count(&app, org_id).await;
    let (_, first) = app.get_html("/activity").await;
    let page1 = ids_of(&first);
    assert_eq!(page1.len(), 50);
    assert!(link_rel(&first, "prev").is_none());
    let next = link_rel(&first, "next").expect("an older page");
    assert!(!next.contains("offset") && next.contains("after="));
    // New events arrive between the requests: the older pages do not shift.
    many_events(&app, org_id, olive, 3).await;
    let (_, second) = app.get_html(&next).await;
    let page2 = ids_of(&second);
    assert_eq!(page2.len(), 50);
    assert!(page2[0] < *page1.last().unwrap());
    let (_, third) = app.get_html(&link_rel(&second, "next").unwrap()).await;
    let page3 = ids_of(&third);
    assert!(link_rel(&third, "next").is_none());
    let mut all: Vec<i64> = page1.iter().chain(&page2).chain(&page3).copied().collect();
    assert_eq!(
        all.len(),
        total,
        "every event once: the 3 newer ones shift nothing"
    );
    assert!(
        all.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeat"
    );
    all.dedup();
    assert_eq!(all.len(), total);
    // Newer goes back to exactly the page before.
    let (_, back) = app.get_html(&link_rel(&second, "prev").unwrap()).await;
    assert_eq!(ids_of(&back), page1);
    // A tampered cursor is the first page, not an error.
    let (status, page) = app.get_html("/activity?after=!!!").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_of(&page).len(), 50);
}

async fn a_users_activity_shows_them_as_actor_and_as_target(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                person("Ada", "ada@acme.io", &["Agent"]),
                person("Bob", "bob@acme.io", &["Agent"]),
            ],
        )
        .await;
    let ada = ids[0];
    app.browser_login("ada@acme.io", PASSWORD).await; // Ada as actor (and target)
    let fields = edit_fields(&app, ada, &[("phone", "555-0100")]).await;
    post_edit(&app, ada, &fields).await; // Ada as target
    app.browser_login("bob@acme.io", PASSWORD).await; // not Ada's
    let (_, list) = app.get_html("/users").await;
    assert!(list.contains(&format!(
        "<a href=\"/activity?user={ada}\" aria-label=\"Activity of Ada Example\">Activity</a>"
    )));
    let (status, page) = app.get_html(&format!("/activity?user={ada}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Activity of <strong>Ada Example (ada@acme.io)</strong>"));
    let rows = rows_of(&page);
    assert_eq!(rows.len(), 2, "the sign-in once, the edit: {rows:?}");
    assert!(rows[0].contains(">User updated<") && rows[1].contains(">Signed in<"));
    assert!(rows.iter().all(|r| !r.contains("bob@acme.io")));
    // Another organization's user (or nobody) shows nothing.
    let (status, page) = app.get_html("/activity?user=999999").await;
    assert_eq!(status, StatusCode::OK);
    assert!(rows_of(&page).is_empty() && page.contains("is not in your organization (any more)"));
    // A deleted user's past events still show under their id.
    app.db(move |c| {
        use gatehouse::db::schema::users;
        diesel::delete(users::table.find(ada)).execute(c).unwrap();
    })
    .await;
    let (_, page) = app.get_html(&format!("/activity?user={ada}")).await;
    assert_eq!(rows_of(&page).len(), 2);
    assert!(page.contains("is not in your organization (any more)"));
}

async fn agents_are_refused_and_visitors_are_sent_to_sign_in(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(
        org_id,
        vec![
            person("Agnes", "agnes@acme.io", &["Agent"]),
            person("Manny", "manny@acme.io", &["Manager"]),
        ],
    )
    .await;
    app.logout().await;
    for path in ["/activity", "/activity/export.csv"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(crate::helpers::location_of(&response)
            .unwrap()
            .starts_with("/login?next="));
    }
    assert_eq!(
        app.get("/activity/stream").await.status(),
        StatusCode::NO_CONTENT,
        "EventSource stops reconnecting"
    );
    let (agent, _) = app.browser_login("agnes@acme.io", PASSWORD).await;
    for path in ["/activity", "/activity/export.csv", "/activity/stream"] {
        let response = agent.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (manager, _) = app.browser_login("manny@acme.io", PASSWORD).await;
    let response = manager.get(app.url("/activity")).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "Managers have audit.view"
    );
}

async fn htmx_gets_only_the_table_and_plain_requests_the_whole_page(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let response = app.hx_get("/activity?action=auth.sign_in").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("vary").unwrap(), "HX-Request");
    let fragment = response.text().await.unwrap();
    assert!(fragment
        .trim_start()
        .starts_with("<div id=\"activity-table\""));
    assert!(!fragment.contains("<html"));
    let (_, page) = app.get_html("/activity?action=auth.sign_in").await;
    assert!(page.contains("<html") && page.contains("hx-push-url=\"true\""));
    assert!(
        page.contains("method=\"get\" action=\"/activity\""),
        "works without JS"
    );
    assert!(page.contains(">Live</span>"));
    assert!(page.contains("data-stream=\"/activity/stream?action=auth.sign_in\""));
}
