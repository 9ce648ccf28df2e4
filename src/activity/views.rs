//! Templates of the Activity page.

use askama::Template;
use chrono::NaiveDateTime;

use super::forms::{ActivityQuery, Page};
use super::labels::{self, Names};
use super::service::Resolved;
use super::store::EventRecord;
use crate::users::views::relative_time;
use crate::web::shell::{Nav, Shell};

#[derive(Template)]
#[template(path = "audit/activity.html")]
pub struct ActivityPage {
    pub shell: Shell,
    pub bar: FilterBar,
    pub table: ActivityTable,
}

/// The filter form as it stands.
pub struct FilterBar {
    pub user: Option<i64>,
    pub actor: String,
    pub target: String,
    pub action: String,
    pub from: String,
    pub to: String,
    pub search: String,
    pub live: bool,
    pub timezone: String,
    pub actions: &'static [(&'static str, &'static str)],
}

impl FilterBar {
    pub fn new(query: &ActivityQuery, resolved: &Resolved) -> Self {
        Self {
            user: query.user,
            actor: query.actor.clone(),
            target: query.target.clone(),
            action: query.action.clone(),
            from: query.from_text.clone(),
            to: query.to_text.clone(),
            search: query.search.clone(),
            live: query.live,
            timezone: resolved.timezone.clone(),
            actions: labels::ACTIONS,
        }
    }

    pub fn action_selected(&self, code: &&str) -> bool {
        self.action == *code
    }
}

#[derive(Template)]
#[template(path = "audit/_table.html")]
pub struct ActivityTable {
    pub rows: Vec<ActivityRow>,
    pub notes: Vec<String>,
    /// "Ada Lovelace (ada@acme.io)" on one user's activity.
    pub subject: Option<String>,
    pub filtered: bool,
    pub export_href: String,
    /// The live stream of this filter.
    pub stream_href: String,
    /// The newest event shown: live mode continues after it.
    pub newest_id: i64,
    /// Only the first page takes live events at its top.
    pub first_page: bool,
    pub live: bool,
    pub newer: Option<String>,
    pub older: Option<String>,
    pub first: Option<String>,
}

/// One event as a table row (the page and the live stream render the same one).
#[derive(Template)]
#[template(path = "audit/_row.html")]
pub struct ActivityRowFragment {
    pub row: ActivityRow,
}

pub struct ActivityRow {
    pub id: i64,
    pub relative: String,
    /// `2026-12-01T08:20:05Z`, for `<time datetime>`.
    pub iso: String,
    pub exact: String,
    /// Seconds since the event when the row was made (see `UserRow::last_active_age`).
    pub age: i64,
    pub actor: String,
    /// One user's activity, when the actor is a user.
    pub actor_href: Option<String>,
    pub action: String,
    pub target: String,
    pub target_href: Option<String>,
    pub changes: Vec<String>,
    pub ip: String,
    pub user_agent: String,
}

impl ActivityRow {
    pub fn new(event: &EventRecord, names: &Names, now: NaiveDateTime) -> Self {
        let href = |id: Option<i64>| id.map(|id| format!("/activity?user={id}"));
        Self {
            id: event.id,
            relative: relative_time(Some(event.created_at), now),
            age: (now - event.created_at).num_seconds(),
            iso: event.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            exact: event.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            actor: if event.actor_label.is_empty() {
                "System".into()
            } else {
                event.actor_label.clone()
            },
            actor_href: href(event.actor_id),
            action: labels::label(&event.action),
            target: event.target_label.clone(),
            target_href: href(event.target_id),
            changes: labels::summary(&event.details, names),
            ip: event.ip.clone(),
            user_agent: event.user_agent.clone(),
        }
    }
}

impl ActivityTable {
    pub fn new(
        query: &ActivityQuery,
        resolved: Resolved,
        events: Vec<EventRecord>,
        more: bool,
        names: &Names,
        now: NaiveDateTime,
    ) -> Self {
        let page = query.page();
        let link = |page: Page| {
            let qs = query.query_string(page, query.live);
            if qs.is_empty() {
                "/activity".to_owned()
            } else {
                format!("/activity?{qs}")
            }
        };
        // Walking to older events, `more` means an older page; walking back, a newer one.
        let (has_newer, has_older) = match page {
            Page::First => (false, more),
            Page::After(_) => (true, more),
            Page::Before(_) => (more, true),
        };
        let newest = events.first().map(|e| e.id);
        let oldest = events.last().map(|e| e.id);
        let filter_qs = query.query_string(Page::First, false);
        let with_qs = |path: &str| {
            if filter_qs.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{filter_qs}")
            }
        };
        Self {
            newest_id: newest.unwrap_or(0),
            rows: events
                .iter()
                .map(|e| ActivityRow::new(e, names, now))
                .collect(),
            notes: resolved.notes,
            subject: resolved.subject,
            filtered: query.is_filtered(),
            export_href: with_qs("/activity/export.csv"),
            stream_href: with_qs("/activity/stream"),
            first_page: page == Page::First,
            live: query.live,
            newer: has_newer
                .then(|| newest.map(|id| link(Page::Before(id))))
                .flatten(),
            older: has_older
                .then(|| oldest.map(|id| link(Page::After(id))))
                .flatten(),
            first: has_newer.then(|| link(Page::First)),
        }
    }
}
