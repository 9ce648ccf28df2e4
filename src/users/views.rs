//! Templates of User Management.

use askama::Template;
use chrono::NaiveDateTime;

use super::forms::{ListQuery, Page, Sort, SortKey};
use super::store::UserListRow;
use crate::groups::GroupNames;
use crate::orgs::catalog::OrgCatalog;
use crate::users::authority::{self, Offers, Standing};
use crate::web::shell::{initials, Nav, Shell};

pub use super::filters::{BulkBar, Filters, GroupOptions};

#[derive(Template)]
#[template(path = "users/list.html")]
pub struct UsersPage {
    pub shell: Shell,
    pub controls: crate::invites::views::SignupControls,
    pub filters: Filters,
    pub table: UsersTable,
    /// The bulk actions bar (for `users.manage`).
    pub bulk: Option<BulkBar>,
    /// The user fields that can be shown as columns: (id, label, shown).
    pub columns: Vec<(i64, String, bool)>,
    /// For a scoped viewer: whom they manage ("Divisions: North; Teams: Night shift").
    pub scope_note: Option<String>,
}

#[derive(Template)]
#[template(path = "users/_table.html")]
pub struct UsersTable {
    pub rows: Vec<UserRow>,
    /// Labels of the user fields shown as extra columns.
    pub extra_columns: Vec<String>,
    pub sort_param: String,
    /// This very view, for refreshing the table after a change elsewhere on the page.
    pub self_href: String,
    /// CSV of everyone matching this filter.
    pub export_href: String,
    /// Offer Resend invite / Revoke invite on pending rows.
    pub can_invite: bool,
    /// Rows tick for bulk actions.
    pub can_manage: bool,
    /// Import records.
    pub can_import: bool,
    /// Import users, Confirm user.
    pub can_create: bool,
    /// Offer Activity on each row.
    pub can_view_audit: bool,
    /// "Select all users matching this filter".
    pub count_href: String,
    pub filtered: bool,
    pub sort_links: Vec<SortLink>,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub first: Option<String>,
}

pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    /// "ascending" / "descending" when the list is sorted by this column.
    pub aria_sort: &'static str,
    pub arrow: &'static str,
}

