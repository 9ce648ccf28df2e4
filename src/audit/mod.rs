//! The audit log. Every change writes its event through `record`, inside the change's own
//! transaction, so there is never a change without its event or an event without its change.

pub mod retention;
pub mod store;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::DbConn;

/// Where a change came from: the client's address and user agent (plain data; the web layer
/// reads them off the request, jobs and the command line leave them empty).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
}

/// Who did it (none for the CLI, first-run setup or an anonymous sign-in attempt).
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn user(id: i64, email: &str) -> Self {
        Self {
            id: Some(id),
            label: email.to_owned(),
        }
    }

    pub fn system(label: &str) -> Self {
        Self {
            id: None,
            label: label.to_owned(),
        }
    }
}

/// One event to write.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub org_id: Option<i64>,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub target: Option<(i64, &'a str)>,
    pub details: serde_json::Value,
    pub meta: &'a Origin,
}

/// The before/after of the fields a change touched, for an event's details: only fields whose
/// value changed are kept.
#[derive(Debug, Default)]
pub struct Changes {
    before: serde_json::Map<String, serde_json::Value>,
    after: serde_json::Map<String, serde_json::Value>,
}

impl Changes {
    pub fn field(&mut self, name: &str, old: impl serde::Serialize, new: impl serde::Serialize) {
        let (old, new) = (serde_json::json!(old), serde_json::json!(new));
        if old != new {
            self.before.insert(name.into(), old);
            self.after.insert(name.into(), new);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.before.is_empty()
    }

    /// `{"before": {...}, "after": {...}}`
    pub fn into_details(self) -> serde_json::Value {
        serde_json::json!({ "before": self.before, "after": self.after })
    }
}

/// Writes the audit row (in the change's transaction) and queues the webhook deliveries it
/// stands for, in that same transaction.
pub fn record(conn: &mut DbConn, event: Event<'_>, now: NaiveDateTime) -> QueryResult<()> {
    store::insert(conn, &event, now)?;
    crate::webhooks::store::enqueue(conn, &event, now)
}

/// Action names, one place to read them all.
pub mod action {
    pub const ORG_SETUP: &str = "org.setup";
    pub const ORG_CREATED: &str = "org.created";
    pub const USER_CREATED: &str = "user.created";
    pub const USER_UPDATED: &str = "user.updated";
    pub const USER_DELETED: &str = "user.deleted";
    pub const USER_CONFIRMED: &str = "user.confirmed";
    pub const PERMISSIONS_CHANGED: &str = "user.permissions_changed";
    pub const RECORDS_IMPORTED: &str = "records.imported";
    pub const USERS_IMPORTED: &str = "users.imported";
    pub const SIGN_IN: &str = "auth.sign_in";
    pub const SIGN_IN_FAILED: &str = "auth.sign_in_failed";
    pub const SIGN_OUT: &str = "auth.sign_out";
    pub const BLOCKED: &str = "auth.blocked";
    pub const UNBLOCKED: &str = "auth.unblocked";
    pub const PASSWORD_RESET: &str = "auth.password_reset";
    pub const PASSWORD_CHANGED: &str = "auth.password_changed";
    pub const PASSWORD_RESET_SENT: &str = "user.password_reset_sent";
    pub const TEMPORARY_PASSWORD_SET: &str = "user.temporary_password_set";
    pub const SIGNED_OUT_EVERYWHERE: &str = "auth.signed_out_everywhere";
    pub const USER_INVITED: &str = "user.invited";
    pub const INVITE_ACCEPTED: &str = "user.invite_accepted";
    pub const INVITE_RESENT: &str = "user.invite_resent";
    pub const INVITE_REVOKED: &str = "user.invite_revoked";
    pub const INVITE_EXPIRED: &str = "user.invite_expired";
    pub const SIGNED_UP: &str = "user.signed_up";
    pub const SETTINGS_CHANGED: &str = "org.settings_changed";
    pub const SEATS_CHANGED: &str = "licenses.seats_changed";
    pub const AUTO_SIGNUP_CHANGED: &str = "org.auto_signup_changed";
    pub const SECURITY_POLICY_CHANGED: &str = "org.security_policy_changed";
    pub const EMAIL_CHANGED: &str = "auth.email_changed";
    pub const EMAIL_CHANGE_REQUESTED: &str = "auth.email_change_requested";
    pub const EMAIL_CHANGE_CANCELLED: &str = "auth.email_change_cancelled";
    pub const TOTP_ENABLED: &str = "mfa.totp_enabled";
    pub const TOTP_DISABLED: &str = "mfa.totp_disabled";
    pub const RECOVERY_CODES_RENEWED: &str = "mfa.recovery_codes_renewed";
    pub const RECOVERY_CODE_USED: &str = "mfa.recovery_code_used";
    pub const MFA_RESET: &str = "mfa.reset";
    pub const GROUP_CREATED: &str = "group.created";
    pub const GROUP_RENAMED: &str = "group.renamed";
    pub const GROUP_DELETED: &str = "group.deleted";
    pub const FIELD_CREATED: &str = "field.created";
    pub const FIELD_CHANGED: &str = "field.changed";
    pub const FIELD_DELETED: &str = "field.deleted";
    pub const DIVISION_CREATED: &str = "division.created";
    pub const DIVISION_RENAMED: &str = "division.renamed";
    pub const DIVISION_DELETED: &str = "division.deleted";
    pub const ROLE_CREATED: &str = "role.created";
    pub const ROLE_CHANGED: &str = "role.changed";
    pub const ROLE_DELETED: &str = "role.deleted";
    pub const PRODUCT_PERMISSION_ADDED: &str = "product_permission.added";
    pub const PRODUCT_PERMISSION_RENAMED: &str = "product_permission.renamed";
    pub const PRODUCT_PERMISSION_DELETED: &str = "product_permission.deleted";
    pub const SUPERUSER_CHANGED: &str = "user.superuser_changed";
    /// Someone tried to act on a user beyond their access (escalation), and was refused.
    pub const CHANGE_REFUSED: &str = "user.change_refused";
    pub const WORKSPACE_CREATED: &str = "workspace.created";
    pub const WORKSPACE_RENAMED: &str = "workspace.renamed";
    pub const WORKSPACE_ARCHIVED: &str = "workspace.archived";
    pub const WORKSPACE_MEMBER_ADDED: &str = "workspace.member_added";
    pub const WORKSPACE_MEMBER_CHANGED: &str = "workspace.member_changed";
    pub const WORKSPACE_ACCESS_REVOKED: &str = "workspace.access_revoked";
    pub const API_TOKEN_CREATED: &str = "api_token.created";
    pub const GROUP_MEMBERS_CHANGED: &str = "group.members_changed";
    pub const WEBHOOK_CREATED: &str = "webhook.created";
    pub const WEBHOOK_DELETED: &str = "webhook.deleted";
    pub const WEBHOOK_RESUMED: &str = "webhook.resumed";
    pub const WEBHOOK_PAUSED: &str = "webhook.paused";
    pub const API_TOKEN_REVOKED: &str = "api_token.revoked";
    pub const SSO_PROVIDER_ADDED: &str = "sso.provider_added";
    pub const SSO_PROVIDER_CHANGED: &str = "sso.provider_changed";
    pub const SSO_PROVIDER_REMOVED: &str = "sso.provider_removed";
    pub const SSO_POLICY_CHANGED: &str = "sso.policy_changed";
    pub const SSO_LINKED: &str = "sso.linked";
    pub const SSO_UNLINKED: &str = "sso.unlinked";
    pub const SSO_TESTED: &str = "sso.tested";
}
