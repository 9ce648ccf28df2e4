//! The workspace Users page, its table and dialogs.

use askama::Template;

use crate::web::shell::{Nav, Shell};
use crate::workspaces::{Level, Restriction};

pub struct MemberRow {
    pub id: i64,
    pub initials: String,
    pub name: String,
    pub email: String,
    pub level: &'static str,
    pub restrictions: Vec<&'static str>,
    /// Invited, not joined yet.
    pub pending: bool,
    pub last_active: String,
    pub last_active_exact: String,
    pub online: bool,
    /// EDIT: not oneself, nobody above one's level or rank.
    pub actions: bool,
    /// Revoke Access: as EDIT, unless one's access is restricted from revoking.
    pub revoke: bool,
}

#[derive(Template)]
#[template(path = "workspaces/_members.html")]
pub struct MembersTable {
    pub workspace_id: i64,
    /// The export of this search, unless the steward may not export.
    pub export_href: Option<String>,
    pub rows: Vec<MemberRow>,
    pub search: String,
    /// The next page's link, when more members follow.
    pub next_href: Option<String>,
}

#[derive(Template)]
#[template(path = "workspaces/users.html")]
pub struct MembersPage {
    pub shell: Shell,
    pub name: String,
    pub table: MembersTable,
}

/// The levels a steward may give, for a select: (code, label, selected).
pub fn level_options(levels: &[Level], selected: Level) -> Vec<(&'static str, &'static str, bool)> {
    levels
        .iter()
        .map(|l| (l.code(), l.label(), *l == selected))
        .collect()
}

/// The restriction boxes: (code, label, ticked); `held` are ticked (a restricted Manager
/// keeps theirs on whomever they add).
pub fn restriction_options(held: &[Restriction]) -> Vec<(&'static str, &'static str, bool)> {
    Restriction::ALL
        .iter()
        .map(|r| (r.code(), r.label(), held.contains(r)))
        .collect()
}

#[derive(Template)]
#[template(path = "workspaces/_add.html")]
pub struct AddDialog {
    pub workspace_id: i64,
    pub email: String,
    pub levels: Vec<(&'static str, &'static str, bool)>,
    pub restrictions: Vec<(&'static str, &'static str, bool)>,
    /// Whether an address new to the organization may be invited.
    pub may_invite: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "workspaces/_edit.html")]
pub struct EditDialog {
    pub workspace_id: i64,
    pub user_id: i64,
    pub name: String,
    pub levels: Vec<(&'static str, &'static str, bool)>,
    pub restrictions: Vec<(&'static str, &'static str, bool)>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "workspaces/_revoke.html")]
pub struct RevokeDialog {
    pub workspace_id: i64,
    pub user_id: i64,
    pub name: String,
    /// Their contacts, leads and clients in the workspace: (kind, count).
    pub records: Vec<(String, i64)>,
    /// The other members who may receive them: (id, name).
    pub others: Vec<(i64, String)>,
    pub hand_over: bool,
    pub to: Option<i64>,
    pub error: Option<String>,
}

impl RevokeDialog {
    pub fn total(&self) -> i64 {
        self.records.iter().map(|(_, n)| n).sum()
    }

    pub fn chosen(&self, id: &i64) -> bool {
        self.to == Some(*id)
    }
}
