//! Presence and live updates. Each instance keeps one `Hub`: its open live connections (console
//! tabs), one poller that reads new audit events and presence from the database about once a
//! second, and two broadcast channels that fan both out to every connection in memory, so
//! a thousand open tabs cost the same few queries a second as one.
//!
//! Online means: a tab holds an open live connection (a `presence` row, beaten by its
//! instance every few seconds and stale after `presence_stale_secs`), or the person made a
//! request in the last 2 minutes (`users.last_active_at`). Rows live in the database so every
//! instance on one PostgreSQL knows who is online anywhere; on SQLite there is one instance.

pub mod listener;
pub mod poller;
pub mod quiet;
pub mod routes;
pub mod sse;
pub mod store;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{broadcast, watch, Notify};

use crate::activity::store::EventRecord;

/// A request within this long counts as online.
pub const RECENT_REQUEST: chrono::Duration = chrono::Duration::minutes(2);

/// What watchers of an organization's User Management hear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceNews {
    /// Everyone online now (the first computation for the organization).
    Snapshot { org_id: i64, online: Vec<i64> },
    Change {
        org_id: i64,
        user_id: i64,
        online: bool,
    },
}

impl PresenceNews {
    pub fn org_id(&self) -> i64 {
        match self {
            PresenceNews::Snapshot { org_id, .. } | PresenceNews::Change { org_id, .. } => *org_id,
        }
    }
}

/// A new audit event as the poller hands it out.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub record: EventRecord,
    /// It committed after an event with a higher id was handed out (PostgreSQL assigns ids
    /// at insert, not at commit): a reconnect's `Last-Event-ID` may already be past it.
    pub late: bool,
}

/// Live connections one session may hold on an instance (a browser shares one among its
/// tabs, plus one per Activity page in live mode); a newer one ends the oldest (see
/// `Hub::register`).
pub const MAX_PER_SESSION: usize = 12;

/// What a live connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// `/presence/stream`: one per browser, shared by its tabs.
    Presence,
    /// `/activity/stream`: one per Activity page in live mode.
    Activity,
}

/// How long late events are kept for reconnects.
const LATE_KEPT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug, Clone)]
pub(crate) struct Conn {
    pub user_id: i64,
    pub org_id: i64,
    pub session_hash: String,
    /// The permission the connection needs (`audit.view` for the activity stream): taken
    /// away, the stream ends at the next check.
    pub needs: Option<&'static str>,
    stream: Stream,
    /// Registration order on this instance: the lowest is the oldest.
    opened: u64,
    end: watch::Sender<Option<Ended>>,
}

impl Conn {
    /// Told to end (its task will drop it at once): it no longer takes a slot.
    fn ending(&self) -> bool {
        self.end.borrow().is_some()
    }
}

/// Why the server ended a live connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The session is gone (signed out, expired, deactivated, blocked): the browser stops.
    SignedOut,
    /// The holder lost the permission the connection needs; the session goes on.
    PermissionLost,
    /// The session opened a newer live connection while at `MAX_PER_SESSION`: the browser
    /// stops this one rather than reconnect and push out another.
    Replaced,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub conns: HashMap<String, Conn>,
    /// How many connections were ever registered here (orders them by age).
    registered: u64,
    /// Connections opened or closed since the poller last wrote them.
    pub opened: Vec<String>,
    pub closed: Vec<String>,
    /// Organizations with someone here watching presence, and how many.
    pub watchers: HashMap<i64, usize>,
    /// Who was online at the last computation, per watched organization.
    pub online: HashMap<i64, HashSet<i64>>,
    /// The newest audit event the poller has handed out.
    pub last_event_id: i64,
    /// Late events of the last minute, for reconnects whose `Last-Event-ID` is past them.
    pub late: std::collections::VecDeque<(std::time::Instant, Arc<LiveEvent>)>,
}

pub struct Hub {
    /// This instance's name in `presence.instance_id`.
    pub instance_id: String,
    events: broadcast::Sender<Arc<LiveEvent>>,
    presence: broadcast::Sender<Arc<PresenceNews>>,
    inner: Mutex<Inner>,
    /// Wakes the poller early: a connection opened or closed.
    pub(crate) wake: Notify,
}

/// An open live connection; dropping it (the client went away, the session ended) takes the
/// connection out of presence.
pub struct Registration {
    hub: Arc<Hub>,
    id: String,
    watching: Option<i64>,
    /// Becomes `Some` when the server ends the connection, saying why.
    pub ended: watch::Receiver<Option<Ended>>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.unregister(&self.id, self.watching);
    }
}

