//! Changing one's email address on My account: nothing changes until the link sent to the new
//! address is opened (here in a browser of its own, as on a phone), then it signs in.

use crate::harness::{In, Suite};
use crate::helpers::{Backend, PASSWORD};

const OWNER: &str = "olive@acme.test";
const NEW: &str = "olive.owner@acme-mail.test";
const SECTION: In = In::Section("Change email");

#[actix_web::test]
async fn a_new_email_address_counts_once_its_link_is_opened() {
    let Some(suite) = Suite::start(
        "a_new_email_address_counts_once_its_link_is_opened",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let app = &suite.app;
    app.setup_first_org("Acme", OWNER).await;
    let browser = suite.browser().await;
    browser.sign_in(app, OWNER, PASSWORD).await;
    browser.click(In::Page, "My account").await;
    browser
        .wait_for("My account", "//h1[normalize-space(.)='My account']")
        .await;
    browser.fill(SECTION, "New email address", NEW).await;
    browser.fill(SECTION, "Current password", PASSWORD).await;
    browser.click(SECTION, "Change email").await;
    browser
        .sees("Check the inbox of your new address: your email address changes when you open the link we sent there.")
        .await;
    browser.sees("Waiting for confirmation").await;
    browser.axe("My account with an email change waiting").await;

    let link = app
        .mail()
        .message_about(NEW, "Confirm your new Gatehouse email address")
        .await
        .link("/email/confirm/")
        .expect("the message has a link");
    let phone = suite.browser().await;
    phone.goto(&link).await;
    phone
        .wait_for(
            "the confirmation page",
            "//h1[normalize-space(.)='Confirm your new email address']",
        )
        .await;
    phone.sees(NEW).await;
    phone.axe("the email confirmation page").await;
    phone.click(In::Page, "Confirm new email address").await;
    phone
        .wait_for(
            "the change to be done",
            "//h1[normalize-space(.)='Your email address is changed']",
        )
        .await;
    phone.axe("the changed email page").await;
    phone.close().await;

    // Her console carries on under the new address, which now signs in.
    browser.reload().await;
    browser.sees(NEW).await;
    assert!(
        browser
            .visible("//*[contains(normalize-space(.), 'Waiting for confirmation')]")
            .await
            .is_none(),
        "nothing waits any more"
    );
    browser.sign_out().await;
    browser.sign_in(app, NEW, PASSWORD).await;
    browser.click(In::Page, "My account").await;
    browser.sees(NEW).await;
    browser.close().await;
}
