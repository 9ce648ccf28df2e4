//! The User Management query string, parsed into a validated `ListQuery`.

use base64::Engine;

/// Sort orders offered on the list. Each is backed by an index that ends with the user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Email,
    LastActive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    pub const DEFAULT: Sort = Sort {
        key: SortKey::Name,
        descending: false,
    };

    pub fn parse(text: &str) -> Sort {
        let (descending, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let key = match name {
            "email" => SortKey::Email,
            "last_active" => SortKey::LastActive,
            "name" => SortKey::Name,
            _ => return Sort::DEFAULT,
        };
        Sort { key, descending }
    }

    pub fn as_param(self) -> String {
        let name = match self.key {
            SortKey::Name => "name",
            SortKey::Email => "email",
            SortKey::LastActive => "last_active",
        };
        if self.descending {
            format!("-{name}")
        } else {
            name.to_owned()
        }
    }
}

/// Where a page starts: the sort key and id of the row just before it (or just after, for a
/// previous page). Opaque to the browser: URL-safe base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub sort: Sort,
    pub key: String,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let raw = format!("{}|{}|{}", self.sort.as_param(), self.id, self.key);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let mut parts = raw.splitn(3, '|');
        let sort = Sort::parse(parts.next()?);
        let id = parts.next()?.parse().ok()?;
        let key = parts.next()?.to_owned();
        Some(Cursor { sort, key, id })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    First,
    After(Cursor),
    Before(Cursor),
}

/// The Last active filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LastActive {
    /// Any time.
    #[default]
    Any,
    /// Active in the last 7 days.
    Within7Days,
    /// Not active for 90 days (never active included).
    Idle90Days,
}

impl LastActive {
    pub const OPTIONS: [(LastActive, &'static str); 3] = [
        (LastActive::Any, "Any time"),
        (LastActive::Within7Days, "Active in the last 7 days"),
        (LastActive::Idle90Days, "Not active for 90 days"),
    ];

    pub fn parse(text: &str) -> LastActive {
        match text {
            "7d" => LastActive::Within7Days,
            "idle90d" => LastActive::Idle90Days,
            _ => LastActive::Any,
        }
    }

    pub fn as_param(self) -> &'static str {
        match self {
            LastActive::Any => "",
            LastActive::Within7Days => "7d",
            LastActive::Idle90Days => "idle90d",
        }
    }
}

/// The list as the person asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Search User, trimmed and case-folded; empty means no search.
    pub search: String,
    pub role_id: Option<i64>,
    /// Holds this group (a tag, skill group or team).
    pub group_id: Option<i64>,
    /// A member of this workspace.
    pub workspace_id: Option<i64>,
    /// A user field equals a value, or is empty.
    pub field: Option<FieldFilter>,
    /// Show Only Active Users: hides inactive users (pending and blocked stay visible).
    pub active_only: bool,
    pub sort: Sort,
    pub page: Page,
    /// Last active: any time, within 7 days, or idle for 90.
    pub last_active: LastActive,
    /// The moment Last active is measured from (the app's clock; set by the handler, else
    /// the system time).
    pub as_of: Option<chrono::NaiveDateTime>,
    /// The viewer's scope (set by the handler from who asks, never from the query string):
    /// only people in it are listed, counted, exported or acted on in bulk.
    pub scope: Option<crate::users::scope::Scope>,
}

pub const MAX_SEARCH: usize = 100;

/// A filter on one of the organization's user fields: `?field=ID&field_value=…`, or
/// `&field_empty=1` for users without a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFilter {
    pub field_id: i64,
    /// `None`: the field is empty. Otherwise as typed (an option's code or label); the query
    /// compares it as the field stores it.
    pub equals: Option<String>,
}

impl FieldFilter {
    fn from_params(field: Option<&str>, value: Option<&str>, empty: bool) -> Option<FieldFilter> {
        let field_id = field?.parse().ok()?;
        let value = value.unwrap_or("").trim();
        if empty {
            return Some(FieldFilter {
                field_id,
                equals: None,
            });
        }
        (!value.is_empty()).then(|| FieldFilter {
            field_id,
            equals: Some(value.chars().take(MAX_SEARCH).collect()),
        })
    }
}

