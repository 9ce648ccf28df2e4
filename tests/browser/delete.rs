//! Records imported on their page, then Delete from a row's menu: the dialog says it cannot
//! be undone and what the person owns, the records go to another active user picked by email
//! (suggested as it is typed), and the row leaves the list; Deactivate instead, from the same
//! dialog, for someone else.

use crate::harness::{Browser, In, Suite};
use crate::helpers::{Backend, Person, PASSWORD};
use crate::invite::user_management;

#[actix_web::test]
async fn delete_hands_the_records_to_another_user_or_deactivates_instead() {
    let Some(suite) = Suite::start(
        "delete_hands_the_records_to_another_user_or_deactivates_instead",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let app = &suite.app;
    let org_id = app.setup_first_org("Acme", "olive@acme.test").await;
    let agent = |first, last, email| Person {
        first,
        last,
        email,
        status: "active",
        roles: &["Agent"],
        active_minutes_ago: Some(15),
    };
    let ids = app
        .add_people(
            org_id,
            vec![
                agent("Bea", "Baker", "bea@acme.test"),
                agent("Carl", "Clark", "carl@acme.test"),
                agent("Dan", "Dorsey", "dan@acme.test"),
            ],
        )
        .await;
    let bea = ids[0];
    app.add_records(org_id, bea, "contact", 3).await;
    app.add_records(org_id, bea, "lead", 1).await;
    app.give_license(bea, app.product_id(org_id, "Dialer").await)
        .await;
    let browser = suite.browser().await;
    browser.sign_in(app, "olive@acme.test", PASSWORD).await;
    browser.goto("/users").await;
    user_management(&browser).await;

    // Import records: a wrong line is reported and nothing imported; then one client for Bea.
    browser.click(In::Page, "Import records").await;
    browser
        .wait_for(
            "the import page",
            "//h1[normalize-space(.)='Import records']",
        )
        .await;
    browser.axe("the Import records page").await;
    browser
        .fill(In::Page, "CSV lines", "client,K-1001,nobody@acme.test")
        .await;
    browser.click(In::Page, "Import").await;
    browser
        .sees("Nothing was imported: 1 line needs attention.")
        .await;
    browser
        .axe("the Import records page with a wrong line")
        .await;
    browser
        .fill(In::Page, "CSV lines", "client,K-1001,bea@acme.test")
        .await;
    browser.click(In::Page, "Import").await;
    browser
        .sees("Imported 1 record: 1 new, 0 with a new owner, 0 already as listed.")
        .await;
    browser.axe("the Import records page after an import").await;
    browser.click(In::Page, "Back to User Management").await;
    user_management(&browser).await;
    browser.eval("window.samePage = true; return true;").await;

    // Delete Bea: what she owns, a wrong email refused beside the field, then Carl by email.
    browser.click(In::Page, "More actions for Bea Baker").await;
    browser.click(In::Page, "Delete Bea Baker").await;
    browser.dialog("Delete Bea Baker?").await;
    browser.sees("This cannot be undone.").await;
    browser
        .sees("Bea owns 3 contacts, 1 lead, 1 client. Give them to")
        .await;
    assert!(browser.is_on(In::Dialog, "Another active user").await);
    browser.axe("the Delete dialog").await;
    browser.screenshot("delete-dialog").await;
    browser
        .fill(In::Dialog, "Email of the new owner", "nobody@acme.test")
        .await;
    browser.click(In::Dialog, "Delete user").await;
    browser
        .wait_for(
            "the error beside the new owner's email",
            "//dialog[@open]//*[contains(@class, 'field-error')]",
        )
        .await;
    browser.axe("the Delete dialog with a wrong email").await;
    browser
        .fill(In::Dialog, "Email of the new owner", "car")
        .await;
    browser
        .wait_present(
            "Carl among the suggestions",
            "//dialog[@open]//datalist/option[@value='carl@acme.test']",
        )
        .await;
    browser
        .field(In::Dialog, "Email of the new owner")
        .await
        .send_keys("l@acme.test")
        .await
        .unwrap();
    browser.click(In::Dialog, "Delete user").await;
    browser
        .toast("bea@acme.test was deleted. 5 records went to carl@acme.test.")
        .await;
    browser.no_dialog().await;
    browser
        .wait_gone(
            "Bea's row to leave the list",
            &Browser::row_xpath("bea@acme.test"),
        )
        .await;
    assert_eq!(
        browser.eval("return window.samePage === true;").await,
        true,
        "the row left without reloading the page"
    );
    let carl = ids[1];
    assert!(
        app.record_owners(org_id)
            .await
            .iter()
            .all(|owner| *owner == Some(carl)),
        "every record is Carl's now"
    );

    // Dan owns nothing; Deactivate instead keeps him, Inactive.
    browser.click(In::Page, "More actions for Dan Dorsey").await;
    browser.click(In::Page, "Delete Dan Dorsey").await;
    browser.dialog("Delete Dan Dorsey?").await;
    browser
        .sees("Dan owns no contacts, leads or clients.")
        .await;
    browser.click(In::Dialog, "Deactivate instead").await;
    browser
        .toast("The user was deactivated: signed out, and their licenses were released.")
        .await;
    browser.no_dialog().await;
    browser
        .wait_gone(
            "Dan's row to leave the active-only list",
            &Browser::row_xpath("dan@acme.test"),
        )
        .await;
    browser
        .set_check(In::Page, "Show Only Active Users", false)
        .await;
    let row = browser.row("dan@acme.test").await.text().await.unwrap();
    assert!(row.contains("Inactive"), "{row}");
    browser.close().await;
}
