//! PostgreSQL going away while the console serves: the app reaches the database through a
//! TCP proxy started by the test, which the test cuts (every connection dropped, new ones
//! refused) and restores. Pages answer a clear 503 within seconds instead of hanging,
//! `/readyz` says the database is unavailable, and service resumes by itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::sync::watch;

use crate::both_backends;
use crate::helpers::{spawn_app_with, Backend, TestApp};

both_backends!(a_stopped_database_gives_a_quick_503_and_service_resumes);
crate::both!(a_failure_shows_a_reference_that_is_the_request_id);

/// A proxy to PostgreSQL that can be cut and restored.
struct Proxy {
    port: u16,
    up: watch::Sender<bool>,
}

impl Proxy {
    /// On a thread and runtime of its own: the app's pool connects from blocking threads while
    /// the test's runtime waits (building the app blocks it).
    fn start(target: &str) -> Proxy {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let (up, watcher) = watch::channel(true);
        let target = Arc::new(target.to_owned());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                loop {
                    let Ok((mut client, _)) = listener.accept().await else {
                        return;
                    };
                    if !*watcher.borrow() {
                        drop(client);
                        continue;
                    }
                    let (target, mut down) = (target.clone(), watcher.clone());
                    tokio::spawn(async move {
                        let Ok(mut server) = tokio::net::TcpStream::connect(target.as_str()).await
                        else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = down.wait_for(|up| !*up) => {}
                        }
                    });
                }
            });
        });
        Proxy { port, up }
    }

    fn set(&self, up: bool) {
        self.up.send_replace(up);
    }
}

async fn a_stopped_database_gives_a_quick_503_and_service_resumes(backend: Backend) {
    if backend == Backend::Sqlite {
        // A file, not a server: nothing to stop.
        return;
    }
    let proxy = Proxy::start("127.0.0.1:5432");
    let port = proxy.port;
    let Some(app) = spawn_app_with(backend, move |c| {
        c.database_url.target = c
            .database_url
            .target
            .replace("127.0.0.1:5432", &format!("127.0.0.1:{port}"));
    })
    .await
    else {
        return;
    };
    assert!(app
        .state
        .config
        .database_url
        .target
        .contains(&port.to_string()));
    app.setup_first_org("Acme", "olive@acme.io").await;
    assert_eq!(app.get_html("/users").await.0, StatusCode::OK);

    proxy.set(false);
    for path in ["/users", "/readyz"] {
        let started = Instant::now();
        let response = app.get(path).await;
        let took = started.elapsed();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
        assert!(took < Duration::from_secs(5), "{path} took {took:?}");
        assert!(
            body.contains("database is not answering") || body.contains("database unavailable"),
            "{path}: {body}"
        );
    }

    proxy.set(true);
    let deadline = Instant::now() + Duration::from_secs(20);
    // Pages and readiness both come back (each pooled connection finds the database again on
    // its own: one request may still meet a connection that has not).
    for path in ["/users", "/readyz"] {
        loop {
            let status = app.get(path).await.status();
            if status == StatusCode::OK {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{path} still {status} after the database came back"
            );
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A page that fails unexpectedly (here a table is gone from under it) shows a reference to
/// quote: the request's id, which every answer carries in `X-Request-Id` (and the request's
/// log lines name).
async fn a_failure_shows_a_reference_that_is_the_request_id(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let fine = app.get("/users").await;
    let id = fine.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(id.len() >= 8, "{id}");
    let next = app.get("/users").await;
    assert_ne!(
        next.headers()["x-request-id"].to_str().unwrap(),
        id,
        "one id per request"
    );

    app.db(|c| {
        use diesel::connection::SimpleConnection;
        c.batch_execute("DROP TABLE api_tokens").unwrap();
    })
    .await;
    let response = app.get("/settings/api-tokens").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = response.text().await.unwrap();
    assert!(
        page.contains(&format!(
            "give this reference to your administrator: <code>{id}</code>"
        )),
        "{page}"
    );
    assert!(
        !page.contains("no such table") && !page.contains("does not exist"),
        "no database detail shown: {page}"
    );
}
