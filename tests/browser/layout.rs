//! Looks: User Management at 375 px and on a desktop, light and dark (prefers-color-scheme),
//! the screenshots in docs/screenshots/, and axe on Settings and My account.

use diesel::prelude::*;
use fantoccini::Locator;

use crate::harness::{lit, Browser, In, Suite};
use crate::helpers::{Backend, Person, PASSWORD};
use crate::invite::user_management;

/// A team that shows every kind of row: roles, licenses, Pending, Blocked, online, and one
/// Inactive person (hidden by Show Only Active Users). Made here rather than by the demo seed,
/// whose fixed dates make the inactivity job block people at a time of its own.
async fn team(suite: &Suite) -> &'static str {
    let app = &suite.app;
    let owner = "olive@acme.test";
    let org_id = app.setup_first_org("Acme", owner).await;
    let person = |first, last, email, status, roles, minutes| Person {
        first,
        last,
        email,
        status,
        roles,
        active_minutes_ago: minutes,
    };
    let hour = 60;
    let day = 24 * hour;
    let people = vec![
        person(
            "Amara",
            "Okafor",
            "amara.okafor@acme.test",
            "active",
            &["Admin"][..],
            Some(1),
        ),
        person(
            "Ben",
            "Carter",
            "ben.carter@acme.test",
            "active",
            &["Manager"],
            Some(45),
        ),
        person(
            "Chloe",
            "Martin",
            "chloe.martin@acme.test",
            "active",
            &["Supervisor"],
            Some(5 * hour),
        ),
        person(
            "Diego",
            "Alvarez",
            "diego.alvarez@acme.test",
            "active",
            &["Agent"],
            Some(2 * day),
        ),
        person(
            "Emma",
            "Schmidt",
            "emma.schmidt@acme.test",
            "active",
            &["Agent"],
            Some(30),
        ),
        person(
            "Farah",
            "Haddad",
            "farah.haddad@acme.test",
            "invited",
            &["Agent"],
            None,
        ),
        person(
            "George",
            "Li",
            "george.li@acme.test",
            "active",
            &["Agent"],
            Some(6 * day),
        ),
        person(
            "Hana",
            "Sato",
            "hana.sato@acme.test",
            "active",
            &["Supervisor", "Agent"],
            Some(3 * hour),
        ),
        person(
            "Ivan",
            "Petrov",
            "ivan.petrov@acme.test",
            "inactive",
            &["Agent"],
            Some(40 * day),
        ),
        person(
            "Julia",
            "Rossi",
            "julia.rossi@acme.test",
            "active",
            &["Agent"],
            Some(12),
        ),
    ];
    let ids = app.add_people(org_id, people).await;
    let now = app.state.clock.now();
    app.db(move |c| {
        use gatehouse::db::schema::{products, users};
        use gatehouse::licenses::store::{
            assign as assign_license, products as org_products, take_seat,
        };
        diesel::update(products::table.filter(products::org_id.eq(org_id)))
            .set(products::seats.eq(10))
            .execute(c)
            .expect("seats");
        let products: Vec<i64> = org_products(c, org_id)
            .expect("products")
            .iter()
            .map(|p| p.id)
            .collect();
        // Licenses by person (indexes into `products`: Dialer, Omnichannel, CRM).
        let licenses: [&[usize]; 10] = [
            &[0, 1, 2],
            &[2],
            &[0, 1],
            &[0],
            &[0, 1],
            &[1],
            &[0],
            &[0, 1, 2],
            &[],
            &[1, 2],
        ];
        for (id, held) in ids.iter().zip(licenses) {
            for &p in held {
                assert!(take_seat(c, products[p]).expect("seat"));
                assign_license(c, *id, products[p], now).expect("license");
            }
        }
        // George is blocked after failed sign-ins.
        diesel::update(users::table.find(ids[6]))
            .set((
                users::locked_at.eq(Some(now)),
                users::lock_reason.eq(Some("failed_logins")),
                users::failed_logins.eq(5),
                // A fixed moment (the row shows it), so the screenshots do not change each run.
                users::last_failed_login_at.eq(chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
                    .and_then(|d| d.and_hms_opt(9, 12, 0))),
                users::last_failed_login_ip.eq(Some("203.0.113.7")),
            ))
            .execute(c)
            .expect("block");
    })
    .await;
    owner
}

/// `document.documentElement.scrollWidth <= innerWidth`: no sideways page scroll.
async fn fits_width(browser: &Browser) -> (i64, i64) {
    let sizes = browser
        .eval("return [document.documentElement.scrollWidth, window.innerWidth];")
        .await;
    (
        sizes[0].as_i64().unwrap_or(i64::MAX),
        sizes[1].as_i64().unwrap_or(0),
    )
}

/// Asserts that each control is displayed and lies within the viewport's width.
async fn controls_visible(browser: &Browser, width: f64) {
    let controls = [
        "//h1[normalize-space(.)='User Management']".to_owned(),
        format!(
            "//*[@role='switch'][normalize-space(.)={}]",
            lit("Allow users to signup automatically")
        ),
        "//button[normalize-space(.)='+ Invite User']".to_owned(),
        "//input[@id=//label[normalize-space(.)='Search User']/@for]".to_owned(),
        "//select[@id=//label[normalize-space(.)='Role']/@for]".to_owned(),
        "//label[normalize-space(.)='Show Only Active Users']".to_owned(),
        "//button[normalize-space(.)='Apply']".to_owned(),
        "//a[normalize-space(.)='Export']".to_owned(),
    ];
    for xpath in &controls {
        let element = browser.wait_for(xpath, xpath).await;
        let (x, _, w, _) = element.rectangle().await.expect("rect");
        assert!(
            x >= 0.0 && x + w <= width + 0.5,
            "{xpath} lies outside the {width} px viewport (x {x}, width {w})"
        );
    }
}

