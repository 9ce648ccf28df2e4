//! Live updates between two browsers: the Owner watches while an Admin works in a browser of
//! her own. Her online dot on User Management turns on as she opens the console and off when
//! she closes it; with Activity's Live on, her edit appears at the top without a reload.

use diesel::prelude::*;

use crate::harness::{lit, Browser, In, Suite};
use crate::helpers::{Backend, Person, PASSWORD};
use crate::invite::user_management;

const OWNER: &str = "olive@acme.test";
const ADMIN: &str = "amara@acme.test";

/// The green dot in the avatar of `email`'s row.
fn online_dot(email: &str) -> String {
    format!(
        "{}//span[contains(concat(' ', normalize-space(@class), ' '), ' presence ')]\
         [contains(concat(' ', normalize-space(@class), ' '), ' online ')]",
        Browser::row_xpath(email)
    )
}

async fn same_page(browser: &Browser) -> bool {
    browser.eval("return window.samePage === true;").await == true
}

#[actix_web::test]
async fn live_activity_and_the_online_dot_follow_another_browser() {
    let Some(suite) = Suite::start_live(
        "live_activity_and_the_online_dot_follow_another_browser",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let app = &suite.app;
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let person = |first, last, email, roles| Person {
        first,
        last,
        email,
        status: "active",
        roles,
        active_minutes_ago: Some(60),
    };
    app.add_people(
        org_id,
        vec![
            person("Amara", "Okafor", ADMIN, &["Admin"][..]),
            person("Bea", "Baker", "bea@acme.test", &["Agent"]),
        ],
    )
    .await;
    let owner = suite.browser().await;
    owner.sign_in(app, OWNER, PASSWORD).await;
    owner.goto("/users").await;
    user_management(&owner).await;
    owner.eval("window.samePage = true; return true;").await;
    assert!(
        owner.visible(&online_dot(ADMIN)).await.is_none(),
        "Amara is not online yet"
    );

    // Amara opens the console in her own browser: her dot turns on without a reload.
    let admin = suite.browser().await;
    admin.sign_in(app, ADMIN, PASSWORD).await;
    admin.goto("/users").await;
    user_management(&admin).await;
    owner
        .wait_for("Amara's online dot to turn on", &online_dot(ADMIN))
        .await;
    assert!(
        same_page(&owner).await,
        "the dot turned on without a reload"
    );

    // The Owner's Activity, Live on; Amara edits Bea, and the event arrives at the top.
    owner.click(In::Page, "Activity").await;
    owner
        .wait_for("the Activity page", "//h1[normalize-space(.)='Activity']")
        .await;
    owner.settled().await;
    owner.axe("Activity").await;
    owner.set_check(In::Page, "Live", true).await;
    owner.sees("Live: new events appear at the top.").await;
    owner.eval("window.samePage = true; return true;").await;
    owner.axe("Activity in live mode").await;

    admin.click(In::Page, "Edit Bea Baker").await;
    admin.dialog("Edit User").await;
    admin.fill(In::Dialog, "Phone", "+44 20 7946 0000").await;
    admin.click(In::Dialog, "Save").await;
    admin
        .toast("User details have been updated successfully!")
        .await;
    let newest = "//table[contains(@class, 'activity')]/tbody/tr[1]";
    let row = owner
        .wait_for(
            "Amara's edit at the top of the list",
            &format!(
                "{newest}[.//*[normalize-space(.)='User updated']][.//a[normalize-space(.)={}]]",
                lit(ADMIN)
            ),
        )
        .await;
    let text = row.text().await.unwrap();
    assert!(
        text.contains("bea@acme.test") && text.contains("Phone: none → +44 20 7946 0000"),
        "who, to whom and what changed: {text}"
    );
    assert!(same_page(&owner).await, "the event came without a reload");
    owner.axe("Activity with a live event").await;

    // "Just now" does not stay: back on the tab three minutes later, the row says so.
    let when = format!("{newest}/td[1]/time");
    owner
        .wait_for(
            "the new event's time",
            &format!("{when}[normalize-space(.)='Just now']"),
        )
        .await;
    owner
        .eval(
            "window.realNow = Date.now; var later = Date.now() + 185000; \
             Date.now = function () { return later; }; \
             document.dispatchEvent(new Event('visibilitychange')); return true;",
        )
        .await;
    owner
        .wait_for(
            "the time to move on",
            &format!("{when}[normalize-space(.)='3 minutes ago']"),
        )
        .await;
    owner.eval("Date.now = window.realNow; return true;").await;

    // The picture: the page as it loads (live on), not mid-highlight of the new row.
    owner.reload().await;
    owner.wait_for("the newest event", newest).await;
    owner.sees("Live: new events appear at the top.").await;
    owner.screenshot("activity").await;

    // Her requests are long past: only her open console keeps her online now.
    let long_ago = app.state.clock.now() - chrono::Duration::minutes(10);
    app.db(move |c| {
        use gatehouse::db::schema::users;
        diesel::update(users::table.filter(users::email.eq(ADMIN)))
            .set(users::last_active_at.eq(Some(long_ago)))
            .execute(c)
            .expect("last active")
    })
    .await;
    owner.click(In::Page, "User Management").await;
    user_management(&owner).await;
    owner.eval("window.samePage = true; return true;").await;
    owner
        .wait_for("Amara online through her open console", &online_dot(ADMIN))
        .await;

    // She closes her browser: the dot turns off within seconds, without a reload.
    admin.close().await;
    owner
        .wait_gone("Amara's online dot to turn off", &online_dot(ADMIN))
        .await;
    assert!(
        same_page(&owner).await,
        "the dot turned off without a reload"
    );
    owner.close().await;
}
