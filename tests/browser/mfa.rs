//! Two-step verification with an authenticator app: set up from My account (the key shown
//! beside the QR code, typed into an "app" that is the test computing the code), the recovery
//! codes, and signing in with each.

use fantoccini::Locator;

use crate::harness::{In, Suite};
use crate::helpers::{Backend, PASSWORD};
use crate::invite::user_management;

const OWNER: &str = "olive@acme.test";
const SECTION: In = In::Section("Two-step verification");

#[actix_web::test]
async fn an_owner_sets_up_an_authenticator_app_and_signs_in_with_it() {
    let Some(suite) = Suite::start(
        "an_owner_sets_up_an_authenticator_app_and_signs_in_with_it",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let app = &suite.app;
    app.setup_first_org("Acme", OWNER).await;
    let browser = suite.browser().await;
    // The Owner's role requires a second step: until an app is set up, it is an emailed code.
    browser.sign_in(app, OWNER, PASSWORD).await;
    browser.click(In::Page, "My account").await;
    let section = browser
        .wait_for(
            "the two-step verification section",
            "//section[h2[normalize-space(.)='Two-step verification']]",
        )
        .await;
    assert!(section.text().await.unwrap().contains("Off"));
    browser.fill(SECTION, "Current password", PASSWORD).await;
    browser.click(SECTION, "Set up authenticator app").await;

    browser
        .wait_for(
            "the set-up page",
            "//h1[normalize-space(.)='Set up an authenticator app']",
        )
        .await;
    browser.axe("the authenticator set-up page").await;
    let key: String = browser
        .wait_for(
            "the key to type into the app",
            "//code[contains(@class, 'secret')]",
        )
        .await
        .text()
        .await
        .unwrap()
        .split_whitespace()
        .collect();
    let code = app_code(&suite, &key, 0);
    browser.fill(In::Page, "Verification code", &code).await;
    browser.click(In::Page, "Turn on").await;

    browser
        .wait_for(
            "the recovery codes",
            "//h1[normalize-space(.)='Your recovery codes']",
        )
        .await;
    browser.axe("the recovery codes page").await;
    let mut recovery = Vec::new();
    for cell in browser
        .client
        .find_all(Locator::Css("ul.recovery-codes code"))
        .await
        .unwrap()
    {
        recovery.push(cell.text().await.unwrap());
    }
    assert_eq!(recovery.len(), 10, "{recovery:?}");
    browser.click(In::Page, "I have saved my codes").await;
    browser.sees("10 of 10 recovery codes left").await;
    browser
        .axe("My account's two-step section with an app set up")
        .await;
    // Changes to it ask for the password first: a wrong one is refused beside the field.
    browser
        .fill(SECTION, "Current password", "not my password")
        .await;
    browser.click(SECTION, "New recovery codes").await;
    browser
        .wait_for(
            "the wrong password refused",
            "//section[h2[normalize-space(.)='Two-step verification']]//*[@id='mfa_password-error']",
        )
        .await;
    browser
        .axe("My account's two-step section with a wrong password")
        .await;

    // Signing in now asks for the app's code, and no code is emailed. (The code used to set
    // the app up cannot be used again: this one is for the next 30-second step.)
    browser.sign_out().await;
    let seen = app.mail().received().len();
    assert!(browser.submit_password(OWNER, PASSWORD).await);
    browser.sees("Open your authenticator app").await;
    browser.axe("the authenticator sign-in step").await;
    browser.enter_code(&app_code(&suite, &key, 30)).await;
    user_management(&browser).await;
    assert!(
        app.mail().received()[seen..]
            .iter()
            .all(|m| !m.subject().contains("sign-in code")),
        "no code is emailed once an authenticator app is set up"
    );

    // A recovery code works once in place of the app.
    browser.sign_out().await;
    assert!(browser.submit_password(OWNER, PASSWORD).await);
    browser.enter_code(&recovery[0]).await;
    user_management(&browser).await;
    browser.click(In::Page, "My account").await;
    browser.sees("9 of 10 recovery codes left").await;
    browser.close().await;
}

/// The code the authenticator app shows `ahead` seconds from the app's now.
fn app_code(suite: &Suite, key: &str, ahead: i64) -> String {
    let now = suite.app.state.clock.now().and_utc().timestamp();
    gatehouse::mfa::codes::totp_code(key, now + ahead).expect("a valid key")
}
