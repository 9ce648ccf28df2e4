//! Live mode and presence: the activity stream (new events, resuming with Last-Event-ID,
//! filters and organizations kept apart), the online dot, Last active throttling and filter,
//! streams that are not activity and end with their session, and two instances on one
//! PostgreSQL.

use std::time::Duration;

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::activity::{person, rows_of};
use crate::helpers::{emails_in, spawn_live_app, Backend, TestApp, PASSWORD};
use crate::sse::SseReader;
use gatehouse::db::schema::{sessions, users};

/// Like `both!`, on an app whose live poller runs every 100 ms.
macro_rules! both_live {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                let app = $crate::helpers::spawn_live_app($crate::helpers::Backend::Sqlite).await.expect("sqlite app");
                super::$name(app).await;
            }

            #[actix_web::test]
            async fn postgres() {
                match $crate::helpers::spawn_live_app($crate::helpers::Backend::Postgres).await {
                    Some(app) => super::$name(app).await,
                    None => $crate::helpers::say_skipped(stringify!($name)),
                }
            }
        }
    )*};
}

crate::both_backends!(on_postgresql_news_crosses_instances_at_once_not_at_the_next_poll);
both_live!(a_sessions_live_connections_are_capped_over_every_instance);

both_live!(
    the_stream_delivers_new_events_and_resumes_after_a_reconnect_with_last_event_id,
    the_stream_keeps_to_its_filter_and_to_the_viewers_organization,
    last_active_moves_at_most_once_a_minute_however_many_requests,
    a_live_connection_neither_moves_last_active_nor_keeps_the_session_alive,
    streams_end_when_their_session_ends,
    the_online_dot_follows_a_second_clients_live_connection,
    the_last_active_filter_keeps_to_its_range_through_the_index,
    two_instances_on_one_postgresql_see_each_others_events_and_presence,
    an_event_committed_after_a_newer_one_is_not_missed_across_a_reconnect,
    pages_loaded_in_quick_succession_each_get_their_live_connection,
    a_session_at_its_cap_ends_its_oldest_live_connection_for_the_newest,
    a_deactivated_users_dot_goes_off_at_once_for_watchers,
);

/// Events arrive within a poll (100 ms here); the margin is for a loaded CI machine.
const WAIT: Duration = Duration::from_secs(15);

/// Writes one event for the organization straight into the log (as any change would).
async fn event(app: &TestApp, org_id: i64, action: &'static str, target: &'static str) -> i64 {
    let now = app.state.clock.now();
    app.db(move |c| {
        let actor = gatehouse::audit::Actor::system("test");
        let meta = gatehouse::audit::Origin::default();
        gatehouse::audit::record(
            c,
            gatehouse::audit::Event {
                org_id: Some(org_id),
                actor: &actor,
                action,
                target: Some((1, target)),
                details: serde_json::json!({}),
                meta: &meta,
            },
            now,
        )
        .unwrap();
        gatehouse::activity::store::newest_id(c).unwrap()
    })
    .await
}

async fn open(app: &TestApp, client: &reqwest::Client, path: &str, last: Option<i64>) -> SseReader {
    SseReader::open(client, &app.url(path), last).await
}

