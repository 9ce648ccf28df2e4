//! What people read instead of action codes and JSON: "Signed in", "Phone: none → 555-0100".

use std::collections::HashMap;

use serde_json::Value;

/// Every action the console records, with its label, in the order the filter offers them.
pub const ACTIONS: &[(&str, &str)] = &[
    ("auth.sign_in", "Signed in"),
    ("auth.sign_in_failed", "Sign-in failed"),
    ("auth.sign_out", "Signed out"),
    ("auth.signed_out_everywhere", "Signed out everywhere"),
    ("auth.blocked", "Blocked"),
    ("auth.unblocked", "Unblocked"),
    ("auth.password_changed", "Password changed"),
    ("auth.password_reset", "Password reset"),
    ("user.password_reset_sent", "Password reset link sent"),
    ("user.temporary_password_set", "Temporary password set"),
    ("auth.email_changed", "Email changed"),
    ("auth.email_change_requested", "Email change requested"),
    ("auth.email_change_cancelled", "Email change cancelled"),
    ("user.created", "User created"),
    ("user.updated", "User updated"),
    ("user.permissions_changed", "Permissions changed"),
    ("user.deleted", "User deleted"),
    ("user.confirmed", "User confirmed"),
    ("user.invited", "User invited"),
    ("user.invite_resent", "Invite resent"),
    ("user.invite_revoked", "Invite revoked"),
    ("user.invite_expired", "Invite expired"),
    ("user.invite_accepted", "Invite accepted"),
    ("user.signed_up", "Signed up"),
    ("mfa.totp_enabled", "Authenticator app set up"),
    ("mfa.totp_disabled", "Authenticator app removed"),
    ("mfa.recovery_codes_renewed", "Recovery codes renewed"),
    ("mfa.recovery_code_used", "Recovery code used"),
    ("mfa.reset", "MFA reset"),
    ("org.settings_changed", "Settings changed"),
    ("org.security_policy_changed", "Security policy changed"),
    ("org.auto_signup_changed", "Automatic sign-up changed"),
    ("licenses.seats_changed", "Seats changed"),
    ("group.created", "Group created"),
    ("group.renamed", "Group renamed"),
    ("group.deleted", "Group deleted"),
    ("field.created", "User field created"),
    ("field.changed", "User field changed"),
    ("field.deleted", "User field deleted"),
    ("division.created", "Division created"),
    ("division.renamed", "Division renamed"),
    ("division.deleted", "Division deleted"),
    ("role.created", "Role created"),
    ("role.changed", "Role changed"),
    ("role.deleted", "Role deleted"),
    ("product_permission.added", "Product permission added"),
    ("product_permission.renamed", "Product permission renamed"),
    ("product_permission.deleted", "Product permission deleted"),
    ("user.superuser_changed", "Tenant superuser changed"),
    ("user.change_refused", "Change refused"),
    ("workspace.created", "Workspace created"),
    ("workspace.renamed", "Workspace renamed"),
    ("workspace.archived", "Workspace archived"),
    ("workspace.member_added", "Added to a workspace"),
    ("workspace.member_changed", "Workspace access level changed"),
    ("workspace.access_revoked", "Workspace access revoked"),
    ("api_token.created", "API token created"),
    ("group.members_changed", "Group members changed"),
    ("webhook.created", "Webhook added"),
    ("webhook.deleted", "Webhook deleted"),
    ("webhook.resumed", "Webhook resumed"),
    ("webhook.paused", "Webhook paused"),
    ("api_token.revoked", "API token revoked"),
    ("sso.provider_added", "Identity provider added"),
    ("sso.provider_changed", "Identity provider changed"),
    ("sso.provider_removed", "Identity provider removed"),
    ("sso.policy_changed", "Sign-in policy changed"),
    ("sso.linked", "Sign-in linked to a provider"),
    ("sso.unlinked", "Sign-in unlinked from a provider"),
    ("sso.tested", "Identity provider tested"),
    ("records.imported", "Records imported"),
    ("users.imported", "Users imported"),
    ("org.setup", "Organization set up"),
    ("org.created", "Organization created"),
];

pub fn is_known(action: &str) -> bool {
    ACTIONS.iter().any(|(code, _)| *code == action)
}

/// The label of an action; an action this build does not know shows its code.
pub fn label(action: &str) -> String {
    ACTIONS
        .iter()
        .find(|(code, _)| *code == action)
        .map_or_else(|| action.to_owned(), |(_, label)| (*label).to_owned())
}

