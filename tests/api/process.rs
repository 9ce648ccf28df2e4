//! The real binary as an operator runs it, stopped the two ways processes stop: SIGTERM (a
//! deploy: requests in flight are answered, the email being sent is finished, then it exits
//! cleanly) and SIGKILL in the middle of a stream of writes (after a restart every
//! acknowledged change is there, nothing is half-written, and every committed email is
//! delivered).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, email_outbox, license_assignments, products, users};
use gatehouse::db::{DatabaseUrl, DbConn};
use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{location_of, page_of, post_from, scratch_database, Backend, ScratchDb};
use crate::smtp::TestSmtp;

both_backends!(
    sigterm_answers_the_request_in_flight_and_finishes_the_email_being_sent,
    sigkill_during_writes_loses_no_acknowledged_change_and_no_committed_email,
    two_binaries_on_one_postgresql_share_a_session_and_live_events,
);

/// The organization's ids the writes need, and an API token of its Owner.
struct Org {
    org_id: i64,
    agent: i64,
    dialer: i64,
    token: String,
}

/// `gatehouse ARGS` on the scratch database.
fn gatehouse(db: &ScratchDb, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("GATEHOUSE_DATA_DIR", &db.data_dir)
        .env_remove("BASE_URL")
        .env_remove("SMTP_URL");
    command
}

fn run(db: &ScratchDb, args: &[&str]) -> String {
    let output = gatehouse(db, args).output().expect("gatehouse runs");
    assert!(
        output.status.success(),
        "gatehouse {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn connect(db: &ScratchDb) -> impl std::ops::DerefMut<Target = DbConn> {
    let url = DatabaseUrl::parse(&db.url).unwrap();
    gatehouse::db::pool(&url, 1).unwrap().get().unwrap()
}

/// An organization made with the command line as an operator would (its Owner's API token
/// too), invitations by hand rather than automatic sign-up, and seats for everyone.
fn organization(db: &ScratchDb) -> Org {
    run(db, &["org", "create", "Acme"]);
    run(
        db,
        &[
            "create-admin",
            "--org",
            "acme",
            "--email",
            "olive@acme.io",
            "--first-name",
            "Olive",
            "--last-name",
            "Owner",
            "--password",
            "correct horse battery staple",
            "--owner",
        ],
    );
    let printed = run(
        db,
        &[
            "token",
            "create",
            "--org",
            "acme",
            "--name",
            "Load",
            "--scopes",
            "users:read,users:write",
        ],
    );
    let token = printed.lines().last().unwrap().trim().to_owned();
    let mut conn = connect(db);
    let org_id = gatehouse::orgs::store::id_by_slug_or_name(&mut conn, "acme")
        .unwrap()
        .unwrap();
    gatehouse::orgs::store::set_allow_auto_signup(&mut conn, org_id, false).unwrap();
    let agent = gatehouse::users::store::role_id_by_name(&mut conn, org_id, "Agent").unwrap();
    let dialer: i64 = products::table
        .filter(products::org_id.eq(org_id))
        .filter(products::name.eq("Dialer"))
        .select(products::id)
        .first(&mut *conn)
        .unwrap();
    diesel::update(products::table.find(dialer))
        .set(products::seats.eq(10_000))
        .execute(&mut *conn)
        .unwrap();
    Org {
        org_id,
        agent,
        dialer,
        token,
    }
}

/// `gatehouse serve` on a free port; its log goes to `serve.log` in the data directory.
struct Served {
    child: Child,
    address: String,
}

impl Served {
    fn start(db: &ScratchDb, smtp_url: &str, smtp_timeout_secs: u64) -> Served {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(db.data_dir.join("serve.log"))
            .unwrap();
        let mut child = gatehouse(db, &["serve"])
            .env("GATEHOUSE_ADDR", "127.0.0.1:0")
            .env("SMTP_URL", smtp_url)
            .env("GATEHOUSE_SMTP_TIMEOUT_SECS", smtp_timeout_secs.to_string())
            .env("GATEHOUSE_API_RATE", "1000000")
            .env("GATEHOUSE_DB_POOL", "4")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("gatehouse serve starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("gatehouse serve said where it runs")
                .unwrap();
            if let Some(url) = line.strip_prefix("Gatehouse is running at ") {
                break url.trim().to_owned();
            }
        };
        // Keep reading, so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Served { child, address }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    fn port(&self) -> u16 {
        self.address.rsplit(':').next().unwrap().parse().unwrap()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits up to `within` for the process to exit; its exit status.
    async fn exited(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {within:?}");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn invitation(org: &Org, email: &str) -> serde_json::Value {
    json!({
        "first_name": "Load",
        "last_name": "Test",
        "email": email,
        "role_ids": [org.agent],
        "product_ids": [org.dialer],
    })
}

async fn invite(client: &reqwest::Client, served: &Served, org: &Org, email: &str) -> Option<i64> {
    let response = client
        .post(served.url("/api/v1/invitations"))
        .bearer_auth(&org.token)
        .json(&invitation(org, email))
        .send()
        .await
        .ok()?;
    if response.status() != StatusCode::CREATED {
        return None;
    }
    let body: serde_json::Value = response.json().await.ok()?;
    body["id"].as_i64()
}

/// A mail server that answers each connection only after `delay`, passing it on to `upstream`.
fn slow_smtp(upstream: u16, delay: Duration) -> (u16, Arc<Mutex<usize>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let taken = Arc::new(Mutex::new(0));
    let counting = taken.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            *counting.lock().unwrap() += 1;
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                crate::smtp::forward(client, upstream);
            });
        }
    });
    (port, taken)
}

