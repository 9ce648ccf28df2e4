//! First-run setup, signing out and in, and the whole invitation flow: auto-signup off with
//! Confirm, the Invite User grid and its seat limit, Send Invites, and the invitee joining
//! from the emailed link in a browser of their own.

use crate::harness::{lit, Browser, In, Suite};
use crate::helpers::{Backend, PASSWORD};

#[actix_web::test]
async fn an_owner_sets_up_invites_three_people_and_one_joins_on_sqlite() {
    let Some(suite) = Suite::start(
        "an_owner_sets_up_invites_three_people_and_one_joins_on_sqlite",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    setup_invite_and_join(&suite, true).await;
}

#[actix_web::test]
async fn an_owner_sets_up_invites_three_people_and_one_joins_on_postgres() {
    let Some(suite) = Suite::start(
        "an_owner_sets_up_invites_three_people_and_one_joins_on_postgres",
        Backend::Postgres,
    )
    .await
    else {
        return;
    };
    setup_invite_and_join(&suite, false).await;
}

/// The three invitees: name, email, role; each takes a seat of every product.
const INVITEES: [(&str, &str, &str, &str); 3] = [
    ("Alan", "Turing", "alan@acme.test", "Agent"),
    ("Grace", "Hopper", "grace@acme.test", "Manager"),
    ("Ada", "Lovelace", "ada@acme.test", "Supervisor"),
];
const PRODUCTS: [&str; 3] = ["Dialer", "Omnichannel", "CRM"];

async fn setup_invite_and_join(suite: &Suite, screenshots: bool) {
    let app = &suite.app;
    let owner = suite.browser().await;

    // a. First-run setup through the one-time link, the Owner's address proven by a code.
    let now = app.state.clock.now();
    let secret = app
        .db(move |c| gatehouse::orgs::service::first_run_link(c, now).expect("link"))
        .await
        .expect("a fresh install offers a setup link");
    owner.goto(&format!("/setup?token={secret}")).await;
    owner
        .sees("Create your organization and its Owner account")
        .await;
    owner.axe("the setup page").await;
    owner.fill(In::Page, "Organization name", "Acme").await;
    owner.fill(In::Page, "First name", "Olive").await;
    owner.fill(In::Page, "Last name", "Owner").await;
    owner.fill(In::Page, "Email", "olive@acme.test").await;
    owner.fill(In::Page, "Password", PASSWORD).await;
    owner.fill(In::Page, "Repeat password", PASSWORD).await;
    let seen = app.mail().received().len();
    owner.click(In::Page, "Continue").await;
    // The address is proven before anything is created: the code emailed to it.
    owner.confirm_setup_code(app, "olive@acme.test", seen).await;
    user_management(&owner).await;
    owner.axe("User Management").await;

    // b. Sign out, and back in through /login (with the second step when the app asks).
    owner.sign_out().await;
    owner.axe("the sign-in page").await;
    owner.sign_in(app, "olive@acme.test", PASSWORD).await;
    user_management(&owner).await;

    // c. Automatic sign-up off (it asks to Confirm); then + Invite User is enabled.
    let switch = "Allow users to signup automatically";
    assert!(owner.is_on(In::Page, switch).await, "auto-signup starts on");
    assert!(
        !owner
            .button(In::Page, "+ Invite User")
            .await
            .is_enabled()
            .await
            .unwrap(),
        "+ Invite User is disabled while auto-signup is on"
    );
    owner
        .checkbox(In::Page, switch)
        .await
        .click()
        .await
        .unwrap();
    owner.dialog("Turn off automatic sign-up?").await;
    owner.axe("the auto-signup Confirm dialog").await;
    owner.click(In::Dialog, "Confirm").await;
    owner.no_dialog().await;
    owner
        .until("the switch to show off", || async {
            (!owner.is_on(In::Page, switch).await).then_some(())
        })
        .await;
    let invite = owner.button(In::Page, "+ Invite User").await;
    assert!(invite.is_enabled().await.unwrap());
    invite.click().await.unwrap();

    owner.dialog("Invite User").await;
    owner.axe("the Invite User dialog").await;
    for product in PRODUCTS {
        assert_eq!(
            seats(&owner, product).await,
            format!("{product}: 3 of 3 available")
        );
    }
    for (i, (first, last, email, role)) in INVITEES.iter().enumerate() {
        let row = i + 1;
        owner
            .fill(In::Dialog, &format!("First name, row {row}"), first)
            .await;
        owner
            .fill(In::Dialog, &format!("Last name, row {row}"), last)
            .await;
        owner
            .fill(In::Dialog, &format!("Email, row {row}"), email)
            .await;
        owner
            .tick_in(In::Dialog, &format!("Roles, row {row}"), role)
            .await;
        for product in PRODUCTS {
            owner
                .tick_in(In::Dialog, &format!("Licenses, row {row}"), product)
                .await;
        }
        // The counters follow the ticked boxes.
        let left = 3 - row;
        for product in PRODUCTS {
            let expected = format!("{product}: {left} of 3 available");
            owner
                .until(&expected, || async {
                    (seats(&owner, product).await == expected).then_some(())
                })
                .await;
        }
    }
    // Every seat is ticked: a new row could get no license, so Add another is gone at once
    // and the grid says why; unticking a seat offers it again.
    owner.sees("No more seats to hand out.").await;
    assert!(
        !owner.has_button(In::Dialog, "Add another").await,
        "Add another is gone once every seat is ticked"
    );
    owner.tick_in(In::Dialog, "Licenses, row 3", "CRM").await;
    owner
        .until("Add another offered again", || async {
            owner
                .has_button(In::Dialog, "Add another")
                .await
                .then_some(())
        })
        .await;
    owner.tick_in(In::Dialog, "Licenses, row 3", "CRM").await;
    owner
        .until("Add another gone again", || async {
            (!owner.has_button(In::Dialog, "Add another").await).then_some(())
        })
        .await;
    owner
        .axe("the Invite User dialog with every seat ticked")
        .await;
    if screenshots {
        owner.screenshot("invite-dialog").await;
    }
    owner.click(In::Dialog, "Send Invites").await;
    owner.toast("Invite has been sent").await;
    owner.no_dialog().await;
    for (_, _, email, _) in INVITEES {
        let row = owner.row(email).await;
        assert!(
            row.text().await.unwrap().contains("Pending"),
            "{email} is Pending"
        );
    }

    // The invitee opens the emailed link in a browser of their own and joins.
    let (first, last, email, _) = INVITEES[0];
    let link = app
        .mail()
        .message_to(email)
        .await
        .link("/invite/")
        .expect("the invitation has a link");
    let invitee = suite.browser().await;
    invitee.goto(&link).await;
    invitee.sees(&format!("Welcome, {first} {last}")).await;
    invitee.axe("the invitation page").await;
    invitee.fill(In::Page, "Password", PASSWORD).await;
    invitee.fill(In::Page, "Repeat password", PASSWORD).await;
    invitee.click(In::Page, "Join Acme").await;
    // An Agent may not manage users: they land on My account, and /users is refused.
    invitee
        .wait_for("My account", "//h1[normalize-space(.)='My account']")
        .await;
    invitee.axe("My account of a new member").await;
    invitee.goto("/users").await;
    invitee
        .wait_for("the 403 page", "//h1[normalize-space(.)='Access denied']")
        .await;
    invitee.axe("the 403 page").await;
    invitee.close().await;

    // The owner sees them Active after a reload.
    owner.reload().await;
    let row = owner.row(email).await;
    let status = row
        .find(fantoccini::Locator::XPath(
            ".//span[contains(@class, 'badge')]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "Active", "{email} joined");
    owner.close().await;
}

/// Waits for the User Management page, loaded and ready.
pub async fn user_management(browser: &Browser) {
    browser
        .wait_for(
            "the User Management page",
            "//h1[normalize-space(.)='User Management']",
        )
        .await;
    browser.settled().await;
}

/// The seat counter line of `product` in the open Invite User dialog.
async fn seats(browser: &Browser, product: &str) -> String {
    let xpath = format!(
        "//dialog[@open]//*[@aria-label='Licenses available']/li[strong[normalize-space(.)={}]]",
        lit(product)
    );
    browser
        .wait_for(&format!("the seat counter of {product}"), &xpath)
        .await
        .text()
        .await
        .unwrap()
        .trim()
        .to_owned()
}