pub struct UserRow {
    pub id: i64,
    pub initials: String,
    pub name: String,
    pub email: String,
    pub username: Option<String>,
    pub roles: Vec<String>,
    pub licenses: Vec<String>,
    /// Tags, skill groups and teams, as chips: (kind's label, name).
    pub groups: Vec<(&'static str, String)>,
    pub status_label: String,
    pub status_class: &'static str,
    pub status_detail: String,
    pub last_active: String,
    pub last_active_exact: String,
    /// Seconds since then when the page was made: app.js keeps "3 minutes ago" moving.
    pub last_active_age: Option<i64>,
    pub online: bool,
    pub mail_retrying: bool,
    pub has_mfa: bool,
    pub product_only: bool,
    /// A tenant superuser (badge beside the roles).
    pub superuser: bool,
    /// Administers only some divisions and teams (badge beside the roles).
    pub scoped: bool,
    /// "failed sign-ins" / "inactivity" for Blocked rows.
    pub block_reason: &'static str,
    /// The actions this row offers its viewer (none that would be refused).
    pub offers: Offers,
    /// The values of the user fields the viewer shows as columns.
    pub extra: Vec<String>,
    /// The workspaces they belong to (chips; only when the organization has several).
    pub workspaces: Vec<String>,
}

fn split_sorted(csv: Option<&str>) -> Vec<String> {
    let mut items: Vec<String> = csv
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    items.sort();
    items
}

/// "2026-12-01 09:30 UTC". Written out directly: chrono's `format` parses its pattern every
/// time, and the list formats a time for every row.
pub fn minute_utc(t: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// "3 minutes ago", "2 days ago", "Never". static/app.js has the same rules (`ago`), to move
/// the text on as the page stays open.
pub fn relative_time(then: Option<NaiveDateTime>, now: NaiveDateTime) -> String {
    let Some(then) = then else {
        return "Never".into();
    };
    let seconds = (now - then).num_seconds();
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match seconds {
        s if s < 60 => "Just now".into(),
        s if s < 3_600 => plural(s / 60, "minute"),
        s if s < 86_400 => plural(s / 3_600, "hour"),
        s if s < 86_400 * 30 => plural(s / 86_400, "day"),
        s if s < 86_400 * 365 => plural(s / (86_400 * 30), "month"),
        s => plural(s / (86_400 * 365), "year"),
    }
}

impl UserRow {
    /// The row as `viewer` sees it: `catalog` says what each of the row's roles gives.
    pub fn from_row(
        row: UserListRow,
        now: NaiveDateTime,
        viewer: &Standing,
        (catalog, groups): (&OrgCatalog, &GroupNames),
    ) -> Self {
        let standing = authority::standing_from(
            catalog,
            row.id,
            (
                row.role_names.as_deref().unwrap_or(""),
                row.overrides.as_deref().unwrap_or(""),
            ),
            (row.superuser, row.scoped),
        );
        let mut offers = Offers::of(viewer, &standing);
        let (status_label, status_class, status_detail) =
            match (row.status.as_str(), row.lock_reason.as_deref()) {
                ("inactive", _) => ("Inactive".to_owned(), "inactive", String::new()),
                ("invited", _) => (
                    "Pending".to_owned(),
                    "pending",
                    "Invitation sent, not accepted yet".to_owned(),
                ),
                (_, Some("failed_logins")) => (
                    "Blocked".to_owned(),
                    "blocked",
                    format!(
                        "Failed sign-ins: {}, the last at {} from {}",
                        row.failed_logins,
                        row.last_failed_login_at.map(minute_utc).unwrap_or_default(),
                        row.last_failed_login_ip
                            .as_deref()
                            .filter(|ip| !ip.is_empty())
                            .unwrap_or("an unknown address"),
                    ),
                ),
                (_, Some("inactivity")) => (
                    "Blocked".to_owned(),
                    "blocked",
                    "Blocked for inactivity".to_owned(),
                ),
                _ => ("Active".to_owned(), "active", String::new()),
            };
        // Resend and revoke are for invitations only (the More menu shows only when it has
        // something to offer).
        offers.invitation &= status_class == "pending";
        // Someone deactivated or blocked has no session left: never shown online.
        let online = status_class == "active"
            && (row.live
                || row
                    .last_active_at
                    .is_some_and(|seen| now - seen < crate::presence::RECENT_REQUEST));
        Self {
            id: row.id,
            initials: initials(&row.first_name, &row.last_name),
            name: format!("{} {}", row.first_name, row.last_name),
            email: row.email,
            roles: split_sorted(row.role_names.as_deref()),
            licenses: split_sorted(row.license_names.as_deref()),
            groups: groups
                .of_ids(row.group_ids.as_deref())
                .into_iter()
                .map(|(kind, name)| (kind.label(), name))
                .collect(),
            status_label,
            status_class,
            status_detail,
            last_active: relative_time(row.last_active_at, now),
            last_active_exact: row
                .last_active_at
                .map(minute_utc)
                .unwrap_or_else(|| "Never signed in".into()),
            last_active_age: row.last_active_at.map(|then| (now - then).num_seconds()),
            online,
            mail_retrying: row.mail_retrying,
            has_mfa: row.has_mfa,
            product_only: row.product_only,
            superuser: row.superuser,
            scoped: standing.scoped && authority::administers(&standing),
            username: row.username.clone(),
            block_reason: match row.lock_reason.as_deref() {
                Some("inactivity") => "inactivity",
                _ => "failed sign-ins",
            },
            offers,
            extra: Vec::new(),
            workspaces: Vec::new(),
        }
    }
}

/// Which row actions the viewer may use, before the rules about each row.
#[derive(Debug, Clone, Copy)]
pub struct RowActions {
    pub can_invite: bool,
    /// Some bulk action is theirs (the row ticks).
    pub can_manage: bool,
    /// Import records (users.edit).
    pub can_import: bool,
    /// Create User, Import users, Confirm user (users.invite and users.edit).
    pub can_create: bool,
    pub can_view_audit: bool,
    pub viewer: Standing,
}

impl RowActions {
    pub fn of(user: &crate::web::CurrentUser) -> Self {
        use crate::auth::permissions::Permission;
        Self {
            can_invite: user.can(Permission::UsersInvite),
            can_manage: [
                Permission::UsersEdit,
                Permission::UsersAccess,
                Permission::UsersStatus,
                Permission::UsersDelete,
                Permission::LicensesManage,
            ]
            .into_iter()
            .any(|p| user.can(p)),
            can_import: user.can(Permission::UsersEdit) && user.scope.is_none(),
            can_create: user.can(Permission::UsersInvite) && user.can(Permission::UsersEdit),
            can_view_audit: user.can(Permission::AuditView),
            viewer: Standing {
                id: user.id,
                permissions: user.permissions,
                owner: user.is_owner(),
                scoped: user.scope.is_some(),
            },
        }
    }
}

impl UsersTable {
    pub fn new(
        query: &ListQuery,
        rows: Vec<UserListRow>,
        more: bool,
        now: NaiveDateTime,
        actions: RowActions,
        catalog: (&OrgCatalog, &GroupNames),
    ) -> Self {
        let first_cursor = rows.first().map(|r| r.cursor(query.sort));
        let last_cursor = rows.last().map(|r| r.cursor(query.sort));
        let link = |page: &Page| {
            let qs = query.to_query_string(query.sort, page);
            if qs.is_empty() {
                "/users".to_owned()
            } else {
                format!("/users?{qs}")
            }
        };
        // Walking forward, `more` means a next page; walking back, a previous one.
        let (has_previous, has_next) = match query.page {
            Page::First => (false, more),
            Page::After(_) => (true, more),
            Page::Before(_) => (more, true),
        };
        let next = if has_next {
            last_cursor.map(|c| link(&Page::After(c)))
        } else {
            None
        };
        let previous = if has_previous {
            first_cursor.map(|c| link(&Page::Before(c)))
        } else {
            None
        };
        let first = if has_previous {
            Some(link(&Page::First))
        } else {
            None
        };
        let sort_links = sort_links(query);
        let filtered = !query.search.is_empty()
            || query.role_id.is_some()
            || query.group_id.is_some()
            || query.workspace_id.is_some()
            || query.field.is_some()
            || query.last_active != super::forms::LastActive::Any;
        Self {
            extra_columns: Vec::new(),
            rows: rows
                .into_iter()
                .map(|row| UserRow::from_row(row, now, &actions.viewer, catalog))
                .collect(),
            sort_param: query.sort.as_param(),
            self_href: link(&query.page),
            export_href: link(&Page::First).replacen("/users", "/users/export.csv", 1),
            can_invite: actions.can_invite,
            can_manage: actions.can_manage,
            can_import: actions.can_import,
            can_create: actions.can_create,
            can_view_audit: actions.can_view_audit,
            count_href: link(&Page::First).replacen("/users", "/users/bulk/count", 1),
            filtered,
            sort_links,
            previous,
            next,
            first,
        }
    }
}

/// The column headers' links: the current column flips; a new one starts in its natural
/// direction (names A→Z, most recently active first).
fn sort_links(query: &ListQuery) -> Vec<SortLink> {
    [
        ("Name", SortKey::Name),
        ("Email", SortKey::Email),
        ("Last active", SortKey::LastActive),
    ]
    .into_iter()
    .map(|(label, key)| {
        let current = query.sort.key == key;
        // Clicking the current column flips it; a new column starts in its natural
        // direction (names A→Z, most recently active first).
        let next_sort = if current {
            Sort {
                key,
                descending: !query.sort.descending,
            }
        } else {
            Sort {
                key,
                descending: key == SortKey::LastActive,
            }
        };
        let qs = query.to_query_string(next_sort, &Page::First);
        SortLink {
            label,
            href: if qs.is_empty() {
                "/users".into()
            } else {
                format!("/users?{qs}")
            },
            aria_sort: match (current, query.sort.descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            },
            arrow: match (current, query.sort.descending) {
                (false, _) => "",
                (true, false) => "▲",
                (true, true) => "▼",
            },
        }
    })
    .collect()
}
