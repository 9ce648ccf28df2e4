//! Reading pages with JavaScript turned off: sign in (a plain form post), the list, Search
//! User with Apply, the Next/Previous page links, and the Activity log with its filter.

use fantoccini::Locator;

use crate::harness::{Browser, In, Options, Suite};
use crate::helpers::{Backend, Person, PASSWORD};
use crate::invite::user_management;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The emails in the list, top to bottom.
async fn emails(browser: &Browser) -> Vec<String> {
    let cells = browser
        .client
        .find_all(Locator::Css("table.users td.email"))
        .await
        .expect("email cells");
    let mut out = Vec::new();
    for cell in cells {
        out.push(cell.text().await.unwrap_or_default());
    }
    out
}

#[actix_web::test]
async fn reading_pages_work_without_javascript() {
    let Some(suite) = Suite::start("reading_pages_work_without_javascript", Backend::Sqlite).await
    else {
        return;
    };
    let app = &suite.app;
    let org_id = app.setup_first_org("Acme", "olive@acme.test").await;
    // 61 people in all (with the Owner): two pages of 50. By last name: Alpha, Beta, Gamma,
    // Member 01..57, Owner.
    let mut people: Vec<Person> = ["Alpha", "Beta", "Gamma"]
        .iter()
        .map(|last| Person {
            first: "Zed",
            last,
            email: leak(format!("zed.{}@acme.test", last.to_lowercase())),
            status: "active",
            roles: &["Agent"],
            active_minutes_ago: Some(10),
        })
        .collect();
    people.extend((1..=57).map(|n| Person {
        first: "Pat",
        last: leak(format!("Member {n:02}")),
        email: leak(format!("member-{n:02}@acme.test")),
        status: "active",
        roles: &["Agent"],
        active_minutes_ago: None,
    }));
    app.add_people(org_id, people).await;

    let browser = suite
        .browser_with(Options {
            javascript: false,
            ..Options::default()
        })
        .await;
    browser.sign_in(app, "olive@acme.test", PASSWORD).await;
    browser.goto("/users").await;
    user_management(&browser).await;
    assert_eq!(
        browser.eval("return typeof window.htmx;").await,
        "undefined",
        "the page's scripts did not run"
    );
    browser.axe("User Management without JavaScript").await;

    // Paging: 50 rows, Next, the other 11, Previous back.
    let first_page = emails(&browser).await;
    assert_eq!(first_page.len(), 50);
    assert_eq!(first_page[0], "zed.alpha@acme.test");
    assert_eq!(first_page[49], "member-47@acme.test");
    browser.click(In::Page, "Next").await;
    browser
        .until("the second page", || async {
            emails(&browser)
                .await
                .first()
                .is_some_and(|e| e == "member-48@acme.test")
                .then_some(())
        })
        .await;
    let second_page = emails(&browser).await;
    let mut expected: Vec<String> = (48..=57)
        .map(|n| format!("member-{n:02}@acme.test"))
        .collect();
    expected.push("olive@acme.test".into());
    assert_eq!(second_page, expected);
    assert!(
        !browser.has_button(In::Page, "Next").await,
        "the last page has no Next"
    );
    browser.click(In::Page, "Previous").await;
    browser
        .until("the first page again", || async {
            (emails(&browser).await == first_page).then_some(())
        })
        .await;

    // Search User + Apply: a plain GET form.
    browser.fill(In::Page, "Search User", "zed").await;
    browser.click(In::Page, "Apply").await;
    browser
        .until("the search results", || async {
            browser.path().await.contains("q=zed").then_some(())
        })
        .await;
    assert_eq!(
        emails(&browser).await,
        [
            "zed.alpha@acme.test",
            "zed.beta@acme.test",
            "zed.gamma@acme.test"
        ]
    );
    browser.axe("search results without JavaScript").await;

    // Activity: the log, and its filter as a plain GET form.
    browser.goto("/activity").await;
    browser.sees("Signed in").await;
    browser.axe("Activity without JavaScript").await;
    browser.choose(In::Page, "Action", "Signed in").await;
    browser.click(In::Page, "Apply").await;
    browser
        .until("the filtered log", || async {
            browser.path().await.contains("action=").then_some(())
        })
        .await;
    let chips = browser
        .client
        .find_all(Locator::Css("table td .chip"))
        .await
        .expect("action cells");
    assert!(!chips.is_empty(), "the sign-in is listed");
    for chip in chips {
        assert_eq!(chip.text().await.unwrap_or_default(), "Signed in");
    }

    // Activity's paging: plain links, 50 events a page, Older then Newer.
    let now = app.state.clock.now();
    app.db(move |c| {
        use gatehouse::audit::{self, action, Actor, Event};
        let actor = Actor::system("import");
        for n in 0..60 {
            let event = Event {
                org_id: Some(org_id),
                actor: &actor,
                action: action::USER_UPDATED,
                target: None,
                details: serde_json::json!({ "n": n }),
                meta: &gatehouse::audit::Origin::default(),
            };
            audit::record(c, event, now).unwrap();
        }
    })
    .await;
    browser.goto("/activity").await;
    let rows = || async {
        browser
            .client
            .find_all(Locator::Css("table.activity tbody tr"))
            .await
            .expect("rows")
            .len()
    };
    assert_eq!(rows().await, 50);
    browser.click(In::Page, "Older").await;
    browser
        .until("the older page", || async {
            browser.path().await.contains("after=").then_some(())
        })
        .await;
    assert!(rows().await > 0 && rows().await < 50, "the rest");
    browser
        .axe("Activity's older page without JavaScript")
        .await;
    browser.click(In::Page, "Newer").await;
    browser
        .until("the newer page", || async {
            (!browser.path().await.contains("after=")).then_some(())
        })
        .await;
    assert_eq!(rows().await, 50);
    browser.close().await;
}
