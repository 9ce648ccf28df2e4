//! The SQLite database's disk fills up while the console serves: writes are refused with a
//! clear 503 that says nothing was saved, pages can still be read, the process stays up,
//! nothing acknowledged is lost and the file stays sound; once there is room again, writes
//! work without a restart. The database lives on a small tmpfs the test mounts (which needs
//! root, as `.ci/run` has; elsewhere the test says it was skipped and CI refuses that).
//! PostgreSQL's disk is its server's: a refused write there (53100) maps to the same 503.

use std::io::Write;
use std::path::PathBuf;

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::groups::create_group;
use crate::helpers::{spawn_app_with, Backend};
use gatehouse::db::DatabaseUrl;

/// A tmpfs of a few megabytes, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let path = std::env::temp_dir().join(format!(
            "gatehouse-small-disk-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&path).ok()?;
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            let _ = std::fs::remove_dir(&path);
            return None;
        }
        Some(SmallDisk { path })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

#[actix_web::test]
async fn a_full_disk_refuses_writes_with_a_clear_503_and_loses_nothing() {
    let Some(disk) = SmallDisk::mount(8) else {
        let _ = writeln!(
            std::io::stderr(),
            "skipped a_full_disk_refuses_writes: it mounts a small filesystem, which needs root"
        );
        return;
    };
    let target = disk.path.join("gatehouse.db");
    let data_dir = disk.path.clone();
    let app = spawn_app_with(Backend::Sqlite, move |c| {
        c.database_url = DatabaseUrl::parse(&format!("sqlite://{}", target.display())).unwrap();
        c.data_dir = data_dir;
        c.smtp_url = None;
    })
    .await
    .unwrap();
    app.setup_first_org("Acme", "olive@acme.io").await;
    assert_eq!(
        create_group(&app, "tag", "Before").await.status(),
        StatusCode::OK
    );

    // Something else takes the rest of the disk.
    let filler = disk.path.join("filler");
    {
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![7u8; 64 * 1024];
        while file.write_all(&block).and_then(|()| file.flush()).is_ok() {}
    }
    // Writes go on until the database has no room left; each is saved whole or refused.
    let mut saved = Vec::new();
    let mut refusal = None;
    for n in 0..2_000 {
        let name = format!("Team {n:04} {}", "x".repeat(30));
        let response = create_group(&app, "team", &name).await;
        match response.status() {
            StatusCode::OK => saved.push(name),
            StatusCode::SERVICE_UNAVAILABLE => {
                refusal = Some((name, response.text().await.unwrap()));
                break;
            }
            other => panic!("{other}: {}", response.text().await.unwrap()),
        }
    }
    let (refused, page) = refusal.expect("the full disk refused a write");
    assert!(
        page.contains("Nothing was saved: the database cannot take changes right now"),
        "{page}"
    );
    // Reading still works and the process is up.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let (status, groups) = app.get_html("/settings/groups").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!groups.contains(&refused));

    // Room again: writes work without a restart, and nothing acknowledged was lost.
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(
        create_group(&app, "tag", "After").await.status(),
        StatusCode::OK
    );
    let names: Vec<String> = app
        .db(|c| {
            use gatehouse::db::schema::org_groups;
            org_groups::table.select(org_groups::name).load(c).unwrap()
        })
        .await;
    for name in saved
        .iter()
        .chain([&"Before".to_owned(), &"After".to_owned()])
    {
        assert!(names.contains(name), "{name} was acknowledged and is there");
    }
    assert!(
        !names.contains(&refused),
        "the refused one is not half there"
    );
    let check: Vec<IntegrityCheck> = app
        .db(|c| diesel::sql_query("PRAGMA integrity_check").load(c).unwrap())
        .await;
    assert_eq!(check[0].integrity_check, "ok");
}