impl Hub {
    pub fn new() -> Arc<Hub> {
        let (events, _) = broadcast::channel(1024);
        let (presence, _) = broadcast::channel(1024);
        Arc::new(Hub {
            instance_id: crate::auth::tokens::short_id(),
            events,
            presence,
            inner: Mutex::new(Inner::default()),
            wake: Notify::new(),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a new live connection of `user_id`; `watch_org` subscribes it to its
    /// organization's presence too (people who see User Management); `needs` is the
    /// permission it must keep holding.
    ///
    /// A session at `MAX_PER_SESSION` is never refused: its oldest connection is ended to make
    /// room (of the same stream when it has one, else any). The server learns that a client
    /// went away only when a write to it fails (actix keeps half-closed HTTP/1 connections,
    /// and a proxy may keep its own upstream connection open), which is the next ping, seconds
    /// later; loading pages quickly leaves that many dead connections behind, and refusing the
    /// newest, the one live page, would stop its updates until a reload. The newest
    /// connection is the one that matters: the session's cookie belongs to one browser, which
    /// shares one presence connection among its tabs, so the oldest is the likeliest to be
    /// dead. One that is still open is told why it ends (`Ended::Replaced`) and does not
    /// reconnect, so open pages never take turns pushing each other out. This instance's own
    /// connections are capped here at once; those of the session on other instances count at
    /// the poller's next session check (`end_crowded`).
    pub fn register(
        self: &Arc<Self>,
        user_id: i64,
        org_id: i64,
        session_hash: String,
        stream: Stream,
        watch_org: bool,
        needs: Option<crate::auth::permissions::Permission>,
    ) -> Registration {
        let id = crate::auth::tokens::random_token();
        let (end, ended) = watch::channel(None);
        {
            let mut inner = self.lock();
            let held: Vec<&Conn> = inner
                .conns
                .values()
                .filter(|c| c.session_hash == session_hash && !c.ending())
                .collect();
            if held.len() >= MAX_PER_SESSION {
                let oldest = held
                    .iter()
                    .filter(|c| c.stream == stream)
                    .min_by_key(|c| c.opened)
                    .or_else(|| held.iter().min_by_key(|c| c.opened));
                if let Some(oldest) = oldest {
                    oldest.end.send_replace(Some(Ended::Replaced));
                }
            }
            inner.registered += 1;
            let opened = inner.registered;
            inner.conns.insert(
                id.clone(),
                Conn {
                    user_id,
                    org_id,
                    session_hash,
                    needs: needs.map(|p| p.as_str()),
                    stream,
                    opened,
                    end,
                },
            );
            inner.opened.push(id.clone());
            if watch_org {
                *inner.watchers.entry(org_id).or_default() += 1;
            }
        }
        self.wake.notify_one();
        Registration {
            hub: self.clone(),
            id,
            watching: watch_org.then_some(org_id),
            ended,
        }
    }

    fn unregister(&self, id: &str, watching: Option<i64>) {
        {
            let mut inner = self.lock();
            inner.conns.remove(id);
            inner.closed.push(id.to_owned());
            if let Some(org_id) = watching {
                if let Some(count) = inner.watchers.get_mut(&org_id) {
                    *count -= 1;
                    if *count == 0 {
                        inner.watchers.remove(&org_id);
                        inner.online.remove(&org_id);
                    }
                }
            }
        }
        self.wake.notify_one();
    }

    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.events.subscribe()
    }

    /// Events at or below `id` that committed late in the last minute: a browser resuming
    /// from `id` may have missed them.
    pub fn late_events(&self, id: i64) -> Vec<Arc<LiveEvent>> {
        let mut inner = self.lock();
        while inner
            .late
            .front()
            .is_some_and(|(at, _)| at.elapsed() > LATE_KEPT)
        {
            inner.late.pop_front();
        }
        inner
            .late
            .iter()
            .filter(|(_, e)| e.record.id <= id)
            .map(|(_, e)| e.clone())
            .collect()
    }

    pub fn subscribe_presence(&self) -> broadcast::Receiver<Arc<PresenceNews>> {
        self.presence.subscribe()
    }

    /// Who is online in the organization, when someone here already watches it.
    pub fn online_snapshot(&self, org_id: i64) -> Option<Vec<i64>> {
        let inner = self.lock();
        let mut ids: Vec<i64> = inner.online.get(&org_id)?.iter().copied().collect();
        ids.sort_unstable();
        Some(ids)
    }

    pub fn last_event_id(&self) -> i64 {
        self.lock().last_event_id
    }

    /// How many live connections this instance holds (tests, logs).
    pub fn connections(&self) -> usize {
        self.lock().conns.len()
    }

    pub(crate) fn publish_event(&self, record: EventRecord, late: bool) {
        let event = Arc::new(LiveEvent { record, late });
        if late {
            let mut inner = self.lock();
            inner
                .late
                .push_back((std::time::Instant::now(), event.clone()));
            if inner.late.len() > 1_000 {
                inner.late.pop_front();
            }
        }
        // No receiver is fine: nobody watches right now.
        let _ = self.events.send(event);
    }

    pub(crate) fn publish_presence(&self, news: PresenceNews) {
        let _ = self.presence.send(Arc::new(news));
    }

    /// Ends the connections of this instance among `crowded` (beyond their session's cap
    /// counted over every instance) as replaced: the browser does not reconnect them.
    pub(crate) fn end_crowded(&self, crowded: &[String]) {
        if crowded.is_empty() {
            return;
        }
        let inner = self.lock();
        for id in crowded {
            if let Some(conn) = inner.conns.get(id).filter(|c| !c.ending()) {
                let _ = conn.end.send(Some(Ended::Replaced));
            }
        }
    }

    /// Ends the connections whose sessions were `checked` and are gone, or whose holders were
    /// asked about a permission (`asked`) and lost it. Connections opened after the check began
    /// are left for the next one.
    pub(crate) fn end_sessions(
        &self,
        checked: &HashSet<&str>,
        valid: &HashSet<String>,
        asked: &HashSet<(i64, &'static str)>,
        permitted: &HashSet<(i64, &'static str)>,
    ) {
        let inner = self.lock();
        for conn in inner.conns.values() {
            let gone =
                checked.contains(conn.session_hash.as_str()) && !valid.contains(&conn.session_hash);
            let lost = conn.needs.is_some_and(|p| {
                let pair = (conn.user_id, p);
                asked.contains(&pair) && !permitted.contains(&pair)
            });
            if gone {
                let _ = conn.end.send(Some(Ended::SignedOut));
            } else if lost {
                let _ = conn.end.send(Some(Ended::PermissionLost));
            }
        }
    }
}

#[cfg(test)]
mod tests;