async fn the_stream_delivers_new_events_and_resumes_after_a_reconnect_with_last_event_id(
    app: TestApp,
) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let mut stream = open(&app, &app.client, "/activity/stream", None).await;
    // A real change through the console arrives as its rendered row, with its id.
    let response = app
        .post_form(
            "/settings",
            &[("signup_domains", "acme.io"), ("invite_days", "9")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let first = stream
        .until(WAIT, |e| e.event == "activity")
        .await
        .expect("the new event arrives live");
    let first_id = first.id.expect("id: is the event id");
    assert!(first
        .data
        .starts_with(&format!("<tr id=\"event-{first_id}\"")));
    assert!(first.data.contains(">Settings changed<") && first.data.contains("Invite days: 7 → 9"));
    drop(stream);
    // While disconnected, two more happen.
    let second = event(&app, org_id, "auth.sign_in_failed", "a@acme.io").await;
    let third = event(&app, org_id, "auth.sign_in_failed", "b@acme.io").await;
    // The browser reconnects with the last id it saw: both come, in order, then live again.
    let mut stream = open(&app, &app.client, "/activity/stream", Some(first_id)).await;
    let got = stream.until(WAIT, |e| e.event == "activity").await.unwrap();
    assert_eq!(got.id, Some(second));
    let got = stream.until(WAIT, |e| e.event == "activity").await.unwrap();
    assert_eq!(got.id, Some(third));
    let fourth = event(&app, org_id, "auth.sign_out", "c@acme.io").await;
    let got = stream.until(WAIT, |e| e.event == "activity").await.unwrap();
    assert_eq!(got.id, Some(fourth), "nothing repeated, nothing missed");
    // `since` (the newest row the page showed) works the same for the first connection.
    let mut stream = open(
        &app,
        &app.client,
        &format!("/activity/stream?since={third}"),
        None,
    )
    .await;
    let got = stream.until(WAIT, |e| e.event == "activity").await.unwrap();
    assert_eq!(got.id, Some(fourth));
    // Thousands of events behind, the browser is told to reload its table instead.
    let olive = app.org_owner(org_id).await;
    crate::activity::many_events(&app, org_id, olive, 2_001).await;
    let mut behind = open(&app, &app.client, "/activity/stream", Some(fourth)).await;
    let first = behind.next(WAIT).await.unwrap();
    assert_eq!(
        (first.event.as_str(), first.data.as_str()),
        ("stale", "reload")
    );
    assert!(behind.ends_within(WAIT).await);
}

async fn the_stream_keeps_to_its_filter_and_to_the_viewers_organization(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let mut stream = open(
        &app,
        &app.client,
        "/activity/stream?action=auth.sign_in_failed&q=wanted",
        None,
    )
    .await;
    event(&app, org_id, "auth.sign_out", "wanted@acme.io").await; // another action
    event(&app, org_id, "auth.sign_in_failed", "other@acme.io").await; // no match
    event(&app, org_id + 1000, "auth.sign_in_failed", "wanted@else.io").await; // another org
    let wanted = event(&app, org_id, "auth.sign_in_failed", "wanted@acme.io").await;
    let got = stream.until(WAIT, |e| e.event == "activity").await.unwrap();
    assert_eq!(
        got.id,
        Some(wanted),
        "the first match is the only one: {got:?}"
    );
    assert!(stream
        .until(Duration::from_millis(600), |e| e.event == "activity")
        .await
        .is_none());
}

async fn last_active_of(app: &TestApp, email: &'static str) -> Option<chrono::NaiveDateTime> {
    app.db(move |c| {
        users::table
            .filter(users::email.eq(email))
            .select(users::last_active_at)
            .first::<Option<chrono::NaiveDateTime>>(c)
            .unwrap()
    })
    .await
}

async fn session_seen(app: &TestApp, email: &'static str) -> Vec<chrono::NaiveDateTime> {
    app.db(move |c| {
        sessions::table
            .inner_join(users::table.on(users::id.nullable().eq(sessions::user_id)))
            .filter(users::email.eq(email))
            .select(sessions::last_seen_at)
            .load(c)
            .unwrap()
    })
    .await
}

async fn last_active_moves_at_most_once_a_minute_however_many_requests(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    let start = last_active_of(&app, "olive@acme.io").await.unwrap();
    for _ in 0..25 {
        assert_eq!(app.get("/users").await.status(), StatusCode::OK);
    }
    assert_eq!(
        last_active_of(&app, "olive@acme.io").await,
        Some(start),
        "no write within the minute"
    );
    app.state.clock.advance(chrono::Duration::seconds(61));
    app.get("/users").await;
    let moved = last_active_of(&app, "olive@acme.io").await.unwrap();
    assert!(
        moved >= start + chrono::Duration::seconds(61),
        "one write after the minute"
    );
    for _ in 0..25 {
        app.get("/account").await;
    }
    app.state.clock.advance(chrono::Duration::seconds(30));
    for _ in 0..10 {
        app.get("/users").await;
    }
    assert_eq!(
        last_active_of(&app, "olive@acme.io").await,
        Some(moved),
        "still one write"
    );
}

async fn a_live_connection_neither_moves_last_active_nor_keeps_the_session_alive(app: TestApp) {
    app.setup_first_org("Acme", "olive@acme.io").await;
    app.state.clock.advance(chrono::Duration::minutes(5));
    let (active, seen) = (
        last_active_of(&app, "olive@acme.io").await,
        session_seen(&app, "olive@acme.io").await,
    );
    let mut presence = open(&app, &app.client, "/presence/stream", None).await;
    let mut activity = open(&app, &app.client, "/activity/stream", None).await;
    drop(open(&app, &app.client, "/presence/stream", None).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(last_active_of(&app, "olive@acme.io").await, active);
    assert_eq!(session_seen(&app, "olive@acme.io").await, seen);
    // Left open past the 30 minutes idle limit, the session ends, and so do both streams.
    app.state.clock.advance(chrono::Duration::minutes(26));
    assert!(
        presence.ends_within(WAIT).await,
        "the presence stream ended"
    );
    assert!(
        activity.ends_within(WAIT).await,
        "the activity stream ended"
    );
    let response = app.get("/users").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "signed out for idling"
    );
}

async fn streams_end_when_their_session_ends(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    app.add_people(org_id, vec![person("Ada", "ada@acme.io", &["Manager"])])
        .await;
    let mut owner = open(&app, &app.client, "/presence/stream", None).await;
    assert!(
        !owner.ends_within(Duration::from_millis(1500)).await,
        "open while signed in"
    );
    app.logout().await;
    let end = owner.until(WAIT, |e| e.event == "end").await;
    assert!(end.is_some(), "told the session ended");
    assert!(owner.ends_within(WAIT).await);
    // Losing audit.view ends an activity stream (a presence stream goes on).
    let (ada, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    let mut activity = open(&app, &ada, "/activity/stream", None).await;
    let mut presence = open(&app, &ada, "/presence/stream", None).await;
    deny(&app, "ada@acme.io", "audit.view").await;
    let end = activity.until(WAIT, |e| e.event == "end").await;
    assert_eq!(
        end.map(|e| e.data).as_deref(),
        Some("no-access"),
        "told why it ended"
    );
    assert!(activity.ends_within(WAIT).await, "ended without audit.view");
    assert!(!presence.ends_within(Duration::from_millis(1500)).await);
    // Losing users.view ends a watcher's presence stream without `end` (the browser
    // reconnects); the new stream no longer tells her who is online.
    deny(&app, "ada@acme.io", "users.view").await;
    assert!(
        presence.until(WAIT, |e| e.event == "end").await.is_none() && presence.closed,
        "closed quietly without users.view"
    );
    let mut again = open(&app, &ada, "/presence/stream", None).await;
    assert!(
        again
            .until(Duration::from_millis(1500), |e| e.event == "presence")
            .await
            .is_none(),
        "no presence for someone without users.view"
    );
    assert!(!again.closed, "still holds her online");
    app.db(|c| {
        use gatehouse::db::schema::user_permission_overrides as o;
        diesel::delete(o::table).execute(c).unwrap();
    })
    .await;
    let mut watching = open(&app, &ada, "/presence/stream", None).await;
    assert!(
        watching
            .until(WAIT, |e| e.event == "presence")
            .await
            .is_some(),
        "with users.view back, the snapshot of who is online"
    );
    // Deactivation ends the streams of the person deactivated.
    let mut stream = open(&app, &ada, "/activity/stream", None).await;
    app.db(|c| {
        diesel::update(users::table.filter(users::email.eq("ada@acme.io")))
            .set(users::status.eq("inactive"))
            .execute(c)
            .unwrap();
    })
    .await;
    assert!(
        stream.ends_within(WAIT).await,
        "ended for a deactivated user"
    );
    // A stream without a session is refused in a way EventSource does not retry.
    assert_eq!(
        app.new_browser()
            .get(app.url("/presence/stream"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
}

/// Takes `permission` away from `email` by a per-user override.
async fn deny(app: &TestApp, email: &'static str, permission: &'static str) {
    app.db(move |c| {
        use gatehouse::db::schema::user_permission_overrides as o;
        let id: i64 = users::table
            .filter(users::email.eq(email))
            .select(users::id)
            .first(c)
            .unwrap();
        diesel::insert_into(o::table)
            .values((
                o::user_id.eq(id),
                o::permission.eq(permission),
                o::granted.eq(false),
            ))
            .execute(c)
            .unwrap();
    })
    .await;
}

/// A presence event saying `user_id` came online (or left).
fn is_presence(event: &crate::sse::SseEvent, user_id: i64, online: bool) -> bool {
    let Ok(data) = serde_json::from_str::<serde_json::Value>(&event.data) else {
        return false;
    };
    event.event == "presence" && data["user"] == user_id && data["online"] == online
}

fn dot_of(page: &str, email: &str) -> bool {
    page.split("<tr id=\"user-")
        .skip(1)
        .find(|row| row.contains(email))
        .unwrap_or_else(|| panic!("no row for {email}"))
        .contains("presence online")
}

async fn the_online_dot_follows_a_second_clients_live_connection(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada_id = app
        .add_people(org_id, vec![person("Ada", "ada@acme.io", &["Agent"])])
        .await[0];
    let (ada, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    let (_, page) = app.get_html("/users").await;
    assert!(
        dot_of(&page, "ada@acme.io"),
        "a request in the last 2 minutes"
    );
    app.state.clock.advance(chrono::Duration::minutes(3));
    let (_, page) = app.get_html("/users").await;
    assert!(
        !dot_of(&page, "ada@acme.io"),
        "no request for 3 minutes, no tab open"
    );
    let ada_active = last_active_of(&app, "ada@acme.io").await;

    // The manager watches; Ada opens the console in a second client.
    let mut watcher = open(&app, &app.client, "/presence/stream", None).await;
    let snapshot = watcher
        .until(WAIT, |e| e.event == "presence")
        .await
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(&snapshot.data).unwrap();
    assert!(!data["online"].as_array().unwrap().contains(&ada_id.into()));
    let ada_tab = open(&app, &ada, "/presence/stream", None).await;
    let came = watcher.until(WAIT, |e| is_presence(e, ada_id, true)).await;
    assert!(came.is_some(), "the dot turns on without reload");
    let (_, page) = app.get_html("/users").await;
    assert!(dot_of(&page, "ada@acme.io") && page.contains("(online)"));
    assert_eq!(
        last_active_of(&app, "ada@acme.io").await,
        ada_active,
        "not activity"
    );

    // Ada closes her last tab: off within seconds (10 at most).
    drop(ada_tab);
    let left = watcher
        .until(Duration::from_secs(10), |e| is_presence(e, ada_id, false))
        .await;
    assert!(left.is_some(), "the dot turns off within 10 seconds");
    let (_, page) = app.get_html("/users").await;
    assert!(!dot_of(&page, "ada@acme.io"));
}

async fn a_deactivated_users_dot_goes_off_at_once_for_watchers(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada_id = app
        .add_people(org_id, vec![person("Ada", "ada@acme.io", &["Agent"])])
        .await[0];
    // Ada worked a moment ago (online for two minutes after her last request) and has a tab
    // open.
    let (ada, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    let _ada_tab = open(&app, &ada, "/presence/stream", None).await;
    let mut watcher = open(&app, &app.client, "/presence/stream", None).await;
    watcher
        .until(WAIT, |e| {
            e.event == "presence" && e.data.contains(&ada_id.to_string())
        })
        .await
        .expect("Ada online in the snapshot");
    // Deactivated: off within the next poll, not two minutes later.
    let response = app
        .hx_post(&format!("/users/{ada_id}/deactivate"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let off = watcher
        .until(Duration::from_secs(3), |e| is_presence(e, ada_id, false))
        .await;
    assert!(off.is_some(), "the dot turns off at once");
    let (_, page) = app.get_html("/users?active=0").await;
    assert!(!dot_of(&page, "ada@acme.io"));
}

async fn the_last_active_filter_keeps_to_its_range_through_the_index(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let mut recent = person("Rita", "rita@acme.io", &["Agent"]);
    recent.active_minutes_ago = Some(60 * 24 * 3);
    let mut idle = person("Ivan", "ivan@acme.io", &["Agent"]);
    idle.active_minutes_ago = Some(60 * 24 * 120);
    let mut never = person("Nora", "nora@acme.io", &["Agent"]);
    never.active_minutes_ago = None;
    let mut month = person("Mona", "mona@acme.io", &["Agent"]);
    month.active_minutes_ago = Some(60 * 24 * 30);
    app.add_people(org_id, vec![recent, idle, never, month])
        .await;
    let (_, page) = app.get_html("/users?last_active=7d").await;
    assert_eq!(emails_in(&page), vec!["rita@acme.io", "olive@acme.io"]);
    assert!(page.contains("<option value=\"7d\" selected>Active in the last 7 days</option>"));
    let (_, page) = app
        .get_html("/users?last_active=idle90d&sort=-last_active")
        .await;
    assert_eq!(emails_in(&page), vec!["ivan@acme.io", "nora@acme.io"]);
    assert!(
        page.contains("last_active=idle90d"),
        "links keep the filter"
    );
    let (_, page) = app.get_html("/users?last_active=bogus").await;
    assert_eq!(emails_in(&page).len(), 5, "unknown values mean any time");
    assert!(page.contains("<option value=\"\" selected>Any time</option>"));

    // The filter is a range on (org_id, active_sort, id): with the Last active sort it is the
    // index walk itself; with another sort it is checked beside that sort's index.
    let plan = |pairs: Vec<(String, String)>| {
        app.db(move |c| {
            let mut query = gatehouse::users::forms::ListQuery::from_pairs(&pairs);
            query.as_of = Some(chrono::Utc::now().naive_utc());
            gatehouse::users::store::explain_list(c, org_id, &query)
                .unwrap()
                .join("\n")
        })
    };
    let by_activity = plan(vec![
        ("last_active".into(), "7d".into()),
        ("sort".into(), "-last_active".into()),
    ])
    .await;
    let by_name = plan(vec![("last_active".into(), "idle90d".into())]).await;
    match app.backend {
        Backend::Sqlite => {
            assert!(
                by_activity.contains("users_org_active (org_id=? AND active_sort>?)"),
                "{by_activity}"
            );
            assert!(
                !by_name
                    .lines()
                    .any(|l| l.trim_start_matches(['|', '-', '`', ' ']) == "SCAN u"),
                "{by_name}"
            );
        }
        Backend::Postgres => {
            assert!(by_activity.contains("users_org_active"), "{by_activity}");
            assert!(!by_activity.contains("Seq Scan on users"), "{by_activity}");
        }
    }
    let _ = rows_of;
}

async fn two_instances_on_one_postgresql_see_each_others_events_and_presence(app: TestApp) {
    if app.backend == Backend::Sqlite {
        eprintln!("two instances share one PostgreSQL; a SQLite file has one instance: nothing to run here");
        return;
    }
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada_id = app
        .add_people(org_id, vec![person("Ada", "ada@acme.io", &["Agent"])])
        .await[0];
    let (ada, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    // Her last request is long past (the second instance has a clock of its own).
    last_request_long_ago(&app, "ada@acme.io").await;
    let other = app.start_another_instance().await;
    assert_ne!(other.state.live.instance_id, app.state.live.instance_id);
    // The Owner's browser talks to the second instance (same cookies: same host and key).
    let mut live = SseReader::open(&app.client, &other.url("/activity/stream"), None).await;
    let mut watcher = SseReader::open(&app.client, &other.url("/presence/stream"), None).await;
    watcher
        .until(WAIT, |e| e.event == "presence")
        .await
        .expect("a snapshot");
    // A change made on the first instance appears live on the second.
    let response = app
        .post_form(
            "/settings",
            &[("signup_domains", "acme.io"), ("invite_days", "11")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let got = live
        .until(WAIT, |e| e.event == "activity")
        .await
        .expect("seen on the other instance");
    assert!(got.data.contains("Invite days: 7 → 11"));
    // Ada opens the console on the first instance; the watcher on the second sees her.
    let tab = open(&app, &ada, "/presence/stream", None).await;
    assert!(watcher
        .until(WAIT, |e| is_presence(e, ada_id, true))
        .await
        .is_some());
    drop(tab);
    assert!(watcher
        .until(Duration::from_secs(10), |e| is_presence(e, ada_id, false))
        .await
        .is_some());
    let (_, page) = app.get_html("/users").await;
    assert!(!dot_of(&page, "ada@acme.io"));
    let _ = (rows_of, spawn_live_app);
}

#[derive(diesel::QueryableByName)]
struct NewId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

async fn an_event_committed_after_a_newer_one_is_not_missed_across_a_reconnect(app: TestApp) {
    if app.backend == Backend::Sqlite {
        eprintln!("SQLite commits one writer at a time, in id order: nothing to run here");
        return;
    }
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let mut stream = open(&app, &app.client, "/activity/stream", None).await;
    // A slow transaction takes an id, then a quicker one takes the next and commits first.
    let url = app.state.config.database_url.target.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<i64>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let slow = std::thread::spawn(move || {
        let mut c = gatehouse::db::connect_pg(&url).unwrap();
        c.transaction(|c| {
            let row: NewId = diesel::sql_query(
                "INSERT INTO audit_events (org_id, actor_label, action, target_label, created_at) \
                 VALUES ($1, 'slow', 'auth.sign_out', 'late@acme.io', now()) RETURNING id",
            )
            .bind::<diesel::sql_types::BigInt, _>(org_id)
            .get_result(c)?;
            ready_tx.send(row.id).unwrap();
            go_rx.recv().unwrap();
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    });
    let late = ready_rx.recv().unwrap();
    let newer = event(&app, org_id, "auth.sign_out", "quick@acme.io").await;
    assert!(newer > late);
    let got = stream.until(WAIT, |e| e.event == "activity").await.unwrap();
    assert_eq!(got.id, Some(newer));
    // The browser goes away having seen `newer`; then the slow one commits.
    drop(stream);
    go_tx.send(()).unwrap();
    slow.join().unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut stream = open(&app, &app.client, "/activity/stream", Some(newer)).await;
    let got = stream.until(WAIT, |e| e.event == "activity").await;
    assert_eq!(
        got.and_then(|e| e.id),
        Some(late),
        "the late commit is sent on resume"
    );
    // A browser still connected when it commits gets it live.
    let mut live = open(&app, &app.client, "/activity/stream", None).await;
    let url = app.state.config.database_url.target.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<i64>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let slow = std::thread::spawn(move || {
        let mut c = gatehouse::db::connect_pg(&url).unwrap();
        c.transaction(|c| {
            let row: NewId = diesel::sql_query(
                "INSERT INTO audit_events (org_id, actor_label, action, target_label, created_at) \
                 VALUES ($1, 'slow', 'auth.sign_out', 'late2@acme.io', now()) RETURNING id",
            )
            .bind::<diesel::sql_types::BigInt, _>(org_id)
            .get_result(c)?;
            ready_tx.send(row.id).unwrap();
            go_rx.recv().unwrap();
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    });
    let late = ready_rx.recv().unwrap();
    let newer = event(&app, org_id, "auth.sign_out", "quick2@acme.io").await;
    let got = live.until(WAIT, |e| e.event == "activity").await.unwrap();
    assert_eq!(got.id, Some(newer));
    go_tx.send(()).unwrap();
    slow.join().unwrap();
    let got = live.until(WAIT, |e| e.event == "activity").await;
    assert_eq!(
        got.and_then(|e| e.id),
        Some(late),
        "delivered live, after the newer one"
    );
}

async fn pages_loaded_in_quick_succession_each_get_their_live_connection(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada_id = app
        .add_people(org_id, vec![person("Ada", "ada@acme.io", &["Agent"])])
        .await[0];
    let max = gatehouse::presence::MAX_PER_SESSION;
    // Each page load opens the stream and leaves it: the browser closes the connection, and
    // the server hears of it only at its next ping, seconds later.
    for page in 0..max + 4 {
        let stream = app.get("/presence/stream").await;
        assert_eq!(stream.status(), StatusCode::OK, "page {}", page + 1);
        drop(stream);
    }
    // The page the person stays on gets its stream, and its dots move.
    let mut stays = open(&app, &app.client, "/presence/stream", None).await;
    assert!(app.state.live.connections() <= max + 1);
    let (ada, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    let _ada_tab = open(&app, &ada, "/presence/stream", None).await;
    let came = stays.until(WAIT, |e| is_presence(e, ada_id, true)).await;
    assert!(came.is_some(), "the dot turns on without reload");
}

async fn a_session_at_its_cap_ends_its_oldest_live_connection_for_the_newest(app: TestApp) {
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada_id = app
        .add_people(org_id, vec![person("Ada", "ada@acme.io", &["Agent"])])
        .await[0];
    let max = gatehouse::presence::MAX_PER_SESSION;
    let mut held = Vec::new();
    for _ in 0..max {
        held.push(open(&app, &app.client, "/presence/stream", None).await);
    }
    // The 13th is not refused: the oldest is told it was replaced (so that browser does not
    // reconnect and push out another) and closes.
    let mut newest = open(&app, &app.client, "/presence/stream", None).await;
    let end = held[0].until(WAIT, |e| e.event == "end").await;
    assert_eq!(end.map(|e| e.data).as_deref(), Some("replaced"));
    assert!(held[0].ends_within(WAIT).await);
    let deadline = std::time::Instant::now() + WAIT;
    while app.state.live.connections() > max && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.state.live.connections(),
        max,
        "the replaced one left at once"
    );

    // The newest keeps moving the dots.
    let (ada, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    let ada_tab = open(&app, &ada, "/presence/stream", None).await;
    let came = newest.until(WAIT, |e| is_presence(e, ada_id, true)).await;
    assert!(
        came.is_some(),
        "the newest connection hears Ada come online"
    );
    drop(ada_tab);

    // An Activity page in live mode at the cap opens too; with no older Activity stream, the
    // oldest connection of any kind makes room.
    let _activity = open(&app, &app.client, "/activity/stream", None).await;
    let end = held[1].until(WAIT, |e| e.event == "end").await;
    assert_eq!(end.map(|e| e.data).as_deref(), Some("replaced"));
    assert!(
        held[2]
            .until(Duration::from_millis(300), |e| e.event == "end")
            .await
            .is_none()
            && !held[2].closed,
        "only the oldest ends"
    );
}

/// Two instances whose pollers read only every 30 seconds: an event and a connection made on
/// one still reach a watcher on the other within two seconds, because PostgreSQL notifies
/// every listening instance at commit (LISTEN/NOTIFY).
async fn on_postgresql_news_crosses_instances_at_once_not_at_the_next_poll(backend: Backend) {
    if backend == Backend::Sqlite {
        eprintln!("SQLite serves one instance: its poller is woken directly");
        return;
    }
    let slow = |config: &mut gatehouse::config::Config| {
        config.live_poll_ms = 30_000;
        config.presence_stale_secs = 3;
    };
    let smtp = crate::smtp::TestSmtp::start();
    let url = smtp.url();
    let Some(mut app) = crate::helpers::spawn_app_with(backend, |c| {
        c.smtp_url = Some(url);
        slow(c);
    })
    .await
    else {
        return;
    };
    app.smtp = Some(smtp);
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada_id = app
        .add_people(org_id, vec![person("Ada", "ada@acme.io", &["Agent"])])
        .await[0];
    let (ada, _) = app.browser_login("ada@acme.io", PASSWORD).await;
    // Her last request is long past: only a live connection makes her online.
    last_request_long_ago(&app, "ada@acme.io").await;
    let other = app.start_another_instance_with(slow).await;
    let mut live = SseReader::open(&app.client, &other.url("/activity/stream"), None).await;
    let mut watcher = SseReader::open(&app.client, &other.url("/presence/stream"), None).await;
    watcher
        .until(WAIT, |e| e.event == "presence")
        .await
        .expect("a snapshot");
    // Past the first ticks the connections above caused.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let response = app
        .post_form(
            "/settings",
            &[("signup_domains", "acme.io"), ("invite_days", "12")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let got = live
        .until(Duration::from_secs(2), |e| e.event == "activity")
        .await
        .expect("the event reached the other instance within two seconds");
    assert!(got.data.contains("Invite days: 7 → 12"), "{}", got.data);
    let took = started.elapsed();
    // Ada opens the console on the first instance: her dot lights on the second.
    let started = std::time::Instant::now();
    let tab = open(&app, &ada, "/presence/stream", None).await;
    assert!(
        watcher
            .until(Duration::from_secs(2), |e| is_presence(e, ada_id, true))
            .await
            .is_some(),
        "online within two seconds"
    );
    eprintln!(
        "across instances: event {} ms, online dot {} ms",
        took.as_millis(),
        started.elapsed().as_millis()
    );
    drop(tab);
}

/// The cap of live connections is per session over every instance: twelve on one instance and
/// a thirteenth on another end the oldest, wherever it is held.
async fn a_sessions_live_connections_are_capped_over_every_instance(app: TestApp) {
    if app.backend == Backend::Sqlite {
        eprintln!("SQLite serves one instance: the cap holds there (see above)");
        return;
    }
    app.setup_first_org("Acme", "olive@acme.io").await;
    let max = gatehouse::presence::MAX_PER_SESSION;
    let mut held = Vec::new();
    for _ in 0..max {
        held.push(open(&app, &app.client, "/presence/stream", None).await);
        // Each written by its own tick, so they are ordered by when they opened.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let other = app.start_another_instance().await;
    let mut newest = SseReader::open(&app.client, &other.url("/presence/stream"), None).await;
    let end = held[0].until(WAIT, |e| e.event == "end").await;
    assert_eq!(end.map(|e| e.data).as_deref(), Some("replaced"));
    assert!(held[0].ends_within(WAIT).await);
    assert!(
        held[1]
            .until(Duration::from_millis(1_500), |e| e.event == "end")
            .await
            .is_none()
            && newest
                .until(Duration::from_millis(100), |e| e.event == "end")
                .await
                .is_none(),
        "only the oldest ends"
    );
}

/// Makes `email`'s last request ten minutes old: only a live connection makes them online.
async fn last_request_long_ago(app: &TestApp, email: &'static str) {
    app.db(move |c| {
        let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(10);
        diesel::update(users::table.filter(users::email.eq(email)))
            .set(users::last_active_at.eq(long_ago))
            .execute(c)
            .unwrap();
    })
    .await;
}
