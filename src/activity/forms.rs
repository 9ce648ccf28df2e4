//! The Activity query string, parsed into an `ActivityQuery`; with the viewer's organization
//! and time zone it becomes the `Filter` that pages, exports and live streams share.

use base64::Engine;
use chrono::{NaiveDate, NaiveDateTime, TimeZone};

use super::labels;
use super::store::EventRecord;

/// Where a page starts: the id of the event just before it (`After`: older events follow) or
/// just after it (`Before`: the newer page). Opaque to the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    First,
    After(i64),
    Before(i64),
}

pub fn encode_cursor(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("e|{id}"))
}

pub fn decode_cursor(text: &str) -> Option<i64> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("e|")?
        .parse()
        .ok()
}

pub const MAX_SEARCH: usize = 100;
/// Shorter search terms are too short for the trigram indexes.
pub const MIN_SEARCH: usize = 3;

/// The Activity page as the person asked for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityQuery {
    /// One user's events, as actor or as target (the row action Activity).
    pub user: Option<i64>,
    /// Emails typed into Actor and Target, case-folded.
    pub actor: String,
    pub target: String,
    /// A known action (anything else is ignored).
    pub action: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Raw date texts, kept to show them back when they did not parse.
    pub from_text: String,
    pub to_text: String,
    pub search: String,
    pub live: bool,
    pub page: Option<PageParam>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageParam {
    After(i64),
    Before(i64),
}

impl ActivityQuery {
    /// Parses `?user=&actor=&target=&action=&from=&to=&q=&live=&after=&before=`; the last of a
    /// repeated key wins, and broken values fall back to "no filter" so old links still open.
    pub fn from_pairs(pairs: &[(String, String)]) -> ActivityQuery {
        let get = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim())
                .unwrap_or("")
        };
        let email = |name: &str| -> String {
            crate::users::normalize_email(get(name))
                .chars()
                .take(254)
                .collect()
        };
        let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        let action = get("action");
        let page = match (decode_cursor(get("after")), decode_cursor(get("before"))) {
            (Some(id), _) => Some(PageParam::After(id)),
            (None, Some(id)) => Some(PageParam::Before(id)),
            _ => None,
        };
        ActivityQuery {
            user: get("user").parse().ok(),
            actor: email("actor"),
            target: email("target"),
            action: if labels::is_known(action) {
                action.to_owned()
            } else {
                String::new()
            },
            from: date(get("from")),
            to: date(get("to")),
            from_text: get("from").chars().take(10).collect(),
            to_text: get("to").chars().take(10).collect(),
            search: get("q").to_lowercase().chars().take(MAX_SEARCH).collect(),
            live: get("live") == "1",
            page,
        }
    }

    pub fn page(&self) -> Page {
        match self.page {
            None => Page::First,
            Some(PageParam::After(id)) => Page::After(id),
            Some(PageParam::Before(id)) => Page::Before(id),
        }
    }

    /// The query string of this filter (no page), for links, the export and the stream.
    pub fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(user) = self.user {
            pairs.push(("user", user.to_string()));
        }
        for (name, value) in [
            ("actor", &self.actor),
            ("target", &self.target),
            ("action", &self.action),
            ("from", &self.from_text),
            ("to", &self.to_text),
            ("q", &self.search),
        ] {
            if !value.is_empty() {
                pairs.push((name, value.clone()));
            }
        }
        pairs
    }

    pub fn query_string(&self, page: Page, live: bool) -> String {
        let mut pairs = self.filter_pairs();
        if live {
            pairs.push(("live", "1".into()));
        }
        match page {
            Page::First => {}
            Page::After(id) => pairs.push(("after", encode_cursor(id))),
            Page::Before(id) => pairs.push(("before", encode_cursor(id))),
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// Filters other than a user's own page are set (for the empty state's wording).
    pub fn is_filtered(&self) -> bool {
        !self.filter_pairs().is_empty()
    }
}

/// What events to show: the query resolved against the viewer's organization (emails to ids)
/// and time zone (dates to UTC instants).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub org_id: i64,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub target_id: Option<i64>,
    pub action: Option<String>,
    /// From this instant (inclusive) …
    pub since: Option<NaiveDateTime>,
    /// … to this one (exclusive), UTC.
    pub until: Option<NaiveDateTime>,
    /// Search term of 3 or more characters, case-folded.
    pub search: Option<String>,
    /// Nothing can match (an email nobody in the organization has).
    pub nothing: bool,
    /// The viewer's scope: only events about people in it (checked by the query; the live
    /// stream asks the database for each event's target).
    pub scope: Option<crate::users::scope::Scope>,
}

impl Filter {
    /// Whether a new event belongs on this view (the live stream's test, the same as the
    /// query's).
    pub fn matches(&self, event: &EventRecord) -> bool {
        !self.nothing
            && event.org_id == Some(self.org_id)
            && (self.scope.is_none() || event.target_id.is_some())
            && self
                .user_id
                .is_none_or(|u| event.actor_id == Some(u) || event.target_id == Some(u))
            && self.actor_id.is_none_or(|a| event.actor_id == Some(a))
            && self.target_id.is_none_or(|t| event.target_id == Some(t))
            && self.action.as_ref().is_none_or(|a| &event.action == a)
            && self.since.is_none_or(|s| event.created_at >= s)
            && self.until.is_none_or(|u| event.created_at < u)
            && self
                .search
                .as_ref()
                .is_none_or(|term| event.search_text().contains(term.as_str()))
    }
}

/// Midnight at the start of `date` in the time zone `tz` (an IANA name; unknown names are
/// taken as UTC), as a UTC instant.
pub fn start_of_day(date: NaiveDate, tz: &str) -> NaiveDateTime {
    let local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let Ok(zone) = tz.parse::<chrono_tz::Tz>() else {
        return local;
    };
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.naive_utc(),
        // Midnight skipped by a daylight-saving jump: the day starts an hour later.
        chrono::LocalResult::None => zone
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or(local),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn cursors_round_trip_and_tampered_ones_start_at_the_first_page() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        let query = ActivityQuery::from_pairs(&pairs(&[("after", "!!!")]));
        assert_eq!(query.page(), Page::First);
    }

    #[test]
    fn unknown_actions_and_broken_dates_are_ignored() {
        let query = ActivityQuery::from_pairs(&pairs(&[
            ("action", "drop.tables"),
            ("from", "yesterday"),
            ("to", "2026-02-03"),
        ]));
        assert_eq!(query.action, "");
        assert_eq!(query.from, None);
        assert_eq!(query.to, NaiveDate::from_ymd_opt(2026, 2, 3));
    }

    #[test]
    fn days_start_at_the_viewers_midnight() {
        let day = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(start_of_day(day, "UTC").to_string(), "2026-07-01 00:00:00");
        assert_eq!(
            start_of_day(day, "Europe/Berlin").to_string(),
            "2026-06-30 22:00:00"
        );
        assert_eq!(
            start_of_day(day, "Not/AZone").to_string(),
            "2026-07-01 00:00:00"
        );
    }
}
