//! Single sign-on in a real browser: the Owner's Settings → Sign-in, then someone signing in
//! from a fresh browser with the provider's button (oauth2-mock-server on loopback) and
//! landing in the console.

use crate::edit::org_with_people;
use crate::harness::{In, Suite};
use crate::helpers::Backend;
use crate::idp::{add_provider, Idp};

#[actix_web::test]
async fn signing_in_with_the_providers_button_lands_in_the_console() {
    let Some(suite) = Suite::start(
        "signing_in_with_the_providers_button_lands_in_the_console",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let Some(mut idp) = Idp::start() else { return };
    let (org_id, owner) = org_with_people(&suite).await;
    add_provider(&suite.app, org_id, &idp).await;
    owner.goto("/settings/sign-in").await;
    owner.sees("Identity providers").await;
    owner.sees("Acme ID").await;
    owner.axe("Settings → Sign-in").await;
    owner.screenshot("settings-sign-in").await;

    let browser = suite.browser().await;
    browser.goto("/login?org=acme").await;
    browser.sees("Sign in with Acme ID").await;
    browser
        .axe("the sign-in page with a provider's button")
        .await;
    browser.screenshot("sign-in-sso").await;
    idp.person("acme|bea", "bea@acme.test");
    browser.click(In::Page, "Sign in with Acme ID").await;
    browser
        .until("the console after the provider", || async {
            (browser.path().await == "/account").then_some(())
        })
        .await;
    browser.sees("Linked to Acme ID as bea@acme.test").await;
    browser
        .axe("My account after signing in with the provider")
        .await;
    browser.close().await;
    owner.close().await;
}
