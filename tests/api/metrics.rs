//! `/metrics`: off without a token; with one, a scrape must bring it, and the text names
//! requests by route pattern (never the raw path), sign-in outcomes, the pool, the outboxes
//! and the live connections.

use reqwest::StatusCode;

use crate::both;
use crate::both_backends;
use crate::helpers::{spawn_app_with, Backend, TestApp, PASSWORD};

both!(metrics_are_off_without_a_token);
both_backends!(a_scrape_with_the_token_shows_requests_sign_ins_and_queues);

async fn metrics_are_off_without_a_token(app: TestApp) {
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
}

async fn a_scrape_with_the_token_shows_requests_sign_ins_and_queues(backend: Backend) {
    let Some(app) =
        spawn_app_with(backend, |c| c.metrics_token = Some("m3trics-token".into())).await
    else {
        return;
    };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(
        org_id,
        vec![crate::helpers::someone("Ann", "ann@acme.io", "Agent")],
    )
    .await;
    let user = app.get_html("/users?q=ann").await;
    assert_eq!(user.0, StatusCode::OK);
    app.logout().await;
    app.login_as("ann@acme.io", "wrong password").await;
    app.login_as("ann@acme.io", PASSWORD).await;

    // Prometheus: no cookies, no redirects followed.
    let prometheus = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let scrape = |token: &'static str| {
        prometheus
            .get(app.url("/metrics"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        scrape("nope").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let response = scrape("m3trics-token").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    for line in [
        r#"gatehouse_http_requests_total{method="GET",route="/users",status="200"}"#,
        r#"gatehouse_http_request_duration_seconds_bucket{le="#,
        r#"gatehouse_sign_ins_total{outcome="refused"} 1"#,
        r#"gatehouse_sign_ins_total{outcome="complete"} 1"#,
        r#"gatehouse_outbox_pending{outbox="mail"}"#,
        r#"gatehouse_outbox_pending{outbox="webhooks"} 0"#,
        "gatehouse_db_pool_connections ",
        "gatehouse_live_connections 0",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    // Routes by pattern, never by id or query.
    assert!(!text.contains("q=ann"));
}
