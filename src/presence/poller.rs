//! The one poller of each instance. About once a second it writes this instance's connection
//! changes, reads new audit events (every organization's, in one query) and, for organizations
//! someone here watches, who is online; then fans both out in memory. Every few seconds it
//! beats this instance's presence rows, sweeps rows of vanished instances and checks that the
//! sessions behind open connections still stand.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use super::store::{self, NewPresence};
use super::{Hub, PresenceNews, RECENT_REQUEST};
use crate::activity::store::{self as events, EventRecord};
use crate::web::{AppError, AppState};

/// Events read per tick; a busier second continues on the next tick at once.
const BATCH: i64 = 500;
/// An id skipped by the ids the poller saw may belong to a transaction still committing
/// (PostgreSQL hands out ids at insert, not at commit): it is looked for this long.
const GAP_PATIENCE: Duration = Duration::from_secs(30);
const MAX_GAPS: usize = 1_000;

struct Tick {
    now: NaiveDateTime,
    last_id: i64,
    gaps: Vec<i64>,
    opened: Vec<NewPresence>,
    closed: Vec<String>,
    /// Every local connection, when this tick beats (to restore rows a sweep took).
    beat: Option<Vec<NewPresence>>,
    stale_cutoff: NaiveDateTime,
    sessions: Option<Vec<String>>,
    /// (user, permission) pairs connections need, checked with the sessions.
    permissions: Vec<(i64, &'static str)>,
    watched: Vec<i64>,
}

#[derive(Default)]
struct Outcome {
    events: Vec<EventRecord>,
    standing: Option<HashSet<String>>,
    permitted: HashSet<(i64, &'static str)>,
    /// Connections beyond their session's cap over every instance.
    crowded: Vec<String>,
    online: HashMap<i64, HashSet<i64>>,
}

fn run(conn: &mut crate::db::DbConn, hub_instance: &str, tick: &Tick) -> Result<Outcome, AppError> {
    if !tick.opened.is_empty() {
        store::insert(conn, &tick.opened)?;
    }
    if !tick.closed.is_empty() {
        store::delete(conn, &tick.closed)?;
    }
    if let Some(all) = &tick.beat {
        let held = store::beat(conn, hub_instance, tick.now)?;
        if held != all.len() {
            // A sweep (or a restart) took rows that are still open here: write them again.
            crate::db::write_tx(conn, |conn| -> Result<(), AppError> {
                store::delete_instance(conn, hub_instance)?;
                store::insert(conn, all)?;
                Ok(())
            })?;
        }
        store::sweep(conn, tick.stale_cutoff)?;
    }
    let mut outcome = Outcome {
        events: events::all_after(conn, tick.last_id, BATCH)?,
        ..Outcome::default()
    };
    if !tick.gaps.is_empty() {
        outcome.events.extend(events::with_ids(conn, &tick.gaps)?);
    }
    if let Some(hashes) = &tick.sessions {
        outcome.standing = Some(store::standing_sessions(conn, hashes, tick.now)?);
        outcome.permitted = store::holders(conn, &tick.permissions)?;
        outcome.crowded = store::crowded(conn, hashes, tick.stale_cutoff, super::MAX_PER_SESSION)?;
    }
    if !tick.watched.is_empty() {
        outcome.online = store::online(
            conn,
            &tick.watched,
            tick.stale_cutoff,
            tick.now - RECENT_REQUEST,
        )?;
    }
    Ok(outcome)
}

pub fn spawn(state: Arc<AppState>) {
    actix_web::rt::spawn(async move {
        let hub = state.live.clone();
        let config = &state.config;
        let poll = Duration::from_millis(config.live_poll_ms.max(50));
        let stale = Duration::from_secs(config.presence_stale_secs.max(2));
        let beat_every = stale / 3;
        let check_every = Duration::from_secs(config.live_session_check_secs.max(1));
        // Live starts from now: history is read from the database by those who ask for it.
        let start = loop {
            match state.db(|conn| Ok(events::newest_id(conn)?)).await {
                Ok(id) => break id,
                Err(e) => {
                    log::warn!("live poller cannot start yet: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        hub.lock().last_event_id = start;
        let mut gaps: BTreeMap<i64, Instant> = BTreeMap::new();
        let (mut last_beat, mut last_check) = (Instant::now() - beat_every, Instant::now());
        loop {
            let now = state.clock.now();
            let beat_due = last_beat.elapsed() >= beat_every;
            let check_due = last_check.elapsed() >= check_every;
            let tick = next_tick(&hub, now, (beat_due, check_due), &gaps, stale);
            let instance = hub.instance_id.clone();
            let tick = Arc::new(tick);
            let work = tick.clone();
            match state.db(move |conn| run(conn, &instance, &work)).await {
                Ok(outcome) => {
                    if beat_due {
                        last_beat = Instant::now();
                    }
                    if check_due {
                        last_check = Instant::now();
                    }
                    let full = outcome.events.len() as i64 >= BATCH;
                    deliver(&hub, outcome, &tick, &mut gaps);
                    if full {
                        continue; // more are waiting
                    }
                }
                Err(e) => {
                    log::warn!("live poller: {e:?}");
                    // Try the writes again next time.
                    let mut inner = hub.lock();
                    inner
                        .opened
                        .extend(tick.opened.iter().map(|r| r.connection_id.clone()));
                    inner.closed.extend(tick.closed.iter().cloned());
                }
            }
            gaps.retain(|_, seen| seen.elapsed() < GAP_PATIENCE);
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = hub.wake.notified() => {}
            }
        }
    });
}

/// What this tick asks of the database: the connections opened and closed since the last,
/// the heartbeats and session checks that are due, the gaps still awaited, the watched users.
fn next_tick(
    hub: &Hub,
    now: chrono::NaiveDateTime,
    (beat_due, check_due): (bool, bool),
    gaps: &BTreeMap<i64, Instant>,
    stale: Duration,
) -> Tick {
    let mut inner = hub.lock();
    let row = |id: &String| {
        inner.conns.get(id).map(|c| NewPresence {
            connection_id: id.clone(),
            user_id: c.user_id,
            org_id: c.org_id,
            instance_id: hub.instance_id.clone(),
            last_beat: now,
            session_hash: c.session_hash.clone(),
            opened_at: now,
        })
    };
    let opened: Vec<NewPresence> = inner.opened.iter().filter_map(row).collect();
    let beat = beat_due.then(|| inner.conns.keys().filter_map(row).collect());
    let sessions = check_due.then(|| {
        let set: HashSet<String> = inner
            .conns
            .values()
            .map(|c| c.session_hash.clone())
            .collect();
        set.into_iter().collect()
    });
    let permissions: HashSet<(i64, &'static str)> = if check_due {
        inner
            .conns
            .values()
            .filter_map(|c| c.needs.map(|p| (c.user_id, p)))
            .collect()
    } else {
        HashSet::new()
    };
    let tick = Tick {
        now,
        last_id: inner.last_event_id,
        gaps: gaps.keys().copied().collect(),
        opened,
        closed: std::mem::take(&mut inner.closed),
        beat,
        stale_cutoff: now
            - chrono::Duration::from_std(stale).unwrap_or(chrono::Duration::seconds(10)),
        sessions,
        permissions: permissions.into_iter().collect(),
        watched: inner.watchers.keys().copied().collect(),
    };
    inner.opened.clear();
    tick
}

fn deliver(hub: &Hub, outcome: Outcome, tick: &Tick, gaps: &mut BTreeMap<i64, Instant>) {
    let mut last = hub.lock().last_event_id;
    for event in outcome.events {
        let late = gaps.remove(&event.id).is_some();
        if !late {
            if event.id <= last {
                continue; // seen already
            }
            for missing in (last + 1)..event.id {
                if gaps.len() >= MAX_GAPS {
                    break;
                }
                gaps.insert(missing, Instant::now());
            }
            last = event.id;
        }
        hub.publish_event(event, late);
    }
    hub.lock().last_event_id = last;
    if let (Some(standing), Some(checked)) = (outcome.standing, &tick.sessions) {
        // Only what this tick asked about: a connection opened since is checked next time.
        let checked: HashSet<&str> = checked.iter().map(String::as_str).collect();
        let asked: HashSet<(i64, &'static str)> = tick.permissions.iter().copied().collect();
        hub.end_sessions(&checked, &standing, &asked, &outcome.permitted);
        hub.end_crowded(&outcome.crowded);
    }
    for (org_id, now_online) in outcome.online {
        let previous = {
            let mut inner = hub.lock();
            if !inner.watchers.contains_key(&org_id) {
                continue; // the last watcher left meanwhile
            }
            inner.online.insert(org_id, now_online.clone())
        };
        match previous {
            None => {
                let mut online: Vec<i64> = now_online.into_iter().collect();
                online.sort_unstable();
                hub.publish_presence(PresenceNews::Snapshot { org_id, online });
            }
            Some(before) => {
                for user_id in now_online.difference(&before) {
                    hub.publish_presence(PresenceNews::Change {
                        org_id,
                        user_id: *user_id,
                        online: true,
                    });
                }
                for user_id in before.difference(&now_online) {
                    hub.publish_presence(PresenceNews::Change {
                        org_id,
                        user_id: *user_id,
                        online: false,
                    });
                }
            }
        }
    }
}