impl ListQuery {
    /// Parses `?q=&role=&active=&sort=&after=&before=`. Repeated keys: the last one wins (the
    /// filter form sends `active=0` then, when ticked, `active=1`). Unknown or broken values
    /// fall back to defaults rather than failing: a URL from an old bookmark still opens.
    pub fn from_pairs(pairs: &[(String, String)]) -> ListQuery {
        let get = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let search: String = get("q")
            .unwrap_or("")
            .trim()
            .to_lowercase()
            .chars()
            .take(MAX_SEARCH)
            .collect();
        let role_id = get("role").and_then(|v| v.parse().ok());
        let group_id = get("group").and_then(|v| v.parse().ok());
        let workspace_id = get("workspace").and_then(|v| v.parse().ok());
        let field = FieldFilter::from_params(
            get("field"),
            get("field_value"),
            get("field_empty") == Some("1"),
        );
        let active_only = get("active") != Some("0");
        let sort = get("sort").map(Sort::parse).unwrap_or(Sort::DEFAULT);
        let cursor_for = |name: &str| {
            get(name)
                .and_then(Cursor::decode)
                .filter(|c| c.sort == sort)
        };
        let page = match (cursor_for("after"), cursor_for("before")) {
            (Some(cursor), _) => Page::After(cursor),
            (None, Some(cursor)) => Page::Before(cursor),
            _ => Page::First,
        };
        ListQuery {
            search,
            role_id,
            group_id,
            workspace_id,
            field,
            active_only,
            sort,
            page,
            last_active: get("last_active")
                .map(LastActive::parse)
                .unwrap_or_default(),
            as_of: None,
            scope: None,
        }
    }

    /// The filter as `viewer` runs it: at the app's clock, within their scope.
    pub fn seen_by(
        mut self,
        scope: Option<&crate::users::scope::Scope>,
        now: chrono::NaiveDateTime,
    ) -> ListQuery {
        self.scope = scope.cloned();
        self.as_of = Some(now);
        self
    }

    /// The query string for this filter with another sort or page, for links.
    pub fn to_query_string(&self, sort: Sort, page: &Page) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.search.is_empty() {
            pairs.push(("q", self.search.clone()));
        }
        if let Some(role) = self.role_id {
            pairs.push(("role", role.to_string()));
        }
        if let Some(group) = self.group_id {
            pairs.push(("group", group.to_string()));
        }
        if let Some(workspace) = self.workspace_id {
            pairs.push(("workspace", workspace.to_string()));
        }
        if let Some(filter) = &self.field {
            pairs.push(("field", filter.field_id.to_string()));
            match &filter.equals {
                Some(value) => pairs.push(("field_value", value.clone())),
                None => pairs.push(("field_empty", "1".into())),
            }
        }
        if !self.active_only {
            pairs.push(("active", "0".into()));
        }
        if self.last_active != LastActive::Any {
            pairs.push(("last_active", self.last_active.as_param().into()));
        }
        if sort != Sort::DEFAULT {
            pairs.push(("sort", sort.as_param()));
        }
        match page {
            Page::First => {}
            Page::After(cursor) => pairs.push(("after", cursor.encode())),
            Page::Before(cursor) => pairs.push(("before", cursor.encode())),
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
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
    fn cursors_round_trip_and_tampered_ones_are_ignored() {
        let cursor = Cursor {
            sort: Sort::parse("-last_active"),
            key: "2026-01-01 00:00:00|x".into(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not base64!"), None);
    }

    #[test]
    fn the_active_toggle_defaults_on_and_the_last_value_wins() {
        assert!(ListQuery::from_pairs(&[]).active_only);
        assert!(!ListQuery::from_pairs(&pairs(&[("active", "0")])).active_only);
        assert!(ListQuery::from_pairs(&pairs(&[("active", "0"), ("active", "1")])).active_only);
    }

    #[test]
    fn a_cursor_made_for_another_sort_starts_from_the_first_page() {
        let cursor = Cursor {
            sort: Sort::parse("email"),
            key: "a@x.io".into(),
            id: 1,
        };
        let query = ListQuery::from_pairs(&pairs(&[("after", &cursor.encode())]));
        assert_eq!(query.page, Page::First);
    }
}