fn outbox_of(conn: &mut DbConn, email: &str) -> Vec<String> {
    email_outbox::table
        .filter(email_outbox::recipient.eq(email))
        .select(email_outbox::status)
        .load(conn)
        .unwrap()
}

fn log_of(db: &ScratchDb) -> String {
    std::fs::read_to_string(db.data_dir.join("serve.log")).unwrap_or_default()
}

async fn sigterm_answers_the_request_in_flight_and_finishes_the_email_being_sent(backend: Backend) {
    let Some(db) = scratch_database(backend) else {
        return;
    };
    let org = organization(&db);
    let smtp = TestSmtp::start();
    let (slow, connections) = slow_smtp(smtp.port, Duration::from_millis(1500));
    let mut served = Served::start(&db, &format!("smtp://127.0.0.1:{slow}"), 10);
    let client = reqwest::Client::new();
    assert!(invite(&client, &served, &org, "first@acme.io")
        .await
        .is_some());
    // Its email is on its way: the mail server took the connection and is slow to answer.
    let deadline = Instant::now() + Duration::from_secs(10);
    while *connections.lock().unwrap() == 0 {
        assert!(Instant::now() < deadline, "the email was not sent");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    // A request whose body is still arriving when SIGTERM comes.
    let body = invitation(&org, "second@acme.io").to_string();
    let mut request = std::net::TcpStream::connect(("127.0.0.1", served.port())).unwrap();
    write!(
        request,
        "POST /api/v1/invitations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        org.token,
        body.len(),
        &body[..10]
    )
    .unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    served.signal("TERM");
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    // No new connection is taken any more…
    let refused = reqwest::Client::new()
        .get(served.url("/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err(), "a stopping instance takes no new request");
    // …but the one in flight is answered.
    request.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = String::new();
    request.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = served.exited(Duration::from_secs(30)).await;
    assert!(status.success(), "{status:?}\n{}", log_of(&db));
    assert!(
        log_of(&db).contains("no message left half-sent"),
        "{}",
        log_of(&db)
    );
    // The email being sent when the signal came was delivered and recorded as sent.
    let mut conn = connect(&db);
    assert_eq!(outbox_of(&mut conn, "first@acme.io"), ["sent"]);
    assert_eq!(smtp.count_to("first@acme.io"), 1);
    // The late request's invitation is saved, with its email queued (or sent) once.
    let second = users::table
        .filter(users::org_id.eq(org.org_id))
        .filter(users::email.eq("second@acme.io"))
        .count()
        .get_result::<i64>(&mut *conn)
        .unwrap();
    assert_eq!(second, 1);
    assert_eq!(outbox_of(&mut conn, "second@acme.io").len(), 1);
}

/// What the writers were told succeeded.
#[derive(Default)]
struct Acknowledged {
    invited: Vec<(i64, String)>,
    renamed: Vec<(i64, String)>,
}

async fn sigkill_during_writes_loses_no_acknowledged_change_and_no_committed_email(
    backend: Backend,
) {
    let Some(db) = scratch_database(backend) else {
        return;
    };
    let org = Arc::new(organization(&db));
    let smtp = TestSmtp::start();
    let mut served = Served::start(&db, &smtp.url(), 1);
    let address = served.address.clone();
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    // Four writers, each inviting someone and then renaming them, as fast as they can.
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (org, acknowledged, address) = (org.clone(), acknowledged.clone(), address.clone());
            actix_web::rt::spawn(async move {
                let client = reqwest::Client::new();
                let served_at = |path: &str| format!("{address}{path}");
                for n in 0.. {
                    let email = format!("w{writer}-{n}@acme.io");
                    let Ok(response) = client
                        .post(served_at("/api/v1/invitations"))
                        .bearer_auth(&org.token)
                        .json(&invitation(&org, &email))
                        .send()
                        .await
                    else {
                        return;
                    };
                    if response.status() != StatusCode::CREATED {
                        return;
                    }
                    let Ok(body) = response.json::<serde_json::Value>().await else {
                        return;
                    };
                    let id = body["id"].as_i64().unwrap();
                    acknowledged.lock().unwrap().invited.push((id, email));
                    let name = format!("Renamed{writer}x{n}");
                    let Ok(response) = client
                        .patch(served_at(&format!("/api/v1/users/{id}")))
                        .bearer_auth(&org.token)
                        .json(&json!({ "first_name": name }))
                        .send()
                        .await
                    else {
                        return;
                    };
                    if response.status() == StatusCode::OK {
                        acknowledged.lock().unwrap().renamed.push((id, name));
                    }
                }
            })
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(2_000)).await;
    served.child.kill().unwrap(); // SIGKILL
    served.child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(
        acknowledged.invited.len() >= 4,
        "the writers got going ({} invitations)",
        acknowledged.invited.len()
    );
    // Restarted on the same database.
    let _restarted = Served::start(&db, &smtp.url(), 1);
    let mut conn = connect(&db);
    if backend == Backend::Sqlite {
        let check: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut *conn)
            .unwrap();
        assert_eq!(check.len(), 1);
        assert_eq!(check[0].integrity_check, "ok");
    }
    // Every acknowledged invitation and rename is there.
    for (id, email) in &acknowledged.invited {
        let found: String = users::table
            .find(id)
            .select(users::email)
            .first(&mut *conn)
            .unwrap();
        assert_eq!(&found, email);
    }
    for (id, name) in &acknowledged.renamed {
        let found: String = users::table
            .find(id)
            .select(users::first_name)
            .first(&mut *conn)
            .unwrap();
        assert_eq!(&found, name);
    }
    // Nothing half-written: each invited person (acknowledged or not) has their audit event,
    // their email and their seat, and no email or event is left without its person.
    let invited: Vec<i64> = users::table
        .filter(users::org_id.eq(org.org_id))
        .filter(users::email.like("w%"))
        .select(users::id)
        .load(&mut *conn)
        .unwrap();
    let count = |n: i64| usize::try_from(n).unwrap();
    let events = audit_events::table
        .filter(audit_events::action.eq("user.invited"))
        .count()
        .get_result::<i64>(&mut *conn)
        .unwrap();
    let emails = email_outbox::table
        .filter(email_outbox::kind.eq("invite"))
        .count()
        .get_result::<i64>(&mut *conn)
        .unwrap();
    let licenses = license_assignments::table
        .filter(license_assignments::product_id.eq(org.dialer))
        .count()
        .get_result::<i64>(&mut *conn)
        .unwrap();
    let (_, seats_used): (i32, i32) = products::table
        .find(org.dialer)
        .select((products::seats, products::seats_used))
        .first(&mut *conn)
        .unwrap();
    assert_eq!(
        (count(events), count(emails), count(licenses)),
        (invited.len(), invited.len(), invited.len()),
        "events, invitation emails and licenses of {} invited people",
        invited.len()
    );
    assert_eq!(i64::from(seats_used), licenses, "seats used match licenses");
    // Every committed invitation is delivered once its claim (if the killed instance held
    // one) runs out: at least once, and twice at most for those being sent at the kill.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let unsent = email_outbox::table
            .filter(email_outbox::kind.eq("invite"))
            .filter(email_outbox::status.ne("sent"))
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap();
        if unsent == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{unsent} invitations not sent");
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    let recipients: Vec<String> = users::table
        .filter(users::id.eq_any(&invited))
        .select(users::email)
        .load(&mut *conn)
        .unwrap();
    let mut twice = 0;
    for email in &recipients {
        let got = smtp.count_to(email);
        assert!(got >= 1, "{email} got no invitation");
        twice += got - 1;
    }
    assert!(
        twice <= gatehouse::jobs::mail::SENDING_AT_ONCE,
        "{twice} sent again: only those in flight at the kill may be"
    );
}

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

/// `gatehouse backup` while the console serves and writes, then `gatehouse restore`: refused
/// while the console runs, done once it is stopped, and the console started again on the
/// restored database shows what the backup held and not what came after.
#[actix_web::test]
async fn a_backup_taken_while_serving_is_restored_once_the_console_is_stopped() {
    let db = scratch_database(Backend::Sqlite).unwrap();
    let org = organization(&db);
    let smtp = TestSmtp::start();
    let mut served = Served::start(&db, &smtp.url(), 5);
    let client = reqwest::Client::new();
    assert!(invite(&client, &served, &org, "before@acme.io")
        .await
        .is_some());
    let copy = db.data_dir.join("backup.db");
    let printed = run(&db, &["backup", copy.to_str().unwrap()]);
    assert!(printed.contains("Backed up to"), "{printed}");
    assert!(invite(&client, &served, &org, "after@acme.io")
        .await
        .is_some());

    let refused = gatehouse(&db, &["restore", copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("is in use: stop the console"), "{said}");

    served.signal("TERM");
    assert!(served.exited(Duration::from_secs(30)).await.success());
    let printed = run(&db, &["restore", copy.to_str().unwrap()]);
    assert!(printed.contains("Restored"), "{printed}");
    assert!(printed.contains("kept as"), "{printed}");
    // A file that is not a Gatehouse backup is refused, and the database stays as restored.
    let junk = db.data_dir.join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let refused = gatehouse(&db, &["restore", junk.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());

    let served = Served::start(&db, &smtp.url(), 5);
    let emails: Vec<String> = {
        let response = client
            .get(served.url("/api/v1/users?q=acme.io&active=0"))
            .bearer_auth(&org.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value = response.json().await.unwrap();
        body["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(emails.contains(&"before@acme.io".to_owned()), "{emails:?}");
    assert!(!emails.contains(&"after@acme.io".to_owned()), "{emails:?}");
}

/// Two `gatehouse serve` processes on one PostgreSQL database, as behind a load balancer: the
/// Owner signs in on the first (with the emailed code), the same cookie works on the second,
/// and an invitation made through the first's API appears in Activity (Live) on the second
/// within two seconds.
async fn two_binaries_on_one_postgresql_share_a_session_and_live_events(backend: Backend) {
    if backend == Backend::Sqlite {
        eprintln!("SQLite serves one instance");
        return;
    }
    let Some(db) = scratch_database(backend) else {
        return;
    };
    let org = organization(&db);
    let smtp = TestSmtp::start();
    let a = Served::start(&db, &smtp.url(), 5);
    let b = Served::start(&db, &smtp.url(), 5);
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (login, mfa) = (a.url("/login"), a.url("/login/mfa"));
    let page = page_of(&browser, &login).await;
    let response = post_from(
        &browser,
        &login,
        &page,
        &[
            ("email", "olive@acme.io"),
            ("password", "correct horse battery staple"),
        ],
    )
    .await;
    assert_eq!(location_of(&response).as_deref(), Some("/login/mfa"));
    let code = smtp.sign_in_code("olive@acme.io", 0).await;
    let page = page_of(&browser, &mfa).await;
    let response = post_from(&browser, &mfa, &page, &[("code", &code)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Signed in on A; the cookie works on B.
    let on_b = browser.get(b.url("/users")).send().await.unwrap();
    assert_eq!(on_b.status(), StatusCode::OK);
    let mut live = crate::sse::SseReader::open(&browser, &b.url("/activity/stream"), None).await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    assert!(invite(&client, &a, &org, "live@acme.io").await.is_some());
    let seen = live
        .until(Duration::from_secs(2), |e| {
            e.event == "activity" && e.data.contains("live@acme.io")
        })
        .await;
    assert!(
        seen.is_some(),
        "the invitation made on A is live on B within two seconds"
    );
    eprintln!(
        "invitation on A live on B after {} ms",
        started.elapsed().as_millis()
    );
}
