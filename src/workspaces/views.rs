//! Settings → Workspaces: the page and its list.

use askama::Template;

use super::store::Workspace;
use crate::validation::FieldErrors;
use crate::web::shell::{Nav, Shell};

/// A workspace with how many members and records it has.
pub struct WorkspaceRow {
    pub workspace: Workspace,
    pub members: i64,
    pub records: i64,
}

#[derive(Template)]
#[template(path = "workspaces/_list.html")]
pub struct WorkspaceList {
    pub rows: Vec<WorkspaceRow>,
}

impl WorkspaceList {
    /// Whether any workspace may be archived (an organization keeps one active).
    pub fn can_archive(&self) -> bool {
        self.rows
            .iter()
            .filter(|r| r.workspace.archived_at.is_none())
            .count()
            > 1
    }
}

#[derive(Template)]
#[template(path = "workspaces/page.html")]
pub struct WorkspacesPage {
    pub shell: Shell,
    pub notice: Option<String>,
    pub name: String,
    pub errors: FieldErrors,
    pub list: WorkspaceList,
}
