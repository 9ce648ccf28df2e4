//! `GET /activity/stream?<the page's filter>`: live mode. Each new event of the viewer's
//! organization that matches the filter arrives as its rendered table row, with `id:` = the
//! event's id. On reconnect the browser sends `Last-Event-ID` and everything after it that
//! matches is sent first, from the database, so nothing is missed (a browser thousands of
//! events behind is told to reload its table instead); then the instance's broadcast takes
//! over. A viewer who falls behind the broadcast is disconnected and catches
//! up the same way.

use std::collections::HashSet;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use tokio::sync::{broadcast, mpsc};

use super::forms::{ActivityQuery, Filter};
use super::labels::Names;
use super::service;
use super::store::{self, EventRecord};
use super::views::{ActivityRow, ActivityRowFragment};
use crate::auth::permissions::Permission;
use crate::presence::{sse, Ended, Stream};
use crate::web::{AppError, State};

/// A browser further behind than this reloads its table instead (`event: stale`): the
/// newest page plus paging shows it everything, without one request sending the whole log.
const CATCH_UP_MAX: usize = 2_000;

/// Where to continue: `Last-Event-ID` (a reconnect), else `since` (the newest row the page
/// showed), else from now on.
fn resume_point(req: &HttpRequest, pairs: &[(String, String)]) -> Option<i64> {
    req.headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == "since")
                .and_then(|(_, v)| v.parse().ok())
        })
}

fn event_frame(
    event: &EventRecord,
    names: &Names,
    now: chrono::NaiveDateTime,
) -> Option<web::Bytes> {
    let row = ActivityRowFragment {
        row: ActivityRow::new(event, names, now),
    };
    match row.render() {
        Ok(html) => Some(sse::frame(Some("activity"), Some(event.id), html.trim())),
        Err(e) => {
            log::error!("rendering a live activity row: {e}");
            None
        }
    }
}

pub async fn stream(
    req: HttpRequest,
    state: State,
    pairs: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let Some(viewer) = sse::viewer(&req, &state).await? else {
        return Ok(sse::not_signed_in());
    };
    viewer.user.require(Permission::AuditView)?;
    let query = ActivityQuery::from_pairs(&pairs);
    let resume = resume_point(&req, &pairs);
    let (org_id, viewer_id) = (viewer.user.org_id, viewer.user.id);
    let scope = viewer.user.scope.clone();
    // Subscribe before reading the catch-up, so nothing falls between the two.
    let events = state.live.subscribe_events();
    let (filter, names, start) = state
        .db(move |conn| {
            let resolved = service::resolve(conn, org_id, (viewer_id, scope.as_ref()), &query)?;
            if resolved.hidden {
                return Err(AppError::NotFound);
            }
            let start = match resume {
                Some(id) => id,
                None => store::newest_id(conn)?,
            };
            Ok((resolved.filter, store::names(conn, org_id)?, start))
        })
        .await?;
    let registration = state.live.register(
        viewer_id,
        org_id,
        viewer.session_hash,
        Stream::Activity,
        false,
        Some(Permission::AuditView),
    );
    let (tx, rx) = mpsc::channel(32);
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        let _registration = registration;
        let mut ended = _registration.ended.clone();
        if !sse::send(&tx, sse::hello()).await {
            return;
        }
        let Some(mut sent) = catch_up(&state, &tx, &filter, &names, start).await else {
            return;
        };
        // Late commits at or below the resume point (PostgreSQL) that this browser may
        // have missed; one it has already shows once (app.js skips a row it holds).
        if resume.is_some() {
            for event in state.live.late_events(start) {
                let record = &event.record;
                if !filter.matches(record)
                    || !reaches(&state, &filter, record).await
                    || !sent.1.insert(record.id)
                {
                    continue;
                }
                if let Some(frame) = event_frame(record, &names, state.clock.now()) {
                    if !sse::send(&tx, frame).await {
                        return;
                    }
                }
            }
        }
        follow(&state, &tx, events, &mut ended, &filter, &names, sent).await;
    });
    Ok(sse::response(rx))
}

/// Whether the event is about someone the viewer's scope reaches (always, unscoped): the
/// broadcast carries no divisions or teams, so a scoped viewer's stream asks the database.
async fn reaches(state: &crate::web::AppState, filter: &Filter, record: &EventRecord) -> bool {
    let (Some(scope), Some(target)) = (filter.scope.clone(), record.target_id) else {
        return filter.scope.is_none();
    };
    state
        .db(move |conn| Ok(crate::users::scope::contains(conn, &scope, target)?))
        .await
        .unwrap_or(false)
}

/// Sends every matching event after `start` from the database; returns `start` and the ids
/// sent (so the broadcast repeats neither), or `None` when the client is gone or so far
/// behind that it was told to reload.
async fn catch_up(
    state: &crate::web::AppState,
    tx: &sse::Tx,
    filter: &Filter,
    names: &Names,
    start: i64,
) -> Option<(i64, HashSet<i64>)> {
    let mut attempt = 0;
    let backlog = loop {
        let lookup = filter.clone();
        match state
            .db(move |conn| Ok(store::after(conn, &lookup, start, CATCH_UP_MAX + 1)?))
            .await
        {
            Ok(backlog) => break backlog,
            // A busy moment: try again shortly; the browser would reconnect anyway.
            Err(e) if attempt < 3 => {
                log::warn!("live activity catch-up failed, retrying: {e}");
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
            Err(e) => {
                log::warn!("live activity catch-up failed: {e}");
                return None;
            }
        }
    };
    if backlog.len() > CATCH_UP_MAX {
        let _ = sse::send(tx, sse::frame(Some("stale"), None, "reload")).await;
        return None;
    }
    let now = state.clock.now();
    let mut sent = HashSet::with_capacity(backlog.len());
    for event in &backlog {
        if let Some(frame) = event_frame(event, names, now) {
            if !sse::send(tx, frame).await {
                return None;
            }
        }
        sent.insert(event.id);
    }
    Some((start, sent))
}

async fn follow(
    state: &crate::web::AppState,
    tx: &sse::Tx,
    mut events: broadcast::Receiver<std::sync::Arc<crate::presence::LiveEvent>>,
    ended: &mut tokio::sync::watch::Receiver<Option<Ended>>,
    filter: &Filter,
    names: &Names,
    (start, sent): (i64, HashSet<i64>),
) {
    let mut ping = tokio::time::interval(sse::PING);
    ping.tick().await;
    loop {
        let frame = tokio::select! {
            _ = ended.changed() => {
                let why = ended.borrow().unwrap_or(Ended::SignedOut);
                let _ = sse::send(tx, sse::end(why)).await;
                return;
            }
            _ = tx.closed() => return,
            _ = ping.tick() => sse::ping(),
            received = events.recv() => match received {
                Ok(event) => {
                    let record = &event.record;
                    // At or below the resume point the browser has it, unless it came late.
                    let repeat = sent.contains(&record.id) || (record.id <= start && !event.late);
                    if repeat || !filter.matches(record) || !reaches(state, filter, record).await {
                        continue;
                    }
                    match event_frame(record, names, state.clock.now()) {
                        Some(frame) => frame,
                        None => continue,
                    }
                }
                // Fell behind the broadcast: the browser reconnects with Last-Event-ID and
                // catches up from the database.
                Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        if !sse::send(tx, frame).await {
            return;
        }
    }
}
