//! A save's checks, each message beside its field: what the save will write, or why not.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;

use super::checks::{
    chat_of, check_credentials, groups_of, licenses_of, profile_of, roles_of, status_of,
    username_of, Chat, GroupChange, Seats,
};
use super::record::details_changes;
use super::EditError;
use crate::audit::{Changes, Origin};
use crate::db::DbConn;
use crate::divisions::store as divisions;
use crate::users::actions::edit::forms::UserChange;
use crate::users::actions::edit::store::{self, Details, EditRow};
use crate::users::authority::{self, Editor, Standing};
use crate::users::{status, store as users_store};
use crate::validation::FieldErrors;

/// Everything a save writes, checked (seats are taken or given back already, inside the
/// save's transaction).
pub(super) struct Plan {
    pub(super) new_status: &'static str,
    pub(super) held: BTreeSet<i64>,
    pub(super) desired: BTreeSet<i64>,
    pub(super) org_divisions: Vec<(i64, String)>,
    pub(super) chat: Chat,
    pub(super) deactivating: bool,
    pub(super) email_changes: bool,
    pub(super) seats: Seats,
    pub(super) groups: GroupChange,
    pub(super) profile: crate::fields::profile::ProfileChange,
    pub(super) had_username: Option<String>,
    pub(super) username: Option<String>,
    /// Make Tenant SuperUser: (was, will be), when it changes.
    pub(super) superuser: Option<(bool, bool)>,
}

impl Plan {
    pub(super) fn check(
        conn: &mut DbConn,
        editor: &Editor,
        (me, target): (&Standing, &Standing),
        (current, form): (&EditRow, &UserChange),
        now: NaiveDateTime,
    ) -> Result<Self, EditError> {
        let mut errors = FieldErrors::default();
        let user_id = current.id;
        let new_status = status_of(current, form);
        check_credentials((me, target), current, form, new_status, &mut errors);
        let held: BTreeSet<i64> = store::role_ids(conn, user_id)?.into_iter().collect();
        let desired = roles_of(
            conn,
            editor,
            (me, target),
            &held,
            &form.role_ids,
            &mut errors,
        )?;
        let org_divisions = store::divisions(conn, editor.org_id)?;
        let chat = chat_of(
            conn,
            (user_id, current),
            form,
            &desired,
            &org_divisions,
            &mut errors,
        )?;
        // A scoped editor opens chats only within their own divisions.
        if let Some(scope) = &editor.scope {
            let changed = chat.scope != current.chat_scope || chat.want != chat.held;
            let all = chat.scope != crate::users::actions::edit::CHAT_ASSIGNED;
            if changed && (all || !chat.want.is_subset(&scope.divisions)) {
                errors.add("chat_scope", "You manage only some divisions: choose Assigned divisions only, with divisions you manage.");
            }
        }
        let deactivating = new_status == status::INACTIVE && current.status != status::INACTIVE;
        if deactivating && errors.is_empty() && !form.confirmed {
            return Err(EditError::NeedsConfirmation);
        }
        if let Some(division) = form.division_id {
            if !org_divisions.iter().any(|(id, _)| *id == division) {
                errors.add("division", "Choose a division from the list.");
            }
        }
        let email_changes = form.email.as_str() != current.email;
        if email_changes && users_store::email_taken(conn, form.email.as_str())? {
            errors.add("email", "Another account already uses this email address.");
        }
        let seats = licenses_of(
            conn,
            (editor.org_id, user_id),
            ((me, target), form),
            new_status,
            now,
            &mut errors,
        )?;
        let groups = groups_of(conn, (editor.org_id, user_id), form, &mut errors)?;
        let ids = (editor.org_id, user_id);
        let profile = profile_of(conn, (ids, (me, target)), form, &desired, &mut errors)?;
        let (had_username, username) = username_of(
            conn,
            (editor.org_id, user_id),
            (me, target),
            form,
            &mut errors,
        )?;
        let superuser = super::superuser_of(conn, (editor, target), form, &mut errors)?;
        if !errors.is_empty() {
            return Err(EditError::Invalid(errors));
        }
        Ok(Plan {
            new_status,
            held,
            desired,
            org_divisions,
            chat,
            deactivating,
            email_changes,
            seats,
            groups,
            profile,
            had_username,
            username,
            superuser,
        })
    }

    /// Writes what lives beside the user's row: the superuser flag, chat divisions, groups,
    /// field values, username and roles.
    pub(super) fn apply_beside(
        &self,
        conn: &mut DbConn,
        editor: &Editor,
        (user_id, email): (i64, &str),
        (meta, now): (&Origin, NaiveDateTime),
    ) -> Result<(), EditError> {
        if let Some((was, now_is)) = self.superuser {
            super::record_superuser(conn, (editor, user_id, email), (was, now_is), meta, now)?;
        }
        if self.chat.want != self.chat.held {
            divisions::assign(conn, user_id, &self.chat.want)?;
        }
        self.groups.apply(conn, user_id)?;
        self.profile.apply(conn, user_id)?;
        if self.username != self.had_username {
            crate::users::username::set(conn, editor.org_id, user_id, self.username.as_deref())?;
        }
        for role in self.held.difference(&self.desired) {
            store::remove_role(conn, user_id, *role)?;
        }
        for role in self.desired.difference(&self.held) {
            users_store::add_role(conn, user_id, *role)?;
        }
        if self.desired != self.held {
            authority::bound_by(conn, editor, user_id)?;
        }
        Ok(())
    }

    /// The audit row's before and after, the details' fields first.
    pub(super) fn changes(&self, current: &EditRow, details: &Details<'_>) -> Changes {
        let mut changes = details_changes(current, details);
        changes.field(
            "chat_divisions",
            divisions::names(&self.org_divisions, &self.chat.held),
            divisions::names(&self.org_divisions, &self.chat.want),
        );
        changes.field("role_ids", &self.held, &self.desired);
        changes.field("product_ids", &self.seats.had, &self.seats.want);
        self.groups.audit(&mut changes);
        self.profile.audit(&mut changes);
        changes.field("username", &self.had_username, &self.username);
        changes
    }
}
