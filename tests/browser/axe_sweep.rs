//! axe-core on the pages and dialogs no other flow opens: the confirmations of Reset Password,
//! Reset MFA, Unblock user, Resend invite and Revoke invite, and the public pages of forgot
//! password, reset, sign-up, the unblock link and an expired password.

use diesel::prelude::*;

use crate::harness::{In, Suite};
use crate::helpers::{Backend, Person, PASSWORD};
use crate::invite::user_management;

const OWNER: &str = "olive@acme.test";

#[actix_web::test]
async fn pages_and_dialogs_no_other_flow_opens_pass_axe() {
    let Some(suite) = Suite::start(
        "pages_and_dialogs_no_other_flow_opens_pass_axe",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let app = &suite.app;
    let org_id = app.setup_first_org("Acme", OWNER).await;
    let person = |first, last, email, status| Person {
        first,
        last,
        email,
        status,
        roles: &["Agent"],
        active_minutes_ago: Some(5),
    };
    app.add_people(
        org_id,
        vec![
            person("Bea", "Baker", "bea@acme.test", "active"),
            person("Carl", "Clark", "carl@acme.test", "active"),
            person("Dan", "Dunn", "dan@acme.test", "active"),
            person("Pia", "Pending", "pia@acme.test", "invited"),
        ],
    )
    .await;
    let long_ago = app.state.clock.now() - chrono::Duration::days(200);
    app.db(move |c| {
        use gatehouse::db::schema::users;
        diesel::update(users::table.filter(users::email.eq("bea@acme.test")))
            .set(users::totp_secret.eq(Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")))
            .execute(c)
            .unwrap();
        diesel::update(users::table.filter(users::email.eq("dan@acme.test")))
            .set(users::password_changed_at.eq(Some(long_ago)))
            .execute(c)
            .unwrap();
    })
    .await;
    // Carl blocks himself the usual way: six wrong passwords, more than 5 (an unblock link is
    // emailed).
    let http = app.new_browser();
    for _ in 0..6 {
        app.submit_page_form(
            &http,
            "/login",
            &[
                ("email", "carl@acme.test"),
                ("password", "not his password"),
            ],
        )
        .await;
    }

    let owner = suite.browser().await;
    owner.sign_in(app, OWNER, PASSWORD).await;
    owner.goto("/users").await;
    user_management(&owner).await;
    let confirmations = [
        (
            Some("Bea Baker"),
            "Reset password of Bea Baker",
            "Reset password?",
        ),
        (Some("Bea Baker"), "Reset MFA of Bea Baker", "Reset MFA?"),
        (
            Some("Pia Pending"),
            "Revoke invite of Pia Pending",
            "Revoke invite?",
        ),
        (None, "Unblock user Carl Clark", "Unblock user?"),
        (None, "Resend invite to Pia Pending", "Resend invite?"),
    ];
    for (menu, button, title) in confirmations {
        if let Some(name) = menu {
            owner
                .click(In::Page, &format!("More actions for {name}"))
                .await;
        }
        owner.click(In::Page, button).await;
        owner.dialog(title).await;
        owner.axe(title).await;
        owner.click(In::Dialog, "Cancel").await;
        owner.no_dialog().await;
    }
    // Reset Password's other way: the temporary password, shown once in the dialog.
    owner.click(In::Page, "More actions for Bea Baker").await;
    owner.click(In::Page, "Reset password of Bea Baker").await;
    owner.dialog("Reset password?").await;
    owner.click(In::Dialog, "Set a temporary password").await;
    owner.dialog("Temporary password for Bea Baker").await;
    owner.axe("the temporary password").await;
    owner.screenshot("temporary-password").await;
    owner.click(In::Dialog, "Done").await;
    owner.no_dialog().await;
    owner.close().await;

    let visitor = suite.browser().await;
    let heading = |text: &str| format!("//h1[normalize-space(.)={}]", crate::harness::lit(text));
    visitor.goto("/password/forgot").await;
    visitor
        .wait_for(
            "the forgot password page",
            &heading("Forgot your password?"),
        )
        .await;
    visitor.axe("forgot password").await;
    visitor.fill(In::Page, "Email", "bea@acme.test").await;
    visitor.click(In::Page, "Send me a link").await;
    visitor.sees("If an account uses that address").await;
    visitor.axe("forgot password, link sent").await;
    let reset = app
        .mail()
        .message_about("bea@acme.test", "Reset your Gatehouse password")
        .await
        .link("/password/reset/")
        .unwrap();
    visitor.goto(&reset).await;
    visitor
        .wait_for("the reset page", &heading("Choose a new password"))
        .await;
    visitor.axe("choose a new password").await;
    visitor.goto("/password/reset/not-a-token").await;
    visitor
        .wait_for("the refused link", &heading("This link cannot be used"))
        .await;
    visitor.axe("an unusable reset link").await;

    let unblock = app
        .mail()
        .message_to("carl@acme.test")
        .await
        .link("/unblock/")
        .expect("the unblock link");
    visitor.goto(&unblock).await;
    visitor
        .wait_for("the unblock page", &heading("Unblock your account"))
        .await;
    visitor.axe("the unblock link").await;

    visitor.goto("/signup").await;
    visitor.wait_for("sign-up", &heading("Sign up")).await;
    visitor.axe("sign-up").await;
    visitor.fill(In::Page, "First name", "Sam").await;
    visitor.fill(In::Page, "Last name", "Signup").await;
    visitor.fill(In::Page, "Work email", "sam@acme.test").await;
    visitor.click(In::Page, "Send me a link").await;
    visitor
        .wait_for("check your email", &heading("Check your email"))
        .await;
    visitor.axe("sign-up, check your email").await;
    let join = app
        .mail()
        .message_to("sam@acme.test")
        .await
        .link("/signup/verify/")
        .unwrap();
    visitor.goto(&join).await;
    visitor
        .wait_for("the join page", &heading("Join Acme"))
        .await;
    visitor.axe("sign-up, choose a password").await;

    // Dan's password is older than the organization's 120 days: he must change it first.
    visitor.sign_in(app, "dan@acme.test", PASSWORD).await;
    visitor
        .wait_for(
            "the expired password page",
            &heading("Choose a new password"),
        )
        .await;
    assert!(visitor
        .path()
        .await
        .starts_with("/account/password/expired"));
    visitor.axe("an expired password").await;
    visitor.close().await;
}
