//! Webhooks: deliveries signed and received by a receiver this test starts, retried after the
//! receiver was down (the same delivery id), an endpoint failing for a day paused and its
//! Owners told, Settings → Webhooks' checks and confirmations.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::api_tokens::make_token;
use crate::both;
use crate::helpers::{someone, spawn_app_with, Backend, TestApp};

crate::both_backends!(
    deliveries_are_signed_and_received,
    a_delivery_is_retried_until_the_receiver_answers_and_a_day_of_failures_pauses,
    a_queued_delivery_outlives_the_instance_that_queued_it,
);
both!(settings_checks_the_address_and_events_and_confirms_a_delete);

type Received = Arc<Mutex<Vec<(HashMap<String, String>, String)>>>;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A receiver on `port` that keeps every request and answers 200.
fn receive_on(port: u16) -> Received {
    let got: Received = Arc::default();
    let kept = got.clone();
    let server = actix_web::HttpServer::new(move || {
        let kept = kept.clone();
        actix_web::App::new().default_service(actix_web::web::to(
            move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                let kept = kept.clone();
                async move {
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.as_str().to_lowercase(),
                                v.to_str().unwrap_or("").to_owned(),
                            )
                        })
                        .collect();
                    kept.lock()
                        .unwrap()
                        .push((headers, String::from_utf8_lossy(&body).into_owned()));
                    actix_web::HttpResponse::Ok().body("thanks")
                }
            },
        ))
    })
    .workers(1)
    .bind(("127.0.0.1", port))
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    got
}

