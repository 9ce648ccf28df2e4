//! A row's More menu: opened with Enter or Space on its summary, closed with Escape (focus
//! back on the summary), never cut off at the bottom of the list; and Edit permissions from
//! it: an override granted and saved, then roles and permissions copied from another user.

use fantoccini::key::Key;

use crate::harness::{lit, Browser, In, Suite};
use crate::helpers::{Backend, Person, PASSWORD};
use crate::invite::user_management;

const SAVED: &str = "Permissions have been updated.";

fn more(name: &str) -> String {
    format!("summary \"More actions for {name}\"")
}

async fn menu_open(browser: &Browser, name: &str) -> bool {
    browser
        .eval(&format!(
            "const s = [...document.querySelectorAll('details.row-menu > summary')]\n\
               .find(s => s.getAttribute('aria-label') === {});\n\
             return !!(s && s.parentElement.open);",
            serde_json::to_string(&format!("More actions for {name}")).unwrap()
        ))
        .await
        == true
}

/// Items of the open menu that are cut off: outside the viewport, or hidden by an ancestor
/// that clips (a point near an edge of the item where the page shows something else).
async fn clipped_items(browser: &Browser) -> Vec<String> {
    let found = browser
        .eval(
            "const menu = document.querySelector('details.row-menu[open] .menu-items');\n\
             if (!menu) return ['no open menu'];\n\
             const out = [];\n\
             for (const item of menu.children) {\n\
               const r = item.getBoundingClientRect();\n\
               const cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;\n\
               // Clear of the rounded corners, which hit testing leaves to the menu itself.\n\
               const points = [[r.left + 8, cy], [r.right - 8, cy], [cx, r.top + 3], [cx, r.bottom - 3]];\n\
               for (const [x, y] of points) {\n\
                 const inside = x >= 0 && y >= 0 && x <= innerWidth && y <= innerHeight;\n\
                 const hit = inside && document.elementFromPoint(x, y);\n\
                 if (!hit || !item.contains(hit)) {\n\
                   out.push(item.textContent.trim() + ' at ' + Math.round(x) + ',' + Math.round(y)\n\
                     + (inside ? ' shows ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing') : ' is outside the viewport'));\n\
                   break;\n\
                 }\n\
               }\n\
             }\n\
             return out;",
        )
        .await;
    found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Waits until the open menu of `name` shows whole (it is placed as it opens).
async fn whole(browser: &Browser, name: &str) {
    browser
        .until(
            &format!("the menu of {name} to show whole, not cut off"),
            || async { clipped_items(browser).await.is_empty().then_some(()) },
        )
        .await
}

/// The Effective cell of a permission's row in the open Edit permissions dialog.
async fn effective(browser: &Browser, permission: &str) -> String {
    browser
        .wait_for(
            &format!("the {permission} row"),
            &format!(
                "//dialog[@open]//table//tr[th[code[normalize-space(.)={}]]]/td[last()]",
                lit(permission)
            ),
        )
        .await
        .text()
        .await
        .unwrap_or_default()
}

#[actix_web::test]
async fn the_row_menu_works_by_keyboard_and_edit_permissions_grants_and_copies() {
    let Some(suite) = Suite::start(
        "the_row_menu_works_by_keyboard_and_edit_permissions_grants_and_copies",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let app = &suite.app;
    let org_id = app.setup_first_org("Acme", "olive@acme.test").await;
    let person = |first, last, email, roles| Person {
        first,
        last,
        email,
        status: "active",
        roles,
        active_minutes_ago: Some(20),
    };
    // By last name: Baker, Clark, Dorsey, Evans, Fox, Grey (invited), Owner.
    app.add_people(
        org_id,
        vec![
            person("Bea", "Baker", "bea@acme.test", &["Agent"][..]),
            person("Carl", "Clark", "carl@acme.test", &["Manager"]),
            person("Dan", "Dorsey", "dan@acme.test", &["Agent"]),
            person("Eve", "Evans", "eve@acme.test", &["Agent"]),
            person("Finn", "Fox", "finn@acme.test", &["Agent"]),
            Person {
                status: "invited",
                active_minutes_ago: None,
                ..person("Gail", "Grey", "gail@acme.test", &["Agent"])
            },
        ],
    )
    .await;
    let browser = suite.browser().await;
    browser.sign_in(app, "olive@acme.test", PASSWORD).await;
    browser.goto("/users").await;
    user_management(&browser).await;

    // Enter opens the menu, Escape closes it and leaves focus on its summary; Space opens it.
    browser.tab_to(&more("Bea Baker"), 60).await;
    browser.press(&[Key::Enter]).await;
    browser
        .button(In::Page, "Edit permissions of Bea Baker")
        .await;
    for item in [
        "Activity of Bea Baker",
        "Reset password of Bea Baker",
        "Delete Bea Baker",
    ] {
        assert!(
            browser.has_button(In::Page, item).await,
            "{item} is in the menu"
        );
    }
    assert!(
        !browser
            .has_button(In::Page, "Revoke invite of Bea Baker")
            .await,
        "Revoke invite is for pending invitations only"
    );
    browser.axe("an open row menu").await;
    browser.press(&[Key::Escape]).await;
    browser
        .until("the menu to close on Escape", || async {
            (!menu_open(&browser, "Bea Baker").await).then_some(())
        })
        .await;
    assert_eq!(browser.focused().await, more("Bea Baker"));
    browser.press(&[Key::Space]).await;
    browser
        .until("Space to open the menu", || async {
            menu_open(&browser, "Bea Baker").await.then_some(())
        })
        .await;

    // Its first item by keyboard: Edit permissions; Escape gives focus back to the menu. The
    // menu stays invisible until it is placed (a frame after opening), and Tab skips what is
    // invisible: wait for its first item to show.
    browser
        .button(In::Page, "Edit permissions of Bea Baker")
        .await;
    browser
        .tab_to("button \"Edit permissions of Bea Baker\"", 3)
        .await;
    browser.press(&[Key::Enter]).await;
    browser.dialog("Edit permissions: Bea Baker").await;
    browser.axe("the Edit permissions dialog").await;
    assert_eq!(effective(&browser, "audit.view").await, "No");
    browser.press(&[Key::Escape]).await;
    browser.no_dialog().await;
    assert_eq!(
        browser.focused().await,
        more("Bea Baker"),
        "focus returns to the menu the dialog was opened from"
    );

    // The menus of the last rows open upwards, whole and inside the viewport.
    for name in ["Gail Grey", "Olive Owner"] {
        browser
            .click(In::Page, &format!("More actions for {name}"))
            .await;
        browser
            .until(&format!("the menu of {name} to open"), || async {
                menu_open(&browser, name).await.then_some(())
            })
            .await;
        whole(&browser, name).await;
        browser.press(&[Key::Escape]).await;
    }
    // A pending invitation's menu offers Revoke invite, and nothing that needs an account.
    browser.click(In::Page, "More actions for Gail Grey").await;
    browser.button(In::Page, "Revoke invite of Gail Grey").await;
    assert!(
        !browser
            .has_button(In::Page, "Edit permissions of Gail Grey")
            .await,
        "no permissions to edit before she joins"
    );
    browser.press(&[Key::Escape]).await;
    // And so does the one row a search leaves.
    browser.fill(In::Page, "Search User", "finn").await;
    browser
        .wait_gone(
            "the search to narrow the list",
            &Browser::row_xpath("bea@acme.test"),
        )
        .await;
    browser.click(In::Page, "More actions for Finn Fox").await;
    browser
        .until("the menu of the only row to open", || async {
            menu_open(&browser, "Finn Fox").await.then_some(())
        })
        .await;
    whole(&browser, "Finn Fox").await;
    browser.press(&[Key::Escape]).await;
    browser.fill(In::Page, "Search User", "").await;
    browser.click(In::Page, "Apply").await;
    browser.row("bea@acme.test").await;

    // An override: audit.view granted to Bea, saved, and in effect when the dialog reopens.
    browser.click(In::Page, "More actions for Bea Baker").await;
    browser
        .click(In::Page, "Edit permissions of Bea Baker")
        .await;
    browser.dialog("Edit permissions: Bea Baker").await;
    browser
        .choose(In::Dialog, "Override for View audit", "Grant")
        .await;
    browser.click(In::Dialog, "Save").await;
    browser.toast(SAVED).await;
    browser.no_dialog().await;
    browser
        .until("focus back on the menu of the re-rendered row", || async {
            (browser.focused().await == more("Bea Baker")).then_some(())
        })
        .await;
    browser.click(In::Page, "More actions for Bea Baker").await;
    browser
        .click(In::Page, "Edit permissions of Bea Baker")
        .await;
    browser.dialog("Edit permissions: Bea Baker").await;
    assert_eq!(effective(&browser, "audit.view").await, "Yes");

    // Copy from Carl: his email suggested as it is typed, then his Manager role copied in.
    browser
        .fill(In::Dialog, "Copy roles and permissions from…", "carl")
        .await;
    browser
        .wait_present(
            "Carl among the suggestions",
            "//dialog[@open]//datalist/option[@value='carl@acme.test']",
        )
        .await;
    browser
        .field(In::Dialog, "Copy roles and permissions from…")
        .await
        .send_keys("@acme.test")
        .await
        .unwrap();
    browser.click(In::Dialog, "Copy").await;
    browser
        .sees("Copied the roles and permissions of carl@acme.test")
        .await;
    assert!(browser.is_on(In::Dialog, "Manager").await);
    assert!(!browser.is_on(In::Dialog, "Agent").await);
    assert_eq!(
        effective(&browser, "audit.view").await,
        "Yes",
        "from the Manager role now"
    );
    browser.axe("Edit permissions after a copy").await;
    browser.click(In::Dialog, "Save").await;
    browser.toast(SAVED).await;
    browser.no_dialog().await;
    browser
        .wait_for(
            "Bea's row to show the Manager role",
            &format!(
                "{}//span[contains(@class, 'chip')][normalize-space(.)='Manager']",
                Browser::row_xpath("bea@acme.test")
            ),
        )
        .await;

    // Activity from the menu: her events, the permission changes among them.
    browser.click(In::Page, "More actions for Bea Baker").await;
    browser.click(In::Page, "Activity of Bea Baker").await;
    browser
        .sees("Activity of Bea Baker (bea@acme.test), as actor or as target.")
        .await;
    // What changed, in words: the grant, then the copy (the roles that stayed left out).
    browser.sees("Overrides: none → audit.view: grant").await;
    browser.sees("Roles: Agent → Manager").await;
    browser.sees("Overrides: audit.view: grant → none").await;
    browser.axe("the Activity of one user").await;
    browser.close().await;
}