/// Names of the organization's roles and products, for ids in details.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub roles: HashMap<i64, String>,
    pub products: HashMap<i64, String>,
}

/// "first_name" → "First name".
fn field_label(name: &str) -> String {
    let known = match name {
        "role_ids" => Some("Roles"),
        "product_ids" => Some("Licenses"),
        "division_id" => Some("Division"),
        "ip_allowlist" => Some("Login IP allowlist"),
        "chat_scope" => Some("Supervisor chat access"),
        "mfa_required_roles" => Some("Two-step roles"),
        "signup_domains" => Some("Sign-up domains"),
        _ => None,
    };
    if let Some(label) = known {
        return label.to_owned();
    }
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn value_text(field: &str, value: &Value, names: &Names) -> String {
    let lookup = |id: &Value| -> String {
        let Some(id) = id.as_i64() else {
            return plain(id);
        };
        let found = match field {
            "role_ids" => names.roles.get(&id),
            "product_ids" => names.products.get(&id),
            _ => None,
        };
        found.cloned().unwrap_or_else(|| format!("#{id}"))
    };
    match value {
        Value::Array(items) if items.is_empty() => "none".into(),
        Value::Array(items) => {
            let mut texts: Vec<String> = items.iter().map(lookup).collect();
            texts.sort();
            texts.join(", ")
        }
        // Permission overrides read "audit.view: grant"; other records "First name: Olive".
        Value::Object(map) if map.is_empty() => "none".into(),
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| match field {
                "overrides" => format!("{key}: {}", plain(value)),
                _ => format!("{}: {}", field_label(key), plain(value)),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => plain(other),
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::Null => "none".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::String(s) if s.is_empty() => "none".into(),
        Value::String(s) => s.replace('_', " "),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// One line per change or detail: "Phone: none → 555-0100", "Reason: wrong password".
pub fn summary(details: &str, names: &Names) -> Vec<String> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(details) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if let (Some(Value::Object(before)), Some(Value::Object(after))) =
        (map.get("before"), map.get("after"))
    {
        for (field, new) in after {
            let old = before.get(field).unwrap_or(&Value::Null);
            // Events that record a whole state (roles with overrides) list what moved only.
            if old == new {
                continue;
            }
            lines.push(format!(
                "{}: {} → {}",
                field_label(field),
                value_text(field, old, names),
                value_text(field, new, names)
            ));
        }
    }
    for (key, value) in &map {
        match (key.as_str(), value) {
            ("before" | "after", _) => {}
            // Seats: [{product, before, after}].
            ("seats", Value::Array(changes)) => {
                for change in changes {
                    lines.push(format!(
                        "{} seats: {} → {}",
                        plain(&change["product"]),
                        plain(&change["before"]),
                        plain(&change["after"])
                    ));
                }
            }
            (key, value) => lines.push(format!(
                "{}: {}",
                field_label(key),
                value_text(key, value, names)
            )),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_as_before_and_after_with_names_for_ids() {
        let mut names = Names::default();
        names.roles.insert(3, "Agent".into());
        names.roles.insert(4, "Manager".into());
        let details =
            r#"{"before":{"phone":"","role_ids":[3]},"after":{"phone":"555","role_ids":[3,4]}}"#;
        assert_eq!(
            summary(details, &names),
            vec!["Phone: none → 555", "Roles: Agent → Agent, Manager"]
        );
        let permissions = r#"{"before":{"overrides":{},"role_ids":[3]},"after":{"overrides":{"audit.view":"grant"},"role_ids":[3]}}"#;
        assert_eq!(
            summary(permissions, &names),
            vec!["Overrides: none → audit.view: grant"],
            "overrides in words, and the unchanged roles left out"
        );
        assert_eq!(
            summary(
                r#"{"owner":{"email":"o@acme.io","first_name":"Olive"}}"#,
                &names
            ),
            vec!["Owner: Email: o@acme.io, First name: Olive"]
        );
        assert_eq!(
            summary(r#"{"reason":"wrong_password"}"#, &names),
            vec!["Reason: wrong password"]
        );
        assert_eq!(
            summary(
                r#"{"seats":[{"product":"CRM","before":3,"after":5}]}"#,
                &names
            ),
            vec!["CRM seats: 3 → 5"]
        );
    }

    #[test]
    fn every_action_has_a_label_and_unknown_ones_show_their_code() {
        assert_eq!(label("auth.sign_in_failed"), "Sign-in failed");
        assert_eq!(label("something.new"), "something.new");
        assert!(is_known("user.updated") && !is_known("x"));
    }
}