async fn wait_for(got: &Received, count: usize) -> Vec<(HashMap<String, String>, String)> {
    for _ in 0..150 {
        if got.lock().unwrap().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all = got.lock().unwrap().clone();
    assert!(
        all.len() >= count,
        "{} of {count} deliveries arrived",
        all.len()
    );
    all
}

async fn fast_app(backend: Backend) -> Option<TestApp> {
    let smtp = crate::smtp::TestSmtp::start();
    let url = smtp.url();
    let mut app = spawn_app_with(backend, move |c| {
        c.smtp_url = Some(url);
        c.webhooks_allow_private = true;
        c.webhook_poll_ms = 100;
        c.webhook_retry_secs = 1;
    })
    .await?;
    app.smtp = Some(smtp);
    Some(app)
}

/// Adds a webhook on the page; its signing secret.
async fn add_webhook(app: &TestApp, url: &str, events: &[&str]) -> String {
    let mut fields = vec![("url", url)];
    fields.extend(events.iter().map(|e| ("event", *e)));
    let response = app.post_form("/settings/webhooks", &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let at = page
        .find("id=\"made-secret\"")
        .expect("the secret is shown once");
    let value = &page[at..];
    let value = &value[value.find("value=\"").unwrap() + 7..];
    value[..value.find('"').unwrap()].to_owned()
}

async fn deliveries_are_signed_and_received(backend: Backend) {
    let Some(app) = fast_app(backend).await else {
        return;
    };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    let port = free_port();
    let got = receive_on(port);
    let secret = add_webhook(
        &app,
        &format!("http://127.0.0.1:{port}/hook"),
        &["user.created", "user.deactivated"],
    )
    .await;
    assert!(secret.starts_with("whsec_"));
    let token = make_token(&app, "/settings/api-tokens", "HR", &["users:write"]).await;
    let agent = app
        .db(move |c| gatehouse::users::store::role_id_by_name(c, org_id, "Agent").unwrap())
        .await;
    let created = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "first_name": "Bo", "last_name": "B", "email": "bo@acme.io", "role_ids": [agent] }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    app.hx_post(&format!("/users/{ada}/deactivate"), &[]).await;
    let all = wait_for(&got, 2).await;
    let mut kinds = Vec::new();
    for (headers, body) in &all {
        let (t, v1) = headers["gatehouse-signature"]
            .split_once(',')
            .map(|(t, v)| {
                (
                    t.trim_start_matches("t=").parse::<i64>().unwrap(),
                    v.trim_start_matches("v1="),
                )
            })
            .unwrap();
        assert_eq!(
            gatehouse::webhooks::signature(&secret, t, body),
            v1,
            "a receiver can check it"
        );
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!(event["type"], headers["gatehouse-event"].as_str());
        assert_eq!(event["id"], headers["gatehouse-delivery"].as_str());
        kinds.push(event["type"].as_str().unwrap().to_owned());
        if event["type"] == "user.deactivated" {
            assert_eq!(event["user"]["email"], "ada@acme.io");
        }
    }
    kinds.sort();
    assert_eq!(kinds, vec!["user.created", "user.deactivated"]);
    let (_, page) = app.get_html("/settings/webhooks").await;
    assert!(page.contains("Delivered"));
}

async fn a_delivery_is_retried_until_the_receiver_answers_and_a_day_of_failures_pauses(
    backend: Backend,
) {
    let Some(app) = fast_app(backend).await else {
        return;
    };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    let port = free_port(); // nothing listens there yet
    add_webhook(
        &app,
        &format!("http://127.0.0.1:{port}/hook"),
        &["user.deactivated"],
    )
    .await;
    app.hx_post(&format!("/users/{}/deactivate", ids[0]), &[])
        .await;
    // It failed at least once and waits for its retry.
    let mut event_id = String::new();
    for _ in 0..100 {
        let row: Option<(String, i32, String)> = app
            .db(|c| {
                use diesel::prelude::*;
                use gatehouse::db::schema::webhook_deliveries as d;
                d::table
                    .select((d::event_id, d::attempts, d::status))
                    .first(c)
                    .optional()
                    .unwrap()
            })
            .await;
        if let Some((id, attempts, status)) = row {
            if attempts >= 1 {
                assert_eq!(status, "pending");
                event_id = id;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !event_id.is_empty(),
        "the first attempt failed and was recorded"
    );
    let got = receive_on(port);
    let all = wait_for(&got, 1).await;
    assert_eq!(
        all[0].0["gatehouse-delivery"], event_id,
        "the same delivery, retried"
    );
    // An endpoint failing for a day is paused, and the Owner is told.
    let dead = free_port();
    add_webhook(
        &app,
        &format!("http://127.0.0.1:{dead}/hook"),
        &["user.deactivated"],
    )
    .await;
    app.db(move |c| {
        use diesel::prelude::*;
        use gatehouse::db::schema::webhooks as w;
        let day_ago = chrono::Utc::now().naive_utc() - chrono::Duration::hours(25);
        diesel::update(w::table.filter(w::url.like(format!("%:{dead}/hook"))))
            .set(w::failing_since.eq(day_ago))
            .execute(c)
            .unwrap()
    })
    .await;
    app.hx_post(&format!("/users/{}/deactivate", ids[1]), &[])
        .await;
    app.mail()
        .message_about("olive@acme.io", "A Gatehouse webhook was paused")
        .await;
    let (_, page) = app.get_html("/settings/webhooks").await;
    assert!(page.contains("Paused since"));
    let paused: i64 = app
        .db(move |c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::webhooks as w;
            w::table
                .filter(w::url.like(format!("%:{dead}/hook")))
                .select(w::id)
                .first(c)
                .unwrap()
        })
        .await;
    let response = app
        .hx_post(&format!("/settings/webhooks/{paused}/resume"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, page) = app.get_html("/settings/webhooks").await;
    assert!(!page.contains("Paused since"));
}

async fn settings_checks_the_address_and_events_and_confirms_a_delete(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    for (url, message) in [
        (
            "ftp://example.com/x",
            "Enter an http:// or https:// address",
        ),
        ("http://127.0.0.1:9/hook", "private network"),
        ("https://10.1.2.3/hook", "private network"),
        ("http://localhost/hook", "private network"),
        ("http://2130706433/hook", "private network"),
        ("http://0x7f.1/hook", "private network"),
        ("http://127.0.0.1./hook", "private network"),
        ("http://[::ffff:127.0.0.1]/hook", "private network"),
        ("http://100.100.100.200/latest/meta-data", "private network"),
        ("http://localhost./hook", "private network"),
    ] {
        let response = app
            .post_form(
                "/settings/webhooks",
                &[("url", url), ("event", "user.created")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(response.text().await.unwrap().contains(message), "{url}");
    }
    let response = app
        .post_form(
            "/settings/webhooks",
            &[("url", "https://hooks.example.com/gatehouse")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Choose at least one event."));
    let secret = add_webhook(
        &app,
        "https://hooks.example.com/gatehouse",
        &["user.deleted"],
    )
    .await;
    assert!(secret.starts_with("whsec_"));
    let id: i64 = app
        .db(|c| {
            use diesel::prelude::*;
            use gatehouse::db::schema::webhooks as w;
            w::table.select(w::id).first(c).unwrap()
        })
        .await;
    let dialog = app
        .hx_get(&format!("/settings/webhooks/{id}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dialog.contains("Delete the webhook to https://hooks.example.com/gatehouse?"));
    let response = app
        .hx_post(&format!("/settings/webhooks/{id}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, activity) = app.get_html("/activity").await;
    assert!(activity.contains("Webhook added") && activity.contains("Webhook deleted"));
}

/// The delivery is queued by one instance whose worker never gets to it (as if it stopped
/// right after the change), and a second instance started on the same database delivers it.
async fn a_queued_delivery_outlives_the_instance_that_queued_it(backend: Backend) {
    let Some(first) = spawn_app_with(backend, |c| {
        c.webhooks_allow_private = true;
        c.webhook_poll_ms = 3_600_000;
    })
    .await
    else {
        return;
    };
    let org_id = first.setup_first_org("Acme", "olive@acme.io").await;
    let ada = first
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    let port = free_port();
    let got = receive_on(port);
    add_webhook(
        &first,
        &format!("http://127.0.0.1:{port}/hook"),
        &["user.deactivated"],
    )
    .await;
    first
        .hx_post(&format!("/users/{ada}/deactivate"), &[])
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        got.lock().unwrap().is_empty(),
        "the first instance sent nothing"
    );
    let url = first.state.config.database_url.clone();
    let Some(_second) = spawn_app_with(backend, move |c| {
        c.database_url = url;
        c.webhooks_allow_private = true;
        c.webhook_poll_ms = 100;
    })
    .await
    else {
        return;
    };
    let all = wait_for(&got, 1).await;
    assert_eq!(all[0].0["gatehouse-event"], "user.deactivated");
}
