//! Bulk workspace membership from User Management: add the selection to a workspace (as
//! Agents) or take it out (as Revoke Access does: their records there unassigned, the
//! organization keeps them), audited per user with the workspace.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::json;

use super::selection::{Target, BATCH};
use super::BulkError;
use crate::audit::{action, Origin};
use crate::db::DbConn;
use crate::users::authority::Editor;
use crate::workspaces::members::service::{self as members, Steward};
use crate::workspaces::{store, Level};

/// The workspace asked for and the selection's places in it, loaded once.
pub(super) struct WorkspaceSet {
    workspace: store::Workspace,
    join: bool,
    /// The selected members of it, with their level.
    levels: HashMap<i64, Level>,
    /// Whether taking the selection out would leave the workspace without an Owner.
    last_owners: bool,
}

impl WorkspaceSet {
    /// The workspace (active, the organization's) and the action's label.
    pub(super) fn of(
        conn: &mut DbConn,
        editor: &Editor,
        (workspace_id, join): (i64, bool),
        ids: &[i64],
    ) -> Result<(String, WorkspaceSet), BulkError> {
        if editor.scope.is_some() {
            return Err(BulkError::Refused(
                "Workspace membership is changed in bulk by administrators of the whole organization; you manage only some divisions and teams.".into(),
            ));
        }
        // Applying, the count of Owners below holds until the change commits.
        store::lock(conn, workspace_id)?;
        let workspace = store::find(conn, editor.org_id, workspace_id)?
            .filter(|w| w.archived_at.is_none())
            .ok_or_else(|| BulkError::Refused("Choose a workspace from the list.".into()))?;
        let mut levels = HashMap::new();
        for chunk in ids.chunks(BATCH) {
            levels.extend(store::levels_of(conn, workspace_id, chunk)?);
        }
        let owners = members::owners(conn, workspace_id)?;
        let selected_owners = levels.values().filter(|l| **l == Level::Owner).count() as i64;
        let label = if join {
            format!("Add to the workspace “{}”", workspace.name)
        } else {
            format!("Remove from the workspace “{}”", workspace.name)
        };
        let set = WorkspaceSet {
            last_owners: !join && selected_owners > 0 && selected_owners >= owners,
            workspace,
            join,
            levels,
        };
        Ok((label, set))
    }

    /// Whether `target` changes, or why they are left out.
    pub(super) fn sort(&self, target: &Target) -> (bool, Option<String>) {
        match (self.join, self.levels.get(&target.id)) {
            (true, held) => (held.is_none(), None),
            (false, Some(Level::Owner)) if self.last_owners => {
                let why = format!("{}: the workspace keeps at least one Owner", target.name);
                (false, Some(why))
            }
            (false, held) => (held.is_some(), None),
        }
    }

    /// The change for one user, within the bulk transaction.
    pub(super) fn apply(
        &self,
        conn: &mut DbConn,
        editor: &Editor,
        (user_id, email): (i64, &str),
        (meta, now): (&Origin, NaiveDateTime),
    ) -> Result<(), BulkError> {
        let by = Steward {
            id: editor.id,
            org_id: editor.org_id,
            email: editor.email.clone(),
            name: String::new(),
            organization: true,
            scoped: false,
            membership: None,
        };
        if self.join {
            store::set_member(conn, self.workspace.id, user_id, Level::Agent, now)?;
            let details = json!({
                "workspace": self.workspace.name,
                "level": Level::Agent.label(),
                "bulk": true,
            });
            members::record(
                conn,
                &by,
                (action::WORKSPACE_MEMBER_ADDED, (user_id, email), details),
                (meta, now),
            )?;
        } else {
            let level = self.levels.get(&user_id).copied().unwrap_or(Level::Agent);
            members::take_out(
                conn,
                (&by, &self.workspace),
                (user_id, level, email),
                None,
                (meta, now),
            )?;
        }
        Ok(())
    }
}
