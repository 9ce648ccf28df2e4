//! Settings → API tokens: a token made (its secret shown once), then revoked after a
//! confirmation; My account links to one's own tokens.

use crate::edit::org_with_people;
use crate::harness::{In, Suite};
use crate::helpers::Backend;

#[actix_web::test]
async fn an_api_token_is_made_shown_once_and_revoked_after_a_confirmation() {
    let Some(suite) = Suite::start(
        "an_api_token_is_made_shown_once_and_revoked_after_a_confirmation",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let (_, browser) = org_with_people(&suite).await;
    browser.goto("/settings/api-tokens").await;
    browser.fill(In::Page, "Name", "Okta").await;
    browser
        .tick_in(In::Page, "Scopes", "SCIM provisioning")
        .await;
    browser.click(In::Page, "Create token").await;
    browser.sees("Token “Okta” created").await;
    browser.sees("Copy it now: it is shown this once").await;
    browser.axe("Settings → API tokens with a new token").await;
    browser.goto("/settings/api-tokens").await;
    browser.sees("The organization's tokens").await;
    browser.click(In::Page, "Revoke Okta").await;
    browser.dialog("Revoke the token “Okta”?").await;
    browser.axe("the revoke token dialog").await;
    browser.click(In::Dialog, "Revoke").await;
    browser.toast("Token “Okta” revoked.").await;
    browser.no_dialog().await;
    browser.sees("Revoked").await;
    browser.goto("/settings/webhooks").await;
    browser
        .fill(
            In::Page,
            "Endpoint URL",
            "https://hooks.example.com/gatehouse",
        )
        .await;
    browser
        .tick_in(In::Page, "Events", "User deactivated")
        .await;
    browser.click(In::Page, "Add webhook").await;
    browser.sees("Webhook added").await;
    browser.axe("Settings → Webhooks").await;
    browser.goto("/account").await;
    browser.click(In::Page, "Personal API tokens").await;
    browser.sees("My API tokens").await;
    browser.axe("My API tokens").await;
    browser.close().await;
}
