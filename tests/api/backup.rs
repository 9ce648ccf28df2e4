//! `gatehouse backup`: a consistent copy of a SQLite database taken while people keep
//! writing to it, which opens, passes SQLite's integrity check and holds every change
//! committed before it began; on PostgreSQL the command points to pg_dump.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::both;
use crate::helpers::{someone, Backend, TestApp};

both!(a_backup_taken_while_writing_is_consistent);

async fn a_backup_taken_while_writing_is_consistent(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let target = std::env::temp_dir().join(format!(
        "gatehouse-backup-{}-{org_id}-{}.db",
        std::process::id(),
        rand_suffix()
    ));
    if app.backend == Backend::Postgres {
        let path = target.clone();
        let refused = app
            .db(move |c| gatehouse::db::backup_sqlite(c, &path).map_err(|e| e.to_string()))
            .await;
        assert!(refused.unwrap_err().contains("pg_dump"));
        return;
    }
    // Writers keep adding people while the copy is taken.
    let writer = {
        let pool = app.state.pool.clone();
        std::thread::spawn(move || {
            let mut conn = pool.get().unwrap();
            let now = chrono::Utc::now().naive_utc();
            for i in 0..200 {
                let email = format!("w{i}@acme.io");
                let user = gatehouse::users::store::NewUser::new(
                    org_id, &email, "W", "Writer", "active", now,
                );
                gatehouse::users::store::insert_user(&mut conn, &user).unwrap();
            }
        })
    };
    app.add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await;
    let before = count(&app).await;
    let path = target.clone();
    app.db(move |c| gatehouse::db::backup_sqlite(c, &path).unwrap())
        .await;
    writer.join().unwrap();
    let mut copy = SqliteConnection::establish(&target.display().to_string()).unwrap();
    let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut copy)
        .unwrap();
    assert_eq!(check[0].integrity_check, "ok");
    let copied: i64 = gatehouse::db::schema::users::table
        .count()
        .get_result(&mut copy)
        .unwrap();
    assert!(
        copied >= before && copied <= before + 200,
        "{copied} vs {before}"
    );
    copy.batch_execute("SELECT 1").unwrap();
    // Never over an existing file.
    let path = target.clone();
    let again = app
        .db(move |c| gatehouse::db::backup_sqlite(c, &path).map_err(|e| e.to_string()))
        .await;
    assert!(again.unwrap_err().contains("exists already"));
    let _ = std::fs::remove_file(&target);
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        .into()
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

async fn count(app: &TestApp) -> i64 {
    app.db(|c| {
        gatehouse::db::schema::users::table
            .count()
            .get_result(c)
            .unwrap()
    })
    .await
}
