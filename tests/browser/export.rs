//! Export: Chromium really downloads the CSV of the current filter.

use std::path::PathBuf;

use crate::edit::org_with_people;
use crate::harness::{In, Suite};
use crate::helpers::Backend;

#[actix_web::test]
async fn export_downloads_the_csv_of_the_current_filter() {
    let Some(suite) = Suite::start(
        "export_downloads_the_csv_of_the_current_filter",
        Backend::Sqlite,
    )
    .await
    else {
        return;
    };
    let (_, browser) = org_with_people(&suite).await;
    browser.fill(In::Page, "Search User", "bea").await;
    browser.click(In::Page, "Apply").await;
    browser
        .wait_gone(
            "the search to narrow the list",
            &crate::harness::Browser::row_xpath("carl@acme.test"),
        )
        .await;
    browser.row("bea@acme.test").await;
    browser.click(In::Page, "Export").await;

    let file: PathBuf = browser
        .until("users.csv in the download folder", || async {
            let path = browser.downloads.join("users.csv");
            // Chromium writes `*.crdownload` and renames it when the download is complete.
            path.exists().then_some(path)
        })
        .await;
    let csv = std::fs::read_to_string(&file).expect("read the download");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Name,Email,Roles,Licenses,User Tags,Skill Groups,Teams,Status,Lock state,Last login,Last active,Created,Username"
    );
    assert_eq!(lines.len(), 2, "the filter's one user: {csv}");
    assert!(
        lines[1].starts_with("Bea Baker,bea@acme.test,Agent,"),
        "{csv}"
    );
    browser.close().await;
}
