//! Bulk actions on User Management: ticked rows get a license after a confirmation that
//! counts them; more users than seats left are refused before anything changes; and "Select
//! all users matching this filter" reaches the users of every page of a search.

use crate::harness::{lit, Browser, In, Suite};
use crate::helpers::{Backend, Person, PASSWORD};
use crate::invite::user_management;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// What the bulk bar says is selected ("2", "All 55").
async fn selected(browser: &Browser) -> String {
    browser
        .wait_for("the bulk selection count", "//*[@data-bulk-count]")
        .await
        .text()
        .await
        .unwrap_or_default()
}

async fn until_selected(browser: &Browser, count: &str) {
    browser
        .until(&format!("the bulk bar to say {count} selected"), || async {
            (selected(browser).await == count).then_some(())
        })
        .await
}

/// The row of `email` shows a chip saying `chip` (a role or a license).
async fn row_has_chip(browser: &Browser, email: &str, chip: &str) {
    browser
        .wait_for(
            &format!("the {chip} chip in the row of {email}"),
            &format!(
                "{}//span[contains(@class, 'chip')][normalize-space(.)={}]",
                Browser::row_xpath(email),
                lit(chip)
            ),
        )
        .await;
}

#[actix_web::test]
async fn bulk_actions_change_the_ticked_rows_and_every_page_of_a_filter() {
    let Some(suite) = Suite::start(
        "bulk_actions_change_the_ticked_rows_and_every_page_of_a_filter",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let app = &suite.app;
    let org_id = app.setup_first_org("Acme", "olive@acme.test").await;
    // By last name: Baker, Clark, Member 01..55, Owner; 50 a page.
    let agent = |first, last, email| Person {
        first,
        last,
        email,
        status: "active",
        roles: &["Agent"],
        active_minutes_ago: Some(30),
    };
    let mut people = vec![
        agent("Bea", "Baker", "bea@acme.test"),
        agent("Carl", "Clark", "carl@acme.test"),
    ];
    people.extend((1..=55).map(|n| {
        agent(
            "Pat",
            leak(format!("Member {n:02}")),
            leak(format!("member-{n:02}@acme.test")),
        )
    }));
    app.add_people(org_id, people).await;
    let browser = suite.browser().await;
    browser.sign_in(app, "olive@acme.test", PASSWORD).await;
    browser.goto("/users").await;
    user_management(&browser).await;
    browser.eval("window.samePage = true; return true;").await;
    assert_eq!(selected(&browser).await, "0");

    // Two rows ticked, Assign license Dialer, Apply…: the dialog counts them; Confirm.
    browser
        .checkbox(In::Page, "Select Bea Baker")
        .await
        .click()
        .await
        .unwrap();
    browser
        .checkbox(In::Page, "Select Carl Clark")
        .await
        .click()
        .await
        .unwrap();
    until_selected(&browser, "2").await;
    browser
        .choose(In::Page, "Bulk action", "Assign license Dialer")
        .await;
    browser.click(In::Page, "Apply…").await;
    browser.dialog("Assign a Dialer license?").await;
    browser.sees("2 users will change.").await;
    browser.axe("the bulk confirmation").await;
    browser.screenshot("bulk-confirm").await;
    browser.click(In::Dialog, "Confirm").await;
    browser.toast("2 users changed.").await;
    browser.no_dialog().await;
    row_has_chip(&browser, "bea@acme.test", "Dialer").await;
    row_has_chip(&browser, "carl@acme.test", "Dialer").await;
    assert_eq!(
        browser.eval("return window.samePage === true;").await,
        true,
        "the rows changed without reloading the page"
    );
    until_selected(&browser, "0").await;

    // The whole page for the one Dialer seat left: refused, with no Confirm to press.
    browser
        .checkbox(In::Page, "Select all users on this page")
        .await
        .click()
        .await
        .unwrap();
    until_selected(&browser, "50").await;
    browser.click(In::Page, "Apply…").await;
    browser.dialog("Assign a Dialer license?").await;
    browser
        .sees(
            "Assigning Dialer to 48 users needs 48 seats, and only 1 seat is left. \
             Nothing was assigned",
        )
        .await;
    assert!(
        !browser.has_button(In::Dialog, "Confirm").await,
        "a refused bulk action offers no Confirm"
    );
    browser.axe("the refused bulk action").await;
    browser.click(In::Dialog, "Cancel").await;
    browser.no_dialog().await;

    // A search of two pages, every match selected, a role for all of them.
    browser.fill(In::Page, "Search User", "member").await;
    browser
        .wait_gone(
            "the search to narrow the list",
            &Browser::row_xpath("bea@acme.test"),
        )
        .await;
    browser.row("member-01@acme.test").await;
    browser
        .click(In::Page, "Select all users matching this filter")
        .await;
    browser
        .sees("All 55 users matching this filter are selected.")
        .await;
    until_selected(&browser, "All 55").await;
    browser
        .axe("User Management with every match selected")
        .await;
    browser
        .choose(In::Page, "Bulk action", "Assign role Manager")
        .await;
    browser.click(In::Page, "Apply…").await;
    browser.dialog("Assign the role Manager?").await;
    browser.sees("55 users will change.").await;
    browser.click(In::Dialog, "Confirm").await;
    browser.toast("55 users changed.").await;
    browser.no_dialog().await;
    row_has_chip(&browser, "member-01@acme.test", "Manager").await;
    browser.click(In::Page, "Next").await;
    row_has_chip(&browser, "member-55@acme.test", "Manager").await;
    assert!(
        browser.path().await.contains("q=member"),
        "page 2 of the same search"
    );
    browser.close().await;
}