/// Elements that reach past the viewport's right edge: the outermost ones, and positioned ones
/// (which escape their scroll container's clipping). For failure messages.
async fn too_wide(browser: &Browser) -> String {
    let found = browser
        .eval(
            "const w = window.innerWidth; const out = [];\n\
             for (const e of document.querySelectorAll('body *')) {\n\
               const r = e.getBoundingClientRect();\n\
               const outermost = !(e.parentElement && e.parentElement.getBoundingClientRect().right > w + 0.5);\n\
               const positioned = ['absolute', 'fixed'].includes(getComputedStyle(e).position);\n\
               if (r.right > w + 0.5 && (outermost || positioned)) {\n\
                 out.push(e.outerHTML.slice(0, 160) + ' (right ' + Math.round(r.right) + ')');\n\
               }\n\
             }\n\
             return out.join('\\n');",
        )
        .await;
    found.as_str().unwrap_or_default().to_owned()
}

async fn background(browser: &Browser) -> String {
    browser
        .eval("return getComputedStyle(document.body).backgroundColor;")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[actix_web::test]
async fn the_console_fits_375_px_and_follows_the_color_scheme() {
    let Some(suite) = Suite::start(
        "the_console_fits_375_px_and_follows_the_color_scheme",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let app = &suite.app;
    let admin = team(&suite).await;
    let browser = suite.browser().await;
    browser.sign_in(app, admin, PASSWORD).await;
    // Auto-signup off, so + Invite User is live in the pictures.
    browser.goto("/users").await;
    user_management(&browser).await;
    browser
        .checkbox(In::Page, "Allow users to signup automatically")
        .await
        .click()
        .await
        .unwrap();
    browser.dialog("Turn off automatic sign-up?").await;
    browser.click(In::Dialog, "Confirm").await;
    browser.no_dialog().await;

    // Desktop, light and dark.
    browser.viewport(1280, 800).await;
    browser.goto("/users").await;
    user_management(&browser).await;
    let light = background(&browser).await;
    browser.screenshot("users").await;
    browser.color_scheme("dark").await;
    let dark = background(&browser).await;
    assert_ne!(light, dark, "dark mode follows prefers-color-scheme");
    browser.axe("User Management in dark mode").await;
    browser.screenshot("users-dark").await;

    // 375 px wide: no sideways page scroll, the main controls on screen.
    for scheme in ["light", "dark"] {
        browser.color_scheme(scheme).await;
        browser.viewport(375, 812).await;
        browser.goto("/users").await;
        user_management(&browser).await;
        let (scroll, inner) = fits_width(&browser).await;
        assert_eq!(inner, 375, "the emulated viewport is 375 px wide");
        assert!(
            scroll <= inner,
            "the page scrolls sideways at 375 px ({scheme}): scrollWidth {scroll}; too wide:\n{}",
            too_wide(&browser).await
        );
        controls_visible(&browser, 375.0).await;
        browser
            .axe(&format!("User Management at 375 px ({scheme})"))
            .await;
        browser.screenshot(&format!("users-375-{scheme}")).await;
    }
    // The invite dialog fits too.
    browser.click(In::Page, "+ Invite User").await;
    browser.dialog("Invite User").await;
    let (scroll, inner) = fits_width(&browser).await;
    assert!(
        scroll <= inner,
        "the Invite User dialog scrolls the page sideways at 375 px"
    );
    browser.press(&[fantoccini::key::Key::Escape]).await;
    browser.no_dialog().await;

    // My account and Settings (light, desktop).
    browser.color_scheme("light").await;
    browser.viewport(1280, 800).await;
    browser.click(In::Page, "My account").await;
    browser
        .wait_for("My account", "//h1[normalize-space(.)='My account']")
        .await;
    browser.axe("My account").await;
    browser.screenshot("account").await;
    browser.click(In::Page, "Settings").await;
    let heading = browser
        .wait_for("the Settings page", "//main//h1")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Settings");
    browser.axe("Settings").await;
    assert!(browser
        .client
        .find(Locator::XPath("//main//form"))
        .await
        .is_ok());

    // Settings → Security: the dry run of an inactivity limit lists who it would block (Diego
    // last signed in 40 days ago), and a value out of range is refused beside its field.
    let long_ago = app.state.clock.now() - chrono::Duration::days(40);
    app.db(move |c| {
        use gatehouse::db::schema::users;
        diesel::update(users::table.filter(users::email.eq("diego.alvarez@acme.test")))
            .set(users::last_login_at.eq(Some(long_ago)))
            .execute(c)
            .expect("last sign-in")
    })
    .await;
    let security = In::Section("Security");
    browser
        .fill(security, "Block accounts unused for (days)", "30")
        .await;
    browser
        .sees("Dry run: with 30 days, 1 account would be blocked at the next check.")
        .await;
    browser
        .wait_for(
            "Diego in the dry run",
            "//*[@id='inactivity-preview']//td[normalize-space(.)='diego.alvarez@acme.test']",
        )
        .await;
    browser.axe("Settings → Security with the dry run").await;
    browser
        .fill(security, "Block after N failed attempts in a row", "1")
        .await;
    browser.click(security, "Save security settings").await;
    browser
        .wait_for(
            "the refusal beside the field",
            "//section//p[@id='max_failed_logins-error']",
        )
        .await;
    browser.axe("Settings → Security with an error").await;
    browser.close().await;
}
